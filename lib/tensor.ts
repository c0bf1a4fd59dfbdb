/**
 * Tensor: a JS handle to a libtorch tensor. The object holds only a number (a slot in
 * the native table, native/tensor_table.h); methods validate their arguments and make one native
 * call each. Every result is a new Tensor that belongs to the current scope (see
 * scope.ts) or, outside any scope, to the caller, who disposes it.
 *
 * The elementwise op families and the reductions are not written out here: they come from
 * the table in op-table.ts, installed at the end of this file.
 */
import { type Handle, native } from './native';
import type { NativeExtremum } from './native/ops-math';
import {
  ALL_REDUCTIONS, BINARY_OPS, DIM_REDUCTIONS, DIMS_REDUCTIONS, EXTREMA, OUT_OPS, SPREAD_REDUCTIONS, UNARY_OPS, type BinaryOp, type Extremum,
  type OutOp, type ResultDType, type UnaryOp, opsOf, outVariant, scalarFirstVariant, scalarVariant,
} from './op-table';
import { currentScope, type Trackable } from './scope';
import { type DType, type DataFor, checkDType, dtypeCode, dtypeFromCode, readbackArray } from './dtype';
import type { Device } from './device';
import { resolveTarget } from './conversion-target';
import { DeviceError, DisposedError, DTypeError, ShapeError } from './errors';
import { checkBool, checkDims, checkInt, checkNumber, checkOneOf, checkOptions, checkShape, fail, plainArray } from './validate';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;
/** Nested arrays of numbers or booleans, as toArray() returns them. */
export type NestedArray = number | boolean | NestedArray[];

export interface ReduceOptions {
  keepdim?: boolean;
}

// ---- the types of the op table's methods (op-table.ts) --------------------------------------

/** The result type of an op of result kind R on a Tensor<D>. */
export type OpResult<R extends ResultDType, D extends DType> = R extends 'input'
  ? Tensor<D>
  : R extends 'bool'
    ? Tensor<'bool'>
    : R extends 'int64'
      ? Tensor<'int64'>
      : Tensor;

export interface OutOptions {
  /** Write the result into this tensor (resized if needed) and return it. */
  out?: Tensor;
}
export interface AddOptions extends OutOptions {
  /** a + alpha·b (b a tensor). */
  alpha?: number;
}
type BinaryMethodOptions<K extends BinaryOp> = K extends 'add' ? AddOptions : K extends OutOp ? OutOptions : never;

type UnaryMethods<D extends DType> = { [K in UnaryOp]: () => OpResult<(typeof UNARY_OPS)[K], D> };
type BinaryMethods = {
  [K in BinaryOp]: [BinaryMethodOptions<K>] extends [never]
    ? (other: TensorOrScalar) => OpResult<(typeof BINARY_OPS)[K], DType>
    : (other: TensorOrScalar, opts?: BinaryMethodOptions<K>) => OpResult<(typeof BINARY_OPS)[K], DType>;
};
type DimsReductionMethods<D extends DType> = {
  [K in keyof typeof DIMS_REDUCTIONS]: (dim?: number | number[] | null, opts?: ReduceOptions) => OpResult<(typeof DIMS_REDUCTIONS)[K], D>;
};
type DimReductionMethods<D extends DType> = {
  [K in keyof typeof DIM_REDUCTIONS]: (dim?: number | null, opts?: ReduceOptions) => OpResult<(typeof DIM_REDUCTIONS)[K], D>;
};
type SpreadMethods<D extends DType> = {
  [K in keyof typeof SPREAD_REDUCTIONS]: (dim?: number | number[] | null, opts?: ReduceOptions & { correction?: number }) => OpResult<(typeof SPREAD_REDUCTIONS)[K], D>;
};
type AllMethods<D extends DType> = { [K in keyof typeof ALL_REDUCTIONS]: () => OpResult<(typeof ALL_REDUCTIONS)[K], D> };
/** max() → the largest element; max(dim) → the largest along dim and where it is. */
export interface ExtremumMethod {
  (): Tensor;
  (dim: number, opts?: ReduceOptions): { values: Tensor; indices: Tensor<'int64'> };
}

