/** The time argument of a path: one number for the whole batch, or a Tensor of shape [batch]. */
import { Tensor } from '../tensor';
import { full } from '../creation';
import { ShapeError } from '../errors';
import { checkNumber, fail } from '../validate';

export type Time = Tensor | number;

/**
 * `t` as a float64 tensor that broadcasts against `x` ([batch, 1, …, 1]). Path coefficients
 * are computed from it in float64 because near t = 1 the OT σ_t = 1 − (1 − σ_min)t and the VP
 * 1 − α² lose most of their digits in float32.
 */
export function timeColumn(t: Time, x: Tensor): Tensor {
  const ndim = x.ndim;
  if (typeof t === 'number') {
    checkNumber(t, 't', { finite: true });
    return full(new Array(ndim).fill(1), t, { dtype: 'float64', device: x.device });
  }
  if (!(t instanceof Tensor)) fail('a number or a Tensor of shape [batch]', 't', t);
  checkTimeShape(t, x);
  return t.to('float64').reshape([x.shape[0], ...new Array(ndim - 1).fill(1)]);
}

/** A ShapeError unless t has shape [batch], one time per batch element of x. */
export function checkTimeShape(t: Tensor, x: Tensor): void {
  const shape = t.shape;
  const batch = x.shape[0];
  if (shape.length !== 1 || shape[0] !== batch) {
    throw new ShapeError('ERR_SHAPE', `Expected t of shape [${batch}] (one time per batch element of x, shape [${x.shape}]) but received shape [${shape}]`);
  }
}
