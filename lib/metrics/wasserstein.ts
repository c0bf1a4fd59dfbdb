/**
 * Exact Wasserstein distances between two empirical distributions with the same number of
 * equally weighted points. The optimal transport plan between such measures is a
 * permutation (Birkhoff), so W_p^p is the mean cost of an optimal assignment.
 */
import { Tensor } from '../tensor';
import { checkInt, fail } from '../validate';
import { solveAssignment } from './assignment';
import { readPoints, selectPoints, type PointCloud } from './points';
import { sampleWithoutReplacement, seededRandom } from './subsample';

export interface WassersteinOptions {
  /** Order of the distance: 1 or 2 (default 2). */
  p?: 1 | 2;
  /** Larger clouds are subsampled to this many points (the solver is O(n³)); default 1000. */
  maxPoints?: number;
  /** Seed of the subsampling (default 0). */
  seed?: number;
}

/**
 * W_p between point clouds a [N, D] and b [M, D] under the Euclidean ground metric. Both are
 * subsampled without replacement to min(N, M, maxPoints) points, then matched exactly.
 */
export function wasserstein(a: Tensor, b: Tensor, options: WassersteinOptions = {}): number {
  if (options === null || typeof options !== 'object') fail('an options object', 'options', options);
  const p = options.p ?? 2;
  if (p !== 1 && p !== 2) fail('1 or 2', 'options.p', p);
  const maxPoints = checkInt(options.maxPoints ?? 1000, 'options.maxPoints', 1);
  const random = seededRandom(options.seed ?? 0);
  let x = readPoints(a, 'a');
  let y = readPoints(b, 'b');
  if (x.dim !== y.dim) fail(`points of dimension ${x.dim} like a`, 'b', `[${y.n}, ${y.dim}]`, 'ERR_SHAPE');
  const n = Math.min(x.n, y.n, maxPoints);
  if (x.n > n) x = selectPoints(x, sampleWithoutReplacement(x.n, n, random));
  if (y.n > n) y = selectPoints(y, sampleWithoutReplacement(y.n, n, random));
  const cost = groundCost(x, y, p);
  const match = solveAssignment(cost, n);
  let total = 0;
  for (let i = 0; i < n; i++) total += cost[i * n + match[i]];
  return Math.pow(total / n, 1 / p);
}

/** ‖x_i − y_j‖^p for every pair, row-major. */
function groundCost(x: PointCloud, y: PointCloud, p: 1 | 2): Float64Array {
  const n = x.n;
  const d = x.dim;
  const cost = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sq = 0;
      for (let k = 0; k < d; k++) {
        const diff = x.coords[i * d + k] - y.coords[j * d + k];
        sq += diff * diff;
      }
      cost[i * n + j] = p === 2 ? sq : Math.sqrt(sq);
    }
  }
  return cost;
}
