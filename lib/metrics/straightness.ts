/**
 * How straight a flow's trajectories are (Liu et al. 2022, "Flow Straight and Fast"):
 * S = ∫_0^1 E‖(Z_1 − Z_0) − v(Z_t, t)‖² dt along the ODE's own trajectories, 0 exactly when
 * every trajectory is a straight line at constant speed (then one Euler step is exact).
 * Computed on a uniform Euler grid of K steps, where Z_1 − Z_0 = (1/K)·Σ_k v_k and so
 * S = E[(1/K)·Σ_k ‖v_k‖² − ‖Z_1 − Z_0‖²]: a running sum, no stored trajectory.
 */
import { Tensor, asTensor } from '../tensor';
import { full } from '../creation';
import { noGrad } from '../autograd';
import { tidy } from '../scope';
import { checkInt, checkOptions } from '../validate';
import { callModel, checkModel, type Conditioning, type VelocityModel } from '../nn/velocity-model';

export interface StraightnessOptions {
  /** Euler steps of the trajectories (default 100). */
  steps?: number;
  conditioning?: Conditioning;
}

export interface StraightnessResult {
  /** Liu et al.'s S: E over trajectories of ∫‖(Z_1 − Z_0) − v_t‖² dt (squared norm summed over dims). */
  straightness: number;
  /** S / E‖Z_1 − Z_0‖²: scale-free, 0 for straight paths. */
  relativeStraightness: number;
  /** E[length / ‖Z_1 − Z_0‖] − 1: how much longer the trajectory is than its chord (0 for a straight line). */
  curvature: number;
  /** E‖Z_1 − Z_0‖², the squared distance each sample travels. */
  displacement: number;
  /** The end points Z_1, [n, …]. */
  samples: Tensor;
  nfe: number;
}

/** Straightness and curvature of the flow of `model` from the starting points x0 [n, …]. */
export function straightness(model: VelocityModel, x0: Tensor, options: StraightnessOptions = {}): StraightnessResult {
  checkModel(model);
  asTensor(x0, 'x0');
  const opts = checkOptions(options, 'options');
  const steps = checkInt(opts.steps ?? 100, 'options.steps', 1);
  const n = x0.shape[0];
  return noGrad(() =>
    tidy(() => {
      const h = 1 / steps;
      let x = x0;
      let sumSquared: Tensor | undefined;
      let length: Tensor | undefined;
      for (let k = 0; k < steps; k++) {
        const step = tidy(() => {
          const v = callModel(model, x, full([n], k * h, { dtype: x0.dtype, device: x0.device }), opts.conditioning);
          const sq = v.reshape([n, -1]).to('float64').square().sum(1);
          return { next: x.add(v.mul(h)), sumSquared: sumSquared === undefined ? sq : sumSquared.add(sq), length: length === undefined ? sq.sqrt().mul(h) : length.add(sq.sqrt().mul(h)) };
        });
        // The previous state is done with: free it now rather than keep K of them to the end.
        if (x !== x0) x.dispose();
        sumSquared?.dispose();
        length?.dispose();
        x = step.next;
        sumSquared = step.sumSquared;
        length = step.length;
      }
      const chord = x.sub(x0).reshape([n, -1]).to('float64').square().sum(1);
      const s = (sumSquared as Tensor).mul(h).sub(chord).clamp(0);
      const displacement = chord.mean().item() as number;
      const value = s.mean().item() as number;
      const ratio = (length as Tensor).div(chord.sqrt().clamp(1e-12)).mean().item() as number;
      return { straightness: value, relativeStraightness: displacement > 0 ? value / displacement : 0, curvature: ratio - 1, displacement, samples: x, nfe: steps };
    }),
  );
}
