/** native/ops_shape.cpp: metadata, conversion, views, joining and splitting, indexing. */
import type { Device } from '../device';
import { type DTypeCode, type Handle, type ScalarValue, exportNames } from './types';

export interface ShapeBinding {
  sizes(t: Handle): number[];
  dtypeOf(t: Handle): DTypeCode;
  deviceOf(t: Handle): Device;
  numel(t: Handle): number;
  ndim(t: Handle): number;
  isContiguous(t: Handle): boolean;

  /** A copy with another dtype and/or on another device (null keeps it). */
  to(t: Handle, dtype: DTypeCode | null, device: Device | null): Handle;
  clone(t: Handle): Handle;
  contiguous(t: Handle): Handle;
  detach(t: Handle): Handle;

  reshape(t: Handle, shape: readonly number[]): Handle;
  view(t: Handle, shape: readonly number[]): Handle;
  flatten(t: Handle, startDim: number, endDim: number): Handle;
  permute(t: Handle, dims: readonly number[]): Handle;
  transpose(t: Handle, dim0: number, dim1: number): Handle;
  unsqueeze(t: Handle, dim: number): Handle;
  /** null squeezes every dim of size 1. */
  squeeze(t: Handle, dims: readonly number[] | null): Handle;
  expand(t: Handle, shape: readonly number[]): Handle;
  repeat(t: Handle, repeats: readonly number[]): Handle;
  flip(t: Handle, dims: readonly number[]): Handle;
  tril(t: Handle, diagonal: number): Handle;
  triu(t: Handle, diagonal: number): Handle;

  cat(tensors: readonly Handle[], dim: number): Handle;
  stack(tensors: readonly Handle[], dim: number): Handle;
  /** Pieces of the given section sizes along dim. */
  split(t: Handle, sections: readonly number[], dim: number): Handle[];
  chunk(t: Handle, chunks: number, dim: number): Handle[];
  unbind(t: Handle, dim: number): Handle[];

  narrow(t: Handle, dim: number, start: number, length: number): Handle;
  /** Python slice semantics for negative and out-of-range bounds. */
  slice(t: Handle, dim: number, start: number, end: number, step: number): Handle;
  select(t: Handle, dim: number, index: number): Handle;
  indexSelect(t: Handle, dim: number, index: Handle): Handle;
  gather(t: Handle, dim: number, index: Handle): Handle;
  scatterAdd(t: Handle, dim: number, index: Handle, src: Handle): Handle;
  maskedFill(t: Handle, mask: Handle, value: ScalarValue): Handle;
  maskedSelect(t: Handle, mask: Handle): Handle;
  /** t[indices] along dim 0, with an integer or boolean tensor. */
  indexTensor(t: Handle, indices: Handle): Handle;
  sort(t: Handle, dim: number, descending: boolean): [values: Handle, indices: Handle];
  topk(t: Handle, k: number, dim: number, largest: boolean): [values: Handle, indices: Handle];
}

export const SHAPE_EXPORTS = exportNames<ShapeBinding>({
  sizes: true, dtypeOf: true, deviceOf: true, numel: true, ndim: true, isContiguous: true, to: true, clone: true,
  contiguous: true, detach: true, reshape: true, view: true, flatten: true, permute: true, transpose: true, unsqueeze: true,
  squeeze: true, expand: true, repeat: true, flip: true, tril: true, triu: true, cat: true, stack: true, split: true,
  chunk: true, unbind: true, narrow: true, slice: true, select: true, indexSelect: true, gather: true, scatterAdd: true,
  maskedFill: true, maskedSelect: true, indexTensor: true, sort: true, topk: true,
});
