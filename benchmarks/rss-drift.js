#!/usr/bin/env node
'use strict';
// (10) Resident-memory drift over 10,000 training steps of the small MLP (3×64, batch 256,
// Adam), flowmatch only: RSS after a warm-up (allocator pools and JIT settled) against RSS
// at the end, after a GC. A leak of one small tensor per step would show as megabytes.
// Target: ≤ 2 MB.
const { flowmatch, judge, cli, size, peakRssMb } = require('./harness.js');
const { MLP_SMALL, createMlp } = require('./models.js');

function rssMb() {
  global.gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  fm.manualSeed(0);
  const steps = size(mode, { quick: 20, standard: 10000 });
  const warmup = size(mode, { quick: 5, standard: 500 });
  const model = createMlp(MLP_SMALL);
  const x1 = fm.keep(fm.randn([256, 2]));
  const path = fm.otPath({ sigmaMin: 1e-4 });
  const opt = new fm.Adam(model.parameters(), { lr: 1e-3 });
  const step = () =>
    fm.tidy(() => {
      const loss = fm.cfmLoss(model, path, x1);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  try {
    for (let i = 0; i < warmup; i++) step();
    const before = rssMb();
    const liveBefore = fm.memory().cpu?.tensors;
    const start = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) step();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9 / steps;
    const after = rssMb();
    const drift = after - before;
    const result = {
      name: `RSS drift, MLP 3×64 training, ${steps} steps`,
      flowmatch_s: seconds,
      drift_mb: drift,
      rss_before_mb: before,
      rss_after_mb: after,
      live_tensors: { before: liveBefore, after: fm.memory().cpu?.tensors },
      gc_exposed: typeof global.gc === 'function',
      rss_mb: { flowmatch: peakRssMb() },
    };
    judge(result, [[`drift ≤ 2 MB (${drift.toFixed(2)} MB)`, drift <= 2]]);
    console.log(`${result.name}: ${drift.toFixed(2)} MB (${before.toFixed(1)} → ${after.toFixed(1)} MB), ${(seconds * 1e3).toFixed(3)} ms/step; live tensors ${result.live_tensors.before} → ${result.live_tensors.after}`);
    return result;
  } finally {
    opt.dispose();
    x1.dispose();
    model.dispose();
  }
}

module.exports = main;
cli(module, main);
