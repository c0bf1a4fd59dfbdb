#!/usr/bin/env node
'use strict';
// (8) Exact log-likelihood of 2,000 2-D points with the 4×512 MLP: dopri5 (rtol = atol =
// 1e-5) from t = 1 to 0, the divergence from one VJP per dimension, against torchdiffeq on
// the same weights and points. Target: flowmatch / PyTorch eager ≤ 0.9.
const fs = require('fs');
const { flowmatch, PythonWorker, compare, scratchDir, judge, report, cli, size } = require('./harness.js');
const { MLP_LARGE, createMlp, saveWeights, saveTensors } = require('./models.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  fm.manualSeed(0);
  const n = size(mode, { quick: 50, standard: 2000 });
  const dir = scratchDir('nll-mlp');
  const model = createMlp(MLP_LARGE);
  const x1 = fm.keep(fm.randn([n, 2]));
  const weights = saveWeights(model, dir);
  const inputs = saveTensors({ x1 }, dir);
  const worker = new PythonWorker(fm.getNumThreads());
  const run = () => {
    const start = process.hrtime.bigint();
    const r = fm.likelihood(model, x1, { divergence: 'exact', method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const meanLogp = r.logProb.mean().item();
    fm.dispose([r.logProb, r.x0, r.divergenceIntegral]);
    return { seconds, nfe: r.nfe, mean_logp: meanLogp };
  };
  try {
    const result = await compare({ name: `exact NLL, MLP 4×512, ${n} points`, python: 'exact_nll', pythonArgs: { hidden: MLP_LARGE, weights, inputs }, flowmatch: run, reps: size(mode, { quick: 1, standard: 5, full: 9 }), worker });
    result.nfe = { flowmatch: result.flowmatch_extra.nfe, torchdiffeq: result.python_extra.nfe };
    judge(result, [['flowmatch/PyTorch ≤ 0.9', result.ratio <= 0.9]]);
    report(result);
    return result;
  } finally {
    worker.close();
    x1.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = main;
cli(module, main);
