import test from 'ava';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSampler, createUNet, createMLP, loadRun, likelihoodAsync, memory, randn, sampleAsync, manualSeed, SamplerError, RequestError } from '../../lib/index';
import { trainSmallRun } from '../helpers/serve-run';

const runDir = trainSmallRun();
const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test.serial('loadRun returns the model, path, shape, prior and classes of a run folder', (t) => {
  const run = loadRun(runDir);
  t.deepEqual(run.shape, [2]);
  t.is(run.priorStd, 1);
  t.is(run.numClasses, null);
  t.is(run.nullLabel, null);
  t.is(run.lowResShape, null);
  t.false(run.model.training);
  t.true(run.source.endsWith('model.safetensors'));
  run.dispose();
  const plain = loadRun(runDir, { weights: 'plain' });
  t.true(plain.source.endsWith('checkpoint.safetensors'));
  plain.dispose();
  t.throws(() => loadRun(runDir, { weights: 'best' as never }), { message: /weights/ });
});

test.serial('a seeded request gives the same bytes alone and merged with others (Euler and dopri5)', async (t) => {
  const run = loadRun(runDir);
  const sampler = createSampler({ run, maxWaitMs: 5 });
  const rounds: number[] = [];
  const roundRows: number[] = [];
  sampler.onRound = (requests, rows) => {
    rounds.push(requests);
    roundRows.push(rows);
  };
  const euler = await sampler.sample({ n: 5, seed: 7, method: 'euler', steps: 20 });
  const dopri = await sampler.sample({ n: 5, seed: 7, method: 'dopri5', rtol: 1e-4, atol: 1e-4 });
  rounds.length = 0;
  const merged = await Promise.all([
    sampler.sample({ n: 64, seed: 1, method: 'euler', steps: 7 }),
    sampler.sample({ n: 5, seed: 7, method: 'euler', steps: 20 }),
    sampler.sample({ n: 33, seed: 2, method: 'dopri5', rtol: 1e-3, atol: 1e-3 }),
    sampler.sample({ n: 5, seed: 7, method: 'dopri5', rtol: 1e-4, atol: 1e-4 }),
    sampler.sample({ n: 3, seed: 3, method: 'midpoint', steps: 20 }),
  ]);
  // Two rounds alternate, each with a share of the running requests (batched-model.ts): 3 of 5.
  t.true(Math.max(...rounds) >= 3, `requests shared rounds (largest ${Math.max(...rounds)})`);
  // The checkerboard MLP (silu) merges a round into one forward over more rows than any one request has.
  t.true(Math.max(...roundRows) > 64, `merged rows (largest round ${Math.max(...roundRows)} rows)`);
  t.true(same(euler.samples, merged[1].samples));
  t.true(same(dopri.samples, merged[3].samples));
  t.is(dopri.nfe, merged[3].nfe);
  t.false(same(euler.samples, merged[3].samples));
  // A different seed gives different noise.
  t.false(same(euler.samples, (await sampler.sample({ n: 5, seed: 8, method: 'euler', steps: 20 })).samples));
  await sampler.close();
  run.dispose();
});

test.serial('a model without the merged forward (per-request forwards), under the serving thread policy: the same bytes alone and merged', async (t) => {
  const { useServingThreads } = await import('../../lib/serve/serving-threads');
  const { setAsyncForwardOptions, asyncForwardOptions } = await import('../../lib/nn/forward-queue');
  const before = asyncForwardOptions();
  useServingThreads();
  try {
    manualSeed(4);
    const model = createMLP({ dim: 2, hidden: [32, 32], activation: 'tanh' });
    model.eval();
    const sampler = createSampler({ model, shape: [2], maxWaitMs: 5 });
    const rounds: number[] = [];
    sampler.onRound = (requests) => rounds.push(requests);
    const alone = await sampler.sample({ n: 6, seed: 9, method: 'midpoint', steps: 8 });
    rounds.length = 0;
    const merged = await Promise.all([1, 9, 2, 3, 4, 5].map((seed, i) => sampler.sample({ n: [40, 6, 1, 17, 6, 3][i], seed, method: 'midpoint', steps: 8 })));
    t.true(Math.max(...rounds) >= 2, `requests shared rounds (largest ${Math.max(...rounds)})`);
    t.true(same(alone.samples, merged[1].samples));
    t.false(same(alone.samples, merged[4].samples));
    await sampler.close();
    model.dispose();
  } finally {
    setAsyncForwardOptions(before);
  }
});

