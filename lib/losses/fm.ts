/**
 * The Flow Matching loss (Lipman et al. 2023, eq. 5): L_FM(θ) = E_{t, x~p_t} ‖v_θ(x, t) − u_t(x)‖²
 * against the marginal field u_t. It is intractable in general; for Gaussian-mixture data
 * the marginal field has a closed form, so it serves to check Theorem 2 and as a reference.
 */
import { Tensor } from '../tensor';
import { mseLoss } from '../functional';
import { tidy } from '../scope';
import { GaussianMixtureMarginal } from '../paths/gaussian-mixture-marginal';
import { fail } from '../validate';
import { type VelocityModel, callModel, checkModel } from '../nn/velocity-model';
import { drawTraining } from './training-draw';
import { checkLossOptions, type LossOptions } from './cfm';

/**
 * The FM loss on x_t ~ p_t, drawn as x_t = ψ_t(x0) from data x1 ~ q (pass
 * marginal.mixture.sample(n)); averaged over elements like cfmLoss, so that the two losses,
 * given the same x0 and t, differ by a constant in θ.
 */
export function fmLoss(model: VelocityModel, marginal: GaussianMixtureMarginal, x1: Tensor, opts: LossOptions = {}): Tensor {
  if (!(marginal instanceof GaussianMixtureMarginal)) fail('a GaussianMixtureMarginal', 'marginal', marginal);
  return tidy(() => {
    const o = checkLossOptions(opts);
    const { t, xt } = drawTraining(marginal.path, x1, o);
    return mseLoss(callModel(checkModel(model), xt, t, o.conditioning), marginal.velocity(xt, t));
  });
}
