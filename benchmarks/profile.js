#!/usr/bin/env node
'use strict';
// Where the time goes in the workloads where flowmatch trails: native calls per step
// (every export of the addon wrapped with a counter and a timer), and a summary of a
// V8 CPU profile. Not a benchmark; RESULTS.md quotes what it prints.
//   node benchmarks/profile.js                       call counts and native share per workload
//   node --cpu-prof --cpu-prof-dir=D benchmarks/X.js then
//   node benchmarks/profile.js --summarize D/*.cpuprofile   top self time by function
//   node benchmarks/profile.js --phases [large|small] [rounds] the CFM step's phases against
//                                                    the C++ loop, alternated in this process
const fs = require('fs');
const os = require('os');
const path = require('path');
const { flowmatch, ROOT, buildCpp, CPP_NODE_MODULE, median } = require('./harness.js');
const { MLP_SMALL, MLP_LARGE, createMlp, createUNet, saveWeights } = require('./models.js');

function instrument() {
  const addon = require(path.join(ROOT, 'build', 'Release', 'flowmatch.node'));
  const stats = new Map();
  for (const [name, fn] of Object.entries(addon)) {
    if (typeof fn !== 'function' || name === 'setErrorFactory') continue;
    addon[name] = function counted(...args) {
      const start = process.hrtime.bigint();
      try {
        return fn.apply(this, args);
      } finally {
        const s = stats.get(name) ?? { calls: 0, ns: 0n };
        s.calls++;
        s.ns += process.hrtime.bigint() - start;
        stats.set(name, s);
      }
    };
  }
  return stats;
}

function measure(stats, label, times, fn) {
  fn();
  stats.clear();
  const start = process.hrtime.bigint();
  for (let i = 0; i < times; i++) fn();
  const total = Number(process.hrtime.bigint() - start) / times;
  const rows = [...stats.entries()].sort((a, b) => b[1].calls - a[1].calls);
  const calls = rows.reduce((n, [, s]) => n + s.calls, 0) / times;
  const nativeNs = rows.reduce((n, [, s]) => n + Number(s.ns), 0) / times;
  console.log(`\n${label}: ${(total / 1e6).toFixed(3)} ms per iteration, ${calls.toFixed(1)} native calls, ${((100 * nativeNs) / total).toFixed(1)}% of the time inside them`);
  const line = (list) => '  ' + list.map(([name, s]) => `${name} ${(s.calls / times).toFixed(1)}× ${(Number(s.ns) / s.calls / 1e3).toFixed(1)} µs`).join(', ');
  console.log('  by calls:' + line(rows.slice(0, 12)));
  console.log('  by time: ' + line([...rows].sort((a, b) => Number(b[1].ns - a[1].ns)).slice(0, 6)));
}

function counts() {
  const stats = instrument();
  const fm = flowmatch();
  fm.manualSeed(0);
  const a = fm.ones([16]);
  measure(stats, 'op add (16 float32) + dispose', 10000, () => a.add(a).dispose());

  const mlp = createMlp(MLP_SMALL);
  const x1 = fm.keep(fm.randn([256, 2]));
  const ot = fm.otPath({ sigmaMin: 1e-4 });
  const opt = new fm.Adam(mlp.parameters());
  measure(stats, 'CFM step, MLP 3×64, batch 256', 200, () =>
    fm.tidy(() => {
      const loss = fm.cfmLoss(mlp, ot, x1);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }),
  );
  const x0 = fm.keep(fm.randn([256, 2]));
  let nfe = 0;
  measure(stats, 'dopri5 sample, MLP 3×64, 256 points (per solve)', 200, () => {
    const r = fm.sample(mlp, { x0, method: 'dopri5' });
    nfe = r.nfe;
    r.samples.dispose();
  });
  console.log(`  (NFE ${nfe} per solve)`);

  const unet = createUNet();
  const images = fm.keep(fm.randn([4, 1, 28, 28]));
  measure(stats, 'Euler sample, U-Net, 4 images, 5 steps (per solve)', 2, () => fm.sample(unet, { x0: images, method: 'euler', steps: 5 }).samples.dispose());
}

