#!/usr/bin/env node
'use strict';
// (9) Hutchinson bits/dim of 256 8-bit images with the U-Net: K = 1 dequantization draw
// (the same noise on both sides), one Rademacher probe per solve (each side draws its own),
// dopri5 at rtol = atol = 1e-5. Target: flowmatch / PyTorch eager ≤ 1.0. The standard run
// scores 8 images to stay inside the suite's time budget; --full scores 256.
const fs = require('fs');
const { flowmatch, PythonWorker, compare, scratchDir, judge, report, cli, size } = require('./harness.js');
const { createUNet, saveWeights, saveTensors } = require('./models.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  const n = size(mode, { quick: 2, standard: 8, full: 256 });
  const side = size(mode, { quick: 8, standard: 28 });
  const dir = scratchDir('bpd-unet');
  const model = createUNet();
  fm.manualSeed(2);
  const images = fm.keep(fm.randint(0, 256, [n, 1, side, side]).to('uint8'));
  const noise = fm.keep(fm.rand([1, n, 1, side, side]));
  const weights = saveWeights(model, dir);
  const inputs = saveTensors({ images, noise }, dir);
  const worker = new PythonWorker(fm.getNumThreads());
  // Quick runs (8×8 images, loose tolerances) only check that the pipeline works.
  const tol = size(mode, { quick: 1e-1, standard: 1e-5 });
  const run = () => {
    const start = process.hrtime.bigint();
    const bpd = fm.bitsPerDim(model, images, { K: 1, noise, divergence: 'hutchinson', probe: 'rademacher', method: 'dopri5', rtol: tol, atol: tol });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const mean = bpd.mean().item();
    bpd.dispose();
    return { seconds, mean_bpd: mean };
  };
  try {
    const result = await compare({ name: `Hutchinson bits/dim, U-Net, ${n} images`, python: 'hutchinson_bpd', pythonArgs: { weights, inputs, rtol: tol, atol: tol }, flowmatch: run, reps: size(mode, { quick: 1, standard: 2, full: 3 }), worker });
    judge(result, [['flowmatch/PyTorch ≤ 1.0', result.ratio <= 1.0]]);
    report(result);
    return result;
  } finally {
    worker.close();
    fm.dispose([images, noise]);
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = main;
cli(module, main);
