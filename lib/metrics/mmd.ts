/**
 * Maximum mean discrepancy with Gaussian RBF kernels k(x, y) = exp(−‖x − y‖² / (2σ²)), as the
 * unbiased U-statistic of Gretton et al. (2012, eq. 3): it averages k over distinct pairs
 * only, so its expectation is exactly MMD² and it can come out slightly negative when the two
 * distributions agree.
 */
import { Tensor, asTensor } from '../tensor';
import { ones, tensor } from '../creation';
import { cat } from '../functional';
import { tidy } from '../scope';
import { checkNumber, fail } from '../validate';
import { sampleWithoutReplacement, seededRandom } from './subsample';

export interface MmdOptions {
  /**
   * Kernel width σ, or several (their kernels are summed, which is robust when the scale of
   * the data is unknown). Default: the median heuristic, σ = median distance between points
   * of the pooled sample.
   */
  bandwidth?: number | number[];
  /** Seed of the subsample (at most 1000 pooled points) the median heuristic looks at; default 0. */
  seed?: number;
}

const MEDIAN_POINTS = 1000;

/** The unbiased estimate of MMD² between samples x [M, D] and y [N, D] (M, N ≥ 2). */
export function mmd(x: Tensor, y: Tensor, options: MmdOptions = {}): number {
  if (options === null || typeof options !== 'object') fail('an options object', 'options', options);
  const [m, dx] = checkSample(x, 'x');
  const [n, dy] = checkSample(y, 'y');
  if (dx !== dy) fail(`points of dimension ${dx} like x`, 'y shape', y.shape, 'ERR_SHAPE');
  return tidy(() => {
    const a = x.double();
    const b = y.double();
    const widths = options.bandwidth === undefined ? [medianDistance(cat([a, b], 0), options.seed ?? 0)] : checkBandwidths(options.bandwidth);
    const meanOffDiagonal = (d2: Tensor, count: number): number => {
      const k = kernel(d2, widths);
      return ((k.sum().item() as number) - (k.trace().item() as number)) / (count * (count - 1));
    };
    const xx = meanOffDiagonal(squaredDistances(a, a), m);
    const yy = meanOffDiagonal(squaredDistances(b, b), n);
    const xy = (kernel(squaredDistances(a, b), widths).sum().item() as number) / (m * n);
    return xx + yy - 2 * xy;
  });
}

function kernel(d2: Tensor, widths: number[]): Tensor {
  return widths.map((s) => d2.div(-2 * s * s).exp()).reduce((sum, k) => sum.add(k));
}

/** ‖a_i − b_j‖² through the Gram matrix, clamped at 0 against cancellation. */
function squaredDistances(a: Tensor, b: Tensor): Tensor {
  const a2 = a.square().sum(1, { keepdim: true });
  const b2 = b.square().sum(1, { keepdim: true });
  return a2.add(b2.T).sub(a.matmul(b.T).mul(2)).clamp(0);
}

function medianDistance(pooled: Tensor, seed: number): number {
  let points = pooled;
  const total = pooled.shape[0];
  if (total > MEDIAN_POINTS) {
    const pick = sampleWithoutReplacement(total, MEDIAN_POINTS, seededRandom(seed));
    points = pooled.indexSelect(0, tensor(pick, { dtype: 'int64' }));
  }
  const count = points.shape[0];
  const upper = ones([count, count]).triu(1).gt(0);
  const d2 = squaredDistances(points, points).maskedSelect(upper).sort().values.data() as Float64Array;
  const mid = d2.length >> 1;
  const median = d2.length % 2 === 1 ? Math.sqrt(d2[mid]) : (Math.sqrt(d2[mid - 1]) + Math.sqrt(d2[mid])) / 2;
  if (!(median > 0)) fail('samples with at least two distinct points (the median heuristic found bandwidth 0)', 'x and y', median);
  return median;
}

function checkSample(t: Tensor, name: string): [number, number] {
  asTensor(t, name);
  const shape = t.shape;
  if (shape.length !== 2 || shape[0] < 2) fail('a [N, D] tensor with N ≥ 2', `${name} shape`, shape, 'ERR_SHAPE');
  return [shape[0], shape[1]];
}

function checkBandwidths(value: number | number[]): number[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail('a bandwidth or a non-empty list of them', 'options.bandwidth', value);
  return list.map((s, i) => checkNumber(s, `options.bandwidth${Array.isArray(value) ? `[${i}]` : ''}`, { positive: true, finite: true }));
}
