import test from 'ava';
import * as fm from '../../lib/index';
import { expm, LINEAR_A, LINEAR_T } from '../helpers/gradient-problems';

// CUDA paths run where a device exists; elsewhere the tests are skipped with the reason.
const available = fm.cuda.isAvailable();
const reason = `no CUDA device (${fm.buildInfo().cudaCompiled ? 'libtorch has CUDA but no device was found' : 'this libtorch is a CPU build'})`;
if (!available) console.log(`cuda.test: skipping CUDA tests: ${reason}`);
const cudaTest = available ? test : test.skip;

cudaTest('tensors move to CUDA and back with values intact', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([1, 2, 3]).to('cuda');
    t.is(x.device, 'cuda:0');
    t.deepEqual(x.mul(2).to('cpu').toArray(), [2, 4, 6]);
    t.is(fm.memory()['cuda:0'].tensors >= 2, true);
  });
});

cudaTest('autograd on CUDA matches CPU', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([0.5, 1.5], { dtype: 'float64', device: 'cuda', requiresGrad: true });
    const [g] = fm.grad(x.sin().sum(), x);
    t.deepEqual(g!.to('cpu').toArray(), [Math.cos(0.5), Math.cos(1.5)]);
  });
});

cudaTest('mixing devices gives a DeviceError', (t) => {
  fm.tidy(() => {
    t.throws(() => fm.ones([2]).add(fm.ones([2], { device: 'cuda' }).mul(fm.ones([2], { device: 'cuda' })).add(fm.ones([3]))), { instanceOf: fm.FlowmatchError });
  });
});

// The whole pipeline on one device: train, sample with dopri5 and guidance, exact and
// Hutchinson likelihood, bits/dim. Every tensor the model is handed must be on the device,
// and no tensor may appear on another device while it runs.
const DEVICE = 'cuda:0';

/** Tensors alive on every device but `device`. */
function aliveElsewhere(device: string): number {
  return Object.entries(fm.memory()).reduce((sum, [name, m]) => (name === device ? sum : sum + m.tensors), 0);
}

/** Two classes of 8×8 images: the left or the right half bright, with noise; as [−1, 1] floats and as 8-bit pixels. */
function halves(n: number, device: fm.Device): { x: fm.Tensor; labels: fm.Tensor; pixels: fm.Tensor } {
  return fm.tidy(() => {
    const labels = fm.arange(0, n, 1, { device }).remainder(2);
    const column = fm.arange(0, 8, 1, { device, dtype: 'float32' }).lt(4).to('float32').reshape([1, 1, 1, 8]);
    const side = labels.to('float32').reshape([n, 1, 1, 1]);
    const bright = column.mul(side.neg().add(1)).add(column.neg().add(1).mul(side)).expand([n, 1, 8, 8]);
    const x = bright.mul(1.6).sub(0.8).add(fm.randn([n, 1, 8, 8], { device }).mul(0.1)).clamp(-1, 1);
    const pixels = x.add(1).mul(127.5).round().to('uint8');
    return { x, labels, pixels };
  });
}

