/** Reading a dataset file whole, unzipping it when it is gzip, with errors that name the file. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './dataset-error';

/** The file's bytes; gzip is recognised by its magic number (1f 8b), not by the name. */
export function readMaybeGzip(file: string): Buffer {
  if (!existsSync(file) || !statSync(file).isFile()) throw new DatasetError('ERR_DATA_NOT_FOUND', `${file}: no such file`);
  const raw = readFileSync(file);
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    const reason = (e as Error).message;
    const code = /unexpected end/i.test(reason) ? 'ERR_DATA_TRUNCATED' : 'ERR_DATA_FORMAT';
    throw new DatasetError(code, `${file}: the gzip stream is damaged (${reason})`);
  }
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
  throw new DatasetError('ERR_DATA_NOT_FOUND', `${folder}: no ${what} file (looked for ${tried.join(', ')})`);
}

export function checkFolder(folder: string, what: string): void {
  if (typeof folder !== 'string' || !existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new DatasetError('ERR_DATA_NOT_FOUND', `${String(folder)}: no such folder (expected the ${what})`);
  }
}
