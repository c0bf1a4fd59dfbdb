import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createMLP, randn, rand, tensor, cat, manualSeed, ArgumentError, type Tensor } from '../../lib/index';
import type { Module } from '../../lib/nn/module';

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const rows = (y: Tensor, from: number, count: number, dim: number) => (y.data() as Float32Array).subarray(from * dim, (from + count) * dim);

/** The MLP recomputed in float64 in plain JS from its parameters (an independent reference). */
function float64Forward(model: Module, x: Float32Array, t: Float32Array, n: number, dim: number, activation: 'silu' | 'relu', embed: number): Float64Array {
  const params = new Map(model.namedParameters().map(([name, p]) => [name, { data: Float64Array.from(p.data() as Float32Array), shape: p.shape }]));
  const layers = [...params.keys()].filter((k) => k.endsWith('.weight')).map((k) => ({ w: params.get(k)!, b: params.get(k.replace(/weight$/, 'bias'))! }));
  const out = new Float64Array(n * dim);
  const half = Math.floor(embed / 2);
  for (let r = 0; r < n; r++) {
    let h: number[] = Array.from(x.subarray(r * dim, (r + 1) * dim));
    if (embed === 0) h.push(t[r]);
    else {
      const f = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
      h.push(...f.map((fi) => Math.cos(t[r] * fi)), ...f.map((fi) => Math.sin(t[r] * fi)));
      if (embed % 2) h.push(0);
    }
    layers.forEach(({ w, b }, l) => {
      const [m, k] = w.shape;
      const next = new Array<number>(m);
      for (let j = 0; j < m; j++) {
        let s = b.data[j];
        for (let i = 0; i < k; i++) s += w.data[j * k + i] * h[i];
        next[j] = l + 1 < layers.length ? (activation === 'silu' ? s / (1 + Math.exp(-s)) : Math.max(0, s)) : s;
      }
      h = next;
    });
    out.set(h, r * dim);
  }
  return out;
}

const configs = [
  { name: 'silu, t concatenated, widths off the 32-column panels', dim: 2, hidden: [37, 100, 64], activation: 'silu' as const, embed: 0 },
  { name: 'relu, sinusoidal time embedding of odd size', dim: 3, hidden: [48, 33], activation: 'relu' as const, embed: 7 },
  { name: 'silu, the served checkerboard widths', dim: 2, hidden: [256, 256, 256], activation: 'silu' as const, embed: 0 },
];

for (const c of configs) {
  test.serial(`batch-invariant forward (${c.name}): each row's bits are the same alone and in batches of any size and position`, (t) => {
    manualSeed(21);
    const model = createMLP({ dim: c.dim, hidden: c.hidden, activation: c.activation, ...(c.embed > 0 ? { timeEmbedding: 'sinusoidal' as const, timeEmbedDim: c.embed } : {}) });
    t.true(model.supportsMergedForward());
    const n = 203;
    const x = randn([n, c.dim]);
    const time = rand([n]);
    const full = model.forwardBatchInvariant(x, time);
    t.deepEqual(full.shape, [n, c.dim]);
    for (const [from, count] of [[0, 1], [5, 1], [202, 1], [3, 2], [10, 7], [0, 48], [1, 49], [40, 97], [100, 103]]) {
      const part = model.forwardBatchInvariant(x.narrow(0, from, count), time.narrow(0, from, count));
      t.true(bits(part.data() as Float32Array).equals(bits(rows(full, from, count, c.dim))), `rows ${from}…${from + count - 1}`);
    }
    // Rows moved to other positions (reversed, then behind other rows) keep their bits.
    const reversed = model.forwardBatchInvariant(x.flip([0]), time.flip([0])).flip([0]);
    t.true(bits(reversed.data() as Float32Array).equals(bits(full.data() as Float32Array)));
    const behind = model.forwardBatchInvariant(cat([randn([13, c.dim]), x.narrow(0, 0, 20)]), cat([rand([13]), time.narrow(0, 0, 20)])).narrow(0, 13, 20);
    t.true(bits(behind.data() as Float32Array).equals(bits(rows(full, 0, 20, c.dim))));

    // Accuracy: against a float64 recomputation, as close as libtorch's own float32 forward.
    const reference = float64Forward(model, x.data() as Float32Array, time.data() as Float32Array, n, c.dim, c.activation, c.embed);
    const torch32 = model.forward(x, time).data() as Float32Array;
    const ours = full.data() as Float32Array;
    let oursErr = 0;
    let torchErr = 0;
    let scale = 0;
    for (let i = 0; i < reference.length; i++) {
      oursErr = Math.max(oursErr, Math.abs(ours[i] - reference[i]));
      torchErr = Math.max(torchErr, Math.abs(torch32[i] - reference[i]));
      scale = Math.max(scale, Math.abs(reference[i]));
    }
    t.log(`max |error| vs float64: batch-invariant ${oursErr.toExponential(2)}, libtorch float32 ${torchErr.toExponential(2)} (outputs up to ${scale.toFixed(2)})`);
    t.true(oursErr <= 1e-5 * Math.max(1, scale), `batch-invariant error ${oursErr}`);
    t.true(oursErr <= 4 * torchErr + 1e-6, `batch-invariant ${oursErr} vs libtorch ${torchErr}`);
    model.dispose();
  });
}

