/** An in-memory image dataset and the map of its 8-bit pixels onto the model's [−1, 1]. */
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import { fail } from '../validate';

export interface ImageDataset {
  /** uint8 pixels [N, C, H, W]; kept as bytes so that a dataset costs a quarter of float32. */
  x: Tensor;
  /** int64 class labels [N], where the dataset has them. */
  labels?: Tensor;
}

/** uint8 [0, 255] → float32 [−1, 1] (x/127.5 − 1), the scale models train on; use as a loader transform. */
export function toSignedUnit(pixels: Tensor): Tensor {
  if (!(pixels instanceof Tensor) || pixels.dtype !== 'uint8') fail('a uint8 Tensor', 'pixels', pixels);
  return tidy(() => pixels.to('float32').div(127.5).sub(1));
}

/** float [−1, 1] → uint8 [0, 255], rounding and clamping (for saving samples). */
export function fromSignedUnit(x: Tensor): Tensor {
  return tidy(() => x.add(1).mul(127.5).round().clamp(0, 255).to('uint8'));
}
