/**
 * The source distribution of a flow, N(0, σ_0²·I), and how its σ_0 is chosen: the option
 * when given, else the probability path's (σ_max for the reversed VE diffusion), else 1.
 */
import type { Tensor } from '../tensor';
import { GaussianPath } from '../paths/gaussian-path';
import { checkNumber, fail } from '../validate';

/** log N(x0; 0, σ²·I) per sample ([n]) of x0 [n, …]: −½‖x0‖²/σ² − D·log σ − (D/2)·log 2π. */
export function gaussianPriorLogDensity(x0: Tensor, priorStd: number): Tensor {
  const n = x0.shape[0];
  const dims = x0.numel / n;
  return x0
    .square()
    .reshape([n, -1])
    .sum(1)
    .mul(-0.5 / priorStd ** 2)
    .sub(dims * Math.log(priorStd) + (dims / 2) * Math.log(2 * Math.PI));
}

/** σ_0 from the options { priorStd?, path? }, checked positive and finite; a path must be a GaussianPath. */
export function resolvePriorStd(opts: { priorStd?: number; path?: GaussianPath }): number {
  if (opts.priorStd !== undefined) return checkNumber(opts.priorStd, 'priorStd', { positive: true, finite: true });
  if (opts.path === undefined) return 1;
  if (!(opts.path instanceof GaussianPath)) fail('a GaussianPath (otPath(), an AffinePath, …)', 'path', opts.path);
  return checkNumber(opts.path.priorStd, 'path.priorStd', { positive: true, finite: true });
}
