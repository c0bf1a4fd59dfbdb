/**
 * Reading a dataset file whole, unzipping it when it is gzip, with errors that name the file.
 * Both the file and what it inflates to are capped (MAX_DATASET_BYTES); a format that knows
 * its size from its header (IDX) caps the inflation at exactly that size, so a small gzip
 * bomb fails after inflating no more than the header promised.
 */
import { existsSync, statSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { DatasetError } from './dataset-error';
import { FileReadError, formatBytes, readRegularFile } from '../io/read-file';

/** The most bytes a dataset file may hold, and the most its gzip may inflate to: 2 GiB. */
export const MAX_DATASET_BYTES = 2 ** 31;

/** How many leading bytes of the content `sizeFromHead` is shown. */
const HEAD_BYTES = 1024;

/**
 * The file's bytes; gzip is recognised by its magic number (1f 8b), not by the name.
 * `sizeFromHead` reads the first bytes of the (inflated) content and returns the size the
 * whole content must have; it throws when those bytes are not the expected format.
 */
export function readMaybeGzip(file: string, sizeFromHead?: (head: Buffer) => number): Buffer {
  let raw: Buffer;
  try {
    raw = readRegularFile(file, MAX_DATASET_BYTES);
  } catch (e) {
    throw asDatasetError(e);
  }
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  const limit = sizeFromHead === undefined ? MAX_DATASET_BYTES : sizeFromHead(inflateHead(file, raw));
  if (limit > MAX_DATASET_BYTES) {
    throw new DatasetError('ERR_TOO_LARGE', `${file}: its header describes ${limit} bytes of data; the limit is ${MAX_DATASET_BYTES} (${formatBytes(MAX_DATASET_BYTES)})`);
  }
  try {
    return gunzipSync(raw, { maxOutputLength: Math.max(limit, 1) });
  } catch (e) {
    throw gzipError(file, e, limit, sizeFromHead !== undefined);
  }
}

/**
 * The first HEAD_BYTES of the inflated content (fewer if it is shorter). Inflating a prefix
 * of the input bounds the work: deflate expands at most ~1032-fold, so the prefix is grown
 * from 64 bytes only while it has not yet produced the head.
 */
function inflateHead(file: string, raw: Buffer): Buffer {
  for (let take = 64; ; take *= 2) {
    let head: Buffer;
    try {
      // A sync flush makes zlib return what the prefix decodes to instead of failing on its end.
      head = gunzipSync(raw.subarray(0, take), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e) {
      throw gzipError(file, e, MAX_DATASET_BYTES, false);
    }
    if (head.length >= HEAD_BYTES || take >= raw.length) return head.subarray(0, HEAD_BYTES);
  }
}

function gzipError(file: string, e: unknown, limit: number, fromHeader: boolean): DatasetError {
  const reason = (e as Error).message;
  if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
    return fromHeader
      ? new DatasetError('ERR_FORMAT', `${file}: the gzip stream inflates to more than the ${limit} bytes its header describes`)
      : new DatasetError('ERR_TOO_LARGE', `${file}: the gzip stream inflates to more than ${limit} bytes (${formatBytes(limit)}), the limit for a dataset file`);
  }
  const code = /unexpected end/i.test(reason) ? 'ERR_TRUNCATED' : 'ERR_FORMAT';
  return new DatasetError(code, `${file}: the gzip stream is damaged (${reason})`);
}

/** A file reader's error as a DatasetError with the same code and message. */
export function asDatasetError(e: unknown): unknown {
  if (!(e instanceof FileReadError)) return e;
  return new DatasetError(e.code, e.message);
}

/** The first of `names` present in `folder` (each also tried with .gz). */
export function findFile(folder: string, names: string[], what: string): string {
  const tried: string[] = [];
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      const file = `${folder}/${candidate}`;
      if (existsSync(file)) return file;
      tried.push(candidate);
    }
  }
  throw new DatasetError('ERR_NOT_FOUND', `${folder}: no ${what} file (looked for ${tried.join(', ')})`);
}

export function checkFolder(folder: string, what: string): void {
  if (typeof folder !== 'string' || !existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new DatasetError('ERR_NOT_FOUND', `${String(folder)}: no such folder (expected the ${what})`);
  }
}
