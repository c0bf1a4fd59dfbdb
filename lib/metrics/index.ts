/** Evaluation metrics: FID, exact Wasserstein distances, MMD, PSNR and SSIM. */
export { gaussianStats, frechetDistance, fid, type GaussianStats } from './frechet';
export { functionExtractor, extractFeatures, type FeatureExtractor } from './feature-extractor';
export { torchScriptExtractor } from './torchscript-extractor';
export { wasserstein, type WassersteinOptions } from './wasserstein';
export { solveAssignment } from './assignment';
export { straightness, type StraightnessOptions, type StraightnessResult } from './straightness';
export { mmd, type MmdOptions } from './mmd';
export { psnr } from './psnr';
export { ssim } from './ssim';
export type { ImageMetricOptions } from './image-pair';
