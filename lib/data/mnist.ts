/**
 * MNIST-format image datasets (MNIST, Fashion-MNIST): the four IDX files
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte, raw or .gz, in one folder.
 */
import { existsSync } from 'node:fs';
import { tidy } from '../scope';
import { checkOneOf, checkOptions } from '../validate';
import { DatasetError } from './dataset-error';
import { readIdx } from './idx';
import { checkFolder, findFile } from './read-file';
import type { ImageDataset } from './image-dataset';

/**
 * The default Fashion-MNIST folder: $FLOWMATCH_FASHION_MNIST_DIR when set (files kept
 * elsewhere, or a missing folder to exercise the absent-data paths), else where Debian's
 * dataset-fashion-mnist package puts them.
 */
export const FASHION_MNIST_DIR = process.env.FLOWMATCH_FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';

export interface MnistOptions {
  /** The folder with the IDX files; FASHION_MNIST_DIR when it exists and none is given. */
  root?: string;
  /** 'train' (60000 images) or 'test' (10000). */
  split?: 'train' | 'test';
}

/** Images as uint8 [N, 1, 28, 28] (0 = background) and labels as int64 [N] in 0..9. */
export function loadMnist(options: MnistOptions = {}): ImageDataset {
  const opts = checkOptions(options, 'options');
  const root = opts.root ?? (existsSync(FASHION_MNIST_DIR) ? FASHION_MNIST_DIR : undefined);
  if (root === undefined) {
    throw new DatasetError('ERR_NOT_FOUND', `No MNIST folder given and the default ${FASHION_MNIST_DIR} does not exist: pass {root: '<folder with the IDX files>'}`);
  }
  checkFolder(root, 'folder of MNIST IDX files');
  const prefix = checkOneOf(opts.split ?? 'train', ['train', 'test'], 'split') === 'train' ? 'train' : 't10k';
  const imageFile = findFile(root, [`${prefix}-images-idx3-ubyte`, `${prefix}-images.idx3-ubyte`], `${prefix} images`);
  const labelFile = findFile(root, [`${prefix}-labels-idx1-ubyte`, `${prefix}-labels.idx1-ubyte`], `${prefix} labels`);
  return tidy(() => {
    const images = readIdx(imageFile);
    const labels = readIdx(labelFile);
    const [n, h, w] = images.shape;
    if (images.ndim !== 3 || images.dtype !== 'uint8') {
      throw new DatasetError('ERR_FORMAT', `${imageFile}: expected uint8 images [N, H, W] but the IDX header says ${images.dtype} [${images.shape}]`);
    }
    if (labels.ndim !== 1 || labels.dtype !== 'uint8' || labels.shape[0] !== n) {
      throw new DatasetError('ERR_FORMAT', `${labelFile}: expected ${n} uint8 labels to match ${imageFile} but the IDX header says ${labels.dtype} [${labels.shape}]`);
    }
    if ((labels.max().item() as number) > 9) throw new DatasetError('ERR_FORMAT', `${labelFile}: labels outside 0..9`);
    return { x: images.reshape([n, 1, h, w]), labels: labels.to('int64') };
  });
}
