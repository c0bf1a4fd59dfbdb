#!/usr/bin/env node
'use strict';
// (1) Per-op overhead: `add` on two 16-element float32 tensors, result created and
// released, flowmatch vs PyTorch eager in Python. Target: ratio ≤ 0.8.
const fm = require('../dist/index.js');
const { PythonWorker, compare, report } = require('./harness.js');

async function main({ iterations = 200000, reps = 7, quick = false } = {}) {
  const n = quick ? 1000 : iterations;
  const worker = new PythonWorker(fm.getNumThreads());
  const a = fm.ones([16]);
  const b = fm.ones([16]);
  const flowmatch = () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) a.add(b).dispose();
    return Number(process.hrtime.bigint() - start) / 1e9 / n;
  };
  try {
    const result = await compare({ name: 'op overhead (add, 16 float32, create + release)', python: 'op_overhead', pythonArgs: { n }, flowmatch, reps: quick ? 1 : reps, warmup: 1, worker });
    result.rss_mb = { flowmatch: process.memoryUsage().rss / 2 ** 20, python: result.python_extra.rss_mb };
    report(result, 0.8);
    return result;
  } finally {
    worker.close();
    fm.dispose([a, b]);
  }
}

module.exports = main;
if (require.main === module) main({ quick: process.argv.includes('--quick') }).catch((e) => { console.error(e); process.exit(1); });
