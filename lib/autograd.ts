/** Grad mode and vector-Jacobian products (torch.autograd.grad). */
import { native } from './native';
import { Tensor, handlesOf } from './tensor';
import { checkBool, checkFunction, checkOptions } from './validate';
import { ArgumentError } from './errors';

function withGradMode<T>(enabled: boolean, fn: () => T, name: string): T {
  checkFunction(fn, 'fn');
  const previous = native.isGradEnabled();
  native.setGradEnabled(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) {
      // Grad mode is thread-local in libtorch: it cannot follow one async chain across
      // `await` while others run, so async functions are refused rather than leaking it.
      throw new ArgumentError(`${name}() takes a synchronous function: grad mode cannot follow an async function across await`);
    }
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn with gradient tracking off (inference, solver steps, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn, 'noGrad');
}

/** Runs fn with gradient tracking on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn, 'enableGrad');
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

export interface GradOptions {
  /** Vectors v in vᵀ·J, one per output (required for non-scalar outputs). */
  gradOutputs?: Tensor | Tensor[];
  /** Keep the graph for another backward pass (defaults to createGraph). */
  retainGraph?: boolean;
  /** Build a graph of the gradient itself, for double backward. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/** Gradients of sum(outputs · gradOutputs) with respect to each input (PyTorch's torch.autograd.grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const o = checkOptions(opts, 'opts');
  const flag = (v: boolean | undefined, name: string): boolean | undefined => (v === undefined ? undefined : checkBool(v, name));
  const retainGraph = flag(o.retainGraph, 'opts.retainGraph');
  const createGraph = flag(o.createGraph, 'opts.createGraph');
  const allowUnused = flag(o.allowUnused, 'opts.allowUnused');
  const list = (v: Tensor | Tensor[], name: string, position: number | string) => handlesOf(Array.isArray(v) ? v : [v], name, 'grad', position);
  const outs = list(outputs, 'outputs', 0);
  const ins = list(inputs, 'inputs', 1);
  const gradOuts = o.gradOutputs === undefined ? null : list(o.gradOutputs, 'gradOutputs', 'opts.gradOutputs');
  if (gradOuts !== null && gradOuts.length !== outs.length) {
    throw new ArgumentError(`Expected ${outs.length} gradOutputs (one per output) but received ${gradOuts.length}`);
  }
  const handles = native.grad(outs, ins, gradOuts, retainGraph ?? null, createGraph ?? false, allowUnused ?? false);
  return handles.map((h) => (h === null ? null : new Tensor(h)));
}
