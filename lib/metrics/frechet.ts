/**
 * Fréchet distance between Gaussians, the quantity behind FID (Heusel et al. 2017):
 *   d² = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1^½ Σ2 Σ1^½)^½).
 * Tr((Σ1 Σ2)^½) is written through the symmetric product Σ1^½ Σ2 Σ1^½ (same eigenvalues)
 * so that both square roots come from symmetric eigen-decompositions in float64, where
 * round-off can only push eigenvalues slightly below zero, and those are clamped. The
 * non-symmetric sqrtm that pytorch-fid uses can return complex parts on the same input.
 */
import { Tensor, asTensor } from '../tensor';
import { eigh } from '../functional';
import { tidy } from '../scope';
import { ShapeError } from '../errors';
import { fail } from '../validate';

export interface GaussianStats {
  /** Mean, float64 [D]. */
  mu: Tensor;
  /** Covariance with Bessel's correction, float64 [D, D]. */
  sigma: Tensor;
}

/** Mean and covariance of features [N, D] (rows are samples), in float64. */
export function gaussianStats(features: Tensor): GaussianStats {
  asTensor(features, 'features');
  const shape = features.shape;
  if (shape.length !== 2 || shape[0] < 2) fail('a [N, D] tensor with N ≥ 2', 'features shape', shape, 'ERR_SHAPE');
  return tidy(() => {
    const x = features.double();
    const mu = x.mean(0);
    const centered = x.sub(mu);
    const sigma = centered.T.matmul(centered).div(shape[0] - 1);
    return { mu, sigma };
  });
}

/** The Fréchet distance d² between N(mu1, sigma1) and N(mu2, sigma2) (not its square root, as FID reports it). */
export function frechetDistance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor): number {
  const d = checkStats(mu1, sigma1, 'mu1', 'sigma1');
  if (checkStats(mu2, sigma2, 'mu2', 'sigma2') !== d) {
    throw new ShapeError('ERR_SHAPE', `Expected both Gaussians in the same dimension but received ${d} and ${mu2.shape[0]}`);
  }
  return tidy(() => {
    const m1 = mu1.double();
    const m2 = mu2.double();
    const s1 = symmetrize(sigma1.double());
    const s2 = symmetrize(sigma2.double());
    const meanTerm = m1.sub(m2).square().sum().item() as number;
    const root1 = symmetricSqrt(s1);
    const product = symmetrize(root1.matmul(s2).matmul(root1));
    const traceOfRoot = eigh(product).values.clamp(0).sqrt().sum().item() as number;
    const traces = (s1.trace().item() as number) + (s2.trace().item() as number);
    return meanTerm + traces - 2 * traceOfRoot;
  });
}

/** Fréchet distance between Gaussian fits of two feature sets [N, D] and [M, D]. */
export function fid(featuresA: Tensor, featuresB: Tensor): number {
  return tidy(() => {
    const a = gaussianStats(featuresA);
    const b = gaussianStats(featuresB);
    return frechetDistance(a.mu, a.sigma, b.mu, b.sigma);
  });
}

/** S^½ of a symmetric positive semi-definite S: V diag(√max(λ, 0)) Vᵀ. */
function symmetricSqrt(s: Tensor): Tensor {
  const { values, vectors } = eigh(s);
  return vectors.mul(values.clamp(0).sqrt()).matmul(vectors.T);
}

/** Removes the asymmetry that round-off leaves in products that are symmetric in exact arithmetic. */
function symmetrize(s: Tensor): Tensor {
  return s.add(s.T).mul(0.5);
}

function checkStats(mu: Tensor, sigma: Tensor, muName: string, sigmaName: string): number {
  asTensor(mu, muName);
  asTensor(sigma, sigmaName);
  const m = mu.shape;
  const s = sigma.shape;
  if (m.length !== 1) fail('a [D] mean vector', `${muName} shape`, m, 'ERR_SHAPE');
  if (s.length !== 2 || s[0] !== m[0] || s[1] !== m[0]) fail(`a [${m[0]}, ${m[0]}] covariance`, `${sigmaName} shape`, s, 'ERR_SHAPE');
  return m[0];
}
