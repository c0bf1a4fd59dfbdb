/** native/optim.cpp: optimizer updates over parameter groups, gradient clipping and weight EMA over parameter lists. */
import { type Handle, type ParameterGroupId, exportNames } from './types';

export interface OptimBinding {
  /** Registers the parameters and up to three state lists (one tensor per parameter each). */
  parameterGroupCreate(params: readonly Handle[], state0: readonly Handle[] | null, state1: readonly Handle[] | null, state2: readonly Handle[] | null): ParameterGroupId;
  parameterGroupRelease(group: ParameterGroupId): void;
  /** PyTorch's fused Adam (decoupled false) or AdamW over a group whose state is [expAvg, expAvgSq, steps]; parameters without a gradient are skipped. */
  adamStep(group: ParameterGroupId, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, maximize: boolean): void;
  /** torch.optim.SGD over a group whose state is [momentumBuffers] (none without momentum); returns whether each buffer is now seeded. */
  sgdStep(group: ParameterGroupId, seeded: readonly number[], lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean, maximize: boolean): boolean[];
  /** The total norm before clipping. */
  clipGradNorm(params: readonly Handle[], maxNorm: number, normType: number): number;
  /** Drops the group's gradients (zero_grad(set_to_none=True)). */
  zeroGrad(group: ParameterGroupId): void;
  zerosLikeList(tensors: readonly Handle[]): Handle[];
  /** shadow ← decay·shadow + (1 − decay)·param */
  emaUpdate(shadow: readonly Handle[], params: readonly Handle[], decay: number): void;
}

export const OPTIM_EXPORTS = exportNames<OptimBinding>({
  parameterGroupCreate: true, parameterGroupRelease: true, adamStep: true, sgdStep: true, clipGradNorm: true, zeroGrad: true, zerosLikeList: true, emaUpdate: true,
});
