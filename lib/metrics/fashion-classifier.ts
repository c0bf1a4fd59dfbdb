/**
 * A small Fashion-MNIST CNN written from tensor ops, used as the feature network of FID for
 * 28×28 grey images (Inception features mean little on Fashion-MNIST, and this one trains
 * in minutes on a CPU):
 *
 *   conv 3×3 1→32, ReLU, max-pool 2 → conv 3×3 32→64, ReLU, max-pool 2 → linear 3136→128,
 *   ReLU (the features) → linear 128→10 (the logits).
 *
 * It sees images on the generative models' scale, [−1, 1]; uint8 images are mapped there
 * first, so real test images and generated samples go through the same transform.
 */
import { Tensor, asTensor } from '../tensor';
import { rand } from '../creation';
import { conv2d, crossEntropy, linear, maxPool2d, cat } from '../functional';
import { noGrad } from '../autograd';
import { tidy, keep, dispose } from '../scope';
import { manualSeed } from '../runtime';
import { FlowmatchError, ShapeError } from '../errors';
import { checkInt, checkNumber, fail } from '../validate';
import { Adam } from '../optim/adam';
import { DataLoader } from '../data/loader';
import { loadMnist } from '../data/mnist';
import { toSignedUnit, type ImageDataset } from '../data/image-dataset';
import { loadSafetensors, saveSafetensors } from '../io/safetensors';
import type { FeatureExtractor } from './feature-extractor';
import { assetPath } from '../assets';

/** Parameter names and shapes, in the order the optimizer sees them. */
const LAYOUT: [string, number[]][] = [
  ['conv1.weight', [32, 1, 3, 3]],
  ['conv1.bias', [32]],
  ['conv2.weight', [64, 32, 3, 3]],
  ['conv2.bias', [64]],
  ['fc1.weight', [128, 64 * 7 * 7]],
  ['fc1.bias', [128]],
  ['fc2.weight', [10, 128]],
  ['fc2.bias', [10]],
];
/** Width of the penultimate layer: the dimension of FID features. */
export const FASHION_CLASSIFIER_FEATURES = 128;
const KIND = 'flowmatch-fashion-classifier-v1';
// Bounds peak memory: the first conv of 10 000 images alone would need 1 GB.
const CHUNK = 500;

export interface FashionClassifier {
  /** Logits [N, 10] for images [N, 1, 28, 28] (float in [−1, 1], or uint8 pixels). */
  predict(images: Tensor): Tensor;
  /** Penultimate-layer activations [N, 128]. */
  features(images: Tensor): Tensor;
  /** The fraction of images whose arg-max logit equals the label. */
  accuracy(images: Tensor, labels: Tensor): number;
  /** features() as a FeatureExtractor for fid()/extractFeatures(). */
  readonly extractor: FeatureExtractor;
  /** The weights, by name (owned by the classifier). */
  readonly weights: Record<string, Tensor>;
  save(file: string): void;
  dispose(): void;
}

export interface TrainFashionClassifierOptions {
  /** Passes over the training set (default 2). */
  epochs?: number;
  /** Default 128. */
  batchSize?: number;
  /** Seeds the initialization and the data order (default 0). */
  seed?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Where to save the weights (safetensors) when training ends. */
  file?: string;
  /** Training images (uint8 [N, 1, 28, 28]) and labels; default the Fashion-MNIST training split. */
  data?: ImageDataset;
  /** Train on only the first `limit` images (quick checks). */
  limit?: number;
  /** Called after each step with the batch loss. */
  onStep?: (step: number, loss: number) => void;
}

export interface TrainFashionClassifierResult {
  classifier: FashionClassifier;
  /** Loss of every step. */
  losses: number[];
  seconds: number;
}

class Classifier implements FashionClassifier {
  readonly weights: Record<string, Tensor>;
  readonly extractor: FeatureExtractor;

  constructor(weights: Record<string, Tensor>) {
    this.weights = weights;
    this.extractor = { features: (images: Tensor) => this.features(images) };
  }

