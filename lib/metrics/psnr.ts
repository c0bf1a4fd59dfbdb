/** Peak signal-to-noise ratio, 10·log10(R² / MSE) per image, in dB (Infinity for identical images). */
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import { checkImagePair, reduceScores, type ImageMetricOptions } from './image-pair';

export function psnr(a: Tensor, b: Tensor, options?: ImageMetricOptions & { reduction?: 'mean' }): number;
export function psnr(a: Tensor, b: Tensor, options: ImageMetricOptions & { reduction: 'none' }): number[];
export function psnr(a: Tensor, b: Tensor, options: ImageMetricOptions = {}): number | number[] {
  const { dataRange, reduction } = checkImagePair(a, b, options);
  return tidy(() => {
    const mse = a.double().sub(b.double()).square().mean([1, 2, 3]);
    return reduceScores(mse.reciprocal().mul(dataRange * dataRange).log().mul(10 / Math.LN10), reduction);
  });
}
