/**
 * loadRun: a run folder written by `train` / `flowmatch train` (or a checkpoint file) →
 * everything sampling needs, in one call: the model in eval mode with its EMA weights (or
 * the training weights), the probability path, the shape of one sample, the prior's σ, the
 * classes and the null label, and the low-resolution input shape of a super-resolution run.
 */
import type { Module } from '../nn/module';
import type { AffinePath } from '../paths/affine-path';
import type { Device } from '../device';
import { checkOneOf, checkOptions, fail } from '../validate';
import { openRun, type RunLocation } from '../run/run-model';
import { sampleShape, type RunSpec } from '../run/run-spec';

export interface LoadRunOptions {
  /** 'ema' (default: what model.safetensors holds, the EMA's when the run kept one) or 'plain' (the checkpoint's training weights). */
  weights?: 'ema' | 'plain';
  /** A run spec (config.json) to use instead of the run's own. */
  config?: string;
}

export interface LoadedRun {
  model: Module;
  path: AffinePath;
  /** One sample's shape, without the batch dim: [2] for 2-D toys, [1, 28, 28] for images. */
  shape: number[];
  /** σ_0 of the prior N(0, σ_0²·I) sampling starts from (σ_max for the VE path, else 1). */
  priorStd: number;
  /** Classes of a class-conditional run, else null. */
  numClasses: number | null;
  /** The label that means "no label" (guidance's unconditional half), else null. */
  nullLabel: number | null;
  /** Shape of one low-resolution input of a super-resolution run, else null. */
  lowResShape: number[] | null;
  device: Device;
  /** The run spec the model was built from. */
  spec: RunSpec;
  /** The weights file. */
  source: string;
  /** Releases the model. */
  dispose(): void;
}

/**
 * A run folder, or { checkpoint } (a checkpoint file holding its run spec), or the CLI's
 * { run | checkpoint, config }.
 */
export function loadRun(dir: string | RunLocation, opts: LoadRunOptions = {}): LoadedRun {
  checkOptions(opts, 'loadRun options');
  const path = (v: unknown, name: string): string => (typeof v === 'string' && v.length > 0 ? v : fail('a path', name, v));
  const where: RunLocation = typeof dir === 'string' ? { run: path(dir, 'dir') } : { ...checkOptions(dir, 'dir') };
  if (opts.config !== undefined) where.config = path(opts.config, 'config');
  where.plainWeights = checkOneOf(opts.weights ?? 'ema', ['ema', 'plain'], 'weights') === 'plain';
  return fromTrained(openRun(where));
}

function fromTrained(run: ReturnType<typeof openRun>): LoadedRun {
  const { spec, model } = run;
  const shape = sampleShape(spec);
  const numClasses = spec.classes ?? null;
  return {
    model,
    path: run.path,
    shape,
    priorStd: run.path.priorStd,
    numClasses,
    nullLabel: (model as { nullLabel?: number }).nullLabel ?? null,
    lowResShape: spec.superRes ? [shape[0], shape[1] / 2, shape[2] / 2] : null,
    device: spec.device as Device,
    spec,
    source: run.source,
    dispose: () => model.dispose(),
  };
}
