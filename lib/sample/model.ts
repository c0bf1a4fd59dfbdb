/**
 * The velocity-model contract shared by sampling and likelihood: v_θ(x, t, cond) with x a
 * batch [batch, …], t a float32 Tensor of shape [batch] (each sample's time, t = 0 noise,
 * t = 1 data) and the result of x's shape. A model is a function, or an object with
 * forward() (and optionally numClasses, the label used as "no label" by guidance).
 */
import { Tensor } from '../tensor';
import { ShapeError } from '../errors';
import { fail } from '../validate';

export interface Conditioning {
  /** Class labels, int64 [batch]. */
  labels?: Tensor;
  /** Low-resolution images for super-resolution, [batch, …]. */
  lowRes?: Tensor;
}

export type VelocityModel =
  | ((x: Tensor, t: Tensor, cond?: Conditioning) => Tensor)
  | { forward(x: Tensor, t: Tensor, cond?: Conditioning): Tensor; numClasses?: number };

/** v_θ(x, t, cond), checked to be a Tensor of x's shape. */
export function callModel(model: VelocityModel, x: Tensor, t: Tensor, cond?: Conditioning): Tensor {
  const v: unknown = typeof model === 'function' ? model(x, t, cond) : model.forward(x, t, cond);
  if (!(v instanceof Tensor)) fail('a Tensor', 'the output of the model', v);
  const want = x.shape;
  const got = v.shape;
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError('ERR_INVALID_SHAPE', `Expected a velocity of shape [${want}] (the shape of x) for the output of the model but received shape [${got}]`);
  }
  return v;
}

export function checkModel(model: unknown): VelocityModel {
  const ok = typeof model === 'function' || (model !== null && typeof model === 'object' && typeof (model as { forward?: unknown }).forward === 'function');
  if (!ok) fail('a velocity model (a function (x, t, cond) => Tensor or an object with forward(x, t, cond))', 'model', model);
  return model as VelocityModel;
}