function summarize(files) {
  const self = new Map();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const dt = profile.timeDeltas;
    profile.samples.forEach((id, i) => {
      const f = byId.get(id).callFrame;
      const key = `${f.functionName || '(anonymous)'} ${path.basename(f.url || '')}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
      total += dt[i] ?? 0;
    });
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [key, us] of top) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
}

/**
 * The CFM step's phases (loss: draw + forward + MSE; zeroGrad + backward; optimizer; the whole
 * step), flowmatch against the C++ loop (`cfm_step.node --breakdown 1`) loaded into this
 * process: rounds of `chunk` steps each, alternating, so both sides share the process, its
 * threads and the minute; each ratio is the median of the rounds' own ratios.
 */
function phases(which = 'large', rounds = 25) {
  buildCpp();
  const cpp = require(CPP_NODE_MODULE);
  const fm = flowmatch();
  fm.manualSeed(0);
  const large = which !== 'small';
  const hidden = large ? MLP_LARGE : MLP_SMALL;
  const batch = large ? 4096 : 256;
  const chunk = large ? 3 : 100;
  const model = createMlp(hidden);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-phases-'));
  const weights = saveWeights(model, dir);
  const x1 = fm.keep(fm.randn([batch, 2]).mul(2));
  const ot = fm.otPath({ sigmaMin: 1e-4 });
  const opt = new fm.Adam(model.parameters(), { lr: 1e-3 });
  const names = ['loss', 'backward', 'optimizer', 'step'];
  const fmRounds = names.map(() => []);
  const cppRounds = names.map(() => []);
  const now = () => Number(process.hrtime.bigint()) / 1e9;
  const fmChunk = (steps) => {
    const times = names.map(() => []);
    for (let i = 0; i < steps; i++) {
      const t0 = now();
      const loss = fm.cfmLoss(model, ot, x1);
      const t1 = now();
      opt.zeroGrad();
      loss.backward();
      const t2 = now();
      opt.step();
      const t3 = now();
      loss.item();
      loss.dispose();
      [t1 - t0, t2 - t1, t3 - t2, now() - t0].forEach((s, k) => times[k].push(s));
    }
    return times.map(median);
  };
  const args = ['--model', 'mlp', '--hidden', hidden.join(','), '--batch', String(batch), '--steps', String(chunk), '--warmup', '1', '--threads', String(fm.getNumThreads()), '--weights', weights, '--breakdown', '1'];
  try {
    fmChunk(2);
    for (let r = 0; r < rounds; r++) {
      fmChunk(chunk).forEach((s, k) => fmRounds[k].push(s));
      const c = JSON.parse(cpp.run(args));
      [c.phases.draw + c.phases.forward_loss, c.phases.backward, c.phases.optimizer, c.seconds].forEach((s, k) => cppRounds[k].push(s));
    }
  } finally {
    opt.dispose();
    x1.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`CFM step phases, MLP ${hidden.length}×${hidden[0]}, batch ${batch}, ${rounds} rounds of ${chunk} steps, ${fm.getNumThreads()} threads:`);
  names.forEach((name, k) => {
    const ratio = median(fmRounds[k].map((f, i) => f / cppRounds[k][i]));
    console.log(`  ${name}: flowmatch ${(median(fmRounds[k]) * 1e3).toFixed(3)} ms, C++ ${(median(cppRounds[k]) * 1e3).toFixed(3)} ms, ratio ${ratio.toFixed(3)}`);
  });
}

const at = process.argv.indexOf('--summarize');
const phasesAt = process.argv.indexOf('--phases');
if (at >= 0) summarize(process.argv.slice(at + 1));
else if (phasesAt >= 0) phases(process.argv[phasesAt + 1], Number(process.argv[phasesAt + 2] ?? 25));
else counts();
