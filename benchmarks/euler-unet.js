#!/usr/bin/env node
'use strict';
// (7) Euler sampling, 100 steps, 256 images 1×28×28 with the U-Net, on the same weights
// and noise as PyTorch eager, whose U-Net is checked first to give flowmatch's output.
// Target: flowmatch / PyTorch eager ≤ 1.0. Every Euler step costs the same, so the
// standard run takes 5 of them (1/20 of the work) to stay inside the suite's time budget;
// --full takes all 100.
const fs = require('fs');
const { flowmatch, PythonWorker, compare, scratchDir, judge, report, cli, size } = require('./harness.js');
const { createUNet, saveWeights, saveTensors } = require('./models.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  const n = size(mode, { quick: 2, standard: 256 });
  const steps = size(mode, { quick: 2, standard: 5, full: 100 });
  // Quick (smoke) runs use 8×8 images: the U-Net takes any size divisible by 4.
  const side = size(mode, { quick: 8, standard: 28 });
  const dir = scratchDir('euler-unet');
  const model = createUNet();
  fm.manualSeed(1);
  const x0 = fm.keep(fm.randn([n, 1, side, side]));
  const weights = saveWeights(model, dir);
  const inputs = saveTensors({ x0 }, dir);
  const worker = new PythonWorker(fm.getNumThreads());
  try {
    const parityFile = fm.tidy(() => {
      const x = fm.randn([4, 1, side, side]);
      const t = fm.tensor([0, 0.25, 0.5, 1]);
      const v = fm.noGrad(() => model.forward(x, t));
      return saveTensors({ x, t, v }, dir, 'parity.safetensors');
    });
    const parity = await worker.run('forward_parity', { weights, inputs: parityFile });
    const run = () => {
      const start = process.hrtime.bigint();
      const r = fm.sample(model, { x0, method: 'euler', steps });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const mean = r.samples.mean().item();
      r.samples.dispose();
      return { seconds, nfe: r.nfe, mean };
    };
    const result = await compare({
      name: `Euler sampling, U-Net, ${n} images, ${steps} steps`,
      python: 'euler_sample',
      pythonArgs: { steps, weights, inputs },
      flowmatch: run,
      reps: size(mode, { quick: 1, standard: 2, full: 3 }),
      worker,
    });
    result.parity = { max_abs_diff: parity.max_abs_diff, max_abs_v: parity.max_abs_v };
    judge(result, [
      ['flowmatch/PyTorch ≤ 1.0', result.ratio <= 1.0],
      [`same U-Net (max |Δv| ${parity.max_abs_diff.toExponential(1)})`, parity.max_abs_diff <= 1e-4 * Math.max(1, parity.max_abs_v)],
    ]);
    report(result);
    return result;
  } finally {
    worker.close();
    x0.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = main;
cli(module, main);
