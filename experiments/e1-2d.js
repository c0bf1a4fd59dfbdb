/**
 * E1 — 2-D toy densities, OT vs VP vs VE paths (Lipman et al. 2023, §6 / Fig. 3 idea).
 *
 * Budget: 3 datasets × 3 paths = 9 runs of the same MLP (3 hidden layers × 256, SiLU,
 * input [x, t]), each STEPS Adam steps (lr 1e-3, no EMA) at batch 512. STEPS defaults to
 * 2000, chosen so the whole script (training + likelihood + sampling) fits in about
 * 30 minutes on 2 shared CPU cores with one libtorch thread.
 *
 * Per run: held-out NLL (nats, exact divergence, dopri5 rtol = atol = 1e-5) on 1000 fresh
 * points drawn with a seed the training never used; W2 between 1000 dopri5 samples and those
 * points; dopri5 NFE of sampling and of the likelihood solve; the loss curve; training time.
 *
 * Reproduce: nice -n 10 node --import tsx experiments/e1-2d.js [STEPS]
 * Writes experiments/e1-results.json and experiments/e1-*.png.
 */
const fs = require('node:fs');
const path = require('node:path');
const fm = require('../lib/index.ts');

const STEPS = Number(process.argv[2] ?? 2000);
const BATCH = 512;
const EVAL_POINTS = 1000;
const TOL = 1e-5;
const OUT = __dirname;
const DATASETS = ['checkerboard', '8gaussians', 'moons'];
// VE's source is N(x1, σ_max²·I); σ_max = 10 is a few times the data's extent (≈ 4), so
// p_0 ≈ N(0, σ_max²·I) within ‖x1‖²/(2σ_max²) ≤ 0.08 nats, without VE's default 50
// blowing up the velocity scale for data this small.
const VE_SIGMA_MAX = 10;
// VP's σ'_t/σ_t diverges at t = 1 and VE's does not, but both are kept off the end point alike.
const PATHS = {
  ot: { make: () => fm.otPath(), timeSampler: fm.uniformTime(), sourceStd: 1 },
  vp: { make: () => fm.vpDiffusionPath(), timeSampler: fm.uniformTime({ max: 1 - 1e-5 }), sourceStd: 1 },
  ve: { make: () => fm.veDiffusionPath({ sigmaMax: VE_SIGMA_MAX }), timeSampler: fm.uniformTime({ max: 1 - 1e-5 }), sourceStd: VE_SIGMA_MAX },
};
const PLOT_RANGE = [-5, 5];

fm.setNumThreads(Number(process.env.FM_THREADS ?? 1));

function save(name, image) {
  return fm.writePng(path.join(OUT, name), image);
}

/** Trailing mean over `window` steps, so curves of noisy per-batch losses can be compared. */
function smooth(values, window = 50) {
  const out = [];
  let sum = 0;
  values.forEach((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  });
  return out;
}

/** log p_1(x) with the path's own source N(0, s²·I); likelihood() assumes s = 1, so the prior is redone here. */
function heldOutNll(model, x, sourceStd) {
  return fm.tidy(() => {
    const r = fm.likelihood(model, x, { method: 'dopri5', rtol: TOL, atol: TOL });
    const d = x.shape[1];
    const logPrior = r.x0.square().sum(1).mul(-0.5 / (sourceStd * sourceStd)).sub(d * Math.log(sourceStd) + (d / 2) * Math.log(2 * Math.PI));
    const logP = logPrior.sub(r.divergenceIntegral);
    return { nll: -logP.mean().item(), nfe: r.nfe };
  });
}

