/**
 * Isotropic Gaussian mixtures q = Σ_k w_k·N(m_k, s_k²·I): a data distribution whose image
 * under any affine Gaussian path is again a mixture, so the marginal path and field of Flow
 * Matching are known in closed form (see paths/gaussian-mixture-marginal.ts).
 */
import { Tensor, asTensor } from '../tensor';
import { tensor, rand, randn, zeros } from '../creation';
import { tidy } from '../scope';
import { ShapeError } from '../errors';
import { checkInt, checkNumber, checkOptions, fail } from '../validate';
import type { Device } from '../device';

export interface GaussianMixtureSpec {
  /** Component means, K rows of the same length d. */
  means: number[][];
  /** Per-component standard deviations s_k > 0, or one for all. */
  stds: number[] | number;
  /** Mixture weights (normalised here); uniform by default. */
  weights?: number[];
}

export class GaussianMixture {
  readonly means: number[][];
  readonly stds: number[];
  readonly weights: number[];
  readonly dim: number;

  constructor(spec: GaussianMixtureSpec) {
    if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.means) || spec.means.length === 0) {
      fail('{means: number[][], stds, weights?} with at least one component', 'spec', spec);
    }
    const k = spec.means.length;
    this.dim = spec.means[0].length;
    this.means = spec.means.map((m, i) => {
      if (!Array.isArray(m) || m.length !== this.dim || !m.every(Number.isFinite)) fail(`an array of ${this.dim} finite numbers`, `means[${i}]`, m);
      return [...m];
    });
    const stds = typeof spec.stds === 'number' ? new Array(k).fill(spec.stds) : spec.stds;
    if (!Array.isArray(stds) || stds.length !== k) fail(`${k} standard deviations`, 'stds', spec.stds);
    this.stds = stds.map((s, i) => checkNumber(s, `stds[${i}]`, { finite: true, positive: true }));
    const weights = spec.weights ?? new Array(k).fill(1);
    if (!Array.isArray(weights) || weights.length !== k) fail(`${k} weights`, 'weights', spec.weights);
    weights.forEach((w, i) => checkNumber(w, `weights[${i}]`, { finite: true, positive: true }));
    const total = weights.reduce((a, b) => a + b, 0);
    this.weights = weights.map((w) => w / total);
  }

  /** n draws (float32, [n, d]) and the component each came from (int64, [n]), from flowmatch's RNG. */
  sampleWithComponents(n: number, opts: { device?: Device } = {}): { x: Tensor; components: Tensor<'int64'> } {
    checkInt(n, 'n', 0);
    const device = checkOptions(opts, 'options').device ?? 'cpu';
    return tidy(() => {
      let cumulative = 0;
      const thresholds = this.weights.slice(0, -1).map((w) => (cumulative += w));
      const u = rand([n, 1], { dtype: 'float64', device });
      const components = (thresholds.length === 0
        ? zeros([n], { dtype: 'int64', device })
        : u.ge(tensor(thresholds, { dtype: 'float64', device })).sum(1, { dtype: 'int64' })) as Tensor<'int64'>;
      const means = tensor(this.means, { dtype: 'float32', device }).indexSelect(0, components);
      const stds = tensor(this.stds, { dtype: 'float32', device }).indexSelect(0, components).unsqueeze(1);
      return { x: randn([n, this.dim], { device }).mul(stds).add(means), components };
    });
  }

  /** n draws, float32 [n, d]. */
  sample(n: number, opts: { device?: Device } = {}): Tensor {
    return tidy(() => this.sampleWithComponents(n, opts).x);
  }

  /** log q(x) for x of shape [n, d], computed in float64 and returned as float64 [n]. */
  logProb(x: Tensor): Tensor {
    return tidy(() => {
      const xs = flatRows(x, this.dim, 'x').to('float64');
      const device = xs.device;
      const centers = tensor(this.means, { dtype: 'float64', device }).unsqueeze(0);
      const variances = tensor(this.stds, { dtype: 'float64', device }).square().unsqueeze(0);
      return logJoint(xs, centers, variances, this.weights).logsumexp(1);
    });
  }
}

/** x as [n, d] rows (images flatten), or a ShapeError naming `name`. */
export function flatRows(x: Tensor, dim: number, name: string): Tensor {
  const shape = asTensor(x, name).shape;
  const features = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape.length < 2 || features !== dim) {
    throw new ShapeError('ERR_SHAPE', `Expected ${name} of shape [n, ${dim}] (or [n, …] with ${dim} features) for this ${dim}-dimensional mixture but received [${shape}]`);
  }
  return shape.length === 2 ? x : x.reshape([shape[0], dim]);
}

/**
 * log(w_k·N(x_i; c_ik, v_ik·I)) as [n, K], for rows x [n, d], centers [n or 1, K, d] and
 * variances [n or 1, K], all float64.
 */
export function logJoint(x: Tensor, centers: Tensor, variances: Tensor, weights: number[]): Tensor {
  const d = x.shape[1];
  const squared = x.unsqueeze(1).sub(centers).square().sum(2);
  const logWeights = tensor(weights, { dtype: 'float64', device: x.device }).log();
  return squared.div(variances.mul(-2)).sub(variances.mul(2 * Math.PI).log().mul(d / 2)).add(logWeights);
}
