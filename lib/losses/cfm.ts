/**
 * The Conditional Flow Matching loss (Lipman et al. 2023, eq. 9):
 * L_CFM(θ) = E_{t, x1~q, x0~N(0,I)} ‖v_θ(x_t, t) − u_t(x_t | x1)‖², with x_t = ψ_t(x0).
 * Theorem 2: its gradient equals that of the FM loss, which regresses onto the
 * (intractable) marginal field instead.
 */
import { Tensor } from '../tensor';
import { mseLoss } from '../functional';
import { checkOptions } from '../validate';
import { tidy } from '../scope';
import type { GaussianPath } from '../paths/gaussian-path';
import { type Conditioning, type VelocityModel, callModel, checkModel } from '../nn/velocity-model';
import { type DrawOptions, drawTraining } from './training-draw';

export interface LossOptions extends DrawOptions {
  /** Conditioning passed to the model (class labels, the low-resolution image). */
  cond?: Conditioning;
}

/**
 * The CFM loss of `model` on the data batch x1 along `path`, as a scalar tensor. The
 * squared norm is averaged over elements (‖·‖²/d, then over the batch), which scales the
 * paper's loss by 1/d and leaves its minimiser unchanged.
 */
export function cfmLoss(model: VelocityModel, path: GaussianPath, x1: Tensor, opts: LossOptions = {}): Tensor {
  return tidy(() => {
    const { t, xt, ut } = drawTraining(path, x1, opts);
    return mseLoss(callModel(checkModel(model), xt, t, checkOptions(opts, 'options').cond), ut);
  });
}
