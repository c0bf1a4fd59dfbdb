/**
 * The CFM training loop: data batch → path sample → CFM loss → backward → (clip) →
 * optimizer step → EMA. Checkpoints (model, EMA, optimizer, step, RNG, config) are written
 * atomically (lib/train/run-folder.ts says in which order); a resumed run continues exactly
 * where it stopped, because the data order is a function of the step (DataLoader) and the
 * RNG state travels in the checkpoint. The options and their checks are in
 * train-options.ts, the optimizer and schedule factories in lib/optim/factories.ts, the
 * checkpoint's contents in checkpoint.ts and the metrics log in metrics-log.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../tensor';
import { rand, randnLike, tensor } from '../creation';
import { tidy } from '../scope';
import { manualSeed } from '../runtime';
import { where } from '../functional';
import { FlowmatchError } from '../errors';
import type { Conditioning } from '../nn/velocity-model';
import { cfmLoss } from '../losses/cfm';
import type { PairedBatch } from '../couplings/coupling';
import { EMA, clipGradNorm, createOptimizer, createSchedule } from '../optim';
import { ProgressBar } from '../progress';
import { writeFileAtomicSync } from '../io/atomic-write';
import { MetricsLog, openMetricsLog } from './metrics-log';
import { restoreTrainingCheckpoint, withTrainingCheckpoint, type TrainingState } from './checkpoint';
import { CHECKPOINT_FILE, CONFIG_FILE, METRICS_FILE, MODEL_FILE, clearCheckpoint, commitCheckpoint, openRunFolder } from './run-folder';
import { batchAt, checkTrainOptions, type StepInfo, type TrainBatch, type TrainOptions } from './train-options';

export { CHECKPOINT_FILE, METRICS_FILE, MODEL_FILE } from './run-folder';

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

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { coupling, nullLabel } = checkTrainOptions(opts);
  const { model, path: probabilityPath, steps } = opts;
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

  const optimizer = createOptimizer(model.parameters(), opts.optimizer ?? {});
  let ema: EMA | undefined;
  let metrics: MetricsLog | undefined;
  let bar: ProgressBar | undefined;
  try {
    const schedule = createSchedule(optimizer.lr, opts.schedule, steps);
    ema = opts.ema === false ? undefined : new EMA(model.parameters(), { decay: opts.ema?.decay ?? 0.999, warmup: opts.ema?.warmup });
    const state: TrainingState = { model, optimizer, ema, config: opts.config ?? {} };
    const save = (step: number): void => {
      if (outDir !== undefined) withTrainingCheckpoint(step, state, (contents, samplingWeights) => commitCheckpoint(outDir, contents, samplingWeights));
    };

    let startStep = 0;
    if (resuming) {
      startStep = restoreTrainingCheckpoint(checkpointFile as string, state, steps);
      // A kill between a commit and its model copy leaves the copy absent; this commit is the same state again.
      if (!fs.existsSync(path.join(outDir as string, MODEL_FILE))) save(startStep);
    } else {
      if (outDir !== undefined) clearCheckpoint(outDir);
      manualSeed(opts.seed ?? 0);
    }
    if (outDir !== undefined) {
      const couplingConfig = coupling === undefined || (opts.config !== undefined && 'coupling' in opts.config) ? {} : { coupling: coupling.describe() };
      writeFileAtomicSync(path.join(outDir, CONFIG_FILE), JSON.stringify({ steps, ...couplingConfig, ...opts.config }, null, 2) + '\n');
      metrics = openMetricsLog(path.join(outDir, METRICS_FILE), startStep, warn);
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
        const conditioning: Conditioning = { ...(opts.conditioningFor?.(batch) ?? {}) };
        if (batch.labels !== undefined) {
          const device = batch.labels.device;
          conditioning.labels = opts.labelDropout ? where(rand(batch.labels.shape, { device }).lt(opts.labelDropout), tensor(nullLabel!, { dtype: 'int64', device }), batch.labels) : batch.labels;
        }
        const lossTensor = cfmLoss(model, probabilityPath, batch.x, { conditioning, timeSampler: opts.timeSampler, x0 });
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
