/**
 * native/ops_math.cpp: elementwise math, comparisons, reductions and linear algebra. The op
 * families are typed, and their export names listed, from the name lists below (the
 * X-macro lists of ops_math.cpp, in TypeScript); lib/op-table.ts gives each its JS surface.
 */
import { type DTypeCode, type Handle, type ScalarValue, exportNames } from './types';

/** t → op(t), elementwise. */
const UNARY_OP_NAMES = [
  'neg', 'abs', 'square', 'relu', 'sign', 'floor', 'ceil', 'round', 'trunc', 'exp', 'exp2', 'log', 'log2', 'log1p', 'expm1',
  'sqrt', 'rsqrt', 'reciprocal', 'erf', 'sin', 'cos', 'atan', 'asin', 'acos', 'sinh', 'cosh', 'tanh', 'sigmoid', 'silu',
  'logicalNot', 'isnan', 'isinf', 'isfinite',
] as const;
/** a ∘ b, each registered three times: name(a, b), nameScalar(t, s), scalarName(s, t). */
const BINARY_OP_NAMES = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'fmod', 'remainder',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor',
] as const;
/** Binary ops with a form that writes into a given tensor: nameOut(out, a, b). */
export const OUT_OP_NAMES = ['add', 'sub', 'mul', 'div'] as const satisfies readonly BinaryOp[];
/** (t, dims | null, keepdim) */
const DIMS_REDUCTION_NAMES = ['mean', 'logsumexp', 'amax', 'amin'] as const;
/** (t, dim | null, keepdim) */
const DIM_REDUCTION_NAMES = ['prod', 'argmax', 'argmin'] as const;
/** (t, dims | null, correction, keepdim) */
const SPREAD_REDUCTION_NAMES = ['var', 'std'] as const;
/** (t) → one boolean */
const ALL_REDUCTION_NAMES = ['all', 'any'] as const;
/** (t, null, false) → the extreme element; (t, dim, keepdim) → [values, indices] */
export const EXTREMUM_NAMES = ['max', 'min'] as const;

export type UnaryOp = (typeof UNARY_OP_NAMES)[number];
export type BinaryOp = (typeof BINARY_OP_NAMES)[number];
export type OutOp = (typeof OUT_OP_NAMES)[number];
export type DimsReduction = (typeof DIMS_REDUCTION_NAMES)[number];
export type DimReduction = (typeof DIM_REDUCTION_NAMES)[number];
export type SpreadReduction = (typeof SPREAD_REDUCTION_NAMES)[number];
export type AllReduction = (typeof ALL_REDUCTION_NAMES)[number];
export type Extremum = (typeof EXTREMUM_NAMES)[number];

/** The export of a binary op with a scalar second operand: addScalar. */
export type ScalarVariant<K extends BinaryOp> = `${K}Scalar`;
/** The export of a binary op with a scalar first operand: scalarAdd. */
export type ScalarFirstVariant<K extends BinaryOp> = `scalar${Capitalize<K>}`;
/** The export of an op writing into a given tensor: addOut. */
export type OutVariant<K extends OutOp> = `${K}Out`;

export function scalarVariant<K extends BinaryOp>(op: K): ScalarVariant<K> {
  return `${op}Scalar`;
}
export function scalarFirstVariant<K extends BinaryOp>(op: K): ScalarFirstVariant<K> {
  return `scalar${op[0].toUpperCase()}${op.slice(1)}` as ScalarFirstVariant<K>;
}
export function outVariant<K extends OutOp>(op: K): OutVariant<K> {
  return `${op}Out`;
}

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

export const TENSOR_OPS_EXPORTS: readonly (keyof TensorOpsBinding)[] = [
  ...UNARY_OP_NAMES,
  ...BINARY_OP_NAMES,
  ...BINARY_OP_NAMES.map(scalarVariant),
  ...BINARY_OP_NAMES.map(scalarFirstVariant),
  ...OUT_OP_NAMES.map(outVariant),
  ...DIMS_REDUCTION_NAMES,
  ...DIM_REDUCTION_NAMES,
  ...SPREAD_REDUCTION_NAMES,
  ...ALL_REDUCTION_NAMES,
  ...EXTREMUM_NAMES,
  ...WRITTEN_OUT,
];
