/**
 * odeint: torchdiffeq's interface. Solves dy/dt = f(t, y), y(t[0]) = y0, and returns y at
 * every time of the grid t (strictly increasing or decreasing).
 *
 * A decreasing grid is solved in solver time τ = −t (as torchdiffeq does), so the
 * integrators only ever step forwards; the sign is folded into the step h that multiplies
 * f's output, so f is never negated. `odeintAsync` runs the same integrators but yields to
 * the event loop after every evaluation of f.
 */
import { Tensor } from '../tensor';
import { stack } from '../functional';
import { tidy, scope } from '../scope';
import { checkBool, checkFunction, checkInt, checkNumber, checkOneOf, checkOptions, describe, fail } from '../validate';
import { Evaluator, type AsyncOdeFunction, type OdeFunction } from './evaluator';
import { ADAPTIVE_METHODS, FIXED_GRID_METHODS, checkMethod, isAdaptive, type OdeMethod } from './methods';
import { integrateAdaptive } from './adaptive';
import { fixedGridSteps, integrateFixedGrid } from './fixed-grid';
import { checkMaxNumSteps, checkStepCount } from './step-limit';
import { scaledNorm, type UserNorm } from './scaled-norm';
import { rounder, type TimeDType } from './time';
import { release, type State } from './state';
import { SolverError } from './solver-error';
import type { RawSolution } from './raw-solution';

export interface SolverOptions {
  /** Fixed grid: uniform step (the grid ends exactly on the last time); default: the grid t itself. */
  step_size?: number;
  /** Fixed grid: evaluate just after / just before grid points (for f discontinuous there). */
  perturb?: boolean;
  /** Adaptive: the first step instead of the heuristic. */
  first_step?: number;
  /** Adaptive: times the solver must step onto. */
  step_t?: number[] | Tensor;
  /** Adaptive: times where f jumps; stepped onto, and f re-evaluated just after them. */
  jump_t?: number[] | Tensor;
  min_step?: number;
  max_step?: number;
  /**
   * At most this many steps, else an ERR_MAX_STEPS SolverError: per output interval for
   * adaptive methods (as torchdiffeq), for the whole grid for fixed-grid ones. Default
   * DEFAULT_MAX_NUM_STEPS (1,000,000); torchdiffeq has no practical default.
   */
  max_num_steps?: number;
  /** Adaptive: the norm of the tolerance-scaled error (default: RMS; max of RMS over tuple components). */
  norm?: UserNorm;
  safety?: number;
  ifactor?: number;
  dfactor?: number;
  /** Dtype of solver time (default float64); float32 takes effect only for a float32 state, as in torchdiffeq. */
  dtype?: TimeDType;
  /** Never evaluate f past the last time of the grid: the step that would cross it is clipped to land on it. */
  noOvershoot?: boolean;
  /** Stop after this many attempted steps and return what was reached, with budgetExhausted: true. */
  stepBudget?: number;
}

export interface OdeintOptions {
  /** Default 'dopri5'. */
  method?: OdeMethod;
  /** Relative tolerance (adaptive methods), one number or one per tuple component. Default 1e-7. */
  rtol?: number | number[];
  /** Absolute tolerance (adaptive methods), one number or one per tuple component. Default 1e-9. */
  atol?: number | number[];
  options?: SolverOptions;
}

export interface OdeSolution<Y extends Tensor | Tensor[]> {
  /** y at each time of t, stacked along a new leading dim (an array of such for a tuple state). */
  solution: Y;
  nfe: number;
  acceptedSteps: number;
  rejectedSteps: number;
  /** The step budget ran out: solution then holds only the times reached. */
  budgetExhausted: boolean;
  /** Where the solve stopped when the budget ran out: the time and the state there. */
  reached?: { t: number; y: Y };
}

const COMMON_OPTIONS = ['dtype', 'noOvershoot', 'stepBudget', 'max_num_steps'];
const FIXED_OPTIONS = [...COMMON_OPTIONS, 'step_size', 'perturb'];
const ADAPTIVE_OPTIONS = [...COMMON_OPTIONS, 'first_step', 'step_t', 'jump_t', 'min_step', 'max_step', 'norm', 'safety', 'ifactor', 'dfactor'];

