/**
 * The velocity-model contract the losses call: a function (x, t, cond?) => v, or an object
 * with forward(x, t, cond?). x is a batch [batch, …], t a float32 Tensor of shape [batch],
 * and v has x's shape. (Local equivalent of the sampler's model type, lib/sample/model.ts.)
 */
import { Tensor } from '../tensor';
import { ShapeError } from '../errors';
import { fail } from '../validate';

export type VelocityFunction = (x: Tensor, t: Tensor, cond?: Tensor) => Tensor;
export interface VelocityModule {
  forward(x: Tensor, t: Tensor, cond?: Tensor): Tensor;
}
export type VelocityModel = VelocityFunction | VelocityModule;

/** v_θ(x, t, cond), checked to be a Tensor of x's shape. */
export function evaluateVelocity(model: VelocityModel, x: Tensor, t: Tensor, cond?: Tensor): Tensor {
  let v: unknown;
  if (typeof model === 'function') v = model(x, t, cond);
  else if (model !== null && typeof model === 'object' && typeof model.forward === 'function') v = model.forward(x, t, cond);
  else fail('a velocity model (a function (x, t, cond) => Tensor or an object with forward(x, t, cond))', 'model', model);
  if (!(v instanceof Tensor)) fail('the model to return a Tensor', 'model output', v);
  const want = x.shape;
  const got = v.shape;
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError('ERR_INVALID_SHAPE', `Expected the model output to have the shape of x [${want}] but received [${got}]`);
  }
  return v;
}
