/** What an integrator hands back to odeint before the outputs are stacked. */
import type { State } from './state';

export interface RawSolution {
  /** The state at each output time reached, outputs[0] being y0 itself. */
  outputs: State[];
  accepted: number;
  rejected: number;
  /** The step budget ran out before the last output time. */
  exhausted: boolean;
  /** Solver time of the last accepted step. */
  reachedTime: number;
  /** The state at reachedTime, when the budget ran out. */
  reachedState: State | null;
}
