/** Options and argument reading shared by the plot functions. */
import { Tensor, asTensor } from '../tensor';
import { checkInt, checkNumber, fail } from '../validate';
import { extent } from './axes';

export interface FigureOptions {
  /** Image size in pixels (defaults depend on the plot). */
  width?: number;
  height?: number;
  title?: string;
}

/** One range for both axes, or [[xmin, xmax], [ymin, ymax]]. */
export type RangeOption = [number, number] | [[number, number], [number, number]];

export function figureSize(options: FigureOptions, width: number, height: number): { width: number; height: number } {
  if (options === null || typeof options !== 'object') fail('an options object', 'options', options);
  return {
    width: checkInt(options.width ?? width, 'options.width', 16, 8192),
    height: checkInt(options.height ?? height, 'options.height', 16, 8192),
  };
}

/** A [min, max] pair with min < max. */
export function checkRange(value: unknown, name: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail('a range [min, max]', name, value);
  const [lo, hi] = value.map((v, i) => checkNumber(v, `${name}[${i}]`, { finite: true }));
  if (!(lo < hi)) fail('a range [min, max] with min < max', name, value);
  return [lo, hi];
}

/** The elements of a tensor of `rank` dims with last dim `last` (when given), as float64. */
export function readTensor(value: unknown, name: string, rank: number, last?: number): { shape: number[]; values: Float64Array } {
  const t = asTensor(value, name);
  const shape = t.shape;
  if (shape.length !== rank || (last !== undefined && shape[rank - 1] !== last)) {
    fail(`a tensor of ${rank} dims${last === undefined ? '' : ` with last dim ${last}`}`, `${name} shape`, shape, 'ERR_SHAPE');
  }
  const d = (t as Tensor).double();
  const values = d.data() as Float64Array;
  d.dispose();
  return { shape, values };
}

/** Explicit ranges, or one square range fitting every cloud of interleaved (x, y) so that shapes are not distorted. */
export function plotRanges(range: RangeOption | undefined, clouds: Float64Array[]): [[number, number], [number, number]] {
  if (range !== undefined) {
    if (Array.isArray(range) && Array.isArray(range[0])) {
      return [checkRange(range[0], 'options.range[0]'), checkRange(range[1], 'options.range[1]')];
    }
    const both = checkRange(range, 'options.range');
    return [both, both];
  }
  const all = (axis: number) => clouds.flatMap((c) => Array.from(c).filter((_, i) => i % 2 === axis));
  const [x, y] = [extent(all(0)), extent(all(1))];
  const half = Math.max(x[1] - x[0], y[1] - y[0]) / 2;
  const [cx, cy] = [(x[0] + x[1]) / 2, (y[0] + y[1]) / 2];
  return [[cx - half, cx + half], [cy - half, cy + half]];
}