/** Solves synchronously; every intermediate tensor is released before it returns. */
export function odeint(f: (t: number, y: Tensor) => Tensor, y0: Tensor, t: number[] | Tensor, opts?: OdeintOptions): OdeSolution<Tensor>;
export function odeint(f: (t: number, y: Tensor[]) => Tensor[], y0: Tensor[], t: number[] | Tensor, opts?: OdeintOptions): OdeSolution<Tensor[]>;
export function odeint(f: OdeFunction, y0: Tensor | Tensor[], t: number[] | Tensor, opts: OdeintOptions = {}): OdeSolution<Tensor | Tensor[]> {
  const plan = prepare(f, y0, t, opts);
  return tidy(() => {
    const run = plan.run();
    let r = run.next();
    while (!r.done) r = run.next();
    return plan.finish(r.value);
  });
}

/**
 * As odeint, but f may return a Promise (an evaluation off the main thread, such as
 * Module.forwardAsync), and the solve yields to the event loop after each evaluation of a
 * synchronous f, so a long solve does not freeze a server. `signal` aborts it between
 * evaluations (an ERR_ABORTED SolverError); an evaluation in flight is awaited first, so
 * nothing it creates outlives the solve.
 */
export function odeintAsync(f: (t: number, y: Tensor) => Tensor | Promise<Tensor>, y0: Tensor, t: number[] | Tensor, opts?: OdeintOptions & { signal?: AbortSignal }): Promise<OdeSolution<Tensor>>;
export function odeintAsync(f: (t: number, y: Tensor[]) => Tensor[] | Promise<Tensor[]>, y0: Tensor[], t: number[] | Tensor, opts?: OdeintOptions & { signal?: AbortSignal }): Promise<OdeSolution<Tensor[]>>;
export async function odeintAsync(f: AsyncOdeFunction, y0: Tensor | Tensor[], t: number[] | Tensor, opts: OdeintOptions & { signal?: AbortSignal } = {}): Promise<OdeSolution<Tensor | Tensor[]>> {
  const { signal, ...rest } = checkOptions(opts, 'odeint options');
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('an AbortSignal', 'signal', signal);
  const plan = prepare(f as OdeFunction, y0, t, rest, { async: true });
  return scope(async () => {
    const run = plan.run();
    let r = run.next();
    while (!r.done) {
      const evaluation = plan.evaluator.pending;
      if (evaluation !== undefined) plan.evaluator.settle(await evaluation);
      if (!plan.evaluator.lastWasAsync) await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        const time = plan.lastTime();
        throw new SolverError('ERR_ABORTED', `The solve was aborted at t = ${time}`, time);
      }
      r = run.next();
    }
    return plan.finish(r.value);
  });
}

interface Plan {
  evaluator: Evaluator;
  run(): Generator<void, RawSolution>;
  finish(raw: RawSolution): OdeSolution<Tensor | Tensor[]>;
  lastTime(): number;
}

/** Settings only the library's own solves use (the adjoint's seminorm). */
export interface InternalOptions {
  /** The default norm covers only the first this many components of the state. */
  normComponents?: number;
  /** odeintAsync: f may return a Promise. */
  async?: boolean;
}

/** odeint with internal settings, for the adjoint's backward solves. */
export function odeintInternal(f: OdeFunction, y0: Tensor[], t: number[], opts: OdeintOptions, internal: InternalOptions): OdeSolution<Tensor[]> {
  const plan = prepare(f, y0, t, opts, internal);
  return tidy(() => {
    const run = plan.run();
    let r = run.next();
    while (!r.done) r = run.next();
    return plan.finish(r.value);
  }) as OdeSolution<Tensor[]>;
}

