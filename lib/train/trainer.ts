/**
 * The CFM training loop: data batch → path sample → CFM loss → backward → (clip) →
 * optimizer step → EMA. Checkpoints (model, EMA, optimizer, step, RNG, config) are written
 * atomically (lib/train/run-folder.ts says in which order); a resumed run continues exactly
 * where it stopped, because the data order is a function of the step (DataLoader) and the
 * RNG state travels in the checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../tensor';
import { rand, randnLike, tensor } from '../creation';
import { tidy, dispose } from '../scope';
import { manualSeed, rngState, setRngState } from '../runtime';
import { where } from '../functional';
import { ArgumentError, FlowmatchError } from '../errors';
import { checkBool, checkFunction, checkInt, checkNumber, checkOneOf, checkOptions, describe, fail } from '../validate';
import type { Module } from '../nn/module';
import type { GaussianPath } from '../paths/gaussian-path';
import type { Conditioning } from '../sample/model';
import { cfmLoss } from '../losses/cfm';
import { resolveCoupling, type CouplingSpec, type PairedBatch } from '../couplings/coupling';
import type { TimeSampler } from '../losses/time-samplers';
import { Adam, AdamW, SGD, EMA, clipGradNorm, constantLR, cosineDecay, linearWarmup, type Optimizer, type Schedule } from '../optim';
import { ProgressBar } from '../progress';
import { writeFileAtomicSync } from '../io/atomic-write';
import { MetricsLog, readMetricsFile } from './metrics-log';
import { CheckpointError, loadCheckpoint } from './checkpoint';
import { CHECKPOINT_FILE, CONFIG_FILE, METRICS_FILE, MODEL_FILE, clearCheckpoint, commitCheckpoint, openRunFolder } from './run-folder';

export { CHECKPOINT_FILE, METRICS_FILE, MODEL_FILE } from './run-folder';

/** One training batch: data x1, and labels for class-conditional models. */
export interface TrainBatch {
  x: Tensor;
  labels?: Tensor;
  /** The noise (source samples) for x, of x's shape: reflow's pairs, or a source other than N(0, I). Drawn from N(0, I) when absent. */
  x0?: Tensor;
}

/** Batches addressed by step, so that resuming at step s sees the batches an uninterrupted run would. */
export type BatchSource = { batch(step: number): TrainBatch } | ((step: number) => TrainBatch);

export interface OptimizerConfig {
  name?: 'adam' | 'adamw' | 'sgd';
  lr?: number;
  betas?: [number, number];
  weightDecay?: number;
  momentum?: number;
  eps?: number;
}

export interface ScheduleConfig {
  name: 'constant' | 'warmup' | 'cosine';
  warmupSteps?: number;
  minLR?: number;
}

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
  /** Extra conditioning built from the batch (e.g. the low-resolution image for super-resolution). */
  conditioning?: (batch: TrainBatch) => Conditioning;
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

export interface TrainResult {
  /** The step count reached (equal to `steps` unless stopped early). */
  step: number;
  startStep: number;
  stopped: boolean;
  losses: number[];
  finalLoss: number;
  seconds: number;
  checkpoint?: string;
  /** What onWarning was told. */
  warnings: string[];
}

function makeOptimizer(model: Module, cfg: OptimizerConfig): Optimizer {
  const name = checkOneOf(cfg.name ?? 'adam', ['adam', 'adamw', 'sgd'], 'optimizer.name');
  const lr = checkNumber(cfg.lr ?? 1e-3, 'optimizer.lr', { finite: true });
  const params = model.parameters();
  if (name === 'sgd') return new SGD(params, { lr, momentum: cfg.momentum ?? 0.9, weightDecay: cfg.weightDecay ?? 0 });
  const opts = { lr, betas: cfg.betas, weightDecay: cfg.weightDecay, eps: cfg.eps };
  return name === 'adamw' ? new AdamW(params, opts) : new Adam(params, opts);
}

function makeSchedule(lr: number, cfg: ScheduleConfig | undefined, steps: number): Schedule {
  if (cfg === undefined) return constantLR(lr);
  const name = checkOneOf(cfg.name, ['constant', 'warmup', 'cosine'], 'schedule.name');
  if (name === 'constant') return constantLR(lr);
  if (name === 'warmup') return linearWarmup(lr, checkInt(cfg.warmupSteps ?? Math.max(1, Math.round(steps / 20)), 'schedule.warmupSteps', 1));
  return cosineDecay({ lr, totalSteps: steps, warmupSteps: cfg.warmupSteps ?? 0, minLR: cfg.minLR ?? 0 });
}

function batchAt(source: BatchSource, step: number): TrainBatch {
  const batch = typeof source === 'function' ? source(step) : source.batch(step);
  if (batch === null || typeof batch !== 'object' || !(batch.x instanceof Tensor)) fail('a batch {x: Tensor, labels?: Tensor, x0?: Tensor}', `data at step ${step}`, batch);
  if (batch.x0 !== undefined && !(batch.x0 instanceof Tensor)) fail('a Tensor of the shape of x (or no x0)', `x0 of the batch at step ${step}`, batch.x0);
  return batch;
}

