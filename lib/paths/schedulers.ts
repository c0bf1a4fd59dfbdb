/**
 * Affine schedules x_t = α_t·x1 + σ_t·x0 (the family of Meta's flow_matching library, and of
 * every Gaussian path in Lipman et al. 2023, whose means are μ_t(x1) = α_t·x1). Each
 * scheduler maps a float64 time tensor to α_t, σ_t and their time derivatives, elementwise.
 * Time runs from t = 0 (noise) to t = 1 (data). Each coefficients() returns four tensors and
 * leaves no intermediate behind.
 *
 * The built-in schedules are closed forms evaluated in one native call (native/schedules.cpp,
 * the formulas quoted here); the training draw fuses them with the sampling of t and x0. A
 * Scheduler of your own is any object with coefficients(t) and runs as Tensor ops.
 */
import { Tensor, asTensor } from '../tensor';
import { type ClosedForm, type ScheduleKind, scheduleCoefficients } from '../kernels';
import { checkNumber, checkOptions, fail } from '../validate';

export interface ScheduleCoefficients {
  alpha: Tensor;
  sigma: Tensor;
  dAlpha: Tensor;
  dSigma: Tensor;
}

export interface Scheduler {
  readonly name: string;
  /** α_t, σ_t, dα/dt, dσ/dt for a float64 tensor of times (any shape). */
  coefficients(t: Tensor): ScheduleCoefficients;
}

/** A built-in schedule: its closed form by name and parameters, evaluated natively. */
export abstract class ClosedFormScheduler implements Scheduler {
  abstract readonly name: string;
  /** @internal The formula's name and parameters for native/schedules.cpp. */
  abstract readonly closedForm: ClosedForm<ScheduleKind>;
  coefficients(t: Tensor): ScheduleCoefficients {
    return scheduleCoefficients(this.closedForm, asTensor(t, 't'));
  }
}

/**
 * The closed form of a built-in scheduler, or undefined for any other (a user's Scheduler, or
 * a subclass that overrides coefficients(), whose formula is its own).
 */
export function closedFormOf(scheduler: Scheduler): ClosedForm<ScheduleKind> | undefined {
  return scheduler instanceof ClosedFormScheduler && scheduler.coefficients === ClosedFormScheduler.prototype.coefficients ? scheduler.closedForm : undefined;
}

/**
 * The OT path's schedule (Lipman et al. eq. 20): α_t = t, σ_t = 1 − (1 − σ_min)·t, so each
 * conditional flow is a straight line at constant speed. σ_min defaults to 1e-4, the paper's
 * choice for its image models; σ_min = 0 is CondOT (below).
 */
export class OTScheduler extends ClosedFormScheduler {
  readonly name = 'ot';
  readonly sigmaMin: number;
  constructor(opts: { sigmaMin?: number } = {}) {
    super();
    opts = checkOptions(opts, 'options');
    this.sigmaMin = checkNumber(opts.sigmaMin ?? 1e-4, 'sigmaMin', { finite: true });
    if (this.sigmaMin < 0 || this.sigmaMin >= 1) fail('a number in [0, 1)', 'sigmaMin', this.sigmaMin);
  }
  get closedForm(): ClosedForm<ScheduleKind> {
    return { kind: 'ot', a: this.sigmaMin, b: 0 };
  }
}

/** CondOT (flow_matching's CondOTScheduler): α_t = t, σ_t = 1 − t, the OT schedule with σ_min = 0. */
export function condOTScheduler(): OTScheduler {
  return new OTScheduler({ sigmaMin: 0 });
}

/** α_t = tⁿ, σ_t = 1 − tⁿ (n > 0; n = 1 is CondOT). For n < 1 the speed is infinite at t = 0. */
export class PolynomialScheduler extends ClosedFormScheduler {
  readonly name = 'polynomial';
  readonly n: number;
  constructor(n: number) {
    super();
    this.n = checkNumber(n, 'n', { finite: true, positive: true });
  }
  get closedForm(): ClosedForm<ScheduleKind> {
    return { kind: 'polynomial', a: this.n, b: 0 };
  }
}

