/** Scatter plots of 2-D samples, one colour per set (data vs. model samples, say). */
import type { PngImage } from '../io/png';
import { Tensor } from '../tensor';
import { checkNumber, fail } from '../validate';
import { Axes } from './axes';
import { Canvas } from './canvas';
import { seriesColor, type Color } from './colormap';
import { figureSize, plotRanges, readTensor, type FigureOptions, type RangeOption } from './figure';

export interface PointSet {
  /** Points [N, 2]. */
  points: Tensor;
  name?: string;
  color?: Color;
}

export interface ScatterOptions extends FigureOptions {
  /** Data range shown on both axes, or [[xmin, xmax], [ymin, ymax]]; default: fits the points. */
  range?: RangeOption;
  /** Dot radius in pixels (default 2). */
  radius?: number;
  /** Dot opacity (default 0.7), so that dense regions read darker. */
  alpha?: number;
  /** false: no frame, ticks or legend; the data range fills the whole image. */
  axes?: boolean;
}

function pointSet(value: unknown, i: number): PointSet {
  if (value === null || typeof value !== 'object') fail('a point set {points, name?, color?}', `data[${i}]`, value);
  return value as PointSet;
}

export function scatterPlot(data: Tensor | PointSet[], options: ScatterOptions = {}): PngImage {
  const { width, height } = figureSize(options, 480, 480);
  const sets = (data instanceof Tensor ? [{ points: data }] : Array.isArray(data) ? Array.from(data) : fail('a Tensor [N, 2] or an array of {points, name, color}', 'data', data)).map((s, i) => ({
    xy: readTensor(pointSet(s, i).points, `data[${i}].points`, 2, 2).values,
    name: s.name,
    color: s.color ?? seriesColor(i),
  }));
  const radius = checkNumber(options.radius ?? 2, 'options.radius', { positive: true, finite: true });
  const alpha = checkNumber(options.alpha ?? 0.7, 'options.alpha', { positive: true });
  const [xRange, yRange] = plotRanges(options.range, sets.map((s) => s.xy));
  const canvas = new Canvas(width, height);
  const axes = new Axes(canvas, { range: xRange }, { range: yRange }, options.axes !== false);
  if (options.axes !== false) axes.drawGrid();
  axes.clipped(() => {
    for (const s of sets) for (let i = 0; i < s.xy.length; i += 2) canvas.fillCircle(axes.px(s.xy[i]), axes.py(s.xy[i + 1]), radius, s.color, alpha);
  });
  if (options.axes !== false) {
    axes.drawFrame(options.title);
    axes.drawLegend(sets.filter((s) => s.name !== undefined).map((s) => ({ name: s.name as string, color: s.color })));
  }
  return canvas.toImage();
}
