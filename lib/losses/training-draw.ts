/** One draw of (t, x0, x_t, u_t) for a batch of data, shared by the CFM and FM losses. */
import { Tensor, asTensor } from '../tensor';
import { randnLike } from '../creation';
import { tidy } from '../scope';
import { checkFunction, checkInt, checkOptions, fail } from '../validate';
import { affineTrainingDraw } from '../kernels';
import { GaussianPath, sameShape } from '../paths/gaussian-path';
import { affineClosedForm } from '../paths/affine-path';
import { checkTimeShape } from '../paths/time';
import { type TimeSampler, samplerClosedForm, uniformTime } from './time-samplers';

export interface DrawOptions {
  /** Noise x0 ~ N(0, I) of x1's shape; drawn from flowmatch's RNG when absent. */
  x0?: Tensor;
  /** Times, float32 [batch]; drawn with `timeSampler` when absent. */
  t?: Tensor;
  /** Default: uniformTime(), t ~ U[0, 1]. */
  timeSampler?: TimeSampler;
}

export interface TrainingDraw {
  t: Tensor;
  xt: Tensor;
  /** The conditional target u_t(x_t | x1). */
  ut: Tensor;
}

const defaultSampler = uniformTime();

export function drawTraining(path: GaussianPath, x1: Tensor, options: DrawOptions | undefined): TrainingDraw {
  if (!(path instanceof GaussianPath)) fail('a GaussianPath (otPath(), an AffinePath, …)', 'path', path);
  const batch = checkInt(asTensor(x1, 'x1').shape[0], 'x1.shape[0]', 1);
  const opts = checkOptions(options, 'options');
  if (opts.timeSampler !== undefined) checkFunction(opts.timeSampler, 'options.timeSampler');
  return tidy(() => {
    const sampler = opts.timeSampler ?? defaultSampler;
    const givenOrSampled = (): Tensor => (opts.t !== undefined ? asTensor(opts.t, 'options.t') : asTensor(sampler(batch, x1.device), 'the times options.timeSampler returned'));
    const schedule = affineClosedForm(path);
    if (schedule === undefined) {
      const t = givenOrSampled();
      const x0 = opts.x0 !== undefined ? asTensor(opts.x0, 'options.x0') : randnLike(x1);
      return { t, ...path.sample(x0, x1, t) };
    }
    // Built-in schedule (and sampler): the whole draw is one native call, with the same draws
    // in the same order (t, then x0) and the same bits as the calls above.
    const timeForm = opts.t === undefined ? samplerClosedForm(sampler) : undefined;
    const t = timeForm !== undefined ? null : givenOrSampled();
    const x0 = opts.x0 !== undefined ? asTensor(opts.x0, 'options.x0') : null;
    if (x0 !== null) sameShape(x0, x1);
    if (t !== null) checkTimeShape(t, x1);
    return affineTrainingDraw(x1, t, x0, timeForm ?? null, schedule);
  });
}
