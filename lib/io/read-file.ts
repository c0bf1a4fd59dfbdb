/**
 * The one way flowmatch reads a file whole: regular files only, never more than a cap the
 * caller names, with errors that name the file. The type and size are checked with fstat on
 * the descriptor already open, so nothing can swap the file between the check and the read,
 * and the open never waits: a FIFO, /dev/zero or /dev/urandom is refused, not read forever.
 */
import * as fs from 'node:fs';
import { type CodeOf, FlowmatchError } from '../errors';
import { fail } from '../validate';

/**
 * A file that cannot be read. `code` says why: ERR_NOT_FOUND, ERR_NOT_A_REGULAR_FILE
 * (a folder, FIFO, socket or device), ERR_TOO_LARGE (over the reader's cap) or ERR_READ
 * (permissions, I/O errors).
 */
export class FileReadError extends FlowmatchError {
  readonly file: string;
  declare readonly code: CodeOf<'FileReadError'>;
  constructor(code: CodeOf<'FileReadError'>, file: string, reason: string) {
    super(code, `${file}: ${reason}`);
    this.file = file;
  }
}

// Without O_NONBLOCK, opening a FIFO for reading waits for a writer; on a regular file the
// flag changes nothing. Windows has no such flag and no FIFOs to open this way.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** Opens `file`, checks that it is a regular file of at most `maxBytes`, and hands `use` its descriptor and size. */
export function withRegularFile<T>(file: string, maxBytes: number, use: (fd: number, size: number) => T): T {
  if (typeof file !== 'string' || file.length === 0) fail('a file path', 'file', file);
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    throw fromSystemError(file, e);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new FileReadError('ERR_NOT_A_REGULAR_FILE', file, `is ${kindOf(stat)}, not a regular file; only regular files are read`);
    if (stat.size > maxBytes) throw tooLarge(file, `${stat.size}`, maxBytes);
    return use(fd, stat.size);
  } catch (e) {
    throw e instanceof FlowmatchError ? e : fromSystemError(file, e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The whole content of a regular file of at most `maxBytes`. Reads to the end of the file
 * rather than trusting the size fstat gave (files in /proc report 0), still never past the cap.
 */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  return withRegularFile(file, maxBytes, (fd, size) => {
    let buffer = Buffer.allocUnsafeSlow(Math.max(size, 1));
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        if (buffer.length >= maxBytes) {
          if (fs.readSync(fd, Buffer.alloc(1), 0, 1, filled) > 0) throw tooLarge(file, `more than ${maxBytes}`, maxBytes);
          break;
        }
        const grown = Buffer.allocUnsafeSlow(Math.min(maxBytes, Math.max(2 * buffer.length, 1 << 16)));
        buffer.copy(grown, 0, 0, filled);
        buffer = grown;
      }
      const got = fs.readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (got === 0) break;
      filled += got;
    }
    return buffer.subarray(0, filled);
  });
}

/** Reads exactly `length` bytes at `position` (fewer only at the end of the file). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const got = fs.readSync(fd, out, filled, length - filled, position + filled);
    if (got === 0) break;
    filled += got;
  }
  return out.subarray(0, filled);
}

function tooLarge(file: string, size: string, maxBytes: number): FileReadError {
  return new FileReadError('ERR_TOO_LARGE', file, `holds ${size} bytes; this reader's limit is ${maxBytes} bytes (${formatBytes(maxBytes)})`);
}

function fromSystemError(file: string, e: unknown): FileReadError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileReadError('ERR_NOT_FOUND', file, 'no such file');
  return new FileReadError('ERR_READ', file, `cannot be read (${(e as Error).message})`);
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'a special file';
}

export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size) return `${+(bytes / size).toFixed(2)} ${unit}`;
  }
  return `${bytes} B`;
}
