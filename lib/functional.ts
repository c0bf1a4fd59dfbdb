/**
 * Free-function forms of the tensor ops (add(a, b), exp(t), cat([...]), where(...)) and the
 * neural-network functionals used by models written in TypeScript. The elementwise ones come
 * from the op table (op-table.ts), as the Tensor methods of the same names do.
 */
import { type Handle, native } from './native';
import { type OpResult, Tensor, type TensorOrScalar, asTensor, binaryOp, handleOf, handlesOf, live, scalar, unaryOp } from './tensor';
import { BINARY_OPS, type BinaryOp, type UnaryOp, UNARY_OPS, opsOf } from './op-table';
import { checkBool, checkInt, checkNumber, checkOneOf, checkOptions, checkShape, fail } from './validate';
import { ShapeError } from './errors';
import { type DType, dtypeCode } from './dtype';

/** The handle of an optional tensor argument of `op`: null when it is null or undefined. */
function optionalHandle(value: unknown, name: string, op: string, position: number): Handle | null {
  return value === null || value === undefined ? null : handleOf(value, name, op, position);
}

function tensorList(list: unknown, name: string, op: string, position = 0): Handle[] {
  if (!Array.isArray(list) || list.length === 0) fail('a non-empty array of Tensors', name, list);
  return handlesOf(list, name, op, position);
}

/** The free functions the op table gives: exp(t), add(a, b), lt(a, 0), … */
export type OpTableFunctions = { [K in UnaryOp]: <D extends DType>(input: Tensor<D>) => OpResult<(typeof UNARY_OPS)[K], D> } & {
  [K in BinaryOp]: (a: TensorOrScalar, b: TensorOrScalar) => OpResult<(typeof BINARY_OPS)[K], DType>;
};

function unaryFunction(op: UnaryOp): (input: unknown) => Tensor {
  const run = unaryOp(op);
  return (input) => run(asTensor(input, 'input'));
}
/** `fn` named `name`, for stack traces. */
function named<F extends object>(name: string, fn: F): [string, F] {
  return [name, Object.defineProperty(fn, 'name', { value: name })];
}
const TABLE_FUNCTIONS = Object.fromEntries([
  ...opsOf(UNARY_OPS).map((op) => named(op, unaryFunction(op))),
  ...opsOf(BINARY_OPS).map((op) => named(op, binaryOp(op))),
]) as unknown as OpTableFunctions;

export const {
  neg, abs, square, relu, sign, floor, ceil, round, trunc, exp, exp2, log, log2, log1p, expm1, sqrt, rsqrt, reciprocal, erf,
  sin, cos, atan, asin, acos, sinh, cosh, tanh, sigmoid, silu, logicalNot, isnan, isinf, isfinite,
  add, sub, mul, div, pow, maximum, minimum, atan2, fmod, remainder, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalXor,
} = TABLE_FUNCTIONS;
// test/op-table.test.ts checks that every op of the table is exported here.

export const matmul = (a: Tensor, b: Tensor): Tensor => asTensor(a, 'a').matmul(b);
export const bmm = (a: Tensor, b: Tensor): Tensor => asTensor(a, 'a').bmm(b);

/** Elementwise choice: condition ? x : y (scalars allowed for x and y). */
export function where(condition: Tensor, x: TensorOrScalar, y: TensorOrScalar): Tensor {
  const c = asTensor(condition, 'condition');
  // Both branches are checked before either scalar becomes a tensor, and the temporaries
  // are released whichever step fails.
  const xs = x instanceof Tensor ? x : scalar(x, 'x');
  const ys = y instanceof Tensor ? y : scalar(y, 'y');
  const temps: Tensor[] = [];
  const wrap = (v: Tensor | number | boolean): Tensor => {
    if (v instanceof Tensor) return v;
    const t = new Tensor(scalarTensor(v));
    temps.push(t);
    return t;
  };
  try {
    return new Tensor(native.where(live(c, 'where'), live(wrap(xs), 'where', 1), live(wrap(ys), 'where', 2)));
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** A 0-dim CPU tensor: in type promotion 0-dim tensors rank below dimensioned ones, like Python scalars. */
function scalarTensor(value: number | boolean): Handle {
  const code = dtypeCode(typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : 'float32');
  return native.full([], value, code, 'cpu');
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensorList(tensors, 'tensors', 'cat'), checkInt(dim, 'dim')));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensorList(tensors, 'tensors', 'stack'), checkInt(dim, 'dim')));
}
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== 'string') fail('an einsum equation string', 'equation', equation);
  return new Tensor(native.einsum(equation, tensorList(operands, 'operands', 'einsum', 1)));
}

// ---- neural-network functionals -------------------------------------------------------

