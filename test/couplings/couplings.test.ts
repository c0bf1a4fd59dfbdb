import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../../lib/index';
import { otCoupling, resolveCoupling, schrodingerBridge, BrownianBridgePath, tensor, zeros, randn, manualSeed, memory, type Tensor } from '../../lib/index';
import { seededRandom } from '../../lib/metrics/subsample';

type Fixture = {
  exact: { seed: number; n: number; kind: 'uniform' | 'integer'; cost: number }[];
  sinkhorn: { seed: number; n: number; m: number; d: number; reg: number; cost: number; iterations: number; plan: number[][] | null; planRows: number[][] }[];
};
const POT: Fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'couplings', 'pot-0.9.7.json'), 'utf8'));

/** The generator of test/fixtures/couplings/generate.py, exact in doubles (products stay below 2⁵³). */
function minstd(seed: number, count: number): Float64Array {
  const out = new Float64Array(count);
  let s = seed;
  for (let k = 0; k < count; k++) {
    s = (s * 48271) % 2147483647;
    out[k] = s / 2147483647;
  }
  return out;
}

const f64 = (values: Float64Array, shape: number[]): Tensor => tensor(Array.from(values), { dtype: 'float64' }).reshape(shape);
/** A coupling of n dummy rows whose cost is the given matrix. */
const withCost = (cost: Tensor, options: fm.OTCouplingOptions = {}) => otCoupling(zeros([cost.shape[0], 1]), zeros([cost.shape[1], 1]), { ...options, cost: () => cost });
const isPermutation = (a: number[]): boolean => a.length === new Set(a).size && a.every((j) => j >= 0 && j < a.length);

function bruteForce(c: number[][]): number {
  const n = c.length;
  let best = Infinity;
  const used = new Array(n).fill(false);
  const walk = (row: number, sum: number): void => {
    if (row === n) {
      best = Math.min(best, sum);
      return;
    }
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      used[j] = true;
      walk(row + 1, sum + c[row][j]);
      used[j] = false;
    }
  };
  walk(0, 0);
  return best / n;
}

test('exact OT reaches the brute-force optimum for every n up to 8, ties included', (t) => {
  const random = seededRandom(7);
  for (let n = 1; n <= 8; n++) {
    for (const kind of ['real', 'ties', 'negative']) {
      const c = Array.from({ length: n }, () => Array.from({ length: n }, () => (kind === 'ties' ? Math.floor(random() * 3) : kind === 'negative' ? random() * 10 - 5 : random())));
      const r = withCost(tensor(c, { dtype: 'float64' }));
      const a = r.assignment.toArray() as number[];
      t.true(isPermutation(a), `n=${n} ${kind}`);
      const matched = a.reduce((s, j, i) => s + c[i][j], 0) / n;
      t.true(Math.abs(r.cost - matched) < 1e-12, `reported cost of n=${n}`);
      t.true(Math.abs(r.cost - bruteForce(c)) < 1e-12, `n=${n} ${kind}: ${r.cost} vs ${bruteForce(c)}`);
    }
  }
});

for (const c of POT.exact) {
  test(`exact OT cost equals POT's ot.emd at n = ${c.n} (${c.kind} costs)`, (t) => {
    let values = minstd(c.seed, c.n * c.n);
    if (c.kind === 'integer') values = values.map((v) => Math.floor(v * 40));
    const r = withCost(f64(values, [c.n, c.n]));
    t.true(isPermutation(r.assignment.toArray() as number[]));
    t.true(Math.abs(r.cost - c.cost) <= 1e-12 * Math.max(1, c.cost), `${r.cost} vs POT ${c.cost}`);
  });
}

for (const c of POT.sinkhorn) {
  test(`Sinkhorn plan and cost equal POT's ot.sinkhorn (sinkhorn_log) at reg ${c.reg}, ${c.n}×${c.m} in ${c.d}-D`, (t) => {
    const a = f64(minstd(c.seed, c.n * c.d).map((v) => v * 4 - 2), [c.n, c.d]);
    const b = f64(minstd(c.seed + 100, c.m * c.d).map((v) => v * 4 - 2), [c.m, c.d]);
    const r = otCoupling(a, b, { method: 'sinkhorn', reg: c.reg });
    t.is(r.iterations, c.iterations);
    t.true(Math.abs(r.cost - c.cost) <= 1e-6 * c.cost, `${r.cost} vs POT ${c.cost}`);
    const plan = r.plan!.toArray() as number[][];
    const reference = c.plan ?? c.planRows;
    const largest = Math.max(...reference.flat());
    let worst = 0;
    reference.forEach((row, i) => row.forEach((p, j) => (worst = Math.max(worst, Math.abs(plan[i][j] - p)))));
    // Relative to the plan's largest entry: stricter than 1e-6 absolute for entries of order 1/(n·m).
    t.true(worst <= 1e-6 * largest, `max |ΔP| ${worst} vs largest entry ${largest}`);
  });
}

