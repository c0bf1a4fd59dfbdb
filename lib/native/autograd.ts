/** native/autograd.cpp: grad mode, backward, .grad, and vector-Jacobian products. */
import { type Handle, exportNames } from './types';

export interface AutogradBinding {
  /** Thread-local in libtorch: each worker thread has its own. */
  setGradEnabled(enabled: boolean): void;
  isGradEnabled(): boolean;
  requiresGrad(t: Handle): boolean;
  setRequiresGrad(t: Handle, requiresGrad: boolean): void;
  isLeaf(t: Handle): boolean;
  /** A new handle of t's gradient, or null when it has none. */
  gradOf(t: Handle): Handle | null;
  /** null clears the gradient; otherwise g must have t's shape, dtype and device. */
  setGrad(t: Handle, g: Handle | null): void;
  /** retainGraph null: libtorch's default (createGraph). */
  backward(t: Handle, gradient: Handle | null, retainGraph: boolean | null, createGraph: boolean): void;
  /** One gradient per input; null for an unused input when allowUnused. */
  grad(outputs: readonly Handle[], inputs: readonly Handle[], gradOutputs: readonly Handle[] | null, retainGraph: boolean | null, createGraph: boolean, allowUnused: boolean): (Handle | null)[];
}

export const AUTOGRAD_EXPORTS = exportNames<AutogradBinding>({
  setGradEnabled: true, isGradEnabled: true, requiresGrad: true, setRequiresGrad: true, isLeaf: true, gradOf: true,
  setGrad: true, backward: true, grad: true,
});