  /** Features and logits of one chunk, with autograd when the caller has it on (training). */
  forward(x: Tensor): { features: Tensor; logits: Tensor } {
    const w = this.weights;
    const h1 = maxPool2d(conv2d(x, w['conv1.weight'], w['conv1.bias'], { padding: 1 }).relu(), 2);
    const h2 = maxPool2d(conv2d(h1, w['conv2.weight'], w['conv2.bias'], { padding: 1 }).relu(), 2);
    const features = linear(h2.flatten(1), w['fc1.weight'], w['fc1.bias']).relu();
    return { features, logits: linear(features, w['fc2.weight'], w['fc2.bias']) };
  }

  private inChunks(images: Tensor, pick: (x: Tensor) => Tensor): Tensor {
    const x = checkImages(images);
    return tidy(() => noGrad(() => cat(prepare(x).split(CHUNK, 0).map((chunk) => tidy(() => pick(chunk))), 0)));
  }

  predict(images: Tensor): Tensor {
    return this.inChunks(images, (x) => this.forward(x).logits);
  }

  features(images: Tensor): Tensor {
    return this.inChunks(images, (x) => this.forward(x).features);
  }

  accuracy(images: Tensor, labels: Tensor): number {
    const n = checkImages(images).shape[0];
    asTensor(labels, 'labels');
    if (labels.ndim !== 1 || labels.shape[0] !== n) {
      throw new ShapeError('ERR_SHAPE', `Expected labels of shape [${n}] (one per image) but received shape [${labels.shape}]`);
    }
    return tidy(() => (this.predict(images).argmax(1).eq(labels.to('int64')).to('float64').mean().item() as number));
  }

  save(file: string): void {
    saveSafetensors(file, this.weights, { kind: KIND });
  }

  dispose(): void {
    dispose(this.weights);
  }
}

function checkImages(images: unknown): Tensor {
  const x = asTensor(images, 'images');
  const s = x.shape;
  if (s.length !== 4 || s[0] < 1 || s[1] !== 1 || s[2] !== 28 || s[3] !== 28) {
    throw new ShapeError('ERR_SHAPE', `Expected images of shape [N, 1, 28, 28] with N ≥ 1 but received shape [${s}]`);
  }
  if (!['uint8', 'float32', 'float64'].includes(x.dtype)) fail('uint8 pixels or float32/float64 images in [−1, 1]', 'images', `a ${x.dtype} Tensor`, 'ERR_DTYPE');
  return x;
}

/** uint8 pixels → [−1, 1]; float images pass as float32. */
function prepare(x: Tensor): Tensor {
  return x.dtype === 'uint8' ? toSignedUnit(x) : x.to('float32');
}

/** PyTorch's default init for Conv2d/Linear: weights and biases U(−1/√fan_in, 1/√fan_in). */
function initialWeights(): Record<string, Tensor> {
  const fanIn: Record<string, number> = { conv1: 9, conv2: 32 * 9, fc1: 64 * 7 * 7, fc2: 128 };
  const weights: Record<string, Tensor> = {};
  for (const [name, shape] of LAYOUT) {
    const bound = 1 / Math.sqrt(fanIn[name.split('.')[0]]);
    weights[name] = keep(tidy(() => rand(shape).mul(2 * bound).sub(bound)).requiresGrad_());
  }
  return weights;
}

