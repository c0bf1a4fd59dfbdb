/**
 * The op families, once: the elementwise ops (unary; binary with a tensor or a scalar on
 * either side; comparisons) and the reductions, each with the dtype of its result. From
 * this table come
 * - the Tensor methods and their types: tensor.ts installs them on Tensor.prototype and
 *   merges their mapped types (OpTableMethods) into the class;
 * - the free functions and their types: functional.ts makes exp(t), add(a, b), lt(a, 0), …
 *   for the elementwise families (reductions stay methods, t.sum(), as PyTorch code writes
 *   them; and `var` could not be an export);
 * - through the names, the native calls: each family's native signature is typed once in
 *   native/ops-math.ts, whose name lists `satisfies` below pins to this table (a name
 *   missing on either side, or an extra one, is a compile error), and test/native.test.ts
 *   pins those to what native/ops_math.cpp registers.
 *
 * Why a const object with mapped types and not a code generator: the table is an ordinary
 * value, so the methods, the free functions and the types are computed from the very object
 * they run from; there is no generated file to fall out of date and no build step to forget.
 * What mapped types cannot carry is per-method JSDoc; these ops are PyTorch's of the same
 * names, documented there.
 *
 * A result is the input's dtype ('input'), the one type promotion gives ('promoted'), or a
 * fixed one ('bool', 'int64'). Data only: this module loads nothing (importing flowmatch must
 * not load the addon), and it imports no Tensor, so that tensor.ts can import it.
 */
import {
  type AllReduction, type BinaryOp, type DimReduction, type DimsReduction, EXTREMUM_NAMES, OUT_OP_NAMES, type SpreadReduction, type UnaryOp,
} from './native/ops-math';

export {
  type AllReduction, type BinaryOp, type DimReduction, type DimsReduction, type Extremum, type OutOp, type SpreadReduction, type UnaryOp,
  outVariant, scalarFirstVariant, scalarVariant,
} from './native/ops-math';

export type ResultDType = 'input' | 'promoted' | 'bool' | 'int64';

/** t.op(), op(t): elementwise. */
export const UNARY_OPS = {
  neg: 'input', abs: 'input', square: 'input', relu: 'input', sign: 'input',
  floor: 'input', ceil: 'input', round: 'input', trunc: 'input',
  exp: 'promoted', exp2: 'promoted', log: 'promoted', log2: 'promoted', log1p: 'promoted', expm1: 'promoted',
  sqrt: 'promoted', rsqrt: 'promoted', reciprocal: 'promoted', erf: 'promoted',
  sin: 'promoted', cos: 'promoted', atan: 'promoted', asin: 'promoted', acos: 'promoted',
  sinh: 'promoted', cosh: 'promoted', tanh: 'promoted', sigmoid: 'promoted', silu: 'promoted',
  logicalNot: 'bool', isnan: 'bool', isinf: 'bool', isfinite: 'bool',
} as const satisfies Record<UnaryOp, ResultDType>;

/** a.op(b), op(a, b): elementwise with broadcasting; either side may be a JS number or boolean. */
export const BINARY_OPS = {
  add: 'promoted', sub: 'promoted', mul: 'promoted', div: 'promoted', pow: 'promoted',
  maximum: 'promoted', minimum: 'promoted', atan2: 'promoted', fmod: 'promoted', remainder: 'promoted',
  eq: 'bool', ne: 'bool', lt: 'bool', le: 'bool', gt: 'bool', ge: 'bool',
  logicalAnd: 'bool', logicalOr: 'bool', logicalXor: 'bool',
} as const satisfies Record<BinaryOp, ResultDType>;

/** The binary ops whose method also takes { out } (and add { alpha }). */
export const OUT_OPS = OUT_OP_NAMES;

/** t.op(dim?, { keepdim }) over one or several dims (every dim by default). */
export const DIMS_REDUCTIONS = {
  mean: 'promoted', logsumexp: 'promoted', amax: 'input', amin: 'input',
} as const satisfies Record<DimsReduction, ResultDType>;

/** t.op(dim?, { keepdim }) over one dim (every element by default). */
export const DIM_REDUCTIONS = {
  prod: 'promoted', argmax: 'int64', argmin: 'int64',
} as const satisfies Record<DimReduction, ResultDType>;

/** t.op(dim?, { keepdim, correction }): the spread, with Bessel's correction by default. */
export const SPREAD_REDUCTIONS = { var: 'promoted', std: 'promoted' } as const satisfies Record<SpreadReduction, ResultDType>;

/** t.op(): one boolean over every element. */
export const ALL_REDUCTIONS = { all: 'bool', any: 'bool' } as const satisfies Record<AllReduction, ResultDType>;

/** t.max() over everything, or t.max(dim) → { values, indices }. */
export const EXTREMA = EXTREMUM_NAMES;

// sum (which also takes a dtype), norm and the ops with parameters of their own (gelu,
// clamp, lerp, …) are written out in tensor.ts.

/** The keys of a table, typed. */
export function opsOf<T extends object>(table: T): (keyof T & string)[] {
  return Object.keys(table) as (keyof T & string)[];
}
