/**
 * Free-function forms of the tensor ops (add(a, b), cat([...]), where(...)) and the
 * neural-network functionals used by models written in TypeScript.
 */
import { native } from './native';
import { Tensor, type TensorOrScalar, asTensor, binary, scalar } from './tensor';
import { checkBool, checkInt, checkNumber, checkOneOf, checkOptions, checkShape, fail } from './validate';
import { ShapeError } from './errors';
import { dtypeCode } from './dtype';

/** The handle of an optional tensor argument: null when it is null or undefined. */
function optionalHandle(value: unknown, name: string): number | null {
  return value === null || value === undefined ? null : asTensor(value, name)._h;
}

function tensorList(list: unknown, name: string): number[] {
  if (!Array.isArray(list) || list.length === 0) fail('a non-empty array of Tensors', name, list);
  return list.map((t, i) => asTensor(t, `${name}[${i}]`)._h);
}

export const add = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('add', a, b);
export const sub = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('sub', a, b);
export const mul = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('mul', a, b);
export const div = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('div', a, b);
export const pow = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('pow', a, b);
export const maximum = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('minimum', a, b);
export const eq = (a: TensorOrScalar, b: TensorOrScalar): Tensor<'bool'> => binary('eq', a, b) as Tensor<'bool'>;
export const ne = (a: TensorOrScalar, b: TensorOrScalar): Tensor<'bool'> => binary('ne', a, b) as Tensor<'bool'>;
export const lt = (a: TensorOrScalar, b: TensorOrScalar): Tensor<'bool'> => binary('lt', a, b) as Tensor<'bool'>;
export const le = (a: TensorOrScalar, b: TensorOrScalar): Tensor<'bool'> => binary('le', a, b) as Tensor<'bool'>;
export const gt = (a: TensorOrScalar, b: TensorOrScalar): Tensor<'bool'> => binary('gt', a, b) as Tensor<'bool'>;
export const ge = (a: TensorOrScalar, b: TensorOrScalar): Tensor<'bool'> => binary('ge', a, b) as Tensor<'bool'>;
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
    return new Tensor(native.where(c._h, wrap(xs)._h, wrap(ys)._h));
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** A 0-dim CPU tensor: in type promotion 0-dim tensors rank below dimensioned ones, like Python scalars. */
function scalarTensor(value: number | boolean): number {
  const code = dtypeCode(typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : 'float32');
  return native.full([], value, code, 'cpu');
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensorList(tensors, 'tensors'), checkInt(dim, 'dim')));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensorList(tensors, 'tensors'), checkInt(dim, 'dim')));
}
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== 'string') fail('an einsum equation string', 'equation', equation);
  return new Tensor(native.einsum(equation, tensorList(operands, 'operands')));
}

// ---- neural-network functionals -------------------------------------------------------

