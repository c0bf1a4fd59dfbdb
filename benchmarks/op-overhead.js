#!/usr/bin/env node
'use strict';
// (1) Per-op overhead: `add` on two 16-element float32 tensors, result created and
// released, flowmatch vs PyTorch eager in Python. Target: ratio ≤ 0.8.
const { flowmatch, PythonWorker, compare, judge, report, cli, size } = require('./harness.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  const n = size(mode, { quick: 1000, standard: 200000 });
  const worker = new PythonWorker(fm.getNumThreads());
  const a = fm.ones([16]);
  const b = fm.ones([16]);
  const run = () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) a.add(b).dispose();
    return Number(process.hrtime.bigint() - start) / 1e9 / n;
  };
  try {
    const result = await compare({ name: 'op overhead (add, 16 float32, create + release)', python: 'op_overhead', pythonArgs: { n }, flowmatch: run, reps: size(mode, { quick: 1, standard: 7 }), worker });
    judge(result, [['flowmatch/PyTorch ≤ 0.8', result.ratio <= 0.8]]);
    report(result);
    return result;
  } finally {
    worker.close();
    fm.dispose([a, b]);
  }
}

module.exports = main;
cli(module, main);
