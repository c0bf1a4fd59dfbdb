/**
 * Sampling: integrate dx/dt = v_θ(x, t) from noise x0 ~ N(0, σ_0²·I) at t = 0 to data at
 * t = 1 (σ_0 the path's priorStd: 1 but for the reversed VE diffusion), with
 * classifier-free guidance when asked:
 *
 *   ṽ = (1 + w)·v(x, t, c) − w·v(x, t, ∅),   ∅ = the null label.
 *
 * The model runs without autograd. The solver policy (method, steps or tolerances, never
 * past t = 1) is lib/solvers/solve-flow.ts's. NFE counts solver evaluations; with guidance each is one model call on a batch
 * holding the conditional and the unconditional halves.
 *
 * The model's time has the state's dtype, as torchdiffeq hands it (a float32 time would cap
 * a float64 solve near 1e-8). Everything created here lives on the device of the noise:
 * x0's, or for drawn noise the `device` option, else the model's parameters' device.
 */
import { Tensor, asTensor } from '../tensor';
import { full, fullLike, randn, zeros } from '../creation';
import { cat } from '../functional';
import { enableGrad, noGrad } from '../autograd';
import { tidy, scope } from '../scope';
import { linearCombination } from '../kernels';
import { checkBool, checkFunction, checkInt, checkNumber, checkOptions, checkShape, fail } from '../validate';
import { exactDivergence } from '../likelihood/divergence';
import { gaussianPriorLogDensity, resolvePriorStd } from '../likelihood/gaussian-prior';
import { odeint, odeintAsync, type OdeSolution, type OdeintOptions } from '../solvers/odeint';
import { solveFlowOptions, type FlowSolverOptions } from '../solvers/solve-flow';
import { callModel, callModelAsync, checkModel, modelDevice, type Conditioning, type VelocityModel } from '../nn/velocity-model';
import type { GaussianPath } from '../paths/gaussian-path';
import { checkDevice, type Device } from '../device';

/** The solver options (FlowSolverOptions): default 'euler' with 100 steps on [0, 1]; any odeint method. */
export interface SampleOptions extends FlowSolverOptions {
  /** The starting noise [n, …], used as given; drawn from N(0, σ_0²·I) (σ_0 = priorStd) with n and shape when omitted. */
  x0?: Tensor;
  n?: number;
  /** Shape of one sample (without the batch dim). */
  shape?: number[];
  /** Where drawn noise is created; default the device of the model's parameters (or 'cpu'). */
  device?: Device;
  /** The probability path the model was trained on: its priorStd is the default σ_0. */
  path?: GaussianPath;
  /**
   * σ_0 of the noise N(0, σ_0²·I): the scale of drawn noise, and of log p_0 with logProb.
   * Default the path's priorStd (σ_max for the reversed VE diffusion), else 1.
   */
  priorStd?: number;
  /** Output times from 0 to 1 (default [0, 1], or every step of a fixed grid when returnTrajectory). */
  t?: number[];
  /** Also return x at every time of t, [len(t), n, …]. */
  returnTrajectory?: boolean;
  conditioning?: Conditioning;
  /** Guidance weight w (0: none). */
  guidanceScale?: number;
  /** The label meaning "no label"; default the model's numClasses. */
  nullLabel?: number;
  /**
   * Also return log p_1 of each sample, from the same solve: the state becomes [x, Δ] with
   * dΔ/dt = div v (exact, one VJP per element of a sample), and log p_1(x_1) =
   * log p_0(x_0) − Δ(1). The steps then also control Δ's error. sample() only.
   */
  logProb?: boolean;
  /** log p_0 of the noise per sample ([n]) in place of N(0, σ_0²·I); not with priorStd. Used with logProb. */
  logP0?: (x0: Tensor) => Tensor;
}

export interface SampleResult {
  samples: Tensor;
  nfe: number;
  trajectory?: Tensor;
  /** log p_1 of each sample in nats, [n] (with logProb: true). */
  logProb?: Tensor;
}

interface Prepared {
  f: (t: number, x: Tensor) => Tensor | Promise<Tensor>;
  x0: () => Tensor;
  priorStd: number;
  t: number[];
  solverOptions: OdeintOptions;
  returnTrajectory: boolean;
  velocity: (x: Tensor, time: Tensor) => Tensor | Promise<Tensor>;
}

export function sample(model: VelocityModel, opts: SampleOptions = {}): SampleResult {
  const p = prepare(model, opts, callModel);
  if (opts.logProb === true) return tidy(() => sampleWithLogProb(p, opts.logP0));
  return tidy(() => finish(odeint(p.f as (t: number, x: Tensor) => Tensor, p.x0(), p.t, p.solverOptions), p.returnTrajectory));
}

/** The solve on [x, Δ], dΔ/dt = div v, and log p_1 = log p_0(x_0) − Δ(1). */
function sampleWithLogProb(p: Prepared, logP0: ((x0: Tensor) => Tensor) | undefined): SampleResult {
  const x0 = p.x0();
  const n = x0.shape[0];
  const like = { dtype: x0.dtype, device: x0.device };
  const f = (s: number, [x]: Tensor[]): Tensor[] =>
    enableGrad(() => {
      const leaf = x.detach().requiresGrad_();
      const v = p.velocity(leaf, full([n], s, like)) as Tensor;
      return [v.detach(), exactDivergence(v, leaf).detach()];
    });
  const r = odeint(f, [x0, zeros([n], like)], p.t, p.solverOptions);
  const last = r.solution[0].shape[0] - 1;
  let base: Tensor;
  if (logP0 === undefined) {
    base = gaussianPriorLogDensity(x0, p.priorStd);
  } else {
    base = logP0(x0);
    if (!(base instanceof Tensor) || base.ndim !== 1 || base.shape[0] !== n) fail(`a Tensor of shape [${n}] (one log-density per sample)`, 'the value returned by logP0', base);
  }
  const result: SampleResult = { samples: r.solution[0].select(0, last), nfe: r.nfe, logProb: base.sub(r.solution[1].select(0, last)) };
  if (p.returnTrajectory) result.trajectory = r.solution[0];
  return result;
}

