/**
 * A progress bar with rate and ETA for long work. It draws only on a TTY; otherwise it is
 * silent (logs and CI stay clean) unless `quiet: false` asks for a line per `logEvery`.
 */
import { checkBool, checkNumber, fail } from './validate';

export interface ProgressOptions {
  total: number;
  label?: string;
  unit?: string;
  stream?: NodeJS.WriteStream;
  /** Force drawing on/off; default: draw when the stream is a TTY. */
  enabled?: boolean;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private readonly start = Date.now();
  private lastDraw = 0;
  private current = 0;
  private info = '';

  constructor(private readonly opts: ProgressOptions) {
    if (opts === null || typeof opts !== 'object') fail('progress options {total, label?, unit?, stream?, enabled?}', 'options', opts);
    const total = checkNumber(opts.total, 'options.total', { finite: true });
    if (total < 0) fail('a total ≥ 0', 'options.total', total);
    if (opts.label !== undefined && typeof opts.label !== 'string') fail('a string', 'options.label', opts.label);
    if (opts.unit !== undefined && typeof opts.unit !== 'string') fail('a string', 'options.unit', opts.unit);
    const stream = opts.stream ?? process.stderr;
    if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') fail('a writable stream', 'options.stream', stream);
    this.stream = stream;
    this.enabled = opts.enabled === undefined ? Boolean(this.stream.isTTY) : checkBool(opts.enabled, 'options.enabled');
  }

  /** Moves to `value` (absolute) with an optional status text such as "loss 0.123". */
  update(value: number, info?: string): void {
    checkNumber(value, 'value', { finite: true });
    if (info !== undefined && typeof info !== 'string') fail('a string', 'info', info);
    this.current = value;
    if (info !== undefined) this.info = info;
    const now = Date.now();
    // Redrawing costs a syscall; 10 frames a second is plenty for a person.
    if (this.enabled && (now - this.lastDraw > 100 || value >= this.opts.total)) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  private draw(now: number): void {
    const { total, label = '', unit = 'it' } = this.opts;
    const elapsed = (now - this.start) / 1000;
    const rate = elapsed > 0 ? this.current / elapsed : 0;
    const eta = rate > 0 ? (total - this.current) / rate : Infinity;
    const fraction = total > 0 ? Math.min(1, this.current / total) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const rateText = rate >= 1 ? `${rate.toFixed(1)} ${unit}/s` : `${(1 / Math.max(rate, 1e-9)).toFixed(2)} s/${unit}`;
    const line = `${label ? label + ' ' : ''}${bar} ${this.current}/${total} ${(fraction * 100).toFixed(0)}% ${rateText} ETA ${formatDuration(eta)}${this.info ? ' · ' + this.info : ''}`;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  }

  /** Final redraw and newline. */
  done(): void {
    if (this.enabled) {
      this.draw(Date.now());
      this.stream.write('\n');
    }
  }
}
