/**
 * A small RGB raster to draw plots on. Shapes are anti-aliased by coverage: a pixel is
 * blended towards the colour in proportion to how much of it the shape covers, estimated
 * from the distance between the pixel centre and the shape's edge. Pixel (x, y) is the unit
 * square centred on integer coordinates (x, y), with y growing downwards.
 */
import type { PngImage } from '../io/png';
import type { Color } from './colormap';
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textWidth } from './font';

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface TextOptions {
  /** Integer magnification of the 5×7 font (default 1). */
  scale?: number;
  /** Where `x` is: at the start, the middle or the end of the text (default 'left'). */
  align?: 'left' | 'center' | 'right';
  /** Reads bottom to top, for vertical axis labels. */
  vertical?: boolean;
}

export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** Drawing outside this rectangle (inclusive pixel bounds) is discarded; null draws everywhere. */
  clip: Rect | null = null;

  constructor(width: number, height: number, background: Color = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.data.set(background, i * 3);
  }

  /** Blends `color` into pixel (x, y) with opacity `alpha` ∈ [0, 1]. */
  blend(x: number, y: number, color: Color, alpha = 1): void {
    if (!(alpha > 0) || x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const c = this.clip;
    if (c !== null && (x < c.x0 || x > c.x1 || y < c.y0 || y > c.y1)) return;
    const i = (y * this.width + x) * 3;
    const a = Math.min(1, alpha);
    for (let k = 0; k < 3; k++) this.data[i + k] = Math.round(this.data[i + k] + a * (color[k] - this.data[i + k]));
  }

  fillRect(x0: number, y0: number, x1: number, y1: number, color: Color, alpha = 1): void {
    for (let y = Math.max(0, Math.ceil(y0)); y <= Math.min(this.height - 1, Math.floor(y1)); y++) {
      for (let x = Math.max(0, Math.ceil(x0)); x <= Math.min(this.width - 1, Math.floor(x1)); x++) this.blend(x, y, color, alpha);
    }
  }

  /** A segment `thickness` pixels wide with round ends. */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, thickness = 1, alpha = 1): void {
    if (![x0, y0, x1, y1].every(Number.isFinite)) return;
    const half = thickness / 2;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const lengthSq = dx * dx + dy * dy;
    const pad = half + 1;
    for (let y = Math.max(0, Math.floor(Math.min(y0, y1) - pad)); y <= Math.min(this.height - 1, Math.ceil(Math.max(y0, y1) + pad)); y++) {
      for (let x = Math.max(0, Math.floor(Math.min(x0, x1) - pad)); x <= Math.min(this.width - 1, Math.ceil(Math.max(x0, x1) + pad)); x++) {
        const t = lengthSq === 0 ? 0 : Math.min(1, Math.max(0, ((x - x0) * dx + (y - y0) * dy) / lengthSq));
        const distance = Math.hypot(x - x0 - t * dx, y - y0 - t * dy);
        this.blend(x, y, color, alpha * coverage(half - distance));
      }
    }
  }

  /** A connected line through the points; non-finite points break it. */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: Color, thickness = 1, alpha = 1): void {
    for (let i = 1; i < xs.length; i++) this.line(xs[i - 1], ys[i - 1], xs[i], ys[i], color, thickness, alpha);
  }

  fillCircle(cx: number, cy: number, radius: number, color: Color, alpha = 1): void {
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) return;
    for (let y = Math.max(0, Math.floor(cy - radius - 1)); y <= Math.min(this.height - 1, Math.ceil(cy + radius + 1)); y++) {
      for (let x = Math.max(0, Math.floor(cx - radius - 1)); x <= Math.min(this.width - 1, Math.ceil(cx + radius + 1)); x++) {
        this.blend(x, y, color, alpha * coverage(radius - Math.hypot(x - cx, y - cy)));
      }
    }
  }

  /** Draws `text` with its top edge at `y` (its left edge when vertical). */
  text(x: number, y: number, text: string, color: Color, options: TextOptions = {}): void {
    const scale = options.scale ?? 1;
    const width = textWidth(text, scale);
    const shift = options.align === 'center' ? width / 2 : options.align === 'right' ? width : 0;
    const start = Math.round(options.vertical ? y + shift : x - shift);
    for (let n = 0; n < text.length; n++) {
      const rows = glyph(text[n]);
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (((rows[row] >> (GLYPH_WIDTH - 1 - col)) & 1) === 0) continue;
          const along = n * ADVANCE * scale + col * scale;
          const across = row * scale;
          const px = options.vertical ? Math.round(x) + across : start + along;
          const py = options.vertical ? start - along - scale + 1 : Math.round(y) + across;
          this.fillRect(px, py, px + scale - 1, py + scale - 1, color);
        }
      }
    }
  }

  toImage(): PngImage {
    return { width: this.width, height: this.height, channels: 3, data: this.data };
  }
}

/** Fraction of a pixel covered when its centre lies `inside` pixels within a shape's edge. */
function coverage(inside: number): number {
  return Math.min(1, Math.max(0, inside + 0.5));
}