/**
 * As sample(), with every evaluation of a native model (guided and super-resolution
 * batches included) on the libuv pool (lib/nn/forward-queue.ts), so the main thread only
 * does the solver's bookkeeping; a model without forwardAsync runs on the main thread,
 * yielding to the event loop between evaluations. `signal` aborts it between evaluations.
 */
export async function sampleAsync(model: VelocityModel, opts: SampleOptions & { signal?: AbortSignal } = {}): Promise<SampleResult> {
  const { signal, ...rest } = checkOptions(opts, 'sample options');
  if (rest.logProb === true) fail('sample() for logProb (its divergence runs synchronously)', 'sampleAsync options.logProb', true);
  const p = prepare(model, rest, callModelAsync);
  return scope(async () => finish(await odeintAsync(p.f, p.x0(), p.t, { ...p.solverOptions, signal }), p.returnTrajectory));
}

function finish(r: OdeSolution<Tensor>, returnTrajectory: boolean): SampleResult {
  const samples = r.solution.select(0, r.solution.shape[0] - 1);
  return returnTrajectory ? { samples, nfe: r.nfe, trajectory: r.solution } : { samples, nfe: r.nfe };
}

type ModelCall = (model: VelocityModel, x: Tensor, t: Tensor, conditioning?: Conditioning) => Tensor | Promise<Tensor>;

function prepare(model: VelocityModel, opts: SampleOptions, call: ModelCall): Prepared {
  checkModel(model);
  if (opts === null || typeof opts !== 'object') fail('an options object', 'sample options', opts);
  const returnTrajectory = checkBool(opts.returnTrajectory ?? false, 'returnTrajectory');
  const { t, odeint: solverOptions } = solveFlowOptions(opts, { from: 0, to: 1, times: opts.t, everyStep: returnTrajectory, defaultMethod: 'euler' });
  const w = checkNumber(opts.guidanceScale ?? 0, 'guidanceScale', { finite: true });
  const conditioning = opts.conditioning;
  if (opts.nullLabel !== undefined) checkInt(opts.nullLabel, 'nullLabel', 0);
  const priorStd = resolvePriorStd(opts);
  if (opts.logP0 !== undefined && opts.priorStd !== undefined) fail('either logP0 or priorStd, not both', 'sample options', 'both');

  let x0: () => Tensor;
  if (opts.x0 !== undefined) {
    const given = asTensor(opts.x0, 'x0');
    x0 = () => given;
  } else {
    const n = checkInt(opts.n, 'n', 1);
    const shape = checkShape(opts.shape, 'shape');
    const device = opts.device === undefined ? modelDevice(model) : checkDevice(opts.device, 'device');
    // σ_0·ε, ε ~ N(0, I); at σ_0 = 1 the noise is randn's own numbers, without a multiply.
    x0 = priorStd === 1 ? () => randn([n, ...shape], { device }) : () => tidy(() => randn([n, ...shape], { device }).mul(priorStd));
  }

  let velocity: (x: Tensor, time: Tensor) => Tensor | Promise<Tensor>;
  if (w === 0) {
    velocity = (x, time) => call(model, x, time, conditioning);
  } else {
    const labels = conditioning?.labels;
    if (!(labels instanceof Tensor)) fail('conditioning.labels (guidance needs labels)', 'conditioning.labels', labels);
    const nullLabel = checkInt(opts.nullLabel ?? (typeof model === 'object' ? model.numClasses : undefined), 'nullLabel (or a model with numClasses)', 0);
    velocity = (x, time) => {
      const n = x.shape[0];
      const both: Conditioning = { labels: cat([labels, fullLike(labels, nullLabel)]) };
      if (conditioning?.lowRes !== undefined) both.lowRes = cat([conditioning.lowRes, conditioning.lowRes]);
      const guide = (v: Tensor): Tensor => linearCombination(null, [v.narrow(0, 0, n), v.narrow(0, n, n)], [1 + w, -w]);
      const v = call(model, cat([x, x]), cat([time, time]), both);
      return v instanceof Promise ? v.then(guide) : guide(v);
    };
  }
  // An async call starts its job inside noGrad (the job keeps the grad mode it started with).
  const f = (s: number, x: Tensor): Tensor | Promise<Tensor> => {
    let v: Tensor | Promise<Tensor> | undefined;
    noGrad(() => {
      v = velocity(x, full([x.shape[0]], s, { dtype: x.dtype, device: x.device }));
    });
    return v as Tensor | Promise<Tensor>;
  };
  if (opts.logProb !== undefined) checkBool(opts.logProb, 'logProb');
  if (opts.logP0 !== undefined) checkFunction(opts.logP0, 'logP0');
  return { f, x0, priorStd, t, solverOptions, returnTrajectory, velocity };
}
