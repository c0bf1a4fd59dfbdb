/** Line charts of several named series: loss curves, quality against NFE. */
import type { PngImage } from '../io/png';
import { fail } from '../validate';
import { Axes, extent } from './axes';
import { Canvas } from './canvas';
import { seriesColor, type Color } from './colormap';
import { checkRange, figureSize, type FigureOptions } from './figure';

export interface Series {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color?: Color;
}

export interface LineChartOptions extends FigureOptions {
  logX?: boolean;
  logY?: boolean;
  xLabel?: string;
  yLabel?: string;
  xRange?: [number, number];
  yRange?: [number, number];
  /** Dots on the data points, for curves with few points such as NFE sweeps (default: when a series has ≤ 30 points). */
  markers?: boolean;
}

export function lineChart(series: Series[], options: LineChartOptions = {}): PngImage {
  const { width, height } = figureSize(options, 640, 420);
  if (!Array.isArray(series) || series.length === 0) fail('a non-empty array of {name, xs, ys}', 'series', series);
  series.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || s.xs?.length === undefined || s.ys?.length !== s.xs.length) {
      fail('{name, xs, ys} with xs and ys of equal length', `series[${i}]`, s);
    }
  });
  const logX = options.logX === true;
  const logY = options.logY === true;
  const xRange = options.xRange === undefined ? extent(series.flatMap((s) => Array.from(s.xs)), logX, 0.02) : checkRange(options.xRange, 'options.xRange');
  const yRange = options.yRange === undefined ? extent(series.flatMap((s) => Array.from(s.ys)), logY) : checkRange(options.yRange, 'options.yRange');
  const canvas = new Canvas(width, height);
  const axes = new Axes(canvas, { range: xRange, log: logX, label: options.xLabel }, { range: yRange, log: logY, label: options.yLabel });
  axes.drawGrid();
  const colors = series.map((s, i) => s.color ?? seriesColor(i));
  axes.clipped(() => {
    series.forEach((s, i) => {
      const xs = Array.from(s.xs, (x) => axes.px(x));
      const ys = Array.from(s.ys, (y) => axes.py(y));
      canvas.polyline(xs, ys, colors[i], 2);
      if (options.markers ?? s.xs.length <= 30) xs.forEach((x, k) => canvas.fillCircle(x, ys[k], 3, colors[i]));
    });
  });
  axes.drawFrame(options.title);
  axes.drawLegend(series.map((s, i) => ({ name: String(s.name), color: colors[i] })));
  return canvas.toImage();
}
