/** native/adjoint_kernels.cpp: the adjoint ODE's vector-Jacobian products in one call. */
import { type Handle, exportNames } from './types';

export interface AdjointKernelsBinding {
  /** f's outputs cut from the graph, then −aᵀ·∂outputs/∂inputs for each input (zeros where unused). */
  adjointVjp(outputs: readonly Handle[], inputs: readonly Handle[], adjoints: readonly Handle[], stateCount: number): Handle[];
}

export const ADJOINT_KERNELS_EXPORTS = exportNames<AdjointKernelsBinding>({ adjointVjp: true });
