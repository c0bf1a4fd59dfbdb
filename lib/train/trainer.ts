/**
 * The CFM training loop: data batch → path sample → CFM loss → backward → (clip) →
 * optimizer step → EMA. Checkpoints (model, EMA, optimizer, step, RNG, config) are written
 * atomically; a resumed run continues exactly where it stopped, because the data order is
 * a function of the step (DataLoader) and the RNG state travels in the checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { Tensor } from '../tensor';
import { rand, tensor } from '../creation';
import { tidy, dispose } from '../scope';
import { manualSeed } from '../runtime';
import { where } from '../functional';
import { ArgumentError, FlowmatchError } from '../errors';
import { checkBool, checkFunction, checkInt, checkNumber, checkOneOf, fail } from '../validate';
import type { Module } from '../nn/module';
import type { GaussianPath } from '../paths/gaussian-path';
import type { Conditioning } from '../sample/model';
import { cfmLoss } from '../losses/cfm';
import type { TimeSampler } from '../losses/time-samplers';
import { Adam, AdamW, SGD, EMA, clipGradNorm, constantLR, cosineDecay, linearWarmup, type Optimizer, type Schedule } from '../optim';
import { ProgressBar } from '../progress';
import { MetricsLog, readMetrics } from './metrics-log';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { saveSafetensors } from '../io/safetensors';

/** One training batch: data x1, and labels for class-conditional models. */
export interface TrainBatch {
  x: Tensor;
  labels?: Tensor;
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
  /** Continue from outDir/checkpoint.safetensors when it exists. */
  resume?: boolean;
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
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const MODEL_FILE = 'model.safetensors';
export const METRICS_FILE = 'metrics.jsonl';

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
  if (batch === null || typeof batch !== 'object' || !(batch.x instanceof Tensor)) fail('a batch {x: Tensor, labels?: Tensor}', `data at step ${step}`, batch);
  return batch;
}

function validate(opts: TrainOptions): void {
  if (opts === null || typeof opts !== 'object') fail('training options', 'options', opts);
  if (opts.model === undefined || typeof (opts.model as Module).parameters !== 'function') fail('a flowmatch Module', 'model', opts.model);
  if (opts.path === undefined || typeof (opts.path as GaussianPath).sample !== 'function') fail('a probability path (e.g. otPath())', 'path', opts.path);
  if (typeof opts.data !== 'function' && (opts.data === null || typeof opts.data !== 'object' || typeof (opts.data as { batch?: unknown }).batch !== 'function')) {
    fail('a DataLoader or a function step → batch', 'data', opts.data);
  }
  checkInt(opts.steps, 'steps', 1);
  if (opts.clipGradNorm !== undefined) checkNumber(opts.clipGradNorm, 'clipGradNorm', { positive: true });
  if (opts.labelDropout !== undefined && !(opts.labelDropout >= 0 && opts.labelDropout <= 1)) fail('a probability in [0, 1]', 'labelDropout', opts.labelDropout);
  if (opts.checkpointEvery !== undefined) checkInt(opts.checkpointEvery, 'checkpointEvery', 1);
  if (opts.resume !== undefined) checkBool(opts.resume, 'resume');
  if (opts.resume && opts.outDir === undefined) throw new ArgumentError('Expected an outDir to resume from but received none');
  if (opts.conditioning !== undefined) checkFunction(opts.conditioning, 'conditioning');
  for (const [i, cb] of (opts.callbacks ?? []).entries()) {
    checkInt(cb?.every, `callbacks[${i}].every`, 1);
    checkFunction(cb.fn, `callbacks[${i}].fn`);
  }
}

