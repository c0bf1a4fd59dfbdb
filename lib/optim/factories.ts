/**
 * Optimizers and learning-rate schedules from plain configuration objects (what train()
 * and the CLI's run spec hold), with each field checked and defaulted here.
 */
import { checkInt, checkNumber, checkOneOf } from '../validate';
import { Adam, AdamW } from './adam';
import { SGD } from './sgd';
import { constantLR, cosineDecay, linearWarmup, type Schedule } from './schedule';
import type { Optimizer } from './optimizer';
import type { ParameterSource } from './params';

export interface OptimizerConfig {
  /** Default 'adam'. */
  name?: 'adam' | 'adamw' | 'sgd';
  /** Default 1e-3. */
  lr?: number;
  betas?: [number, number];
  weightDecay?: number;
  /** SGD only; default 0.9. */
  momentum?: number;
  eps?: number;
}

export interface ScheduleConfig {
  name: 'constant' | 'warmup' | 'cosine';
  /** 'warmup': default 5 % of the steps (at least 1); 'cosine': default 0. */
  warmupSteps?: number;
  /** 'cosine': the rate the decay ends at, default 0. */
  minLR?: number;
}

/** The optimizer `config` names over `params`. */
export function createOptimizer(params: ParameterSource, config: OptimizerConfig): Optimizer {
  const name = checkOneOf(config.name ?? 'adam', ['adam', 'adamw', 'sgd'], 'optimizer.name');
  const lr = checkNumber(config.lr ?? 1e-3, 'optimizer.lr', { finite: true });
  if (name === 'sgd') return new SGD(params, { lr, momentum: config.momentum ?? 0.9, weightDecay: config.weightDecay ?? 0 });
  const opts = { lr, betas: config.betas, weightDecay: config.weightDecay, eps: config.eps };
  return name === 'adamw' ? new AdamW(params, opts) : new Adam(params, opts);
}

/** The schedule `config` names for a run of `totalSteps` steps at peak rate `lr`; constant without a config. */
export function createSchedule(lr: number, config: ScheduleConfig | undefined, totalSteps: number): Schedule {
  if (config === undefined) return constantLR(lr);
  const name = checkOneOf(config.name, ['constant', 'warmup', 'cosine'], 'schedule.name');
  if (name === 'constant') return constantLR(lr);
  if (name === 'warmup') return linearWarmup(lr, checkInt(config.warmupSteps ?? Math.max(1, Math.round(totalSteps / 20)), 'schedule.warmupSteps', 1));
  return cosineDecay({ lr, totalSteps, warmupSteps: config.warmupSteps ?? 0, minLR: config.minLR ?? 0 });
}
