/**
 * Structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004): local means, variances and
 * covariance under an 11×11 Gaussian window (σ = 1.5), combined as
 *   SSIM = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),
 * C1 = (0.01·R)², C2 = (0.03·R)², over every window position fully inside the image (the
 * paper's 'valid' filtering), averaged over positions and channels. Images are compared at
 * their own resolution, without the paper's optional downsampling of large images.
 */
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { conv2d } from '../functional';
import { tidy } from '../scope';
import { fail } from '../validate';
import { checkImagePair, reduceScores, type ImageMetricOptions } from './image-pair';

const WINDOW = 11;
const SIGMA = 1.5;
const K1 = 0.01;
const K2 = 0.03;

export function ssim(a: Tensor, b: Tensor, options?: ImageMetricOptions & { reduction?: 'mean' }): number;
export function ssim(a: Tensor, b: Tensor, options: ImageMetricOptions & { reduction: 'none' }): number[];
export function ssim(a: Tensor, b: Tensor, options: ImageMetricOptions = {}): number | number[] {
  const { dataRange, reduction } = checkImagePair(a, b, options);
  const [, channels, height, width] = a.shape;
  if (height < WINDOW || width < WINDOW) fail(`images of at least ${WINDOW}×${WINDOW} pixels (the SSIM window)`, 'image size', [height, width], 'ERR_SHAPE');
  const c1 = (K1 * dataRange) ** 2;
  const c2 = (K2 * dataRange) ** 2;
  return tidy(() => {
    const weight = tensor(gaussianWindow(), { dtype: 'float64', shape: [1, 1, WINDOW, WINDOW] }).repeat([channels, 1, 1, 1]);
    const blur = (t: Tensor): Tensor => conv2d(t, weight, null, { groups: channels });
    const x = a.double();
    const y = b.double();
    const muX = blur(x);
    const muY = blur(y);
    const muXY = muX.mul(muY);
    const muX2 = muX.square();
    const muY2 = muY.square();
    const varX = blur(x.square()).sub(muX2);
    const varY = blur(y.square()).sub(muY2);
    const cov = blur(x.mul(y)).sub(muXY);
    const map = muXY.mul(2).add(c1).mul(cov.mul(2).add(c2)).div(muX2.add(muY2).add(c1).mul(varX.add(varY).add(c2)));
    return reduceScores(map.mean([1, 2, 3]), reduction);
  });
}

/** The 11×11 Gaussian window, normalised to sum 1, row-major. */
function gaussianWindow(): Float64Array {
  const half = (WINDOW - 1) / 2;
  const g = Array.from({ length: WINDOW }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * SIGMA * SIGMA)));
  const total = g.reduce((s, v) => s + v, 0);
  const w = new Float64Array(WINDOW * WINDOW);
  for (let i = 0; i < WINDOW; i++) for (let j = 0; j < WINDOW; j++) w[i * WINDOW + j] = (g[i] * g[j]) / (total * total);
  return w;
}