function validate(opts: TrainOptions): void {
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
  if (opts.conditioning !== undefined) checkFunction(opts.conditioning, 'conditioning');
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
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  validate(opts);
  const coupling = resolveCoupling(opts.coupling);
  const { model, path: probabilityPath, steps } = opts;
  const numClasses = (model as unknown as { numClasses?: number }).numClasses;
  const nullLabel = opts.nullLabel ?? numClasses;
  if (opts.labelDropout && nullLabel === undefined) throw new ArgumentError('Expected a nullLabel (or a model with numClasses) for labelDropout but received none');
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    if (opts.onWarning !== undefined) opts.onWarning(message);
    else process.emitWarning(message, { code: 'FLOWMATCH_RUN_FOLDER' });
  };

  const outDir = opts.outDir;
  const checkpointFile = outDir === undefined ? undefined : path.join(outDir, CHECKPOINT_FILE);
  let resuming = false;
  if (outDir !== undefined) {
    const { removedTemps } = openRunFolder(outDir);
    if (removedTemps.length > 0) warn(`removed ${removedTemps.length} temporary file(s) that an interrupted run left in ${outDir}: ${removedTemps.join(', ')}`);
    const present = fs.existsSync(checkpointFile as string);
    if (opts.resume === true && !present) {
      throw new FlowmatchError('ERR_NOT_FOUND', `Cannot resume: ${outDir} has no ${CHECKPOINT_FILE}. Start a new run (resume: false), or pass resume: 'auto' to start one when there is nothing to resume`);
    }
    resuming = present && opts.resume !== undefined && opts.resume !== false;
  }

  const optimizer = makeOptimizer(model, opts.optimizer ?? {});
  let ema: EMA | undefined;
  let metrics: MetricsLog | undefined;
  let bar: ProgressBar | undefined;
  try {
    const schedule = makeSchedule(optimizer.lr, opts.schedule, steps);
    ema = opts.ema === false ? undefined : new EMA(model.parameters(), { decay: opts.ema?.decay ?? 0.999, warmup: opts.ema?.warmup });
    const save = (step: number): void => {
      if (outDir === undefined) return;
      const modelState = model.stateDict();
      const emaState = ema?.stateDict();
      const optState = optimizer.stateDict();
      const rng = rngState();
      try {
        // The weights to sample from: the EMA when there is one, under the model's names.
        const names = model.namedParameters().map(([name]) => name);
        const weights = ema ? Object.fromEntries(ema.parameters().map((p, i) => [names[i], p])) : modelState;
        commitCheckpoint(
          outDir,
          {
            step,
            model: modelState,
            ema: emaState?.tensors,
            optimizer: optState.tensors,
            rng,
            meta: { optimizerNumbers: optState.numbers, emaNumbers: emaState?.numbers ?? null, config: opts.config ?? {} },
          },
          weights,
        );
      } finally {
        dispose([modelState, emaState?.tensors, optState.tensors, rng]);
      }
    };

    let startStep = 0;
    if (resuming) {
      startStep = restore(checkpointFile as string, model, optimizer, ema, steps);
      // A kill between a commit and its model copy leaves the copy absent; this commit is the same state again.
      if (!fs.existsSync(path.join(outDir as string, MODEL_FILE))) save(startStep);
    } else {
      if (outDir !== undefined) clearCheckpoint(outDir);
      manualSeed(opts.seed ?? 0);
    }
    if (outDir !== undefined) {
      const couplingConfig = coupling === undefined || (opts.config !== undefined && 'coupling' in opts.config) ? {} : { coupling: coupling.describe() };
      writeFileAtomicSync(path.join(outDir, CONFIG_FILE), JSON.stringify({ steps, ...couplingConfig, ...opts.config }, null, 2) + '\n');
      metrics = openMetrics(path.join(outDir, METRICS_FILE), startStep, warn);
    }

    const progress = new ProgressBar({ total: steps, label: 'train', unit: 'step', enabled: opts.progress === false ? false : undefined });
    bar = progress;
    const losses: number[] = [];
    const started = Date.now();
    let step = startStep;
    let stopped = false;
    model.train();
    while (step < steps) {
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      const stepStart = process.hrtime.bigint();
      optimizer.setLR(schedule(step));
      const { loss, gradNorm } = tidy(() => {
        const drawn = batchAt(opts.data, step);
        // The coupling's place: after the batch is drawn, before the path is sampled. Without
        // one, x0 is left to the loss to draw, in the order runs before couplings drew it.
        const x0 = coupling === undefined ? drawn.x0 : (drawn.x0 ?? randnLike(drawn.x));
        const batch = coupling === undefined ? drawn : (coupling.pair(x0 as Tensor, drawn as PairedBatch) as TrainBatch);
        const cond: Conditioning = { ...(opts.conditioning?.(batch) ?? {}) };
        if (batch.labels !== undefined) {
          const device = batch.labels.device;
          cond.labels = opts.labelDropout ? where(rand(batch.labels.shape, { device }).lt(opts.labelDropout), tensor(nullLabel!, { dtype: 'int64', device }), batch.labels) : batch.labels;
        }
        const lossTensor = cfmLoss(model, probabilityPath, batch.x, { cond, timeSampler: opts.timeSampler, x0 });
        optimizer.zeroGrad();
        lossTensor.backward();
        const norm = opts.clipGradNorm === undefined ? undefined : clipGradNorm(optimizer.params, opts.clipGradNorm);
        optimizer.step();
        ema?.update();
        return { loss: lossTensor.item() as number, gradNorm: norm };
      });
      if (!Number.isFinite(loss)) {
        throw new FlowmatchError('ERR_NON_FINITE', `the loss became ${loss} at step ${step}; lower the learning rate or enable clipGradNorm`);
      }
      step += 1;
      losses.push(loss);
      const info: StepInfo = { step, loss, lr: optimizer.lr, gradNorm, seconds: Number(process.hrtime.bigint() - stepStart) / 1e9 };
      if (metrics && (step % (opts.logEvery ?? 1) === 0 || step === steps)) metrics.write({ ...info });
      progress.update(step, `loss ${loss.toFixed(4)}`);
      await opts.onStep?.(info);
      for (const cb of opts.callbacks ?? []) if (step % cb.every === 0) await cb.fn({ step, model, ema });
      if (opts.checkpointEvery && step % opts.checkpointEvery === 0 && step < steps) save(step);
      // Yield to the event loop between steps so a server stays responsive and signals arrive.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (step > startStep || !fs.existsSync(checkpointFile ?? '')) save(step);
    return {
      step,
      startStep,
      stopped,
      losses,
      finalLoss: losses.length > 0 ? losses[losses.length - 1] : NaN,
      seconds: (Date.now() - started) / 1000,
      checkpoint: checkpointFile,
      warnings,
    };
  } finally {
    bar?.done();
    metrics?.close();
    optimizer.dispose();
    ema?.dispose();
  }
}

