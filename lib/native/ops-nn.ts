/** native/ops_nn.cpp: the neural-network functionals of models written in TypeScript. */
import { type Handle, exportNames } from './types';

export type NativeReduction = 'mean' | 'sum' | 'none';
export type NativeInterpolateMode = 'nearest' | 'bilinear' | 'bicubic' | 'linear' | 'area';

export interface NnOpsBinding {
  /** x·Wᵀ + b */
  linear(x: Handle, weight: Handle, bias: Handle | null): Handle;
  conv2d(x: Handle, weight: Handle, bias: Handle | null, stride: readonly number[], padding: readonly number[], dilation: readonly number[], groups: number): Handle;
  groupNorm(x: Handle, numGroups: number, weight: Handle | null, bias: Handle | null, eps: number): Handle;
  layerNorm(x: Handle, normalizedShape: readonly number[], weight: Handle | null, bias: Handle | null, eps: number): Handle;
  softmax(x: Handle, dim: number): Handle;
  logSoftmax(x: Handle, dim: number): Handle;
  dropout(x: Handle, p: number, training: boolean): Handle;
  mseLoss(input: Handle, target: Handle, reduction: NativeReduction): Handle;
  crossEntropy(logits: Handle, target: Handle, reduction: NativeReduction): Handle;
  avgPool2d(x: Handle, kernel: readonly number[], stride: readonly number[]): Handle;
  maxPool2d(x: Handle, kernel: readonly number[], stride: readonly number[]): Handle;
  /** Exactly one of size and scale; alignCorners null for the modes without it. */
  interpolate(x: Handle, size: readonly number[] | null, scale: readonly number[] | null, mode: NativeInterpolateMode, alignCorners: boolean | null): Handle;
}

export const NN_OPS_EXPORTS = exportNames<NnOpsBinding>({
  linear: true, conv2d: true, groupNorm: true, layerNorm: true, softmax: true, logSoftmax: true, dropout: true,
  mseLoss: true, crossEntropy: true, avgPool2d: true, maxPool2d: true, interpolate: true,
});
