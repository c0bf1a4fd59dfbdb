/**
 * From a run spec to the objects it names: the network, the probability path, and (for a
 * finished run) its trained weights, found through a run folder or a checkpoint file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMLP } from '../nn/mlp';
import { createUNet } from '../nn/unet';
import type { Module } from '../nn/module';
import type { Activation } from '../nn/mlp';
import type { Device } from '../device';
import { AffinePath } from '../paths/affine-path';
import { CosineScheduler, LinearVPScheduler, OTScheduler, PolynomialScheduler, VEScheduler, VPScheduler, type Scheduler } from '../paths/schedulers';
import { dispose } from '../scope';
import type { Tensor } from '../tensor';
import { ArgumentError, FlowmatchError } from '../errors';
import { loadCheckpoint, loadVerifiedSafetensors } from '../train/checkpoint';
import { CHECKPOINT_FILE, MODEL_FILE } from '../train/run-folder';
import { UsageError, optionsFromRecord, readConfigFile, type OptionTable, type OptionValues } from './options';
import { RUN_OPTIONS, resolveRunSpec, sampleShape, type RunSpec } from './run-spec';

export function buildModel(spec: RunSpec): Module {
  const model =
    spec.model === 'mlp'
      ? createMLP({ dim: 2, hidden: spec.hidden, activation: spec.activation as Activation, timeEmbedding: spec.timeEmbedding })
      : createUNet({
          inChannels: sampleShape(spec)[0],
          outChannels: sampleShape(spec)[0],
          modelChannels: spec.modelChannels,
          channelMult: spec.channelMult,
          numResBlocks: spec.numResBlocks,
          attentionResolutions: (spec.attentionResolutions ?? []).map((res) => 28 / res),
          numHeads: spec.numHeads,
          dropout: spec.dropout,
          numClasses: spec.classes ?? null,
          condChannels: spec.superRes ? sampleShape(spec)[0] : 0,
        });
  return spec.device === 'cpu' ? model : model.to(spec.device as Device);
}

function scheduler(spec: RunSpec): Scheduler {
  switch (spec.path) {
    case 'ot':
      return new OTScheduler({ sigmaMin: spec.sigmaMin });
    case 'condot':
      return new OTScheduler({ sigmaMin: 0 });
    case 've':
      return new VEScheduler({ sigmaMin: spec.sigmaMin, sigmaMax: spec.sigmaMax });
    case 'vp':
      return new VPScheduler({ betaMin: spec.betaMin, betaMax: spec.betaMax });
    case 'cosine':
      return new CosineScheduler();
    case 'linear-vp':
      return new LinearVPScheduler();
    case 'polynomial':
      return new PolynomialScheduler(spec.power as number);
  }
}

export function buildPath(spec: RunSpec): AffinePath {
  return new AffinePath(scheduler(spec));
}

/** A trained run, ready to sample from: model in eval mode with its EMA weights, path and spec. */
export interface TrainedRun {
  spec: RunSpec;
  model: Module;
  path: AffinePath;
  /** What the weights came from, for messages. */
  source: string;
}

/** How the commands that use a trained run find it. */
export const LOCATION_OPTIONS: OptionTable = {
  run: { type: 'string', help: 'run folder written by `flowmatch train`' },
  checkpoint: { type: 'string', help: 'a checkpoint file instead of --run (its run spec travels inside it)' },
  config: { type: 'string', help: 'run spec (config.json) to use instead of the run\'s own' },
};

export interface RunLocation {
  run?: string;
  checkpoint?: string;
  config?: string;
  /** The training weights instead of the EMA's (read from the run's checkpoint, which must exist). */
  plainWeights?: boolean;
}

/** Re-raises a problem with a run's own files as a failure (exit 1, not a usage error) that names the file. */
function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const message = (e as Error).message;
    const code = e instanceof FlowmatchError && !(e instanceof ArgumentError) ? e.code : 'ERR_FORMAT';
    throw new FlowmatchError(code, message.includes(file) ? message : `${file}: ${message}`);
  }
}

const runError = (message: string): FlowmatchError => new FlowmatchError('ERR_NOT_FOUND', message);

interface StoredRun {
  given: OptionValues;
  weights: Record<string, Tensor>;
  /** The weights are a checkpoint's EMA shadows, named shadow.<i> in the model's parameter order. */
  shadows: boolean;
  source: string;
}

