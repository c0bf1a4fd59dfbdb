// Memory safety at the native boundary and the models' input contract. Where a failure
// would be a crash (use-after-free, std::terminate, OpenMP giving up) the scenario runs in
// a child process and the test reads its exit status and output.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../lib/index';
import { createUNet } from '../lib/nn';
import { NATIVE_EXPORTS, native } from '../lib/native';
import { loadSafetensors } from '../lib/io/safetensors';
import { assertClose } from './helpers/close';

const LIB = path.join(__dirname, '..', 'lib', 'index.ts');
const NATIVE = path.join(__dirname, '..', 'lib', 'native.ts');
const FIXTURES = path.join(__dirname, 'fixtures', 'unet');

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `code` (CommonJS, with `fm` and `native` in scope) in a fresh Node process. */
function child(code: string): Promise<ChildResult> {
  const script = `const fm = require(${JSON.stringify(LIB)}); const { native } = require(${JSON.stringify(NATIVE)});\n${code}`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** The last line of a child's stdout as JSON. */
function lastJson(r: ChildResult): unknown {
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

// Shared by the child scripts: an array whose first element is a getter that runs JS which
// grows the tensor table (thousands of new handles: the slot vector reallocates) and may
// dispose tensors, then returns the real value.
const TRAP = `
const hold = [];
function trapped(values, sideEffect) {
  const arr = values.slice();
  Object.defineProperty(arr, 0, { enumerable: true, get() { for (let i = 0; i < 5000; i++) hold.push(fm.zeros([1])); sideEffect?.(); return values[0]; } });
  return arr;
}
function outcome(fn) {
  try { const r = fn(); return { ok: true, value: r }; }
  catch (e) { return { ok: false, flowmatch: e instanceof fm.FlowmatchError, code: e.code, message: String(e.message).slice(0, 200) }; }
}
`;

test('the addon exports exactly the functions lib/native/ declares, each once', (t) => {
  native.getNumThreads(); // the first call loads the addon: `native` is then the addon's own exports object
  const addon = native as unknown as Record<string, unknown>;
  const exported = Object.keys(addon).filter((name) => typeof addon[name] === 'function');
  t.is(exported.length, Object.keys(addon).length, 'the addon exports only functions');
  const declared = [...NATIVE_EXPORTS];
  t.deepEqual([...new Set(declared)].sort(), [...declared].sort(), 'a name is declared twice');
  t.deepEqual(exported.sort(), declared.sort());
  // camelCase throughout: no snake_case or trailing-underscore names.
  t.deepEqual(exported.filter((name) => !/^[a-z][A-Za-z0-9]*$/.test(name)), []);
});

test('getters that grow the tensor table while dims are read: every op gives the right answer', async (t) => {
  const r = await child(`${TRAP}
const x = fm.arange(24, undefined, 1, { dtype: 'float32' }).reshape([2, 3, 4]);
const img = fm.arange(2 * 3 * 4 * 4, undefined, 1, { dtype: 'float32' }).reshape([2, 3, 4, 4]);
const cases = {
  permute: () => x.permute(trapped([2, 0, 1])).toArray(),
  reshape: () => x.reshape(trapped([4, 6])).toArray(),
  view: () => x.view(trapped([6, 4])).toArray(),
  expand: () => x.reshape([1, 24]).expand(trapped([2, 24])).toArray(),
  repeat: () => x.repeat(trapped([1, 2, 1])).toArray(),
  squeeze: () => x.reshape([2, 1, 12]).squeeze(trapped([1])).toArray(),
  flip: () => x.flip(trapped([2, 0])).toArray(),
  sum: () => x.sum(trapped([1, 2])).toArray(),
  mean: () => x.mean(trapped([0])).toArray(),
  amax: () => x.amax(trapped([2])).toArray(),
  logsumexp: () => x.logsumexp(trapped([2])).toArray(),
  norm: () => x.norm(2, trapped([1])).toArray(),
  split: () => x.split(trapped([1, 2]), 1).map((p) => p.toArray()),
  zeros: () => fm.zeros(trapped([2, 3])).toArray(),
  layerNorm: () => fm.layerNorm(x, trapped([4])).toArray(),
};
const plain = {
  permute: () => x.permute([2, 0, 1]).toArray(), reshape: () => x.reshape([4, 6]).toArray(), view: () => x.view([6, 4]).toArray(),
  expand: () => x.reshape([1, 24]).expand([2, 24]).toArray(), repeat: () => x.repeat([1, 2, 1]).toArray(),
  squeeze: () => x.reshape([2, 1, 12]).squeeze([1]).toArray(), flip: () => x.flip([2, 0]).toArray(), sum: () => x.sum([1, 2]).toArray(),
  mean: () => x.mean([0]).toArray(), amax: () => x.amax([2]).toArray(), logsumexp: () => x.logsumexp([2]).toArray(),
  norm: () => x.norm(2, [1]).toArray(), split: () => x.split([1, 2], 1).map((p) => p.toArray()), zeros: () => fm.zeros([2, 3]).toArray(),
  layerNorm: () => fm.layerNorm(x, [4]).toArray(),
};
const out = {};
for (const name of Object.keys(cases)) out[name] = JSON.stringify(outcome(cases[name])) === JSON.stringify(outcome(plain[name]));
// The same through the raw binding, where the getter runs inside native argument reading.
const raw = {
  permute: () => native.permute(x._h, trapped([2, 0, 1])),
  reshape: () => native.reshape(x._h, trapped([4, 6])),
  sum: () => native.sum(x._h, trapped([1, 2]), false, null),
  flip: () => native.flip(x._h, trapped([2, 0])),
  conv2d: () => native.conv2d(img._h, fm.ones([3, 3, 1, 1])._h, null, trapped([1, 1]), [0, 0], [1, 1], 1),
  avgPool2d: () => native.avgPool2d(img._h, trapped([2, 2]), [2, 2]),
  maxPool2d: () => native.maxPool2d(img._h, [2, 2], trapped([2, 2])),
};
const rawShapes = {};
for (const name of Object.keys(raw)) { const o = outcome(raw[name]); rawShapes[name] = o.ok ? native.sizes(o.value) : o; }
console.log(JSON.stringify({ out, rawShapes }));
`);
  t.is(r.status, 0, r.stderr);
  const { out, rawShapes } = lastJson(r) as { out: Record<string, boolean>; rawShapes: Record<string, unknown> };
  for (const [name, same] of Object.entries(out)) t.true(same, `${name}: a getter on its dims changed the result`);
  t.deepEqual(rawShapes, { permute: [4, 2, 3], reshape: [4, 6], sum: [2], flip: [2, 3, 4], conv2d: [2, 3, 4, 4], avgPool2d: [2, 3, 2, 2], maxPool2d: [2, 3, 2, 2] });
});

test('getters that dispose the tensor being read, throw, or come from Proxies give typed errors, never a crash', async (t) => {
  const r = await child(`${TRAP}
const results = {};
const fresh = () => fm.arange(24, undefined, 1, { dtype: 'float32' }).reshape([2, 3, 4]);
// Through the public API: the dims are copied before the native call, the tensor was disposed.
for (const op of ['permute', 'flip', 'reshape', 'sum']) {
  const x = fresh();
  const dims = op === 'reshape' ? [4, 6] : [1, 0, 2];
  results['api-' + op] = outcome(() => x[op](trapped(dims, () => x.dispose())).shape);
}
// Raw binding: the getter releases the very handle being read, inside native argument reading.
for (const op of ['permute', 'flip', 'reshape', 'view', 'expand', 'repeat', 'squeeze']) {
  const x = fresh();
  const dims = op === 'reshape' || op === 'view' ? [4, 6] : op === 'expand' ? [2, 3, 4] : op === 'repeat' ? [1, 1, 2] : op === 'squeeze' ? [0] : [1, 0, 2];
  const o = outcome(() => native[op](x._h, trapped(dims, () => native.release(x._h))));
  results['raw-' + op] = o.ok ? { ok: true, shape: native.sizes(o.value) } : o;
}
{ // A list of tensors whose getter disposes an earlier entry.
  const a = fm.ones([2]); const b = fm.ones([2]);
  const list = [a, b];
  Object.defineProperty(list, 1, { get() { a.dispose(); return b; } });
  results['cat-dispose'] = outcome(() => fm.cat(list).shape);
  const c = fm.ones([2]); const d = fm.ones([2]);
  const handles = [c._h, d._h];
  Object.defineProperty(handles, 1, { get() { native.release(handles[0] ?? 0); for (let i = 0; i < 5000; i++) hold.push(fm.zeros([1])); return d._h; } });
  results['raw-cat-dispose'] = outcome(() => native.sizes(native.cat(handles, 0)));
}
{ // A getter that throws, inside native argument reading.
  const x = fresh();
  const dims = [1, 0, 2];
  Object.defineProperty(dims, 1, { get() { throw new Error('boom'); } });
  results['raw-throw'] = outcome(() => native.permute(x._h, dims));
}
{ // Proxies: the API copies what it validated; the raw binding refuses a Proxy outright.
  const x = fresh();
  let reads = 0;
  const proxy = new Proxy([2, 0, 1], { get(target, key) { reads++; return Reflect.get(target, key); } });
  results['api-proxy'] = outcome(() => x.permute(proxy).shape);
  results['raw-proxy'] = outcome(() => native.permute(x._h, new Proxy([2, 0, 1], {})));
  results['api-proxy-huge'] = outcome(() => x.reshape(new Proxy([24], { get: (target, key) => (key === 'length' ? 1e9 : Reflect.get(target, key)) })));
  results.proxyReadsBounded = reads < 20;
}
{ // An options object whose getter disposes the tensor.
  const x = fresh();
  results['options-getter'] = outcome(() => x.sum([0], { get keepdim() { x.dispose(); return true; } }).shape);
}
{ // SGD's flags array with a getter that disposes the optimizer, whose native group the step reads.
  const p = fm.keep(fm.ones([3]).requiresGrad_());
  const opt = new fm.SGD([p], { lr: 0.1, momentum: 0.9 });
  p.grad = fm.keep(fm.ones([3]));
  opt.step();
  results['sgd-group-released'] = outcome(() => native.sgdStep(opt.groupId, trapped([1], () => opt.dispose()), 0.1, 0.9, 0, 0, false, false));
}
for (const h of hold) h.dispose();
console.log(JSON.stringify(results));
`);
  t.is(r.status, 0, r.stderr);
  const results = lastJson(r) as Record<string, { ok: boolean; flowmatch?: boolean; code?: string; value?: unknown; shape?: unknown; message?: string }>;
  const typedOrRight = (name: string, shape: number[]) => {
    const o = results[name];
    if (o.ok) t.deepEqual(o.value ?? o.shape, shape, name);
    else t.true(o.flowmatch, `${name}: ${o.message}`);
  };
  // The API read the tensor's handle before the getter ran: a disposed tensor, reported as such.
  for (const op of ['permute', 'flip', 'reshape', 'sum']) t.like(results[`api-${op}`], { ok: false, flowmatch: true, code: 'ERR_DISPOSED' }, op);
  // The native op holds its own reference: it finishes on the tensor it was given.
  for (const [op, shape] of [['permute', [3, 2, 4]], ['flip', [2, 3, 4]], ['reshape', [4, 6]], ['view', [4, 6]], ['expand', [2, 3, 4]], ['repeat', [2, 3, 8]], ['squeeze', [2, 3, 4]]] as const) {
    typedOrRight(`raw-${op}`, [...shape]);
  }
  t.like(results['cat-dispose'], { ok: false, flowmatch: true, code: 'ERR_DISPOSED' });
  t.like(results['raw-cat-dispose'], { ok: false, flowmatch: true, code: 'ERR_DISPOSED' });
  t.like(results['raw-throw'], { ok: false, flowmatch: true, code: 'ERR_INVALID_ARGUMENT' });
  t.regex(results['raw-throw'].message as string, /boom/);
  t.deepEqual(results['api-proxy'], { ok: true, value: [4, 2, 3] });
  t.like(results['raw-proxy'], { ok: false, flowmatch: true, code: 'ERR_INVALID_ARGUMENT' });
  t.like(results['api-proxy-huge'], { ok: false, flowmatch: true, code: 'ERR_SHAPE' });
  t.true(results.proxyReadsBounded as unknown as boolean);
  t.like(results['options-getter'], { ok: false, flowmatch: true, code: 'ERR_DISPOSED' });
  t.like(results['sgd-group-released'], { ok: false, flowmatch: true, code: 'ERR_DISPOSED' });
  t.regex(results['sgd-group-released'].message as string, /the optimizer was disposed/);
});

test('terminating a worker while its forwardAsync runs never aborts the process (8 runs)', async (t) => {
  const script = `
const { Worker } = require('node:worker_threads');
const source = \`
const { parentPort } = require('node:worker_threads');
require(\${JSON.stringify(require.resolve('tsx/cjs'))});
const fm = require(\${JSON.stringify(${JSON.stringify(LIB)})});
const model = fm.createMLP({ dim: 512, width: 1024, depth: 3 });
const x = fm.randn([512, 512]);
const t = fm.rand([512]);
const pending = [0, 1, 2, 3].map(() => model.forwardAsync(x, t));
pending.forEach((p) => p.catch(() => {}));
parentPort.postMessage('in flight');
\`;
const worker = new Worker(source, { eval: true });
worker.once('message', async () => {
  const code = await worker.terminate();
  // The main thread's addon still works after the worker's environment went away.
  const check = fm.tidy(() => fm.full([2, 2], 3).matmul(fm.full([2, 2], 1)).sum().item());
  console.log(JSON.stringify({ code, check }));
});
worker.once('error', (e) => { console.log(JSON.stringify({ error: String(e) })); });
`;
  const runs: ChildResult[] = [];
  // Two at a time: the machine is small, and each child loads libtorch twice.
  for (let i = 0; i < 8; i += 2) runs.push(...(await Promise.all([child(script), child(script)])));
  const clean = runs.filter((r) => r.status === 0 && r.signal === null && !/terminate called/.test(r.stderr));
  t.log(`${clean.length} of ${runs.length} runs exited cleanly`);
  for (const r of runs) {
    t.is(r.status, 0, r.stderr.slice(-500));
    t.deepEqual(lastJson(r), { code: 1, check: 24 });
  }
});

test('thread counts are bounded: setNumThreads(1e9) is a typed error and the next matmul runs', async (t) => {
  const r = await child(`
const max = fm.maxNumThreads();
const out = { max, cpus: require('node:os').cpus().length };
for (const n of [1e9, max + 1, 0]) {
  try { fm.setNumThreads(n); out[n] = 'accepted'; } catch (e) { out[n === 0 ? 'zero' : n === 1e9 ? 'huge' : 'above'] = [e instanceof fm.FlowmatchError, e.code]; }
}
try { native.setNumThreads(1e9); out.raw = 'accepted'; } catch (e) { out.raw = [e instanceof fm.FlowmatchError, e.code]; }
fm.setNumThreads(2);
out.threads = fm.getNumThreads();
out.matmul = fm.tidy(() => fm.ones([64, 64]).matmul(fm.ones([64, 64])).sum().item());
console.log(JSON.stringify(out));
`);
  t.is(r.status, 0, r.stderr);
  const out = lastJson(r) as Record<string, unknown>;
  t.true((out.max as number) >= 4 && (out.max as number) % 4 === 0);
  t.deepEqual(out.huge, [true, 'ERR_INVALID_ARGUMENT']);
  t.deepEqual(out.above, [true, 'ERR_INVALID_ARGUMENT']);
  t.deepEqual(out.zero, [true, 'ERR_INVALID_ARGUMENT']);
  t.deepEqual(out.raw, [true, 'ERR_INVALID_ARGUMENT']);
  t.is(out.threads, 2);
  t.is(out.matmul, 64 * 64 * 64);
});

test('dims are capped at 64 wherever a shape or dims list enters, with a ShapeError naming it', (t) => {
  const many = new Array(65).fill(1);
  const x = fm.ones([2, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['zeros', () => fm.zeros(many), /for shape/],
    ['randn', () => fm.randn(many), /for shape/],
    ['tensor', () => fm.tensor(new Float32Array(1), { shape: many }), /options\.shape/],
    ['nested data', () => fm.tensor(many.reduce((inner: unknown) => [inner], 1) as fm.NestedArray), /nesting for data/],
    ['reshape', () => x.reshape([...many.slice(0, 64), 6]), /for shape/],
    ['view', () => x.view([...many.slice(0, 64), 6]), /for shape/],
    ['expand', () => x.expand([...many.slice(0, 63), 2, 3]), /for shape/],
    ['permute', () => x.permute(new Array(65).fill(0)), /for dims/],
    ['flip', () => x.flip(new Array(65).fill(0)), /for dims/],
    ['repeat', () => x.repeat(many), /for repeats/],
    ['sum', () => x.sum(new Array(65).fill(0)), /for dim/],
    ['layerNorm', () => fm.layerNorm(x, many), /normalizedShape/],
  ];
  for (const [name, fn, message] of cases) {
    const error = t.throws(fn, { instanceOf: fm.ShapeError, code: 'ERR_SHAPE' }, name);
    t.regex(error!.message, message, name);
  }
  // A self-containing array would nest forever.
  const loop: unknown[] = [];
  loop.push(loop);
  t.throws(() => fm.tensor(loop as fm.NestedArray), { instanceOf: fm.ShapeError });
  // 64 dims are fine; an op that would add a 65th is refused by the native check on results.
  fm.tidy(() => {
    const deep = fm.ones(new Array(64).fill(1));
    t.is(deep.ndim, 64);
    t.is(deep.add(1).sum().item(), 2);
    t.throws(() => deep.unsqueeze(0), { instanceOf: fm.ShapeError, message: /at most 64/ });
    t.throws(() => fm.stack([deep, deep]), { instanceOf: fm.ShapeError, message: /at most 64/ });
  });
  // split sections are not dims: a long list of sections is fine.
  fm.tidy(() => t.is(fm.ones([100]).split(new Array(100).fill(1)).length, 100));
  x.dispose();
});

test('the grad setter refuses a gradient of another shape, dtype or device', (t) => {
  fm.tidy(() => {
    const p = fm.zeros([2, 3], { requiresGrad: true });
    t.throws(() => (p.grad = fm.ones([3])), { instanceOf: fm.ShapeError, message: /shape \[2, 3\] for grad but received one of shape \[3\]/ });
    t.throws(() => (p.grad = fm.ones([2, 3], { dtype: 'float64' })), { instanceOf: fm.DTypeError, message: /float32 gradient/ });
    t.throws(() => native.setGrad(p._h, fm.ones([3, 2])._h), { instanceOf: fm.ShapeError });
    t.throws(() => native.setGrad(p._h, fm.ones([2, 3], { dtype: 'float64' })._h), { instanceOf: fm.DTypeError });
    t.is(p.grad, null);
    p.grad = fm.full([2, 3], 0.5);
    t.deepEqual(p.grad!.toArray(), [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
    p.grad = null;
    t.is(p.grad, null);
  });
});

test('eigh of a matrix with NaN or Inf throws instead of returning numbers', (t) => {
  fm.tidy(() => {
    const nan = fm.tensor([[1, Number.NaN], [Number.NaN, 2]], { dtype: 'float64' });
    t.throws(() => fm.eigh(nan), { instanceOf: fm.FlowmatchError, code: 'ERR_NON_FINITE', message: /NaN or infinite/ });
    t.throws(() => fm.eigh(fm.tensor([[Number.POSITIVE_INFINITY, 0], [0, 1]])), { code: 'ERR_NON_FINITE' });
    const { values } = fm.eigh(fm.tensor([[2, 0], [0, 3]], { dtype: 'float64' }));
    t.deepEqual(Array.from(values.data() as Float64Array), [2, 3]);
  });
});

test('an unconditional model refuses labels and lowRes; a conditional U-Net refuses to run without labels', (t) => {
  fm.tidy(() => {
    const base = { inChannels: 1, modelChannels: 32, outChannels: 1, numResBlocks: 1, channelMult: [1, 2], numHeads: 1 };
    const x = fm.randn([2, 1, 8, 8]);
    const time = fm.rand([2]);
    const labels = fm.tensor([0, 1], { dtype: 'int64' });
    const plain = createUNet(base);
    t.throws(() => plain.forward(x, time, { labels }), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING', message: /unconditional/ });
    t.throws(() => plain.forward(x, time, { lowRes: x }), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING' });
    // The native contract holds for callers that skip the TypeScript checks.
    t.throws(() => native.modelForward((plain as unknown as { id: number }).id, x._h, time._h, labels._h, null, null), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING' });
    const conditional = createUNet({ ...base, numClasses: 2 });
    t.throws(() => conditional.forward(x, time), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING', message: /labels equal to 2 select the null class/ });
    t.throws(() => native.modelForward((conditional as unknown as { id: number }).id, x._h, time._h, null, null, null), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING' });
    t.deepEqual(fm.noGrad(() => conditional.forward(x, time, { labels: fm.tensor([2, 2], { dtype: 'int64' }) })).shape, [2, 1, 8, 8]);
    const mlp = fm.createMLP({ dim: 2 });
    t.throws(() => mlp.forward(fm.randn([2, 2]), time, { labels }), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING' });
    t.throws(() => native.modelForward((mlp as unknown as { id: number }).id, fm.randn([2, 2])._h, time._h, labels._h, null, null), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING' });
    for (const m of [plain, conditional, mlp]) m.dispose();
  });
});

test("guided-diffusion's class-conditional layout (num_classes rows, no null class) loads, matches, saves and reloads", (t) => {
  const config = {
    in_channels: 3, model_channels: 32, out_channels: 3, num_res_blocks: 1, attention_resolutions: [1, 2],
    channel_mult: [1, 2], num_classes: 4, num_heads: 2, use_scale_shift_norm: true,
  };
  const weights = loadSafetensors(path.join(FIXTURES, 'tiny_weights.safetensors'));
  const io = loadSafetensors(path.join(FIXTURES, 'tiny_forward.safetensors'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-null-class-'));
  try {
    t.deepEqual(weights['label_emb.weight'].shape[0], 5, 'the fixture has the null-class row');
    const withNull = createUNet(config);
    withNull.loadStateDict(weights);
    withNull.eval();
    // guided-diffusion's own layout: the same weights without the null-class row.
    const trimmed = { ...weights, 'label_emb.weight': weights['label_emb.weight'].narrow(0, 0, 4) };
    const gd = createUNet(config);
    gd.loadStateDict(trimmed);
    gd.eval();
    t.false(gd.config.null_class);
    t.is(gd.nullLabel, undefined);
    t.deepEqual(fm.tidy(() => gd.stateDict()['label_emb.weight'].shape), [4, 128]);
    // The fixture's labels are [1, 4] (4 the null class); these are real classes.
    const labels = fm.tensor([1, 3], { dtype: 'int64' });
    fm.tidy(() => {
      // The row layout recomputed: labels 0..3 read the same rows either way.
      const want = fm.noGrad(() => withNull.forward(io.x, io.t, { labels }));
      const got = fm.noGrad(() => gd.forward(io.x, io.t, { labels }));
      assertClose(t, got.data(), want.data(), 0, 0, 'velocity without the null row');
      // Guidance asks for the null class, which this layout does not have.
      t.throws(() => gd.forward(io.x, io.t, { labels: io.y }), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING', message: /classifier-free guidance cannot run/ });
      t.throws(() => fm.sample(gd, { x0: io.x, method: 'euler', steps: 1, conditioning: { labels }, guidanceScale: 1 }), { code: 'ERR_CONDITIONING' });
      // With an explicit null label in range, guidance runs.
      const guided = fm.sample(gd, { x0: io.x, method: 'euler', steps: 1, conditioning: { labels }, guidanceScale: 1, nullLabel: 0 });
      t.deepEqual(guided.samples.shape, io.x.shape);
    });
    // Save and reload: the layout travels with the weights.
    const file = path.join(dir, 'gd.safetensors');
    gd.save(file);
    const reloaded = createUNet({ ...config, nullClass: true });
    reloaded.load(file);
    reloaded.eval();
    t.false(reloaded.config.null_class);
    const explicit = createUNet({ ...config, nullClass: false });
    explicit.load(file);
    explicit.eval();
    fm.tidy(() => {
      const a = fm.noGrad(() => gd.forward(io.x, io.t, { labels }));
      const b = fm.noGrad(() => reloaded.forward(io.x, io.t, { labels }));
      const c = fm.noGrad(() => explicit.forward(io.x, io.t, { labels }));
      assertClose(t, b.data(), a.data(), 0, 0, 'reloaded');
      assertClose(t, c.data(), a.data(), 0, 0, 'built with nullClass: false');
    });
    // And back: a dict with the null row turns the layout on again.
    explicit.loadStateDict(weights);
    t.true(explicit.config.null_class);
    t.is(explicit.nullLabel, 4);
    for (const m of [withNull, gd, reloaded, explicit]) m.dispose();
    trimmed['label_emb.weight'].dispose();
    labels.dispose();
  } finally {
    fm.dispose(weights);
    fm.dispose(io);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('createMLP caps depth, widths and parameter count with typed errors', (t) => {
  t.throws(() => fm.createMLP({ dim: 2, depth: 1e6 }), { instanceOf: fm.ArgumentError, message: /config\.depth/ });
  t.throws(() => fm.createMLP({ dim: 2, width: 1e7 }), { instanceOf: fm.ArgumentError, message: /config\.width/ });
  t.throws(() => fm.createMLP({ dim: 2, hidden: new Array(2000).fill(4) }), { instanceOf: fm.FlowmatchError, message: /config\.hidden/ });
  t.throws(() => fm.createMLP({ dim: 2, hidden: [65536, 65536] }), { instanceOf: fm.ArgumentError, code: 'ERR_TOO_LARGE' });
  t.throws(() => native.createMLP(2, new Array(2000).fill(4), 'silu', 0), { instanceOf: fm.FlowmatchError });
  t.throws(() => native.createMLP(2, [65536, 65536], 'silu', 0), { instanceOf: fm.ArgumentError, code: 'ERR_TOO_LARGE' });
  const ok = fm.createMLP({ dim: 2, hidden: [8, 8] });
  t.is(ok.numParameters(), 3 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2);
  ok.dispose();
});
