/**
 * A training run's folder and the order its files are written in.
 *
 * checkpoint.safetensors is the one commit point: it holds everything a resume needs,
 * sampling weights included, and replaces its predecessor with a single rename. The
 * model.safetensors beside it is a copy of its sampling weights for readers that want a
 * plain model file; two files cannot be replaced by one rename, so the copy is removed
 * before each commit and written again after it. At every instant it is therefore either
 * absent or made from the checkpoint on disk (its metadata names that checkpoint's digest),
 * never from an older or newer one; when a kill left it absent, the next start writes it
 * again, and readers fall back to the checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tensor } from '../tensor';
import { serializeSafetensors } from '../io/safetensors';
import { removeFileSync, removeStaleTemps, stageFileSync } from '../io/atomic-write';
import { FlowmatchError } from '../errors';
import { fail } from '../validate';
import { DIGEST_KEY, serializeCheckpoint, type CheckpointContents } from './checkpoint';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const MODEL_FILE = 'model.safetensors';
export const METRICS_FILE = 'metrics.jsonl';
export const CONFIG_FILE = 'config.json';

/** Metadata of model.safetensors: the step and the digest of the checkpoint it was copied from. */
export const MODEL_STEP_KEY = 'flowmatch.step';
export const MODEL_SOURCE_KEY = 'flowmatch.checkpoint.sha256';

/**
 * Creates `dir` and its missing parents one level at a time. (mkdirSync's recursive mode
 * never returns for a path under /proc, where mkdir fails with ENOENT on an existing parent.)
 */
export function ensureFolder(dir: string): void {
  if (typeof dir !== 'string' || dir.length === 0) fail('a folder path', 'outDir', dir);
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a parent is a file, which the walk up reaches and reports.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FlowmatchError('ERR_WRITE', `Cannot create the folder ${dir}: ${at} cannot be read (${(e as Error).message})`);
    }
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw new FlowmatchError('ERR_WRITE', `Cannot create the folder ${dir}: ${at} exists and is not a folder`);
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(folder).isDirectory()) continue;
      throw new FlowmatchError('ERR_WRITE', `Cannot create the folder ${dir}: mkdir ${folder} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
}

/** Makes the folder ready for a run: created if needed, the temporary files of killed writers removed. */
export function openRunFolder(dir: string): { removedTemps: string[] } {
  ensureFolder(dir);
  return { removedTemps: removeStaleTemps(dir) };
}

/** Removes a previous run's checkpoint and model copy (the copy first, as in every commit). */
export function clearCheckpoint(dir: string): void {
  removeFileSync(path.join(dir, MODEL_FILE));
  removeFileSync(path.join(dir, CHECKPOINT_FILE));
}

function modelCopyBytes(weights: Record<string, Tensor>, step: number, checkpointDigest: string): Buffer {
  return serializeSafetensors(weights, { [MODEL_STEP_KEY]: String(step), [MODEL_SOURCE_KEY]: checkpointDigest }, { digestKey: DIGEST_KEY });
}

/**
 * Commits a checkpoint and then its model copy (see the file comment for the order). Both
 * files are written and flushed first, so the copy is absent only across two renames.
 */
export function commitCheckpoint(dir: string, contents: CheckpointContents, weights: Record<string, Tensor>): void {
  const checkpoint = serializeCheckpoint(contents, path.join(dir, CHECKPOINT_FILE));
  const staged = [stageFileSync(path.join(dir, CHECKPOINT_FILE), checkpoint.bytes)];
  try {
    staged.push(stageFileSync(path.join(dir, MODEL_FILE), modelCopyBytes(weights, contents.step, checkpoint.digest)));
    removeFileSync(path.join(dir, MODEL_FILE));
    while (staged.length > 0) {
      staged[0].commit();
      staged.shift();
    }
  } finally {
    for (const file of staged) file.discard();
  }
}
