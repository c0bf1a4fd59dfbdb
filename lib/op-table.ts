/**
 * The op families, once: the elementwise ops (unary; binary with a tensor or a scalar on
 * either side; comparisons) and the reductions. From this table come
 * - the Tensor methods and their types (tensor.ts installs them on Tensor.prototype and
 *   merges OpTableMethods into the class type),
 * - the free functions and their types (functional.ts: add(a, b), exp(t), …, for the
 *   elementwise families),
 * - the native binding of these ops, types and export names (binding/ops-math.ts), which
 *   test/native.test.ts compares with what native/ops_math.cpp registers.
 *
 * Why a const object with mapped types and not a code generator: the table is an ordinary
 * value, so the methods, the free functions and the binding read the very object the types
 * are computed from, and nothing can drift between a generated file and its source; there is
 * no build step to forget. The one thing mapped types cannot carry is per-method JSDoc, and
 * these ops are PyTorch's of the same name, documented there.
 *
 * Each entry names the dtype of the result: the input's ('input'), the one type promotion
 * gives ('promoted'), or a fixed one ('bool', 'int64'). Export names are camelCase, native
 * and JS alike: a binary op `name` is registered as name (tensor∘tensor), nameScalar
 * (tensor∘scalar) and scalarName (scalar∘tensor).
 *
 * This file holds data and types only: it loads nothing, so importing flowmatch stays free.
 */
import type { Tensor, TensorOrScalar, ReduceOptions } from './tensor';
import type { DType } from './dtype';

export type ResultDType = 'input' | 'promoted' | 'bool' | 'int64';

/** t → op(t), elementwise. */
export const UNARY_OPS = {
  neg: 'input', abs: 'input', square: 'input', relu: 'input', sign: 'input',
  floor: 'input', ceil: 'input', round: 'input', trunc: 'input',
  exp: 'promoted', exp2: 'promoted', log: 'promoted', log2: 'promoted', log1p: 'promoted', expm1: 'promoted',
  sqrt: 'promoted', rsqrt: 'promoted', reciprocal: 'promoted', erf: 'promoted',
  sin: 'promoted', cos: 'promoted', atan: 'promoted', asin: 'promoted', acos: 'promoted',
  sinh: 'promoted', cosh: 'promoted', tanh: 'promoted', sigmoid: 'promoted', silu: 'promoted',
  logicalNot: 'bool', isnan: 'bool', isinf: 'bool', isfinite: 'bool',
} as const satisfies Record<string, ResultDType>;

/** (a, b) → a ∘ b, elementwise with broadcasting; either side may be a JS number or boolean. */
export const BINARY_OPS = {
  add: 'promoted', sub: 'promoted', mul: 'promoted', div: 'promoted', pow: 'promoted',
  maximum: 'promoted', minimum: 'promoted', atan2: 'promoted', fmod: 'promoted', remainder: 'promoted',
  eq: 'bool', ne: 'bool', lt: 'bool', le: 'bool', gt: 'bool', ge: 'bool',
  logicalAnd: 'bool', logicalOr: 'bool', logicalXor: 'bool',
} as const satisfies Record<string, ResultDType>;

/** Binary ops whose method also writes into a given tensor: t.add(b, { out }) (native nameOut). */
export const OUT_OPS = ['add', 'sub', 'mul', 'div'] as const satisfies readonly BinaryOp[];

/** t.op(dim?, { keepdim }) over one or several dims (every dim by default). */
export const DIMS_REDUCTIONS = {
  mean: 'promoted', logsumexp: 'promoted', amax: 'input', amin: 'input',
} as const satisfies Record<string, ResultDType>;

/** t.op(dim?, { keepdim }) over one dim (every element by default). */
export const DIM_REDUCTIONS = {
  prod: 'promoted', argmax: 'int64', argmin: 'int64',
} as const satisfies Record<string, ResultDType>;

/** t.op(dim?, { keepdim, correction }): spread with Bessel's correction by default. */
export const SPREAD_REDUCTIONS = { var: 'promoted', std: 'promoted' } as const satisfies Record<string, ResultDType>;

/** t.op(): one boolean over every element. */
export const ALL_REDUCTIONS = { all: 'bool', any: 'bool' } as const satisfies Record<string, ResultDType>;

/** t.max() over everything, or t.max(dim) → { values, indices }. */
export const EXTREMA = ['max', 'min'] as const;

