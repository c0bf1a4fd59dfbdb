/**
 * Typed wrappers of the fused kernels (native/kernels.cpp): one native call per Runge–Kutta
 * stage sum or error norm, however many terms it has (native/solver_kernels.cpp), and per
 * training draw along a built-in schedule (native/schedules.cpp).
 */
import { type Handle, native } from './native';
import { Tensor, handleOf, handlesOf, live } from './tensor';
import { checkNumber, checkInt, fail } from './validate';
import { type DType, checkDType, dtypeCode } from './dtype';

/** base + Σ coeffs[i]·terms[i] (zero coefficients are skipped); base may be null. */
export function linearCombination(base: Tensor | null, terms: Tensor[], coeffs: number[]): Tensor {
  if (!Array.isArray(terms)) fail('an array of Tensors', 'terms', terms);
  if (!Array.isArray(coeffs) || coeffs.length !== terms.length) fail(`an array of ${terms.length} numbers (one per term)`, 'coeffs', coeffs);
  coeffs.forEach((c, i) => checkNumber(c, `coeffs[${i}]`, { finite: true }));
  const baseHandle = base === null ? null : handleOf(base, 'base', 'linearCombination');
  return new Tensor(native.linearCombination(baseHandle, handlesOf(terms, 'terms', 'linearCombination', 1), coeffs));
}

/**
 * base + Σ (weights[i]·h)·terms[i] with torchdiffeq's operation order (coefficients in the
 * terms' dtype, stages stacked on a new last dim, multiplied, summed over it, added to base);
 * every weight counts, zeros included. The Runge–Kutta core uses it so that adaptive steps
 * match torchdiffeq bit for bit. base may be null.
 */
export function stageSum(base: Tensor | null, terms: Tensor[], weights: readonly number[], h: number): Tensor {
  if (!Array.isArray(terms) || terms.length === 0) fail('a non-empty array of Tensors', 'terms', terms);
  if (!Array.isArray(weights) || weights.length !== terms.length) fail(`an array of ${terms.length} numbers (one per term)`, 'weights', weights);
  const baseHandle = base === null ? null : handleOf(base, 'base', 'stageSum');
  return new Tensor(native.stageSum(baseHandle, handlesOf(terms, 'terms', 'stageSum', 1), weights, checkNumber(h, 'h')));
}

/**
 * The SIMD width (in elements) at which the native single-pass stage sum reproduces
 * libtorch's stack·mul·sum for n terms of `dtype` on this CPU, or 0 where stageSum runs
 * as libtorch ops instead (checked once per dtype and n). For tests and diagnostics.
 */
export function stageSumLanes(dtype: DType, n: number): number {
  return native.stageSumLanes(dtypeCode(checkDType(dtype, 'dtype')), checkInt(n, 'n', 1, 1024));
}

/**
 * Whether the native single-pass error ratio reproduces libtorch's expression for `dtype`
 * on this machine (checked once against libtorch itself); where it does not, errorRatio
 * runs as libtorch ops. For tests and diagnostics.
 */
export function errorRatioSinglePass(dtype: DType): boolean {
  return native.errorRatioSinglePass(dtypeCode(checkDType(dtype, 'dtype')));
}

/** RMS of err / (atol + rtol·max(|y0|, |y1|)): the step-size controller's error ratio. */
export function errorRatio(err: Tensor, y0: Tensor, y1: Tensor, rtol: number, atol: number): number {
  return native.errorRatio(handleOf(err, 'err', 'errorRatio'), handleOf(y0, 'y0', 'errorRatio', 1), handleOf(y1, 'y1', 'errorRatio', 2), checkNumber(rtol, 'rtol'), checkNumber(atol, 'atol'));
}

/** sqrt(mean(t²)) as a number. */
export function rmsNorm(t: Tensor): number {
  return native.rmsNorm(handleOf(t, 't', 'rmsNorm'));
}

/** Whether every element is finite (no NaN, no ±Inf). */
export function allFinite(t: Tensor): boolean {
  return native.allFinite(handleOf(t, 't', 'allFinite'));
}

/**
 * The affine path's sample and target in one native call: x_t = σ·x0 + α·x1 and
 * u_t = σ'·x0 + α'·x1, with per-row coefficient columns (a training step's path sampling
 * is otherwise ten small ops).
 */
export function affineCombination(x0: Tensor, x1: Tensor, alpha: Tensor, sigma: Tensor, dAlpha: Tensor, dSigma: Tensor): { xt: Tensor; ut: Tensor } {
  const op = 'affineCombination';
  const [xt, ut] = native.affineSample(live(x0, op), live(x1, op, 1), live(alpha, op, 2), live(sigma, op, 3), live(dAlpha, op, 4), live(dSigma, op, 5));
  return { xt: new Tensor(xt), ut: new Tensor(ut) };
}

/**
 * A built-in formula by name with up to two parameters: a schedule (lib/paths/schedulers.ts)
 * or a time sampler (lib/losses/time-samplers.ts), evaluated in native/schedules.cpp.
 */
export interface ClosedForm<K extends string> {
  kind: K;
  a: number;
  b: number;
}
export type ScheduleKind = 'ot' | 'polynomial' | 'cosine' | 'linear-vp' | 'vp' | 've';
export type TimeSamplerKind = 'uniform' | 'logit-normal';