/** Restores model, optimizer, EMA and RNG from a checkpoint; returns its step. */
function restore(file: string, model: Module, optimizer: Optimizer, ema: EMA | undefined, steps: number): number {
  const ckpt = loadCheckpoint(file);
  try {
    if (ckpt.step > steps) {
      throw new CheckpointError('ERR_STATE_MISMATCH', file, `it is at step ${ckpt.step}, beyond this run's ${steps} steps`, `Resume with at least ${ckpt.step} steps, or start a new run`);
    }
    const meta = ckpt.meta as { optimizerNumbers?: unknown; emaNumbers?: unknown };
    const numbers = (value: unknown): value is Record<string, number> => value !== null && typeof value === 'object' && Object.values(value).every((v) => typeof v === 'number');
    if (!numbers(meta.optimizerNumbers)) throw new CheckpointError('ERR_FORMAT', file, 'its optimizerNumbers are missing or not a record of numbers');
    try {
      model.loadStateDict(ckpt.model);
      optimizer.loadStateDict({ tensors: ckpt.optimizer, numbers: meta.optimizerNumbers });
      if (ema) {
        if (!ckpt.ema || !numbers(meta.emaNumbers)) throw new CheckpointError('ERR_STATE_MISMATCH', file, 'it has no EMA weights but this run uses EMA', 'Resume with the EMA setting the run was trained with (ema: false)');
        ema.loadStateDict({ tensors: ckpt.ema, numbers: meta.emaNumbers });
      }
    } catch (e) {
      if (e instanceof CheckpointError || !(e instanceof FlowmatchError)) throw e;
      throw new CheckpointError(e.code, file, e.message, 'It belongs to another model or optimizer: resume with the configuration it was trained with');
    }
    setRngState(ckpt.rng);
    return ckpt.step;
  } finally {
    dispose([ckpt.model, ckpt.ema, ckpt.optimizer, ckpt.rng]);
  }
}

/** Opens the metrics log; on resume, drops records past the checkpoint (they will be redone) and a line torn by a kill. */
function openMetrics(file: string, startStep: number, warn: (message: string) => void): MetricsLog {
  if (startStep > 0 && fs.existsSync(file)) {
    const { records, torn } = readMetricsFile(file);
    if (torn !== undefined) warn(`${file}: dropped its unfinished last line (cut off when the previous run stopped): ${describe(torn)}`);
    const kept = records.filter((r) => typeof r.step === 'number' && r.step <= startStep);
    writeFileAtomicSync(file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    return new MetricsLog(file, true);
  }
  return new MetricsLog(file, false);
}