test.serial('merged evaluations: one forward over several requests gives each the bits it gets alone', async (t) => {
  manualSeed(5);
  const model = createMLP({ dim: 2, hidden: [64, 64, 64] });
  const entries = [3, 64, 1, 50].map((n, i) => ({ x: randn([n, 2]), t: tensor([0.1 + 0.2 * i]) }));
  const merged = await model.forwardMergedAsync(entries);
  const reordered = await model.forwardMergedAsync([entries[2], entries[0], entries[3], entries[1]]);
  entries.forEach((e, i) => {
    const alone = model.forwardBatchInvariant(e.x, e.t).data() as Float32Array;
    t.deepEqual(merged[i].shape, [e.x.shape[0], 2]);
    t.true(bits(merged[i].data() as Float32Array).equals(bits(alone)), `entry ${i}`);
    t.true(bits(reordered[[1, 3, 0, 2][i]].data() as Float32Array).equals(bits(alone)), `entry ${i} reordered`);
  });
  const bad = await t.throwsAsync(model.forwardMergedAsync([{ x: randn([4, 2]), t: rand([3]) }]));
  t.regex(bad?.message ?? '', /entry 0/);
  model.dispose();
});

test.serial('new weights reach the batch-invariant forward; NaN stays NaN; other activations are refused', (t) => {
  manualSeed(8);
  const model = createMLP({ dim: 2, hidden: [32, 32], activation: 'relu' });
  const x = randn([10, 2]);
  const time = tensor([0.5]);
  const before = model.forwardBatchInvariant(x, time).data() as Float32Array;
  const other = createMLP({ dim: 2, hidden: [32, 32], activation: 'relu' });
  model.loadStateDict(other.stateDict());
  const after = model.forwardBatchInvariant(x, time).data() as Float32Array;
  t.false(bits(after).equals(bits(before)));
  t.true(bits(after).equals(bits(other.forwardBatchInvariant(x, time).data() as Float32Array)));
  for (const activation of ['relu', 'silu'] as const) {
    const m = createMLP({ dim: 2, hidden: [16], activation });
    const y = m.forwardBatchInvariant(tensor([[Number.NaN, 0], [0.5, 0.5]]), time).data() as Float32Array;
    t.true(Number.isNaN(y[0]) && Number.isNaN(y[1]), `${activation}: NaN in, NaN out`);
    t.true(Number.isFinite(y[2]) && Number.isFinite(y[3]));
    m.dispose();
  }
  const tanh = createMLP({ dim: 2, hidden: [8], activation: 'tanh' });
  t.false(tanh.supportsMergedForward());
  t.throws(() => tanh.forwardBatchInvariant(x, time), { instanceOf: ArgumentError, message: /silu or relu/ });
  const wide = createMLP({ dim: 2, hidden: [8] });
  t.throws(() => wide.forwardBatchInvariant(randn([4, 3]), time), { message: /\[N, 2\]/ });
  for (const m of [model, other, tanh, wide]) m.dispose();
});

test.serial('the AVX-512, AVX2 and scalar kernels give the same bits (each run in its own process)', (t) => {
  // The kernel is chosen once per process; FLOWMATCH_KERNEL_ISA caps it. Paths the CPU lacks
  // fall back to the next one, so on such a machine two runs compare the same path.
  const script = `
    const fm = require(${JSON.stringify(require.resolve('../../lib/index'))});
    fm.manualSeed(3);
    const m = fm.createMLP({ dim: 2, hidden: [70, 64, 33], activation: 'silu' });
    const y = m.forwardBatchInvariant(fm.randn([57, 2]).mul(4), fm.rand([57]));
    process.stdout.write(Buffer.from(y.data().buffer).toString('hex'));`;
  const outputs = ['', 'avx2', 'scalar'].map((isa) => {
    const r = spawnSync(process.execPath, ['--import=tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, FLOWMATCH_KERNEL_ISA: isa } });
    t.is(r.status, 0, r.stderr);
    return r.stdout;
  });
  t.true(outputs[0].length === 57 * 2 * 8);
  t.is(outputs[1], outputs[0], 'AVX2 = AVX-512');
  t.is(outputs[2], outputs[0], 'scalar = AVX-512');
});
