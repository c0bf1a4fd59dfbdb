/** A solve that cannot go on: non-finite values from f, a vanishing step, a step limit, an abort. */
import { type CodeOf, FlowmatchError } from '../errors';

export class SolverError extends FlowmatchError {
  /** The solver time (in the caller's time direction) at which the problem appeared. */
  readonly time: number;
  declare readonly code: CodeOf<'SolverError'>;
  constructor(code: CodeOf<'SolverError'>, message: string, time: number) {
    super(code, message);
    this.time = time;
  }
}
