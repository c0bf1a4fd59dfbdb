/**
 * Affine Gaussian paths x_t = α_t·x1 + σ_t·x0 (μ_t = α_t·x1), and the paper's instances:
 * the OT path and the reversed VE and VP diffusion paths (Lipman et al. 2023, §4.1).
 * An affine path also converts between the three things a network may predict: the
 * velocity u, the data x1, and the noise ε = x0.
 */
import { Tensor, asTensor } from '../tensor';
import { type ClosedForm, type ScheduleKind, affineCombination } from '../kernels';
import { tensor } from '../creation';
import { tidy } from '../scope';
import { checkOptions, describe, fail } from '../validate';
import { GaussianPath, sameShape, type PathSample } from './gaussian-path';
import { type Time, timeColumn } from './time';
import { type ScheduleCoefficients, type Scheduler, OTScheduler, VEScheduler, VPScheduler, closedFormOf } from './schedulers';

export class AffinePath extends GaussianPath {
  readonly scheduler: Scheduler;
  #priorStd: number | undefined;

  constructor(scheduler: Scheduler) {
    if (scheduler === null || typeof scheduler !== 'object' || typeof scheduler.coefficients !== 'function') {
      fail('a Scheduler (an object with coefficients(t))', 'scheduler', scheduler);
    }
    super((x1, t) => {
      const c = coefficientsLike(scheduler, t, x1);
      return { mean: c.alpha.mul(x1), std: c.sigma, dMean: c.dAlpha.mul(x1), dStd: c.dSigma };
    });
    this.scheduler = scheduler;
  }

  /**
   * σ_0 = the scheduler's σ at t = 0 (in float64): the source is N(0, σ_0²·I) up to the
   * α_0·x1 that vanishes or is ignored there. 1 for the OT, CondOT, cosine, linear-VP and
   * polynomial schedules; σ_min·(σ_max/σ_min) ≈ σ_max for the reversed VE diffusion;
   * sqrt(1 − e^(−β_min/2 − β_max/2)) (1 − 2e−5 at the defaults) for the reversed VP one.
   * Computed on first use, so a scheduler is only asked for coefficients when needed.
   */
  override get priorStd(): number {
    if (this.#priorStd === undefined) {
      const scheduler = this.scheduler;
      this.#priorStd = tidy(() => coefficientsAt(scheduler, tensor([0], { dtype: 'float64' })).sigma.item() as number);
    }
    return this.#priorStd;
  }

  /**
   * x_t = σ_t·x0 + α_t·x1 and u_t = σ'_t·x0 + α'_t·x1 (GaussianPath.sample for this path),
   * with the coefficients from the scheduler in float64 and the combination in one native
   * call: a training step's path sampling is otherwise ten small ops.
   */
  override sample(x0: Tensor, x1: Tensor, t: Time): PathSample {
    sameShape(x0, x1);
    return tidy(() => {
      const c = coefficientsAt(this.scheduler, timeColumn(t, x1));
      return affineCombination(x0, x1, c.alpha, c.sigma, c.dAlpha, c.dSigma);
    });
  }

  /** Velocity from a predicted x1: u = σ'/σ·x_t + (α' − α·σ'/σ)·x1 (singular where σ_t = 0). */
  x1ToVelocity(x1: Tensor, xt: Tensor, t: Time): Tensor {
    return this.combine(xt, t, (c) => [c.dSigma.div(c.sigma), c.dAlpha.sub(c.alpha.mul(c.dSigma).div(c.sigma))], x1);
  }

  /** Velocity from predicted noise x0: u = α'/α·x_t + (σ' − σ·α'/α)·x0 (singular where α_t = 0). */
  epsilonToVelocity(x0: Tensor, xt: Tensor, t: Time): Tensor {
    return this.combine(xt, t, (c) => [c.dAlpha.div(c.alpha), c.dSigma.sub(c.sigma.mul(c.dAlpha).div(c.alpha))], x0);
  }