async function run(dataset, pathName) {
  const spec = PATHS[pathName];
  const model = fm.createMLP({ dim: 2, width: 256, depth: 3, activation: 'silu' });
  const result = await fm.train({
    model,
    path: spec.make(),
    data: () => ({ x: fm.sampleToy(dataset, BATCH) }),
    steps: STEPS,
    optimizer: { name: 'adam', lr: 1e-3 },
    ema: false,
    timeSampler: spec.timeSampler,
    seed: 0,
    progress: false,
  });
  model.eval();

  fm.manualSeed(1_000_003);
  const heldOut = fm.keep(fm.sampleToy(dataset, EVAL_POINTS));
  let evalStart = Date.now();
  const { nll, nfe: nllNfe } = heldOutNll(model, heldOut, spec.sourceStd);
  const nllSeconds = (Date.now() - evalStart) / 1000;

  fm.manualSeed(7);
  evalStart = Date.now();
  const x0 = fm.keep(fm.tidy(() => fm.randn([EVAL_POINTS, 2]).mul(spec.sourceStd)));
  const drawn = fm.sample(model, { x0, method: 'dopri5', rtol: TOL, atol: TOL });
  const sampleSeconds = (Date.now() - evalStart) / 1000;
  const w2 = fm.wasserstein(drawn.samples, heldOut, { p: 2, maxPoints: EVAL_POINTS });

  await save(`e1-samples-${dataset}-${pathName}.png`, fm.scatterPlot(drawn.samples, { width: 240, height: 240, range: PLOT_RANGE, radius: 1.2, alpha: 0.6, title: `${dataset} ${pathName.toUpperCase()}` }));
  const grid = Array.from({ length: 21 }, (_, i) => i / 20);
  const traj = fm.sample(model, { x0: x0.narrow(0, 0, 150), method: 'dopri5', rtol: TOL, atol: TOL, t: grid, returnTrajectory: true });
  await save(`e1-traj-${dataset}-${pathName}.png`, fm.trajectoryPlot([{ trajectories: traj.trajectory, name: pathName.toUpperCase() }], { width: 300, height: 300, range: PLOT_RANGE, alpha: 0.4, title: `${dataset}: ${pathName.toUpperCase()} paths` }));

  fm.dispose([heldOut, x0, drawn, traj]);
  model.dispose();
  const record = {
    dataset,
    path: pathName,
    steps: STEPS,
    batch: BATCH,
    trainSeconds: result.seconds,
    finalLossMean100: result.losses.slice(-100).reduce((a, b) => a + b, 0) / Math.min(100, result.losses.length),
    nll,
    nllNfe,
    nllSeconds,
    w2,
    sampleNfe: drawn.nfe,
    sampleSeconds,
    losses: result.losses,
  };
  console.log(`${dataset} ${pathName}: train ${result.seconds.toFixed(1)} s, NLL ${nll.toFixed(3)} nats (NFE ${nllNfe}), W2 ${w2.toFixed(3)}, sample NFE ${drawn.nfe}`);
  return record;
}

async function main() {
  const started = Date.now();
  const records = [];
  for (const dataset of DATASETS) {
    for (const pathName of Object.keys(PATHS)) {
      records.push(await run(dataset, pathName));
      fs.writeFileSync(path.join(OUT, 'e1-results.json'), JSON.stringify({ steps: STEPS, batch: BATCH, records: records.map(({ losses, ...r }) => r) }, null, 2) + '\n');
    }
    const mine = records.filter((r) => r.dataset === dataset);
    const series = mine.map((r) => {
      const ys = smooth(r.losses);
      const xs = ys.map((_, i) => i + 1).filter((_, i) => i % 10 === 9);
      return { name: r.path.toUpperCase(), xs, ys: xs.map((x) => ys[x - 1]) };
    });
    await save(`e1-loss-${dataset}.png`, fm.lineChart(series, { width: 420, height: 280, logY: true, xLabel: 'step', yLabel: 'CFM loss (50-step mean)', title: dataset }));
  }
  const curves = Object.fromEntries(records.map((r) => [`${r.dataset}/${r.path}`, smooth(r.losses).filter((_, i) => i % 10 === 9)]));
  fs.writeFileSync(path.join(OUT, 'e1-results.json'), JSON.stringify({ steps: STEPS, batch: BATCH, totalSeconds: (Date.now() - started) / 1000, records: records.map(({ losses, ...r }) => r), smoothedLossEvery10: curves }) + '\n');
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
