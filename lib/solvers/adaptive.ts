/**
 * Adaptive Runge–Kutta integration, step for step as torchdiffeq 0.2.5's
 * RKAdaptiveStepsizeODESolver: Hairer's first-step heuristic, an error-per-step controller
 * (safety 0.9, growth ≤ 10, shrink ≥ 0.2, an accepted step never shrinks the next one),
 * step_t / jump_t grid points, and quartic dense output at the requested times.
 * Everything runs in solver time, which increases (see odeint.ts for decreasing grids).
 */
import type { Tensor } from '../tensor';
import { combine, stageCombine, release, type State } from './state';
import { rungeKuttaStages } from './rk-step';
import { allFinite } from '../kernels';
import type { ButcherTableau } from './tableau';
import type { Evaluator } from './evaluator';
import type { ScaledNorm } from './scaled-norm';
import type { Round } from './time';
import { SolverError } from './solver-error';
import type { RawSolution } from './raw-solution';

export interface AdaptiveConfig {
  norm: ScaledNorm;
  firstStep: number | null;
  /** Times to step onto (solver time, any order). */
  stepT: number[];
  /** Times to step onto where f is discontinuous: f is re-evaluated just after them. */
  jumpT: number[];
  minStep: number;
  maxStep: number;
  /** Per output interval, as torchdiffeq counts it; exceeding it throws. */
  maxNumSteps: number;
  safety: number;
  ifactor: number;
  dfactor: number;
  /** Rounding of time arithmetic (float64 or float32 time). */
  round: Round;
  /** Rounding of values computed in the state's dtype. */
  stateRound: Round;
  /** Clip steps so that f is never evaluated past the last output time. */
  noOvershoot: boolean;
  /** Total attempted steps after which the solve stops and returns what it has. */
  stepBudget: number;
}

/** What a dense-output evaluation needs from the last accepted step. */
interface AcceptedStep {
  t0: number;
  t1: number;
  h: number;
  y0: State;
  y1: State;
  k: State[];
}

export function* integrateAdaptive(
  tableau: ButcherTableau,
  evaluate: Evaluator,
  y0: State,
  times: number[],
  cfg: AdaptiveConfig,
  keep: ReadonlySet<Tensor>,
): Generator<void, RawSolution> {
  const { round, direction } = { round: cfg.round, direction: evaluate.direction };
  const tStart = times[0];
  const tEnd = times[times.length - 1];
  let f = yield* evaluate.call(tStart, y0);
  // Checked at once: the first-step heuristic would otherwise call f at a NaN time.
  evaluate.verify(f.every(allFinite));
  let dt = cfg.firstStep ?? (yield* selectInitialStep(evaluate, tStart, y0, f, tableau.order, cfg, tEnd));
  const stepT = upcoming(cfg.stepT, tStart);
  const jumpT = upcoming(cfg.jumpT, tStart);
  let nextStep = Math.min(bisectRight(stepT, tStart), stepT.length - 1);
  let nextJump = Math.min(bisectRight(jumpT, tStart), jumpT.length - 1);

  let y = y0;
  let t = tStart;
  let last: AcceptedStep | null = null;
  let accepted = 0;
  let rejected = 0;
  const outputs: State[] = [y0];
  const tableauError = tableau.bError as readonly number[];

  for (let i = 1; i < times.length; i++) {
    let steps = 0;
    while (times[i] > t) {
      if (accepted + rejected >= cfg.stepBudget) {
        const reached = y.map((c) => c.clone());
        release([...(last ? stepTensors(last) : []), f], keep);
        return { outputs, accepted, rejected, exhausted: true, reachedTime: t, reachedState: reached };
      }
      if (steps >= cfg.maxNumSteps) {
        throw new SolverError('ERR_MAX_STEPS', `max_num_steps exceeded: ${steps} steps without reaching t = ${evaluate.userTime(times[i])} (now at t = ${evaluate.userTime(t)})`, evaluate.userTime(t));
      }
      steps++;
      if (!Number.isFinite(dt)) dt = cfg.minStep;
      dt = Math.min(Math.max(dt, cfg.minStep), cfg.maxStep);
      let t1 = round(t + dt);
      if (cfg.noOvershoot && t1 > tEnd) {
        t1 = tEnd;
        dt = round(t1 - t);
      }
      if (!(t1 > t)) {
        throw new SolverError('ERR_STEP_UNDERFLOW', `The step size underflowed (dt = ${dt}) at t = ${evaluate.userTime(t)}: the problem may be stiff or f discontinuous there`, evaluate.userTime(t));
      }
      let onStepT = false;
      if (stepT.length > 0) {
        const s = stepT[nextStep];
        onStepT = t < s && s < t1;
        if (onStepT) {
          t1 = s;
          dt = round(t1 - t);
        }
      }
      let onJumpT = false;
      if (jumpT.length > 0) {
        const s = jumpT[nextJump];
        onJumpT = t < s && s < t1;
        if (onJumpT) {
          onStepT = false;
          t1 = s;
          dt = round(t1 - t);
        }
      }

      const h = direction * dt;
      const { y1, k } = yield* rungeKuttaStages(tableau, evaluate, y, f, t, t1, dt, h, round, true);
      const err = stageCombine(null, k, tableauError, h);
      const ratio = cfg.norm(err, y, y1);
      evaluate.verify(Number.isFinite(ratio));
      release([err], keep);
      let accept = ratio <= 1;
      if (dt > cfg.maxStep) accept = false;
      if (dt <= cfg.minStep) accept = true;

      if (accept) {
        accepted++;
        const step: AcceptedStep = { t0: t, t1, h, y0: y, y1, k };
        let fNext = k[k.length - 1];
        if (onStepT && nextStep !== stepT.length - 1) nextStep++;
        if (onJumpT) {
          if (nextJump !== jumpT.length - 1) nextJump++;
          // f changes across a jump: restart from its value on the far side.
          fNext = yield* evaluate.call(t1, y1, 'next');
        }
        if (last !== null) release(stepTensors(last), new Set([...keep, ...stepTensors(step).flat(), ...fNext]));
        last = step;
        y = y1;
        f = fNext;
        t = t1;
      } else {
        rejected++;
        release([y1, ...k.slice(1)], keep);
      }
      dt = Math.min(Math.max(optimalStepSize(dt, cfg.stateRound(ratio), tableau.order, cfg), cfg.minStep), cfg.maxStep);
    }
    outputs.push(interpolate(last as AcceptedStep, times[i], tableau, cfg));
  }
  release([...(last ? stepTensors(last) : []), f], keep);
  return { outputs, accepted, rejected, exhausted: false, reachedTime: t, reachedState: null };
}

