/**
 * Typed wrappers of the fused solver kernels (native/kernels.cpp): one native call per
 * Runge–Kutta stage sum or error norm, however many terms it has (native/solver_kernels.cpp).
 */
import { native } from './native';
import { Tensor, asTensor } from './tensor';
import { checkNumber, checkInt, fail } from './validate';
import { type DType, checkDType, dtypeCode } from './dtype';

/** base + Σ coeffs[i]·terms[i] (zero coefficients are skipped); base may be null. */
export function linearCombination(base: Tensor | null, terms: Tensor[], coeffs: number[]): Tensor {
  if (!Array.isArray(terms)) fail('an array of Tensors', 'terms', terms);
  if (!Array.isArray(coeffs) || coeffs.length !== terms.length) fail(`an array of ${terms.length} numbers (one per term)`, 'coeffs', coeffs);
  coeffs.forEach((c, i) => checkNumber(c, `coeffs[${i}]`, { finite: true }));
  const handles = terms.map((t, i) => asTensor(t, `terms[${i}]`)._h);
  return new Tensor(native.linearCombination(base === null ? null : asTensor(base, 'base')._h, handles, coeffs));
}

/**
 * base + Σ (weights[i]·h)·terms[i] with torchdiffeq's operation order (coefficients in the
 * terms' dtype, stages stacked on a new last dim, multiplied, summed over it, added to base);
 * every weight counts, zeros included. The Runge–Kutta core uses it so that adaptive steps
 * match torchdiffeq bit for bit. base may be null.
 */
export function stageSum(base: Tensor | null, terms: Tensor[], weights: readonly number[], h: number): Tensor {
  if (!Array.isArray(terms) || terms.length === 0) fail('a non-empty array of Tensors', 'terms', terms);
  if (!Array.isArray(weights) || weights.length !== terms.length) fail(`an array of ${terms.length} numbers (one per term)`, 'weights', weights);
  const handles = terms.map((t, i) => asTensor(t, `terms[${i}]`)._h);
  return new Tensor(native.stageSum(base === null ? null : asTensor(base, 'base')._h, handles, weights, checkNumber(h, 'h')));
}

/**
 * The SIMD width (in elements) at which the native single-pass stage sum reproduces
 * libtorch's stack·mul·sum for n terms of `dtype` on this CPU, or 0 where stageSum runs
 * as libtorch ops instead (checked once per dtype and n). For tests and diagnostics.
 */
export function stageSumLanes(dtype: DType, n: number): number {
  return native.stageSumLanes(dtypeCode(checkDType(dtype, 'dtype')), checkInt(n, 'n', 1, 1024));
}

/**
 * Whether the native single-pass error ratio reproduces libtorch's expression for `dtype`
 * on this machine (checked once against libtorch itself); where it does not, errorRatio
 * runs as libtorch ops. For tests and diagnostics.
 */
export function errorRatioSinglePass(dtype: DType): boolean {
  return native.errorRatioSinglePass(dtypeCode(checkDType(dtype, 'dtype')));
}

/** RMS of err / (atol + rtol·max(|y0|, |y1|)): the step-size controller's error ratio. */
export function errorRatio(err: Tensor, y0: Tensor, y1: Tensor, rtol: number, atol: number): number {
  return native.errorRatio(asTensor(err, 'err')._h, asTensor(y0, 'y0')._h, asTensor(y1, 'y1')._h, checkNumber(rtol, 'rtol'), checkNumber(atol, 'atol'));
}

/** sqrt(mean(t²)) as a number. */
export function rmsNorm(t: Tensor): number {
  return native.rmsNorm(asTensor(t, 't')._h);
}

/** Whether every element is finite (no NaN, no ±Inf). */
export function allFinite(t: Tensor): boolean {
  return native.allFinite(asTensor(t, 't')._h);
}
