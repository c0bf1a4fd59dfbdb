/**
 * What the Fashion-MNIST experiments (E2, E3, E4) share: the environment knobs, a timestamped
 * log, the FID reference built from the test split with the built-in classifier's features,
 * the results file written after every measurement (a crash keeps what was measured), and
 * one U-Net training run.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fm = require('../lib/index.ts');

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const seconds = (start) => (Date.now() - start) / 1000;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const log = (...args) => console.log(new Date().toISOString().slice(11, 19), ...args);

/** A results object that rewrites its JSON file atomically on every flush(). */
function resultsFile(file, config) {
  const results = { config, machine: machine() };
  const flush = () => {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(results, null, 2) + '\n');
    fs.renameSync(tmp, file);
  };
  return { results, flush };
}

function machine() {
  return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, threads: fm.getNumThreads(), node: process.version, date: new Date().toISOString() };
}

/** The classifier and the test set's features: the FID reference every sample set is measured against. */
function fidReference(test) {
  const classifier = fm.loadFashionClassifier(process.env.FASHION_CLASSIFIER ?? path.join(__dirname, '..', 'assets', 'fashion-classifier.safetensors'));
  const reference = fm.keep(fm.extractFeatures(classifier.extractor, test.x, 500));
  return { classifier, reference };
}

/** FID of images in [−1, 1] (clamped first: samples overshoot a little) against the reference features. */
function fidAgainst({ classifier, reference }, images) {
  return fm.tidy(() => fm.fid(fm.extractFeatures(classifier.extractor, images.clamp(-1, 1), 128), reference));
}

/** FID of n real training images: the floor a generated FID at that sample count is biased by. */
function realFidFloor(fidRef, train, n) {
  return fm.tidy(() => fidAgainst(fidRef, fm.toSignedUnit(train.x.narrow(0, 0, n))));
}

/**
 * Trains one U-Net with the CFM loss. Adam with a linear warm-up then constant LR, grad-norm
 * clip 1, no EMA (at a few thousand steps an EMA of 0.999 still remembers the early weights),
 * seed 0, so that runs compared with each other see the same data order.
 */
async function trainUNet({ name, unet, path: probabilityPath, timeSampler, data, steps, batch, lr, warmup, labelDropout, conditioningFor, coupling }) {
  const model = fm.createUNet(unet);
  const loader = new fm.DataLoader(data, { batchSize: batch, seed: 0, transform: fm.toSignedUnit });
  const start = Date.now();
  const every = Math.max(1, Math.round(steps / 20));
  const trained = await fm.train({
    model,
    path: probabilityPath,
    data: loader,
    steps,
    optimizer: { name: 'adam', lr },
    schedule: { name: 'warmup', warmupSteps: warmup },
    clipGradNorm: 1,
    ema: false,
    timeSampler,
    labelDropout,
    conditioningFor,
    coupling,
    seed: 0,
    progress: false,
    onStep: ({ step, loss }) => {
      if (step % every === 0) log(`${name} step ${step}/${steps} loss ${loss.toFixed(4)}`);
    },
  });
  model.eval();
  const losses = trained.losses;
  const window = Math.min(100, Math.floor(losses.length / 2));
  const record = {
    steps,
    batch,
    lr,
    parameters: model.numParameters(),
    trainSeconds: seconds(start),
    secondsPerStep: seconds(start) / steps,
    lossFirst: mean(losses.slice(0, window)),
    lossLast: mean(losses.slice(-window)),
    lossWindow: window,
  };
  log(`${name} trained in ${record.trainSeconds.toFixed(0)} s (${record.secondsPerStep.toFixed(2)} s/step), loss ${record.lossFirst.toFixed(3)} → ${record.lossLast.toFixed(3)}`);
  return { model, record, losses };
}

/** A loss-curve PNG (moving average over 25 steps, so the trend is visible through the noise). */
async function writeLossCurve(file, curves, title) {
  const smooth = (xs) => xs.map((_, i) => mean(xs.slice(Math.max(0, i - 24), i + 1)));
  const series = Object.entries(curves).map(([name, losses]) => ({ name, xs: losses.map((_, i) => i + 1), ys: smooth(losses) }));
  await fm.writePng(file, fm.lineChart(series, { width: 460, height: 300, logY: true, xLabel: 'step', yLabel: 'CFM loss (25-step mean)', title }));
}

function runMain(main) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { fm, env, seconds, mean, log, resultsFile, fidReference, fidAgainst, realFidFloor, trainUNet, writeLossCurve, runMain };
