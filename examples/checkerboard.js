/**
 * The README's main job: Flow Matching with the OT path on the 2-D checkerboard.
 *
 *   npm run setup && node examples/checkerboard.js [--steps 3000]
 *
 * Trains a 3×256 SiLU MLP (batch 1024, Adam at 3e-3 with cosine decay, EMA 0.995) for a few
 * minutes on two cores, samples 10,000 points with dopri5 and with Euler, and writes
 * runs/checkerboard/{samples.png, loss.png, trajectories.png, density.png}.
 */
const path = require('node:path');
const fm = require('../dist/index.js');

const stepsFlag = process.argv.indexOf('--steps');
const STEPS = stepsFlag > 0 ? Number(process.argv[stepsFlag + 1]) : 3000;
const OUT = path.resolve('runs', 'checkerboard');
const N = 10000;
const RANGE = [[-4.5, 4.5], [-4.5, 4.5]];

async function main() {
  const started = Date.now();
  // Seeded before the model is built: the initial weights (and so every number below) repeat run to run.
  fm.manualSeed(0);
  const model = fm.createMLP({ dim: 2, hidden: [256, 256, 256], activation: 'silu' });
  const probabilityPath = fm.otPath();
  const result = await fm.train({
    model,
    path: probabilityPath,
    data: () => ({ x: fm.checkerboard(1024) }),
    steps: STEPS,
    optimizer: { name: 'adam', lr: 3e-3 },
    schedule: { name: 'cosine' },
    ema: { decay: 0.995 },
    outDir: OUT,
    seed: 0,
  });
  // model.safetensors holds the EMA weights: those are the ones to sample from.
  model.load(path.join(OUT, fm.MODEL_FILE));
  model.eval();

  const bar = new fm.ProgressBar({ total: 4, label: 'evaluate', unit: 'plot' });
  const inside = (points) => fm.tidy(() => fm.insideCheckerboard(points).to('float32').mean().item());
  fm.manualSeed(1);
  const dopri = fm.sample(model, { n: N, shape: [2], method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
  const euler = fm.sample(model, { n: N, shape: [2], method: 'euler', steps: 100 });
  await fm.writePng(path.join(OUT, 'samples.png'), fm.scatterPlot(dopri.samples, { title: `dopri5, ${dopri.nfe} NFE`, range: RANGE, radius: 1, alpha: 0.4 }));
  bar.update(1);

  const steps = result.losses.map((_, i) => result.startStep + i + 1);
  await fm.writePng(path.join(OUT, 'loss.png'), fm.lineChart([{ name: 'CFM loss', xs: steps, ys: result.losses }], { title: 'training loss', xLabel: 'step', yLabel: 'loss', logY: true }));
  bar.update(2);

  // OT conditional paths are straight lines; the learned marginal paths are nearly so.
  const paths = fm.sample(model, { n: 300, shape: [2], method: 'euler', steps: 20, returnTrajectory: true });
  await fm.writePng(path.join(OUT, 'trajectories.png'), fm.trajectoryPlot([{ trajectories: paths.trajectory, name: 'noise → data (OT path)' }], { title: 'sampling trajectories', range: RANGE }));
  bar.update(3);

  const density = (points) => fm.logProb(model, points, { divergence: 'exact', rtol: 1e-3, atol: 1e-3 }).exp();
  await fm.writePng(path.join(OUT, 'density.png'), fm.densityHeatmap(density, { title: 'model density (exact divergence)', range: RANGE, resolution: 64 }));
  bar.update(4);
  bar.done();

  console.log(`final loss            ${result.finalLoss.toFixed(4)} (step ${result.step})`);
  console.log(`inside the squares    dopri5 ${(100 * inside(dopri.samples)).toFixed(1)}%, Euler (100 steps) ${(100 * inside(euler.samples)).toFixed(1)}%`);
  console.log(`NFE                   dopri5 ${dopri.nfe} (rtol = atol = 1e-5), Euler ${euler.nfe}`);
  console.log(`time                  ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`pictures              ${OUT}/{samples,loss,trajectories,density}.png`);
  fm.dispose([dopri, euler, paths]);
  model.dispose();
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
