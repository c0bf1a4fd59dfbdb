'use strict';
// The suite, in the order of RESULTS.md's table: run-all.js runs it, the smoke test covers it.
module.exports = [
  'op-overhead',
  'cfm-mlp-large',
  'cfm-mlp-small',
  'cfm-unet',
  'dopri5-mlp-large',
  'dopri5-mlp-small',
  'euler-unet',
  'nll-mlp',
  'bpd-unet',
  'adjoint',
  'couplings',
  'rss-drift',
  'serve-load',
];