test('exact OT equals the JavaScript Hungarian solver on clustered clouds, duplicated points and a constant cost', (t) => {
  manualSeed(12);
  const clouds: [Tensor, Tensor][] = [
    [randn([300, 2]), fm.moons(300)],
    [fm.eightGaussians(200), fm.checkerboard(200)],
    // Every x1 point twice: ties between whole columns.
    [randn([100, 3]), fm.cat([randn([50, 3]), randn([50, 3])]).round()],
    [zeros([20, 2]), zeros([20, 2])],
  ];
  for (const [a, b] of clouds) {
    const n = a.shape[0];
    const flat = (x: Tensor) => x.reshape([n, -1]).to('float64');
    const cost = flat(a).reshape([n, 1, -1]).sub(flat(b).reshape([1, n, -1])).square().sum(2);
    const c = cost.data() as Float64Array;
    const js = fm.solveAssignment(c, n);
    let best = 0;
    for (let i = 0; i < n; i++) best += c[i * n + js[i]];
    const r = otCoupling(a, b);
    t.true(isPermutation(r.assignment.toArray() as number[]));
    t.true(Math.abs(r.cost - best / n) <= 1e-12 * Math.max(1, best / n), `n=${n}: ${r.cost} vs ${best / n}`);
  }
});

test('Sinkhorn with a small reg approaches the exact optimum, and its argmax pairing the exact assignment', (t) => {
  manualSeed(3);
  const x0 = randn([64, 2]);
  const x1 = randn([64, 2]).add(1);
  const exact = otCoupling(x0, x1);
  const entropic = otCoupling(x0, x1, { method: 'sinkhorn', reg: 0.01, maxIterations: 20000 });
  t.true(entropic.cost >= exact.cost - 1e-9);
  t.true(entropic.cost - exact.cost < 0.02 * exact.cost, `${entropic.cost} vs ${exact.cost}`);
  const exactPairs = exact.assignment.toArray() as number[];
  const agree = (entropic.assignment.toArray() as number[]).filter((j, i) => j === exactPairs[i]).length;
  t.true(agree >= 0.8 * 64, `${agree} of 64 rows agree`);
});

test('the default cost is the squared Euclidean distance of the flattened rows', (t) => {
  manualSeed(4);
  const x0 = randn([12, 2, 3]);
  const x1 = randn([12, 2, 3]);
  const flat0 = x0.reshape([12, 6]).to('float64');
  const flat1 = x1.reshape([12, 6]).to('float64');
  const explicit = (a: Tensor, b: Tensor) => a.reshape([12, 1, 6]).to('float64').sub(b.reshape([1, 12, 6]).to('float64')).square().sum(2);
  const byDefault = otCoupling(x0, x1);
  const byFunction = otCoupling(x0, x1, { cost: explicit });
  t.deepEqual(byDefault.assignment.toArray(), byFunction.assignment.toArray());
  t.true(Math.abs(byDefault.cost - byFunction.cost) < 1e-12);
  const a = byDefault.assignment.toArray() as number[];
  const direct = a.reduce((s, j, i) => s + (flat0.select(0, i).sub(flat1.select(0, j)).square().sum().item() as number), 0) / 12;
  t.true(Math.abs(direct - byDefault.cost) < 1e-9);
});

test('label-aware exact OT pairs only within a class, optimally in each', (t) => {
  const random = seededRandom(11);
  const n = 12;
  const labels = Array.from({ length: n }, (_, i) => [2, 0, 1][i % 3]);
  const c = Array.from({ length: n }, () => Array.from({ length: n }, () => random()));
  const r = withCost(tensor(c, { dtype: 'float64' }), { labels: tensor(labels, { dtype: 'int64' }) });
  const a = r.assignment.toArray() as number[];
  t.true(isPermutation(a));
  a.forEach((j, i) => t.is(labels[j], labels[i]));
  let expected = 0;
  for (const cls of [0, 1, 2]) {
    const idx = labels.flatMap((l, i) => (l === cls ? [i] : []));
    expected += bruteForce(idx.map((i) => idx.map((j) => c[i][j]))) * idx.length;
  }
  t.true(Math.abs(r.cost - expected / n) < 1e-12);
});