export async function trainFashionClassifier(opts: TrainFashionClassifierOptions = {}): Promise<TrainFashionClassifierResult> {
  if (opts === null || typeof opts !== 'object') fail('an options object', 'options', opts);
  const epochs = checkInt(opts.epochs ?? 2, 'epochs', 1);
  const batchSize = checkInt(opts.batchSize ?? 128, 'batchSize', 1);
  const seed = checkInt(opts.seed ?? 0, 'seed', 0);
  const lr = checkNumber(opts.lr ?? 1e-3, 'lr', { positive: true, finite: true });
  if (opts.file !== undefined && (typeof opts.file !== 'string' || opts.file === '')) fail('a file path', 'file', opts.file);

  const owned = opts.data === undefined ? loadMnist({ split: 'train' }) : undefined;
  const data = opts.data ?? (owned as ImageDataset);
  if (data === null || typeof data !== 'object' || !(data.labels instanceof Tensor)) fail('{x: uint8 images, labels}', 'data', data);
  if (checkImages(data.x).dtype !== 'uint8') fail('uint8 images [N, 1, 28, 28]', 'data.x', `a ${data.x.dtype} Tensor`, 'ERR_DTYPE');
  if (data.labels.ndim !== 1 || data.labels.shape[0] !== data.x.shape[0]) {
    throw new ShapeError('ERR_SHAPE', `Expected data.labels of shape [${data.x.shape[0]}] (one per image) but received shape [${data.labels.shape}]`);
  }
  const limit = opts.limit === undefined ? data.x.shape[0] : checkInt(opts.limit, 'limit', 1, data.x.shape[0]);
  const subset = limit < data.x.shape[0] ? keep({ x: data.x.narrow(0, 0, limit), labels: (data.labels as Tensor).narrow(0, 0, limit) }) : data;

  manualSeed(seed);
  const classifier = new Classifier(initialWeights());
  const params = LAYOUT.map(([name]) => classifier.weights[name]);
  const optimizer = new Adam(params, { lr });
  const loader = new DataLoader(subset, { batchSize: Math.min(batchSize, limit), seed, transform: toSignedUnit });
  const steps = epochs * loader.batchesPerEpoch;
  const losses: number[] = [];
  const started = Date.now();
  try {
    for (let step = 0; step < steps; step++) {
      const loss = tidy(() => {
        const batch = loader.batch(step);
        const value = crossEntropy(classifier.forward(batch.x).logits, (batch.labels as Tensor).to('int64'));
        optimizer.zeroGrad();
        value.backward();
        optimizer.step();
        return value.item() as number;
      });
      if (!Number.isFinite(loss)) throw new FlowmatchError('ERR_NON_FINITE', `the classifier's loss became ${loss} at step ${step}; lower lr`);
      losses.push(loss);
      opts.onStep?.(step, loss);
      // Minutes of training must not freeze the event loop of the process that runs it.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (e) {
    classifier.dispose();
    throw e;
  } finally {
    optimizer.dispose();
    if (subset !== data) dispose(subset);
    if (owned) dispose(owned);
  }
  // Inference needs no graph through the weights.
  for (const name of Object.keys(classifier.weights)) {
    const w = classifier.weights[name];
    classifier.weights[name] = keep(w.detach());
    w.dispose();
  }
  if (opts.file !== undefined) classifier.save(opts.file);
  return { classifier, losses, seconds: (Date.now() - started) / 1000 };
}

/**
 * The classifier trained by experiments/train-classifier.js (90.19 % test accuracy), shipped
 * with the package: the default FID feature network for Fashion-MNIST.
 */
export const BUILTIN_FASHION_CLASSIFIER = assetPath('fashion-classifier.safetensors');

/** A classifier saved by trainFashionClassifier (or FashionClassifier.save). */
export function loadFashionClassifier(file: string): FashionClassifier {
  if (typeof file !== 'string' || file === '') fail('a file path', 'file', file);
  const loaded = loadSafetensors(file);
  const problems: string[] = [];
  for (const [name, shape] of LAYOUT) {
    const t = loaded[name];
    if (t === undefined) problems.push(`missing ${name}`);
    else if (t.dtype !== 'float32' || t.shape.join() !== shape.join()) problems.push(`${name} is ${t.dtype} [${t.shape}], expected float32 [${shape}]`);
  }
  const extra = Object.keys(loaded).filter((name) => !LAYOUT.some(([known]) => known === name));
  if (extra.length > 0) problems.push(`unexpected ${extra.join(', ')}`);
  if (problems.length > 0) {
    dispose(loaded);
    throw new FlowmatchError('ERR_STATE_MISMATCH', `${file} is not a Fashion-MNIST classifier: ${problems.join('; ')}`);
  }
  return new Classifier(keep(loaded));
}
