/** native/creation.cpp: tensors from JS data and from factories, and reading them back. */
import type { Device } from '../device';
import { type Bytes, type DTypeCode, type Handle, type ScalarValue, exportNames } from './types';

export interface CreationBinding {
  /** A copy of `data` read as `source` elements of `shape`, converted to `target` (null: source) on `device`. */
  fromBuffer(data: Bytes, source: DTypeCode, shape: readonly number[], target: DTypeCode | null, device: Device, requiresGrad: boolean): Handle;
  /** The elements of a contiguous CPU copy; float16 and bfloat16 come back as float32. */
  toBuffer(t: Handle): ArrayBuffer;
  /** The single element as a number (booleans as 0 or 1). */
  item(t: Handle): number;
  zeros(shape: readonly number[], dtype: DTypeCode | null, device: Device, requiresGrad: boolean): Handle;
  ones(shape: readonly number[], dtype: DTypeCode | null, device: Device, requiresGrad: boolean): Handle;
  empty(shape: readonly number[], dtype: DTypeCode | null, device: Device, requiresGrad: boolean): Handle;
  full(shape: readonly number[], value: ScalarValue, dtype: DTypeCode | null, device: Device): Handle;
  eye(n: number, m: number, dtype: DTypeCode | null, device: Device): Handle;
  arange(start: number, end: number, step: number, dtype: DTypeCode | null, device: Device): Handle;
  linspace(start: number, end: number, steps: number, dtype: DTypeCode | null, device: Device): Handle;
  rand(shape: readonly number[], dtype: DTypeCode | null, device: Device): Handle;
  randn(shape: readonly number[], dtype: DTypeCode | null, device: Device): Handle;
  randint(low: number, high: number, shape: readonly number[], dtype: DTypeCode | null, device: Device): Handle;
  /** A random permutation of 0..n-1, int64. */
  randperm(n: number, device: Device): Handle;
}

export const CREATION_EXPORTS = exportNames<CreationBinding>({
  fromBuffer: true, toBuffer: true, item: true, zeros: true, ones: true, empty: true, full: true, eye: true,
  arange: true, linspace: true, rand: true, randn: true, randint: true, randperm: true,
});
