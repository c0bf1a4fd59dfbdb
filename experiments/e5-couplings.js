/**
 * E5 — couplings and reflow (issue 16): independent CFM vs minibatch exact OT vs Sinkhorn vs
 * Schrödinger-bridge CFM at equal budget, and reflow of the independent model.
 *
 * Tasks: 8 Gaussians → moons (a non-Gaussian source: each batch carries its own x0) and
 * N(0, I) → checkerboard. Every run trains the same MLP (3 hidden layers × 256, SiLU, input
 * [x, t]) for STEPS Adam steps (lr 1e-3, no EMA) at batch 256 from the same seed. Paths:
 * the straight interpolation (σ_min = 0) for the first three, the Brownian bridge with
 * σ = 0.5 for SB-CFM (its coupling: Sinkhorn at reg = 2σ² = 0.5, sampled pairs). Sinkhorn
 * alone: reg 0.1, argmax pairing, at most 1000 sweeps per batch.
 *
 * Per run, from the same 1000 source points: Liu et al.'s straightness S and the path length
 * ratio (Euler, 100 steps), dopri5 NFE at rtol = atol = 1e-5, and W2 (exact matching) between
 * samples and 1000 held-out target points at 1, 2, 4, 8 Euler steps and with dopri5.
 * Reflow: pairs from the independent model's dopri5 solves (10000 per task), a student
 * initialized from it and trained STEPS/2 steps on the straight interpolation (1-rectified
 * flow), then distilled for STEPS/4 steps at t = 0; W2 at 1 and 2 Euler steps against the
 * teacher at 100 Euler steps.
 *
 * Reproduce: nice -n 10 node --import tsx experiments/e5-couplings.js [STEPS]
 * Writes experiments/e5-results.json and experiments/e5-*.png.
 */
const fs = require('node:fs');
const path = require('node:path');
const fm = require('../lib/index.ts');

const STEPS = Number(process.argv[2] ?? 3000);
const BATCH = 256;
const EVAL_POINTS = 1000;
const PAIRS = 10000;
const TOL = 1e-5;
const EULER = [1, 2, 4, 8];
const OUT = __dirname;
const PLOT_RANGE = [-5, 5];

const TASKS = {
  '8gaussians-moons': { source: (n) => fm.eightGaussians(n), target: (n) => fm.moons(n) },
  'normal-checkerboard': { source: (n) => fm.randn([n, 2]), target: (n) => fm.checkerboard(n) },
};
const METHODS = {
  independent: () => ({ path: fm.otPath({ sigmaMin: 0 }), coupling: undefined }),
  'exact-ot': () => ({ path: fm.otPath({ sigmaMin: 0 }), coupling: 'exact-ot' }),
  sinkhorn: () => ({ path: fm.otPath({ sigmaMin: 0 }), coupling: { method: 'sinkhorn', reg: 0.1 } }),
  'sb-cfm': () => fm.schrodingerBridge({ sigma: 0.5 }),
};

fm.setNumThreads(Number(process.env.FM_THREADS ?? 1));

const newModel = () => fm.createMLP({ dim: 2, hidden: [256, 256, 256], activation: 'silu' });

/** Exact W2 between two clouds of equal size (the native assignment on squared distances). */
function w2(a, b) {
  return fm.tidy(() => Math.sqrt(fm.otCoupling(a, b).cost));
}

function seeded(seed, fn) {
  fm.manualSeed(seed);
  return fn();
}

/** The quality numbers of one flow from the task's fixed evaluation points. */
function evaluate(model, x0, heldOut, withStraightness = true) {
  model.eval();
  const row = {};
  if (withStraightness) {
    const s = fm.straightness(model, x0, { steps: 100 });
    row.straightness = s.straightness;
    row.relativeStraightness = s.relativeStraightness;
    row.curvature = s.curvature;
    s.samples.dispose();
  }
  const dopri = fm.sample(model, { x0, method: 'dopri5', rtol: TOL, atol: TOL });
  row.dopri5Nfe = dopri.nfe;
  row.w2Dopri5 = w2(dopri.samples, heldOut);
  dopri.samples.dispose();
  row.w2Euler = {};
  for (const k of EULER) {
    const r = fm.sample(model, { x0, method: 'euler', steps: k });
    row.w2Euler[k] = w2(r.samples, heldOut);
    r.samples.dispose();
  }
  return row;
}

