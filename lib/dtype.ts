/** Dtypes, their codes shared with native/args.cpp, and the TypedArrays that hold them. */
import { fail } from './validate';

export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];
export type FloatDType = 'float32' | 'float64' | 'float16' | 'bfloat16';

/** The TypedArray that `data()` returns. float16 and bfloat16 come back as float32 (Node 20 has no Float16Array). */
export interface DataTypeMap {
  float32: Float32Array;
  float64: Float64Array;
  float16: Float32Array;
  bfloat16: Float32Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type DataFor<D extends DType> = DataTypeMap[D];

/** Bytes per element, as libtorch stores them. */
export const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, uint8: 1, bool: 1 };

const CODE: Record<DType, number> = Object.fromEntries(DTYPES.map((d, i) => [d, i])) as Record<DType, number>;

export function dtypeCode(dtype: DType): number {
  return CODE[dtype];
}

export function dtypeFromCode(code: number): DType {
  return DTYPES[code];
}

export function checkDType(value: unknown, name = 'dtype'): DType {
  if (typeof value !== 'string' || !(value in CODE)) fail(`a dtype (${DTYPES.join(', ')})`, name, value, 'ERR_DTYPE');
  return value as DType;
}

export function isFloating(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** The TypedArray class used to read back a tensor of `dtype` (after native conversion). */
export function readbackArray(dtype: DType, buffer: ArrayBuffer): DataFor<DType> {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
  }
}

/** The dtype a TypedArray's elements are, for tensor(typedArray). */
export function dtypeOfTypedArray(array: ArrayBufferView): DType | undefined {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Float64Array) return 'float64';
  if (array instanceof Int32Array) return 'int32';
  if (array instanceof BigInt64Array) return 'int64';
  if (array instanceof Uint8Array || array instanceof Uint8ClampedArray) return 'uint8';
  return undefined;
}
