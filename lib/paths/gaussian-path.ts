/**
 * Gaussian conditional probability paths p_t(x | x1) = N(μ_t(x1), σ_t(x1)²·I)
 * (Lipman et al. 2023, §4) and their conditional vector fields (Theorem 3).
 */
import { Tensor, asTensor } from '../tensor';
import { tidy } from '../scope';
import { ShapeError } from '../errors';
import { checkFunction, checkNumber, checkOptions, fail } from '../validate';
import { type Time, timeColumn } from './time';

/** μ_t(x1), σ_t(x1) and their time derivatives; each broadcasts against x1. */
export interface GaussianMoments {
  mean: Tensor;
  std: Tensor;
  dMean: Tensor;
  dStd: Tensor;
}

/**
 * Computes the moments for data x1 at times t, given as a float64 tensor of shape
 * [batch, 1, …, 1]. Results may be float64; the path casts what it returns to x1's dtype.
 */
export type GaussianMomentsFn = (x1: Tensor, t: Tensor) => GaussianMoments;

export interface PathSample {
  /** x_t = ψ_t(x0) = σ_t·x0 + μ_t, a draw from p_t(· | x1). */
  xt: Tensor;
  /** u_t(x_t | x1), the regression target of the CFM loss. */
  ut: Tensor;
}

export class GaussianPath {
  protected readonly moments: GaussianMomentsFn;
  readonly #priorStd: number;

  /**
   * A path from its moments; μ_0 = 0, σ_0 = 1, μ_1 = x1, σ_1 = σ_min make it go from noise
   * to data. `priorStd` is its σ_0 when that is not 1 (the moments are functions of x1, so
   * the path cannot read it off them).
   */
  constructor(moments: GaussianMomentsFn, opts: { priorStd?: number } = {}) {
    checkFunction(moments, 'moments');
    this.moments = moments;
    this.#priorStd = checkNumber(checkOptions(opts, 'options').priorStd ?? 1, 'options.priorStd', { positive: true, finite: true });
  }

  /**
   * σ_0: the standard deviation of the source N(0, σ_0²·I) that sampling draws its noise
   * from and likelihood scores x_0 under (sample() and likelihood() default to it when given
   * the path).
   */
  get priorStd(): number {
    return this.#priorStd;
  }

  /** The moments at t, checked: four tensors, or an ArgumentError. */
  private momentsAt(x1: Tensor, t: Time): GaussianMoments {
    const m = this.moments(x1, timeColumn(t, x1));
    if (m === null || typeof m !== 'object') fail('{mean, std, dMean, dStd} tensors', 'moments(x1, t)', m);
    for (const key of ['mean', 'std', 'dMean', 'dStd'] as const) asTensor(m[key], `moments(x1, t).${key}`);
    return m;
  }

  /**
   * x_t and u_t(x_t | x1) for noise x0 and data x1 (same shape) at time t (a number, or
   * a Tensor of shape [batch]). u_t is computed as dσ/dt·x0 + dμ/dt, which is Theorem 3's
   * σ'_t/σ_t·(x_t − μ_t) + μ'_t at x_t = ψ_t(x0) without dividing by σ_t (0 at t = 1 when
   * σ_min = 0).
   */
  sample(x0: Tensor, x1: Tensor, t: Time): PathSample {
    sameShape(x0, x1);
    return tidy(() => {
      const m = this.momentsAt(x1, t);
      const xt = m.std.mul(x0).add(m.mean);
      const ut = m.dStd.mul(x0).add(m.dMean);
      return { xt: castLike(xt, x1), ut: castLike(ut, x1) };
    });
  }

  /** The conditional flow ψ_t(x0) = σ_t·x0 + μ_t (the x_t of sample()). */
  flow(x0: Tensor, x1: Tensor, t: Time): Tensor {
    sameShape(x0, x1);
    return tidy(() => {
      const m = this.momentsAt(x1, t);
      return castLike(m.std.mul(x0).add(m.mean), x1);
    });
  }

  /** Theorem 3 at any x: u_t(x | x1) = σ'_t/σ_t·(x − μ_t) + μ'_t (undefined where σ_t = 0). */
  conditionalVelocity(x: Tensor, x1: Tensor, t: Time): Tensor {
    sameShape(x, x1);
    return tidy(() => {
      const m = this.momentsAt(x1, t);
      return castLike(m.dStd.div(m.std).mul(x.sub(m.mean)).add(m.dMean), x1);
    });
  }
}

export function sameShape(a: Tensor, x1: Tensor): void {
  const sa = asTensor(a, 'x0').shape;
  const sb = asTensor(x1, 'x1').shape;
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new ShapeError('ERR_SHAPE', `Expected x0 (or x) and x1 of the same shape but received [${sa}] and [${sb}]`);
  }
}

function castLike(value: Tensor, like: Tensor): Tensor {
  const dtype = like.dtype;
  return value.dtype === dtype ? value : value.to(dtype);
}
