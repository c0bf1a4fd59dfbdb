/**
 * Sampling: integrate dx/dt = v_θ(x, t) from noise x0 ~ N(0, I) at t = 0 to data at t = 1,
 * with classifier-free guidance when asked:
 *
 *   ṽ = (1 + w)·v(x, t, c) − w·v(x, t, ∅),   ∅ = the null label.
 *
 * The model runs without autograd. Steps never go past t = 1 (the model was trained on
 * [0, 1]). NFE counts solver evaluations; with guidance each is one model call on a batch
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
import { checkBool, checkFunction, checkInt, checkNumber, checkOneOf, checkOptions, checkShape, fail } from '../validate';
import { exactDivergence } from '../likelihood/divergence';
import { odeint, odeintAsync, type OdeSolution, type OdeintOptions } from '../solvers/odeint';
import { METHOD_NAMES, isAdaptive, type OdeMethod } from '../solvers/methods';
import { DEFAULT_MAX_NUM_STEPS, checkStepCount } from '../solvers/step-limit';
import { callModel, callModelAsync, checkModel, modelDevice, type Conditioning, type VelocityModel } from '../nn/velocity-model';
import { checkDevice, type Device } from '../device';

export interface SampleOptions {
  /** The starting noise [n, …]; drawn from N(0, I) with n and shape when omitted. */
  x0?: Tensor;
  n?: number;
  /** Shape of one sample (without the batch dim). */
  shape?: number[];
  /** Where drawn noise is created; default the device of the model's parameters (or 'cpu'). */
  device?: Device;
  /** Default 'euler' with 100 steps; any odeint method. */
  method?: OdeMethod;
  /** Fixed-grid methods: uniform steps on [0, 1] (or give stepSize). */
  steps?: number;
  stepSize?: number;
  /** Adaptive methods: tolerances, default 1e-5 each. */
  rtol?: number;
  atol?: number;
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
  /** log p_0 of the noise per sample ([n]); default N(0, I). Used with logProb. */
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
  const dims = x0.numel / n;
  let base: Tensor;
  if (logP0 === undefined) {
    base = x0.square().reshape([n, -1]).sum(1).mul(-0.5).sub((dims / 2) * Math.log(2 * Math.PI));
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

type ModelCall = (model: VelocityModel, x: Tensor, t: Tensor, cond?: Conditioning) => Tensor | Promise<Tensor>;

function prepare(model: VelocityModel, opts: SampleOptions, call: ModelCall): Prepared {
  checkModel(model);
  if (opts === null || typeof opts !== 'object') fail('an options object', 'sample options', opts);
  const method = checkOneOf(opts.method ?? 'euler', METHOD_NAMES, 'method');
  const returnTrajectory = checkBool(opts.returnTrajectory ?? false, 'returnTrajectory');
  const w = checkNumber(opts.guidanceScale ?? 0, 'guidanceScale', { finite: true });
  const cond = opts.conditioning;
  if (opts.nullLabel !== undefined) checkInt(opts.nullLabel, 'nullLabel', 0);

  let x0: () => Tensor;
  if (opts.x0 !== undefined) {
    const given = asTensor(opts.x0, 'x0');
    x0 = () => given;
  } else {
    const n = checkInt(opts.n, 'n', 1);
    const shape = checkShape(opts.shape, 'shape');
    const device = opts.device === undefined ? modelDevice(model) : checkDevice(opts.device, 'device');
    x0 = () => randn([n, ...shape], { device });
  }

  let stepSize: number | null = null;
  if (!isAdaptive(method)) {
    if (opts.stepSize !== undefined) stepSize = checkNumber(opts.stepSize, 'stepSize', { positive: true, finite: true });
    else stepSize = 1 / checkInt(opts.steps ?? 100, 'steps', 1);
  }
  let t = opts.t;
  if (t === undefined) {
    t = returnTrajectory && stepSize !== null ? uniformTimes(stepSize) : [0, 1];
  } else if (!Array.isArray(t) || t[0] !== 0 || t[t.length - 1] !== 1) {
    fail('an increasing array of times from 0 to 1', 't', t);
  }
  const solverOptions: OdeintOptions = isAdaptive(method)
    ? { method, rtol: opts.rtol ?? 1e-5, atol: opts.atol ?? 1e-5, options: { noOvershoot: true } }
    : { method, options: { step_size: stepSize as number } };

  let velocity: (x: Tensor, time: Tensor) => Tensor | Promise<Tensor>;
  if (w === 0) {
    velocity = (x, time) => call(model, x, time, cond);
  } else {
    const labels = cond?.labels;
    if (!(labels instanceof Tensor)) fail('conditioning.labels (guidance needs labels)', 'conditioning.labels', labels);
    const nullLabel = checkInt(opts.nullLabel ?? (typeof model === 'object' ? model.numClasses : undefined), 'nullLabel (or a model with numClasses)', 0);
    velocity = (x, time) => {
      const n = x.shape[0];
      const both: Conditioning = { labels: cat([labels, fullLike(labels, nullLabel)]) };
      if (cond?.lowRes !== undefined) both.lowRes = cat([cond.lowRes, cond.lowRes]);
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
  return { f, x0, t, solverOptions, returnTrajectory, velocity };
}

/** 0, h, 2h, …, 1: the output times that make a trajectory hold every fixed step. */
function uniformTimes(stepSize: number): number[] {
  const steps = Math.ceil(1 / stepSize - 1e-9);
  // Checked before the array of times is built: steps: 1e9 must fail, not allocate.
  checkStepCount(steps, DEFAULT_MAX_NUM_STEPS, `stepSize = ${stepSize} on [0, 1]`, 0);
  return Array.from({ length: steps + 1 }, (_, i) => (i === steps ? 1 : i * stepSize));
}
