/**
 * The Brownian-bridge path of Schrödinger-bridge CFM (Tong et al. 2023, TorchCFM's SB-CFM):
 * given a pair (x0, x1), x_t = (1 − t)·x0 + t·x1 + σ_t·ε with σ_t = σ·sqrt(t(1 − t)) and fresh
 * ε ~ N(0, I), and the target u_t = x1 − x0 + σ'_t·ε, σ'_t = σ(1 − 2t) / (2·sqrt(t(1 − t))).
 *
 * Unlike the paths of §4 the noise is at neither end alone: the bridge is pinned at both x0
 * and x1 and noisy in between, so a sample needs a third draw (ε) besides x0 and x1. sample()
 * draws it from flowmatch's RNG; the loss needs nothing else (it regresses onto u_t at x_t).
 * Paired with a Sinkhorn plan at reg = 2σ² (lib/couplings/schrodinger-bridge.ts) this learns
 * the probability-flow field of the Schrödinger bridge between the two marginals.
 *
 * As a GaussianPath its moments are those of p_t(x | x1) with x0 ~ N(0, I) marginalised out
 * (mean t·x1, std sqrt((1 − t)² + σ_t²), 1 at t = 0 and 0 at t = 1): flow() and
 * conditionalVelocity() use them, and sampling starts from N(0, I) as for the other paths.
 */
import { Tensor } from '../tensor';
import { randnLike } from '../creation';
import { where } from '../functional';
import { tidy } from '../scope';
import { checkNumber, checkOptions } from '../validate';
import { GaussianPath, sameShape, type PathSample } from './gaussian-path';
import { type Time, timeColumn } from './time';

export class BrownianBridgePath extends GaussianPath {
  readonly sigma: number;

  constructor(opts: { sigma?: number } = {}) {
    const sigma = checkNumber(checkOptions(opts, 'options').sigma ?? DEFAULT_BRIDGE_SIGMA, 'options.sigma', { positive: true, finite: true });
    super((x1, t) => {
      const s2 = t.mul(t.neg().add(1)).mul(sigma * sigma);
      const oneMinusT = t.neg().add(1);
      const std = oneMinusT.square().add(s2).sqrt();
      // d/dt [(1 − t)² + σ²t(1 − t)] / (2·std)
      const dStd = oneMinusT.mul(-2).add(t.mul(-2).add(1).mul(sigma * sigma)).div(std.mul(2));
      return { mean: t.mul(x1), std, dMean: x1.mul(1), dStd };
    });
    this.sigma = sigma;
  }

  /** σ_t = σ·sqrt(t(1 − t)) and σ'_t as float64 columns; σ'_t is taken as 0 where t(1 − t) = 0 (it diverges there, and σ_t = 0 multiplies nothing). */
  private noiseScale(t: Tensor): { std: Tensor; dStd: Tensor } {
    const tt = t.mul(t.neg().add(1));
    const std = tt.sqrt().mul(this.sigma);
    const dStd = where(tt.gt(0), t.mul(-2).add(1).mul(this.sigma).div(tt.sqrt().mul(2)), 0);
    return { std, dStd };
  }

  /** x_t and u_t for the pair (x0, x1) at t, with the bridge noise ε drawn here. */
  override sample(x0: Tensor, x1: Tensor, t: Time): PathSample {
    sameShape(x0, x1);
    return tidy(() => {
      const tc = timeColumn(t, x1);
      const { std, dStd } = this.noiseScale(tc);
      const eps = randnLike(x1);
      const dtype = x1.dtype;
      const mean = x0.mul(tc.neg().add(1).to(dtype)).add(x1.mul(tc.to(dtype)));
      const xt = mean.add(eps.mul(std.to(dtype)));
      const ut = x1.sub(x0).add(eps.mul(dStd.to(dtype)));
      return { xt, ut };
    });
  }
}

export const DEFAULT_BRIDGE_SIGMA = 0.5;

/** The Brownian-bridge path with noise level σ (default 0.5). */
export function brownianBridgePath(opts: { sigma?: number } = {}): BrownianBridgePath {
  return new BrownianBridgePath(opts);
}