/** Writes `text` to `file` atomically (temp file in the same folder, fsync, rename). */
function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  validate(opts);
  const { model, path: probabilityPath, steps } = opts;
  const optimizerConfig = opts.optimizer ?? {};
  const optimizer = makeOptimizer(model, optimizerConfig);
  const schedule = makeSchedule(optimizer.lr, opts.schedule, steps);
  const ema = opts.ema === false ? undefined : new EMA(model.parameters(), { decay: opts.ema?.decay ?? 0.999, warmup: opts.ema?.warmup });
  const numClasses = (model as unknown as { numClasses?: number }).numClasses;
  const nullLabel = opts.nullLabel ?? numClasses;
  if (opts.labelDropout && nullLabel === undefined) throw new ArgumentError('Expected a nullLabel (or a model with numClasses) for labelDropout but received none');

  const outDir = opts.outDir;
  const checkpointFile = outDir ? path.join(outDir, CHECKPOINT_FILE) : undefined;
  let startStep = 0;
  if (outDir) fs.mkdirSync(outDir, { recursive: true });
  if (opts.resume && checkpointFile && fs.existsSync(checkpointFile)) {
    startStep = restore(checkpointFile, model, optimizer, ema);
  } else {
    manualSeed(checkInt(opts.seed ?? 0, 'seed', 0));
  }
  if (outDir) writeFileAtomic(path.join(outDir, 'config.json'), JSON.stringify({ steps, ...opts.config }, null, 2) + '\n');
  const metrics = outDir ? openMetrics(path.join(outDir, METRICS_FILE), startStep) : undefined;

  const save = (step: number): void => {
    if (!checkpointFile) return;
    const modelState = model.stateDict();
    const emaState = ema?.stateDict();
    const optState = optimizer.stateDict();
    const rng = new Tensor(native.rngState());
    try {
      saveCheckpoint(checkpointFile, {
        step,
        model: modelState,
        ema: emaState?.tensors,
        optimizer: optState.tensors,
        rng,
        meta: { optimizerNumbers: optState.numbers, emaNumbers: emaState?.numbers ?? null, config: opts.config ?? {} },
      });
      // The weights to sample from: the EMA when there is one, as plain model names.
      if (ema) {
        const dict: Record<string, Tensor> = {};
        const names = Object.keys(modelState);
        ema.parameters().forEach((p, i) => (dict[names[i]] = p));
        saveSafetensors(path.join(outDir!, MODEL_FILE), dict);
      } else {
        saveSafetensors(path.join(outDir!, MODEL_FILE), modelState);
      }
    } finally {
      dispose([modelState, emaState?.tensors, optState.tensors, rng]);
    }
  };

  const bar = new ProgressBar({ total: steps, label: 'train', unit: 'step', enabled: opts.progress === false ? false : undefined });
  const losses: number[] = [];
  const started = Date.now();
  let step = startStep;
  let stopped = false;
  model.train();
  try {
    while (step < steps) {
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      const stepStart = process.hrtime.bigint();
      optimizer.setLR(schedule(step));
      const { loss, gradNorm } = tidy(() => {
        const batch = batchAt(opts.data, step);
        const cond: Conditioning = { ...(opts.conditioning?.(batch) ?? {}) };
        if (batch.labels !== undefined) {
          cond.labels = opts.labelDropout ? where(rand(batch.labels.shape).lt(opts.labelDropout), tensor(nullLabel!, { dtype: 'int64' }), batch.labels) : batch.labels;
        }
        const lossTensor = cfmLoss(model, probabilityPath, batch.x, { cond, timeSampler: opts.timeSampler });
        optimizer.zeroGrad();
        lossTensor.backward();
        const norm = opts.clipGradNorm === undefined ? undefined : clipGradNorm(optimizer.params, opts.clipGradNorm);
        optimizer.step();
        ema?.update();
        return { loss: lossTensor.item() as number, gradNorm: norm };
      });
      if (!Number.isFinite(loss)) {
        throw new FlowmatchError('ERR_NON_FINITE_LOSS', `the loss became ${loss} at step ${step}; lower the learning rate or enable clipGradNorm`);
      }
      step += 1;
      losses.push(loss);
      const info: StepInfo = { step, loss, lr: optimizer.lr, gradNorm, seconds: Number(process.hrtime.bigint() - stepStart) / 1e9 };
      if (metrics && (step % (opts.logEvery ?? 1) === 0 || step === steps)) metrics.write({ ...info });
      bar.update(step, `loss ${loss.toFixed(4)}`);
      await opts.onStep?.(info);
      for (const cb of opts.callbacks ?? []) if (step % cb.every === 0) await cb.fn({ step, model, ema });
      if (opts.checkpointEvery && step % opts.checkpointEvery === 0 && step < steps) save(step);
      // Yield to the event loop between steps so a server stays responsive and signals arrive.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (step > startStep || !fs.existsSync(checkpointFile ?? '')) save(step);
  } finally {
    bar.done();
    metrics?.close();
    optimizer.dispose();
    ema?.dispose();
  }
  return {
    step,
    startStep,
    stopped,
    losses,
    finalLoss: losses.length > 0 ? losses[losses.length - 1] : NaN,
    seconds: (Date.now() - started) / 1000,
    checkpoint: checkpointFile,
  };
}

/** Restores model, optimizer, EMA and RNG from a checkpoint; returns its step. */
function restore(file: string, model: Module, optimizer: Optimizer, ema: EMA | undefined): number {
  const ckpt = loadCheckpoint(file);
  try {
    model.loadStateDict(ckpt.model);
    const meta = ckpt.meta as { optimizerNumbers: Record<string, number>; emaNumbers: Record<string, number> | null };
    optimizer.loadStateDict({ tensors: ckpt.optimizer, numbers: meta.optimizerNumbers });
    if (ema) {
      if (!ckpt.ema || !meta.emaNumbers) throw new FlowmatchError('ERR_CHECKPOINT', `${file} has no EMA weights but this run uses EMA`);
      ema.loadStateDict({ tensors: ckpt.ema, numbers: meta.emaNumbers });
    }
    native.setRngState(ckpt.rng._h);
    return ckpt.step;
  } finally {
    dispose([ckpt.model, ckpt.ema, ckpt.optimizer, ckpt.rng]);
  }
}

/** Opens the metrics log; on resume, drops records past the checkpoint (they will be redone). */
function openMetrics(file: string, startStep: number): MetricsLog {
  if (startStep > 0 && fs.existsSync(file)) {
    const kept = readMetrics(file).filter((r) => (r.step as number) <= startStep);
    writeFileAtomic(file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    return new MetricsLog(file, true);
  }
  return new MetricsLog(file, false);
}
