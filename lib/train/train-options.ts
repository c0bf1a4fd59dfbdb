/**
 * What train() takes: its options, the batches it reads, and the check of both that runs
 * before anything is built, so a mistake is an ArgumentError naming the option rather
 * than a failure some steps into a run.
 */
import { Tensor } from '../tensor';
import { ArgumentError } from '../errors';
import { checkBool, checkFunction, checkInt, checkNumber, checkOptions, fail } from '../validate';
import type { Module } from '../nn/module';
import type { Conditioning } from '../nn/velocity-model';
import type { GaussianPath } from '../paths/gaussian-path';
import type { TimeSampler } from '../losses/time-samplers';
import { resolveCoupling, type Coupling, type CouplingSpec } from '../couplings/coupling';
import type { EMA } from '../optim/ema';
import type { OptimizerConfig, ScheduleConfig } from '../optim/factories';

/** One training batch: data x1, and labels for class-conditional models. */
export interface TrainBatch {
  x: Tensor;
  labels?: Tensor;
  /** The noise (source samples) for x, of x's shape: reflow's pairs, or a source other than N(0, I). Drawn from N(0, I) when absent. */
  x0?: Tensor;
}

/** Batches addressed by step, so that resuming at step s sees the batches an uninterrupted run would. */
export type BatchSource = { batch(step: number): TrainBatch } | ((step: number) => TrainBatch);

/** The Conditioning of one batch, built from it (e.g. the low-resolution image for super-resolution). */
export type ConditioningProvider = (batch: TrainBatch) => Conditioning;

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  gradNorm?: number;
  seconds: number;
}

export interface TrainOptions {
  model: Module;
  path: GaussianPath;
  data: BatchSource;
  /** Total optimizer steps of the run (a resumed run stops at the same total). */
  steps: number;
  optimizer?: OptimizerConfig;
  schedule?: ScheduleConfig;
  /** Clip the gradient's global 2-norm to this value. */
  clipGradNorm?: number;
  /** Exponential moving average of the weights; false turns it off. Default {decay: 0.999}. */
  ema?: { decay?: number; warmup?: boolean } | false;
  timeSampler?: TimeSampler;
  /**
   * How noise and data are paired in each batch: 'independent' (default), 'exact-ot'
   * (minibatch OT by an exact assignment) or 'sinkhorn' (entropic OT), with options
   * (lib/couplings/coupling.ts). Label-aware by default when batches have labels.
   */
  coupling?: CouplingSpec;
  /**
   * Classifier-free guidance training: with this probability a label is replaced by the
   * null class (`nullLabel`, by default the model's numClasses), so the model also learns
   * the unconditional field.
   */
  labelDropout?: number;
  nullLabel?: number;
  /**
   * Conditioning beyond the batch's labels, built from each batch (the low-resolution image
   * for super-resolution); the batch's labels are added to it. Formerly `conditioning`.
   */
  conditioningFor?: ConditioningProvider;
  seed?: number;
  /** Output folder: checkpoint.safetensors, model.safetensors, metrics.jsonl, config.json. */
  outDir?: string;
  checkpointEvery?: number;
  /**
   * true: continue from outDir/checkpoint.safetensors, which must exist (ERR_NOT_FOUND
   * otherwise); 'auto': continue when it exists, else start a new run (for jobs that are
   * restarted after preemption); false (default): a new run, replacing any checkpoint there.
   */
  resume?: boolean | 'auto';
  /** Stops cleanly after the current step, writing a checkpoint when outDir is set. */
  signal?: AbortSignal;
  /** Progress bar on stderr when it is a TTY (default true). */
  progress?: boolean;
  logEvery?: number;
  onStep?: (info: StepInfo) => void | Promise<void>;
  /** Called every `every` steps with the model (e.g. to sample or evaluate). */
  callbacks?: { every: number; fn: (ctx: { step: number; model: Module; ema?: EMA }) => void | Promise<void> }[];
  /** Saved in checkpoints and config.json; the CLI stores its full configuration here. */
  config?: Record<string, unknown>;
  /**
   * Told about repairs made to the run folder at start (a torn metrics line dropped,
   * temporary files of a killed run removed). Default: process.emitWarning.
   */
  onWarning?: (message: string) => void;
}

/** What the checked options resolve to beyond themselves. */
export interface ResolvedTrainOptions {
  /** The coupling of noise and data; undefined for independent pairs. */
  coupling: Coupling | undefined;
  /** The label that label dropout substitutes (undefined when there is none). */
  nullLabel: number | undefined;
}

