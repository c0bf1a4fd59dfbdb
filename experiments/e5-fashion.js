/**
 * E5 (images) — minibatch exact OT on Fashion-MNIST at a small budget (issue 16).
 *
 * Part A, no training: how much an exact assignment shortens noise–image pairs in 784-D.
 * Over 8 batches of 256 training images (in [−1, 1]) and N(0, I) noise: the mean squared
 * pair distance of independent pairs, of exact-OT pairs, and of label-aware exact-OT pairs
 * (within a class), and the coupling's time per batch.
 *
 * Part B: the E2 U-Net (32 channels, mult 1,2,2, one res block, no attention), trained STEPS
 * Adam steps (lr 1e-3, 50 warm-up steps, clip 1, no EMA) at batch BATCH, seed 0 (the same
 * data order for every run), with four couplings at the same budget: independent, exact OT
 * and Sinkhorn (reg SINKHORN_REG, argmax pairing) on the OT path σ_min = 1e-4, and SB-CFM
 * (the Brownian bridge with σ = SB_SIGMA, pairs sampled from the entropic plan at reg 2σ²).
 * From the same 256 noise images: FID (built-in classifier features, against the test split)
 * at 1, 2, 4, 8 Euler steps; dopri5 NFE (rtol = atol = 1e-5) and straightness (20 Euler
 * steps) on 32 of them.
 *
 * Part C: reflow of the independent model: REFLOW_PAIRS pairs from its dopri5 solves (rtol =
 * atol = REFLOW_TOL), a student started from its weights and trained REFLOW_STEPS steps on
 * the straight interpolation between them (the 1-rectified flow); its FID at 1 and 2 (and 4,
 * 8) Euler steps against the teacher's at 100 Euler steps, on the same 256 noise images.
 *
 * Reproduce: E5_STEPS=120 nice -n 10 node --import tsx experiments/e5-fashion.js
 * Writes experiments/e5-fashion-results.json and experiments/e5-fashion-*.png.
 */
const path = require('node:path');
const { fm, env, seconds, mean, log, resultsFile, fidReference, fidAgainst, trainUNet, writeLossCurve, runMain } = require('./fashion-common.js');

const STEPS = env('E5_STEPS', 120);
const BATCH = env('E5_BATCH', 64);
const FID_SAMPLES = env('E5_FID_SAMPLES', 256);
const SMALL = env('E5_SMALL_SAMPLES', 32);
const OUT = __dirname;
const UNET = { inChannels: 1, outChannels: 1, modelChannels: 32, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [] };
const EULER = [1, 2, 4, 8];
// Sinkhorn's reg is in the cost's units: squared distances of ~1300 between noise and
// images in 784-D, whose spread over a row is in the hundreds. 10 keeps the plan entropic
// but still concentrated on near-optimal partners.
const SINKHORN_REG = env('E5_SINKHORN_REG', 10);
const SB_SIGMA = env('E5_SB_SIGMA', 0.5);
const REFLOW_PAIRS = env('E5_REFLOW_PAIRS', 512);
const REFLOW_STEPS = env('E5_REFLOW_STEPS', Math.round(STEPS / 2));
const REFLOW_TOL = env('E5_REFLOW_TOL', 1e-3);
const TEACHER_STEPS = 100;

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
    if (k === 8) await fm.writePng(path.join(OUT, `e5-fashion-samples-${name}.png`), fm.imageGrid(r.samples.narrow(0, 0, Math.min(64, FID_SAMPLES)).clamp(-1, 1), { nrow: 8, padding: 1, valueRange: [-1, 1] }));
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

/** How each run trains: its path and its coupling. */
function couplingRuns() {
  const sb = fm.schrodingerBridge({ sigma: SB_SIGMA });
  return [
    ['independent', fm.otPath(), undefined],
    ['exact-ot', fm.otPath(), 'exact-ot'],
    ['sinkhorn', fm.otPath(), { method: 'sinkhorn', reg: SINKHORN_REG }],
    ['sb-cfm', sb.path, sb.coupling],
  ];
}

