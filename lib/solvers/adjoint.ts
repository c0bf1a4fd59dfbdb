/**
 * odeintAdjoint: torchdiffeq's odeint_adjoint. The forward solve is odeint without a graph;
 * the solution joins the autograd graph through one custom node (lib/custom-function.ts),
 * whose backward solves the adjoint ODE (Pontryagin; Chen et al. 2018) backwards over
 * each output interval, again with odeint, on the augmented state [y, a, g]:
 *
 *   dy/dt = f(t, y),   da/dt = −aᵀ·∂f/∂y,   dg/dt = −aᵀ·∂f/∂θ,
 *
 * with a(t_N) = ∂L/∂y(t_N), a jumping by ∂L/∂y(t_i) at each earlier output time, and y
 * reset to the forward solution there. a(t_0) is ∂L/∂y0 and g(t_0) is ∂L/∂θ. The products
 * aᵀ·∂f/∂y and aᵀ·∂f/∂θ are one vector-Jacobian product (grad) per evaluation; memory holds
 * the outputs and one step's stages, whatever the number of steps.
 *
 * Gradients with respect to t are not computed (t is a grid of numbers here).
 */
import { Tensor } from '../tensor';
import { keep, tidy } from '../scope';
import { enableGrad, isGradEnabled, noGrad } from '../autograd';
import { customFunction } from '../custom-function';
import { zeros } from '../creation';
import { adjointVjp, rmsNorm } from '../kernels';
import { checkFunction, checkOptions, describe, fail } from '../validate';
import { ShapeError } from '../errors';
import { checkTimes, odeint, odeintInternal, type OdeintOptions, type OdeSolution, type SolverOptions } from './odeint';
import { checkMethod, type OdeMethod } from './methods';
import type { OdeFunction } from './evaluator';
import type { UserNorm } from './scaled-norm';
import { SolverError } from './solver-error';

export interface AdjointSolverOptions extends Omit<SolverOptions, 'norm'> {
  /**
   * The norm of the backward solve's scaled error. Default: the largest RMS over y, a and
   * each parameter gradient (with a user options.norm of the forward solve applied to y and
   * to a). 'seminorm' leaves the parameter gradients out, so they no longer shrink steps
   * (torchdiffeq's seminorm; fewer backward evaluations). A function receives the scaled
   * components [y…, a…, g…] (y and a one entry per component of a tuple state).
   */
  norm?: 'seminorm' | ((scaled: Tensor[]) => number);
}

export interface OdeintAdjointOptions extends OdeintOptions {
  /**
   * The tensors besides y0 to differentiate, as torchdiffeq's adjoint_params: the ones f
   * reads that require grad (others are skipped), or a Module (its parameters()). f is a
   * plain function, so nothing is found automatically: a tensor f reads that is not listed
   * gets no gradient. Default: none.
   */
  adjointParams?: Tensor[] | { parameters(): Tensor[] };
  /** Method of the backward solve (default: method). */
  adjointMethod?: OdeMethod;
  /** Tolerances of the backward solve (default: rtol, atol). */
  adjointRtol?: number | number[];
  adjointAtol?: number | number[];
  /** Options of the backward solve (default: options without norm and stepBudget). */
  adjointOptions?: AdjointSolverOptions;
}

/** What the backward solves cost, summed over every backward run through this solution so far. */
export interface AdjointBackwardStats {
  runs: number;
  nfe: number;
  acceptedSteps: number;
  rejectedSteps: number;
}

export interface OdeAdjointSolution<Y extends Tensor | Tensor[]> extends OdeSolution<Y> {
  /** Updated in place by each backward through `solution`. */
  backward: AdjointBackwardStats;
}

const FORWARD_ONLY = ['norm', 'stepBudget'];

/**
 * Solves as odeint does and returns a solution whose gradients (with respect to y0 and
 * opts.adjointParams) come from the adjoint ODE. backward() or grad() through it must be
 * called synchronously from JS (lib/custom-function.ts says why); the tensors may be on CPU
 * or CUDA.
 */
