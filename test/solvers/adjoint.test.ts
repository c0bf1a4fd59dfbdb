import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tensor, stack, grad, noGrad, memory, cpuCacheStats, createMLP, full, manualSeed, ArgumentError, type Tensor } from '../../lib/index';
import { odeint, odeintAsync, odeintAdjoint, type OdeMethod } from '../../lib/solvers';
import { liveCustomFunctions } from '../../lib/custom-function';
import { linearProblem, mlpProblem, mlpValues, mlpField, expm, LINEAR_A, LINEAR_T, MLP_T, type GradientProblem } from '../helpers/gradient-problems';

const f64 = { dtype: 'float64' as const };
const values = (t: Tensor): number[] => Array.from(t.data() as Float64Array);
const maxAbs = (a: number[], b: number[]): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

interface Fixture {
  linear_expm: { y0: number[]; A: number[][] };
  gradients: { kind: 'direct' | 'adjoint'; problem: 'linear' | 'mlp'; rtol: number; atol: number; method: OdeMethod; seminorm: boolean; nfe_forward: number; nfe_backward: number; y0: number[]; params: number[][] }[];
}
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'solvers', 'torchdiffeq-gradients.json'), 'utf8')) as Fixture;

type Mode = 'direct' | 'adjoint';
interface Gradients { y0: number[]; params: number[][]; nfe: number; backwardNfe: number }

function gradients(p: GradientProblem, mode: Mode, opts: Parameters<typeof odeintAdjoint>[3] = {}): Gradients {
  const sol = mode === 'adjoint' ? odeintAdjoint(p.f, p.y0, p.t, { ...opts, adjointParams: p.params }) : odeint(p.f, p.y0, p.t, opts);
  const g = grad(sol.solution.mul(p.w).sum(), [p.y0, ...p.params]) as Tensor[];
  return { y0: values(g[0]), params: g.slice(1).map(values), nfe: sol.nfe, backwardNfe: 'backward' in sol ? sol.backward.nfe : 0 };
}

/** Loss gradients of the linear problem by autograd through the matrix exponential. */
function expmGradients(): { y0: number[]; a: number[] } {
  const p = linearProblem();
  const ys = stack(p.t.map((s) => expm(p.params[0].mul(s)).matmul(p.y0)));
  const [gy, ga] = grad(ys.mul(p.w).sum(), [p.y0, p.params[0]]) as Tensor[];
  return { y0: values(gy), a: values(ga) };
}

test('the matrix-exponential reference agrees with torch.linalg.matrix_exp', (t) => {
  const ref = expmGradients();
  t.true(maxAbs(ref.y0, fixture.linear_expm.y0) < 1e-13);
  t.true(maxAbs(ref.a, fixture.linear_expm.A.flat()) < 1e-13);
});

// y' = A·y: gradients w.r.t. y0 and A against the closed form, for backprop through the
// solver (adaptive and fixed-grid) and for the adjoint, to the solver's tolerance.
const linearCases: { name: string; mode: Mode; opts: Parameters<typeof odeintAdjoint>[3]; bound: number }[] = [
  { name: 'direct, dopri5 1e-6', mode: 'direct', opts: { rtol: 1e-6, atol: 1e-8 }, bound: 2e-5 },
  { name: 'direct, dopri5 1e-9', mode: 'direct', opts: { rtol: 1e-9, atol: 1e-11 }, bound: 2e-8 },
  { name: 'direct, tsit5 1e-9', mode: 'direct', opts: { method: 'tsit5', rtol: 1e-9, atol: 1e-11 }, bound: 2e-8 },
  { name: 'direct, rk4 step 0.01', mode: 'direct', opts: { method: 'rk4', options: { step_size: 0.01 } }, bound: 1e-7 },
  { name: 'adjoint, dopri5 1e-6', mode: 'adjoint', opts: { rtol: 1e-6, atol: 1e-8 }, bound: 2e-5 },
  { name: 'adjoint, dopri5 1e-9', mode: 'adjoint', opts: { rtol: 1e-9, atol: 1e-11 }, bound: 2e-8 },
  { name: 'adjoint, seminorm 1e-9', mode: 'adjoint', opts: { rtol: 1e-9, atol: 1e-11, adjointOptions: { norm: 'seminorm' } }, bound: 2e-8 },
  { name: 'adjoint, rk4 step 0.01', mode: 'adjoint', opts: { method: 'rk4', options: { step_size: 0.01 } }, bound: 1e-7 },
];
for (const c of linearCases) {
  test(`y' = A·y gradients match the matrix exponential: ${c.name}`, (t) => {
    const ref = expmGradients();
    const g = gradients(linearProblem(), c.mode, c.opts);
    const errY = maxAbs(g.y0, ref.y0);
    const errA = maxAbs(g.params[0], ref.a);
    t.log(`max error dL/dy0 ${errY.toExponential(2)}, dL/dA ${errA.toExponential(2)}; NFE forward ${g.nfe}, backward ${g.backwardNfe}`);
    t.true(errY < c.bound && errA < c.bound, `errors ${errY}, ${errA}`);
  });
}

