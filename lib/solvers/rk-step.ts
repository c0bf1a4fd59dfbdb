/**
 * The one Runge–Kutta core: the stages of an explicit method, read from its tableau.
 * Each stage input y0 + Σ (a_ij·h)·k_j is one native call per state component, computed in
 * torchdiffeq's order of operations (state.ts stageCombine).
 */
import type { Tensor } from '../tensor';
import { isFsal, type ButcherTableau } from './tableau';
import { stageCombine, release, type State } from './state';
import type { Evaluator } from './evaluator';
import type { Round } from './time';

export interface Stages {
  /** The solution at the end of the step. */
  y1: State;
  /** Every stage derivative, k[0] being the one passed in. */
  k: State[];
}

/**
 * Runs the stages of one step from solver time t0 to t1 = t0 + dt. `h` is the step in the
 * caller's time (±dt), which multiplies the derivatives f returns. Stages at the end of the
 * step are evaluated at exactly t1, nudged to just before it when `perturbEnd` is set.
 */
export function* rungeKuttaStages(
  tableau: ButcherTableau,
  evaluate: Evaluator,
  y0: State,
  k0: State,
  t0: number,
  t1: number,
  dt: number,
  h: number,
  round: Round,
  perturbEnd: boolean,
): Generator<void, Stages> {
  const k: State[] = [k0];
  const fsal = isFsal(tableau);
  const last = tableau.a.length - 1;
  let y1: State | null = null;
  for (let i = 0; i <= last; i++) {
    const c = tableau.c[i + 1];
    const ti = c === 1 ? t1 : round(t0 + c * dt);
    const yi = stageCombine(y0, k, tableau.a[i], h);
    k.push(yield* evaluate.call(ti, yi, c === 1 && perturbEnd ? 'prev' : null));
    if (fsal && i === last) y1 = yi;
    else release([yi], new Set<Tensor>());
  }
  return { y1: y1 ?? stageCombine(y0, k, tableau.b, h), k };
}
