/**
 * Exact likelihood of a continuous normalizing flow by the instantaneous change of
 * variables (Chen et al. 2018; Lipman et al. 2023, §2):
 *
 *   log p_1(x_1) = log p_0(x_0) − ∫_0^1 div v_t(x_t) dt,   p_0 = N(0, σ_0²·I),
 *
 * solved backwards from t = 1 to 0 on the augmented state [x, Δ] with dΔ/dt = div v and
 * Δ(1) = 0, so Δ(0) = −∫_0^1 div v dt and log p_1(x_1) = log N(x_0; 0, σ_0²·I) + Δ(0).
 * The solver policy (method, steps or tolerances) is lib/solvers/solve-flow.ts's.
 *
 * The model's time has the state's dtype (what torchdiffeq hands its function: a float32
 * time would cap a float64 solve near 1e-8), and everything created here lives on x_1's
 * device.
 */
import { Tensor } from '../tensor';
import { zeros, full, randn, randint } from '../creation';
import { enableGrad, isGradEnabled } from '../autograd';
import { tidy, scope } from '../scope';
import { asTensor } from '../tensor';
import { checkBool, checkFunction, checkInt, checkOneOf, checkOptions, fail } from '../validate';
import { odeint, odeintAsync, type OdeintOptions } from '../solvers/odeint';
import { odeintAdjoint } from '../solvers/adjoint';
import { solveFlowOptions, type FlowSolverOptions } from '../solvers/solve-flow';
import { Module } from '../nn/module';
import { callModel, checkModel, type Conditioning, type VelocityModel } from '../nn/velocity-model';
import type { GaussianPath } from '../paths/gaussian-path';
import { exactDivergence, hutchinsonDivergence } from './divergence';
import { gaussianPriorLogDensity, resolvePriorStd } from './gaussian-prior';

/**
 * Every probe is a tensor of x1's shape held for the whole solve and costs one VJP per
 * evaluation; the estimator's variance falls only as 1/probes, so more than this is never
 * worth its cost (and 1e9 would never finish).
 */
const MAX_PROBES = 1024;

/** The solver options (FlowSolverOptions): default 'dopri5' at rtol = atol = 1e-5; fixed-grid methods take 100 steps from t = 1 to 0 unless told. */
export interface LikelihoodOptions extends FlowSolverOptions {
  /** 'exact' (one VJP per element of a sample) or 'hutchinson' (one per probe). Default 'exact'. */
  divergence?: 'exact' | 'hutchinson';
  /** Hutchinson probe distribution. Default 'rademacher'. */
  probe?: 'rademacher' | 'gaussian';
  /** Hutchinson probes per sample (1 to 1024), drawn once per solve and averaged. Default 1. */
  probes?: number;
  conditioning?: Conditioning;
  /** The probability path the model was trained on: its priorStd is the default σ_0. */
  path?: GaussianPath;
  /**
   * σ_0 of the source N(0, σ_0²·I) the flow starts from. Default the path's priorStd (the
   * reversed VE diffusion starts at σ_max), else 1.
   */
  priorStd?: number;
  /**
   * log p_0 of the source, per sample ([batch]) from x_0 ([batch, …]), in place of the
   * Gaussian of priorStd: any source density the flow was trained from.
   */
  logP0?: (x0: Tensor) => Tensor;
  /**
   * Keep the graph: logProb can then be a loss, differentiated with respect to the model's
   * parameters (and x_1 when it requires grad). Runs synchronously (likelihood() only).
   */
  differentiable?: boolean;
  /**
   * How a differentiable likelihood is differentiated: 'adjoint' (default; odeintAdjoint,
   * memory flat in the number of steps) or 'direct' (backprop through the solver's steps).
   */
  gradient?: 'adjoint' | 'direct';
  /** The tensors the adjoint differentiates; default the parameters of a Module model. */
  adjointParams?: Tensor[];
}

export interface LikelihoodResult {
  /** log p_1(x_1) per sample, in nats, [batch]. */
  logProb: Tensor;
  /** The noise x_0 that x_1 flows back to. */
  x0: Tensor;
  /** ∫_0^1 div v_t(x_t) dt per sample. */
  divergenceIntegral: Tensor;
  nfe: number;
}