test('odeintAsync keeps the graph too', async (t) => {
  const ref = expmGradients();
  const p = linearProblem();
  const sol = await odeintAsync(p.f, p.y0, p.t, { rtol: 1e-9, atol: 1e-11 });
  const [gy, ga] = grad(sol.solution.mul(p.w).sum(), [p.y0, p.params[0]]) as Tensor[];
  t.true(maxAbs(values(gy), ref.y0) < 2e-8 && maxAbs(values(ga), ref.a) < 2e-8);
});

// The tanh field: float64 central differences of the loss, each from a tight solve.
function mlpLoss(v: ReturnType<typeof mlpValues>): number {
  return noGrad(() => {
    const p = mlpProblem(v);
    const sol = odeint(p.f, p.y0, p.t, { rtol: 1e-12, atol: 1e-14 });
    return sol.solution.mul(p.w).sum().item() as number;
  });
}
const PROBES: { name: string; at: (v: ReturnType<typeof mlpValues>) => [number[], number]; grad: (g: Gradients) => number }[] = [
  { name: 'y0[0][0]', at: (v) => [v.y0[0], 0], grad: (g) => g.y0[0] },
  { name: 'y0[5][1]', at: (v) => [v.y0[5], 1], grad: (g) => g.y0[11] },
  { name: 'W1[3][1]', at: (v) => [v.w1[3], 1], grad: (g) => g.params[0][7] },
  { name: 'b1[7]', at: (v) => [v.b1, 7], grad: (g) => g.params[1][7] },
  { name: 'c1[2]', at: (v) => [v.c1, 2], grad: (g) => g.params[2][2] },
  { name: 'W2[1][9]', at: (v) => [v.w2[1], 9], grad: (g) => g.params[3][25] },
  { name: 'b2[0]', at: (v) => [v.b2, 0], grad: (g) => g.params[4][0] },
];

test('tanh MLP field: direct and adjoint gradients match float64 central differences', (t) => {
  const direct = gradients(mlpProblem(), 'direct', { rtol: 1e-9, atol: 1e-11 });
  const adjoint = gradients(mlpProblem(), 'adjoint', { rtol: 1e-9, atol: 1e-11 });
  const h = 1e-4;
  for (const probe of PROBES) {
    const plus = mlpValues();
    const minus = mlpValues();
    const [rowP, iP] = probe.at(plus);
    const [rowM, iM] = probe.at(minus);
    rowP[iP] += h;
    rowM[iM] -= h;
    const fd = (mlpLoss(plus) - mlpLoss(minus)) / (2 * h);
    const dErr = Math.abs(probe.grad(direct) - fd);
    const aErr = Math.abs(probe.grad(adjoint) - fd);
    t.log(`${probe.name}: FD ${fd.toFixed(9)}, direct error ${dErr.toExponential(2)}, adjoint error ${aErr.toExponential(2)}`);
    t.true(dErr < 1e-6 * (1 + Math.abs(fd)) && aErr < 1e-6 * (1 + Math.abs(fd)), probe.name);
  }
});

