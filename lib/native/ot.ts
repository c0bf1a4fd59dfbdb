/** native/ot.cpp: optimal transport for minibatch couplings. */
import { type Handle, exportNames } from './types';

export interface NativeAssignment {
  /** int64 [n]: the column of each row. */
  assignment: Handle;
  /** The mean matched cost. */
  cost: number;
}
export interface NativeSinkhornPlan {
  /** float64 [n, m]. */
  plan: Handle;
  /** Σ plan·cost. */
  cost: number;
  iterations: number;
  marginalError: number;
}

export interface OtBinding {
  /** float64 [n, m] of squared distances between the flattened rows of a and b. */
  otSquaredEuclidean(a: Handle, b: Handle): Handle;
  /** The exact assignment of a square cost matrix, within label classes when labels are given. */
  otExact(cost: Handle, labels: Handle | null): NativeAssignment;
  otSinkhorn(cost: Handle, reg: number, maxIterations: number, threshold: number, labels: Handle | null): NativeSinkhornPlan;
  /** int64 [n]: each row's argmax column, or one column drawn from the row. */
  otPairing(plan: Handle, sample: boolean): Handle;
}

export const OT_EXPORTS = exportNames<OtBinding>({ otSquaredEuclidean: true, otExact: true, otSinkhorn: true, otPairing: true });