test('label-aware Sinkhorn: no mass across classes, every class balanced with its share', (t) => {
  manualSeed(5);
  const labels = tensor([0, 1, 0, 1, 1, 2, 0, 1], { dtype: 'int64' });
  const r = otCoupling(randn([8, 2]), randn([8, 2]), { method: 'sinkhorn', reg: 0.5, labels });
  const plan = r.plan!.toArray() as number[][];
  const l = labels.toArray() as number[];
  plan.forEach((row, i) => row.forEach((p, j) => l[i] !== l[j] && t.is(p, 0)));
  plan.forEach((row) => t.true(Math.abs(row.reduce((s, p) => s + p, 0) - 1 / 8) < 1e-8));
  (r.assignment.toArray() as number[]).forEach((j, i) => t.is(l[j], l[i]));
});

test('plan sampling is seeded: the same seed draws the same pairs', (t) => {
  const draw = (seed: number) => {
    manualSeed(seed);
    const x0 = randn([32, 2]);
    const x1 = randn([32, 2]);
    return otCoupling(x0, x1, { method: 'sinkhorn', reg: 1, pairing: 'sample' }).assignment.toArray();
  };
  t.deepEqual(draw(1), draw(1));
  t.notDeepEqual(draw(1), draw(2));
});

test('the trainer coupling reorders every per-row tensor of the batch, labels with their rows', (t) => {
  manualSeed(6);
  const coupling = resolveCoupling({ method: 'exact-ot', labelAware: false })!;
  const x = randn([16, 2]);
  const labels = tensor(Array.from({ length: 16 }, (_, i) => i), { dtype: 'int64' });
  const x0 = randn([16, 2]);
  const paired = coupling.pair(x0, { x, labels });
  const order = (paired.labels as Tensor).toArray() as number[];
  t.true(isPermutation(order));
  t.deepEqual(paired.x.toArray(), x.indexSelect(0, tensor(order, { dtype: 'int64' })).toArray());
  t.deepEqual(order, otCoupling(x0, x).assignment.toArray());
});

