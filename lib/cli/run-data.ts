/**
 * The data a run spec names: training batches for `train`, and held-out data for `nll` and
 * `eval` (fresh toy samples under another seed, or the image test split).
 */
import { Tensor } from '../tensor';
import { keep, tidy } from '../scope';
import { manualSeed } from '../runtime';
import { avgPool2d } from '../functional';
import type { Device } from '../device';
import { sampleToy, type ToyName } from '../data/toy2d';
import { loadMnist } from '../data/mnist';
import { DataLoader } from '../data/loader';
import { toSignedUnit, type ImageDataset } from '../data/image-dataset';
import type { BatchSource, ConditioningProvider, TrainBatch } from '../train/train-options';
import { isImageDataset, type RunSpec } from '../run/run-spec';

// Held-out toy data comes from a seed no training run uses, so it is never a training batch.
const HELD_OUT_SEED = 2_147_483_647;

/** Training batches; toys are drawn fresh each step from the RNG the checkpoint restores. */
export function trainingData(spec: RunSpec): { data: BatchSource; release: () => void; size?: number } {
  const device = spec.device as Device;
  if (!isImageDataset(spec.dataset)) {
    return { data: (): TrainBatch => ({ x: sampleToy(spec.dataset as ToyName, spec.batchSize, { device }) }), release: () => undefined };
  }
  const set = imageSplit(spec, 'train');
  const loader = new DataLoader(spec.classes === undefined ? { x: set.x } : set, { batchSize: spec.batchSize, seed: spec.seed, transform: toSignedUnit });
  return { data: loader, release: () => releaseSet(set), size: set.x.shape[0] };
}

/** uint8 images [N, 1, 28, 28] and labels of a split, on the run's device, kept past the caller's scope. */
export function imageSplit(spec: RunSpec, split: 'train' | 'test', limit?: number): ImageDataset {
  return keep(
    tidy(() => {
      const all = loadMnist({ root: spec.dataRoot, split });
      const n = limit === undefined ? all.x.shape[0] : Math.min(limit, all.x.shape[0]);
      const device = spec.device as Device;
      return { x: all.x.narrow(0, 0, n).to(device).contiguous(), labels: all.labels?.narrow(0, 0, n).to(device).contiguous() };
    }),
  );
}

export function releaseSet(set: ImageDataset): void {
  set.x.dispose();
  set.labels?.dispose();
}

/** n toy points the model never trained on, the same for every call. */
export function heldOutToy(spec: RunSpec, n: number): Tensor {
  manualSeed(HELD_OUT_SEED);
  return sampleToy(spec.dataset as ToyName, n, { device: spec.device as Device });
}

/** The super-resolution input: the image averaged down 2× (28×28 → 14×14); the U-Net upsamples it back. */
export function lowResolution(x: Tensor): Tensor {
  return avgPool2d(x, 2);
}

/** Low-resolution inputs [n, 1, 14, 14] in [−1, 1] made from the first n test images (kept: the caller disposes them). */
export function lowResFromTest(spec: RunSpec, n: number): Tensor {
  const test = imageSplit(spec, 'test', n);
  try {
    return keep(tidy(() => lowResolution(toSignedUnit(test.x))));
  } finally {
    releaseSet(test);
  }
}

/** What a super-resolution model is conditioned on during training. */
export function trainingConditioning(spec: RunSpec): ConditioningProvider | undefined {
  return spec.superRes ? (batch) => ({ lowRes: lowResolution(batch.x) }) : undefined;
}
