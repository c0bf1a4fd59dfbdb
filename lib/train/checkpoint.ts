/**
 * Training checkpoints: one safetensors file holding the model, the EMA weights, the
 * optimizer's tensors and the RNG state under name prefixes, plus a JSON metadata entry
 * (step, config, optimizer scalars) and the SHA-256 of the tensor data. Written atomically,
 * so a crash leaves the previous checkpoint intact; the digest is checked on load, so bytes
 * damaged on disk or in a copy are reported instead of trained on.
 */
import { Tensor } from '../tensor';
import { MAX_SAFETENSORS_BYTES, dataDigest, deserializeSafetensors, parseSafetensorsHeader, serializeSafetensors } from '../io/safetensors';
import { readRegularFile } from '../io/read-file';
import { writeFileAtomicSync } from '../io/atomic-write';
import { dispose } from '../scope';
import { type ErrorCode, FlowmatchError } from '../errors';
import { checkInt, describe, fail } from '../validate';
import { rngState, setRngState } from '../runtime';
import type { Module } from '../nn/module';
import type { Optimizer } from '../optim/optimizer';
import type { EMA } from '../optim/ema';

export interface CheckpointContents {
  step: number;
  model: Record<string, Tensor>;
  ema?: Record<string, Tensor>;
  optimizer: Record<string, Tensor>;
  rng: Tensor;
  /** JSON-serialisable: the run's configuration, optimizer scalars, anything to restore. */
  meta: Record<string, unknown>;
}

/** A loaded checkpoint; `digest` is the verified SHA-256 of its tensor data (absent in files written before digests). */
export interface LoadedCheckpoint extends CheckpointContents {
  digest?: string;
}

/**
 * A checkpoint that cannot be used; the message names the file, what is wrong and what to do.
 * Its constructor takes any code: resuming re-raises an error from loading the checkpoint's
 * state (mostly ERR_STATE_MISMATCH) as a CheckpointError that keeps the original code.
 */
export class CheckpointError extends FlowmatchError {
  readonly file: string;
  constructor(code: ErrorCode, file: string, problem: string, remedy = REPLACE_IT) {
    super(code, `${file}: ${problem}. ${remedy}`);
    this.file = file;
  }
}

const REPLACE_IT = 'The file is damaged: restore it from a copy, or delete it to train from the start';
const PREFIXES = ['model.', 'ema.', 'optimizer.'] as const;
const META_KEY = 'flowmatch.checkpoint';
/** Where the SHA-256 of the data section goes, in checkpoints and in the model files beside them. */
export const DIGEST_KEY = 'flowmatch.sha256';

/** A checkpoint's file bytes and the SHA-256 of its tensor data (stored in them). */
export function serializeCheckpoint(contents: CheckpointContents, file = '<checkpoint>'): { bytes: Buffer; digest: string } {
  if (contents === null || typeof contents !== 'object') fail('checkpoint contents {step, model, optimizer, rng, meta}', 'contents', contents);
  checkInt(contents.step, 'contents.step', 0, Number.MAX_SAFE_INTEGER);
  if (!(contents.rng instanceof Tensor)) fail('the RNG state tensor', 'contents.rng', contents.rng);
  const tensors: Record<string, Tensor> = { rng: contents.rng };
  for (const [name, t] of Object.entries(contents.model)) tensors[`model.${name}`] = t;
  for (const [name, t] of Object.entries(contents.ema ?? {})) tensors[`ema.${name}`] = t;
  for (const [name, t] of Object.entries(contents.optimizer)) tensors[`optimizer.${name}`] = t;
  const meta = { [META_KEY]: JSON.stringify({ step: contents.step, hasEma: contents.ema !== undefined, ...contents.meta }) };
  const bytes = serializeSafetensors(tensors, meta, { digestKey: DIGEST_KEY });
  return { bytes, digest: parseSafetensorsHeader(bytes, file).metadata[DIGEST_KEY] };
}

/** Writes a checkpoint atomically; returns the SHA-256 of its tensor data (stored in the file). */
export function saveCheckpoint(file: string, contents: CheckpointContents): string {
  const { bytes, digest } = serializeCheckpoint(contents, file);
  writeFileAtomicSync(file, bytes);
  return digest;
}

/**
 * Reads a safetensors file whole and checks the data against the digest its metadata holds
 * (files without one are read unchecked); the caller owns the returned tensors.
 */
export function loadVerifiedSafetensors(file: string): { tensors: Record<string, Tensor>; metadata: Record<string, string>; digest?: string } {
  const bytes = readRegularFile(file, MAX_SAFETENSORS_BYTES);
  const header = parseSafetensorsHeader(bytes, file);
  const stored = header.metadata[DIGEST_KEY];
  if (stored !== undefined) {
    const actual = dataDigest([bytes.subarray(header.dataStart)]);
    if (actual !== stored) {
      throw new CheckpointError('ERR_CHECKSUM', file, `its tensor data does not match the SHA-256 stored with it (stored ${stored.slice(0, 16)}…, computed ${actual.slice(0, 16)}…): some bytes changed after it was written`);
    }
  }
  return { tensors: deserializeSafetensors(bytes, file), metadata: header.metadata, digest: stored };
}

