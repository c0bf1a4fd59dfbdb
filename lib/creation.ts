/** Making tensors: from JS data, and the factories zeros, ones, rand, … with *Like forms. */
import { native } from './native';
import { Tensor, type NestedArray } from './tensor';
import { type DType, checkDType, dtypeCode, dtypeFromCode, dtypeOfTypedArray } from './dtype';
import { checkAllocation } from './tensor-size';
import { type Device, checkDevice } from './device';
import { ArgumentError, ShapeError } from './errors';
import { MAX_DIMS, checkBool, checkInt, checkNumber, checkOptions, checkShape, describe, fail } from './validate';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function opts(o: TensorOptions | undefined): { dtype: number | null; device: Device; requiresGrad: boolean } {
  if (o !== undefined && (o === null || typeof o !== 'object')) fail('an options object', 'options', o);
  return {
    dtype: o?.dtype === undefined ? null : dtypeCode(checkDType(o.dtype, 'options.dtype')),
    device: o?.device === undefined ? 'cpu' : checkDevice(o.device, 'options.device'),
    requiresGrad: o?.requiresGrad === undefined ? false : checkBool(o.requiresGrad, 'options.requiresGrad'),
  };
}

/** Default floating dtype when none is given (PyTorch's default). */
const DEFAULT_FLOAT = dtypeCode('float32');

/** A checked shape that is also small enough to allocate (lib/tensor-size). */
function allocShape(shape: unknown, o: { dtype: number | null; device: Device }, fallback: number): number[] {
  return checkAllocation(checkShape(shape), dtypeFromCode(o.dtype ?? fallback), o.device);
}

// ATen factories ignore TensorOptions.requires_grad, so it is always set afterwards
// (which also makes libtorch refuse it for integer dtypes, as PyTorch does).
function withRequiresGrad(t: Tensor, requiresGrad: boolean): Tensor {
  if (requiresGrad) {
    try {
      t.requiresGrad = true;
    } catch (e) {
      t.dispose();
      throw e;
    }
  }
  return t;
}

/** Walks nested arrays: the shape, and whether the leaves are all booleans / all integers. */
function inspectNested(data: unknown): { shape: number[]; flat: (number | boolean)[] } {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) {
    // Also ends an array that contains itself, which would nest forever.
    if (shape.length === MAX_DIMS) throw new ShapeError('ERR_SHAPE', `Expected at most ${MAX_DIMS} levels of nesting for data but received more`);
    shape.push(level.length);
  }
  const flat: (number | boolean)[] = [];
  const walk = (node: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof node !== 'number' && typeof node !== 'boolean') {
        throw new ArgumentError(`Expected a number or a boolean for data${path} but received ${describe(node)}`);
      }
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      throw new ArgumentError(
        `Expected an array of length ${shape[dim]} for data${path} but received ${describe(node)} (nested arrays must be rectangular)`,
        'ERR_SHAPE',
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], dim + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { shape, flat };
}

/**
 * A tensor from a number, a boolean, nested arrays or a TypedArray.
 * Without a dtype: booleans → bool; numbers → float32 (PyTorch's default dtype: JS cannot
 * tell 1 from 1.0, so there is no Python-int inference — ask for 'int64' or pass an
 * Int32Array / BigInt64Array for integers); a TypedArray keeps its element type.
 */
export function tensor(data: NestedArray | ArrayBufferView, options?: TensorOptions & { shape?: number[] }): Tensor {
  const o = opts(options);
  if (ArrayBuffer.isView(data)) {
    const source = dtypeOfTypedArray(data);
    if (source === undefined) fail('a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array', 'data', data);
    const length = data.byteLength / (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    const shape = options?.shape === undefined ? [length] : checkShape(options.shape, 'options.shape');
    return withRequiresGrad(new Tensor(native.fromBuffer(data, dtypeCode(source), shape, o.dtype, o.device, false)), o.requiresGrad);
  }
  if (typeof data !== 'number' && typeof data !== 'boolean' && !Array.isArray(data)) {
    fail('a number, a boolean, nested arrays or a TypedArray', 'data', data);
  }
  const { shape: inferred, flat } = inspectNested(data);
  const allBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
  const anyBool = flat.some((v) => typeof v === 'boolean');
  if (anyBool && !allBool) fail('numbers or booleans, not a mix', 'data', data);
  const shape = options?.shape === undefined ? inferred : checkShape(options.shape, 'options.shape');
  let buffer: Float64Array | Uint8Array;
  let source: DType;
  if (allBool) {
    buffer = Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0));
    source = 'bool';
  } else {
    buffer = Float64Array.from(flat as number[]);
    source = 'float64';
  }
  const target = o.dtype ?? (allBool ? dtypeCode('bool') : DEFAULT_FLOAT);
  return withRequiresGrad(new Tensor(native.fromBuffer(buffer, dtypeCode(source), shape, target, o.device, false)), o.requiresGrad);
}

