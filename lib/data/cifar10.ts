/**
 * CIFAR-10 binary batches (https://www.cs.toronto.edu/~kriz/cifar.html): records of 3073
 * bytes, one label byte (0..9) then 32×32 red, green and blue planes, row-major.
 */
import { tensor } from '../creation';
import { checkOneOf } from '../validate';
import { cat } from '../functional';
import { tidy } from '../scope';
import { DatasetError } from './dataset-error';
import { checkFolder, findFile, readMaybeGzip } from './read-file';
import type { ImageDataset } from './image-dataset';

const PIXELS = 3 * 32 * 32;
const RECORD = 1 + PIXELS;

/** One batch file: uint8 images [N, 3, 32, 32] and int64 labels [N]. */
export function readCifarBatch(file: string): ImageDataset {
  const bytes = readMaybeGzip(file);
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    const whole = Math.floor(bytes.length / RECORD);
    throw new DatasetError(bytes.length > RECORD ? 'ERR_TRUNCATED' : 'ERR_FORMAT',
      `${file}: ${bytes.length} bytes is not a whole number of CIFAR-10 records of ${RECORD} bytes (${whole} records and ${bytes.length - whole * RECORD} bytes left over)`);
  }
  const n = bytes.length / RECORD;
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = bytes[i * RECORD];
    if (labels[i] > 9) throw new DatasetError('ERR_FORMAT', `${file}: record ${i} has label ${labels[i]}, outside 0..9 (not a CIFAR-10 batch?)`);
    pixels.set(bytes.subarray(i * RECORD + 1, (i + 1) * RECORD), i * PIXELS);
  }
  return tidy(() => ({ x: tensor(pixels, { shape: [n, 3, 32, 32] }), labels: tensor(labels).to('int64') }));
}

/** The train split (data_batch_1..5.bin) or the test split (test_batch.bin) of a cifar-10-batches-bin folder. */
export function loadCifar10(opts: { root: string; split?: 'train' | 'test' }): ImageDataset {
  checkFolder(opts?.root, 'cifar-10-batches-bin folder');
  const split = checkOneOf(opts.split ?? 'train', ['train', 'test'], 'split');
  const names = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  return tidy(() => {
    const batches = names.map((name) => readCifarBatch(findFile(opts.root, [name], `CIFAR-10 ${split}`)));
    return { x: cat(batches.map((b) => b.x)), labels: cat(batches.map((b) => b.labels as NonNullable<typeof b.labels>)) };
  });
}
