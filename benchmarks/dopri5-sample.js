'use strict';
// dopri5 sampling of 2-D points with an MLP, rtol = atol = 1e-5, against the Python dopri5 (torchdiffeq's algorithm) on the
// same weights and the same starting noise, so the two solvers see the same problem and
// their NFE can be compared. Shared by the large- and small-MLP sampling benchmarks.
const fs = require('fs');
const { flowmatch, PythonWorker, compare, scratchDir } = require('./harness.js');
const { createMlp, saveWeights, saveTensors } = require('./models.js');

/**
 * `solves` solves per round, their median kept (on both sides): a solve of the small MLP
 * takes milliseconds, so one solve per round would mostly time V8 and CPython warming up
 * and timer noise rather than the steady state a server sees. `threads` sets the intra-op
 * threads of both sides for this comparison (default: as configured).
 */
async function dopri5Sample({ name, hidden, n, reps, solves = 1, warmup = 1, threads }) {
  const fm = flowmatch();
  const previousThreads = fm.getNumThreads();
  if (threads !== undefined) fm.setNumThreads(threads);
  fm.manualSeed(0);
  const dir = scratchDir(name.replace(/\W+/g, '-'));
  const model = createMlp(hidden);
  const x0 = fm.keep(fm.randn([n, 2]));
  const weights = saveWeights(model, dir);
  const inputs = saveTensors({ x0 }, dir);
  const worker = new PythonWorker(fm.getNumThreads());
  const run = () => {
    const times = [];
    let r;
    let mean;
    for (let i = 0; i < solves; i++) {
      const start = process.hrtime.bigint();
      r = fm.sample(model, { x0, method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
      mean = fm.tidy(() => r.samples.mean(0).toArray());
      r.samples.dispose();
    }
    times.sort((a, b) => a - b);
    return { seconds: times[Math.floor(solves / 2)], nfe: r.nfe, mean };
  };
  try {
    return await compare({ name, python: 'dopri5_sample', pythonArgs: { hidden, weights, inputs, solves }, flowmatch: run, reps, warmup, worker });
  } finally {
    worker.close();
    fm.setNumThreads(previousThreads);
    x0.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = dopri5Sample;
