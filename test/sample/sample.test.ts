import test from 'ava';
import { tensor, randn, memory, manualSeed, ArgumentError, type Tensor } from '../../lib/index';
import { sample, sampleAsync } from '../../lib/sample';
import type { VelocityModel, Conditioning } from '../../lib/nn/velocity-model';
import { SolverError } from '../../lib/solvers';
import { otPath, veDiffusionPath } from '../../lib/paths/affine-path';
import type { GaussianPath } from '../../lib/paths/gaussian-path';

const f64 = { dtype: 'float64' as const };
const values = (t: Tensor): number[] => Array.from(t.data() as Float64Array);
const time = (t: Tensor): number => (t.data() as Float64Array)[0];

// The OT path towards the point m (x_t = σ_t·x0 + t·m, σ_t = 1 − (1 − σmin)·t) has the
// affine velocity a(t)·x + (1 − a(t)·t)·m with a = σ'_t/σ_t; it carries x0 to σmin·x0 + m.
const SIGMA = 0.05;
const m = [1.5, -0.5, 0.25];
function otModel(): VelocityModel {
  const mt = tensor(m, f64);
  return (x, t) => {
    const s = time(t);
    const a = -(1 - SIGMA) / (1 - (1 - SIGMA) * s);
    return x.mul(a).add(mt.mul(1 - a * s));
  };
}
const x0Values = [0.3, -1.2, 0.8, 2.0, 0.1, -0.7];
const endpoint = x0Values.map((v, i) => SIGMA * v + m[i % 3]);

test('samples reach the closed-form endpoint of a known velocity field', (t) => {
  const x0 = tensor(x0Values, { ...f64, shape: [2, 3] });
  const model = otModel();
  const before = memory().cpu.tensors;
  const r = sample(model, { x0, method: 'dopri5', rtol: 1e-9, atol: 1e-9 });
  t.deepEqual(r.samples.shape, [2, 3]);
  values(r.samples).forEach((v, i) => t.true(Math.abs(v - endpoint[i]) < 1e-6, `${v} vs ${endpoint[i]}`));
  t.true(r.nfe > 0);
  t.is(r.trajectory, undefined);
  r.samples.dispose();
  t.is(memory().cpu.tensors, before);
  x0.dispose();
});

test('dopri5 and Euler at fine steps agree on a nonlinear field', (t) => {
  const model: VelocityModel = (x, s) => x.tanh().neg().add(Math.sin(4 * time(s)));
  const x0 = tensor(x0Values, { ...f64, shape: [2, 3] });
  const adaptive = sample(model, { x0, method: 'dopri5', rtol: 1e-8, atol: 1e-8 });
  const euler = sample(model, { x0, method: 'euler', steps: 4000 });
  const a = values(adaptive.samples);
  values(euler.samples).forEach((v, i) => t.true(Math.abs(v - a[i]) < 5e-4, `${v} vs ${a[i]}`));
  t.is(euler.nfe, 4000);
  for (const x of [x0, adaptive.samples, euler.samples]) x.dispose();
});

test('returnTrajectory holds x at every fixed step, starting from x0', (t) => {
  const x0 = tensor(x0Values, { ...f64, shape: [2, 3] });
  const r = sample(otModel(), { x0, method: 'midpoint', steps: 8, returnTrajectory: true });
  const trajectory = r.trajectory as Tensor;
  t.deepEqual(trajectory.shape, [9, 2, 3]);
  t.deepEqual(values(trajectory.at(0)), x0Values);
  t.deepEqual(values(trajectory.at(8)), values(r.samples));
  // Eight midpoint steps on a field that stiffens towards t = 1: close, not exact.
  values(r.samples).forEach((v, i) => t.true(Math.abs(v - endpoint[i]) < 0.05));
  for (const x of [x0, r.samples, trajectory]) x.dispose();
});

test('classifier-free guidance combines the conditional and unconditional velocities', (t) => {
  const NULL = 3;
  // A constant velocity per label, so x1 = x0 + ṽ exactly: label ℓ pushes by ℓ + 1, none by −2.
  const seen: number[][] = [];
  const model = {
    numClasses: NULL,
    forward(x: Tensor, _t: Tensor, cond?: Conditioning): Tensor {
      const labels = Array.from((cond?.labels as Tensor).data() as BigInt64Array, Number);
      seen.push(labels);
      const push = labels.map((l) => (l === NULL ? -2 : l + 1));
      return tensor(push.flatMap((p) => [p, p]), { ...f64, shape: [labels.length, 2] }).add(x.mul(0));
    },
  };
  const x0 = tensor([[0, 0], [1, 1]], f64);
  const labels = tensor([0, 2]);
  const w = 1.5;
  const r = sample(model, { x0, method: 'euler', steps: 2, conditioning: { labels }, guidanceScale: w });
  t.deepEqual(seen[0], [0, 2, NULL, NULL], 'one batched call: conditional half, then the null label');
  const guided = [0, 2].map((l) => (1 + w) * (l + 1) - w * -2);
  t.deepEqual(values(r.samples), [guided[0], guided[0], 1 + guided[1], 1 + guided[1]]);
  t.is(r.nfe, 2);
  const plain = sample(model, { x0, method: 'euler', steps: 2, conditioning: { labels } });
  t.deepEqual(values(plain.samples), [1, 1, 4, 4]);
  const fn: VelocityModel = (x) => x;
  t.throws(() => sample(fn, { x0, conditioning: { labels }, guidanceScale: 1 }), { message: /for nullLabel/ });
  t.throws(() => sample(model, { x0, guidanceScale: 1 }), { message: /conditioning.labels/ });
  for (const x of [x0, labels, r.samples, plain.samples]) x.dispose();
});

