/**
 * E5 (images) — minibatch exact OT on Fashion-MNIST at a small budget (issue 16).
 *
 * Part A, no training: how much an exact assignment shortens noise–image pairs in 784-D.
 * Over 8 batches of 256 training images (in [−1, 1]) and N(0, I) noise: the mean squared
 * pair distance of independent pairs, of exact-OT pairs, and of label-aware exact-OT pairs
 * (within a class), and the coupling's time per batch.
 *
 * Part B: the E2 U-Net (32 channels, mult 1,2,2, one res block, no attention), trained STEPS
 * Adam steps (lr 1e-3, 50 warm-up steps, clip 1, no EMA) at batch BATCH, seed 0, with the
 * independent coupling and with exact OT, OT path σ_min = 1e-4. From the same 256 noise
 * images: FID (built-in classifier features, against the test split) at 1, 2, 4, 8 Euler
 * steps; dopri5 NFE (rtol = atol = 1e-5) and straightness (20 Euler steps) on 32 of them.
 *
 * Reproduce: E5_STEPS=400 nice -n 10 node --import tsx experiments/e5-fashion.js
 * Writes experiments/e5-fashion-results.json and experiments/e5-fashion-*.png.
 */
const path = require('node:path');
const { fm, env, seconds, mean, log, resultsFile, fidReference, fidAgainst, trainUNet, writeLossCurve, runMain } = require('./fashion-common.js');

const STEPS = env('E5_STEPS', 400);
const BATCH = env('E5_BATCH', 64);
const FID_SAMPLES = env('E5_FID_SAMPLES', 256);
const SMALL = env('E5_SMALL_SAMPLES', 32);
const OUT = __dirname;
const UNET = { inChannels: 1, outChannels: 1, modelChannels: 32, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [] };
const EULER = [1, 2, 4, 8];

fm.setNumThreads(env('FM_THREADS', 1));

function pairDistances(train, results) {
  const record = { batches: 8, batch: 256, independent: [], exact: [], labelAware: [], exactMs: [], labelAwareMs: [] };
  fm.manualSeed(5);
  for (let b = 0; b < record.batches; b++) {
    fm.tidy(() => {
      const x1 = fm.toSignedUnit(train.x.narrow(0, b * 256, 256));
      const labels = train.labels.narrow(0, b * 256, 256);
      const x0 = fm.randnLike(x1);
      record.independent.push(x0.sub(x1).reshape([256, -1]).square().sum(1).mean().item());
      let start = Date.now();
      record.exact.push(fm.otCoupling(x0, x1).cost);
      record.exactMs.push(Date.now() - start);
      start = Date.now();
      record.labelAware.push(fm.otCoupling(x0, x1, { labels }).cost);
      record.labelAwareMs.push(Date.now() - start);
    });
  }
  results.pairs = { ...record, meanIndependent: mean(record.independent), meanExact: mean(record.exact), meanLabelAware: mean(record.labelAware), meanExactMs: mean(record.exactMs), meanLabelAwareMs: mean(record.labelAwareMs) };
  log(`pairs: independent ${results.pairs.meanIndependent.toFixed(1)}, exact ${results.pairs.meanExact.toFixed(1)}, label-aware ${results.pairs.meanLabelAware.toFixed(1)} (${results.pairs.meanExactMs.toFixed(0)} ms per exact coupling)`);
}

async function evaluate(name, model, fidRef, record) {
  fm.manualSeed(11);
  const x0 = fm.keep(fm.randn([FID_SAMPLES, 1, 28, 28]));
  record.fidEuler = {};
  for (const k of EULER) {
    const r = fm.sample(model, { x0, method: 'euler', steps: k });
    record.fidEuler[k] = fidAgainst(fidRef, r.samples);
    if (k === 8) await fm.writePng(path.join(OUT, `e5-fashion-samples-${name}.png`), fm.imageGrid(r.samples.narrow(0, 0, 64).clamp(-1, 1), { nrow: 8, padding: 1, valueRange: [-1, 1] }));
    r.samples.dispose();
  }
  const small = x0.narrow(0, 0, SMALL);
  const start = Date.now();
  const drawn = fm.sample(model, { x0: small, method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
  record.dopri5Nfe = drawn.nfe;
  record.dopri5Seconds = seconds(start);
  drawn.samples.dispose();
  const s = fm.straightness(model, small, { steps: 20 });
  record.straightness = s.straightness;
  record.relativeStraightness = s.relativeStraightness;
  record.curvature = s.curvature;
  s.samples.dispose();
  fm.dispose([x0, small]);
  log(`${name}: FID at 1/2/4/8 Euler steps ${EULER.map((k) => record.fidEuler[k].toFixed(1)).join(' / ')}, dopri5 NFE ${record.dopri5Nfe}, straightness ${record.straightness.toFixed(2)}`);
}

async function main() {
  const train = fm.loadMnist({ split: 'train' });
  const test = fm.loadMnist({ split: 'test' });
  const fidRef = fidReference({ x: fm.toSignedUnit(test.x) });
  const { results, flush } = resultsFile(path.join(OUT, 'e5-fashion-results.json'), { steps: STEPS, batch: BATCH, fidSamples: FID_SAMPLES, smallSamples: SMALL, unet: UNET });
  pairDistances(train, results);
  flush();
  results.runs = {};
  const curves = {};
  for (const coupling of ['independent', 'exact-ot']) {
    const start = Date.now();
    const { model, record, losses } = await trainUNet({
      name: coupling,
      unet: UNET,
      path: fm.otPath(),
      data: { x: train.x },
      steps: STEPS,
      batch: BATCH,
      lr: 1e-3,
      warmup: 50,
      coupling: coupling === 'independent' ? undefined : coupling,
    });
    record.wallSeconds = seconds(start);
    results.runs[coupling] = record;
    curves[coupling] = losses;
    await evaluate(coupling, model, fidRef, record);
    flush();
    model.dispose();
  }
  await writeLossCurve(path.join(OUT, 'e5-fashion-loss.png'), curves, `Fashion-MNIST, batch ${BATCH}: independent vs exact OT`);
  flush();
}

runMain(main);
