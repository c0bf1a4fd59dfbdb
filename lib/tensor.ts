/**
 * Tensor: a JS handle to a libtorch tensor. The object holds only a number (a slot in
 * the native table, native/tensor_table.h); methods validate their arguments and make one native
 * call each. Every result is a new Tensor that belongs to the current scope (see
 * scope.ts) or, outside any scope, to the caller, who disposes it.
 */
import { native } from './native';
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

  /** The handle, or a DisposedError naming what was attempted. */
  private live(what: string): number {
    if (this._h === 0) {
      throw new DisposedError('ERR_DISPOSED', `Cannot ${what}: the tensor was disposed (by dispose() or by the end of its scope)`);
    }
    return this._h;
  }

  // ---- metadata -------------------------------------------------------------------

  get shape(): number[] {
    const h = this.live('read shape');
    this._shape ??= native.sizes(h) as number[];
    return this._shape.slice();
  }
  get dtype(): D {
    const h = this.live('read dtype');
    return (this._dtype ??= dtypeFromCode(native.dtypeOf(h)) as D);
  }
  get device(): Device {
    const h = this.live('read device');
    return (this._device ??= native.deviceOf(h) as Device);
  }
  /** @internal Forgets cached metadata after an op that resized or converted this handle in place. */
  _invalidate(): void {
    this._shape = undefined;
    this._dtype = undefined;
    this._device = undefined;
  }
  get numel(): number {
    return native.numel(this.live('read numel'));
  }
  get ndim(): number {
    return native.ndim(this.live('read ndim'));
  }
  isContiguous(): boolean {
    return native.isContiguous(this.live('check contiguity'));
  }

  // ---- read back ------------------------------------------------------------------

  /** A copy of the elements in row-major order, as the TypedArray of this dtype. */
  data(): DataFor<D> {
    const dtype = this.dtype;
    return readbackArray(dtype, native.toBuffer(this._h)) as DataFor<D>;
  }

  /** The single element as a JS number (or boolean for bool tensors). */
  item(): number | boolean {
    const value: number = native.item(this.live('read item'));
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
    return new Tensor(native.to(this.live('convert'), dtype, device));
  }
  float(): Tensor<'float32'> {
    return this.to('float32');
  }
  double(): Tensor<'float64'> {
    return this.to('float64');
  }
  clone(): Tensor<D> {
    return new Tensor(native.clone(this.live('clone')));
  }
  contiguous(): Tensor<D> {
    return new Tensor(native.contiguous(this.live('make contiguous')));
  }
  /** A tensor sharing storage with this one but cut from the autograd graph. */
  detach(): Tensor<D> {
    return new Tensor(native.detach(this.live('detach')));
  }

  // ---- autograd -------------------------------------------------------------------

  get requiresGrad(): boolean {
    return native.requiresGrad(this.live('read requiresGrad'));
  }
  set requiresGrad(value: boolean) {
    native.setRequiresGrad(this.live('set requiresGrad'), checkBool(value, 'requiresGrad'));
  }
  /** Sets requiresGrad in place and returns this tensor (PyTorch's requires_grad_). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.live('read isLeaf'));
  }
  /** The accumulated gradient as a new handle (dispose it, or let the scope do it), or null. */
  get grad(): Tensor<D> | null {
    const h = native.gradOf(this.live('read grad'));
    return h === null ? null : new Tensor(h);
  }
  /** Like PyTorch's setter, a gradient must have this tensor's shape, dtype and device. */
  set grad(value: Tensor | null) {
    const h = this.live('set grad');
    if (value !== null) {
      const g = asTensor(value, 'grad');
      const [want, have] = [this.shape, g.shape];
      if (want.length !== have.length || want.some((d, i) => d !== have[i])) {
        throw new ShapeError('ERR_SHAPE', `Expected a gradient of shape [${want.join(', ')}] for grad but received one of shape [${have.join(', ')}]`);
      }
      if (g.dtype !== this.dtype) throw new DTypeError('ERR_DTYPE', `Expected a ${this.dtype} gradient for grad but received a ${g.dtype} one`);
      if (g.device !== this.device) throw new DeviceError('ERR_DEVICE', `Expected a gradient on ${this.device} for grad but received one on ${g.device}`);
    }
    native.setGrad(h, value === null ? null : value._h);
  }
  /** Accumulates d(this)/d(leaves) into the leaves' .grad. */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    const o = checkOptions(opts, 'opts');
    native.backward(
      this.live('run backward'),
      gradient === undefined ? null : asTensor(gradient, 'gradient')._h,
      o.retainGraph === undefined ? null : checkBool(o.retainGraph, 'opts.retainGraph'),
      o.createGraph === undefined ? false : checkBool(o.createGraph, 'opts.createGraph'),
    );
  }

  // ---- elementwise ------------------------------------------------------------------

  add(other: TensorOrScalar, opts?: { alpha?: number; out?: Tensor }): Tensor {
    const o = checkOptions(opts, 'opts');
    if (o.alpha !== undefined) return new Tensor(native.addScaled(this.live('add'), asTensor(other, 'other')._h, checkNumber(o.alpha, 'alpha')));
    if (o.out !== undefined) return outOp('add_out', this, other, o.out);
    if (other instanceof Tensor) return new Tensor(native.add(this._h, other._h));
    return new Tensor(native.add_scalar(this.live('add'), scalar(other, 'other')));
  }
  sub(other: TensorOrScalar, opts?: { out?: Tensor }): Tensor {
    const out = checkOptions(opts, 'opts').out;
    if (out !== undefined) return outOp('sub_out', this, other, out);
    return binary('sub', this, other);
  }
  mul(other: TensorOrScalar, opts?: { out?: Tensor }): Tensor {
    const out = checkOptions(opts, 'opts').out;
    if (out !== undefined) return outOp('mul_out', this, other, out);
    if (other instanceof Tensor) return new Tensor(native.mul(this._h, other._h));
    return new Tensor(native.mul_scalar(this.live('mul'), scalar(other, 'other')));
  }
  div(other: TensorOrScalar, opts?: { out?: Tensor }): Tensor {
    const out = checkOptions(opts, 'opts').out;
    if (out !== undefined) return outOp('div_out', this, other, out);
    return binary('div', this, other);
  }
  pow(exponent: TensorOrScalar): Tensor {
    return binary('pow', this, exponent);
  }
  maximum(other: TensorOrScalar): Tensor {
    return binary('maximum', this, other);
  }
  minimum(other: TensorOrScalar): Tensor {
    return binary('minimum', this, other);
  }
  atan2(other: TensorOrScalar): Tensor {
    return binary('atan2', this, other);
  }
  fmod(other: TensorOrScalar): Tensor {
    return binary('fmod', this, other);
  }
  remainder(other: TensorOrScalar): Tensor {
    return binary('remainder', this, other);
  }
  eq(other: TensorOrScalar): Tensor<'bool'> {
    return binary('eq', this, other) as Tensor<'bool'>;
  }
  ne(other: TensorOrScalar): Tensor<'bool'> {
    return binary('ne', this, other) as Tensor<'bool'>;
  }
  lt(other: TensorOrScalar): Tensor<'bool'> {
    return binary('lt', this, other) as Tensor<'bool'>;
  }
  le(other: TensorOrScalar): Tensor<'bool'> {
    return binary('le', this, other) as Tensor<'bool'>;
  }
  gt(other: TensorOrScalar): Tensor<'bool'> {
    return binary('gt', this, other) as Tensor<'bool'>;
  }
  ge(other: TensorOrScalar): Tensor<'bool'> {
    return binary('ge', this, other) as Tensor<'bool'>;
  }
  logicalAnd(other: TensorOrScalar): Tensor<'bool'> {
    return binary('logical_and', this, other) as Tensor<'bool'>;
  }
  logicalOr(other: TensorOrScalar): Tensor<'bool'> {
    return binary('logical_or', this, other) as Tensor<'bool'>;
  }
  logicalXor(other: TensorOrScalar): Tensor<'bool'> {
    return binary('logical_xor', this, other) as Tensor<'bool'>;
  }

  neg(): Tensor<D> { return unary('neg', this); }
  abs(): Tensor<D> { return unary('abs', this); }
  exp(): Tensor { return unary('exp', this); }
  exp2(): Tensor { return unary('exp2', this); }
  log(): Tensor { return unary('log', this); }
  log2(): Tensor { return unary('log2', this); }
  log1p(): Tensor { return unary('log1p', this); }
  expm1(): Tensor { return unary('expm1', this); }
  sqrt(): Tensor { return unary('sqrt', this); }
  rsqrt(): Tensor { return unary('rsqrt', this); }
  square(): Tensor<D> { return unary('square', this); }
  reciprocal(): Tensor { return unary('reciprocal', this); }
  sin(): Tensor { return unary('sin', this); }
  cos(): Tensor { return unary('cos', this); }
  atan(): Tensor { return unary('atan', this); }
  asin(): Tensor { return unary('asin', this); }
  acos(): Tensor { return unary('acos', this); }
  sinh(): Tensor { return unary('sinh', this); }
  cosh(): Tensor { return unary('cosh', this); }
  tanh(): Tensor { return unary('tanh', this); }
  sigmoid(): Tensor { return unary('sigmoid', this); }
  relu(): Tensor<D> { return unary('relu', this); }
  silu(): Tensor { return unary('silu', this); }
  erf(): Tensor { return unary('erf', this); }
  sign(): Tensor<D> { return unary('sign', this); }
  floor(): Tensor<D> { return unary('floor', this); }
  ceil(): Tensor<D> { return unary('ceil', this); }
  round(): Tensor<D> { return unary('round', this); }
  trunc(): Tensor<D> { return unary('trunc', this); }
  logicalNot(): Tensor<'bool'> { return unary('logical_not', this) as Tensor<'bool'>; }
  isnan(): Tensor<'bool'> { return unary('isnan', this) as Tensor<'bool'>; }
  isinf(): Tensor<'bool'> { return unary('isinf', this) as Tensor<'bool'>; }
  isfinite(): Tensor<'bool'> { return unary('isfinite', this) as Tensor<'bool'>; }
  /** GELU; approximate 'tanh' selects the tanh approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(native.gelu(this.live('gelu'), checkOneOf(approximate, ['none', 'tanh'], 'approximate')));
  }
  /** softplus(x) = log(1 + exp(beta·x)) / beta, linear above `threshold`. */
  softplus(beta = 1, threshold = 20): Tensor {
    return new Tensor(native.softplus(this.live('softplus'), checkNumber(beta, 'beta'), checkNumber(threshold, 'threshold')));
  }
  clamp(min: number | null, max: number | null = null): Tensor<D> {
    if (min === null && max === null) fail('at least one of min and max', 'clamp bounds', null);
    return new Tensor(native.clamp(this.live('clamp'), min === null ? null : checkNumber(min, 'min'), max === null ? null : checkNumber(max, 'max')));
  }
  lerp(end: Tensor, weight: number): Tensor {
    return new Tensor(native.lerp(this.live('lerp'), asTensor(end, 'end')._h, checkNumber(weight, 'weight')));
  }
  /** True when every element is within atol + rtol·|other| of `other`. */
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return native.allclose(this.live('allclose'), asTensor(other, 'other')._h, checkNumber(rtol, 'rtol'), checkNumber(atol, 'atol'));
  }

  // ---- in place (return this) -------------------------------------------------------

  add_(other: TensorOrScalar, alpha?: number): this {
    if (other instanceof Tensor) native.add_(this.live('add_'), other._h, alpha === undefined ? null : checkNumber(alpha, 'alpha'));
    else native.add_scalar_(this.live('add_'), scalar(other, 'other'));
    return this;
  }
  sub_(other: Tensor): this {
    native.sub_(this.live('sub_'), asTensor(other, 'other')._h);
    return this;
  }
  mul_(other: TensorOrScalar): this {
    if (other instanceof Tensor) native.mul_(this.live('mul_'), other._h);
    else native.mul_scalar_(this.live('mul_'), scalar(other, 'other'));
    return this;
  }
  div_(other: TensorOrScalar): this {
    if (other instanceof Tensor) native.div_(this.live('div_'), other._h);
    else native.div_scalar_(this.live('div_'), scalar(other, 'other'));
    return this;
  }
  zero_(): this {
    native.zero_(this.live('zero_'));
    return this;
  }
  fill_(value: Scalar): this {
    native.fill_(this.live('fill_'), scalar(value, 'value'));
    return this;
  }
  copy_(source: Tensor): this {
    native.copy_(this.live('copy_'), asTensor(source, 'source')._h);
    return this;
  }
  clamp_(min: number | null, max: number | null = null): this {
    native.clamp_(this.live('clamp_'), min === null ? null : checkNumber(min, 'min'), max === null ? null : checkNumber(max, 'max'));
    return this;
  }
  /** this += value · t1 · t2 */
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcmul_(this.live('addcmul_'), asTensor(t1, 't1')._h, asTensor(t2, 't2')._h, checkNumber(value, 'value'));
    return this;
  }
  /** this += value · t1 / t2 */
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcdiv_(this.live('addcdiv_'), asTensor(t1, 't1')._h, asTensor(t2, 't2')._h, checkNumber(value, 'value'));
    return this;
  }
  /** this += weight · (end − this) */
  lerp_(end: Tensor, weight: number): this {
    native.lerp_(this.live('lerp_'), asTensor(end, 'end')._h, checkNumber(weight, 'weight'));
    return this;
  }

  // ---- reductions -------------------------------------------------------------------

  sum(dim?: number | number[] | null, opts: ReduceOptions & { dtype?: DType } = {}): Tensor {
    return new Tensor(native.sum(this.live('sum'), dimsArg(dim), keepdim(opts), sumDType(opts)));
  }
  mean(dim?: number | number[] | null, opts: ReduceOptions = {}): Tensor {
    return new Tensor(native.mean(this.live('mean'), dimsArg(dim), keepdim(opts)));
  }
  prod(dim?: number | null, opts: ReduceOptions = {}): Tensor {
    return new Tensor(native.prod(this.live('prod'), dim == null ? null : checkInt(dim, 'dim'), keepdim(opts)));
  }
  /** Variance with Bessel's correction by default (correction = 1), as PyTorch. */
  var(dim?: number | number[] | null, opts: ReduceOptions & { correction?: number } = {}): Tensor {
    return new Tensor(native.var(this.live('var'), dimsArg(dim), checkNumber(checkOptions(opts, 'opts').correction ?? 1, 'correction'), keepdim(opts)));
  }
  std(dim?: number | number[] | null, opts: ReduceOptions & { correction?: number } = {}): Tensor {
    return new Tensor(native.std(this.live('std'), dimsArg(dim), checkNumber(checkOptions(opts, 'opts').correction ?? 1, 'correction'), keepdim(opts)));
  }
  /** max() over everything, or max(dim) → {values, indices}. */
  max(): Tensor;
  max(dim: number, opts?: ReduceOptions): { values: Tensor; indices: Tensor<'int64'> };
  max(dim?: number, opts: ReduceOptions = {}): Tensor | { values: Tensor; indices: Tensor<'int64'> } {
    return extremum('max', this, dim, opts);
  }
  min(): Tensor;
  min(dim: number, opts?: ReduceOptions): { values: Tensor; indices: Tensor<'int64'> };
  min(dim?: number, opts: ReduceOptions = {}): Tensor | { values: Tensor; indices: Tensor<'int64'> } {
    return extremum('min', this, dim, opts);
  }
  amax(dim?: number | number[] | null, opts: ReduceOptions = {}): Tensor<D> {
    return new Tensor(native.amax(this.live('amax'), dimsArg(dim), keepdim(opts)));
  }
  amin(dim?: number | number[] | null, opts: ReduceOptions = {}): Tensor<D> {
    return new Tensor(native.amin(this.live('amin'), dimsArg(dim), keepdim(opts)));
  }
  argmax(dim?: number | null, opts: ReduceOptions = {}): Tensor<'int64'> {
    return new Tensor(native.argmax(this.live('argmax'), dim == null ? null : checkInt(dim, 'dim'), keepdim(opts)));
  }
  argmin(dim?: number | null, opts: ReduceOptions = {}): Tensor<'int64'> {
    return new Tensor(native.argmin(this.live('argmin'), dim == null ? null : checkInt(dim, 'dim'), keepdim(opts)));
  }
  logsumexp(dim?: number | number[] | null, opts: ReduceOptions = {}): Tensor {
    return new Tensor(native.logsumexp(this.live('logsumexp'), dimsArg(dim), keepdim(opts)));
  }
  /** Vector p-norm over `dim` (all elements by default); p may be Infinity. */
  norm(p = 2, dim?: number | number[] | null, opts: ReduceOptions = {}): Tensor {
    return new Tensor(native.norm(this.live('norm'), checkNumber(p, 'p'), dimsArg(dim), keepdim(opts)));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this.live('cumsum'), checkInt(dim, 'dim')));
  }
  all(): Tensor<'bool'> {
    return new Tensor(native.all(this.live('all')));
  }
  any(): Tensor<'bool'> {
    return new Tensor(native.any(this.live('any')));
  }

  // ---- linear algebra ---------------------------------------------------------------

  matmul(other: Tensor, opts?: { out?: Tensor }): Tensor {
    const out = checkOptions(opts, 'opts').out;
    if (out !== undefined) return outOp('matmul_out', this, other, out);
    return new Tensor(native.matmul(this.live('matmul'), asTensor(other, 'other')._h));
  }
  mm(other: Tensor): Tensor {
    return new Tensor(native.mm(this.live('mm'), asTensor(other, 'other')._h));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(native.bmm(this.live('bmm'), asTensor(other, 'other')._h));
  }
  outer(other: Tensor): Tensor {
    return new Tensor(native.outer(this.live('outer'), asTensor(other, 'other')._h));
  }
  trace(): Tensor {
    return new Tensor(native.trace(this.live('trace')));
  }
  diag(diagonal = 0): Tensor<D> {
    return new Tensor(native.diag(this.live('diag'), checkInt(diagonal, 'diagonal')));
  }
  /** Matrix transpose of the last two dims. */
  get T(): Tensor<D> {
    return this.transpose(-2, -1);
  }

  // ---- shape ------------------------------------------------------------------------

  reshape(shape: number[]): Tensor<D> {
    return new Tensor(native.reshape(this.live('reshape'), shapeWithInfer(shape)));
  }
  view(shape: number[]): Tensor<D> {
    return new Tensor(native.view(this.live('view'), shapeWithInfer(shape)));
  }
  flatten(startDim = 0, endDim = -1): Tensor<D> {
    return new Tensor(native.flatten(this.live('flatten'), checkInt(startDim, 'startDim'), checkInt(endDim, 'endDim')));
  }
  permute(dims: number[]): Tensor<D> {
    return new Tensor(native.permute(this.live('permute'), checkDims(dims, 'dims')));
  }
  transpose(dim0: number, dim1: number): Tensor<D> {
    return new Tensor(native.transpose(this.live('transpose'), checkInt(dim0, 'dim0'), checkInt(dim1, 'dim1')));
  }
  unsqueeze(dim: number): Tensor<D> {
    return new Tensor(native.unsqueeze(this.live('unsqueeze'), checkInt(dim, 'dim')));
  }
  squeeze(dim?: number | number[]): Tensor<D> {
    return new Tensor(native.squeeze(this.live('squeeze'), dim === undefined ? null : checkDims(dim)));
  }
  /** Broadcast view to `shape` (−1 keeps a dim). */
  expand(shape: number[]): Tensor<D> {
    return new Tensor(native.expand(this.live('expand'), shapeWithInfer(shape)));
  }
  expandAs(other: Tensor): Tensor<D> {
    return this.expand(asTensor(other, 'other').shape);
  }
  repeat(repeats: number[]): Tensor<D> {
    return new Tensor(native.repeat(this.live('repeat'), checkShape(repeats, 'repeats')));
  }
  flip(dims: number | number[]): Tensor<D> {
    return new Tensor(native.flip(this.live('flip'), checkDims(dims, 'dims')));
  }
  tril(diagonal = 0): Tensor<D> {
    return new Tensor(native.tril(this.live('tril'), checkInt(diagonal, 'diagonal')));
  }
  triu(diagonal = 0): Tensor<D> {
    return new Tensor(native.triu(this.live('triu'), checkInt(diagonal, 'diagonal')));
  }
  /** Split into pieces of `size` along dim (last may be smaller), or into the given section sizes. */
  split(sizeOrSections: number | number[], dim = 0): Tensor<D>[] {
    const h = this.live('split');
    checkInt(dim, 'dim');
    let sections: number[];
    if (typeof sizeOrSections === 'number') {
      const size = checkInt(sizeOrSections, 'size', 1);
      const shape = native.sizes(h) as number[];
      const d = dim < 0 ? dim + shape.length : dim;
      if (d < 0 || d >= shape.length) fail(`a dim in [${-shape.length}, ${shape.length - 1}]`, 'dim', dim, 'ERR_INDEX');
      sections = [];
      for (let rest = shape[d]; rest > 0; rest -= size) sections.push(Math.min(size, rest));
    } else {
      sections = checkShape(sizeOrSections, 'sections', MAX_SECTIONS);
    }
    return (native.split(h, sections, dim) as number[]).map((x) => new Tensor<D>(x));
  }
  chunk(chunks: number, dim = 0): Tensor<D>[] {
    return (native.chunk(this.live('chunk'), checkInt(chunks, 'chunks', 1), checkInt(dim, 'dim')) as number[]).map((x) => new Tensor<D>(x));
  }
  unbind(dim = 0): Tensor<D>[] {
    return (native.unbind(this.live('unbind'), checkInt(dim, 'dim')) as number[]).map((x) => new Tensor<D>(x));
  }

  // ---- indexing ---------------------------------------------------------------------

  narrow(dim: number, start: number, length: number): Tensor<D> {
    return new Tensor(native.narrow(this.live('narrow'), checkInt(dim, 'dim'), checkInt(start, 'start'), checkInt(length, 'length', 0)));
  }
  /** Python-style slice along `dim`: start and end may be negative or past the end. */
  slice(dim: number, start = 0, end: number = Number.MAX_SAFE_INTEGER, step = 1): Tensor<D> {
    return new Tensor(native.slice(this.live('slice'), checkInt(dim, 'dim'), checkInt(start, 'start'), checkInt(end, 'end'), checkInt(step, 'step', 1)));
  }
  /** The sub-tensor at `index` along `dim` (that dim removed). */
  select(dim: number, index: number): Tensor<D> {
    return new Tensor(native.select(this.live('select'), checkInt(dim, 'dim'), checkInt(index, 'index')));
  }
  /** t.at(i) = t[i] */
  at(index: number): Tensor<D> {
    return this.select(0, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor<D> {
    return new Tensor(native.indexSelect(this.live('indexSelect'), checkInt(dim, 'dim'), asTensor(index, 'index')._h));
  }
  gather(dim: number, index: Tensor): Tensor<D> {
    return new Tensor(native.gather(this.live('gather'), checkInt(dim, 'dim'), asTensor(index, 'index')._h));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor<D> {
    return new Tensor(native.scatterAdd(this.live('scatterAdd'), checkInt(dim, 'dim'), asTensor(index, 'index')._h, asTensor(src, 'src')._h));
  }
  maskedFill(mask: Tensor, value: Scalar): Tensor<D> {
    return new Tensor(native.maskedFill(this.live('maskedFill'), asTensor(mask, 'mask')._h, scalar(value, 'value')));
  }
  maskedSelect(mask: Tensor): Tensor<D> {
    return new Tensor(native.maskedSelect(this.live('maskedSelect'), asTensor(mask, 'mask')._h));
  }
  /** Advanced indexing along dim 0 with an integer or boolean tensor (t[idx]). */
  index(indices: Tensor): Tensor<D> {
    return new Tensor(native.indexTensor(this.live('index'), asTensor(indices, 'indices')._h));
  }
  sort(dim = -1, descending = false): { values: Tensor<D>; indices: Tensor<'int64'> } {
    const [v, i] = native.sort(this.live('sort'), checkInt(dim, 'dim'), checkBool(descending, 'descending'));
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor<D>; indices: Tensor<'int64'> } {
    const [v, i] = native.topk(this.live('topk'), checkInt(k, 'k', 0), checkInt(dim, 'dim'), checkBool(largest, 'largest'));
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
}

// ---- helpers shared by the methods above and by functional.ts --------------------------

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

export function unary<D extends DType>(op: string, t: Tensor<D>): Tensor<D> {
  if (t._h === 0) asLive(t, op);
  return new Tensor(native[op](t._h));
}

function asLive(t: Tensor, op: string): never {
  throw new DisposedError('ERR_DISPOSED', `Cannot ${op}: the tensor was disposed (by dispose() or by the end of its scope)`);
}

/** a ∘ b where either side may be a scalar (PyTorch's wrapped-number promotion applies). */
export function binary(op: string, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor) {
    if (a._h === 0) asLive(a, op);
    if (b instanceof Tensor) {
      if (b._h === 0) asLive(b, op);
      return new Tensor(native[op](a._h, b._h));
    }
    return new Tensor(native[op + '_ts'](a._h, scalar(b, 'other')));
  }
  if (b instanceof Tensor) {
    if (b._h === 0) asLive(b, op);
    return new Tensor(native[op + '_st'](scalar(a, 'input'), b._h));
  }
  return fail('at least one Tensor', `${op} operands`, [a, b]);
}

function outOp(op: string, a: Tensor, b: TensorOrScalar, out: Tensor): Tensor {
  asTensor(out, 'out');
  native[op](out._h, a._h, asTensor(b, 'other')._h);
  out._invalidate();
  return out;
}

function extremum(op: 'max' | 'min', t: Tensor, dim: number | undefined, opts: ReduceOptions) {
  if (dim === undefined) return new Tensor(native[op](t._h, null, false));
  const [values, indices] = native[op](t._h, checkInt(dim, 'dim'), keepdim(opts));
  return { values: new Tensor(values), indices: new Tensor<'int64'>(indices) };
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