export function likelihood(model: VelocityModel, x1: Tensor, opts: LikelihoodOptions = {}): LikelihoodResult {
  const o = readOptions(model, x1, opts);
  return tidy(() => {
    const { f, y0, solverOptions } = setUp(model, x1, o, opts.conditioning);
    const r = o.differentiable === null ? odeint(f, y0, [1, 0], solverOptions) : differentiableSolve(model, y0, solverOptions, o, opts.conditioning);
    return result(r.solution, r.nfe, o);
  });
}

/**
 * The same augmented solve with the graph kept: v and div v (its VJPs with createGraph)
 * stay attached to the parameters and to x, and the solution is differentiated by backprop
 * through the steps or by the adjoint (whose backward then needs second derivatives of v).
 */
function differentiableSolve(model: VelocityModel, y0: Tensor[], solverOptions: OdeintOptions, o: Checked, conditioning: Conditioning | undefined): { solution: Tensor[]; nfe: number } {
  const { n, kind, differentiable } = o;
  const like = { dtype: y0[0].dtype, device: y0[0].device };
  const probes = differentiable!.probes;
  const f = (t: number, [x]: Tensor[]): Tensor[] => {
    // The adjoint's forward solve runs without grad and needs values only.
    const createGraph = isGradEnabled();
    return enableGrad(() => {
      // Backprop through the steps hands in states that carry the graph: v is differentiated through them.
      const input = x.requiresGrad && createGraph ? x : x.detach().requiresGrad_();
      const v = callModel(model, input, full([n], t, like), conditioning);
      const div = kind === 'exact' ? exactDivergence(v, input, { createGraph }) : hutchinsonDivergence(v, input, probes, { createGraph });
      return createGraph ? [v, div] : [v.detach(), div.detach()];
    });
  };
  if (differentiable!.gradient === 'direct') return odeint(f, y0, [1, 0], solverOptions);
  return odeintAdjoint(f, y0, [1, 0], { ...solverOptions, adjointParams: differentiable!.params });
}

/**
 * As likelihood(), with every evaluation of a native model (its velocity and the
 * divergence's VJPs together, one job) on the libuv pool (lib/nn/forward-queue.ts), so the
 * main thread only does the solver's bookkeeping; other models run on the main thread,
 * yielding to the event loop between evaluations. Same numbers as likelihood(); `signal`
 * aborts it between evaluations.
 */
export async function likelihoodAsync(model: VelocityModel, x1: Tensor, opts: LikelihoodOptions & { signal?: AbortSignal } = {}): Promise<LikelihoodResult> {
  const { signal, ...rest } = checkOptions(opts, 'likelihood options');
  if (rest.differentiable === true) fail('likelihood() for a differentiable likelihood (its backward runs synchronously)', 'likelihoodAsync options.differentiable', true);
  const o = readOptions(model, x1, rest);
  return scope(async () => {
    const { f, y0, solverOptions, probes, like } = setUp(model, x1, o, rest.conditioning);
    const field =
      model instanceof Module
        ? (t: number, [x]: Tensor[]): Promise<Tensor[]> => model.velocityDivergenceAsync(x, full([o.n], t, like), rest.conditioning, o.kind === 'exact' ? null : probes)
        : f;
    const r = await odeintAsync(field, y0, [1, 0], { ...solverOptions, signal });
    return result(r.solution, r.nfe, o);
  });
}

interface Checked {
  kind: 'exact' | 'hutchinson';
  probeKind: 'rademacher' | 'gaussian';
  probeCount: number;
  solverOptions: OdeintOptions;
  priorStd: number;
  logP0: ((x0: Tensor) => Tensor) | null;
  /** Null unless differentiable; the probes are shared with setUp's. */
  differentiable: { gradient: 'adjoint' | 'direct'; params: Tensor[]; probes: Tensor[] } | null;
  n: number;
}