cudaTest('CUDA: the whole pipeline runs on the device: train, dopri5 with guidance, exact and Hutchinson likelihood, bits/dim', async (t) => {
  fm.manualSeed(0);
  const data = halves(32, DEVICE);
  const model = fm.createUNet({ in_channels: 1, model_channels: 32, out_channels: 1, num_res_blocks: 1, attention_resolutions: [], channel_mult: [1, 2], num_heads: 1, num_classes: 2 }).to(DEVICE);
  for (const p of model.parameters()) t.is(p.device, DEVICE);
  const result = await fm.train({
    model,
    path: fm.otPath(),
    data: (step) => ({ x: data.x.narrow(0, (step % 4) * 8, 8), labels: data.labels.narrow(0, (step % 4) * 8, 8) }),
    steps: 20,
    labelDropout: 0.25,
    optimizer: { name: 'adam', lr: 2e-3 },
    ema: false,
    seed: 0,
    progress: false,
  });
  t.is(result.losses.length, 20);
  t.true(result.losses.every(Number.isFinite), `losses ${result.losses}`);
  model.eval();

  const seen = new Set<string>();
  const baseline = aliveElsewhere(DEVICE);
  const spied = {
    numClasses: model.numClasses,
    parameters: () => model.parameters(),
    forward: (x: fm.Tensor, time: fm.Tensor, cond?: fm.Conditioning): fm.Tensor => {
      seen.add(`x ${x.device} t ${time.device} ${time.dtype} labels ${cond?.labels?.device}`);
      seen.add(`elsewhere +${aliveElsewhere(DEVICE) - baseline}`);
      return model.forward(x, time, cond);
    },
  };
  const expected = [`x ${DEVICE} t ${DEVICE} float32 labels ${DEVICE}`, 'elsewhere +0'];

  fm.tidy(() => {
    const labels = fm.tensor([0, 1, 0, 1], { dtype: 'int64', device: DEVICE });
    // Noise drawn on the model's device (no x0, no device option).
    const r = fm.sample(spied, { n: 4, shape: [1, 8, 8], method: 'dopri5', rtol: 1e-3, atol: 1e-3, conditioning: { labels }, guidanceScale: 1.5 });
    t.is(r.samples.device, DEVICE);
    t.deepEqual(r.samples.shape, [4, 1, 8, 8]);
    t.true(fm.allFinite(r.samples));
    t.true(r.nfe >= 6, `nfe ${r.nfe}`);
    t.log(`dopri5 with guidance: ${r.nfe} NFE`);
  });
  t.deepEqual([...seen].sort(), expected.sort());

  seen.clear();
  const [exact, hutchinson] = fm.tidy(() => {
    const x1 = data.x.narrow(0, 0, 2);
    const conditioning = { labels: data.labels.narrow(0, 0, 2) };
    const options = { method: 'dopri5' as const, rtol: 1e-3, atol: 1e-3, conditioning };
    const e = fm.likelihood(spied, x1, options);
    const h = fm.likelihood(spied, x1, { ...options, divergence: 'hutchinson', probes: 4 });
    for (const out of [e.logProb, e.x0, e.divergenceIntegral, h.logProb]) t.is(out.device, DEVICE);
    return fm.keep([e.logProb.to('cpu'), h.logProb.to('cpu')]);
  });
  t.deepEqual([...seen].sort(), expected.sort());
  const exactValues = Array.from(exact.data() as Float32Array);
  const hutchValues = Array.from(hutchinson.data() as Float32Array);
  t.true([...exactValues, ...hutchValues].every(Number.isFinite), `exact ${exactValues}, hutchinson ${hutchValues}`);
  t.log(`log p(x1): exact ${exactValues.map((v) => v.toFixed(2))}, Hutchinson ${hutchValues.map((v) => v.toFixed(2))}`);

  const bpd = fm.tidy(() => {
    const b = fm.bitsPerDim(spied, data.pixels.narrow(0, 0, 2), { method: 'dopri5', rtol: 1e-3, atol: 1e-3, divergence: 'hutchinson', conditioning: { labels: data.labels.narrow(0, 0, 2) } });
    t.is(b.device, DEVICE);
    return b.to('cpu');
  });
  const bits = Array.from(bpd.data() as Float32Array);
  t.log(`bits/dim ${bits.map((v) => v.toFixed(3))}`);
  t.true(bits.every((v) => Number.isFinite(v) && v > 0), `bits/dim ${bits}`);

  // The same exact likelihood with the model on the CPU: the device changes the rounding, not the answer.
  model.to('cpu');
  const onCpu = fm.tidy(() => fm.logProb(model, data.x.narrow(0, 0, 2).to('cpu'), { method: 'dopri5', rtol: 1e-3, atol: 1e-3, conditioning: { labels: data.labels.narrow(0, 0, 2).to('cpu') } }));
  const cpuValues = Array.from(onCpu.data() as Float32Array);
  cpuValues.forEach((v, i) => t.true(Math.abs(v - exactValues[i]) < 1e-2 * Math.max(1, Math.abs(v)), `sample ${i}: ${DEVICE} ${exactValues[i]} vs cpu ${v}`));
  fm.dispose([exact, hutchinson, bpd, onCpu, data]);
  model.dispose();
});

cudaTest('CUDA: the native MLP moves a CPU time to the device of x', (t) => {
  const mlp = fm.createMLP({ dim: 2, width: 8, depth: 2, timeEmbedding: 'sinusoidal', timeEmbedDim: 4 }).to(DEVICE);
  fm.tidy(() => {
    const v = mlp.forward(fm.ones([3, 2], { device: DEVICE }), fm.full([3], 0.5));
    t.is(v.device, DEVICE);
  });
  mlp.dispose();
});

// odeintAdjoint on the device: its JS backward must still run (on the thread that called
// backward), and the gradients of y' = A·y must match the matrix exponential's, computed on
// the CPU by autograd through a Taylor series (no ODE solver involved).
cudaTest('CUDA: odeintAdjoint gradients of y\' = A·y match the matrix exponential, and land on the device', (t) => {
  fm.tidy(() => {
    const f64cpu = { dtype: 'float64' as const };
    const f64 = { dtype: 'float64' as const, device: DEVICE as fm.Device };
    const weights = LINEAR_T.map((_, i) => [0, 1, 2].map((j) => Math.sin(1 + 3 * i + j)));
    const refA = fm.tensor(LINEAR_A, f64cpu).requiresGrad_();
    const refY0 = fm.tensor([1, -0.5, 0.25], f64cpu).requiresGrad_();
    const ys = fm.stack(LINEAR_T.map((s) => expm(refA.mul(s)).matmul(refY0)));
    const [refGy, refGa] = fm.grad(ys.mul(fm.tensor(weights, f64cpu)).sum(), [refY0, refA]) as fm.Tensor[];

    const a = fm.tensor(LINEAR_A, f64).requiresGrad_();
    const y0 = fm.tensor([1, -0.5, 0.25], f64).requiresGrad_();
    const sol = fm.odeintAdjoint((_t, y) => a.matmul(y), y0, LINEAR_T, { rtol: 1e-9, atol: 1e-11, adjointParams: [a] });
    t.is(sol.solution.device, DEVICE);
    sol.solution.mul(fm.tensor(weights, f64)).sum().backward();
    t.is(sol.backward.runs, 1);
    t.is(y0.grad!.device, DEVICE);
    t.is(a.grad!.device, DEVICE);
    const gap = (x: fm.Tensor, ref: fm.Tensor): number => x.to('cpu').sub(ref).abs().max().item() as number;
    const errY = gap(y0.grad!, refGy);
    const errA = gap(a.grad!, refGa);
    t.log(`max error dL/dy0 ${errY.toExponential(2)}, dL/dA ${errA.toExponential(2)}; backward NFE ${sol.backward.nfe}`);
    t.true(errY < 2e-8 && errA < 2e-8, `errors ${errY}, ${errA}`);
  });
});

test('CUDA availability is reported consistently', (t) => {
  t.is(fm.cuda.deviceCount() > 0, available);
  if (!available) t.log(`skipped CUDA tests: ${reason}`);
});
