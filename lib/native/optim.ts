/** native/optim.cpp: optimizer updates, gradient clipping and weight EMA over parameter lists. */
import { type Handle, exportNames } from './types';

export interface OptimBinding {
  /** PyTorch's fused Adam (decoupled false) or AdamW; parameters without a gradient are skipped. */
  adamStep(params: readonly Handle[], expAvg: readonly Handle[], expAvgSq: readonly Handle[], steps: readonly Handle[], lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, maximize: boolean): void;
  /** torch.optim.SGD; returns whether each momentum buffer is now seeded. */
  sgdStep(params: readonly Handle[], momentumBuffers: readonly Handle[], seeded: readonly number[], lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean, maximize: boolean): boolean[];
  /** The total norm before clipping. */
  clipGradNorm(params: readonly Handle[], maxNorm: number, normType: number): number;
  /** Drops the gradients (zero_grad(set_to_none=True)). */
  zeroGrad(params: readonly Handle[]): void;
  zerosLikeList(tensors: readonly Handle[]): Handle[];
  /** shadow ← decay·shadow + (1 − decay)·param */
  emaUpdate(shadow: readonly Handle[], params: readonly Handle[], decay: number): void;
}

export const OPTIM_EXPORTS = exportNames<OptimBinding>({
  adamStep: true, sgdStep: true, clipGradNorm: true, zeroGrad: true, zerosLikeList: true, emaUpdate: true,
});