export function zeros(shape: number[] | number, options?: TensorOptions): Tensor {
  const o = opts(options);
  return withRequiresGrad(new Tensor(native.zeros(allocShape(shape, o, DEFAULT_FLOAT), o.dtype ?? DEFAULT_FLOAT, o.device, false)), o.requiresGrad);
}
export function ones(shape: number[] | number, options?: TensorOptions): Tensor {
  const o = opts(options);
  return withRequiresGrad(new Tensor(native.ones(allocShape(shape, o, DEFAULT_FLOAT), o.dtype ?? DEFAULT_FLOAT, o.device, false)), o.requiresGrad);
}
/** Uninitialised memory: fill it before reading. */
export function empty(shape: number[] | number, options?: TensorOptions): Tensor {
  const o = opts(options);
  return withRequiresGrad(new Tensor(native.empty(allocShape(shape, o, DEFAULT_FLOAT), o.dtype ?? DEFAULT_FLOAT, o.device, false)), o.requiresGrad);
}
/** A tensor of `value`: bool for a boolean, else float32 unless a dtype is given (as tensor()). */
export function full(shape: number[] | number, value: number | boolean, options?: TensorOptions): Tensor {
  const o = opts(options);
  if (typeof value !== 'boolean') checkNumber(value, 'value');
  const inferred = typeof value === 'boolean' ? dtypeCode('bool') : DEFAULT_FLOAT;
  return withRequiresGrad(new Tensor(native.full(allocShape(shape, o, inferred), value, o.dtype ?? inferred, o.device)), o.requiresGrad);
}
export function eye(n: number, m: number = n, options?: TensorOptions): Tensor {
  const o = opts(options);
  const [rows, cols] = allocShape([checkInt(n, 'n', 0), checkInt(m, 'm', 0)], o, DEFAULT_FLOAT);
  return withRequiresGrad(new Tensor(native.eye(rows, cols, o.dtype ?? DEFAULT_FLOAT, o.device)), o.requiresGrad);
}
/** arange(end) or arange(start, end, step): [start, end) in steps; int64 when all are integers (as torch.arange). */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  const o = opts(options);
  if (end === undefined) [start, end] = [0, start];
  checkNumber(start, 'start', { finite: true });
  checkNumber(end, 'end', { finite: true });
  checkNumber(step, 'step', { finite: true });
  if (step === 0) fail('a non-zero number', 'step', step);
  const allInt = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = o.dtype ?? (allInt ? dtypeCode('int64') : DEFAULT_FLOAT);
  checkAllocation([Math.max(0, Math.ceil((end - start) / step))], dtypeFromCode(dtype), o.device, 'arange(start, end, step)');
  return new Tensor(native.arange(start, end, step, dtype, o.device));
}
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  const o = opts(options);
  checkNumber(start, 'start', { finite: true });
  checkNumber(end, 'end', { finite: true });
  return new Tensor(native.linspace(start, end, allocShape([checkInt(steps, 'steps', 0)], o, DEFAULT_FLOAT)[0], o.dtype ?? DEFAULT_FLOAT, o.device));
}
/** Uniform on [0, 1). */
export function rand(shape: number[] | number, options?: TensorOptions): Tensor {
  const o = opts(options);
  return withRequiresGrad(new Tensor(native.rand(allocShape(shape, o, DEFAULT_FLOAT), o.dtype ?? DEFAULT_FLOAT, o.device)), o.requiresGrad);
}
/** Standard normal. */
export function randn(shape: number[] | number, options?: TensorOptions): Tensor {
  const o = opts(options);
  return withRequiresGrad(new Tensor(native.randn(allocShape(shape, o, DEFAULT_FLOAT), o.dtype ?? DEFAULT_FLOAT, o.device)), o.requiresGrad);
}
/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: number[] | number, options?: TensorOptions): Tensor {
  const o = opts(options);
  checkInt(low, 'low');
  checkInt(high, 'high');
  if (high <= low) fail(`an integer greater than low (${low})`, 'high', high);
  return new Tensor(native.randint(low, high, allocShape(shape, o, dtypeCode('int64')), o.dtype ?? dtypeCode('int64'), o.device));
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, options?: { device?: Device }): Tensor<'int64'> {
  const o = checkOptions(options);
  const device = o.device === undefined ? 'cpu' : checkDevice(o.device);
  return new Tensor(native.randperm(checkAllocation([checkInt(n, 'n', 0)], 'int64', device, 'n')[0], device));
}

/** The shape of `t` and the options of a *Like factory: t's dtype and device unless options say otherwise. */
function like(t: Tensor, options?: TensorOptions): [number[], TensorOptions] {
  if (!(t instanceof Tensor)) fail('a Tensor', 'input', t);
  const o = checkOptions(options);
  return [t.shape, { dtype: o.dtype ?? t.dtype, device: o.device ?? t.device, requiresGrad: o.requiresGrad }];
}
export const zerosLike = (t: Tensor, options?: TensorOptions): Tensor => zeros(...like(t, options));
export const onesLike = (t: Tensor, options?: TensorOptions): Tensor => ones(...like(t, options));
export const emptyLike = (t: Tensor, options?: TensorOptions): Tensor => empty(...like(t, options));
export const fullLike = (t: Tensor, value: number | boolean, options?: TensorOptions): Tensor => {
  const [shape, o] = like(t, options);
  return full(shape, value, o);
};
export const randLike = (t: Tensor, options?: TensorOptions): Tensor => rand(...like(t, options));
export const randnLike = (t: Tensor, options?: TensorOptions): Tensor => randn(...like(t, options));
export const randintLike = (t: Tensor, low: number, high: number, options?: TensorOptions): Tensor => {
  const [shape, o] = like(t, options);
  return randint(low, high, shape, o);
};
