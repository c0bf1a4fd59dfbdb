/**
 * Training metrics as JSON lines: one object per line, appended, readable while training
 * runs. Each record is one write that ends in a newline, so an unterminated last line is a
 * write still in progress or one cut off by a crash, never a finished record.
 */
import * as fs from 'node:fs';
import { type CodeOf, FlowmatchError } from '../errors';
import { readRegularFile } from '../io/read-file';
import { writeFileAtomicSync } from '../io/atomic-write';
import { describe } from '../validate';

/** A metrics file that cannot be read or written; the message names the file. */
export class MetricsError extends FlowmatchError {
  readonly file: string;
  declare readonly code: CodeOf<'MetricsError'>;
  constructor(code: CodeOf<'MetricsError'>, file: string, message: string) {
    super(code, `${file}: ${message}`);
    this.file = file;
  }
}

// A million steps of records of ~100 bytes each is 100 MB; past this cap a file is not a log.
const MAX_METRICS_BYTES = 1 << 30;

export class MetricsLog {
  private readonly fd: number;
  constructor(readonly path: string, append: boolean) {
    try {
      this.fd = fs.openSync(path, append ? 'a' : 'w');
    } catch (e) {
      throw new MetricsError('ERR_WRITE', path, `cannot open the metrics log for writing (${(e as Error).message})`);
    }
  }
  write(record: Record<string, unknown>): void {
    const bytes = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    try {
      for (let written = 0; written < bytes.length; ) written += fs.writeSync(this.fd, bytes, written, bytes.length - written);
    } catch (e) {
      throw new MetricsError('ERR_WRITE', this.path, `cannot append to the metrics log (${(e as Error).message})`);
    }
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

export interface ParsedMetrics {
  records: Record<string, unknown>[];
  /** The unterminated last line, when there is one (a write cut off or still in progress). */
  torn?: string;
}

/** Parses a metrics log's text; a complete line that is not a JSON object is an error naming the file and line. */
export function parseMetrics(text: string, file: string): ParsedMetrics {
  const lines = text.split('\n');
  const last = lines.pop() as string;
  const records = lines.flatMap((line, i) => {
    if (line.trim().length === 0) return [];
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new MetricsError('ERR_FORMAT', file, `line ${i + 1} is not JSON (${(e as Error).message}); the log is damaged: delete that line or the file`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new MetricsError('ERR_FORMAT', file, `line ${i + 1} is not a JSON object; the log is damaged: delete that line or the file`);
    }
    return [record as Record<string, unknown>];
  });
  return last.trim().length === 0 ? { records } : { records, torn: last };
}

/** A metrics file's records and its unterminated last line, if any (see ParsedMetrics.torn). */
export function readMetricsFile(path: string): ParsedMetrics {
  return parseMetrics(readRegularFile(path, MAX_METRICS_BYTES).toString('utf8'), path);
}

/** Reads a metrics file back (for loss curves and tests); a line still being written is left out. */
export function readMetrics(path: string): Record<string, unknown>[] {
  return readMetricsFile(path).records;
}

/**
 * Opens a run's metrics log for writing: a new run (startStep 0) starts it afresh; a resumed
 * one keeps the records up to its checkpoint's step (later ones will be written again) and
 * drops, telling `warn`, a last line torn by a kill.
 */
export function openMetricsLog(file: string, startStep: number, warn: (message: string) => void): MetricsLog {
  if (startStep > 0 && fs.existsSync(file)) {
    const { records, torn } = readMetricsFile(file);
    if (torn !== undefined) warn(`${file}: dropped its unfinished last line (cut off when the previous run stopped): ${describe(torn)}`);
    const kept = records.filter((r) => typeof r.step === 'number' && r.step <= startStep);
    writeFileAtomicSync(file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    return new MetricsLog(file, true);
  }
  return new MetricsLog(file, false);
}
