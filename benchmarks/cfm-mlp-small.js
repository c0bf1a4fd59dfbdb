#!/usr/bin/env node
'use strict';
// (3) CFM training step, 2-D MLP 3×64 SiLU, batch 256, Adam: the step where per-call overhead shows.
// Targets: flowmatch / PyTorch eager ≤ 0.8, flowmatch / the C++ loop ≤ 1.15.
const { flowmatch, judge, report, cli, size } = require('./harness.js');
const { MLP_SMALL, createMlp } = require('./models.js');
const cfmStep = require('./cfm-step.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  fm.manualSeed(0);
  const result = await cfmStep({
    mode,
    name: 'CFM step, MLP 3×64, batch 256',
    model: createMlp(MLP_SMALL),
    x1: (batch) => fm.randn([batch, 2]).mul(2),
    python: { kind: 'mlp', hidden: MLP_SMALL },
    cpp: { model: 'mlp', hidden: MLP_SMALL.join(',') },
    batch: size(mode, { quick: 32, standard: 256 }),
    steps: size(mode, { quick: 2, standard: 200, full: 1000 }),
    reps: size(mode, { quick: 1, standard: 9, full: 11 }),
  });
  // A quick run without a built C++ baseline has only the PyTorch target to judge.
  const checks = [['flowmatch/PyTorch ≤ 0.8', result.ratio <= 0.8]];
  if (result.cpp_s !== undefined) checks.push(['flowmatch/C++ ≤ 1.15', result.ratio_cpp <= 1.15]);
  judge(result, checks);
  report(result);
  return result;
}

module.exports = main;
cli(module, main);
