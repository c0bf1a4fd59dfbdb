/**
 * The solver policy of a flow integration (sampling from t = 0 to 1, likelihood from 1 to
 * 0): which method, and how its steps are chosen. Fixed-grid methods take uniform steps
 * (`steps` over the interval, or `stepSize`); adaptive ones take tolerances and never
 * evaluate the model past the interval's end (it was trained on [0, 1] only). Built once
 * here, as odeint's time grid and options, for sample, sampleAsync, likelihood and
 * likelihoodAsync alike.
 */
import { checkInt, checkNumber, fail } from '../validate';
import { checkMethod, isAdaptive, type OdeMethod } from './methods';
import { DEFAULT_MAX_NUM_STEPS, checkStepCount } from './step-limit';
import type { OdeintOptions } from './odeint';

/** How a flow is solved, as sample() and likelihood() take it. */
export interface FlowSolverOptions {
  /** Any odeint method; the caller's default when omitted. */
  method?: OdeMethod;
  /** Fixed-grid methods: uniform steps over the interval (default 100), or give stepSize. */
  steps?: number;
  stepSize?: number;
  /** Adaptive methods: tolerances, default 1e-5 each. */
  rtol?: number;
  atol?: number;
}

/** The interval of a flow integration and the times its solution is wanted at. */
export interface FlowSpan {
  from: number;
  to: number;
  /** Output times from `from` to `to` (checked); default [from, to], or every fixed step with everyStep. */
  times?: number[];
  /** Without `times`, a fixed-grid solve reports the state after every step. */
  everyStep?: boolean;
  /** The method when the options name none. */
  defaultMethod: OdeMethod;
}

export interface FlowSolver {
  method: OdeMethod;
  /** The grid odeint reports the state at. */
  t: number[];
  /** odeint's options for the solve (odeintAsync and odeintAdjoint take them as they are). */
  odeint: OdeintOptions;
}

export const DEFAULT_FLOW_STEPS = 100;
export const DEFAULT_FLOW_TOLERANCE = 1e-5;

/** The method, time grid and odeint options for solving a flow over span; an ArgumentError names a bad option. */
export function solveFlowOptions(opts: FlowSolverOptions, span: FlowSpan): FlowSolver {
  const method = checkMethod(opts.method ?? span.defaultMethod);
  const { from, to } = span;
  const length = Math.abs(to - from);
  let stepSize: number | null = null;
  if (!isAdaptive(method)) {
    if (opts.stepSize !== undefined) stepSize = checkNumber(opts.stepSize, 'stepSize', { positive: true, finite: true });
    else stepSize = length / checkInt(opts.steps ?? DEFAULT_FLOW_STEPS, 'steps', 1);
  }
  let t = span.times;
  if (t === undefined) {
    t = span.everyStep === true && stepSize !== null ? everyStep(from, to, stepSize) : [from, to];
  } else if (!Array.isArray(t) || t[0] !== from || t[t.length - 1] !== to) {
    fail(`an ${to > from ? 'increasing' : 'decreasing'} array of times from ${from} to ${to}`, 't', t);
  }
  const odeint: OdeintOptions = isAdaptive(method)
    ? { method, rtol: opts.rtol ?? DEFAULT_FLOW_TOLERANCE, atol: opts.atol ?? DEFAULT_FLOW_TOLERANCE, options: { noOvershoot: true } }
    : { method, options: { step_size: stepSize as number } };
  return { method, t, odeint };
}

/** from, from ± h, …, to: the output times that make a trajectory hold every fixed step. */
function everyStep(from: number, to: number, stepSize: number): number[] {
  const direction = to > from ? 1 : -1;
  const steps = Math.ceil(Math.abs(to - from) / stepSize - 1e-9);
  // Checked before the array of times is built: steps: 1e9 must fail, not allocate.
  checkStepCount(steps, DEFAULT_MAX_NUM_STEPS, `stepSize = ${stepSize} on [${Math.min(from, to)}, ${Math.max(from, to)}]`, from);
  return Array.from({ length: steps + 1 }, (_, i) => (i === steps ? to : from + direction * i * stepSize));
}
