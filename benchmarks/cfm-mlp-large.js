#!/usr/bin/env node
'use strict';
// (2) CFM training step, 2-D MLP 4×512 SiLU (input [x, t]), batch 4096, Adam.
// Targets: flowmatch / PyTorch eager ≤ 1.0, flowmatch / the C++ loop ≤ 1.03.
const { flowmatch, judge, report, cli, size } = require('./harness.js');
const { MLP_LARGE, createMlp } = require('./models.js');
const cfmStep = require('./cfm-step.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  fm.manualSeed(0);
  const result = await cfmStep({
    mode,
    name: 'CFM step, MLP 4×512, batch 4096',
    model: createMlp(MLP_LARGE),
    x1: (batch) => fm.randn([batch, 2]).mul(2),
    python: { kind: 'mlp', hidden: MLP_LARGE },
    cpp: { model: 'mlp', hidden: MLP_LARGE.join(',') },
    batch: size(mode, { quick: 64, standard: 4096 }),
    steps: size(mode, { quick: 2, standard: 6, full: 30 }),
    reps: size(mode, { quick: 1, standard: 7, full: 9 }),
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
