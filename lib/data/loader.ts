/**
 * Batches from an in-memory dataset, shuffled per epoch with a seed, addressable by step:
 * step s is batch s mod B of epoch ⌊s / B⌋ (B batches per epoch), so a run resumes at any
 * step without replaying the ones before.
 */
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { tidy } from '../scope';
import { ShapeError } from '../errors';
import { checkBool, checkFunction, checkInt, checkOptions, fail } from '../validate';
import { seededPermutation } from './shuffle';

export interface Batch {
  x: Tensor;
  labels?: Tensor;
  epoch: number;
  /** The global step: batches since the start of epoch 0. */
  step: number;
}

export interface LoaderOptions {
  batchSize: number;
  /** Shuffle each epoch (default true); otherwise dataset order. */
  shuffle?: boolean;
  /** Default 0. Epoch e is ordered by the permutation with key (seed, e). */
  seed?: number;
  /** Drop the last, smaller batch of each epoch (default true: constant batch shapes). */
  dropLast?: boolean;
  /** Applied to each batch's x, e.g. toSignedUnit for uint8 images. */
  transform?: (x: Tensor) => Tensor;
}

export class DataLoader {
  readonly x: Tensor;
  readonly labels?: Tensor;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  private readonly transform?: (x: Tensor) => Tensor;
  private cached?: { epoch: number; order: Int32Array };

  /** The dataset's tensors are borrowed, not copied: keep them alive while the loader is used. */
  constructor(dataset: { x: Tensor; labels?: Tensor }, opts: LoaderOptions) {
    if (dataset === null || typeof dataset !== 'object' || !(dataset.x instanceof Tensor)) fail('{x: Tensor, labels?: Tensor}', 'dataset', dataset);
    this.x = dataset.x;
    const n = this.x.shape[0];
    if (dataset.labels !== undefined) {
      if (!(dataset.labels instanceof Tensor) || dataset.labels.shape[0] !== n) {
        throw new ShapeError('ERR_SHAPE', `Expected ${n} labels, one per row of x, but received ${dataset.labels instanceof Tensor ? `shape [${dataset.labels.shape}]` : String(dataset.labels)}`);
      }
      this.labels = dataset.labels;
    }
    this.batchSize = checkInt(opts?.batchSize, 'batchSize', 1);
    this.shuffle = checkBool(opts.shuffle ?? true, 'shuffle');
    this.seed = checkInt(opts.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER);
    this.dropLast = checkBool(opts.dropLast ?? true, 'dropLast');
    if (opts.transform !== undefined) checkFunction(opts.transform, 'transform');
    this.transform = opts.transform;
    if (this.batchesPerEpoch === 0) fail(`a batchSize at most the dataset size (${n}) when dropLast is set`, 'batchSize', this.batchSize);
  }

  get size(): number {
    return this.x.shape[0];
  }

  get batchesPerEpoch(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** The order in which epoch `epoch` visits the rows. */
  order(epoch: number): Int32Array {
    checkInt(epoch, 'epoch', 0);
    if (this.cached?.epoch !== epoch) {
      this.cached = { epoch, order: this.shuffle ? seededPermutation(this.size, this.seed, epoch) : Int32Array.from({ length: this.size }, (_, i) => i) };
    }
    return this.cached.order;
  }

  /** The batch at global step `step`. */
  batch(step: number): Batch {
    checkInt(step, 'step', 0);
    const epoch = Math.floor(step / this.batchesPerEpoch);
    const start = (step % this.batchesPerEpoch) * this.batchSize;
    const rows = this.order(epoch).subarray(start, Math.min(start + this.batchSize, this.size));
    return tidy(() => {
      const index = tensor(rows, { dtype: 'int64', device: this.x.device });
      const picked = this.x.indexSelect(0, index);
      const x = this.transform === undefined ? picked : this.transform(picked);
      const labels = this.labels?.indexSelect(0, index.to(this.labels.device));
      return labels === undefined ? { x, epoch, step } : { x, labels, epoch, step };
    });
  }

  /** Batches from step `from` (default 0) up to, not including, `to` (default: forever). */
  *batches(options: { from?: number; to?: number } = {}): Generator<Batch> {
    const opts = checkOptions(options, 'options');
    const from = checkInt(opts.from ?? 0, 'from', 0);
    const to = opts.to === undefined ? Infinity : checkInt(opts.to, 'to', from);
    for (let step = from; step < to; step++) yield this.batch(step);
  }

  /** The batches of one epoch. */
  epoch(epoch: number): Generator<Batch> {
    checkInt(epoch, 'epoch', 0);
    return this.batches({ from: epoch * this.batchesPerEpoch, to: (epoch + 1) * this.batchesPerEpoch });
  }
}
