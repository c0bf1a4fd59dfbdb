/**
 * How the CFM loss draws t in [0, 1]. Each sampler returns a float32 Tensor of shape [n]. The
 * built-in ones also have a closed form, which lets the training draw sample t natively in
 * the same call as x0 and x_t (native/schedules.cpp, the same draws and bits).
 */
import { Tensor } from '../tensor';
import { rand, randn } from '../creation';
import { tidy } from '../scope';
import { checkNumber, checkOptions, fail } from '../validate';
import type { ClosedForm, TimeSamplerKind } from '../kernels';
import type { Device } from '../device';

export type TimeSampler = (n: number, device: Device) => Tensor;

// A function cannot be subclassed or given another body, so the sampler itself is the key.
const closedForms = new WeakMap<TimeSampler, ClosedForm<TimeSamplerKind>>();

/** The closed form of a built-in sampler, or undefined for a function of your own. */
export function samplerClosedForm(sampler: TimeSampler): ClosedForm<TimeSamplerKind> | undefined {
  return closedForms.get(sampler);
}

function withClosedForm(sampler: TimeSampler, form: ClosedForm<TimeSamplerKind>): TimeSampler {
  closedForms.set(sampler, form);
  return sampler;
}

/**
 * t ~ U[min, max]; U[0, 1] by default (the paper). A max just below 1 (say 1 − 1e-5) keeps
 * paths whose field diverges at the data end (reversed VP, linear-VP) finite.
 */
export function uniformTime(options: { min?: number; max?: number } = {}): TimeSampler {
  const opts = checkOptions(options, 'options');
  const min = checkNumber(opts.min ?? 0, 'min', { finite: true });
  const max = checkNumber(opts.max ?? 1, 'max', { finite: true });
  if (!(min >= 0 && min < max && max <= 1)) fail('0 ≤ min < max ≤ 1', '{min, max}', [min, max]);
  return withClosedForm((n, device) => tidy(() => rand([n], { device }).mul(max - min).add(min)), { kind: 'uniform', a: min, b: max });
}

/**
 * t = sigmoid(m + s·z), z ~ N(0, 1): the logit-normal density of Esser et al. (2024), which
 * puts more samples at intermediate times. Defaults m = 0, s = 1.
 */
export function logitNormalTime(options: { mean?: number; std?: number } = {}): TimeSampler {
  const opts = checkOptions(options, 'options');
  const mean = checkNumber(opts.mean ?? 0, 'mean', { finite: true });
  const std = checkNumber(opts.std ?? 1, 'std', { finite: true, positive: true });
  return withClosedForm((n, device) => tidy(() => randn([n], { device }).mul(std).add(mean).sigmoid()), { kind: 'logit-normal', a: mean, b: std });
}
