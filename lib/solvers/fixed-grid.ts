/**
 * Fixed-grid integration (torchdiffeq's FixedGridODESolver): steps along the caller's time
 * grid, or along a uniform grid of `step_size` ending exactly on the last time; output
 * times between grid points are linearly interpolated. Runs in solver time (increasing).
 */
import type { Tensor } from '../tensor';
import { allFinite } from '../kernels';
import { release, type State } from './state';
import { rungeKuttaStages } from './rk-step';
import type { ButcherTableau } from './tableau';
import type { Evaluator } from './evaluator';
import type { Round } from './time';
import type { RawSolution } from './raw-solution';

export interface FixedGridConfig {
  stepSize: number | null;
  /** Evaluate the first stage just after, and end stages just before, each grid point. */
  perturb: boolean;
  round: Round;
  stepBudget: number;
}

export function* integrateFixedGrid(
  tableau: ButcherTableau,
  evaluate: Evaluator,
  y0: State,
  times: number[],
  cfg: FixedGridConfig,
  keep: ReadonlySet<Tensor>,
): Generator<void, RawSolution> {
  const round = cfg.round;
  const grid = cfg.stepSize === null ? times : uniformGrid(times[0], times[times.length - 1], cfg.stepSize, round);
  const outputs: State[] = [y0];
  let y = y0;
  let j = 1;
  let steps = 0;
  for (let g = 0; g + 1 < grid.length; g++) {
    const t0 = grid[g];
    const t1 = grid[g + 1];
    if (steps >= cfg.stepBudget) {
      const reached = y.map((c) => c.clone());
      release([y], keep);
      return { outputs, accepted: steps, rejected: 0, exhausted: true, reachedTime: t0, reachedState: reached };
    }
    steps++;
    const dt = round(t1 - t0);
    const k0 = yield* evaluate.call(t0, y, cfg.perturb ? 'next' : null);
    const { y1, k } = yield* rungeKuttaStages(tableau, evaluate, y, k0, t0, t1, dt, evaluate.direction * dt, round, cfg.perturb);
    // y1 sums every stage with its weight (zeros included), so a non-finite stage shows in it.
    evaluate.verify(y1.every(allFinite));
    for (; j < times.length && t1 >= times[j]; j++) {
      const tj = times[j];
      if (tj === t0) outputs.push(y.map((c) => c.clone()));
      else if (tj === t1) outputs.push(y1.map((c) => c.clone()));
      else {
        const w = round(round(tj - t0) / round(t1 - t0));
        outputs.push(y.map((c, i) => c.lerp(y1[i], w)));
      }
    }
    release([y, ...k], keep);
    y = y1;
  }
  release([y], keep);
  return { outputs, accepted: steps, rejected: 0, exhausted: false, reachedTime: times[times.length - 1], reachedState: null };
}

/** How many steps the grid takes: those of `times` itself, or of the uniform grid of `stepSize` (possibly Infinity). */
export function fixedGridSteps(times: number[], stepSize: number | null, round: Round): number {
  return stepSize === null ? times.length - 1 : uniformGridPoints(times[0], times[times.length - 1], stepSize, round) - 1;
}

function uniformGridPoints(start: number, end: number, stepSize: number, round: Round): number {
  return Math.ceil(round(round(round(end - start) / stepSize) + 1));
}

/** start, start + h, start + 2h, … with the last point replaced by `end` (torchdiffeq's grid). */
function uniformGrid(start: number, end: number, stepSize: number, round: Round): number[] {
  const count = uniformGridPoints(start, end, stepSize, round);
  const grid = new Array<number>(count);
  for (let i = 0; i < count; i++) grid[i] = round(round(i * stepSize) + start);
  grid[count - 1] = end;
  return grid;
}