/** Checks every option (ArgumentError naming the first bad one) and resolves the coupling and the null label. */
export function checkTrainOptions(opts: TrainOptions): ResolvedTrainOptions {
  if (opts === null || typeof opts !== 'object') fail('training options', 'options', opts);
  if (opts.model === undefined || opts.model === null || typeof (opts.model as Module).parameters !== 'function') fail('a flowmatch Module', 'model', opts.model);
  if (opts.path === undefined || opts.path === null || typeof (opts.path as GaussianPath).sample !== 'function') fail('a probability path (e.g. otPath())', 'path', opts.path);
  if (typeof opts.data !== 'function' && (opts.data === null || typeof opts.data !== 'object' || typeof (opts.data as { batch?: unknown }).batch !== 'function')) {
    fail('a DataLoader or a function step → batch', 'data', opts.data);
  }
  checkInt(opts.steps, 'steps', 1);
  if (opts.clipGradNorm !== undefined) checkNumber(opts.clipGradNorm, 'clipGradNorm', { positive: true });
  if (opts.labelDropout !== undefined && !(opts.labelDropout >= 0 && opts.labelDropout <= 1)) fail('a probability in [0, 1]', 'labelDropout', opts.labelDropout);
  if (opts.checkpointEvery !== undefined) checkInt(opts.checkpointEvery, 'checkpointEvery', 1);
  if (opts.outDir !== undefined && (typeof opts.outDir !== 'string' || opts.outDir.length === 0)) fail('a folder path', 'outDir', opts.outDir);
  if (opts.resume !== undefined && opts.resume !== 'auto') checkBool(opts.resume, 'resume');
  if (opts.resume && opts.outDir === undefined) throw new ArgumentError('Expected an outDir to resume from but received none');
  if (opts.seed !== undefined) checkInt(opts.seed, 'seed', 0);
  if (opts.logEvery !== undefined) checkInt(opts.logEvery, 'logEvery', 1);
  if (opts.onWarning !== undefined) checkFunction(opts.onWarning, 'onWarning');
  // The old name is refused, not ignored: a run that silently drops its conditioning may not fail at all.
  if ((opts as { conditioning?: unknown }).conditioning !== undefined) fail('conditioningFor (a function batch → Conditioning; the option was renamed from conditioning)', 'conditioning', (opts as { conditioning?: unknown }).conditioning);
  if (opts.conditioningFor !== undefined) checkFunction(opts.conditioningFor, 'conditioningFor');
  if (opts.optimizer !== undefined) checkOptions(opts.optimizer, 'optimizer');
  if (opts.schedule !== undefined) checkOptions(opts.schedule, 'schedule');
  if (opts.ema !== undefined && opts.ema !== false) checkOptions(opts.ema, 'ema (an options object or false)');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) fail('an AbortSignal', 'signal', opts.signal);
  if (opts.onStep !== undefined) checkFunction(opts.onStep, 'onStep');
  if (opts.nullLabel !== undefined) checkInt(opts.nullLabel, 'nullLabel', 0);
  if (opts.callbacks !== undefined && !Array.isArray(opts.callbacks)) fail('an array of {every, fn}', 'callbacks', opts.callbacks);
  for (const [i, cb] of (opts.callbacks ?? []).entries()) {
    checkInt(cb?.every, `callbacks[${i}].every`, 1);
    checkFunction(cb.fn, `callbacks[${i}].fn`);
  }
  const coupling = resolveCoupling(opts.coupling);
  const numClasses = (opts.model as unknown as { numClasses?: number }).numClasses;
  const nullLabel = opts.nullLabel ?? numClasses;
  if (opts.labelDropout && nullLabel === undefined) throw new ArgumentError('Expected a nullLabel (or a model with numClasses) for labelDropout but received none');
  return { coupling, nullLabel };
}

/** The batch of `step`, checked to hold tensors where a batch must. */
export function batchAt(source: BatchSource, step: number): TrainBatch {
  const batch = typeof source === 'function' ? source(step) : source.batch(step);
  if (batch === null || typeof batch !== 'object' || !(batch.x instanceof Tensor)) fail('a batch {x: Tensor, labels?: Tensor, x0?: Tensor}', `data at step ${step}`, batch);
  if (batch.x0 !== undefined && !(batch.x0 instanceof Tensor)) fail('a Tensor of the shape of x (or no x0)', `x0 of the batch at step ${step}`, batch.x0);
  return batch;
}
