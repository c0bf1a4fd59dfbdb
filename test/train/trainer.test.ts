import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../../lib/index';
import { train, CHECKPOINT_FILE, METRICS_FILE, MODEL_FILE, type TrainResult } from '../../lib/train/trainer';
import type { TrainOptions } from '../../lib/train/train-options';
import { MetricsError, readMetrics } from '../../lib/train/metrics-log';
import { CheckpointError } from '../../lib/train/checkpoint';
import { createMLP } from '../../lib/nn';
import { otPath } from '../../lib/paths/affine-path';
import { checkerboard, insideCheckerboard } from '../../lib/data/toy2d';
import { sample } from '../../lib/sample';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-train-'));

/** A data source of fresh checkerboard points per step (seeded by flowmatch's RNG). */
const checkerboardData = (batch: number) => (): { x: fm.Tensor } => ({ x: checkerboard(batch) });

test.serial('an MLP trained with the OT path on checkerboard puts ≥ 90% of Euler samples on the board', async (t) => {
  fm.manualSeed(0);
  const model = createMLP({ dim: 2, hidden: [256, 256, 256], activation: 'silu' });
  // Measured on 2 cores with this schedule (cosine over 6000 steps of batch 2048, ≈ 35 ms a
  // step): 88% of Euler samples inside the squares after 2000 steps, 92.4% after 4000; a
  // 4000-step schedule ended at 90.0%, too close to the bound to be a stable test.
  const steps = 6000;
  const result = await train({
    model,
    path: otPath(),
    data: checkerboardData(2048),
    steps,
    optimizer: { name: 'adam', lr: 3e-3 },
    schedule: { name: 'cosine', warmupSteps: 100, minLR: 3e-5 },
    ema: false,
    seed: 1,
    progress: false,
  });
  const tail = result.losses.slice(-100);
  const finalLoss = tail.reduce((a, b) => a + b, 0) / tail.length;
  // The CFM loss cannot reach 0: its floor is the conditional variance E‖u_t(x|x1) − u_t(x)‖²/d.
  // An untrained model starts near E‖x1 − x0‖²/d = 1 + 16/3 ≈ 6.3 on this board; trained runs
  // level off near 3.4.
  t.true(result.losses[0] > 5, `first loss ${result.losses[0]}`);
  t.true(finalLoss < 3.6, `mean of the last 100 losses ${finalLoss}`);
  model.eval();
  const fraction = fm.tidy(() => {
    const { samples } = sample(model, { n: 10000, shape: [2], method: 'euler', steps: 100 });
    return insideCheckerboard(samples).float().mean().item() as number;
  });
  t.log(`final loss ${finalLoss.toFixed(4)}, ${(fraction * 100).toFixed(1)}% of 10,000 Euler samples inside the squares`);
  t.true(fraction >= 0.9, `only ${(fraction * 100).toFixed(1)}% inside`);
  // dopri5 at 1e-5 from the same noise lands where Euler with fine steps does.
  fm.tidy(() => {
    fm.manualSeed(5);
    const x0 = fm.randn([2000, 2]);
    const adaptive = sample(model, { x0, method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
    const fine = sample(model, { x0, method: 'euler', steps: 1000 });
    const diff = adaptive.samples.sub(fine.samples).abs();
    const mean = diff.mean().item() as number;
    const max = diff.max().item() as number;
    t.log(`dopri5 (rtol = atol = 1e-5): ${adaptive.nfe} NFE; distance to 1000-step Euler: mean ${mean.toExponential(2)}, max ${max.toExponential(2)}`);
    t.true(adaptive.nfe > 0 && adaptive.nfe < 1000);
    // Euler's global error is O(h·L) with h = 1e-3: a few 1e-3 on average. The largest gap
    // (3.5e-2 measured) belongs to the few trajectories that cross the field's steep seams
    // between squares, where L is large; it still stays far below the square size 2.
    t.true(mean < 5e-3, `dopri5 and fine Euler differ by ${mean} on average`);
    t.true(max < 0.2, `dopri5 and fine Euler differ by up to ${max}`);
  });
  model.dispose();
});

async function run(dir: string, steps: number, opts: { resume?: boolean; stopAt?: number } = {}): Promise<fm.Tensor[]> {
  fm.manualSeed(2); // the initial weights; train() seeds the run itself with `seed`
  const model = createMLP({ dim: 2, hidden: [32, 32], activation: 'silu' });
  const controller = new AbortController();
  await train({
    model,
    path: otPath(),
    data: checkerboardData(64),
    steps,
    optimizer: { name: 'adamw', lr: 1e-2, weightDecay: 0.01 },
    schedule: { name: 'warmup', warmupSteps: 5 },
    clipGradNorm: 1,
    ema: { decay: 0.9 },
    seed: 3,
    outDir: dir,
    checkpointEvery: 5,
    resume: opts.resume,
    signal: controller.signal,
    progress: false,
    onStep: ({ step }) => {
      if (step === opts.stopAt) controller.abort();
    },
  });
  const params = model.parameters().map((p) => fm.keep(p.detach().clone()));
  model.dispose();
  return params;
}

test.serial('kill and resume: a run stopped after a checkpoint and resumed equals an uninterrupted run', async (t) => {
  const full = await run(tmp(), 30);
  const dir = tmp();
  const partial = await run(dir, 30, { stopAt: 12 });
  t.true(fs.existsSync(path.join(dir, CHECKPOINT_FILE)));
  const stoppedAt = readMetrics(path.join(dir, METRICS_FILE)).at(-1)!.step;
  t.is(stoppedAt, 12, 'AbortSignal stops after the current step');
  fm.dispose(partial);
  const resumed = await run(dir, 30, { resume: true });
  t.is(resumed.length, full.length);
  for (let i = 0; i < full.length; i++) {
    t.deepEqual(Array.from(resumed[i].data()), Array.from(full[i].data()), `parameter ${i}`);
  }
  const steps = readMetrics(path.join(dir, METRICS_FILE)).map((r) => r.step);
  t.deepEqual(steps, Array.from({ length: 30 }, (_, i) => i + 1), 'metrics hold each step once');
  t.true(fs.existsSync(path.join(dir, MODEL_FILE)));
  t.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary files left');
  fm.dispose([full, resumed]);
});

test.serial('bad training options give typed errors', async (t) => {
  const model = createMLP({ dim: 2, hidden: [8] });
  await t.throwsAsync(train({ model, path: otPath(), data: checkerboardData(8), steps: 0 }), { instanceOf: fm.ArgumentError, message: /Expected an integer ≥ 1 for steps but received 0/ });
  await t.throwsAsync(train({ model, path: {} as never, data: checkerboardData(8), steps: 1 }), { instanceOf: fm.ArgumentError, message: /probability path/ });
  await t.throwsAsync(train({ model, path: otPath(), data: 5 as never, steps: 1 }), { instanceOf: fm.ArgumentError, message: /DataLoader/ });
  await t.throwsAsync(train({ model, path: otPath(), data: checkerboardData(8), steps: 1, resume: true }), { instanceOf: fm.ArgumentError, message: /outDir to resume from/ });
  await t.throwsAsync(train({ model, path: otPath(), data: checkerboardData(8), steps: 1, optimizer: { name: 'lbfgs' as never } }), { instanceOf: fm.ArgumentError, message: /optimizer\.name/ });
  await t.throwsAsync(train({ model, path: otPath(), data: checkerboardData(8), steps: 3, optimizer: { lr: 1e30 }, progress: false, ema: false }), { instanceOf: fm.FlowmatchError, message: /loss became/ });
  await t.throwsAsync(train({ model, path: otPath(), data: checkerboardData(8), steps: 1, conditioningFor: 5 as never }), { instanceOf: fm.ArgumentError, message: /conditioningFor/ });
  // The per-batch function's old name is refused rather than ignored.
  await t.throwsAsync(train({ model, path: otPath(), data: checkerboardData(8), steps: 1, conditioning: () => ({}) } as never), { instanceOf: fm.ArgumentError, message: /renamed from conditioning/ });
  model.dispose();
});

test.serial('conditioningFor is called once per step, with that step\'s batch', async (t) => {
  fm.manualSeed(3);
  const model = createMLP({ dim: 2, hidden: [8] });
  const seen: fm.Tensor[] = [];
  const batches: fm.Tensor[] = [];
  const data = (): { x: fm.Tensor } => {
    const x = checkerboard(8);
    batches.push(x);
    return { x };
  };
  await train({
    model,
    path: otPath(),
    data,
    steps: 3,
    ema: false,
    progress: false,
    conditioningFor: (batch) => {
      seen.push(batch.x);
      return {};
    },
  });
  t.is(seen.length, 3);
  seen.forEach((x, i) => t.is(x, batches[i]));
  model.dispose();
});

/** A tiny run in `dir` (checkpoints every 2 steps, EMA on); the model is disposed after. */
async function tinyRun(dir: string | undefined, steps: number, opts: Partial<TrainOptions> = {}): Promise<TrainResult> {
  fm.manualSeed(2);
  const model = createMLP({ dim: 2, hidden: [8] });
  try {
    return await train({ model, path: otPath(), data: checkerboardData(16), steps, outDir: dir, checkpointEvery: 2, progress: false, seed: 1, ...opts });
  } finally {
    model.dispose();
  }
}

test.serial('train() releases every tensor it creates, and model.dispose() releases the weights', async (t) => {
  const before = fm.memory().cpu?.tensors ?? 0;
  const model = createMLP({ dim: 2, hidden: [8, 8] });
  const params = model.parameters().length;
  const dir = tmp();
  await train({ model, path: otPath(), data: checkerboardData(16), steps: 5, outDir: dir, checkpointEvery: 2, ema: { decay: 0.9 }, progress: false });
  t.is(fm.memory().cpu.tensors - before, params, 'only the model’s own parameter handles remain');
  await train({ model, path: otPath(), data: checkerboardData(16), steps: 8, outDir: dir, resume: true, progress: false });
  t.is(fm.memory().cpu.tensors - before, params, 'a resumed run leaks nothing either');
  model.dispose();
  t.is(fm.memory().cpu.tensors, before);
});

test.serial('resume: true with no checkpoint is a typed error; resume: "auto" starts a new run there', async (t) => {
  const dir = tmp();
  const before = fm.memory().cpu?.tensors ?? 0;
  await t.throwsAsync(tinyRun(dir, 2, { resume: true }), { instanceOf: fm.FlowmatchError, code: 'ERR_NOT_FOUND', message: new RegExp(`${dir} has no checkpoint\\.safetensors`) });
  t.is(fm.memory().cpu.tensors, before);
  const fresh = await tinyRun(dir, 2, { resume: 'auto' });
  t.is(fresh.startStep, 0);
  const continued = await tinyRun(dir, 4, { resume: 'auto' });
  t.is(continued.startStep, 2);
  await t.throwsAsync(tinyRun(dir, 2, { resume: 'yes' as never }), { instanceOf: fm.ArgumentError, message: /for resume/ });
});

test.serial('an outDir that cannot be created fails at once with a typed error naming it', async (t) => {
  const file = path.join(tmp(), 'a-file');
  fs.writeFileSync(file, 'x');
  await t.throwsAsync(tinyRun(path.join(file, 'run'), 2), { instanceOf: fm.FlowmatchError, code: 'ERR_WRITE', message: /a-file exists and is not a folder/ });
  if (fs.existsSync('/proc/self')) await t.throwsAsync(tinyRun('/proc/x', 2), { instanceOf: fm.FlowmatchError, code: 'ERR_WRITE', message: /\/proc\/x/ });
  await t.throwsAsync(tinyRun('' as never, 2), { instanceOf: fm.ArgumentError, message: /for outDir/ });
});

test.serial('a checkpoint whose step is bad or beyond the run makes resume fail, typed, without training', async (t) => {
  const dir = tmp();
  await tinyRun(dir, 6);
  await t.throwsAsync(tinyRun(dir, 4, { resume: true }), { instanceOf: CheckpointError, code: 'ERR_STATE_MISMATCH', message: /at step 6, beyond this run's 4 steps\. Resume with at least 6 steps/ });
  const file = path.join(dir, CHECKPOINT_FILE);
  for (const step of ['"abc"', '-1', '2.5', '1e9']) {
    fm.tidy(() => fm.saveSafetensors(file, { rng: fm.tensor([1], { dtype: 'uint8' }) }, { 'flowmatch.checkpoint': `{"step": ${step}, "hasEma": true}` }));
    const code = step === '1e9' ? 'ERR_STATE_MISMATCH' : 'ERR_FORMAT';
    await t.throwsAsync(tinyRun(dir, 10, { resume: true }), { instanceOf: CheckpointError, code, message: new RegExp(file) }, step);
  }
  t.is(readMetrics(path.join(dir, METRICS_FILE)).length, 6, 'no step was trained');
});

test.serial('a torn last line in metrics.jsonl does not block resume: it is dropped and reported', async (t) => {
  const dir = tmp();
  await tinyRun(dir, 4);
  fs.appendFileSync(path.join(dir, METRICS_FILE), '{"step": 5, "lo');
  const warnings: string[] = [];
  const result = await tinyRun(dir, 6, { resume: true, onWarning: (m) => warnings.push(m) });
  t.is(result.startStep, 4);
  t.is(warnings.length, 1);
  t.regex(warnings[0], /metrics\.jsonl: dropped its unfinished last line/);
  t.deepEqual(readMetrics(path.join(dir, METRICS_FILE)).map((r) => r.step), [1, 2, 3, 4, 5, 6]);
});

test.serial('readMetrics: typed errors naming the file (and the line), a line still being written left out', (t) => {
  const dir = tmp();
  const file = path.join(dir, METRICS_FILE);
  t.throws(() => readMetrics(file), { instanceOf: fm.FlowmatchError, code: 'ERR_NOT_FOUND', message: new RegExp(file) });
  fs.writeFileSync(file, '{"step": 1}\nnot json\n{"step": 3}\n');
  t.throws(() => readMetrics(file), { instanceOf: MetricsError, code: 'ERR_FORMAT', message: /metrics\.jsonl: line 2 is not JSON/ });
  fs.writeFileSync(file, '{"step": 1}\n[2]\n');
  t.throws(() => readMetrics(file), { instanceOf: MetricsError, message: /line 2 is not a JSON object/ });
  fs.writeFileSync(file, '{"step": 1}\n{"step": 2, "lo');
  t.deepEqual(readMetrics(file), [{ step: 1 }]);
  t.throws(() => readMetrics(dir), { instanceOf: fm.FlowmatchError, code: 'ERR_NOT_A_REGULAR_FILE' });
});