/** The sampling weights of a checkpoint (the EMA's when it has one) and its metadata. */
function checkpointWeights(source: string, plain = false): { weights: Record<string, Tensor>; shadows: boolean; meta: Record<string, unknown> } {
  const ckpt = inFile(source, () => loadCheckpoint(source));
  const { model: raw } = ckpt;
  const ema = plain ? undefined : ckpt.ema;
  dispose([ckpt.optimizer, ckpt.rng, ema === undefined ? ckpt.ema ?? [] : raw]);
  return { weights: ema ?? raw, shadows: ema !== undefined, meta: ckpt.meta };
}

/** The spec and the weights a run folder (config.json + model.safetensors) or a checkpoint holds. */
function readRun(where: RunLocation): StoredRun {
  if (where.run !== undefined) {
    const dir = where.run;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw runError(`run folder ${dir} does not exist`);
    const configFile = where.config ?? path.join(dir, 'config.json');
    if (!fs.existsSync(configFile)) throw runError(`${dir} is not a run folder: it has no config.json (train one with \`flowmatch train --out ${dir}\`)`);
    const given = inFile(configFile, () => readConfigFile(configFile, RUN_OPTIONS));
    const source = path.join(dir, MODEL_FILE);
    if (where.plainWeights) {
      const checkpoint = path.join(dir, CHECKPOINT_FILE);
      // model.safetensors holds the EMA's weights when the run kept one; the checkpoint holds both.
      if (!fs.existsSync(checkpoint)) throw runError(`${dir} has no ${CHECKPOINT_FILE}: its training weights (as opposed to the EMA's in ${MODEL_FILE}) were not kept`);
      const { weights } = checkpointWeights(checkpoint, true);
      return { given, weights, shadows: false, source: checkpoint };
    }
    if (fs.existsSync(source)) return { given, weights: inFile(source, () => loadVerifiedSafetensors(source).tensors), shadows: false, source };
    // Training removes the model copy while it commits a checkpoint (lib/train/run-folder.ts); the checkpoint has the same weights.
    const checkpoint = path.join(dir, CHECKPOINT_FILE);
    if (!fs.existsSync(checkpoint)) throw runError(`${dir} has no ${MODEL_FILE} or ${CHECKPOINT_FILE}: its training has not written weights yet`);
    const { weights, shadows } = checkpointWeights(checkpoint);
    return { given, weights, shadows, source: checkpoint };
  }
  const source = where.checkpoint as string;
  if (!fs.existsSync(source)) throw runError(`checkpoint ${source} does not exist`);
  const { weights, shadows, meta } = checkpointWeights(source, where.plainWeights);
  try {
    const stored = meta.config;
    if (where.config === undefined && (stored === undefined || Object.keys(stored as object).length === 0)) {
      throw new UsageError(`${source} holds no run spec (it was not written by \`flowmatch train\`): pass --config <config.json>`);
    }
    const given = where.config !== undefined ? readConfigFile(where.config, RUN_OPTIONS) : inFile(source, () => optionsFromRecord(stored, RUN_OPTIONS, `the run spec in ${source}`));
    return { given, weights, shadows, source };
  } catch (e) {
    dispose(weights);
    throw e;
  }
}

/**
 * Opens a trained run: a run folder, or a checkpoint file whose metadata holds the run spec
 * (--config overrides it). The weights are the EMA's when the run kept one.
 */
export function openRun(where: RunLocation): TrainedRun {
  if ((where.run === undefined) === (where.checkpoint === undefined)) throw new UsageError('give either --run <folder> or --checkpoint <file>');
  const { given, weights, shadows, source } = readRun(where);
  let model: Module | undefined;
  try {
    const spec = inFile(where.config ?? (where.run ? path.join(where.run, 'config.json') : source), () => resolveRunSpec(given));
    model = buildModel(spec);
    const loaded = model;
    const named = shadows ? Object.fromEntries(loaded.namedParameters().map(([name], i) => [name, weights[`shadow.${i}`]])) : weights;
    inFile(source, () => loaded.loadStateDict(named));
    model.eval();
    return { spec, model, path: buildPath(spec), source };
  } catch (e) {
    model?.dispose();
    throw e;
  } finally {
    dispose(weights);
  }
}
