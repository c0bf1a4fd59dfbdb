/**
 * The norm the step-size controller compares with 1: the error (or a derivative) divided
 * elementwise by the tolerance atol + rtol·max(|ya|, |yb|), then RMS over all elements;
 * for a tuple state, the largest per-component RMS (torchdiffeq's mixed norm).
 */
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import { allFinite, errorRatio } from '../kernels';
import { fail } from '../validate';
import type { State } from './state';

/** A user norm receives the scaled tensor (or the array of scaled components for a tuple). */
export type UserNorm = (scaled: Tensor | Tensor[]) => number;

export type ScaledNorm = (x: State, ya: State, yb: State) => number;

/**
 * `components` limits the default norm to the first components of a tuple state: the
 * adjoint's seminorm leaves out the parameter gradients, which never feed back into the
 * dynamics (Kidger et al. 2021, torchdiffeq's adjoint_options norm: 'seminorm').
 */
export function scaledNorm(rtol: number[], atol: number[], userNorm: UserNorm | null, tuple: boolean, components = Infinity): ScaledNorm {
  if (userNorm === null) {
    return (x, ya, yb) => {
      let worst = 0;
      const n = Math.min(components, x.length);
      for (let c = 0; c < n; c++) {
        const r = errorRatio(x[c], ya[c], yb[c], rtol[c], atol[c]);
        // NaN must win so that a step with a non-finite error is never accepted.
        if (!(r <= worst)) worst = r;
      }
      return worst;
    };
  }
  return (x, ya, yb) =>
    tidy(() => {
      const scaled = x.map((xc, c) => xc.div(ya[c].abs().maximum(yb[c].abs()).mul(rtol[c]).add(atol[c])));
      // A non-finite error is NaN whatever the user's norm makes of it: the step is rejected,
      // and the solver traces the NaN back to the evaluation that produced it (Evaluator.verify).
      if (!scaled.every(allFinite)) return NaN;
      const value = userNorm(tuple ? scaled : scaled[0]);
      if (typeof value !== 'number') fail('a number', 'the value returned by options.norm', value);
      return value;
    });
}
