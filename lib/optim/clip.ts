/** Gradient-norm clipping with torch.nn.utils.clip_grad_norm_'s semantics. */
import { native } from '../native';
import { checkNumber } from '../validate';
import { type ParameterSource, handles, parameterList } from './params';

/**
 * Scales the gradients in place so their total norm is at most maxNorm: total = ‖(‖g₁‖, …,
 * ‖gₖ‖)‖ in the given norm (Infinity: the largest |g|), each g multiplied by
 * min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping. Parameters
 * without a gradient are skipped.
 */
export function clipGradNorm(params: ParameterSource, maxNorm: number, normType = 2): number {
  const list = parameterList(params);
  checkNumber(maxNorm, 'maxNorm', { positive: true });
  checkNumber(normType, 'normType', { positive: true });
  return native.clipGradNorm(handles(list), maxNorm, normType);
}
