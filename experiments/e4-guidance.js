/**
 * E4 — class-conditional Fashion-MNIST with classifier-free guidance (Ho & Salimans 2022,
 * used with flow matching by Meta's flow_matching examples): one U-Net learns both the
 * conditional field v(x, t, c) and, through label dropout, the unconditional v(x, t, ∅);
 * sampling follows ṽ = (1 + w)·v(x, t, c) − w·v(x, t, ∅).
 *
 * Budget (defaults; override with env): the ADM U-Net of E2 (model_channels 32, channel_mult
 * 1,2,2, one res block per level, no attention) with a 10-class label embedding plus the null
 * class, OT path, E4_STEPS Adam steps at batch E4_BATCH, lr 5e-4 after a 100-step warm-up,
 * labels replaced by the null class with probability 0.1 (label dropout).
 *
 * Evaluation for each guidance scale w in E4_SCALES: E4_PER_CLASS samples of each of the 10
 * classes from the same starting noise, midpoint with E4_SAMPLE_STEPS steps (so every w costs
 * the same NFE); FID against the 10 000 test images and the built-in classifier's accuracy on
 * the generated samples (does the sample show the class it was asked for?). Plus the
 * unconditional model (the null label for every sample) as a reference row. One grid per
 * scale, a row per class.
 *
 * Reproduce: nice -n 10 node --import tsx experiments/e4-guidance.js
 * Writes experiments/e4-results.json, e4-grid-w*.png, e4-fid-accuracy.png and e4-loss.png.
 */
const path = require('node:path');
const { fm, env, seconds, log, resultsFile, fidReference, fidAgainst, realFidFloor, trainUNet, writeLossCurve, runMain } = require('./fashion-common.js');

const STEPS = env('E4_STEPS', 4000);
const BATCH = env('E4_BATCH', 16);
const PER_CLASS = env('E4_PER_CLASS', 25);
const SAMPLE_STEPS = env('E4_SAMPLE_STEPS', 10);
const SCALES = (process.env.E4_SCALES ?? '0,0.5,1,2,4').split(',').map(Number);
const LABEL_DROPOUT = 0.1;
const CLASSES = 10;
const OUT = __dirname;
const UNET = { inChannels: 1, outChannels: 1, modelChannels: 32, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [], numClasses: CLASSES };

fm.setNumThreads(env('FM_THREADS', 2));

/** Generated samples scored: FID, and the classifier's accuracy against the labels asked for. */
function score(fidRef, samples, labels) {
  const images = fm.keep(samples.clamp(-1, 1));
  try {
    return { fid: fidAgainst(fidRef, images), classifierAccuracy: labels === null ? null : fidRef.classifier.accuracy(images, labels) };
  } finally {
    images.dispose();
  }
}

async function main() {
  const started = Date.now();
  const train = fm.loadMnist({ split: 'train' });
  const test = fm.loadMnist({ split: 'test' });
  const n = PER_CLASS * CLASSES;
  const { results, flush } = resultsFile(path.join(OUT, 'e4-results.json'), {
    unet: UNET,
    steps: STEPS,
    batch: BATCH,
    labelDropout: LABEL_DROPOUT,
    perClass: PER_CLASS,
    method: 'midpoint',
    sampleSteps: SAMPLE_STEPS,
    nfePerSample: 2 * SAMPLE_STEPS,
  });

  const trained = await trainUNet({
    name: 'class-conditional',
    unet: UNET,
    path: fm.otPath(),
    timeSampler: fm.uniformTime(),
    data: { x: train.x, labels: train.labels },
    steps: STEPS,
    batch: BATCH,
    lr: 5e-4,
    warmup: 100,
    labelDropout: LABEL_DROPOUT,
  });
  results.training = trained.record;
  flush();
  await writeLossCurve(path.join(OUT, 'e4-loss.png'), { 'OT, class-conditional': trained.losses }, 'E4 class-conditional: training loss');

  const fidRef = fidReference(test);
  results.realFidFloor = realFidFloor(fidRef, train, n);
  results.testSetClassifierAccuracy = fidRef.classifier.accuracy(test.x, test.labels);
  flush();

  // Class-major labels (PER_CLASS of class 0, then class 1, …) and one noise batch for every w.
  const labels = fm.keep(fm.tensor(Array.from({ length: n }, (_, i) => Math.floor(i / PER_CLASS)), { dtype: 'int64' }));
  fm.manualSeed(31);
  const x0 = fm.keep(fm.randn([n, 1, 28, 28]));
  const model = trained.model;

  results.unconditional = score(fidRef, fm.sample(model, { x0, method: 'midpoint', steps: SAMPLE_STEPS, conditioning: { labels: fm.fullLike(labels, CLASSES) } }).samples, null);
  log(`unconditional (null label): FID ${results.unconditional.fid.toFixed(2)}`);
  flush();

  results.guidance = [];
  for (const w of SCALES) {
    const start = Date.now();
    const drawn = fm.sample(model, { x0, method: 'midpoint', steps: SAMPLE_STEPS, conditioning: { labels }, guidanceScale: w });
    const row = { w, nfe: drawn.nfe, ...score(fidRef, drawn.samples, labels), sampleSeconds: seconds(start) };
    results.guidance.push(row);
    flush();
    log(`w = ${w}: FID ${row.fid.toFixed(2)}, classifier accuracy ${(100 * row.classifierAccuracy).toFixed(1)}%`);
    // A row per class: the first 10 samples of each class.
    const perRow = Math.min(10, PER_CLASS);
    const grid = fm.tidy(() => fm.cat(Array.from({ length: CLASSES }, (_, c) => drawn.samples.narrow(0, c * PER_CLASS, perRow))).clamp(-1, 1));
    await fm.writePng(path.join(OUT, `e4-grid-w${w}.png`), fm.imageGrid(grid, { nrow: perRow, padding: 1, valueRange: [-1, 1] }));
    grid.dispose();
    drawn.samples.dispose();
  }

  await fm.writePng(
    path.join(OUT, 'e4-fid-accuracy.png'),
    fm.lineChart(
      [
        { name: 'FID', xs: SCALES, ys: results.guidance.map((r) => r.fid) },
        { name: 'accuracy × 100', xs: SCALES, ys: results.guidance.map((r) => 100 * r.classifierAccuracy) },
      ],
      { width: 460, height: 300, xLabel: 'guidance scale w', yLabel: 'FID / accuracy (%)', title: 'E4: classifier-free guidance' },
    ),
  );
  results.totalSeconds = seconds(started);
  flush();
  log(`total ${results.totalSeconds.toFixed(0)} s`);
}

runMain(main);