function stepTensors(step: AcceptedStep): State[] {
  return [step.y0, step.y1, ...step.k];
}

/**
 * Hairer, Nørsett & Wanner, Solving ODEs I, §II.4: a first step from the sizes of y0, f0 and
 * of a finite-difference estimate of f's derivative, all in the tolerance-scaled norm.
 */
function* selectInitialStep(evaluate: Evaluator, t0: number, y0: State, f0: State, order: number, cfg: AdaptiveConfig, tEnd: number): Generator<void, number> {
  const d0 = cfg.norm(y0, y0, y0);
  const d1 = cfg.norm(f0, y0, y0);
  let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : cfg.stateRound(cfg.stateRound(0.01 * d0) / d1);
  if (cfg.noOvershoot) h0 = Math.min(h0, tEnd - t0);
  const y1 = stageCombine(y0, [f0], [1], evaluate.direction * h0);
  const f1 = yield* evaluate.call(cfg.round(t0 + h0), y1);
  const change = combine(f1, [f0], [-1]);
  const d2 = Math.abs(cfg.norm(change, y0, y0) / h0);
  evaluate.verify(Number.isFinite(d1) && Number.isFinite(d2));
  release([y1, f1, change], new Set());
  const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / order);
  return cfg.round(Math.min(100 * h0, h1));
}

/** The next step from this one's error ratio (error per step, exponent 1/order). */
function optimalStepSize(dt: number, ratio: number, order: number, cfg: AdaptiveConfig): number {
  const round = cfg.round;
  if (ratio === 0) return round(dt * cfg.ifactor);
  const dfactor = ratio < 1 ? 1 : cfg.dfactor;
  const factor = Math.min(cfg.ifactor, Math.max(round(cfg.safety / round(ratio ** round(1 / order))), dfactor));
  return round(dt * factor);
}

/**
 * The quartic through y0, y1, the mid-step value and the end derivatives (torchdiffeq's
 * _interp_fit), evaluated at `time` as one linear combination of y0, y1 and the stages:
 * p(x) = y0 + x·h·f0 + x²·c + x³·b + x⁴·a with x the fraction of the step.
 */
function interpolate(step: AcceptedStep, time: number, tableau: ButcherTableau, cfg: AdaptiveConfig): State {
  const x = cfg.stateRound(cfg.round(cfg.round(time - step.t0) / cfg.round(step.t1 - step.t0)));
  const x2 = x * x;
  const x3 = x2 * x;
  const x4 = x3 * x;
  const h = step.h;
  const cMid = 16 * x2 - 32 * x3 + 16 * x4;
  const cY0 = 1 - 11 * x2 + 18 * x3 - 8 * x4 + cMid;
  const cY1 = -5 * x2 + 14 * x3 - 8 * x4;
  const mid = tableau.mid as readonly number[];
  const last = step.k.length - 1;
  const coeffs = step.k.map((_, j) => cMid * h * mid[j]);
  coeffs[0] += h * (x - 4 * x2 + 5 * x3 - 2 * x4);
  coeffs[last] += h * (x2 - 3 * x3 + 2 * x4);
  return combine(null, [step.y0, step.y1, ...step.k], [cY0, cY1, ...coeffs]);
}

/** Grid points at or after t0, sorted (torchdiffeq's _sort_tvals). */
function upcoming(points: number[], t0: number): number[] {
  return points.filter((p) => p >= t0).sort((a, b) => a - b);
}

function bisectRight(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (value < sorted[m]) hi = m;
    else lo = m + 1;
  }
  return lo;
}
