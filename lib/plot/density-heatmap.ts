/** Heatmaps of a scalar field over the plane: a model's density, or any [H, W] grid of values. */
import type { PngImage } from '../io/png';
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { tidy } from '../scope';
import { checkFunction, checkInt, fail } from '../validate';
import { Axes, formatTick } from './axes';
import { Canvas } from './canvas';
import { viridis } from './colormap';
import { checkRange, figureSize, readTensor, type FigureOptions } from './figure';

export interface HeatmapOptions extends FigureOptions {
  /** Region shown, [[xmin, xmax], [ymin, ymax]]. Required for a function; for a grid it labels the axes (default: column and row indices). */
  range?: [[number, number], [number, number]];
  /** Grid cells per side when sampling a function (default 128). */
  resolution?: number;
  /** Colour limits (default: the min and max of the values). */
  valueRange?: [number, number];
}

// Room right of the plot for the colour bar and its labels.
const COLORBAR = 76;

/**
 * `source` is either values [H, W] (row 0 at the top, as in an image) or a function from grid
 * points [K, 2] to values [K], evaluated at the cell centres of a resolution² grid.
 */
export function densityHeatmap(source: Tensor | ((points: Tensor) => Tensor), options: HeatmapOptions = {}): PngImage {
  const { width, height } = figureSize(options, 520, 440);
  let rows: number;
  let cols: number;
  let values: Float64Array;
  let range: [[number, number], [number, number]];
  if (source instanceof Tensor) {
    ({ shape: [rows, cols], values } = readTensor(source, 'source', 2));
    range = options.range === undefined ? [[0, cols], [0, rows]] : [checkRange(options.range[0], 'options.range[0]'), checkRange(options.range[1], 'options.range[1]')];
  } else {
    checkFunction(source, 'source');
    if (options.range === undefined) fail('a range [[xmin, xmax], [ymin, ymax]] to sample the function over', 'options.range', undefined);
    range = [checkRange(options.range[0], 'options.range[0]'), checkRange(options.range[1], 'options.range[1]')];
    rows = cols = checkInt(options.resolution ?? 128, 'options.resolution', 2, 4096);
    values = sampleGrid(source, range, rows);
  }
  const [lo, hi] = options.valueRange === undefined ? finiteExtent(values) : checkRange(options.valueRange, 'options.valueRange');
  const canvas = new Canvas(width, height);
  const axes = new Axes(canvas, { range: range[0] }, { range: range[1] }, true, COLORBAR);
  const { x0, y0, x1, y1 } = axes.area;
  for (let y = y0; y <= y1; y++) {
    const row = Math.min(rows - 1, Math.floor(((y - y0) / (y1 - y0 + 1)) * rows));
    for (let x = x0; x <= x1; x++) {
      const col = Math.min(cols - 1, Math.floor(((x - x0) / (x1 - x0 + 1)) * cols));
      canvas.blend(x, y, viridis((values[row * cols + col] - lo) / (hi - lo)));
    }
  }
  axes.drawFrame(options.title);
  drawColorbar(canvas, x1 + 12, y0, y1, lo, hi);
  return canvas.toImage();
}

function sampleGrid(fn: (points: Tensor) => Tensor, [[xa, xb], [ya, yb]]: [[number, number], [number, number]], n: number): Float64Array {
  const points = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      points[(i * n + j) * 2] = xa + ((j + 0.5) / n) * (xb - xa);
      points[(i * n + j) * 2 + 1] = yb - ((i + 0.5) / n) * (yb - ya);
    }
  }
  return tidy(() => {
    const out = fn(tensor(points, { shape: [n * n, 2] }));
    if (!(out instanceof Tensor) || out.numel !== n * n) fail(`a tensor of ${n * n} values (one per grid point)`, 'source(points)', out instanceof Tensor ? out.shape : out);
    return out.double().data() as Float64Array;
  });
}

function finiteExtent(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === Infinity) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

function drawColorbar(canvas: Canvas, left: number, top: number, bottom: number, lo: number, hi: number): void {
  for (let y = top; y <= bottom; y++) canvas.fillRect(left, y, left + 10, y, viridis((bottom - y) / (bottom - top)));
  canvas.text(left + 14, top, formatTick(Number(hi.toPrecision(3))), [0, 0, 0]);
  canvas.text(left + 14, bottom - 6, formatTick(Number(lo.toPrecision(3))), [0, 0, 0]);
}
