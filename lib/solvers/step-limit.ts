/**
 * The bound on how many steps one solve may take. torchdiffeq's max_num_steps defaults to
 * 2^31 − 1, which in practice means never; flowmatch bounds every solve by default so that a
 * step size of 1e-300, `steps: 1e9` or a tolerance no step can meet ends in an ERR_MAX_STEPS
 * SolverError instead of running for days. options.max_num_steps raises or lowers it.
 */
import { checkInt } from '../validate';
import { SolverError } from './solver-error';

/**
 * One million: for a fixed-grid method the steps of the whole grid, for an adaptive method
 * the steps (accepted and rejected) within one output interval, as torchdiffeq counts them.
 */
export const DEFAULT_MAX_NUM_STEPS = 1_000_000;

export function checkMaxNumSteps(value: unknown): number {
  return value === undefined ? DEFAULT_MAX_NUM_STEPS : checkInt(value, 'options.max_num_steps', 1);
}

/** Throws before the solve starts when it is known to need more than `limit` steps. */
export function checkStepCount(needed: number, limit: number, why: string, time: number): void {
  if (!(needed <= limit)) {
    throw new SolverError('ERR_MAX_STEPS', `The solve needs ${needed} steps (${why}), more than max_num_steps = ${limit} (odeint's options.max_num_steps raises it)`, time);
  }
}