test.serial('aborting a request mid-sample frees all its tensors; bad requests name the field', async (t) => {
  const run = loadRun(runDir);
  const sampler = createSampler({ run, maxQueue: 1, maxBatch: 64 });
  const before = memory().cpu.tensors;
  const controller = new AbortController();
  let rounds = 0;
  sampler.onRound = () => {
    if (++rounds === 3) controller.abort();
  };
  const e = await t.throwsAsync(sampler.sample({ n: 16, steps: 1000, signal: controller.signal }), { instanceOf: SamplerError });
  t.is(e?.code, 'ERR_ABORTED');
  t.is(memory().cpu.tensors, before);
  const timeout = await t.throwsAsync(sampler.sample({ n: 16, steps: 1000, timeoutMs: 20 }), { instanceOf: SamplerError });
  t.is(timeout?.code, 'ERR_TIMEOUT');
  t.is(memory().cpu.tensors, before);
  const bad = await t.throwsAsync(sampler.sample({ n: 2, labels: [0, 1] }), { instanceOf: RequestError });
  t.is((bad as RequestError).field, 'labels');
  t.is(((await t.throwsAsync(sampler.sample({ n: 1e9 }))) as RequestError).field, 'n');
  t.is(((await t.throwsAsync(sampler.sample({ n: 2, method: 'dopri5', rtol: Number.NaN }))) as RequestError).field, 'rtol');
  // One request fills the rows, one waits, the next is refused.
  const running = sampler.sample({ n: 64, steps: 200 });
  const waiting = sampler.sample({ n: 64, steps: 1 });
  const full = await t.throwsAsync(sampler.sample({ n: 64, steps: 1 }), { instanceOf: SamplerError });
  t.is(full?.code, 'ERR_QUEUE_FULL');
  t.true((full as SamplerError).retryAfterMs! > 0);
  await Promise.all([running, waiting]);
  await sampler.close();
  await t.throwsAsync(sampler.sample({ n: 1 }), { message: /closed/ });
  run.dispose();
});

test.serial('worker threads each hold the model; the same request gives the same bytes on either', async (t) => {
  const pooled = createSampler({ run: runDir, workers: 2 });
  const req = { n: 8, seed: 11, method: 'euler' as const, steps: 10 };
  // Sent together, the two copies go to different workers (the one with fewer running rows).
  const [a, b, c] = await Promise.all([pooled.sample(req), pooled.sample(req), pooled.sample({ ...req, seed: 12 })]);
  t.is(a.samples.length, 16);
  t.is(c.nfe, 10);
  t.true(same(a.samples, b.samples));
  t.false(same(a.samples, c.samples));
  const bad = await t.throwsAsync(pooled.sample({ n: 0 }), { instanceOf: RequestError });
  t.is((bad as RequestError).field, 'n');
  await pooled.close();
});

async function loopDelayP99(work: () => Promise<unknown>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await work();
  h.disable();
  return h.percentile(99) / 1e6;
}

test.serial('8 concurrent sampleAsync calls on the small Fashion U-Net keep event-loop delay p99 ≤ 10 ms', async (t) => {
  const unet = createUNet({ inChannels: 1, modelChannels: 32, outChannels: 1, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [2], numHeads: 1, useScaleShiftNorm: true });
  unet.eval();
  await sampleAsync(unet, { n: 4, shape: [1, 28, 28], steps: 1 });
  const p99 = await loopDelayP99(() => Promise.all(Array.from({ length: 8 }, () => sampleAsync(unet, { n: 4, shape: [1, 28, 28], method: 'midpoint', steps: 3 }).then((r) => r.samples.dispose()))));
  t.log(`event-loop delay p99 ${p99.toFixed(2)} ms`);
  t.true(p99 <= 10, `p99 ${p99} ms`);
  unet.dispose();
});

test.serial('8 concurrent likelihoodAsync calls on the MLP keep event-loop delay p99 ≤ 10 ms and match likelihood()', async (t) => {
  const mlp = createMLP({ dim: 2, hidden: [64, 64, 64], activation: 'silu' });
  mlp.eval();
  manualSeed(3);
  const x = randn([256, 2]);
  const { likelihood } = await import('../../lib/index');
  const sync = likelihood(mlp, x);
  const first = await likelihoodAsync(mlp, x);
  t.true(same(sync.logProb.data() as Float32Array, first.logProb.data() as Float32Array));
  const p99 = await loopDelayP99(() => Promise.all(Array.from({ length: 8 }, () => likelihoodAsync(mlp, x).then((r) => { r.logProb.dispose(); r.x0.dispose(); r.divergenceIntegral.dispose(); }))));
  t.log(`event-loop delay p99 ${p99.toFixed(2)} ms`);
  t.true(p99 <= 10, `p99 ${p99} ms`);
  for (const r of [sync, first]) for (const v of [r.logProb, r.x0, r.divergenceIntegral]) v.dispose();
  x.dispose();
  mlp.dispose();
});