/** y = x·Wᵀ + b */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(handleOf(x, 'x', 'linear'), handleOf(weight, 'weight', 'linear', 1), optionalHandle(bias, 'bias', 'linear', 2)));
}
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: { stride?: number; padding?: number; dilation?: number; groups?: number } = {}): Tensor {
  const o = checkOptions(opts, 'opts');
  const pair = (v: number | undefined, d: number, name: string): number[] => {
    const n = checkInt(v ?? d, name, 0);
    return [n, n];
  };
  return new Tensor(
    native.conv2d(handleOf(x, 'x', 'conv2d'), handleOf(weight, 'weight', 'conv2d', 1), optionalHandle(bias, 'bias', 'conv2d', 2),
      pair(o.stride, 1, 'stride'), pair(o.padding, 0, 'padding'), pair(o.dilation, 1, 'dilation'), checkInt(o.groups ?? 1, 'groups', 1)),
  );
}
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return new Tensor(native.groupNorm(handleOf(x, 'x', 'groupNorm'), checkInt(numGroups, 'numGroups', 1), optionalHandle(weight, 'weight', 'groupNorm', 2), optionalHandle(bias, 'bias', 'groupNorm', 3), checkNumber(eps, 'eps')));
}
export function layerNorm(x: Tensor, normalizedShape: number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(handleOf(x, 'x', 'layerNorm'), checkShape(normalizedShape, 'normalizedShape'), optionalHandle(weight, 'weight', 'layerNorm', 2), optionalHandle(bias, 'bias', 'layerNorm', 3), checkNumber(eps, 'eps')));
}
export function softmax(x: Tensor, dim: number): Tensor {
  return new Tensor(native.softmax(handleOf(x, 'x', 'softmax'), checkInt(dim, 'dim')));
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return new Tensor(native.logSoftmax(handleOf(x, 'x', 'logSoftmax'), checkInt(dim, 'dim')));
}
export function dropout(x: Tensor, p: number, training = true): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) fail('a probability in [0, 1]', 'p', p);
  return new Tensor(native.dropout(handleOf(x, 'x', 'dropout'), p, checkBool(training, 'training')));
}
const REDUCTIONS = ['mean', 'sum', 'none'] as const;
type Reduction = (typeof REDUCTIONS)[number];
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  const a = asTensor(input, 'input');
  const b = asTensor(target, 'target');
  const sa = a.shape;
  const sb = b.shape;
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new ShapeError('ERR_SHAPE', `mseLoss: input shape [${sa}] and target shape [${sb}] differ`);
  }
  return new Tensor(native.mseLoss(live(a, 'mseLoss'), live(b, 'mseLoss', 1), checkOneOf(reduction, REDUCTIONS, 'reduction')));
}
export function crossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.crossEntropy(handleOf(logits, 'logits', 'crossEntropy'), handleOf(target, 'target', 'crossEntropy', 1), checkOneOf(reduction, REDUCTIONS, 'reduction')));
}
export function avgPool2d(x: Tensor, kernel: number, stride = kernel): Tensor {
  return new Tensor(native.avgPool2d(handleOf(x, 'x', 'avgPool2d'), [checkInt(kernel, 'kernel', 1), kernel], [checkInt(stride, 'stride', 1), stride]));
}
export function maxPool2d(x: Tensor, kernel: number, stride = kernel): Tensor {
  return new Tensor(native.maxPool2d(handleOf(x, 'x', 'maxPool2d'), [checkInt(kernel, 'kernel', 1), kernel], [checkInt(stride, 'stride', 1), stride]));
}

export type InterpolateMode = 'nearest' | 'bilinear' | 'bicubic' | 'linear' | 'area';
/** Resize spatial dims to `size` or by `scaleFactor` (exactly one of them). */
export function interpolate(x: Tensor, opts: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean }): Tensor {
  const t = asTensor(x, 'x');
  opts = checkOptions(opts, 'interpolate options');
  const spatial = t.ndim - 2;
  if (spatial < 1) fail('a tensor of shape [N, C, ...spatial]', 'x', t.shape, 'ERR_SHAPE');
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) fail('exactly one of size and scaleFactor', 'interpolate options', opts);
  const mode = checkOneOf(opts.mode ?? 'nearest', ['nearest', 'bilinear', 'bicubic', 'linear', 'area'] as const, 'mode');
  const expand = (v: number | number[]): number[] => (typeof v === 'number' ? new Array(spatial).fill(v) : v);
  const size = opts.size === undefined ? null : checkShape(expand(opts.size), 'size');
  const scale = opts.scaleFactor === undefined ? null : expand(opts.scaleFactor).map((s, i) => checkNumber(s, `scaleFactor[${i}]`, { positive: true, finite: true }));
  const align = mode === 'nearest' || mode === 'area' ? null : (opts.alignCorners ?? false);
  return new Tensor(native.interpolate(live(t, 'interpolate'), size, scale, mode, align));
}

/** Symmetric eigen-decomposition: eigenvalues ascending, eigenvectors as columns. */
export function eigh(a: Tensor): { values: Tensor; vectors: Tensor } {
  const [values, vectors] = native.eigh(handleOf(a, 'a', 'eigh'));
  return { values: new Tensor(values), vectors: new Tensor(vectors) };
}
export const cholesky = (a: Tensor): Tensor => new Tensor(native.cholesky(handleOf(a, 'a', 'cholesky')));
export const inverse = (a: Tensor): Tensor => new Tensor(native.inverse(handleOf(a, 'a', 'inverse')));
export function slogdet(a: Tensor): { sign: Tensor; logabsdet: Tensor } {
  const [signs, logabsdet] = native.slogdet(handleOf(a, 'a', 'slogdet'));
  return { sign: new Tensor(signs), logabsdet: new Tensor(logabsdet) };
}
