/**
 * The Conditional Flow Matching loss (Lipman et al. 2023, eq. 9):
 * L_CFM(θ) = E_{t, x1~q, x0~N(0,I)} ‖v_θ(x_t, t) − u_t(x_t | x1)‖², with x_t = ψ_t(x0).
 * Theorem 2: its gradient equals that of the FM loss, which regresses onto the
 * (intractable) marginal field instead.
 */
import { Tensor } from '../tensor';
import { mseLoss } from '../functional';
import { checkOptions, fail } from '../validate';
import { tidy } from '../scope';
import type { GaussianPath } from '../paths/gaussian-path';
import { type Conditioning, type VelocityModel, callModel, checkModel } from '../nn/velocity-model';
import { Module } from '../nn/module';
import { type DrawOptions, closedFormDraw, drawTraining } from './training-draw';

export interface LossOptions extends DrawOptions {
  /** Conditioning passed to the model (class labels, the low-resolution image). Formerly `cond`. */
  conditioning?: Conditioning;
}

/**
 * The loss options, checked; the option's old name is refused rather than ignored, since a
 * model trained without the conditioning it was meant to have may not fail at all.
 */
export function checkLossOptions(opts: LossOptions | undefined): Partial<LossOptions> {
  const o = checkOptions(opts, 'options');
  if ((o as { cond?: unknown }).cond !== undefined) fail('conditioning (the option was renamed from cond)', 'options.cond', (o as { cond?: unknown }).cond);
  return o;
}

/**
 * The CFM loss of `model` on the data batch x1 along `path`, as a scalar tensor. The
 * squared norm is averaged over elements (‖·‖²/d, then over the batch), which scales the
 * paper's loss by 1/d and leaves its minimiser unchanged.
 */
export function cfmLoss(model: VelocityModel, path: GaussianPath, x1: Tensor, opts: LossOptions = {}): Tensor {
  const o = checkLossOptions(opts);
  const m = checkModel(model);
  // A native Module's forward and the loss in one native call (its own forward(), if a
  // subclass has one, runs as written); along a built-in schedule and sampler, the draw too,
  // and then no JS tensor exists to be scoped.
  const nativeForward = m instanceof Module && m.forward === Module.prototype.forward;
  if (nativeForward) {
    const draw = closedFormDraw(path, x1, o);
    if (draw !== undefined) return m.cfmLossOfDraw(draw, o.conditioning ?? {});
  }
  return tidy(() => {
    const { t, xt, ut } = drawTraining(path, x1, o);
    if (nativeForward) return m.forwardMseLoss(xt, t, o.conditioning ?? {}, ut);
    return mseLoss(callModel(m, xt, t, o.conditioning), ut);
  });
}
