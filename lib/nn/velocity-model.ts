/**
 * The velocity-model contract shared by training, sampling and likelihood:
 * v_θ(x, t, conditioning) with x a batch [batch, …], t a Tensor of shape [batch] with x's
 * dtype and device (each sample's time, t = 0 noise, t = 1 data) and the result of x's shape. A model is a function, or an
 * object with forward() and optionally numClasses (the label guidance uses as "no label")
 * and parameters() (whose device is where sampling draws its noise).
 */
import { Tensor, asTensor } from '../tensor';
import { ShapeError } from '../errors';
import { fail } from '../validate';
import type { Device } from '../device';

/**
 * What a model is conditioned on besides x and t. One object per batch, its tensors with
 * the batch's rows; where conditioning must be built per batch (training), a function
 * batch → Conditioning is given instead, under another name (train's `conditioningFor`).
 */
export interface Conditioning {
  /** Class labels, int64 [batch]. */
  labels?: Tensor;
  /** Low-resolution images for super-resolution, [batch, …]. */
  lowRes?: Tensor;
}

export type VelocityModel =
  | ((x: Tensor, t: Tensor, conditioning?: Conditioning) => Tensor)
  | {
      forward(x: Tensor, t: Tensor, conditioning?: Conditioning): Tensor;
      /** Used by the async paths (sampleAsync, likelihoodAsync) when present: the evaluation runs off the main thread. */
      forwardAsync?(x: Tensor, t: Tensor, conditioning?: Conditioning): Promise<Tensor>;
      numClasses?: number;
      parameters?(): Tensor[];
    };

/** v_θ(x, t, conditioning), checked to be a Tensor of x's shape. */
export function callModel(model: VelocityModel, x: Tensor, t: Tensor, conditioning?: Conditioning): Tensor {
  checkModel(model);
  asTensor(x, 'x');
  asTensor(t, 't');
  const v: unknown = typeof model === 'function' ? model(x, t, conditioning) : model.forward(x, t, conditioning);
  return checkVelocity(v, x);
}

/**
 * callModel() off the main thread when the model has forwardAsync (a native Module: the
 * libuv pool); otherwise the synchronous call, whose Tensor comes back as it is (so the
 * solver knows to yield to the event loop itself).
 */
export function callModelAsync(model: VelocityModel, x: Tensor, t: Tensor, conditioning?: Conditioning): Tensor | Promise<Tensor> {
  if (typeof model !== 'object' || typeof model.forwardAsync !== 'function') return callModel(model, x, t, conditioning);
  asTensor(x, 'x');
  asTensor(t, 't');
  return model.forwardAsync(x, t, conditioning).then((v) => checkVelocity(v, x));
}

function checkVelocity(v: unknown, x: Tensor): Tensor {
  if (!(v instanceof Tensor)) fail('a Tensor', 'the output of the model', v);
  const want = x.shape;
  const got = v.shape;
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError('ERR_SHAPE', `Expected a velocity of shape [${want}] (the shape of x) for the output of the model but received shape [${got}]`);
  }
  return v;
}

/** The device of a module's first parameter; 'cpu' for functions and parameterless models. */
export function modelDevice(model: VelocityModel): Device {
  const params: unknown = typeof model === 'object' && typeof model.parameters === 'function' ? model.parameters() : undefined;
  const first: unknown = Array.isArray(params) ? params[0] : undefined;
  return first instanceof Tensor ? first.device : 'cpu';
}

export function checkModel(model: unknown): VelocityModel {
  const ok = typeof model === 'function' || (model !== null && typeof model === 'object' && typeof (model as { forward?: unknown }).forward === 'function');
  if (!ok) fail('a velocity model (a function (x, t, conditioning) => Tensor or an object with forward(x, t, conditioning))', 'model', model);
  return model as VelocityModel;
}