/** The methods the op table gives Tensor<D>. */
export type OpTableMethods<D extends DType> = UnaryMethods<D> &
  BinaryMethods &
  DimsReductionMethods<D> &
  DimReductionMethods<D> &
  SpreadMethods<D> &
  AllMethods<D> & { [K in Extremum]: ExtremumMethod };

// The op table's methods (unary, binary, comparisons, reductions), in the class's type.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Tensor<D extends DType = DType> extends OpTableMethods<D> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Tensor<D extends DType = DType> implements Trackable {
  /** @internal Native handle; 0 once disposed. */
  _h: number;
  /** @internal Set by keep(): survives the end of enclosing scopes. */
  _kept = false;
  // Metadata cached on first read: a step of a small model asks for shapes and dtypes dozens
  // of times, and each read is a native call. Ops that change them in place call _invalidate().
  private _shape?: number[];
  private _dtype?: D;
  private _device?: Device;
  /** Phantom field carrying the dtype for TypeScript. */
  declare readonly __dtype?: D;

  /** @internal Wraps a native handle; user code creates tensors with tensor(), zeros(), … */
  constructor(handle: number) {
    this._h = handle;
    const s = currentScope();
    if (s !== undefined) s.track(this);
  }

  // ---- lifetime -------------------------------------------------------------------

  get isDisposed(): boolean {
    return this._h === 0;
  }

  /** Releases the native tensor now. Idempotent. */
  dispose(): void {
    if (this._h !== 0) {
      native.release(this._h);
      this._h = 0;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- metadata -------------------------------------------------------------------

  get shape(): number[] {
    const h = live(this, 'read shape');
    this._shape ??= native.sizes(h);
    return this._shape.slice();
  }
  get dtype(): D {
    const h = live(this, 'read dtype');
    return (this._dtype ??= dtypeFromCode(native.dtypeOf(h)) as D);
  }
  get device(): Device {
    const h = live(this, 'read device');
    return (this._device ??= native.deviceOf(h));
  }
  /** @internal Forgets cached metadata after an op that resized or converted this handle in place. */
  _invalidate(): void {
    this._shape = undefined;
    this._dtype = undefined;
    this._device = undefined;
  }
  get numel(): number {
    return native.numel(live(this, 'read numel'));
  }
  get ndim(): number {
    return native.ndim(live(this, 'read ndim'));
  }
  isContiguous(): boolean {
    return native.isContiguous(live(this, 'check contiguity'));
  }

  // ---- read back ------------------------------------------------------------------

  /** A copy of the elements in row-major order, as the TypedArray of this dtype. */
  data(): DataFor<D> {
    const dtype = this.dtype;
    return readbackArray(dtype, native.toBuffer(live(this, 'read data'))) as DataFor<D>;
  }

  /** The single element as a JS number (or boolean for bool tensors). */
  item(): number | boolean {
    const value = native.item(live(this, 'read item'));
    return this.dtype === 'bool' ? value !== 0 : value;
  }

  /** The elements as nested JS arrays (int64 become numbers, bool become booleans). */
  toArray(): NestedArray {
    const shape = this.shape;
    const dtype = this.dtype;
    const flat = this.data();
    const read: (i: number) => number | boolean =
      dtype === 'bool' ? (i) => flat[i] !== 0 : dtype === 'int64' ? (i) => Number((flat as BigInt64Array)[i]) : (i) => (flat as Float32Array)[i];
    if (shape.length === 0) return read(0);
    let offset = 0;
    const build = (dim: number): NestedArray[] => {
      const out: NestedArray[] = new Array(shape[dim]);
      for (let i = 0; i < shape[dim]; i++) out[i] = dim === shape.length - 1 ? read(offset++) : build(dim + 1);
      return out;
    };
    return build(0);
  }

  toString(): string {
    if (this._h === 0) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- conversion -----------------------------------------------------------------

  /** A copy on another device and/or with another dtype: to('cuda'), to('float64'), to({dtype, device}). */
  to<T extends DType = D>(target: T | Device | { dtype?: T; device?: Device }): Tensor<T> {
    const { dtype, device } = resolveTarget(target);
    return new Tensor(native.to(live(this, 'convert'), dtype, device));
  }
  float(): Tensor<'float32'> {
    return this.to('float32');
  }
  double(): Tensor<'float64'> {
    return this.to('float64');
  }
  clone(): Tensor<D> {
    return new Tensor(native.clone(live(this, 'clone')));
  }
  contiguous(): Tensor<D> {
    return new Tensor(native.contiguous(live(this, 'make contiguous')));
  }
  /** A tensor sharing storage with this one but cut from the autograd graph. */
  detach(): Tensor<D> {
    return new Tensor(native.detach(live(this, 'detach')));
  }

  // ---- autograd -------------------------------------------------------------------

  get requiresGrad(): boolean {
    return native.requiresGrad(live(this, 'read requiresGrad'));
  }
  set requiresGrad(value: boolean) {
    native.setRequiresGrad(live(this, 'set requiresGrad'), checkBool(value, 'requiresGrad'));
  }
  /** Sets requiresGrad in place and returns this tensor (PyTorch's requires_grad_). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(live(this, 'read isLeaf'));
  }
  /** The accumulated gradient as a new handle (dispose it, or let the scope do it), or null. */
  get grad(): Tensor<D> | null {
    const h = native.gradOf(live(this, 'read grad'));
    return h === null ? null : new Tensor(h);
  }
  /** Like PyTorch's setter, a gradient must have this tensor's shape, dtype and device. */
  set grad(value: Tensor | null) {
    const h = live(this, 'set grad');
    if (value !== null) {
      const g = asTensor(value, 'grad');
      const [want, have] = [this.shape, g.shape];
      if (want.length !== have.length || want.some((d, i) => d !== have[i])) {
        throw new ShapeError('ERR_SHAPE', `Expected a gradient of shape [${want.join(', ')}] for grad but received one of shape [${have.join(', ')}]`);
      }
      if (g.dtype !== this.dtype) throw new DTypeError('ERR_DTYPE', `Expected a ${this.dtype} gradient for grad but received a ${g.dtype} one`);
      if (g.device !== this.device) throw new DeviceError('ERR_DEVICE', `Expected a gradient on ${this.device} for grad but received one on ${g.device}`);
    }
    native.setGrad(h, value === null ? null : live(value, 'set grad', 1));
  }
  /** Accumulates d(this)/d(leaves) into the leaves' .grad. */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    const o = checkOptions(opts, 'opts');
    native.backward(
      live(this, 'run backward'),
      gradient === undefined ? null : handleOf(gradient, 'gradient', 'run backward', 1),
      o.retainGraph === undefined ? null : checkBool(o.retainGraph, 'opts.retainGraph'),
      o.createGraph === undefined ? false : checkBool(o.createGraph, 'opts.createGraph'),
    );
  }

  // ---- elementwise (the unary, binary and comparison ops come from op-table.ts) ----------

  /** GELU; approximate 'tanh' selects the tanh approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(native.gelu(live(this, 'gelu'), checkOneOf(approximate, ['none', 'tanh'] as const, 'approximate')));
  }
  /** softplus(x) = log(1 + exp(beta·x)) / beta, linear above `threshold`. */
  softplus(beta = 1, threshold = 20): Tensor {
    return new Tensor(native.softplus(live(this, 'softplus'), checkNumber(beta, 'beta'), checkNumber(threshold, 'threshold')));
  }
  clamp(min: number | null, max: number | null = null): Tensor<D> {
    if (min === null && max === null) fail('at least one of min and max', 'clamp bounds', null);
    return new Tensor(native.clamp(live(this, 'clamp'), min === null ? null : checkNumber(min, 'min'), max === null ? null : checkNumber(max, 'max')));
  }
  lerp(end: Tensor, weight: number): Tensor {
    return new Tensor(native.lerp(live(this, 'lerp'), handleOf(end, 'end', 'lerp', 1), checkNumber(weight, 'weight')));
  }
  /** True when every element is within atol + rtol·|other| of `other`. */
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return native.allclose(live(this, 'allclose'), handleOf(other, 'other', 'allclose', 1), checkNumber(rtol, 'rtol'), checkNumber(atol, 'atol'));
  }

  // ---- in place (return this) -------------------------------------------------------

  add_(other: TensorOrScalar, alpha?: number): this {
    if (other instanceof Tensor) native.addInPlace(live(this, 'add_'), live(other, 'add_', 1), alpha === undefined ? null : checkNumber(alpha, 'alpha'));
    else native.addScalarInPlace(live(this, 'add_'), scalar(other, 'other'));
    return this;
  }
  sub_(other: Tensor): this {
    native.subInPlace(live(this, 'sub_'), handleOf(other, 'other', 'sub_', 1));
    return this;
  }
  mul_(other: TensorOrScalar): this {
    if (other instanceof Tensor) native.mulInPlace(live(this, 'mul_'), live(other, 'mul_', 1));
    else native.mulScalarInPlace(live(this, 'mul_'), scalar(other, 'other'));
    return this;
  }
  div_(other: TensorOrScalar): this {
    if (other instanceof Tensor) native.divInPlace(live(this, 'div_'), live(other, 'div_', 1));
    else native.divScalarInPlace(live(this, 'div_'), scalar(other, 'other'));
    return this;
  }
  zero_(): this {
    native.zeroInPlace(live(this, 'zero_'));
    return this;
  }
  fill_(value: Scalar): this {
    native.fillInPlace(live(this, 'fill_'), scalar(value, 'value'));
    return this;
  }
  copy_(source: Tensor): this {
    native.copyInPlace(live(this, 'copy_'), handleOf(source, 'source', 'copy_', 1));
    return this;
  }
  clamp_(min: number | null, max: number | null = null): this {
    native.clampInPlace(live(this, 'clamp_'), min === null ? null : checkNumber(min, 'min'), max === null ? null : checkNumber(max, 'max'));
    return this;
  }
  /** this += value · t1 · t2 */
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcmulInPlace(live(this, 'addcmul_'), handleOf(t1, 't1', 'addcmul_', 1), handleOf(t2, 't2', 'addcmul_', 2), checkNumber(value, 'value'));
    return this;
  }
  /** this += value · t1 / t2 */
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcdivInPlace(live(this, 'addcdiv_'), handleOf(t1, 't1', 'addcdiv_', 1), handleOf(t2, 't2', 'addcdiv_', 2), checkNumber(value, 'value'));
    return this;
  }
  /** this += weight · (end − this) */
  lerp_(end: Tensor, weight: number): this {
    native.lerpInPlace(live(this, 'lerp_'), handleOf(end, 'end', 'lerp_', 1), checkNumber(weight, 'weight'));
    return this;
  }

  // ---- reductions -------------------------------------------------------------------

  sum(dim?: number | number[] | null, opts: ReduceOptions & { dtype?: DType } = {}): Tensor {
    return new Tensor(native.sum(live(this, 'sum'), dimsArg(dim), keepdim(opts), sumDType(opts)));
  }
  /** Vector p-norm over `dim` (all elements by default); p may be Infinity. */
  norm(p = 2, dim?: number | number[] | null, opts: ReduceOptions = {}): Tensor {
    return new Tensor(native.norm(live(this, 'norm'), checkNumber(p, 'p'), dimsArg(dim), keepdim(opts)));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(live(this, 'cumsum'), checkInt(dim, 'dim')));
  }

  // ---- linear algebra ---------------------------------------------------------------

  matmul(other: Tensor, opts?: { out?: Tensor }): Tensor {
    const out = checkOptions(opts, 'opts').out;
    if (out !== undefined) {
      const target = asTensor(out, 'out');
      native.matmulOut(live(target, 'matmul', 'opts.out'), live(this, 'matmul'), handleOf(other, 'other', 'matmul', 1));
      target._invalidate();
      return target;
    }
    return new Tensor(native.matmul(live(this, 'matmul'), handleOf(other, 'other', 'matmul', 1)));
  }
  mm(other: Tensor): Tensor {
    return new Tensor(native.mm(live(this, 'mm'), handleOf(other, 'other', 'mm', 1)));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(native.bmm(live(this, 'bmm'), handleOf(other, 'other', 'bmm', 1)));
  }
  outer(other: Tensor): Tensor {
    return new Tensor(native.outer(live(this, 'outer'), handleOf(other, 'other', 'outer', 1)));
  }
  trace(): Tensor {
    return new Tensor(native.trace(live(this, 'trace')));
  }
  diag(diagonal = 0): Tensor<D> {
    return new Tensor(native.diag(live(this, 'diag'), checkInt(diagonal, 'diagonal')));
  }
  /** Matrix transpose of the last two dims. */
  get T(): Tensor<D> {
    return this.transpose(-2, -1);
  }

  // ---- shape ------------------------------------------------------------------------

  reshape(shape: number[]): Tensor<D> {
    return new Tensor(native.reshape(live(this, 'reshape'), shapeWithInfer(shape)));
  }
  view(shape: number[]): Tensor<D> {
    return new Tensor(native.view(live(this, 'view'), shapeWithInfer(shape)));
  }
  flatten(startDim = 0, endDim = -1): Tensor<D> {
    return new Tensor(native.flatten(live(this, 'flatten'), checkInt(startDim, 'startDim'), checkInt(endDim, 'endDim')));
  }
  permute(dims: number[]): Tensor<D> {
    return new Tensor(native.permute(live(this, 'permute'), checkDims(dims, 'dims')));
  }
  transpose(dim0: number, dim1: number): Tensor<D> {
    return new Tensor(native.transpose(live(this, 'transpose'), checkInt(dim0, 'dim0'), checkInt(dim1, 'dim1')));
  }
  unsqueeze(dim: number): Tensor<D> {
    return new Tensor(native.unsqueeze(live(this, 'unsqueeze'), checkInt(dim, 'dim')));
  }
  squeeze(dim?: number | number[]): Tensor<D> {
    return new Tensor(native.squeeze(live(this, 'squeeze'), dim === undefined ? null : checkDims(dim)));
  }
  /** Broadcast view to `shape` (−1 keeps a dim). */
  expand(shape: number[]): Tensor<D> {
    return new Tensor(native.expand(live(this, 'expand'), shapeWithInfer(shape)));
  }
  expandAs(other: Tensor): Tensor<D> {
    return this.expand(asTensor(other, 'other').shape);
  }
  repeat(repeats: number[]): Tensor<D> {
    return new Tensor(native.repeat(live(this, 'repeat'), checkShape(repeats, 'repeats')));
  }
  flip(dims: number | number[]): Tensor<D> {
    return new Tensor(native.flip(live(this, 'flip'), checkDims(dims, 'dims')));
  }
  tril(diagonal = 0): Tensor<D> {
    return new Tensor(native.tril(live(this, 'tril'), checkInt(diagonal, 'diagonal')));
  }
  triu(diagonal = 0): Tensor<D> {
    return new Tensor(native.triu(live(this, 'triu'), checkInt(diagonal, 'diagonal')));
  }
  /** Split into pieces of `size` along dim (last may be smaller), or into the given section sizes. */
  split(sizeOrSections: number | number[], dim = 0): Tensor<D>[] {
    const h = live(this, 'split');
    checkInt(dim, 'dim');
    let sections: number[];
    if (typeof sizeOrSections === 'number') {
      const size = checkInt(sizeOrSections, 'size', 1);
      const shape = native.sizes(h);
      const d = dim < 0 ? dim + shape.length : dim;
      if (d < 0 || d >= shape.length) fail(`a dim in [${-shape.length}, ${shape.length - 1}]`, 'dim', dim, 'ERR_INDEX');
      sections = [];
      for (let rest = shape[d]; rest > 0; rest -= size) sections.push(Math.min(size, rest));
    } else {
      sections = checkShape(sizeOrSections, 'sections', MAX_SECTIONS);
    }
    return native.split(h, sections, dim).map((x) => new Tensor<D>(x));
  }
  chunk(chunks: number, dim = 0): Tensor<D>[] {
    return native.chunk(live(this, 'chunk'), checkInt(chunks, 'chunks', 1), checkInt(dim, 'dim')).map((x) => new Tensor<D>(x));
  }
  unbind(dim = 0): Tensor<D>[] {
    return native.unbind(live(this, 'unbind'), checkInt(dim, 'dim')).map((x) => new Tensor<D>(x));
  }

  // ---- indexing ---------------------------------------------------------------------

  narrow(dim: number, start: number, length: number): Tensor<D> {
    return new Tensor(native.narrow(live(this, 'narrow'), checkInt(dim, 'dim'), checkInt(start, 'start'), checkInt(length, 'length', 0)));
  }
  /** Python-style slice along `dim`: start and end may be negative or past the end. */
  slice(dim: number, start = 0, end: number = Number.MAX_SAFE_INTEGER, step = 1): Tensor<D> {
    return new Tensor(native.slice(live(this, 'slice'), checkInt(dim, 'dim'), checkInt(start, 'start'), checkInt(end, 'end'), checkInt(step, 'step', 1)));
  }
  /** The sub-tensor at `index` along `dim` (that dim removed). */
  select(dim: number, index: number): Tensor<D> {
    return new Tensor(native.select(live(this, 'select'), checkInt(dim, 'dim'), checkInt(index, 'index')));
  }
  /** t.at(i) = t[i] */
  at(index: number): Tensor<D> {
    return this.select(0, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor<D> {
    return new Tensor(native.indexSelect(live(this, 'indexSelect'), checkInt(dim, 'dim'), handleOf(index, 'index', 'indexSelect', 2)));
  }
  gather(dim: number, index: Tensor): Tensor<D> {
    return new Tensor(native.gather(live(this, 'gather'), checkInt(dim, 'dim'), handleOf(index, 'index', 'gather', 2)));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor<D> {
    return new Tensor(native.scatterAdd(live(this, 'scatterAdd'), checkInt(dim, 'dim'), handleOf(index, 'index', 'scatterAdd', 2), handleOf(src, 'src', 'scatterAdd', 3)));
  }
  maskedFill(mask: Tensor, value: Scalar): Tensor<D> {
    return new Tensor(native.maskedFill(live(this, 'maskedFill'), handleOf(mask, 'mask', 'maskedFill', 1), scalar(value, 'value')));
  }
  maskedSelect(mask: Tensor): Tensor<D> {
    return new Tensor(native.maskedSelect(live(this, 'maskedSelect'), handleOf(mask, 'mask', 'maskedSelect', 1)));
  }
  /** Advanced indexing along dim 0 with an integer or boolean tensor (t[idx]). */
  index(indices: Tensor): Tensor<D> {
    return new Tensor(native.indexTensor(live(this, 'index'), handleOf(indices, 'indices', 'index', 1)));
  }
  sort(dim = -1, descending = false): { values: Tensor<D>; indices: Tensor<'int64'> } {
    const [v, i] = native.sort(live(this, 'sort'), checkInt(dim, 'dim'), checkBool(descending, 'descending'));
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor<D>; indices: Tensor<'int64'> } {
    const [v, i] = native.topk(live(this, 'topk'), checkInt(k, 'k', 0), checkInt(dim, 'dim'), checkBool(largest, 'largest'));
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
}

// ---- argument helpers shared with functional.ts and the core ---------------------------

/** split() sections: each becomes a live tensor, and the native table holds at most 2^24 − 1. */
const MAX_SECTIONS = 16777215;

/** `value` as a Tensor, or an ArgumentError naming `name`. */
export function asTensor(value: unknown, name: string): Tensor {
  if (!(value instanceof Tensor)) fail('a Tensor', name, value);
  return value;
}

export function scalar(value: unknown, name: string): Scalar {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'number' || Number.isNaN(value)) fail('a Tensor or a number', name, value);
  return value;
}

/**
 * The liveness rule of every op: each tensor argument is checked before the native call, and
 * a disposed one is a DisposedError naming the op and the argument: the tensor the op runs on
 * (a method's receiver, a free function's first tensor), or the argument at `position` in the
 * op's own order, that tensor being argument 0 (native/args.cpp numbers them the same way).
 */
export function live(t: Tensor, op: string, position?: number | string): Handle {
  const h = t._h;
  if (h === 0) throw disposedError(op, position);
  return h;
}

/** `position` as the message names it: 'argument 2', or a path such as 'opts.out'. */
function argumentLabel(position: number | string): string {
  return typeof position === 'number' ? `argument ${position}` : position;
}

function disposedError(op: string, position: number | string | undefined): DisposedError {
  const what = position === undefined ? 'the tensor was disposed' : `${argumentLabel(position)} is a disposed tensor`;
  return new DisposedError('ERR_DISPOSED', `Cannot ${op}: ${what} (by dispose() or by the end of its scope)`);
}

/** The live handle of tensor argument `value` of `op` (see live()); an ArgumentError naming `name` when it is no Tensor. */
export function handleOf(value: unknown, name: string, op: string, position?: number | string): Handle {
  return live(asTensor(value, name), op, position);
}

/** The live handles of a list argument `name` of `op`, at `position` (see live()). */
export function handlesOf(list: readonly unknown[], name: string, op: string, position: number | string = 0): Handle[] {
  return list.map((value, i) => {
    if (!(value instanceof Tensor)) fail('a Tensor', `${name}[${i}]`, value);
    if (value._h === 0) throw disposedError(op, `${argumentLabel(position)}[${i}]`);
    return value._h;
  });
}

// ---- the op table's ops (op-table.ts), shared by the methods below and functional.ts ------------
//
// Each op resolves its native function on its first call, not here: importing flowmatch
// must not load the addon. The function is then held by the op's closure, one call away.

/** t → op(t). */
export function unaryOp(op: UnaryOp): (t: Tensor) => Tensor {
  let fn: ((t: Handle) => Handle) | undefined;
  return (t) => new Tensor((fn ??= native[op])(live(t, op)));
}

/** a ∘ b where either side may be a scalar (PyTorch's wrapped-number promotion applies). */
export function binaryOp(op: BinaryOp): (a: TensorOrScalar, b: TensorOrScalar) => Tensor {
  const withScalar = scalarVariant(op);
  const scalarFirst = scalarFirstVariant(op);
  let tensors: ((a: Handle, b: Handle) => Handle) | undefined;
  let tensorScalar: ((a: Handle, b: Scalar) => Handle) | undefined;
  let scalarTensor: ((a: Scalar, b: Handle) => Handle) | undefined;
  return (a, b) => {
    if (a instanceof Tensor) {
      const h = live(a, op);
      if (b instanceof Tensor) return new Tensor((tensors ??= native[op])(h, live(b, op, 1)));
      return new Tensor((tensorScalar ??= native[withScalar])(h, scalar(b, 'other')));
    }
    if (b instanceof Tensor) {
      const h = live(b, op, 1);
      return new Tensor((scalarTensor ??= native[scalarFirst])(scalar(a, 'input'), h));
    }
    return fail('at least one Tensor', `${op} operands`, [a, b]);
  };
}

/** a ∘ b written into `out` (resized if needed), which is returned. */
function intoOut(op: OutOp, a: Tensor, b: TensorOrScalar, out: unknown): Tensor {
  const target = asTensor(out, 'out');
  native[outVariant(op)](live(target, op, 'opts.out'), live(a, op), handleOf(b, 'other', op, 1));
  target._invalidate();
  return target;
}

/** The keepdim of a reduction's options (false by default). */
function keepdim(opts: ReduceOptions | undefined): boolean {
  const { keepdim } = checkOptions(opts, 'opts');
  return keepdim === undefined ? false : checkBool(keepdim, 'opts.keepdim');
}

function sumDType(opts: { dtype?: DType } | undefined): number | null {
  const { dtype } = checkOptions(opts, 'opts');
  return dtype === undefined ? null : dtypeCode(checkDType(dtype));
}

function dimsArg(dim: number | number[] | null | undefined): number[] | null {
  return dim === undefined || dim === null ? null : checkDims(dim);
}

/** A target shape where one entry may be −1 (inferred), copied as checked (see plainArray). */
function shapeWithInfer(value: unknown): number[] {
  const shape = plainArray(value, 'shape');
  if (shape === undefined || !shape.every((d) => Number.isInteger(d) && (d as number) >= -1) || shape.filter((d) => d === -1).length > 1) {
    fail('a shape (non-negative integers, at most one −1)', 'shape', value, 'ERR_SHAPE');
  }
  return shape as number[];
}

// ---- installing the op table's methods -------------------------------------------------------

/** Puts `method` on Tensor.prototype as `name`, as a class method would be (not enumerable). */
function install(name: string, method: (this: Tensor, ...args: never[]) => unknown): void {
  Object.defineProperty(method, 'name', { value: name });
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
}

for (const op of opsOf(UNARY_OPS)) {
  const run = unaryOp(op);
  install(op, function (this: Tensor) {
    return run(this);
  });
}

const WITH_OUT: ReadonlySet<BinaryOp> = new Set(OUT_OPS);
const hasOut = (op: BinaryOp): op is OutOp => WITH_OUT.has(op);
for (const op of opsOf(BINARY_OPS)) {
  const run = binaryOp(op);
  if (!hasOut(op)) {
    install(op, function (this: Tensor, other: TensorOrScalar) {
      return run(this, other);
    });
    continue;
  }
  const alpha = op === 'add';
  install(op, function (this: Tensor, other: TensorOrScalar, opts?: AddOptions) {
    if (opts !== undefined) {
      const o = checkOptions(opts, 'opts');
      if (alpha && o.alpha !== undefined) return new Tensor(native.addScaled(live(this, op), handleOf(other, 'other', op, 1), checkNumber(o.alpha, 'alpha')));
      if (o.out !== undefined) return intoOut(op, this, other, o.out);
    }
    return run(this, other);
  });
}

for (const op of opsOf(DIMS_REDUCTIONS)) {
  let fn: ((t: Handle, dims: readonly number[] | null, keepdim: boolean) => Handle) | undefined;
  install(op, function (this: Tensor, dim?: number | number[] | null, opts?: ReduceOptions) {
    return new Tensor((fn ??= native[op])(live(this, op), dimsArg(dim), keepdim(opts)));
  });
}

for (const op of opsOf(DIM_REDUCTIONS)) {
  let fn: ((t: Handle, dim: number | null, keepdim: boolean) => Handle) | undefined;
  install(op, function (this: Tensor, dim?: number | null, opts?: ReduceOptions) {
    return new Tensor((fn ??= native[op])(live(this, op), dim == null ? null : checkInt(dim, 'dim'), keepdim(opts)));
  });
}

for (const op of opsOf(SPREAD_REDUCTIONS)) {
  let fn: ((t: Handle, dims: readonly number[] | null, correction: number, keepdim: boolean) => Handle) | undefined;
  install(op, function (this: Tensor, dim?: number | number[] | null, opts?: ReduceOptions & { correction?: number }) {
    const h = live(this, op);
    const dims = dimsArg(dim);
    const correction = checkNumber(checkOptions(opts, 'opts').correction ?? 1, 'correction');
    return new Tensor((fn ??= native[op])(h, dims, correction, keepdim(opts)));
  });
}

for (const op of opsOf(ALL_REDUCTIONS)) {
  let fn: ((t: Handle) => Handle) | undefined;
  install(op, function (this: Tensor) {
    return new Tensor((fn ??= native[op])(live(this, op)));
  });
}

for (const op of EXTREMA) {
  let fn: NativeExtremum | undefined;
  install(op, function (this: Tensor, dim?: number, opts?: ReduceOptions) {
    const h = live(this, op);
    fn ??= native[op];
    if (dim === undefined) return new Tensor(fn(h, null, false));
    const [values, indices] = fn(h, checkInt(dim, 'dim'), keepdim(opts));
    return { values: new Tensor(values), indices: new Tensor<'int64'>(indices) };
  });
}