export function odeintAdjoint(f: (t: number, y: Tensor) => Tensor, y0: Tensor, t: number[] | Tensor, opts?: OdeintAdjointOptions): OdeAdjointSolution<Tensor>;
export function odeintAdjoint(f: (t: number, y: Tensor[]) => Tensor[], y0: Tensor[], t: number[] | Tensor, opts?: OdeintAdjointOptions): OdeAdjointSolution<Tensor[]>;
export function odeintAdjoint(f: OdeFunction, y0: Tensor | Tensor[], t: number[] | Tensor, opts: OdeintAdjointOptions = {}): OdeAdjointSolution<Tensor | Tensor[]> {
  checkFunction(f, 'f');
  const { adjointParams, adjointMethod, adjointRtol, adjointAtol, adjointOptions, ...forward } = checkOptions(opts, 'odeintAdjoint options');
  const tuple = Array.isArray(y0);
  const params = checkParams(adjointParams).filter((p) => p.requiresGrad);
  const method = forward.method ?? 'dopri5';
  const backMethod = adjointMethod === undefined ? method : checkMethod(adjointMethod, 'adjointMethod');
  if (backMethod !== method && forward.options !== undefined && adjointOptions === undefined) {
    // As torchdiffeq: options of one method need not be valid for another.
    fail(`adjointOptions when adjointMethod ('${backMethod}') differs from method ('${method}') and options are given`, 'adjointOptions', adjointOptions);
  }
  const forwardOptions = checkOptions(forward.options, 'options');
  const backOptions: Record<string, unknown> = { ...(adjointOptions === undefined ? forwardOptions : checkOptions(adjointOptions, 'adjointOptions')) };
  if (adjointOptions === undefined) for (const k of FORWARD_ONLY) delete backOptions[k];

  const sol = noGrad(() => (odeint as (f: OdeFunction, y0: Tensor | Tensor[], t: number[] | Tensor, o: OdeintOptions) => OdeSolution<Tensor | Tensor[]>)(f, y0, t, forward));
  const solved = tuple ? (sol.solution as Tensor[]) : [sol.solution as Tensor];
  const n = solved.length;
  const times = checkTimes(t).slice(0, solved[0].shape[0]);
  const saved = solved.map((s) => keep(s));
  const y0s = tuple ? (y0 as Tensor[]) : [y0 as Tensor];
  const stats: AdjointBackwardStats = { runs: 0, nfe: 0, acceptedSteps: 0, rejectedSteps: 0 };

  const normComponents = backOptions.norm === 'seminorm' ? 2 * n : undefined;
  if (backOptions.norm === 'seminorm') delete backOptions.norm;
  else if (backOptions.norm === undefined && forwardOptions.norm !== undefined) backOptions.norm = defaultAdjointNorm(forwardOptions.norm as UserNorm, n, tuple);
  else if (backOptions.norm !== undefined && typeof backOptions.norm !== 'function') fail("'seminorm' or a function", 'adjointOptions.norm', backOptions.norm);
  const backward = {
    method: backMethod,
    rtol: augmentedTolerance(adjointRtol ?? forward.rtol ?? 1e-7, n, params.length, 'adjointRtol'),
    atol: augmentedTolerance(adjointAtol ?? forward.atol ?? 1e-9, n, params.length, 'adjointAtol'),
    options: backOptions as SolverOptions,
  };

  const dynamics = augmentedDynamics(f, tuple, n, params);
  const inputs = [...y0s, ...params];
  // libtorch's engine runs a node on the thread of the device its incoming gradients are on:
  // for a CUDA solution one of its device threads, where the JS backward cannot run
  // (lib/custom-function.ts). A component on a CUDA device therefore joins the graph as a CPU
  // copy moved back to the device: that move's backward brings the gradient to the CPU, and
  // the node runs on the thread that called backward(), as for CPU tensors.
  const devices = saved.map((s) => s.device);
  const recording = isGradEnabled() && inputs.some((x) => x.requiresGrad);
  const viaCpu = devices.map((d) => recording && d.startsWith('cuda'));
  const nodeOutputs = saved.map((s, c) => (viaCpu[c] ? s.to('cpu') : s));
  const joined = customFunction(
    inputs,
    nodeOutputs,
    (incoming) =>
      noGrad(() => {
        const grads = incoming.map((g, c) => (viaCpu[c] ? g.to(devices[c]) : g));
        stats.runs++;
        const last = times.length - 1;
        let y = saved.map((s) => s.select(0, last));
        let a = grads.map((g) => g.select(0, last));
        let g = params.map((p) => zeros(p.shape, { dtype: p.dtype, device: p.device }));
        for (let i = last; i > 0; i--) {
          const step = odeintInternal(dynamics, [...y, ...a, ...g], [times[i], times[i - 1]], backward, { normComponents });
          stats.nfe += step.nfe;
          stats.acceptedSteps += step.acceptedSteps;
          stats.rejectedSteps += step.rejectedSteps;
          if (step.budgetExhausted) throw new SolverError('ERR_MAX_STEPS', `The adjoint solve ran out of adjointOptions.stepBudget between t = ${times[i]} and t = ${times[i - 1]}`, times[i]);
          const next = tidy(() => {
            const end = step.solution.map((s) => s.select(0, 1).clone());
            return { a: end.slice(n, 2 * n).map((ac, c) => ac.add(grads[c].select(0, i - 1))), g: end.slice(2 * n) };
          });
          for (const x of [...y, ...a, ...g, ...step.solution]) x.dispose();
          // y restarts from the forward solution: integrating it backwards would drift.
          y = saved.map((s) => s.select(0, i - 1));
          a = next.a;
          g = next.g;
        }
        for (const x of y) x.dispose();
        return [...a, ...g];
      }),
    () => {
      for (const s of saved) s.dispose();
    },
  );
  const outputs = joined.map((o, c) => {
    if (!viaCpu[c]) return o;
    const onDevice = o.to(devices[c]);
    o.dispose();
    nodeOutputs[c].dispose();
    return onDevice;
  });
  return { ...sol, solution: tuple ? outputs : outputs[0], backward: stats };
}