test('direct backprop and the adjoint agree within the tolerance', (t) => {
  for (const [tol, bound] of [[1e-6, 1e-4], [1e-9, 1e-7]]) {
    const d = gradients(mlpProblem(), 'direct', { rtol: tol, atol: tol * 1e-2 });
    const a = gradients(mlpProblem(), 'adjoint', { rtol: tol, atol: tol * 1e-2 });
    const worst = Math.max(maxAbs(d.y0, a.y0), ...d.params.map((p, i) => maxAbs(p, a.params[i])));
    t.true(worst < bound, `rtol ${tol}: largest difference ${worst}`);
  }
});

// torchdiffeq's own numbers (generate_gradients.py): the same forward NFE, the same adjoint
// backward NFE where its adjoint state matches this one (it also carries a time gradient,
// which shifts its seminorm's steps for a time-dependent field), and gradients as accurate.
for (const c of fixture.gradients) {
  const label = `${c.kind} ${c.problem} ${c.method} rtol ${c.rtol}${c.seminorm ? ' seminorm' : ''}`;
  test(`torchdiffeq parity: ${label}`, (t) => {
    const p = c.problem === 'linear' ? linearProblem() : mlpProblem();
    const g = gradients(p, c.kind, { rtol: c.rtol, atol: c.atol, method: c.method, adjointOptions: c.seminorm ? { norm: 'seminorm' } : undefined });
    t.is(g.nfe, c.nfe_forward);
    const timeDependentSeminorm = c.seminorm && c.problem === 'mlp';
    if (!timeDependentSeminorm) t.is(g.backwardNfe, c.nfe_backward);
    t.log(`NFE forward ${g.nfe} (torchdiffeq ${c.nfe_forward}), backward ${g.backwardNfe} (torchdiffeq ${c.nfe_backward})`);
    // Accuracy against a reference far tighter than either: the closed form, or a 1e-12 solve.
    const ref = c.problem === 'linear'
      ? (() => { const e = expmGradients(); return { y0: e.y0, params: [e.a] }; })()
      : gradients(mlpProblem(), 'adjoint', { rtol: 1e-12, atol: 1e-14 });
    const err = (y0: number[], params: number[][]): number => Math.max(maxAbs(y0, ref.y0), ...params.map((q, i) => maxAbs(q, ref.params[i])));
    const ours = err(g.y0, g.params);
    const theirs = err(c.y0, c.params);
    t.log(`max gradient error ${ours.toExponential(2)} (torchdiffeq ${theirs.toExponential(2)})`);
    t.true(ours <= 1.5 * theirs + 1e-12, `${ours} vs torchdiffeq's ${theirs}`);
  });
}

test('seminorm needs fewer backward evaluations than the full adjoint norm', (t) => {
  const full = gradients(mlpProblem(), 'adjoint', { rtol: 1e-6, atol: 1e-8 });
  const semi = gradients(mlpProblem(), 'adjoint', { rtol: 1e-6, atol: 1e-8, adjointOptions: { norm: 'seminorm' } });
  t.true(semi.backwardNfe < full.backwardNfe, `${semi.backwardNfe} vs ${full.backwardNfe}`);
});

