/** One draw of (t, x0, x_t, u_t) for a batch of data, shared by the CFM and FM losses. */
import { Tensor, asTensor } from '../tensor';
import { randnLike } from '../creation';
import { tidy } from '../scope';
import { checkFunction, checkInt, checkOptions, fail } from '../validate';
import { type ClosedFormDraw, affineTrainingDraw } from '../kernels';
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

/**
 * The draw's inputs when the whole draw can run natively (an affine path with a built-in
 * schedule, whose sample() is its own, and t given or from a built-in sampler), checked;
 * undefined otherwise, before anything is drawn. Nothing is created in JS, so the caller
 * needs no scope.
 */
export function closedFormDraw(path: GaussianPath, x1: Tensor, options: DrawOptions | undefined): ClosedFormDraw | undefined {
  const { batch, opts } = checkDraw(path, x1, options);
  return closedFormOf(path, x1, batch, opts, false);
}

export function drawTraining(path: GaussianPath, x1: Tensor, options: DrawOptions | undefined): TrainingDraw {
  const { batch, opts } = checkDraw(path, x1, options);
  return tidy(() => {
    // Built-in schedule: the whole draw is one native call, with the same draws in the same
    // order (t, then x0) and the same bits as the calls below.
    const draw = closedFormOf(path, x1, batch, opts, true);
    if (draw !== undefined) return affineTrainingDraw(draw);
    const t = givenOrSampled(opts, batch, x1);
    const x0 = opts.x0 !== undefined ? asTensor(opts.x0, 'options.x0') : randnLike(x1);
    return { t, ...path.sample(x0, x1, t) };
  });
}

function checkDraw(path: GaussianPath, x1: Tensor, options: DrawOptions | undefined): { batch: number; opts: Partial<DrawOptions> } {
  if (!(path instanceof GaussianPath)) fail('a GaussianPath (otPath(), an AffinePath, …)', 'path', path);
  const batch = checkInt(asTensor(x1, 'x1').shape[0], 'x1.shape[0]', 1);
  const opts = checkOptions(options, 'options');
  if (opts.timeSampler !== undefined) checkFunction(opts.timeSampler, 'options.timeSampler');
  return { batch, opts };
}

function givenOrSampled(opts: Partial<DrawOptions>, batch: number, x1: Tensor): Tensor {
  if (opts.t !== undefined) return asTensor(opts.t, 'options.t');
  return asTensor((opts.timeSampler ?? defaultSampler)(batch, x1.device), 'the times options.timeSampler returned');
}

/** The native draw's inputs, or undefined; `runSampler`: a user's time sampler may run here (in a scope). */
function closedFormOf(path: GaussianPath, x1: Tensor, batch: number, opts: Partial<DrawOptions>, runSampler: boolean): ClosedFormDraw | undefined {
  const schedule = affineClosedForm(path);
  if (schedule === undefined) return undefined;
  const sampler = opts.t === undefined ? samplerClosedForm(opts.timeSampler ?? defaultSampler) : undefined;
  if (opts.t === undefined && sampler === undefined && !runSampler) return undefined;
  const t = sampler !== undefined ? null : givenOrSampled(opts, batch, x1);
  const x0 = opts.x0 !== undefined ? asTensor(opts.x0, 'options.x0') : null;
  if (x0 !== null) sameShape(x0, x1);
  if (t !== null) checkTimeShape(t, x1);
  return { x1, t, x0, sampler: sampler ?? null, schedule };
}
