/**
 * A folder of PNG images as a dataset. Either the images sit in the folder itself (no
 * labels), or in one subfolder per class (labels are the subfolders' indices in sorted
 * order, as torchvision's ImageFolder). All images must share width, height and channels.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tensor } from '../creation';
import { tidy } from '../scope';
import { PngError, readPng, type PngImage } from '../io/png';
import { DatasetError } from './dataset-error';
import { asDatasetError, checkFolder } from './read-file';
import type { ImageDataset } from './image-dataset';

export interface ImageFolderDataset extends ImageDataset {
  /** Class names (subfolders, sorted) when the folder has them; labels index into this. */
  classes?: string[];
  /** The files, in the dataset's row order. */
  files: string[];
}

/** uint8 images [N, C, H, W] from the .png files under `root`, sorted by name. */
export function loadImageFolder(root: string): ImageFolderDataset {
  checkFolder(root, 'folder of PNG images');
  const entries = readdirSync(root).sort();
  const classes = entries.filter((name) => statSync(join(root, name)).isDirectory());
  const listed = classes.length === 0
    ? pngsIn(root).map((file) => ({ file, label: -1 }))
    : classes.flatMap((name, label) => pngsIn(join(root, name)).map((file) => ({ file, label })));
  if (listed.length === 0) throw new DatasetError('ERR_NOT_FOUND', `${root}: no .png files${classes.length > 0 ? ' in its class folders' : ''}`);
  const first = decode(listed[0].file);
  const { width, height, channels } = first;
  const size = width * height * channels;
  const pixels = new Uint8Array(listed.length * size);
  listed.forEach(({ file }, i) => {
    const image = i === 0 ? first : decode(file);
    if (image.width !== width || image.height !== height || image.channels !== channels) {
      throw new DatasetError('ERR_FORMAT', `${file}: ${image.width}×${image.height} with ${image.channels} channels, but ${listed[0].file} is ${width}×${height} with ${channels}; a folder dataset needs one size`);
    }
    pixels.set(image.data, i * size);
  });
  const files = listed.map((l) => l.file);
  return tidy(() => {
    // PNG rows interleave channels (H, W, C); models take channels first.
    const x = tensor(pixels, { shape: [listed.length, height, width, channels] }).permute([0, 3, 1, 2]).contiguous();
    if (classes.length === 0) return { x, files };
    return { x, labels: tensor(Int32Array.from(listed, (l) => l.label)).to('int64'), classes, files };
  });
}

function pngsIn(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.toLowerCase().endsWith('.png')).sort().map((name) => join(folder, name));
}

function decode(file: string): PngImage {
  try {
    return readPng(file);
  } catch (e) {
    if (e instanceof PngError) throw new DatasetError(e.code, e.message);
    throw asDatasetError(e);
  }
}
