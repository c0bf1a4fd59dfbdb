/** A solve that cannot go on: non-finite values from f, a vanishing step, a step limit, an abort. */
import { FlowmatchError } from '../errors';

export class SolverError extends FlowmatchError {
  /** The solver time (in the caller's time direction) at which the problem appeared. */
  readonly time: number;
  constructor(code: string, message: string, time: number) {
    super(code, message);
    this.time = time;
  }
}
