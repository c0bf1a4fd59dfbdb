/**
 * Bits per dimension of 8-bit images under a flow on [−1, 1]-scaled data, with uniform
 * dequantization and an importance-weighted bound over K noise draws.
 *
 * Input convention: integer tensors (uint8, int32 or int64) with values in [0, 255], shape
 * [batch, …]. With u ~ U[0, 1)^D and z = 2·(x + u)/256 − 1, the discrete model is
 * P(x) = ∫ p_z(z(x, u))·(2/256)^D du, the (2/256)^D being the Jacobian of x + u ↦ z. Then
 *
 *   log P(x) ≥ log (1/K) Σ_k p_z(z_k) + D·log(2/256)      (Jensen, tighter as K grows)
 *   bits/dim = −log P(x) / (D·ln 2) = −(logsumexp_k log p_z(z_k) − log K)/(D·ln 2) + log2(128).
 */
import { Tensor, asTensor } from '../tensor';
import { rand } from '../creation';
import { stack } from '../functional';
import { tidy } from '../scope';
import { checkInt, checkOneOf, fail } from '../validate';
import { logProb, type LikelihoodOptions } from './log-prob';
import type { VelocityModel } from '../nn/velocity-model';

export interface BitsPerDimOptions extends LikelihoodOptions {
  dequantization?: 'uniform';
  /** Dequantization draws per image. Default 1. */
  K?: number;
  /** Dtype the flow sees. Default 'float32'. */
  dtype?: 'float32' | 'float64';
  /** The dequantization noise u in [0, 1), [K, …images.shape] (drawn when omitted). */
  noise?: Tensor;
}

/** Bits per dimension of each image ([batch]). */
export function bitsPerDim(model: VelocityModel, images: Tensor, opts: BitsPerDimOptions = {}): Tensor {
  asTensor(images, 'images');
  if (!['uint8', 'int32', 'int64'].includes(images.dtype) || images.ndim < 1) fail('an integer Tensor [batch, …] of 8-bit values', 'images', `a ${images.dtype} Tensor`);
  checkOneOf(opts.dequantization ?? 'uniform', ['uniform'], 'dequantization');
  const K = checkInt(opts.K ?? 1, 'K', 1);
  const dtype = checkOneOf(opts.dtype ?? 'float32', ['float32', 'float64'], 'dtype');
  const { dequantization: _d, K: _k, dtype: _t, noise, ...likelihoodOptions } = opts;
  const n = images.shape[0];
  const dims = images.numel / n;
  return tidy(() => {
    const lo = images.min().item() as number;
    const hi = images.max().item() as number;
    if (lo < 0 || hi > 255) fail('pixel values in [0, 255]', 'images', `values in [${lo}, ${hi}]`);
    if (noise !== undefined) {
      const want = [K, ...images.shape];
      if (!(noise instanceof Tensor) || noise.shape.join() !== want.join()) fail(`a Tensor of shape [${want}]`, 'noise', noise);
    }
    const x = images.to(dtype);
    const draws: Tensor[] = [];
    for (let k = 0; k < K; k++) {
      const u = noise === undefined ? rand(images.shape, { dtype, device: images.device }) : noise.select(0, k).to({ dtype, device: images.device });
      const z = x.add(u).mul(2 / 256).sub(1);
      draws.push(logProb(model, z, likelihoodOptions));
    }
    const bound = stack(draws).logsumexp(0).sub(Math.log(K));
    return bound.div(-dims * Math.LN2).add(Math.log2(128));
  });
}
