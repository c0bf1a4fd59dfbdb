/** Tiles a batch of images into one picture, as torchvision's make_grid does. */
import type { PngImage } from '../io/png';
import { Tensor } from '../tensor';
import { checkInt, checkOptions, fail } from '../validate';
import { checkRange, readTensor } from './figure';

export interface ImageGridOptions {
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between and around images (default 2). */
  padding?: number;
  /** Grey level 0–255 of the padding (default 255). */
  padValue?: number;
  /** Pixel values mapped to black and white; default [−1, 1] when any value is negative, else [0, 1]. */
  valueRange?: [number, number];
  /** Integer nearest-neighbour magnification, for tiny images (default 1). */
  scale?: number;
}

/** Wider or taller grids would be gigabytes of pixels: larger than any PNG viewer shows. */
const MAX_GRID_SIDE = 32768;

/** images [N, C, H, W] with C = 1 (grey) or 3 (RGB) → one image, grey or RGB like the input. */
export function imageGrid(images: Tensor, gridOptions: ImageGridOptions = {}): PngImage {
  const options = checkOptions(gridOptions, 'options');
  const { shape, values } = readTensor(images, 'images', 4);
  const [n, channels, h, w] = shape;
  if (channels !== 1 && channels !== 3) fail('1 or 3 channels', 'images channels (dim 1)', channels, 'ERR_SHAPE');
  if (n === 0) fail('at least one image', 'images', shape, 'ERR_SHAPE');
  const nrow = checkInt(options.nrow ?? 8, 'options.nrow', 1);
  const padding = checkInt(options.padding ?? 2, 'options.padding', 0);
  const padValue = checkInt(options.padValue ?? 255, 'options.padValue', 0, 255);
  const scale = checkInt(options.scale ?? 1, 'options.scale', 1, 64);
  const [lo, hi] = options.valueRange === undefined ? (values.some((v) => v < 0) ? [-1, 1] : [0, 1]) : checkRange(options.valueRange, 'options.valueRange');
  const across = Math.min(nrow, n);
  const down = Math.ceil(n / across);
  const [th, tw] = [h * scale, w * scale];
  const width = across * (tw + padding) + padding;
  const height = down * (th + padding) + padding;
  if (width > MAX_GRID_SIDE || height > MAX_GRID_SIDE) {
    fail(`a grid of at most ${MAX_GRID_SIDE} pixels a side (fewer images per row, less padding or scale)`, 'imageGrid options', `a ${width} × ${height} grid`);
  }
  const data = new Uint8Array(width * height * channels).fill(padValue);
  for (let k = 0; k < n; k++) {
    const left = padding + (k % across) * (tw + padding);
    const top = padding + Math.floor(k / across) * (th + padding);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        for (let c = 0; c < channels; c++) {
          const v = values[((k * channels + c) * h + Math.floor(y / scale)) * w + Math.floor(x / scale)];
          data[((top + y) * width + left + x) * channels + c] = Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);
        }
      }
    }
  }
  return { width, height, channels: channels as 1 | 3, data };
}
