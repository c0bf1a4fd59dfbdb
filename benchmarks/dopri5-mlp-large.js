#!/usr/bin/env node
'use strict';
// (5) dopri5 sampling of 10,000 2-D points with the 4×512 MLP, rtol = atol = 1e-5.
// Targets: NFE equal to torchdiffeq's, flowmatch / PyTorch eager ≤ 1.0.
const { judge, report, cli, size } = require('./harness.js');
const { MLP_LARGE } = require('./models.js');
const dopri5Sample = require('./dopri5-sample.js');

async function main({ mode = 'standard' } = {}) {
  const result = await dopri5Sample({
    name: 'dopri5 sampling, MLP 4×512, 10,000 points',
    hidden: MLP_LARGE,
    n: size(mode, { quick: 100, standard: 10000 }),
    reps: size(mode, { quick: 1, standard: 5, full: 9 }),
  });
  const nfe = { flowmatch: result.flowmatch_extra.nfe, torchdiffeq: result.python_extra.nfe };
  result.nfe = nfe;
  judge(result, [
    [`NFE equal (${nfe.flowmatch} vs ${nfe.torchdiffeq})`, nfe.flowmatch === nfe.torchdiffeq],
    ['flowmatch/PyTorch ≤ 1.0', result.ratio <= 1.0],
  ]);
  report(result);
  return result;
}

module.exports = main;
cli(module, main);
