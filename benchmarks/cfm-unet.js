#!/usr/bin/env node
'use strict';
// (4) CFM training step of the small ADM U-Net (28×28, batch 64, Adam) against PyTorch
// eager and against the same model driven by a plain C++ loop. Targets: ≤ 1.0 × PyTorch,
// ≤ 1.03 × C++ (what crossing into JS may cost).
const { flowmatch, judge, report, cli, size } = require('./harness.js');
const { createUNet } = require('./models.js');
const cfmStep = require('./cfm-step.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  const result = await cfmStep({
    mode,
    name: 'CFM step, U-Net 28×28, batch 64',
    model: createUNet(),
    x1: (batch) => fm.rand([batch, 1, 28, 28]).mul(2).sub(1),
    python: { kind: 'unet' },
    cpp: { model: 'unet' },
    batch: size(mode, { quick: 2, standard: 64 }),
    steps: size(mode, { quick: 1, standard: 5, full: 10 }),
    reps: size(mode, { quick: 1, standard: 5, full: 7 }),
  });
  // A quick run without a built C++ baseline has only the PyTorch target to judge.
  const checks = [['flowmatch/PyTorch ≤ 1.0', result.ratio <= 1.0]];
  if (result.cpp_s !== undefined) checks.push(['flowmatch/C++ ≤ 1.03', result.ratio_cpp <= 1.03]);
  judge(result, checks);
  report(result);
  return result;
}

module.exports = main;
cli(module, main);