/** [y, a, g]' = [f, −aᵀ·∂f/∂y, −aᵀ·∂f/∂θ], the products by one vector-Jacobian product. */
function augmentedDynamics(f: OdeFunction, tuple: boolean, n: number, params: Tensor[]): (t: number, s: Tensor[]) => Tensor[] {
  return (t, s) =>
    enableGrad(() => {
      const ys = s.slice(0, n).map((c) => c.detach().requiresGrad_(true));
      const raw: unknown = tuple ? (f as (t: number, y: Tensor[]) => Tensor[])(t, ys) : (f as (t: number, y: Tensor) => Tensor)(t, ys[0]);
      const out = tuple ? raw : [raw];
      if (!Array.isArray(out) || out.length !== n || !out.every((o) => o instanceof Tensor)) {
        throw new ShapeError('ERR_SHAPE', `Expected ${tuple ? `an array of ${n} Tensors` : 'a Tensor'} for the output of f at t = ${t} but received ${describe(raw)}`);
      }
      const { outputs, products } = adjointVjp(out as Tensor[], [...ys, ...params], s.slice(n, 2 * n), n);
      return [...outputs, ...products];
    });
}

/** torchdiffeq's default adjoint norm around a user norm of the forward state. */
function defaultAdjointNorm(stateNorm: UserNorm, n: number, tuple: boolean): (scaled: Tensor[]) => number {
  const apply = (parts: Tensor[]): number => stateNorm(tuple ? parts : parts[0]);
  return (scaled) => Math.max(apply(scaled.slice(0, n)), apply(scaled.slice(n, 2 * n)), ...scaled.slice(2 * n).map(rmsNorm));
}

/** One tolerance per component of [y…, a…, g…]: y's for a, the strictest for the parameters. */
function augmentedTolerance(value: number | number[], n: number, p: number, name: string): number | number[] {
  if (!Array.isArray(value)) return value;
  if (value.length !== n) fail(`a number or an array of ${n} (one per component of y0)`, name, value);
  return [...value, ...value, ...new Array<number>(p).fill(Math.min(...value))];
}

function checkParams(value: unknown): Tensor[] {
  if (value === undefined) return [];
  const list = value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { parameters?: unknown }).parameters === 'function'
    ? (value as { parameters(): unknown }).parameters()
    : value;
  if (!Array.isArray(list)) return fail('an array of Tensors or a Module', 'adjointParams', value);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) fail('a Tensor', `adjointParams[${i}]`, p);
  });
  return list as Tensor[];
}
