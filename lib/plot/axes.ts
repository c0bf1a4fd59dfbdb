/**
 * A chart frame: maps data coordinates to pixels on linear or log₁₀ scales and draws the
 * frame, grid, ticks, tick labels, axis labels, title and legend around a plot area.
 */
import { Canvas } from './canvas';
import type { Color } from './colormap';
import { GLYPH_HEIGHT, textWidth } from './font';

export interface AxisSpec {
  range: [number, number];
  log?: boolean;
  label?: string;
}

export interface LegendEntry {
  name: string;
  color: Color;
}

const INK: Color = [0, 0, 0];
const GRID: Color = [232, 232, 232];
const MARGIN = { left: 58, right: 16, top: 30, bottom: 42 };

export class Axes {
  readonly canvas: Canvas;
  /** The plot area in pixels (inclusive). */
  readonly area: { x0: number; y0: number; x1: number; y1: number };
  private readonly x: AxisSpec;
  private readonly y: AxisSpec;

  /** `framed: false` gives the whole canvas to the plot area and draws no decoration. */
  constructor(canvas: Canvas, x: AxisSpec, y: AxisSpec, framed = true, rightMargin = MARGIN.right) {
    this.canvas = canvas;
    this.x = x;
    this.y = y;
    this.area = framed
      ? { x0: MARGIN.left, y0: MARGIN.top, x1: canvas.width - 1 - rightMargin, y1: canvas.height - 1 - MARGIN.bottom }
      : { x0: 0, y0: 0, x1: canvas.width - 1, y1: canvas.height - 1 };
  }

  /** Pixel column of data x (NaN for x ≤ 0 on a log axis). */
  px(value: number): number {
    return this.area.x0 + fraction(value, this.x) * (this.area.x1 - this.area.x0);
  }
  /** Pixel row of data y, larger values higher up. */
  py(value: number): number {
    return this.area.y1 - fraction(value, this.y) * (this.area.y1 - this.area.y0);
  }

  /** Runs `draw` with drawing confined to the plot area. */
  clipped(draw: () => void): void {
    const saved = this.canvas.clip;
    this.canvas.clip = this.area;
    try {
      draw();
    } finally {
      this.canvas.clip = saved;
    }
  }

  drawGrid(): void {
    const { x0, y0, x1, y1 } = this.area;
    for (const t of ticks(this.x)) this.canvas.line(Math.round(this.px(t)), y0, Math.round(this.px(t)), y1, GRID);
    for (const t of ticks(this.y)) this.canvas.line(x0, Math.round(this.py(t)), x1, Math.round(this.py(t)), GRID);
  }

  drawFrame(title?: string): void {
    const c = this.canvas;
    const { x0, y0, x1, y1 } = this.area;
    c.line(x0, y0, x1, y0, INK);
    c.line(x0, y1, x1, y1, INK);
    c.line(x0, y0, x0, y1, INK);
    c.line(x1, y0, x1, y1, INK);
    for (const t of ticks(this.x)) {
      const p = Math.round(this.px(t));
      c.line(p, y1, p, y1 + 4, INK);
      c.text(p, y1 + 8, formatTick(t), INK, { align: 'center' });
    }
    let widest = 0;
    for (const t of ticks(this.y)) {
      const p = Math.round(this.py(t));
      const label = formatTick(t);
      widest = Math.max(widest, textWidth(label));
      c.line(x0 - 4, p, x0, p, INK);
      c.text(x0 - 7, p - 3, label, INK, { align: 'right' });
    }
    if (this.x.label) c.text((x0 + x1) / 2, y1 + 24, this.x.label, INK, { align: 'center' });
    if (this.y.label) c.text(Math.max(2, x0 - widest - 20), (y0 + y1) / 2, this.y.label, INK, { align: 'center', vertical: true });
    if (title) c.text((x0 + x1) / 2, 8, title, INK, { align: 'center', scale: 2 });
  }

  /** A boxed legend in the top-right corner of the plot area. */
  drawLegend(entries: LegendEntry[]): void {
    if (entries.length === 0) return;
    const c = this.canvas;
    const rowHeight = GLYPH_HEIGHT + 6;
    const width = Math.max(...entries.map((e) => textWidth(e.name))) + 30;
    const right = this.area.x1 - 6;
    const left = right - width;
    const top = this.area.y0 + 6;
    const bottom = top + entries.length * rowHeight + 6;
    c.fillRect(left, top, right, bottom, [255, 255, 255], 0.9);
    for (const [a, b, d, e] of [[left, top, right, top], [left, bottom, right, bottom], [left, top, left, bottom], [right, top, right, bottom]]) c.line(a, b, d, e, [160, 160, 160]);
    entries.forEach((entry, i) => {
      const y = top + 6 + i * rowHeight;
      c.line(left + 6, y + 3, left + 20, y + 3, entry.color, 3);
      c.text(left + 25, y, entry.name, INK);
    });
  }
}

function fraction(value: number, axis: AxisSpec): number {
  const [lo, hi] = axis.range;
  if (axis.log) return value > 0 ? (Math.log10(value) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : NaN;
  return (value - lo) / (hi - lo);
}

/** Tick positions: powers of ten on log axes spanning a decade or more, else 1-2-5 steps. */
export function ticks(axis: AxisSpec, target = 6): number[] {
  const [lo, hi] = axis.range;
  if (axis.log) {
    // Powers of ten when the axis spans two or more of them, else 1-2-5 (then 1…9) multiples.
    const first = Math.floor(Math.log10(lo));
    const last = Math.ceil(Math.log10(hi));
    const inRange = (mantissas: number[]) => {
      const out: number[] = [];
      for (let e = first; e <= last; e++) for (const m of mantissas) out.push(Number((m * 10 ** e).toPrecision(12)));
      return out.filter((v) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9));
    };
    const powers = inRange([1]);
    if (powers.length >= 2) {
      const every = Math.ceil(powers.length / target);
      return powers.filter((_, i) => i % every === 0);
    }
    const steps = inRange([1, 2, 5]);
    return steps.length >= 2 ? steps : inRange([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  const raw = (hi - lo) / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) as number) * magnitude;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    // Rounds away the drift of repeated addition (0.30000000000000004).
    out.push(Number((Math.round(v / step) * step).toPrecision(12)));
  }
  return out;
}

/** A short label: plain decimals in [0.001, 10⁵), otherwise mantissa-E-exponent. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const size = Math.abs(value);
  if (size >= 1e-3 && size < 1e5) return String(Number(value.toPrecision(4)));
  const [mantissa, exponent] = value.toExponential(2).split('e');
  return `${Number(mantissa)}E${Number(exponent)}`;
}

/** A data range for values with `pad` of slack on each side (multiplicative on log axes). */
export function extent(values: Iterable<number>, log = false, pad = 0.05): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === Infinity) return log ? [0.1, 10] : [0, 1];
  if (log) {
    const [a, b] = [Math.log10(lo), Math.log10(hi)];
    const span = b - a || 1;
    return [10 ** (a - pad * span), 10 ** (b + pad * span)];
  }
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - pad * span, hi + pad * span];
}