function prepare(f: OdeFunction, y0: Tensor | Tensor[], t: number[] | Tensor, opts: OdeintOptions, internal: InternalOptions = {}): Plan {
  checkFunction(f, 'f');
  if (opts === null || typeof opts !== 'object') fail('an options object', 'odeint options', opts);
  const tuple = Array.isArray(y0);
  const state = checkState(y0);
  const shapes = state.map((c) => c.shape);
  const dtypes = state.map((c) => c.dtype);
  const method = checkMethod(opts.method ?? 'dopri5');
  const o = opts.options === undefined ? {} : opts.options;
  if (o === null || typeof o !== 'object') fail('an options object', 'options', o);
  const allowed = isAdaptive(method) ? ADAPTIVE_OPTIONS : FIXED_OPTIONS;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) fail(`an option of method '${method}' (${allowed.join(', ')})`, `options.${key}`, key);
  }
  // As torchdiffeq: time runs in the wider of options.dtype and the state's dtype.
  const timeDType = checkOneOf(o.dtype ?? 'float64', ['float64', 'float32'], 'options.dtype');
  const round = rounder(timeDType === 'float32' && dtypes.every((d) => d === 'float32') ? 'float32' : 'float64');
  const userTimes = checkTimes(t);
  const direction: 1 | -1 = userTimes[1] < userTimes[0] ? -1 : 1;
  const times = userTimes.map((u) => round(direction * u));
  const stepBudget = o.stepBudget === undefined ? Infinity : checkInt(o.stepBudget, 'options.stepBudget', 0);
  const noOvershoot = o.noOvershoot === undefined ? false : checkBool(o.noOvershoot, 'options.noOvershoot');
  const maxNumSteps = checkMaxNumSteps(o.max_num_steps);
  const evaluator = new Evaluator(f, tuple, direction, shapes, dtypes, internal.async ?? false);
  const keep = new Set<Tensor>(state);
  const tableau = isAdaptive(method) ? ADAPTIVE_METHODS[method] : FIXED_GRID_METHODS[method as keyof typeof FIXED_GRID_METHODS];

  let run: () => Generator<void, RawSolution>;
  if (isAdaptive(method)) {
    const rtol = checkTolerance(opts.rtol ?? 1e-7, 'rtol', state.length, true);
    const atol = checkTolerance(opts.atol ?? 1e-9, 'atol', state.length, false);
    if (o.norm !== undefined) checkFunction(o.norm, 'options.norm');
    const positive = (v: unknown, name: string): number => checkNumber(v, name, { positive: true });
    const cfg = {
      norm: scaledNorm(rtol, atol, o.norm ?? null, tuple, internal.normComponents),
      firstStep: o.first_step === undefined ? null : round(positive(o.first_step, 'options.first_step')),
      stepT: checkPoints(o.step_t, 'options.step_t').map((p) => round(direction * p)),
      jumpT: checkPoints(o.jump_t, 'options.jump_t').map((p) => round(direction * p)),
      minStep: o.min_step === undefined ? 0 : checkNumber(o.min_step, 'options.min_step', { finite: true }),
      maxStep: o.max_step === undefined ? Infinity : positive(o.max_step, 'options.max_step'),
      maxNumSteps,
      safety: o.safety === undefined ? 0.9 : positive(o.safety, 'options.safety'),
      ifactor: o.ifactor === undefined ? 10 : positive(o.ifactor, 'options.ifactor'),
      dfactor: o.dfactor === undefined ? 0.2 : positive(o.dfactor, 'options.dfactor'),
      round,
      stateRound: rounder(dtypes[0] === 'float32' ? 'float32' : 'float64'),
      noOvershoot,
      stepBudget,
    };
    if (cfg.minStep < 0 || cfg.minStep > cfg.maxStep) fail(`a number in [0, max_step = ${cfg.maxStep}]`, 'options.min_step', cfg.minStep);
    // max_step bounds every step, so the widest output interval needs at least this many.
    let widest = 0;
    for (let i = 1; i < times.length; i++) widest = Math.max(widest, times[i] - times[i - 1]);
    checkStepCount(Math.ceil(widest / cfg.maxStep), maxNumSteps, `an output interval of ${widest} with max_step = ${cfg.maxStep}`, userTimes[0]);
    const all = [...cfg.stepT, ...cfg.jumpT].filter((p) => p >= times[0]);
    if (new Set(all).size !== all.length) fail('step_t and jump_t without repeated times', 'options.step_t / options.jump_t', all.map((p) => direction * p));
    run = () => integrateAdaptive(tableau, evaluator, state, times, cfg, keep);
  } else {
    const stepSize = o.step_size === undefined ? null : checkNumber(o.step_size, 'options.step_size', { positive: true, finite: true });
    const perturb = o.perturb === undefined ? false : checkBool(o.perturb, 'options.perturb');
    const why = stepSize === null ? `a grid of ${times.length} times` : `step_size = ${stepSize} over [${userTimes[0]}, ${userTimes[userTimes.length - 1]}]`;
    checkStepCount(fixedGridSteps(times, stepSize, round), maxNumSteps, why, userTimes[0]);
    run = () => integrateFixedGrid(tableau, evaluator, state, times, { stepSize, perturb, round, stepBudget }, keep);
  }

  return {
    evaluator,
    run,
    lastTime: () => evaluator.lastTime,
    finish(raw: RawSolution): OdeSolution<Tensor | Tensor[]> {
      const stacked = state.map((_, c) => stack(raw.outputs.map((o) => o[c])));
      release(raw.outputs, keep);
      const result: OdeSolution<Tensor | Tensor[]> = {
        solution: tuple ? stacked : stacked[0],
        nfe: evaluator.nfe,
        acceptedSteps: raw.accepted,
        rejectedSteps: raw.rejected,
        budgetExhausted: raw.exhausted,
      };
      if (raw.reachedState !== null) result.reached = { t: direction * raw.reachedTime, y: tuple ? raw.reachedState : raw.reachedState[0] };
      return result;
    },
  };
}

