/**
 * E2 — Fashion-MNIST, OT vs VP path at an equal budget, at a scale that fits 2 CPU cores
 * (Lipman et al. 2023 train for hundreds of thousands of steps on GPUs; this checks the
 * direction of the comparison, not the paper's numbers).
 *
 * Budget (defaults; override with env): the same small ADM U-Net for both paths (createUNet:
 * model_channels 32, channel_mult 1,2,2, one res block per level, no attention, 1.06 M
 * parameters) trained E2_STEPS = 2000 Adam steps at batch E2_BATCH = 16 (lr 5e-4 after a
 * 100-step warm-up, grad-norm clip 1, no EMA), the same data order for both paths.
 *
 * Per path: bits/dim on E2_BPD_IMAGES = 8 test images (uniform dequantization, K = 1 draw,
 * Hutchinson divergence with one Rademacher probe, dopri5 at rtol = atol = E2_BPD_TOL = 1e-4);
 * FID against the 10 000 test images in the penultimate features of
 * assets/fashion-classifier.safetensors, from E2_FID_SAMPLES = 256 dopri5 samples
 * (rtol = atol = 1e-5), with their NFE; an 8×8 sample grid; FID versus NFE for Euler and
 * midpoint at E2_SWEEP_NFE = 4, 8, 16, 32, 64, 100 NFE from E2_SWEEP_SAMPLES = 64 samples,
 * the same starting noise for every point. FIDs from so few samples are biased upwards; the
 * script also reports the FID of as many real training images, the floor at that count.
 *
 * Reproduce: nice -n 10 node --import tsx experiments/e2-fashion.js
 * Writes experiments/e2-results.json and experiments/e2-*.png.
 */
const path = require('node:path');
const { fm, env, seconds, log, resultsFile, fidReference, fidAgainst, realFidFloor, trainUNet, writeLossCurve, runMain } = require('./fashion-common.js');

const STEPS = env('E2_STEPS', 2000);
const BATCH = env('E2_BATCH', 16);
const BPD_IMAGES = env('E2_BPD_IMAGES', 8);
const BPD_TOL = env('E2_BPD_TOL', 1e-4);
const FID_SAMPLES = env('E2_FID_SAMPLES', 256);
const SWEEP_SAMPLES = env('E2_SWEEP_SAMPLES', 64);
const SWEEP_NFE = (process.env.E2_SWEEP_NFE ?? '4,8,16,32,64,100').split(',').map(Number);
const OUT = __dirname;
const UNET = { inChannels: 1, outChannels: 1, modelChannels: 32, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [] };
const PATHS = {
  ot: { make: () => fm.otPath(), timeSampler: fm.uniformTime() },
  // VP's σ'_t/σ_t diverges at t = 1, so training times stop just short of it.
  vp: { make: () => fm.vpDiffusionPath(), timeSampler: fm.uniformTime({ max: 1 - 1e-5 }) },
};

fm.setNumThreads(env('FM_THREADS', 2));

async function evaluate(name, model, test, fidRef, results, flush) {
  const record = results.runs[name];
  let start;

  fm.manualSeed(11);
  start = Date.now();
  const drawn = fm.sample(model, { n: FID_SAMPLES, shape: [1, 28, 28], method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
  record.dopri5Nfe = drawn.nfe;
  record.dopri5SampleSeconds = seconds(start);
  record.fidDopri5 = fidAgainst(fidRef, drawn.samples);
  await fm.writePng(path.join(OUT, `e2-samples-${name}.png`), fm.imageGrid(drawn.samples.narrow(0, 0, Math.min(64, FID_SAMPLES)).clamp(-1, 1), { nrow: 8, padding: 1, valueRange: [-1, 1] }));
  drawn.samples.dispose();
  flush();
  log(`${name} dopri5 NFE ${drawn.nfe}, FID ${record.fidDopri5.toFixed(2)}`);

  record.sweep = { euler: [], midpoint: [] };
  fm.manualSeed(12);
  const x0 = fm.keep(fm.randn([SWEEP_SAMPLES, 1, 28, 28]));
  for (const method of ['euler', 'midpoint']) {
    for (const nfe of SWEEP_NFE) {
      // Midpoint spends two evaluations per step.
      const steps = method === 'euler' ? nfe : nfe / 2;
      const r = fm.sample(model, { x0, method, steps });
      record.sweep[method].push({ nfe: r.nfe, fid: fidAgainst(fidRef, r.samples) });
      r.samples.dispose();
      flush();
    }
    log(`${name} ${method} sweep`, record.sweep[method].map((p) => `${p.nfe}:${p.fid.toFixed(1)}`).join(' '));
  }
  x0.dispose();

  fm.manualSeed(13);
  start = Date.now();
  const images = test.x.narrow(0, 0, BPD_IMAGES);
  const bpd = fm.tidy(() => fm.bitsPerDim(model, images, { K: 1, divergence: 'hutchinson', probes: 1, method: 'dopri5', rtol: BPD_TOL, atol: BPD_TOL }).mean().item());
  record.bitsPerDim = bpd;
  record.bpdSeconds = seconds(start);
  flush();
  log(`${name} bits/dim ${bpd.toFixed(3)} (${record.bpdSeconds.toFixed(0)} s)`);
  images.dispose();
  model.dispose();
}

async function main() {
  const started = Date.now();
  const train = fm.loadMnist({ split: 'train' });
  const test = fm.loadMnist({ split: 'test' });
  const { results, flush } = resultsFile(path.join(OUT, 'e2-results.json'), {
    unet: UNET,
    steps: STEPS,
    batch: BATCH,
    bpdImages: BPD_IMAGES,
    bpdTol: BPD_TOL,
    fidSamples: FID_SAMPLES,
    sweepSamples: SWEEP_SAMPLES,
  });
  results.runs = {};
  // FID of real images at each sample count: the floor each generated FID is biased by.
  results.realFid = {};
  const models = {};
  const losses = {};
  for (const [name, spec] of Object.entries(PATHS)) {
    const trained = await trainUNet({ name, unet: UNET, path: spec.make(), timeSampler: spec.timeSampler, data: { x: train.x }, steps: STEPS, batch: BATCH, lr: 5e-4, warmup: 100 });
    results.runs[name] = trained.record;
    models[name] = trained.model;
    losses[name.toUpperCase()] = trained.losses;
    flush();
  }
  await writeLossCurve(path.join(OUT, 'e2-loss.png'), losses, 'E2 Fashion-MNIST: training loss (not comparable across paths)');

  const fidRef = fidReference(test);
  for (const n of new Set([FID_SAMPLES, SWEEP_SAMPLES])) results.realFid[n] = realFidFloor(fidRef, train, n);
  log('real-image FID floors', results.realFid);
  for (const name of Object.keys(PATHS)) await evaluate(name, models[name], test, fidRef, results, flush);

  const series = [];
  for (const [name, r] of Object.entries(results.runs)) {
    for (const method of ['euler', 'midpoint']) series.push({ name: `${name.toUpperCase()} ${method}`, xs: r.sweep[method].map((p) => p.nfe), ys: r.sweep[method].map((p) => p.fid) });
  }
  await fm.writePng(path.join(OUT, 'e2-fid-vs-nfe.png'), fm.lineChart(series, { width: 460, height: 300, logX: true, logY: true, xLabel: 'NFE', yLabel: `FID (${SWEEP_SAMPLES} samples)`, title: 'Fashion-MNIST: FID vs NFE' }));
  results.totalSeconds = seconds(started);
  flush();
  log(`total ${results.totalSeconds.toFixed(0)} s`);
}

runMain(main);