function parseMeta(file: string, text: string | undefined): Record<string, unknown> & { step: number; hasEma: boolean } {
  if (text === undefined) {
    throw new CheckpointError('ERR_FORMAT', file, `a safetensors file but not a flowmatch checkpoint (no '${META_KEY}' metadata)`, 'Pass the checkpoint.safetensors that `train` wrote');
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('ERR_FORMAT', file, `its '${META_KEY}' metadata is not valid JSON (${(e as Error).message})`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new CheckpointError('ERR_FORMAT', file, `its '${META_KEY}' metadata is ${describe(meta)}, not a JSON object`);
  }
  const record = meta as Record<string, unknown>;
  if (!Number.isSafeInteger(record.step) || (record.step as number) < 0) {
    throw new CheckpointError('ERR_FORMAT', file, `its step is ${record.step === undefined ? 'missing' : describe(record.step)}, not a non-negative integer`);
  }
  if (typeof record.hasEma !== 'boolean') {
    throw new CheckpointError('ERR_FORMAT', file, `its hasEma is ${record.hasEma === undefined ? 'missing' : describe(record.hasEma)}, not true or false`);
  }
  return record as Record<string, unknown> & { step: number; hasEma: boolean };
}

/** Loads and verifies a checkpoint; the caller owns (and disposes) the returned tensors. */
export function loadCheckpoint(file: string): LoadedCheckpoint {
  const { tensors: all, metadata, digest } = loadVerifiedSafetensors(file);
  try {
    const { step, hasEma, ...rest } = parseMeta(file, metadata[META_KEY]);
    if (!(all.rng instanceof Tensor)) throw new CheckpointError('ERR_FORMAT', file, 'it has no RNG state (tensor rng)');
    const groups: Record<(typeof PREFIXES)[number], Record<string, Tensor>> = { 'model.': {}, 'ema.': {}, 'optimizer.': {} };
    const unused: Tensor[] = [];
    for (const [name, t] of Object.entries(all)) {
      const prefix = PREFIXES.find((p) => name.startsWith(p));
      if (prefix && (hasEma || prefix !== 'ema.')) groups[prefix][name.slice(prefix.length)] = t;
      else if (name !== 'rng') unused.push(t);
    }
    dispose(unused);
    return { step, model: groups['model.'], ema: hasEma ? groups['ema.'] : undefined, optimizer: groups['optimizer.'], rng: all.rng, meta: rest, digest };
  } catch (e) {
    dispose(all);
    throw e;
  }
}

/** What a training run checkpoints besides its step: the model, its optimizer, the EMA when there is one, and the run's configuration. */
export interface TrainingState {
  model: Module;
  optimizer: Optimizer;
  ema?: EMA;
  /** Stored in the checkpoint's metadata (the CLI's run spec). */
  config: Record<string, unknown>;
}

/**
 * The training state at `step` as checkpoint contents (the RNG state included) and the
 * weights to sample from (the EMA's when there is one, under the model's parameter names),
 * handed to `write` (which commits them: lib/train/run-folder.ts) and released after it.
 */
export function withTrainingCheckpoint(step: number, state: TrainingState, write: (contents: CheckpointContents, samplingWeights: Record<string, Tensor>) => void): void {
  const { model, optimizer, ema } = state;
  const modelState = model.stateDict();
  const emaState = ema?.stateDict();
  const optState = optimizer.stateDict();
  const rng = rngState();
  try {
    const names = model.namedParameters().map(([name]) => name);
    const weights = ema ? Object.fromEntries(ema.parameters().map((p, i) => [names[i], p])) : modelState;
    write(
      {
        step,
        model: modelState,
        ema: emaState?.tensors,
        optimizer: optState.tensors,
        rng,
        meta: { optimizerNumbers: optState.numbers, emaNumbers: emaState?.numbers ?? null, config: state.config },
      },
      weights,
    );
  } finally {
    dispose([modelState, emaState?.tensors, optState.tensors, rng]);
  }
}

/**
 * Restores model, optimizer, EMA and the RNG from a checkpoint written by
 * withTrainingCheckpoint, for a run of `steps` steps; returns the checkpoint's step. A
 * checkpoint of another model or optimizer is a CheckpointError that says so.
 */
export function restoreTrainingCheckpoint(file: string, state: Omit<TrainingState, 'config'>, steps: number): number {
  const { model, optimizer, ema } = state;
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