/** y = x·Wᵀ + b */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(asTensor(x, 'x')._h, asTensor(weight, 'weight')._h, optionalHandle(bias, 'bias')));
}
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: { stride?: number; padding?: number; dilation?: number; groups?: number } = {}): Tensor {
  const o = checkOptions(opts, 'opts');
  const pair = (v: number | undefined, d: number, name: string): number[] => {
    const n = checkInt(v ?? d, name, 0);
    return [n, n];
  };
  return new Tensor(
    native.conv2d(asTensor(x, 'x')._h, asTensor(weight, 'weight')._h, optionalHandle(bias, 'bias'),
      pair(o.stride, 1, 'stride'), pair(o.padding, 0, 'padding'), pair(o.dilation, 1, 'dilation'), checkInt(o.groups ?? 1, 'groups', 1)),
  );
}
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return new Tensor(native.groupNorm(asTensor(x, 'x')._h, checkInt(numGroups, 'numGroups', 1), optionalHandle(weight, 'weight'), optionalHandle(bias, 'bias'), checkNumber(eps, 'eps')));
}
export function layerNorm(x: Tensor, normalizedShape: number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(asTensor(x, 'x')._h, checkShape(normalizedShape, 'normalizedShape'), optionalHandle(weight, 'weight'), optionalHandle(bias, 'bias'), checkNumber(eps, 'eps')));
}
export function softmax(x: Tensor, dim: number): Tensor {
  return new Tensor(native.softmax(asTensor(x, 'x')._h, checkInt(dim, 'dim')));
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return new Tensor(native.logSoftmax(asTensor(x, 'x')._h, checkInt(dim, 'dim')));
}
export function dropout(x: Tensor, p: number, training = true): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) fail('a probability in [0, 1]', 'p', p);
  return new Tensor(native.dropout(asTensor(x, 'x')._h, p, checkBool(training, 'training')));
}
type Reduction = 'mean' | 'sum' | 'none';
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  const a = asTensor(input, 'input');
  const b = asTensor(target, 'target');
  const sa = a.shape;
  const sb = b.shape;
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new ShapeError('ERR_SHAPE', `mseLoss: input shape [${sa}] and target shape [${sb}] differ`);
  }
  return new Tensor(native.mseLoss(a._h, b._h, checkOneOf(reduction, ['mean', 'sum', 'none'], 'reduction')));
}
export function crossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.crossEntropy(asTensor(logits, 'logits')._h, asTensor(target, 'target')._h, checkOneOf(reduction, ['mean', 'sum', 'none'], 'reduction')));
}
export function avgPool2d(x: Tensor, kernel: number, stride = kernel): Tensor {
  return new Tensor(native.avgPool2d(asTensor(x, 'x')._h, [checkInt(kernel, 'kernel', 1), kernel], [checkInt(stride, 'stride', 1), stride]));
}
export function maxPool2d(x: Tensor, kernel: number, stride = kernel): Tensor {
  return new Tensor(native.maxPool2d(asTensor(x, 'x')._h, [checkInt(kernel, 'kernel', 1), kernel], [checkInt(stride, 'stride', 1), stride]));
}

export type InterpolateMode = 'nearest' | 'bilinear' | 'bicubic' | 'linear' | 'area';
/** Resize spatial dims to `size` or by `scaleFactor` (exactly one of them). */
export function interpolate(x: Tensor, opts: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean }): Tensor {
  const t = asTensor(x, 'x');
  opts = checkOptions(opts, 'interpolate options');
  const spatial = t.ndim - 2;
  if (spatial < 1) fail('a tensor of shape [N, C, ...spatial]', 'x', t.shape, 'ERR_SHAPE');
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) fail('exactly one of size and scaleFactor', 'interpolate options', opts);
  const mode = checkOneOf(opts.mode ?? 'nearest', ['nearest', 'bilinear', 'bicubic', 'linear', 'area'], 'mode');
  const expand = (v: number | number[]): number[] => (typeof v === 'number' ? new Array(spatial).fill(v) : v);
  const size = opts.size === undefined ? null : checkShape(expand(opts.size), 'size');
  const scale = opts.scaleFactor === undefined ? null : expand(opts.scaleFactor).map((s, i) => checkNumber(s, `scaleFactor[${i}]`, { positive: true, finite: true }));
  const align = mode === 'nearest' || mode === 'area' ? null : (opts.alignCorners ?? false);
  return new Tensor(native.interpolate(t._h, size, scale, mode, align));
}

/** Symmetric eigen-decomposition: eigenvalues ascending, eigenvectors as columns. */
export function eigh(a: Tensor): { values: Tensor; vectors: Tensor } {
  const [values, vectors] = native.eigh(asTensor(a, 'a')._h);
  return { values: new Tensor(values), vectors: new Tensor(vectors) };
}
export const cholesky = (a: Tensor): Tensor => new Tensor(native.cholesky(asTensor(a, 'a')._h));
export const inverse = (a: Tensor): Tensor => new Tensor(native.inverse(asTensor(a, 'a')._h));
export function slogdet(a: Tensor): { sign: Tensor; logabsdet: Tensor } {
  const [sign, logabsdet] = native.slogdet(asTensor(a, 'a')._h);
  return { sign: new Tensor(sign), logabsdet: new Tensor(logabsdet) };
}
