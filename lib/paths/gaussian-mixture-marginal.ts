/**
 * The marginal probability path p_t and the marginal vector field u_t of Flow Matching
 * (Lipman et al. 2023, eqs. 6 and 8) in closed form, for Gaussian-mixture data pushed
 * through an affine Gaussian path. Component k, N(m_k, s_k²·I), becomes
 * N(α_t·m_k, v_k·I) with v_k = α_t²·s_k² + σ_t², so p_t is a mixture with the same weights.
 * The marginal field averages the conditional fields over the posterior of x1 given x_t;
 * per component that average is the field that moves N(α_t·m_k, v_k·I) along itself,
 * α'_t·m_k + v'_k/(2v_k)·(x − α_t·m_k), and the components are weighted by their
 * responsibilities at x. This makes the otherwise intractable FM loss computable.
 */
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { softmax } from '../functional';
import { tidy } from '../scope';
import { fail } from '../validate';
import { GaussianMixture, flatRows, logJoint } from '../data/gaussian-mixture';
import { AffinePath, coefficientsAt } from './affine-path';
import { type Time, timeColumn } from './time';

export class GaussianMixtureMarginal {
  readonly path: AffinePath;
  readonly mixture: GaussianMixture;

  constructor(path: AffinePath, mixture: GaussianMixture) {
    if (!(path instanceof AffinePath)) fail('an AffinePath (the closed form needs μ_t = α_t·x1)', 'path', path);
    if (!(mixture instanceof GaussianMixture)) fail('a GaussianMixture', 'mixture', mixture);
    this.path = path;
    this.mixture = mixture;
  }

  /** log p_t(x) (float64, [n]) for x of shape [n, d] (or [n, …] with d features). */
  logDensity(x: Tensor, t: Time): Tensor {
    return tidy(() => this.components(x, t).logJoint.logsumexp(1));
  }

  /** u_t(x) with x's shape and dtype; t is a number or a Tensor of shape [n]. */
  velocity(x: Tensor, t: Time): Tensor {
    return tidy(() => {
      const c = this.components(x, t);
      const responsibilities = softmax(c.logJoint, 1).unsqueeze(2);
      const fields = c.dAlpha.mul(c.means).add(c.dVariances.div(c.variances.mul(2)).unsqueeze(2).mul(c.offsets));
      return fields.mul(responsibilities).sum(1).reshape(x.shape).to(x.dtype);
    });
  }

  /** Everything per (row, component) in float64: [n, K] or [n, K, d]. */
  private components(x: Tensor, t: Time) {
    const rows = flatRows(x, this.mixture.dim, 'x').to('float64');
    const device = rows.device;
    const c = coefficientsAt(this.path.scheduler, timeColumn(t, rows).unsqueeze(2));
    const means = tensor(this.mixture.means, { dtype: 'float64', device }).unsqueeze(0);
    const dataVariances = tensor(this.mixture.stds, { dtype: 'float64', device }).square().unsqueeze(0);
    const alpha = c.alpha.squeeze(2);
    const sigma = c.sigma.squeeze(2);
    const variances = alpha.square().mul(dataVariances).add(sigma.square());
    const dVariances = alpha.mul(c.dAlpha.squeeze(2)).mul(dataVariances).add(sigma.mul(c.dSigma.squeeze(2))).mul(2);
    const centers = c.alpha.mul(means);
    return {
      logJoint: logJoint(rows, centers, variances, this.mixture.weights),
      offsets: rows.unsqueeze(1).sub(centers),
      means,
      dAlpha: c.dAlpha,
      variances,
      dVariances,
    };
  }
}
