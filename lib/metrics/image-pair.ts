/** Argument handling shared by the full-reference image metrics (PSNR, SSIM). */
import { Tensor, asTensor } from '../tensor';
import { checkNumber, checkOneOf, fail } from '../validate';

export interface ImageMetricOptions {
  /** Max − min of the pixel scale: 1 for [0, 1] (the default), 2 for [−1, 1], 255 for bytes. */
  dataRange?: number;
  /** 'mean' (default) averages the per-image scores; 'none' returns one per image. */
  reduction?: 'mean' | 'none';
}

export function checkImagePair(a: Tensor, b: Tensor, options: ImageMetricOptions): { dataRange: number; reduction: 'mean' | 'none' } {
  asTensor(a, 'a');
  asTensor(b, 'b');
  const sa = a.shape;
  const sb = b.shape;
  if (sa.length !== 4) fail('an image batch [N, C, H, W]', 'a shape', sa, 'ERR_SHAPE');
  if (sb.length !== 4 || sb.some((d, i) => d !== sa[i])) fail(`an image batch of a's shape [${sa.join(', ')}]`, 'b shape', sb, 'ERR_SHAPE');
  if (options === null || typeof options !== 'object') fail('an options object', 'options', options);
  return {
    dataRange: checkNumber(options.dataRange ?? 1, 'options.dataRange', { positive: true, finite: true }),
    reduction: checkOneOf(options.reduction ?? 'mean', ['mean', 'none'], 'options.reduction'),
  };
}

/** Per-image scores [N] as JS numbers, reduced as asked. */
export function reduceScores(perImage: Tensor, reduction: 'mean' | 'none'): number | number[] {
  const values = Array.from(perImage.data() as Float64Array);
  return reduction === 'none' ? values : values.reduce((s, v) => s + v, 0) / values.length;
}
