/** native/kernels.cpp: fused kernels of the solvers' and the trainer's inner loops. */
import { type DTypeCode, type Handle, exportNames } from './types';

export interface KernelsBinding {
  /** base + Σ coeffs[i]·terms[i], zero coefficients skipped. */
  linearCombination(base: Handle | null, terms: readonly Handle[], coeffs: readonly number[]): Handle;
  /** [σ·x0 + α·x1, σ'·x0 + α'·x1] in x1's dtype. */
  affineSample(x0: Handle, x1: Handle, alpha: Handle, sigma: Handle, dAlpha: Handle, dSigma: Handle): [xt: Handle, ut: Handle];
  /** [α, σ, α', σ'] of a built-in schedule (native/schedules.cpp) at t. */
  scheduleCoefficients(kind: string, a: number, b: number, t: Handle): [alpha: Handle, sigma: Handle, dAlpha: Handle, dSigma: Handle];
  /** A training draw along a built-in schedule: t given or sampled, then x0 given or N(0, I), then x_t and u_t. */
  affineTrainingDraw(
    x1: Handle, t: Handle | null, x0: Handle | null,
    samplerKind: string | null, samplerA: number, samplerB: number,
    scheduleKind: string, scheduleA: number, scheduleB: number,
  ): [t: Handle, xt: Handle, ut: Handle];
  /** base + Σ (weights[i]·h)·terms[i], torchdiffeq's order of operations. */
  stageSum(base: Handle | null, terms: readonly Handle[], weights: readonly number[], h: number): Handle;
  /** The SIMD width the single-pass stage sum reproduces for n terms of dtype; 0: libtorch ops. */
  stageSumLanes(dtype: DTypeCode, n: number): number;
  /** RMS(err / (atol + rtol·max(|y0|, |y1|))). */
  errorRatio(err: Handle, y0: Handle, y1: Handle, rtol: number, atol: number): number;
  errorRatioSinglePass(dtype: DTypeCode): boolean;
  rmsNorm(t: Handle): number;
  allFinite(t: Handle): boolean;
}

export const KERNELS_EXPORTS = exportNames<KernelsBinding>({
  linearCombination: true, affineSample: true, scheduleCoefficients: true, affineTrainingDraw: true, stageSum: true, stageSumLanes: true, errorRatio: true,
  errorRatioSinglePass: true, rmsNorm: true, allFinite: true,
});