// Memory: the solve's graph (direct backprop) holds every stage of every step; the adjoint
// holds the outputs and one step. Counted by live CPU blocks (the state is 8 KiB, above the
// caching allocator's 4 KiB threshold) and by live tensor handles.
function memoryProfile(mode: Mode, steps: number): { graphBytes: number; peakBytes: number; peakTensors: number } {
  const stats = cpuCacheStats();
  if (!stats.enabled) throw new Error('the CPU caching allocator is off (FLOWMATCH_CPU_CACHE_MB=0): its counters measure this test');
  const values0 = mlpValues();
  const params = [values0.w1, values0.b1, values0.c1, values0.w2, values0.b2].map((v) => tensor(v, f64).requiresGrad_());
  const y0 = tensor(Array.from({ length: 512 }, (_, i) => [Math.cos(i), Math.sin(0.5 * i)]), f64).requiresGrad_();
  const field = mlpField(params);
  let sampling = false;
  let peakBytes = 0;
  let peakTensors = 0;
  const before = cpuCacheStats().inUseBytes;
  const beforeTensors = memory().cpu.tensors;
  const f = (s: number, y: Tensor): Tensor => {
    if (sampling) {
      peakBytes = Math.max(peakBytes, cpuCacheStats().inUseBytes - before);
      peakTensors = Math.max(peakTensors, memory().cpu.tensors - beforeTensors);
    }
    return field(s, y);
  };
  const opts = { method: 'rk4' as const, options: { step_size: 1 / steps } };
  const sol = mode === 'adjoint' ? odeintAdjoint(f, y0, [0, 1], { ...opts, adjointParams: params }) : odeint(f, y0, [0, 1], opts);
  const loss = sol.solution.select(0, 1).pow(2).sum();
  const graphBytes = cpuCacheStats().inUseBytes - before;
  sampling = true;
  loss.backward();
  sampling = false;
  return { graphBytes, peakBytes, peakTensors };
}

test('adjoint backward memory does not grow with the number of steps; direct backprop memory does', (t) => {
  const d50 = memoryProfile('direct', 50);
  const d500 = memoryProfile('direct', 500);
  const a50 = memoryProfile('adjoint', 50);
  const a500 = memoryProfile('adjoint', 500);
  t.log(`direct: graph ${d50.graphBytes} B (50 steps), ${d500.graphBytes} B (500 steps)`);
  t.log(`adjoint: graph ${a50.graphBytes} / ${a500.graphBytes} B; backward peak ${a50.peakBytes} / ${a500.peakBytes} B, ${a50.peakTensors} / ${a500.peakTensors} tensors`);
  t.true(d500.graphBytes > 5 * d50.graphBytes, 'the direct graph grows with the steps');
  t.true(a500.graphBytes <= a50.graphBytes + 16384, 'the adjoint forward keeps no graph');
  t.true(a500.peakBytes <= 1.25 * a50.peakBytes + 16384, 'the adjoint backward peak is flat');
  t.true(a500.peakTensors <= a50.peakTensors + 4, 'live tensors during the adjoint backward are flat');
  t.true(a500.peakBytes < d500.graphBytes / 5);
});

test('tuple states and decreasing grids: adjoint equals direct backprop', (t) => {
  const k = tensor([[0.0, 1.0], [-1.5, -0.2]], f64).requiresGrad_();
  const f = (_s: number, [x, v]: Tensor[]): Tensor[] => [v.mul(k.select(0, 0).select(0, 1)), x.mul(k.select(1, 0)).add(v.mul(k.select(1, 1)))];
  const y0 = [tensor([1.0, -0.5], f64).requiresGrad_(), tensor([0.2, 0.3], f64).requiresGrad_()];
  const times = [2.0, 1.2, 0.3, -0.5];
  const w = [tensor([0.3, -1.0], f64), tensor([1.1, 0.4], f64)];
  const loss = (sol: Tensor[]): Tensor => sol[0].select(0, 3).mul(w[0]).sum().add(sol[1].sum(0).mul(w[1]).sum());
  const opts = { rtol: 1e-10, atol: 1e-12 };
  const d = grad(loss(odeint(f, y0, times, opts).solution), [...y0, k]) as Tensor[];
  const adj = odeintAdjoint(f, y0, times, { ...opts, adjointParams: [k] });
  const a = grad(loss(adj.solution), [...y0, k]) as Tensor[];
  d.forEach((g, i) => t.true(maxAbs(values(g), values(a[i])) < 1e-8, `input ${i}`));
  t.true(adj.backward.nfe > 0 && adj.backward.runs === 1);
});

