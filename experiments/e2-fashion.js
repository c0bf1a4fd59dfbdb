/**
 * E2 — Fashion-MNIST, OT vs VP path, at a reduced scale that fits a shared 2-core CPU
 * (Lipman et al. 2023 train for hundreds of thousands of steps on GPUs; this is a sanity
 * check of the comparison, not a reproduction of its numbers).
 *
 * Budget (defaults; override with env): the same small ADM U-Net (createUNet: model_channels
 * 32, channel_mult 1,2,2, one res block per level, no attention, ~1.06 M parameters) trained
 * E2_STEPS = 150 Adam steps (lr 5e-4, 20-step warmup, grad-norm clip 1, no EMA) at batch
 * E2_BATCH = 16 per path, the same data order for both paths. Sized to finish in ~30 minutes
 * on 2 CPU cores shared with other work (a U-Net step took 2–4 s there); it is far too
 * little training for good samples.
 *
 * Per path: bits/dim on E2_BPD_IMAGES = 8 test images (uniform dequantization, K = 1 draw,
 * Hutchinson divergence with one Rademacher probe, dopri5 at rtol = atol = E2_BPD_TOL = 1e-4);
 * FID against the 10 000 test images in the penultimate features of
 * experiments/fashion-classifier.safetensors, from E2_FID_SAMPLES = 64 dopri5 samples
 * (rtol = atol = 1e-5), with their NFE; an 8×8 sample grid; FID versus NFE for Euler and
 * midpoint at E2_SWEEP_NFE = 4, 8, 16, 32 NFE (64 and 100 would take longer than this machine
 * had: E2_SWEEP_NFE=4,8,16,32,64,100) from E2_SWEEP_SAMPLES = 32 samples, the same starting
 * noise for every point. FIDs from so few samples are biased upwards; the script also reports
 * the FID of as many real training images, the floor at that sample count.
 *
 * Reproduce: nice -n 10 node --import tsx experiments/e2-fashion.js
 * Writes experiments/e2-results.json and experiments/e2-*.png.
 */
const fs = require('node:fs');
const path = require('node:path');
const fm = require('../lib/index.ts');

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const STEPS = env('E2_STEPS', 150);
const BATCH = env('E2_BATCH', 16);
const BPD_IMAGES = env('E2_BPD_IMAGES', 8);
const BPD_TOL = env('E2_BPD_TOL', 1e-4);
const FID_SAMPLES = env('E2_FID_SAMPLES', 64);
const SWEEP_SAMPLES = env('E2_SWEEP_SAMPLES', 32);
const SWEEP_NFE = (process.env.E2_SWEEP_NFE ?? '4,8,16,32').split(',').map(Number);
const OUT = __dirname;
const RESULTS = path.join(OUT, 'e2-results.json');
const UNET = { inChannels: 1, outChannels: 1, modelChannels: 32, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [] };
const PATHS = {
  ot: { make: () => fm.otPath(), timeSampler: fm.uniformTime() },
  vp: { make: () => fm.vpDiffusionPath(), timeSampler: fm.uniformTime({ max: 1 - 1e-5 }) },
};

fm.setNumThreads(env('FM_THREADS', 2));

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const seconds = (start) => (Date.now() - start) / 1000;
const log = (...args) => console.log(new Date().toISOString().slice(11, 19), ...args);

function fidAgainst(reference, classifier, samples) {
  return fm.tidy(() => fm.fid(fm.extractFeatures(classifier.extractor, samples.clamp(-1, 1), 128), reference));
}

async function trainPath(name, train, results) {
  const spec = PATHS[name];
  const model = fm.createUNet(UNET);
  const loader = new fm.DataLoader(train, { batchSize: BATCH, seed: 0, transform: fm.toSignedUnit });
  let start = Date.now();
  const trained = await fm.train({
    model,
    path: spec.make(),
    data: loader,
    steps: STEPS,
    optimizer: { name: 'adam', lr: 5e-4 },
    schedule: { name: 'warmup', warmupSteps: 20 },
    clipGradNorm: 1,
    ema: false,
    timeSampler: spec.timeSampler,
    seed: 0,
    progress: false,
    onStep: ({ step, loss }) => {
      if (step % 50 === 0) log(`${name} step ${step} loss ${loss.toFixed(4)}`);
    },
  });
  model.eval();
  const record = { path: name, steps: STEPS, batch: BATCH, trainSeconds: seconds(start), lossMeanLast50: mean(trained.losses.slice(-50)), lossMeanFirst50: mean(trained.losses.slice(0, 50)) };
  results.runs[name] = record;
  const flush = () => fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
  flush();
  log(`${name} trained in ${record.trainSeconds.toFixed(0)} s`);
  return model;
}

async function evaluate(name, model, test, classifier, reference, results) {
  const record = results.runs[name];
  const flush = () => fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
  let start;

  fm.manualSeed(11);
  start = Date.now();
  const drawn = fm.sample(model, { n: FID_SAMPLES, shape: [1, 28, 28], method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
  record.dopri5Nfe = drawn.nfe;
  record.dopri5SampleSeconds = seconds(start);
  record.fidDopri5 = fidAgainst(reference, classifier, drawn.samples);
  await fm.writePng(path.join(OUT, `e2-samples-${name}.png`), fm.imageGrid(drawn.samples.narrow(0, 0, Math.min(64, FID_SAMPLES)).clamp(-1, 1), { nrow: 8, padding: 1 }));
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
      record.sweep[method].push({ nfe: r.nfe, fid: fidAgainst(reference, classifier, r.samples) });
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
  const results = {
    config: { unet: UNET, steps: STEPS, batch: BATCH, bpdImages: BPD_IMAGES, bpdTol: BPD_TOL, fidSamples: FID_SAMPLES, sweepSamples: SWEEP_SAMPLES, threads: fm.getNumThreads() },
    // FID of real images at each sample count: the floor each generated FID is biased by.
    realFid: {},
    runs: {},
  };
  const models = {};
  for (const name of Object.keys(PATHS)) models[name] = await trainPath(name, train, results);

  // Loaded only now: experiments/train-classifier.js may still be writing it while the models train.
  const classifier = fm.loadFashionClassifier(process.env.E2_CLASSIFIER ?? path.join(OUT, 'fashion-classifier.safetensors'));
  const reference = fm.keep(fm.extractFeatures(classifier.extractor, test.x, 500));
  for (const n of new Set([FID_SAMPLES, SWEEP_SAMPLES])) {
    results.realFid[n] = fm.tidy(() => fm.fid(fm.extractFeatures(classifier.extractor, train.x.narrow(0, 0, n)), reference));
  }
  log('real-image FID floors', results.realFid);
  for (const name of Object.keys(PATHS)) await evaluate(name, models[name], test, classifier, reference, results);

  const series = [];
  for (const [name, r] of Object.entries(results.runs)) {
    for (const method of ['euler', 'midpoint']) series.push({ name: `${name.toUpperCase()} ${method}`, xs: r.sweep[method].map((p) => p.nfe), ys: r.sweep[method].map((p) => p.fid) });
  }
  await fm.writePng(path.join(OUT, 'e2-fid-vs-nfe.png'), fm.lineChart(series, { width: 460, height: 300, logX: true, logY: true, xLabel: 'NFE', yLabel: `FID (${SWEEP_SAMPLES} samples)`, title: 'Fashion-MNIST: FID vs NFE' }));
  results.totalSeconds = seconds(started);
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
  log(`total ${results.totalSeconds.toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