  /** x1 from a velocity: x1 = (σ'·x_t − σ·u) / (σ'·α − σ·α'). */
  velocityToX1(u: Tensor, xt: Tensor, t: Time): Tensor {
    return this.combine(xt, t, (c) => {
      const det = c.dSigma.mul(c.alpha).sub(c.sigma.mul(c.dAlpha));
      return [c.dSigma.div(det), c.sigma.neg().div(det)];
    }, u);
  }

  /** x0 (ε) from a velocity: x0 = (α'·x_t − α·u) / (α'·σ − α·σ'). */
  velocityToEpsilon(u: Tensor, xt: Tensor, t: Time): Tensor {
    return this.combine(xt, t, (c) => {
      const det = c.dAlpha.mul(c.sigma).sub(c.alpha.mul(c.dSigma));
      return [c.dAlpha.div(det), c.alpha.neg().div(det)];
    }, u);
  }

  /** a·x_t + b·y with (a, b) formed from the coefficients in float64. */
  private combine(xt: Tensor, t: Time, weights: (c: ScheduleCoefficients) => [Tensor, Tensor], y: Tensor): Tensor {
    sameShape(y, asTensor(xt, 'xt'));
    return tidy(() => {
      const c = coefficientsAt(this.scheduler, timeColumn(t, xt));
      const [a, b] = weights(c).map((w) => w.to(xt.dtype));
      return a.mul(xt).add(b.mul(y));
    });
  }
}

/**
 * The closed form of the path's schedule when the path samples as AffinePath does (a built-in
 * scheduler, and no subclass with a sample() of its own): then a training draw can run as one
 * native call (lib/losses/training-draw.ts).
 */
export function affineClosedForm(path: GaussianPath): ClosedForm<ScheduleKind> | undefined {
  return path instanceof AffinePath && path.sample === AffinePath.prototype.sample ? closedFormOf(path.scheduler) : undefined;
}

/** A user scheduler's coefficients, checked: four tensors, or an ArgumentError naming the scheduler. */
export function coefficientsAt(scheduler: Scheduler, t: Tensor): ScheduleCoefficients {
  const c = scheduler.coefficients(t);
  if (c === null || typeof c !== 'object') fail('{alpha, sigma, dAlpha, dSigma} tensors', `${describe(scheduler.name)} coefficients(t)`, c);
  for (const key of ['alpha', 'sigma', 'dAlpha', 'dSigma'] as const) asTensor(c[key], `coefficients(t).${key} of scheduler ${describe(scheduler.name)}`);
  return c;
}

/** The schedule at t in float64, then cast to x's dtype so the elementwise work stays in it. */
function coefficientsLike(scheduler: Scheduler, t: Tensor, x: Tensor): ScheduleCoefficients {
  const c = coefficientsAt(scheduler, t);
  const dtype = x.dtype;
  return { alpha: c.alpha.to(dtype), sigma: c.sigma.to(dtype), dAlpha: c.dAlpha.to(dtype), dSigma: c.dSigma.to(dtype) };
}

/** The OT path: μ_t = t·x1, σ_t = 1 − (1 − σ_min)·t; σ_min defaults to 1e-4. */
export function otPath(opts: { sigmaMin?: number } = {}): AffinePath {
  return new AffinePath(new OTScheduler(checkOptions(opts, 'options')));
}

/** Reversed VE diffusion: μ_t = x1, σ_t = σ_min·(σ_max/σ_min)^(1−t); defaults σ_min = 0.01, σ_max = 50. */
export function veDiffusionPath(opts: { sigmaMin?: number; sigmaMax?: number } = {}): AffinePath {
  return new AffinePath(new VEScheduler(checkOptions(opts, 'options')));
}

/** Reversed VP diffusion: μ_t = α_{1−t}·x1, σ_t = sqrt(1 − α²_{1−t}); defaults β_min = 0.1, β_max = 20. */
export function vpDiffusionPath(opts: { betaMin?: number; betaMax?: number } = {}): AffinePath {
  return new AffinePath(new VPScheduler(checkOptions(opts, 'options')));
}