/** dopri5 trajectories of 150 of the points; the title is short (the figure is 300 px wide), the legend names the task. */
async function trajectories(model, x0, file, title, legend) {
  const grid = Array.from({ length: 41 }, (_, i) => i / 40);
  const traj = fm.sample(model, { x0: x0.narrow(0, 0, 150), method: 'dopri5', rtol: TOL, atol: TOL, t: grid, returnTrajectory: true });
  await fm.writePng(path.join(OUT, file), fm.trajectoryPlot([{ trajectories: traj.trajectory, name: legend }], { width: 300, height: 300, range: PLOT_RANGE, alpha: 0.4, title }));
  fm.dispose([traj.samples, traj.trajectory]);
}

async function main() {
  const results = { steps: STEPS, batch: BATCH, evalPoints: EVAL_POINTS, pairs: PAIRS, tasks: {} };
  for (const [taskName, task] of Object.entries(TASKS)) {
    const x0 = seeded(9001, () => task.source(EVAL_POINTS));
    const heldOut = seeded(9002, () => task.target(EVAL_POINTS));
    const taskResult = { runs: {}, reflow: {} };
    results.tasks[taskName] = taskResult;
    let teacher;
    for (const [methodName, make] of Object.entries(METHODS)) {
      const { path: probabilityPath, coupling } = make();
      fm.manualSeed(0);
      const model = newModel();
      const started = Date.now();
      const r = await fm.train({ model, path: probabilityPath, coupling, data: () => ({ x: task.target(BATCH), x0: task.source(BATCH) }), steps: STEPS, seed: 0, ema: false, progress: false });
      const seconds = (Date.now() - started) / 1000;
      const row = { trainSeconds: seconds, msPerStep: (1000 * seconds) / STEPS, finalLoss: r.finalLoss, ...evaluate(model, x0, heldOut) };
      taskResult.runs[methodName] = row;
      await trajectories(model, x0, `e5-traj-${taskName}-${methodName}.png`, methodName, taskName);
      process.stderr.write(`${taskName} ${methodName}: ${JSON.stringify(row)}\n`);
      if (methodName === 'independent') teacher = model;
      else model.dispose();
    }

    // Reflow of the independent model: 1-rectified, then distilled.
    const teacherRow = { w2Euler100: w2(fm.sample(teacher, { x0, method: 'euler', steps: 100 }).samples, heldOut) };
    for (const k of [1, 2]) teacherRow[`w2Euler${k}`] = taskResult.runs.independent.w2Euler[k];
    taskResult.reflow.teacher = teacherRow;
    const student = newModel();
    const started = Date.now();
    await fm.reflow({
      teacher,
      student,
      shape: [2],
      source: task.source,
      pairs: PAIRS,
      batchSize: BATCH,
      steps: Math.round(STEPS / 2),
      rounds: 1,
      distill: true,
      distillSteps: Math.round(STEPS / 4),
      ema: false,
      seed: 0,
      progress: false,
      onPhase: async (phase) => {
        const name = phase.phase === 'reflow' ? '1-rectified' : 'distilled';
        const row = { generationNfe: phase.generationNfe, trainSteps: phase.train.step, ...evaluate(student, x0, heldOut, phase.phase === 'reflow') };
        taskResult.reflow[name] = row;
        if (phase.phase === 'reflow') await trajectories(student, x0, `e5-traj-${taskName}-reflow.png`, '1-rectified', taskName);
        process.stderr.write(`${taskName} ${name}: ${JSON.stringify(row)}\n`);
        student.train();
      },
    });
    taskResult.reflow.seconds = (Date.now() - started) / 1000;
    student.dispose();
    teacher.dispose();
    fm.dispose([x0, heldOut]);
    fs.writeFileSync(path.join(OUT, 'e5-results.json'), JSON.stringify(results, null, 2) + '\n');
  }
  fs.writeFileSync(path.join(OUT, 'e5-results.json'), JSON.stringify(results, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
