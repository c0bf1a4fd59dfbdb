/**
 * Sample paths of an ODE in 2-D, one colour per named set: with OT paths they are nearly
 * straight lines, with diffusion paths they curve (Lipman et al. 2023, Fig. 3).
 */
import type { PngImage } from '../io/png';
import { Tensor } from '../tensor';
import { checkNumber, fail } from '../validate';
import { Axes } from './axes';
import { Canvas } from './canvas';
import { seriesColor, type Color } from './colormap';
import { figureSize, plotRanges, readTensor, type FigureOptions, type RangeOption } from './figure';

export interface TrajectorySet {
  /** Positions [T, N, 2]: T time steps of N particles. */
  trajectories: Tensor;
  name: string;
  color?: Color;
}

export interface TrajectoryOptions extends FigureOptions {
  range?: RangeOption;
  /** Path opacity (default 0.5). */
  alpha?: number;
}

const START: Color = [90, 90, 90];

export function trajectoryPlot(sets: TrajectorySet[], options: TrajectoryOptions = {}): PngImage {
  const { width, height } = figureSize(options, 480, 480);
  if (!Array.isArray(sets) || sets.length === 0) fail('a non-empty array of {trajectories, name}', 'sets', sets);
  const alpha = checkNumber(options.alpha ?? 0.5, 'options.alpha', { positive: true });
  const paths = sets.map((s, i) => {
    const { shape, values } = readTensor(s?.trajectories, `sets[${i}].trajectories`, 3, 2);
    return { steps: shape[0], particles: shape[1], values, name: String(s.name), color: s.color ?? seriesColor(i) };
  });
  const [xRange, yRange] = plotRanges(options.range, paths.map((p) => p.values));
  const canvas = new Canvas(width, height);
  const axes = new Axes(canvas, { range: xRange }, { range: yRange });
  axes.drawGrid();
  axes.clipped(() => {
    for (const p of paths) {
      const at = (step: number, particle: number, k: number) => p.values[(step * p.particles + particle) * 2 + k];
      for (let n = 0; n < p.particles; n++) {
        const xs = Array.from({ length: p.steps }, (_, s) => axes.px(at(s, n, 0)));
        const ys = Array.from({ length: p.steps }, (_, s) => axes.py(at(s, n, 1)));
        canvas.polyline(xs, ys, p.color, 1.2, alpha);
        canvas.fillCircle(xs[0], ys[0], 1.5, START, 0.8);
        canvas.fillCircle(xs[p.steps - 1], ys[p.steps - 1], 2, p.color);
      }
    }
  });
  axes.drawFrame(options.title);
  axes.drawLegend(paths.map((p) => ({ name: p.name, color: p.color })));
  return canvas.toImage();
}
