'use strict';
// One CFM training step timed three ways (flowmatch, PyTorch eager, the C++ loop): OT path
// with σ_min = 1e-4, MSE to the conditional velocity, Adam (lr 1e-3; the fused kernel on
// every side). Shared by the MLP and U-Net training-step benchmarks.
const fs = require('fs');
const { flowmatch, PythonWorker, compare, scratchDir, cppBuilt } = require('./harness.js');
const { saveWeights } = require('./models.js');

/**
 * `model` is a flowmatch Module; `x1` makes the fixed data batch; `python` names the model
 * for python_bench.py ({kind, hidden}); `cpp` the same for the C++ program. Quick (smoke)
 * runs use the C++ side only when it is already built: building it takes minutes.
 */
async function cfmStep({ mode, name, model, x1: makeX1, python, cpp, batch, steps, reps, warmup = 1 }) {
  const fm = flowmatch();
  const dir = scratchDir(name.replace(/\W+/g, '-'));
  const weights = saveWeights(model, dir);
  const worker = new PythonWorker(fm.getNumThreads());
  const x1 = fm.keep(makeX1(batch));
  const path = fm.otPath({ sigmaMin: 1e-4 });
  const opt = new fm.Adam(model.parameters(), { lr: 1e-3 });
  let loss = NaN;
  const step = () =>
    fm.tidy(() => {
      const l = fm.cfmLoss(model, path, x1);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l;
    });
  const run = () => {
    const times = [];
    for (let i = 0; i < steps; i++) {
      const start = process.hrtime.bigint();
      const l = step();
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (i === steps - 1) loss = l.item();
      l.dispose();
    }
    times.sort((a, b) => a - b);
    return { seconds: times[Math.floor(steps / 2)], loss };
  };
  try {
    const threads = fm.getNumThreads();
    return await compare({
      name,
      python: 'cfm_step',
      pythonArgs: { ...python, batch, steps, weights },
      flowmatch: run,
      cpp: mode === 'quick' && !cppBuilt() ? undefined : { ...cpp, batch, steps, warmup: 1, threads, weights },
      reps,
      warmup,
      worker,
    });
  } finally {
    worker.close();
    opt.dispose();
    x1.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = cfmStep;