// sum (which also takes a dtype) and the ops with parameters of their own (gelu, clamp,
// lerp, …) are written out in tensor.ts.

export type UnaryOp = keyof typeof UNARY_OPS;
export type BinaryOp = keyof typeof BINARY_OPS;
export type OutOp = (typeof OUT_OPS)[number];
export type DimsReduction = keyof typeof DIMS_REDUCTIONS;
export type DimReduction = keyof typeof DIM_REDUCTIONS;
export type SpreadReduction = keyof typeof SPREAD_REDUCTIONS;
export type AllReduction = keyof typeof ALL_REDUCTIONS;
export type Extremum = (typeof EXTREMA)[number];

/** The native export of a binary op with a scalar second operand: addScalar. */
export type ScalarVariant<K extends BinaryOp> = `${K}Scalar`;
/** The native export of a binary op with a scalar first operand: scalarAdd. */
export type ScalarFirstVariant<K extends BinaryOp> = `scalar${Capitalize<K>}`;
/** The native export of an op writing into a given tensor: addOut. */
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

/** The keys of a table, typed. */
export function opsOf<T extends object>(table: T): (keyof T & string)[] {
  return Object.keys(table) as (keyof T & string)[];
}

// ---- types derived from the table ----------------------------------------------------------

/** The result type of an op of result kind R on a Tensor<D>. */
export type Result<R extends ResultDType, D extends DType> = R extends 'input'
  ? Tensor<D>
  : R extends 'bool'
    ? Tensor<'bool'>
    : R extends 'int64'
      ? Tensor<'int64'>
      : Tensor;

export interface AddOptions {
  /** a + alpha·b (b a tensor). */
  alpha?: number;
  /** Write the result into this tensor (resized if needed) and return it. */
  out?: Tensor;
}
export interface OutOptions {
  /** Write the result into this tensor (resized if needed) and return it. */
  out?: Tensor;
}
type BinaryMethodOptions<K extends BinaryOp> = K extends 'add' ? AddOptions : K extends OutOp ? OutOptions : never;

type UnaryMethods<D extends DType> = { [K in UnaryOp]: () => Result<(typeof UNARY_OPS)[K], D> };
type BinaryMethods = {
  [K in BinaryOp]: [BinaryMethodOptions<K>] extends [never]
    ? (other: TensorOrScalar) => Result<(typeof BINARY_OPS)[K], DType>
    : (other: TensorOrScalar, opts?: BinaryMethodOptions<K>) => Result<(typeof BINARY_OPS)[K], DType>;
};
type DimsReductionMethods<D extends DType> = {
  [K in DimsReduction]: (dim?: number | number[] | null, opts?: ReduceOptions) => Result<(typeof DIMS_REDUCTIONS)[K], D>;
};
type DimReductionMethods<D extends DType> = {
  [K in DimReduction]: (dim?: number | null, opts?: ReduceOptions) => Result<(typeof DIM_REDUCTIONS)[K], D>;
};
type SpreadMethods<D extends DType> = {
  [K in SpreadReduction]: (dim?: number | number[] | null, opts?: ReduceOptions & { correction?: number }) => Result<(typeof SPREAD_REDUCTIONS)[K], D>;
};
type AllMethods<D extends DType> = { [K in AllReduction]: () => Result<(typeof ALL_REDUCTIONS)[K], D> };
/** max() → the largest element; max(dim) → the largest along dim and where it is. */
export interface ExtremumMethod {
  (): Tensor;
  (dim: number, opts?: ReduceOptions): { values: Tensor; indices: Tensor<'int64'> };
}
type ExtremumMethods = { [K in Extremum]: ExtremumMethod };

/** The methods the table gives Tensor<D> (merged into the class in tensor.ts). */
export type OpTableMethods<D extends DType> = UnaryMethods<D> &
  BinaryMethods &
  DimsReductionMethods<D> &
  DimReductionMethods<D> &
  SpreadMethods<D> &
  AllMethods<D> &
  ExtremumMethods;

/** The free functions the table gives functional.ts: exp(t), add(a, b), … */
export type OpTableFunctions = { [K in UnaryOp]: <D extends DType>(input: Tensor<D>) => Result<(typeof UNARY_OPS)[K], D> } & {
  [K in BinaryOp]: (a: TensorOrScalar, b: TensorOrScalar) => Result<(typeof BINARY_OPS)[K], DType>;
};
