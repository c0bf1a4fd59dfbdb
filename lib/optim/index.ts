/** Optimizers, gradient clipping, weight EMA and learning-rate schedules. */
export { Optimizer, type OptimizerState } from './optimizer';
export { Adam, AdamW, type AdamOptions } from './adam';
export { SGD, type SGDOptions } from './sgd';
export { clipGradNorm } from './clip';
export { EMA, type EMAOptions } from './ema';
export { constantLR, linearWarmup, cosineDecay, type Schedule, type CosineOptions } from './schedule';
export type { ParameterSource, HasParameters } from './params';
export { createOptimizer, createSchedule, type OptimizerConfig, type ScheduleConfig } from './factories';