test("a native Module's parameters() are adjointParams", (t) => {
  // Seeded and in float64 at tight tolerances, so that the two gradients' difference is the
  // solvers' error alone, not float32 rounding of whatever weights the test happened to draw.
  manualSeed(21);
  const model = createMLP({ dim: 2, width: 16, depth: 2, activation: 'tanh' }).to('float64');
  const x0 = tensor(Array.from({ length: 16 }, (_, i) => [Math.cos(i), Math.sin(i)]), { dtype: 'float64' });
  const f = (s: number, x: Tensor): Tensor => model.forward(x, full([x.shape[0]], s, { dtype: 'float64' }));
  const run = (mode: Mode): number[][] => {
    for (const p of model.parameters()) p.grad = null;
    const opts = { rtol: 1e-8, atol: 1e-8 };
    const sol = mode === 'adjoint' ? odeintAdjoint(f, x0, [0, 1], { ...opts, adjointParams: model }) : odeint(f, x0, [0, 1], opts);
    sol.solution.select(0, 1).pow(2).sum().backward();
    return model.parameters().map((p) => values(p.grad!.double()));
  };
  const d = run('direct');
  const a = run('adjoint');
  d.forEach((g, i) => {
    const scale = Math.max(1e-3, ...g.map(Math.abs));
    t.true(maxAbs(g, a[i]) < 1e-5 * scale, `parameter ${i}: ${maxAbs(g, a[i])} at scale ${scale}`);
  });
});

test('the backward of odeintAdjoint runs once unless the graph is retained, and frees its state', (t) => {
  const p = linearProblem();
  const before = liveCustomFunctions();
  const sol = odeintAdjoint(p.f, p.y0, p.t, { adjointParams: p.params });
  // sum() saves nothing, so a third backward reaches the adjoint's own node.
  const loss = sol.solution.sum();
  loss.backward(undefined, { retainGraph: true });
  const once = values(p.y0.grad!);
  loss.backward();
  t.true(maxAbs(values(p.y0.grad!), once.map((v) => 2 * v)) < 1e-12, 'the retained graph ran again');
  t.is(sol.backward.runs, 2);
  t.throws(() => loss.backward(), { code: 'ERR_BACKWARD_TWICE' });
  t.is(liveCustomFunctions(), before, 'the closure was released after the last backward');
});

test('an error thrown by f during the adjoint backward reaches the caller as thrown', (t) => {
  const p = linearProblem();
  let backward = false;
  class FieldError extends Error {}
  const sol = odeintAdjoint((s, y) => {
    if (backward) throw new FieldError(`f failed at t = ${s}`);
    return p.f(s, y);
  }, p.y0, p.t, { adjointParams: p.params });
  backward = true;
  const e = t.throws(() => sol.solution.sum().backward());
  t.true(e instanceof FieldError, String(e));
});

test('odeintAdjoint validates its adjoint options as torchdiffeq does', (t) => {
  const p = linearProblem();
  t.throws(() => odeintAdjoint(p.f, p.y0, p.t, { method: 'dopri5', options: { first_step: 0.1 }, adjointMethod: 'rk4' }), { instanceOf: ArgumentError, message: /adjointOptions/ });
  t.throws(() => odeintAdjoint(p.f, p.y0, p.t, { adjointParams: [1 as unknown as Tensor] }), { instanceOf: ArgumentError, message: /adjointParams\[0\]/ });
  t.throws(() => odeintAdjoint(p.f, p.y0, p.t, { adjointOptions: { norm: 'l2' as 'seminorm' } }), { instanceOf: ArgumentError, message: /adjointOptions.norm/ });
  // Without grad, no graph: the solution is plain.
  const sol = noGrad(() => odeintAdjoint(p.f, p.y0, p.t, { adjointParams: p.params }));
  t.false(sol.solution.requiresGrad);
  t.deepEqual(LINEAR_T, p.t);
  t.is(LINEAR_A.length, 3);
  t.is(MLP_T.length, 4);
});
