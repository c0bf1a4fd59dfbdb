/**
 * native/ops_math.cpp: elementwise math, comparisons, reductions and linear algebra. The op
 * families of lib/op-table.ts are typed, and their export names listed, from the table itself.
 */
import {
  ALL_REDUCTIONS, BINARY_OPS, DIM_REDUCTIONS, DIMS_REDUCTIONS, EXTREMA, OUT_OPS, SPREAD_REDUCTIONS, UNARY_OPS,
  type AllReduction, type BinaryOp, type DimReduction, type DimsReduction, type Extremum, type OutOp, type ScalarFirstVariant,
  type ScalarVariant, type OutVariant, type SpreadReduction, type UnaryOp, opsOf, outVariant, scalarFirstVariant, scalarVariant,
} from '../op-table';
import { type DTypeCode, type Handle, type ScalarValue, exportNames } from './types';

/** max/min(t, null, false) over everything; (t, dim, keepdim) → [values, indices]. */
export interface NativeExtremum {
  (t: Handle, dim: null, keepdim: boolean): Handle;
  (t: Handle, dim: number, keepdim: boolean): [values: Handle, indices: Handle];
}

type TableBinding = { [K in UnaryOp]: (t: Handle) => Handle } & { [K in BinaryOp]: (a: Handle, b: Handle) => Handle } & {
  [K in BinaryOp as ScalarVariant<K>]: (a: Handle, b: ScalarValue) => Handle;
} & { [K in BinaryOp as ScalarFirstVariant<K>]: (a: ScalarValue, b: Handle) => Handle } & {
  /** out ← a ∘ b (out resized if needed). */
  [K in OutOp as OutVariant<K>]: (out: Handle, a: Handle, b: Handle) => void;
} & { [K in DimsReduction]: (t: Handle, dims: readonly number[] | null, keepdim: boolean) => Handle } & {
  [K in DimReduction]: (t: Handle, dim: number | null, keepdim: boolean) => Handle;
} & { [K in SpreadReduction]: (t: Handle, dims: readonly number[] | null, correction: number, keepdim: boolean) => Handle } & {
  [K in AllReduction]: (t: Handle) => Handle;
} & { [K in Extremum]: NativeExtremum };

export interface TensorOpsBinding extends TableBinding {
  /** a + alpha·b */
  addScaled(a: Handle, b: Handle, alpha: number): Handle;
  gelu(t: Handle, approximate: 'none' | 'tanh' | null): Handle;
  softplus(t: Handle, beta: number, threshold: number): Handle;
  clamp(t: Handle, min: number | null, max: number | null): Handle;
  where(condition: Handle, x: Handle, y: Handle): Handle;
  lerp(start: Handle, end: Handle, weight: number): Handle;
  allclose(a: Handle, b: Handle, rtol: number, atol: number): boolean;
  matmulOut(out: Handle, a: Handle, b: Handle): void;

  // In place: t keeps its handle and storage.
  addInPlace(t: Handle, other: Handle, alpha: number | null): void;
  addScalarInPlace(t: Handle, value: ScalarValue): void;
  subInPlace(t: Handle, other: Handle): void;
  mulInPlace(t: Handle, other: Handle): void;
  mulScalarInPlace(t: Handle, value: ScalarValue): void;
  divInPlace(t: Handle, other: Handle): void;
  divScalarInPlace(t: Handle, value: ScalarValue): void;
  zeroInPlace(t: Handle): void;
  fillInPlace(t: Handle, value: ScalarValue): void;
  copyInPlace(t: Handle, source: Handle): void;
  clampInPlace(t: Handle, min: number | null, max: number | null): void;
  /** t += value·a·b */
  addcmulInPlace(t: Handle, a: Handle, b: Handle, value: number): void;
  /** t += value·a/b */
  addcdivInPlace(t: Handle, a: Handle, b: Handle, value: number): void;
  lerpInPlace(t: Handle, end: Handle, weight: number): void;

  /** sum(t, dims | null, keepdim, dtype | null): dims null and keepdim false sums everything. */
  sum(t: Handle, dims: readonly number[] | null, keepdim: boolean, dtype: DTypeCode | null): Handle;
  /** The vector p-norm over dims (null: every dim); p may be Infinity. */
  norm(t: Handle, p: number, dims: readonly number[] | null, keepdim: boolean): Handle;
  cumsum(t: Handle, dim: number): Handle;

  matmul(a: Handle, b: Handle): Handle;
  mm(a: Handle, b: Handle): Handle;
  bmm(a: Handle, b: Handle): Handle;
  outer(a: Handle, b: Handle): Handle;
  einsum(equation: string, operands: readonly Handle[]): Handle;
  trace(t: Handle): Handle;
  diag(t: Handle, diagonal: number | null): Handle;
  /** Eigenvalues ascending, eigenvectors as columns. */
  eigh(t: Handle): [values: Handle, vectors: Handle];
  cholesky(t: Handle): Handle;
  inverse(t: Handle): Handle;
  slogdet(t: Handle): [sign: Handle, logabsdet: Handle];
}

type WrittenOut = Exclude<keyof TensorOpsBinding, keyof TableBinding>;
const WRITTEN_OUT = exportNames<Pick<TensorOpsBinding, WrittenOut>>({
  addScaled: true, gelu: true, softplus: true, clamp: true, where: true, lerp: true, allclose: true, matmulOut: true,
  addInPlace: true, addScalarInPlace: true, subInPlace: true, mulInPlace: true, mulScalarInPlace: true, divInPlace: true,
  divScalarInPlace: true, zeroInPlace: true, fillInPlace: true, copyInPlace: true, clampInPlace: true, addcmulInPlace: true,
  addcdivInPlace: true, lerpInPlace: true, sum: true, norm: true, cumsum: true, matmul: true, mm: true, bmm: true,
  outer: true, einsum: true, trace: true, diag: true, eigh: true, cholesky: true, inverse: true, slogdet: true,
});

const binary = opsOf(BINARY_OPS);
export const TENSOR_OPS_EXPORTS: readonly (keyof TensorOpsBinding)[] = [
  ...opsOf(UNARY_OPS),
  ...binary,
  ...binary.map(scalarVariant),
  ...binary.map(scalarFirstVariant),
  ...OUT_OPS.map(outVariant),
  ...opsOf(DIMS_REDUCTIONS),
  ...opsOf(DIM_REDUCTIONS),
  ...opsOf(SPREAD_REDUCTIONS),
  ...opsOf(ALL_REDUCTIONS),
  ...EXTREMA,
  ...WRITTEN_OUT,
];
