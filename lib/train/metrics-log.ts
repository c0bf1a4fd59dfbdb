/** Training metrics as JSON lines: one object per line, appended, readable while training runs. */
import * as fs from 'node:fs';

export class MetricsLog {
  private readonly fd: number;
  constructor(readonly path: string, append: boolean) {
    this.fd = fs.openSync(path, append ? 'a' : 'w');
  }
  write(record: Record<string, unknown>): void {
    fs.writeSync(this.fd, JSON.stringify(record) + '\n');
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Reads a metrics file back (for loss curves and tests). */
export function readMetrics(path: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line));
}