function checkState(y0: unknown): State {
  const list = Array.isArray(y0) ? y0 : [y0];
  if (list.length === 0) fail('a Tensor or a non-empty array of Tensors', 'y0', y0);
  return list.map((c, i) => {
    const name = Array.isArray(y0) ? `y0[${i}]` : 'y0';
    if (!(c instanceof Tensor)) fail('a Tensor', name, c);
    if (c.dtype !== 'float32' && c.dtype !== 'float64') fail('a float32 or float64 Tensor', name, `a ${c.dtype} Tensor`);
    return c;
  });
}

export function checkTimes(t: unknown): number[] {
  let times: number[];
  if (t instanceof Tensor) {
    if (t.ndim !== 1 || (t.dtype !== 'float32' && t.dtype !== 'float64')) fail('a 1-D float32 or float64 Tensor or an array of numbers', 't', `a Tensor of shape [${t.shape}] and dtype ${t.dtype}`);
    times = Array.from(t.data() as Float64Array);
  } else if (Array.isArray(t)) {
    times = t;
  } else {
    return fail('a 1-D Tensor or an array of numbers', 't', t);
  }
  if (times.length < 2) fail('at least 2 times', 't', t);
  times.forEach((v, i) => checkNumber(v, `t[${i}]`, { finite: true }));
  const increasing = times[1] > times[0];
  for (let i = 1; i < times.length; i++) {
    if (increasing ? !(times[i] > times[i - 1]) : !(times[i] < times[i - 1])) {
      fail(`a strictly increasing or decreasing time grid (t[${i}] = ${times[i]} does not continue from t[${i - 1}] = ${times[i - 1]})`, 't', times);
    }
  }
  return times;
}

function checkTolerance(value: unknown, name: string, components: number, strictlyPositive: boolean): number[] {
  const what = strictlyPositive ? 'a positive number' : 'a non-negative number';
  const one = (v: unknown, n: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (strictlyPositive ? !(v > 0) : !(v >= 0))) fail(what, n, v);
    return v;
  };
  if (Array.isArray(value)) {
    if (value.length !== components) fail(`${what} or an array of ${components} (one per component of y0)`, name, value);
    return value.map((v, i) => one(v, `${name}[${i}]`));
  }
  return new Array(components).fill(one(value, name));
}

function checkPoints(value: unknown, name: string): number[] {
  if (value === undefined) return [];
  const list = value instanceof Tensor ? Array.from(value.data() as Float64Array) : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'number' && Number.isFinite(v))) fail('an array of finite numbers or a 1-D Tensor', name, describe(value));
  return list;
}
