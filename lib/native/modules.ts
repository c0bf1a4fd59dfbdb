/**
 * native/modules.cpp (the models of native/mlp.cpp and native/unet.cpp): creation, forward
 * (synchronous and on the libuv thread pool), parameters as shared handles, modes, moves.
 */
import type { Device } from '../device';
import { type DTypeCode, type Handle, type ModelId, exportNames } from './types';

export type NativeActivation = 'silu' | 'relu' | 'tanh' | 'gelu' | 'softplus';

/** guided-diffusion's keys, every one present (lib/nn/unet.ts fills in the defaults). */
export interface NativeUNetConfig {
  in_channels: number;
  model_channels: number;
  out_channels: number;
  num_res_blocks: number;
  attention_resolutions: readonly number[];
  dropout: number;
  channel_mult: readonly number[];
  conv_resample: boolean;
  num_classes: number;
  num_heads: number;
  num_head_channels: number;
  num_heads_upsample: number;
  use_scale_shift_norm: boolean;
  resblock_updown: boolean;
  use_new_attention_order: boolean;
  cond_channels: number;
  /** Absent: true (configs saved before the key existed had the null class). */
  null_class?: boolean;
}

/** The leading arguments of every forward: model, x, t, labels, lowRes, autocast dtype. */
export type NativeForwardArgs = [id: ModelId, x: Handle, t: Handle, labels: Handle | null, lowRes: Handle | null, autocast: DTypeCode | null];

export interface ModulesBinding {
  createMLP(dim: number, hidden: readonly number[], activation: NativeActivation, timeEmbedDim: number): ModelId;
  createUNet(config: NativeUNetConfig): ModelId;
  modelForward(...args: NativeForwardArgs): Handle;
  /** mseLoss(v(x, t), target) in one call, v checked to have x's shape. */
  modelMseLoss(...args: [...NativeForwardArgs, target: Handle]): Handle;
  /** mseLoss(v(x_t, t), u_t) of one training draw along a built-in schedule (affineTrainingDraw's arguments), in one call. */
  modelCfmLoss(
    id: ModelId, x1: Handle, t: Handle | null, x0: Handle | null,
    samplerKind: string | null, samplerA: number, samplerB: number,
    scheduleKind: string, scheduleA: number, scheduleB: number,
    labels: Handle | null, lowRes: Handle | null,
  ): Handle;
  /** On the libuv pool with `threads` intra-op threads (null or 0: the worker's own). */
  modelForwardAsync(...args: [...NativeForwardArgs, threads: number | null]): Promise<Handle>;
  /** v and its divergence per sample: exact without probes, Hutchinson's estimate with them. */
  modelDivergenceAsync(...args: [...NativeForwardArgs, threads: number | null, probes: readonly Handle[] | null]): Promise<[v: Handle, divergence: Handle]>;
  /** One pool job of several forwards, each on its own rows. */
  modelForwardManyAsync(id: ModelId, xs: readonly Handle[], ts: readonly Handle[], labels: readonly Handle[] | null, lowRes: readonly Handle[] | null, autocast: DTypeCode | null, threads: number | null): Promise<Handle[]>;
  /** The parameters' names and handles sharing their storage (and .grad). */
  modelParameters(id: ModelId): [names: string[], handles: Handle[]];
  /** Copies the values into the named parameters. */
  modelAssign(id: ModelId, names: readonly string[], values: readonly Handle[]): void;
  modelSetTraining(id: ModelId, training: boolean): void;
  modelIsTraining(id: ModelId): boolean;
  /** Converts the parameters in place (handles stay attached); null keeps the dtype or device. */
  modelTo(id: ModelId, dtype: DTypeCode | null, device: Device | null): void;
  modelRelease(id: ModelId): void;
  /** Whether the batch-invariant serving forward can run this model (a CPU float32 MLP, silu or relu). */
  modelSupportsMergedForward(id: ModelId): boolean;
  /** v(x, t) without grad, each row's bits independent of the other rows (native/batch_invariant_linear.cpp). */
  modelForwardBatchInvariant(id: ModelId, x: Handle, t: Handle): Handle;
  /** Several evaluations as one batch-invariant forward over their rows, one pool job. */
  modelForwardMergedAsync(id: ModelId, xs: readonly Handle[], ts: readonly Handle[], threads: number | null): Promise<Handle[]>;
}

export const MODULES_EXPORTS = exportNames<ModulesBinding>({
  createMLP: true, createUNet: true, modelForward: true, modelMseLoss: true, modelCfmLoss: true, modelForwardAsync: true, modelDivergenceAsync: true,
  modelForwardManyAsync: true, modelParameters: true, modelAssign: true, modelSetTraining: true, modelIsTraining: true,
  modelTo: true, modelRelease: true, modelSupportsMergedForward: true, modelForwardBatchInvariant: true, modelForwardMergedAsync: true,
});
