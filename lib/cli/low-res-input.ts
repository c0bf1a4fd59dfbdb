/**
 * Low-resolution inputs for a super-resolution run, from a file: a PNG of one image, or a
 * safetensors file with one tensor of images ([N, C, h, w] or [N, h, w]; uint8 0–255, or
 * floats in [−1, 1]). They must be half the run's image size, as in training.
 */
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { keep, tidy, dispose } from '../scope';
import { readPng } from '../io/png';
import { FileReadError } from '../io/read-file';
import { loadSafetensors } from '../io/safetensors';
import { toSignedUnit } from '../data/image-dataset';
import type { Device } from '../device';
import { UsageError } from '../run/options';
import { sampleShape, type RunSpec } from '../run/run-spec';

/** Images [N, C, h, w] in [−1, 1] on the run's device (kept: the caller disposes them). */
export function readLowRes(file: string, spec: RunSpec): Tensor {
  let images: Tensor;
  try {
    // Both readers go through lib/io/read-file.ts: a regular file, capped (MAX_PNG_FILE_BYTES, MAX_SAFETENSORS_BYTES).
    images = file.toLowerCase().endsWith('.png') ? fromPng(file, spec) : fromSafetensors(file);
  } catch (e) {
    if (e instanceof FileReadError && e.code === 'ERR_NOT_FOUND') throw new UsageError(`--low-res file ${file} does not exist`);
    throw e;
  }
  const [channels, size] = sampleShape(spec);
  const want = [channels, size / 2, size / 2];
  const got = images.shape.slice(1);
  if (got.join() !== want.join()) {
    images.dispose();
    throw new UsageError(`${file}: expected low-resolution images of shape [N, ${want.join(', ')}] (half of the run's ${size}×${size}) but found [${images.shape.join(', ')}]`);
  }
  try {
    return keep(tidy(() => images.to(spec.device as Device).contiguous()));
  } finally {
    images.dispose();
  }
}

function fromPng(file: string, spec: RunSpec): Tensor {
  const png = readPng(file);
  const channels = sampleShape(spec)[0];
  return keep(
    tidy(() => {
      const hwc = tensor(png.data, { shape: [png.height, png.width, png.channels], dtype: 'uint8' });
      // Alpha is dropped; colour becomes grey for a one-channel model.
      const rgb = hwc.narrow(2, 0, Math.min(png.channels, 3));
      const fitted = channels === 1 && rgb.shape[2] === 3 ? rgb.to('float32').mean([2], { keepdim: true }).round().to('uint8') : rgb;
      return toSignedUnit(fitted.permute([2, 0, 1]).unsqueeze(0).contiguous());
    }),
  );
}

function fromSafetensors(file: string): Tensor {
  const all = loadSafetensors(file);
  const names = Object.keys(all);
  if (names.length !== 1) {
    dispose(all);
    throw new UsageError(`${file}: expected one tensor of low-resolution images but found ${names.length} (${names.join(', ')})`);
  }
  try {
    return keep(
      tidy(() => {
        const t = all[names[0]];
        const batch = t.ndim === 3 ? t.unsqueeze(1) : t;
        return batch.dtype === 'uint8' ? toSignedUnit(batch) : batch.to('float32');
      }),
    );
  } finally {
    dispose(all);
  }
}
