/**
 * Autograd functions whose backward is JS (PyTorch's torch.autograd.Function): the outputs
 * join libtorch's graph through one native node, and when backward() or grad() reaches it,
 * `backward` receives the output gradients and returns the input gradients. odeintAdjoint
 * uses it to solve the adjoint ODE in place of backprop through the solver's steps.
 *
 * The backward runs on the JS thread, inside the backward() or grad() call that reached it
 * (native/custom_function.cpp): that call must be the synchronous one from JS, and the
 * tensors CPU ones (libtorch runs the gradients of CUDA tensors on its own threads, where
 * such a backward throws ERR_UNSUPPORTED).
 */
import { native } from './native';
import { Tensor, asTensor, handlesOf, live } from './tensor';
import { tidy } from './scope';
import { ShapeError } from './errors';
import { describe } from './validate';

/** Receives one gradient per output (zeros for outputs the loss does not use); returns one per input, or null. */
export type CustomBackward = (gradOutputs: Tensor[]) => (Tensor | null)[];

interface Entry {
  backward: CustomBackward;
  inputs: number;
  /** Frees what the backward closes over, once the node is gone or has run without retainGraph. */
  release?: () => void;
}

const entries = new Map<number, Entry>();
let installed = false;

function dispatch(id: number, handles: number[]): (number | null)[] {
  return tidy(() => {
    const grads = handles.map((h) => new Tensor(h));
    const entry = entries.get(id);
    if (entry === undefined) throw new ShapeError('ERR_BACKWARD_TWICE', 'The saved state of this custom autograd function was freed (backward ran without retainGraph, or its outputs were disposed)');
    const out = entry.backward(grads);
    if (!Array.isArray(out) || out.length !== entry.inputs) {
      throw new ShapeError('ERR_SHAPE', `Expected an array of ${entry.inputs} gradients (Tensor or null, one per input) for the value returned by a custom backward but received ${describe(out)}`);
    }
    // The tidy releases the handles it tracks: the native node gets handles of its own.
    return out.map((g, i) => (g === null ? null : native.shareHandle(live(asTensor(g, `gradient ${i} of a custom backward`), 'return a gradient from a custom backward', `gradient ${i}`))));
  });
}

/** Drops the closures of nodes that died or ran without retainGraph. */
function sweepCustomFunctions(): void {
  if (!installed) return;
  const ids = native.customFunctionsReleased();
  for (const id of ids) {
    const entry = entries.get(id);
    entries.delete(id);
    entry?.release?.();
  }
}

/**
 * New tensors with the values of `outputs` whose gradient with respect to `inputs` is what
 * `backward` says. When grad mode is off or no input requires grad, they are plain copies
 * of the handles and `release` runs at once. The caller keeps ownership of `outputs`.
 */
export function customFunction(inputs: Tensor[], outputs: Tensor[], backward: CustomBackward, release?: () => void): Tensor[] {
  if (!installed) {
    native.setCustomFunctionDispatch(dispatch);
    installed = true;
  }
  sweepCustomFunctions();
  const [id, handles] = native.customFunction(
    handlesOf(inputs, 'inputs', 'customFunction', 0),
    handlesOf(outputs, 'outputs', 'customFunction', 1),
  );
  const result = handles.map((h) => new Tensor(h));
  if (id === 0) release?.();
  else entries.set(id, { backward, inputs: inputs.length, release });
  return result;
}

/** How many custom functions still hold their backward (for tests of memory release). */
export function liveCustomFunctions(): number {
  sweepCustomFunctions();
  return entries.size;
}
