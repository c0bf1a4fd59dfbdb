/**
 * What FID measures distances in: a FeatureExtractor maps a batch of images to feature
 * vectors. Any network fits behind it (a Fashion-MNIST classifier's penultimate layer, a
 * TorchScript Inception); the metric code never knows which.
 */
import { Tensor, asTensor } from '../tensor';
import { cat } from '../functional';
import { tidy } from '../scope';
import { checkFunction, checkInt, fail } from '../validate';

export interface FeatureExtractor {
  /**
   * Features [N, D] for images [N, C, H, W]. The result belongs to the caller's scope like
   * any op result; intermediates are the extractor's to release.
   */
  features(images: Tensor): Tensor;
}

/** An extractor from a function images [N, C, H, W] → features [N, D]; its intermediates are released. */
export function functionExtractor(fn: (images: Tensor) => Tensor): FeatureExtractor {
  checkFunction(fn, 'fn');
  return { features: (images: Tensor) => tidy(() => fn(images)) };
}

/**
 * Runs `extractor` over `images` in batches of `batchSize` (bounding peak memory of large
 * networks) and concatenates the features into [N, D] float64.
 */
export function extractFeatures(extractor: FeatureExtractor, images: Tensor, batchSize = 256): Tensor {
  if (extractor === null || typeof extractor !== 'object' || typeof extractor.features !== 'function') {
    fail('a FeatureExtractor (an object with features(images))', 'extractor', extractor);
  }
  asTensor(images, 'images');
  checkInt(batchSize, 'batchSize', 1);
  return tidy(() => {
    const parts = images.split(batchSize, 0).map((batch) => {
      const f = extractor.features(batch);
      if (!(f instanceof Tensor) || f.ndim !== 2 || f.shape[0] !== batch.shape[0]) {
        fail(`features [${batch.shape[0]}, D] from the extractor`, 'extractor.features(images)', f instanceof Tensor ? f.shape : f);
      }
      return f.double();
    });
    return cat(parts, 0);
  });
}