/** α_t = sin(πt/2), σ_t = cos(πt/2): α² + σ² = 1 at every t (variance preserving). */
export class CosineScheduler extends ClosedFormScheduler {
  readonly name = 'cosine';
  get closedForm(): ClosedForm<ScheduleKind> {
    return { kind: 'cosine', a: 0, b: 0 };
  }
}

/**
 * Linear variance preserving: α_t = t, σ_t = sqrt(1 − t²). 1 − t² is formed as (1 − t)(1 + t)
 * to keep its digits near t = 1, where dσ/dt = −t/σ_t diverges.
 */
export class LinearVPScheduler extends ClosedFormScheduler {
  readonly name = 'linear-vp';
  get closedForm(): ClosedForm<ScheduleKind> {
    return { kind: 'linear-vp', a: 0, b: 0 };
  }
}

/**
 * Reversed VP diffusion (Lipman et al. eq. 19, Song et al. 2021): with s = 1 − t,
 * α_t = exp(−½·T(s)), T(s) = ∫_0^s β(r) dr = β_min·s + ½(β_max − β_min)·s², β linear from
 * β_min = 0.1 to β_max = 20; σ_t = sqrt(1 − α_t²).
 * σ_t is computed as sqrt(−expm1(−T)), exact near t = 1 where 1 − α² cancels. At t = 1
 * exactly σ = 0 and dσ/dt = −∞ (the diffusion's data end is singular); at t = 0,
 * α_0 = exp(−5.025) ≈ 0.0066, so p_0 is N(0, I) only approximately.
 */
export class VPScheduler extends ClosedFormScheduler {
  readonly name = 'vp';
  readonly betaMin: number;
  readonly betaMax: number;
  constructor(opts: { betaMin?: number; betaMax?: number } = {}) {
    super();
    opts = checkOptions(opts, 'options');
    this.betaMin = checkNumber(opts.betaMin ?? 0.1, 'betaMin', { finite: true, positive: true });
    this.betaMax = checkNumber(opts.betaMax ?? 20, 'betaMax', { finite: true, positive: true });
  }
  get closedForm(): ClosedForm<ScheduleKind> {
    return { kind: 'vp', a: this.betaMin, b: this.betaMax };
  }
}

/**
 * Reversed VE diffusion (Lipman et al. eq. 18, Song et al. 2021): μ_t = x1 (α = 1) and
 * σ_t = σ_{1−t} with the geometric noise scale σ_s = σ_min·(σ_max/σ_min)^s. Defaults
 * σ_min = 0.01, σ_max = 50 (Song et al.'s small-data choices; use σ_max of the order of the
 * largest distance between data points). p_0 is N(x1, σ_max²·I), not N(0, I): sampling
 * starts from σ_max·x0.
 */
export class VEScheduler extends ClosedFormScheduler {
  readonly name = 've';
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  constructor(opts: { sigmaMin?: number; sigmaMax?: number } = {}) {
    super();
    opts = checkOptions(opts, 'options');
    this.sigmaMin = checkNumber(opts.sigmaMin ?? 0.01, 'sigmaMin', { finite: true, positive: true });
    this.sigmaMax = checkNumber(opts.sigmaMax ?? 50, 'sigmaMax', { finite: true, positive: true });
    if (this.sigmaMax <= this.sigmaMin) fail(`a number greater than sigmaMin (${this.sigmaMin})`, 'sigmaMax', this.sigmaMax);
  }
  /** log(σ_max/σ_min) is taken here, so the native side needs no logarithm of its own. */
  get closedForm(): ClosedForm<ScheduleKind> {
    return { kind: 've', a: this.sigmaMin, b: Math.log(this.sigmaMax / this.sigmaMin) };
  }
}
