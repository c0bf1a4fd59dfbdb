/**
 * Training checkpoints: one safetensors file holding the model, the EMA weights, the
 * optimizer's tensors and the RNG state under name prefixes, plus a JSON metadata entry
 * (step, config, optimizer scalars). Written atomically by saveSafetensors, so a crash
 * leaves the previous checkpoint intact.
 */
import { Tensor } from '../tensor';
import { loadSafetensors, readSafetensorsMetadata, saveSafetensors } from '../io/safetensors';
import { FlowmatchError } from '../errors';

export interface CheckpointContents {
  step: number;
  model: Record<string, Tensor>;
  ema?: Record<string, Tensor>;
  optimizer: Record<string, Tensor>;
  rng: Tensor;
  /** JSON-serialisable: the run's configuration, optimizer scalars, anything to restore. */
  meta: Record<string, unknown>;
}

const PREFIXES = ['model.', 'ema.', 'optimizer.'] as const;
const META_KEY = 'flowmatch.checkpoint';

export function saveCheckpoint(file: string, contents: CheckpointContents): void {
  const tensors: Record<string, Tensor> = { rng: contents.rng };
  for (const [name, t] of Object.entries(contents.model)) tensors[`model.${name}`] = t;
  for (const [name, t] of Object.entries(contents.ema ?? {})) tensors[`ema.${name}`] = t;
  for (const [name, t] of Object.entries(contents.optimizer)) tensors[`optimizer.${name}`] = t;
  saveSafetensors(file, tensors, { [META_KEY]: JSON.stringify({ step: contents.step, hasEma: contents.ema !== undefined, ...contents.meta }) });
}

/** Loads a checkpoint; the caller owns (and disposes) the returned tensors. */
export function loadCheckpoint(file: string): CheckpointContents {
  const metaText = readSafetensorsMetadata(file)[META_KEY];
  if (metaText === undefined) {
    throw new FlowmatchError('ERR_NOT_A_CHECKPOINT', `${file} is a safetensors file but not a flowmatch checkpoint (no '${META_KEY}' metadata)`);
  }
  const meta = JSON.parse(metaText) as Record<string, unknown> & { step: number; hasEma: boolean };
  const all = loadSafetensors(file);
  const groups: Record<(typeof PREFIXES)[number], Record<string, Tensor>> = { 'model.': {}, 'ema.': {}, 'optimizer.': {} };
  for (const [name, t] of Object.entries(all)) {
    const prefix = PREFIXES.find((p) => name.startsWith(p));
    if (prefix) groups[prefix][name.slice(prefix.length)] = t;
  }
  const { step, hasEma, ...rest } = meta;
  return { step, model: groups['model.'], ema: hasEma ? groups['ema.'] : undefined, optimizer: groups['optimizer.'], rng: all.rng, meta: rest };
}
