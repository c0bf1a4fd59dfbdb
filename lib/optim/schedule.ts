/**
 * Learning-rate schedules as pure functions of the step (the number of optimizer steps
 * already taken, from 0). Call optimizer.setLR(schedule(step)) before each step.
 */
import { checkInt, checkNumber, checkOptions, fail } from '../validate';

export type Schedule = (step: number) => number;

/** A schedule's argument: the number of optimizer steps already taken. */
function checkStep(step: unknown): number {
  return checkInt(step, 'step', 0);
}

export function constantLR(lr: number): Schedule {
  checkNumber(lr, 'lr', { finite: true });
  return (step) => {
    checkStep(step);
    return lr;
  };
}

/** Ramps linearly up to lr over warmupSteps steps: lr·min(1, (step + 1) / warmupSteps). */
export function linearWarmup(lr: number, warmupSteps: number): Schedule {
  checkNumber(lr, 'lr', { finite: true });
  checkInt(warmupSteps, 'warmupSteps', 1);
  return (step) => lr * Math.min(1, (checkStep(step) + 1) / warmupSteps);
}

export interface CosineOptions {
  lr: number;
  totalSteps: number;
  /** Linear warm-up steps before the decay starts (default 0). */
  warmupSteps?: number;
  /** The learning rate the decay ends at (default 0). */
  minLR?: number;
}

/**
 * Linear warm-up, then cosine decay from lr to minLR over the remaining steps (SGDR without
 * restarts): minLR + ½(lr − minLR)(1 + cos(π·p)), p the fraction of decay steps taken.
 */
export function cosineDecay(options: CosineOptions): Schedule {
  const opts = checkOptions(options, 'opts');
  const lr = checkNumber(opts.lr, 'opts.lr', { finite: true });
  const total = checkInt(opts.totalSteps, 'opts.totalSteps', 1);
  const warmup = checkInt(opts.warmupSteps ?? 0, 'opts.warmupSteps', 0);
  const minLR = checkNumber(opts.minLR ?? 0, 'opts.minLR', { finite: true });
  if (warmup >= total) fail(`fewer warm-up steps than totalSteps (${total})`, 'opts.warmupSteps', warmup);
  return (step) => {
    checkStep(step);
    if (step < warmup) return (lr * (step + 1)) / warmup;
    const progress = Math.min(1, (step - warmup) / (total - warmup));
    return minLR + 0.5 * (lr - minLR) * (1 + Math.cos(Math.PI * progress));
  };
}