/** α_t, σ_t and their time derivatives of a built-in schedule, elementwise at t. */
export function scheduleCoefficients(schedule: ClosedForm<ScheduleKind>, t: Tensor): { alpha: Tensor; sigma: Tensor; dAlpha: Tensor; dSigma: Tensor } {
  const [alpha, sigma, dAlpha, dSigma] = native.scheduleCoefficients(schedule.kind, schedule.a, schedule.b, live(t, 'scheduleCoefficients', 3));
  return { alpha: new Tensor(alpha), sigma: new Tensor(sigma), dAlpha: new Tensor(dAlpha), dSigma: new Tensor(dSigma) };
}

/**
 * The inputs of a CFM training draw along a built-in schedule, checked: x1, t (given, or
 * null for the built-in sampler), x0 (given, or null for N(0, I) of x1's shape).
 */
export interface ClosedFormDraw {
  x1: Tensor;
  t: Tensor | null;
  x0: Tensor | null;
  sampler: ClosedForm<TimeSamplerKind> | null;
  schedule: ClosedForm<ScheduleKind>;
}

/** The draw's native arguments, in native/schedules.h's order; `op` names the call in errors. */
export function drawArguments(d: ClosedFormDraw, op: string): [x1: Handle, t: Handle | null, x0: Handle | null, samplerKind: string | null, samplerA: number, samplerB: number, scheduleKind: string, scheduleA: number, scheduleB: number] {
  return [
    live(d.x1, op), d.t === null ? null : live(d.t, op, 't'), d.x0 === null ? null : live(d.x0, op, 'x0'),
    d.sampler === null ? null : d.sampler.kind, d.sampler?.a ?? 0, d.sampler?.b ?? 0,
    d.schedule.kind, d.schedule.a, d.schedule.b,
  ];
}

/**
 * A CFM training draw in one native call: t (given, or from the built-in sampler), then x0
 * (given, or N(0, I) of x1's shape), then x_t and u_t, with the coefficients in float64. The
 * same draws and bits as sampler, randnLike and AffinePath.sample called in turn.
 */
export function affineTrainingDraw(d: ClosedFormDraw): { t: Tensor; xt: Tensor; ut: Tensor } {
  const [th, xt, ut] = native.affineTrainingDraw(...drawArguments(d, 'affineTrainingDraw'));
  return { t: new Tensor(th), xt: new Tensor(xt), ut: new Tensor(ut) };
}

/** Squared Euclidean distances between the flattened rows of x0 [n, …] and x1 [m, …]: [n, m]. */
export function squaredEuclideanCost(x0: Tensor, x1: Tensor): Tensor {
  return new Tensor(native.otSquaredEuclidean(live(x0, 'squaredEuclideanCost'), live(x1, 'squaredEuclideanCost', 1)));
}

/** An optimal assignment for an [n, n] cost matrix (native/ot.cpp), optionally within label classes. */
export function exactAssignment(cost: Tensor, labels: Tensor | null): { assignment: Tensor; cost: number } {
  const r = native.otExact(live(cost, 'exactAssignment'), labels == null ? null : live(labels, 'exactAssignment', 1));
  return { assignment: new Tensor(r.assignment), cost: r.cost };
}

export interface SinkhornResult {
  plan: Tensor;
  cost: number;
  iterations: number;
  marginalError: number;
}

/** The log-domain Sinkhorn plan for an [n, m] cost matrix (native/ot.cpp). */
export function sinkhornPlan(cost: Tensor, reg: number, maxIterations: number, threshold: number, labels: Tensor | null): SinkhornResult {
  const r = native.otSinkhorn(live(cost, 'sinkhornPlan'), reg, maxIterations, threshold, labels == null ? null : live(labels, 'sinkhornPlan', 4));
  return { plan: new Tensor(r.plan), cost: r.cost, iterations: r.iterations, marginalError: r.marginalError };
}

/** A pairing from a plan: the row-wise argmax, or one draw per row from the plan's rows. */
export function planPairing(plan: Tensor, sample: boolean): Tensor {
  return new Tensor(native.otPairing(live(plan, 'planPairing'), sample));
}

// ---- adjoint (native/adjoint_kernels.cpp) ----------------------------------------------

/**
 * The adjoint ODE's products in one call: f's `outputs` cut from the graph, then
 * −aᵀ·∂outputs/∂inputs for each input (zeros where the outputs do not depend on it), with
 * `adjoints` the a of each output. inputs are the `stateCount` state components, then the
 * parameters; the graph of `outputs` is freed.
 */
export function adjointVjp(outputs: Tensor[], inputs: Tensor[], adjoints: Tensor[], stateCount: number): { outputs: Tensor[]; products: Tensor[] } {
  const handles = native.adjointVjp(
    outputs.map((t) => t._h),
    inputs.map((t) => t._h),
    adjoints.map((t) => t._h),
    stateCount,
  );
  const tensors = handles.map((h) => new Tensor(h));
  return { outputs: tensors.slice(0, outputs.length), products: tensors.slice(outputs.length) };
}
