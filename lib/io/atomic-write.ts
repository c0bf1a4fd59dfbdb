/**
 * Atomic file replacement: readers see the old file or the complete new one, never a part,
 * and a crash at any moment leaves one of the two on disk. The bytes go to a temporary
 * file in the target's folder (rename is atomic only within one file system), are flushed,
 * renamed over the target, and the folder is flushed so the rename itself survives a power
 * loss. Every writer of the library goes through here, so there is one temp-name scheme and
 * one place that cleans up after a killed writer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FlowmatchError } from '../errors';
import { fail } from '../validate';

/** `.<name>.<pid>.<random>.tmp`: hidden, tied to its writer's pid, never a valid target name. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeError(file: string, e: unknown): FlowmatchError {
  if (e instanceof FlowmatchError) return e;
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? `its folder ${path.dirname(file)} does not exist` : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'ENOSPC' ? 'the disk is full' : err.message;
  return new FlowmatchError('ERR_WRITE', `Cannot write ${file}: ${why}`);
}

function checkTarget(file: unknown): string {
  if (typeof file !== 'string' || file.length === 0) fail('a file path', 'file', file);
  return path.resolve(file);
}

const toBytes = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

// Some file systems cannot fsync a folder (EINVAL) or open one for reading; the rename has
// still happened, it is only its durability across a power loss that they cannot promise.
const UNSYNCABLE_FOLDER = ['EINVAL', 'EISDIR', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF'];
const unsyncable = (e: unknown): boolean => UNSYNCABLE_FOLDER.includes((e as NodeJS.ErrnoException).code ?? '');

function syncFolderSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    if (!unsyncable(e)) throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

async function syncFolder(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (e) {
    if (!unsyncable(e)) throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Removes a temporary file after a failed write, best effort: the write's own error is the
 * one to report, and removing can fail the same way (rmSync's `force` ignores only ENOENT;
 * a parent that is a regular file gives ENOTDIR).
 */
function discardTemp(temp: string): void {
  try {
    fs.rmSync(temp, { force: true });
  } catch {
    // Nothing was created where the folder cannot be reached.
  }
}

/** A temporary file written and flushed, waiting to be renamed over its target. */
export interface StagedFile {
  readonly file: string;
  /** Renames it over the target and flushes the folder; on failure removes it and throws ERR_WRITE. */
  commit(): void;
  /** Removes it, leaving the target as it was. */
  discard(): void;
}

/**
 * Writes `data` next to `file` and flushes it, without touching `file` yet. Staging lets a
 * caller that replaces several files do all the slow writing first and then only renames.
 */
export function stageFileSync(file: string, data: Uint8Array | string): StagedFile {
  const target = checkTarget(file);
  const bytes = toBytes(data);
  const temp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o644);
    // writeSync may write less than asked (signals, pipes, some network file systems).
    for (let written = 0; written < bytes.byteLength; ) written += fs.writeSync(fd, bytes, written, bytes.byteLength - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    discardTemp(temp);
    throw writeError(file, e);
  }
  return {
    file,
    commit: () => {
      try {
        fs.renameSync(temp, target);
        syncFolderSync(path.dirname(target));
      } catch (e) {
        discardTemp(temp);
        throw writeError(file, e);
      }
    },
    discard: () => discardTemp(temp),
  };
}

/** Replaces `file` with `data` atomically; throws a FlowmatchError (ERR_WRITE) naming the file. */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  stageFileSync(file, data).commit();
}

/** writeFileAtomicSync on the libuv pool, so a server keeps answering during the flushes. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const target = checkTarget(file);
  const bytes = toBytes(data);
  const temp = tempPathFor(target);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(temp, 'wx', 0o644);
    for (let written = 0; written < bytes.byteLength; ) written += (await handle.write(bytes, written, bytes.byteLength - written)).bytesWritten;
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(temp, target);
    await syncFolder(path.dirname(target));
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true }).catch(() => undefined);
    throw writeError(file, e);
  }
}

/** Removes `file` if it exists and flushes its folder, so the removal is on disk before what follows. */
export function removeFileSync(file: string): void {
  const target = checkTarget(file);
  try {
    if (!fs.existsSync(target)) return;
    fs.rmSync(target, { force: true });
    syncFolderSync(path.dirname(target));
  } catch (e) {
    throw new FlowmatchError('ERR_WRITE', `Cannot remove ${file}: ${(e as Error).message}`);
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that writers killed mid-write left in `dir` (a writer that is
 * still running keeps its own); returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new FlowmatchError('ERR_READ', `Cannot list ${dir}: ${(e as Error).message}`);
  }
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match === null || processAlive(Number(match[2]))) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed.push(name);
    } catch (e) {
      throw new FlowmatchError('ERR_WRITE', `Cannot remove the leftover temporary file ${path.join(dir, name)}: ${(e as Error).message}`);
    }
  }
  return removed;
}

/** True for a name this module's writers use for their temporary files. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}