test('bad coupling arguments are refused with the argument named', (t) => {
  t.throws(() => otCoupling(randn([3, 2]), randn([4, 2])), { code: 'ERR_SHAPE', message: /same number of rows/ });
  t.throws(() => otCoupling(randn([3, 2]), randn([3, 2]), { method: 'greedy' as 'exact' }), { message: /options\.method/ });
  t.throws(() => otCoupling(randn([3, 2]), randn([3, 2]), { method: 'sinkhorn', reg: 0 }), { message: /options\.reg/ });
  t.throws(() => otCoupling(randn([3, 2]), randn([3, 3])), { code: 'ERR_SHAPE', message: /same size/ });
  t.throws(() => withCost(tensor([[0, NaN], [1, 2]], { dtype: 'float64' })), { message: /NaN or infinite/ });
  t.throws(() => otCoupling(randn([3, 2]), randn([3, 2]), { cost: () => zeros([2, 3]) }), { message: /shape \[3, 3\]/ });
  t.throws(() => otCoupling(randn([3, 2]), randn([3, 2]), { labels: tensor([0, 1]) }), { message: /options\.labels/ });
  t.throws(() => resolveCoupling('optimal' as 'exact-ot'), { message: /coupling/ });
  t.throws(() => resolveCoupling({ method: 'exact-ot', reg: 1 }), { message: /Sinkhorn's/ });
});

test('otCoupling leaves no tensors behind but its results', (t) => {
  const x0 = randn([20, 2]);
  const x1 = randn([20, 2]);
  const before = memory().cpu.tensors;
  const r = otCoupling(x0, x1, { method: 'sinkhorn', reg: 0.5 });
  t.is(memory().cpu.tensors, before + 2);
  r.plan!.dispose();
  r.assignment.dispose();
  t.is(memory().cpu.tensors, before);
});

async function losses(coupling: fm.CouplingSpec | undefined, seed: number, extra: Partial<fm.TrainOptions> = {}): Promise<number[]> {
  manualSeed(seed);
  const model = fm.createMLP({ dim: 2, hidden: [32, 32] });
  try {
    const r = await fm.train({ model, path: fm.otPath(), data: () => ({ x: fm.moons(64) }), steps: 15, coupling, seed, progress: false, ema: false, ...extra });
    return r.losses;
  } finally {
    model.dispose();
  }
}

test.serial('same seed → same pairing → bit-identical loss curves (exact OT, Sinkhorn argmax, Sinkhorn sampling)', async (t) => {
  for (const coupling of ['exact-ot', { method: 'sinkhorn', reg: 0.1 }, { method: 'sinkhorn', reg: 0.5, pairing: 'sample' }] as fm.CouplingSpec[]) {
    const a = await losses(coupling, 3);
    const b = await losses(coupling, 3);
    t.deepEqual(a, b, JSON.stringify(coupling));
    t.notDeepEqual(a, await losses(coupling, 4));
  }
});

test.serial("'independent' is the trainer without a coupling, and OT couplings lower the CFM loss", async (t) => {
  const plain = await losses(undefined, 5);
  t.deepEqual(await losses('independent', 5), plain);
  const ot = await losses('exact-ot', 5);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  // Paired noise and data are closer, so the regression target varies less: the loss is lower from the first step.
  t.true(mean(ot) < 0.5 * mean(plain), `${mean(ot)} vs ${mean(plain)}`);
});

test.serial('the run folder config records the coupling', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-coupling-'));
  try {
    await losses({ method: 'sinkhorn', reg: 0.2 }, 0, { outDir: dir });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    t.like(config.coupling, { method: 'sinkhorn', reg: 0.2, iterations: 1000, pairing: 'argmax', labelAware: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the Brownian bridge: pinned at x0 and x1, σ_t = σ·sqrt(t(1 − t)) noise between, target x1 − x0 + σ′_t·ε', (t) => {
  manualSeed(8);
  const sigma = 0.7;
  const path = new BrownianBridgePath({ sigma });
  const n = 20000;
  const x0 = randn([n, 2]);
  const x1 = randn([n, 2]).add(3);
  for (const time of [0, 1]) {
    const s = path.sample(x0, x1, time);
    t.deepEqual(s.xt.toArray(), (time === 0 ? x0 : x1).toArray());
    t.true((s.ut.sub(x1.sub(x0)).abs().max().item() as number) < 1e-6);
  }
  const time = 0.3;
  const s = path.sample(x0, x1, time);
  const mean = x0.mul(1 - time).add(x1.mul(time));
  const noise = s.xt.sub(mean);
  const std = Math.sqrt(noise.square().mean().item() as number);
  t.true(Math.abs(std - sigma * Math.sqrt(time * (1 - time))) < 0.01, `std ${std}`);
  // u_t − (x1 − x0) = σ′_t/σ_t · (x_t − μ_t), with σ′_t/σ_t = (1 − 2t) / (2t(1 − t)).
  const ratio = (1 - 2 * time) / (2 * time * (1 - time));
  t.true((s.ut.sub(x1.sub(x0)).sub(noise.mul(ratio)).abs().max().item() as number) < 1e-4);
  // As a Gaussian path of x1 alone: N(0, I) at t = 0, x1 at t = 1.
  const flow0 = path.flow(x0, x1, 0);
  t.true((flow0.sub(x0).abs().max().item() as number) < 1e-6);
});

test('schrodingerBridge pairs the bridge path with Sinkhorn at reg = 2σ², sampled pairs', (t) => {
  const sb = schrodingerBridge({ sigma: 0.3 });
  t.true(sb.path instanceof BrownianBridgePath);
  t.is(sb.path.sigma, 0.3);
  t.like(sb.coupling, { method: 'sinkhorn', pairing: 'sample' });
  t.true(Math.abs((sb.coupling.reg as number) - 0.18) < 1e-15);
});

test.serial('SB-CFM trains with a finite loss', async (t) => {
  manualSeed(9);
  const sb = schrodingerBridge({ sigma: 0.5 });
  const model = fm.createMLP({ dim: 2, hidden: [32, 32] });
  const r = await fm.train({ model, path: sb.path, coupling: sb.coupling, data: () => ({ x: fm.moons(64) }), steps: 10, progress: false, ema: false });
  t.true(r.losses.every(Number.isFinite));
  model.dispose();
});