/** FID at 1, 2, 4, 8 Euler steps of a reflowed student and the teacher's at 100 steps, from the same noise as evaluate(). */
async function reflowOfIndependent(teacher, fidRef, results, flush) {
  const record = { pairs: REFLOW_PAIRS, generationTol: REFLOW_TOL, steps: REFLOW_STEPS, batch: BATCH };
  fm.manualSeed(11);
  const x0 = fm.keep(fm.randn([FID_SAMPLES, 1, 28, 28]));
  let start = Date.now();
  const slow = fm.sample(teacher, { x0, method: 'euler', steps: TEACHER_STEPS });
  record.teacherFidEuler100 = fidAgainst(fidRef, slow.samples);
  record.teacherSeconds = seconds(start);
  slow.samples.dispose();
  record.teacherFidEuler = { ...results.runs.independent.fidEuler };
  log(`reflow teacher (independent): FID at ${TEACHER_STEPS} Euler steps ${record.teacherFidEuler100.toFixed(1)}`);
  results.reflow = record;
  flush();
  const student = fm.createUNet(UNET);
  start = Date.now();
  await fm.reflow({
    teacher,
    student,
    shape: [1, 28, 28],
    pairs: REFLOW_PAIRS,
    batchSize: Math.min(BATCH, REFLOW_PAIRS),
    steps: REFLOW_STEPS,
    rounds: 1,
    rtol: REFLOW_TOL,
    atol: REFLOW_TOL,
    generationBatchSize: Math.min(256, REFLOW_PAIRS),
    optimizer: { name: 'adam', lr: 1e-3 },
    clipGradNorm: 1,
    ema: false,
    seed: 0,
    progress: false,
    onPhase: async (phase) => {
      record.generationNfe = phase.generationNfe;
      record.trainSteps = phase.train.step;
    },
  });
  record.seconds = seconds(start);
  student.eval();
  record.studentFidEuler = {};
  for (const k of EULER) {
    const r = fm.sample(student, { x0, method: 'euler', steps: k });
    record.studentFidEuler[k] = fidAgainst(fidRef, r.samples);
    if (k === 1) await fm.writePng(path.join(OUT, 'e5-fashion-samples-reflow-1step.png'), fm.imageGrid(r.samples.narrow(0, 0, Math.min(64, FID_SAMPLES)).clamp(-1, 1), { nrow: 8, padding: 1, valueRange: [-1, 1] }));
    r.samples.dispose();
  }
  const small = x0.narrow(0, 0, SMALL);
  const drawn = fm.sample(student, { x0: small, method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
  record.studentDopri5Nfe = drawn.nfe;
  drawn.samples.dispose();
  const s = fm.straightness(student, small, { steps: 20 });
  record.studentStraightness = s.straightness;
  s.samples.dispose();
  fm.dispose([x0, small]);
  student.dispose();
  log(`reflow: generation NFE ${record.generationNfe}, 1-rectified FID at 1/2/4/8 Euler steps ${EULER.map((k) => record.studentFidEuler[k].toFixed(1)).join(' / ')} vs teacher ${EULER.map((k) => record.teacherFidEuler[k].toFixed(1)).join(' / ')} (teacher at ${TEACHER_STEPS}: ${record.teacherFidEuler100.toFixed(1)}), dopri5 NFE ${record.studentDopri5Nfe}, straightness ${record.studentStraightness.toFixed(2)}`);
  flush();
}

async function main() {
  const started = Date.now();
  const train = fm.loadMnist({ split: 'train' });
  const test = fm.loadMnist({ split: 'test' });
  const fidRef = fidReference({ x: fm.toSignedUnit(test.x) });
  const { results, flush } = resultsFile(path.join(OUT, 'e5-fashion-results.json'), { steps: STEPS, batch: BATCH, fidSamples: FID_SAMPLES, smallSamples: SMALL, unet: UNET, sinkhornReg: SINKHORN_REG, sbSigma: SB_SIGMA, reflow: { pairs: REFLOW_PAIRS, steps: REFLOW_STEPS, generationTol: REFLOW_TOL, teacherSteps: TEACHER_STEPS } });
  pairDistances(train, results);
  flush();
  results.runs = {};
  const curves = {};
  let teacher;
  for (const [name, probabilityPath, coupling] of couplingRuns()) {
    const start = Date.now();
    const { model, record, losses } = await trainUNet({
      name,
      unet: UNET,
      path: probabilityPath,
      data: { x: train.x },
      steps: STEPS,
      batch: BATCH,
      lr: 1e-3,
      warmup: 50,
      coupling,
    });
    record.wallSeconds = seconds(start);
    results.runs[name] = record;
    curves[name] = losses;
    await evaluate(name, model, fidRef, record);
    flush();
    if (name === 'independent') teacher = model;
    else model.dispose();
  }
  await writeLossCurve(path.join(OUT, 'e5-fashion-loss.png'), curves, `Fashion-MNIST, batch ${BATCH}, ${STEPS} steps: four couplings`);
  await reflowOfIndependent(teacher, fidRef, results, flush);
  teacher.dispose();
  results.totalSeconds = seconds(started);
  flush();
  log(`done in ${results.totalSeconds.toFixed(0)} s`);
}

runMain(main);