test('noise is drawn from n and shape; the model gets float32 times and conditioning', (t) => {
  manualSeed(7);
  const lowRes = tensor([[1], [2], [3], [4]]);
  const calls: string[] = [];
  const r = sample((x, s, cond) => {
    calls.push(`${s.dtype}[${s.shape}] ${cond?.lowRes === lowRes}`);
    return x.mul(0);
  }, { n: 4, shape: [2, 5], steps: 3, conditioning: { lowRes } });
  t.deepEqual(r.samples.shape, [4, 2, 5]);
  t.deepEqual([...new Set(calls)], ['float32[4] true']);
  const drawn = Array.from(r.samples.data() as Float32Array);
  const mean = drawn.reduce((s, v) => s + v, 0) / drawn.length;
  t.true(Math.abs(mean) < 0.5 && drawn.some((v) => v !== drawn[0]), 'standard normal noise');
  r.samples.dispose();
  lowRes.dispose();
});

test('sampleAsync matches sample, yields to the event loop and can be aborted', async (t) => {
  const x0 = tensor(x0Values, { ...f64, shape: [2, 3] });
  const sync = sample(otModel(), { x0, method: 'rk4', steps: 20 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const r = await sampleAsync(otModel(), { x0, method: 'rk4', steps: 20 });
  clearInterval(timer);
  t.deepEqual(values(r.samples), values(sync.samples));
  t.true(ticks > 0);
  const before = memory().cpu.tensors;
  const controller = new AbortController();
  let calls = 0;
  const model: VelocityModel = (x) => {
    if (++calls === 5) controller.abort();
    return x;
  };
  const e = (await t.throwsAsync(sampleAsync(model, { x0, steps: 100, signal: controller.signal }), { instanceOf: SolverError })) as SolverError;
  t.is(e.code, 'ERR_ABORTED');
  t.is(memory().cpu.tensors, before);
  for (const x of [x0, sync.samples, r.samples]) x.dispose();
});

test("the model's time has the state's dtype, as torchdiffeq hands it", (t) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const seen = new Set<string>();
    const x0 = tensor(x0Values, { dtype, shape: [2, 3] });
    const r = sample((x, s) => {
      seen.add(`${s.dtype}[${s.shape}]`);
      return x.mul(0);
    }, { x0, method: 'dopri5' });
    t.deepEqual([...seen], [`${dtype}[2]`]);
    for (const x of [x0, r.samples]) x.dispose();
  }
});

test('drawn noise has the std of priorStd, by default the path\'s (σ_max for VE), else 1', (t) => {
  const still: VelocityModel = (x) => x.mul(0);
  const n = 20000;
  const std = (x: Tensor): number => {
    const v = Array.from(x.data() as Float32Array);
    const mean = v.reduce((s, a) => s + a, 0) / v.length;
    return Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / (v.length - 1));
  };
  const path = veDiffusionPath({ sigmaMax: 20 });
  for (const [name, opts, sigma0] of [
    ['no path', {}, 1],
    ['the VE path', { path }, path.priorStd],
    ['the OT path', { path: otPath() }, 1],
    ['priorStd over the path', { path, priorStd: 3 }, 3],
  ] as [string, { path?: GaussianPath; priorStd?: number }, number][]) {
    manualSeed(11);
    const r = sample(still, { n, shape: [2], steps: 2, returnTrajectory: true, ...opts });
    const first = (r.trajectory as Tensor).at(0);
    // The noise is σ_0·ε with ε the seed's standard normal draw, …
    manualSeed(11);
    const eps = randn([n, 2]);
    const want = Array.from(eps.mul(sigma0).data() as Float32Array);
    t.deepEqual(Array.from(first.data() as Float32Array), want, name);
    // … so its sample std is σ_0 within a few standard errors (σ_0/sqrt(2·(2n − 1))).
    const s = std(first);
    t.true(Math.abs(s - sigma0) < 4 * sigma0 / Math.sqrt(2 * (2 * n - 1)), `${name}: std ${s} vs ${sigma0}`);
    for (const x of [r.samples, r.trajectory as Tensor, first, eps]) x.dispose();
  }
  t.true(path.priorStd > 19.99 && path.priorStd < 20.01);
  t.throws(() => sample(still, { n: 2, shape: [2], priorStd: -1 }), { instanceOf: ArgumentError, message: /priorStd/ });
  t.throws(() => sample(still, { n: 2, shape: [2], path: {} as never }), { instanceOf: ArgumentError, message: /for path/ });
  t.throws(() => sample(still, { n: 2, shape: [2], priorStd: 2, logProb: true, logP0: (x) => x.sum(1) }), { instanceOf: ArgumentError, message: /either logP0 or priorStd/ });
});

test('logProb of samples from N(0, σ_0²·I) under a scaling field is the closed-form Gaussian density', (t) => {
  // v = c·x carries x0 to x1 = e^c·x0: N(0, σ0²·I) becomes N(0, (σ0·e^c)²·I).
  const c = -0.4;
  const sigma0 = 4;
  manualSeed(3);
  const r = sample((x) => x.mul(c), { n: 5, shape: [3], method: 'dopri5', rtol: 1e-9, atol: 1e-9, priorStd: sigma0, logProb: true });
  const s1 = sigma0 * Math.exp(c);
  const rowsOf = r.samples.double().toArray() as number[][];
  const got = Array.from(r.logProb!.double().data() as Float64Array);
  rowsOf.forEach((row, i) => {
    const want = -0.5 * row.reduce((a, v) => a + (v / s1) ** 2, 0) - 3 * Math.log(s1) - 1.5 * Math.log(2 * Math.PI);
    t.true(Math.abs(got[i] - want) < 1e-4, `sample ${i}: ${got[i]} vs ${want}`);
  });
  r.samples.dispose();
  r.logProb!.dispose();
});
