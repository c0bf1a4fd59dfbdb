#!/usr/bin/env node
'use strict';
// (6) dopri5 sampling of 256 2-D points with the 3×64 MLP (per-call overhead dominates), rtol = atol = 1e-5.
// Targets: NFE equal to torchdiffeq's, flowmatch / PyTorch eager ≤ 0.8.
// A second comparison with both sides on one thread is printed alongside: flowmatch runs the
// MLP's small products on the calling thread (native/small_gemm.h) while PyTorch splits
// them over its threads, and with one thread each only the solver and binding differ.
const { judge, report, cli, size } = require('./harness.js');
const { MLP_SMALL } = require('./models.js');
const dopri5Sample = require('./dopri5-sample.js');

async function main({ mode = 'standard' } = {}) {
  const setup = {
    hidden: MLP_SMALL,
    n: size(mode, { quick: 16, standard: 256 }),
    reps: size(mode, { quick: 1, standard: 5, full: 9 }),
    solves: size(mode, { quick: 1, standard: 21, full: 51 }),
  };
  const result = await dopri5Sample({ ...setup, name: 'dopri5 sampling, MLP 3×64, 256 points' });
  const nfe = { flowmatch: result.flowmatch_extra.nfe, torchdiffeq: result.python_extra.nfe };
  result.nfe = nfe;
  const single = await dopri5Sample({ ...setup, name: 'dopri5 sampling, MLP 3×64, 256 points, one thread per side', threads: 1 });
  result.one_thread = { flowmatch_s: single.flowmatch_s, python_s: single.python_s, ratio: single.ratio };
  report(single);
  judge(result, [
    [`NFE equal (${nfe.flowmatch} vs ${nfe.torchdiffeq})`, nfe.flowmatch === nfe.torchdiffeq],
    ['flowmatch/PyTorch ≤ 0.8', result.ratio <= 0.8],
  ]);
  report(result);
  return result;
}

module.exports = main;
cli(module, main);