function readOptions(model: VelocityModel, x1: Tensor, opts: LikelihoodOptions): Checked {
  checkModel(model);
  asTensor(x1, 'x1');
  if (x1.ndim < 1 || x1.shape[0] < 1 || (x1.dtype !== 'float32' && x1.dtype !== 'float64')) {
    fail('a float32 or float64 Tensor [batch, …] with batch ≥ 1', 'x1', `a ${x1.dtype} Tensor of shape [${x1.shape}]`);
  }
  if (opts === null || typeof opts !== 'object') fail('an options object', 'likelihood options', opts);
  const kind = checkOneOf(opts.divergence ?? 'exact', ['exact', 'hutchinson'], 'divergence');
  const probeKind = checkOneOf(opts.probe ?? 'rademacher', ['rademacher', 'gaussian'], 'probe');
  const probeCount = checkInt(opts.probes ?? 1, 'probes', 1, MAX_PROBES);
  const { odeint: solverOptions } = solveFlowOptions(opts, { from: 1, to: 0, defaultMethod: 'dopri5' });
  const priorStd = resolvePriorStd(opts);
  const n = x1.shape[0];
  if (opts.logP0 !== undefined) {
    checkFunction(opts.logP0, 'logP0');
    if (opts.priorStd !== undefined) fail('either logP0 or priorStd, not both', 'likelihood options', 'both');
  }
  let differentiable: Checked['differentiable'] = null;
  if (checkBool(opts.differentiable ?? false, 'differentiable')) {
    const gradient = checkOneOf(opts.gradient ?? 'adjoint', ['adjoint', 'direct'], 'gradient');
    const params = opts.adjointParams ?? (model instanceof Module ? model.parameters() : []);
    if (!Array.isArray(params) || !params.every((p) => p instanceof Tensor)) fail('an array of Tensors', 'adjointParams', params);
    differentiable = { gradient, params, probes: [] };
  } else if (opts.gradient !== undefined || opts.adjointParams !== undefined) {
    fail('differentiable: true alongside gradient and adjointParams', 'likelihood options', opts.gradient ?? 'adjointParams');
  }
  return { kind, probeKind, probeCount, solverOptions, priorStd, logP0: opts.logP0 ?? null, differentiable, n };
}

/** The augmented field d[x, Δ]/dt = [v, div v] on the main thread, its start and the solver's options. */
function setUp(model: VelocityModel, x1: Tensor, o: Checked, conditioning: Conditioning | undefined) {
  const { kind, n } = o;
  const probes = kind === 'exact' ? [] : Array.from({ length: o.probeCount }, () => drawProbe(x1, o.probeKind));
  if (o.differentiable !== null) o.differentiable.probes = probes;
  const like = { dtype: x1.dtype, device: x1.device };
  const f = (t: number, [x]: Tensor[]): Tensor[] => {
    const time = full([n], t, like);
    return enableGrad(() => {
      const leaf = x.detach().requiresGrad_();
      const v = callModel(model, leaf, time, conditioning);
      const div = kind === 'exact' ? exactDivergence(v, leaf) : hutchinsonDivergence(v, leaf, probes);
      return [v.detach(), div.detach()];
    });
  };
  return { f, y0: [x1, zeros([n], like)], solverOptions: o.solverOptions, probes, like };
}

function result(solution: Tensor[], nfe: number, o: Checked): LikelihoodResult {
  const { n, priorStd } = o;
  const x0 = solution[0].select(0, 1);
  const delta = solution[1].select(0, 1);
  const logP0 = o.logP0 !== null ? checkLogP0(o.logP0(x0), n) : gaussianPriorLogDensity(x0, priorStd);
  return { logProb: logP0.add(delta), x0: x0.contiguous(), divergenceIntegral: delta.neg(), nfe };
}

/** log p_1(x_1) per sample in nats ([batch]); see likelihood() for the solve's details. */
export function logProb(model: VelocityModel, x1: Tensor, opts: LikelihoodOptions = {}): Tensor {
  const r = likelihood(model, x1, opts);
  r.x0.dispose();
  r.divergenceIntegral.dispose();
  return r.logProb;
}

function checkLogP0(value: unknown, n: number): Tensor {
  if (!(value instanceof Tensor) || value.ndim !== 1 || value.shape[0] !== n) {
    fail(`a Tensor of shape [${n}] (one log-density per sample)`, 'the value returned by logP0', value instanceof Tensor ? `a Tensor of shape [${value.shape}]` : value);
  }
  return value;
}

function drawProbe(like: Tensor, kind: 'rademacher' | 'gaussian'): Tensor {
  if (kind === 'gaussian') return randn(like.shape, { dtype: like.dtype, device: like.device });
  return tidy(() => randint(0, 2, like.shape, { device: like.device }).to(like.dtype).mul(2).sub(1));
}
