#!/usr/bin/env node
'use strict';
// Forward + backward through a dopri5 solve (rtol = atol = 1e-5, t = 0 → 1) of the 3×64 MLP
// field on 256 2-D points, loss = Σ y(1)², gradients w.r.t. the weights: by odeintAdjoint and
// by backprop through odeint, against the same two in PyTorch (torchdiffeq's algorithms,
// python_dopri5.py and python_adjoint.py) on the same weights and noise. Steps end on t = 1
// on both sides (noOvershoot). Target: flowmatch / PyTorch ≤ 1.0 for each.
const fs = require('fs');
const { flowmatch, PythonWorker, compare, judge, report, cli, size, scratchDir } = require('./harness.js');
const { createMlp, saveWeights, saveTensors, MLP_SMALL } = require('./models.js');

async function main({ mode = 'standard' } = {}) {
  const fm = flowmatch();
  fm.manualSeed(0);
  const n = size(mode, { quick: 16, standard: 256 });
  const reps = size(mode, { quick: 1, standard: 5, full: 9 });
  const solves = size(mode, { quick: 1, standard: 5, full: 11 });
  const dir = scratchDir('adjoint');
  const model = createMlp(MLP_SMALL);
  const x0 = fm.keep(fm.randn([n, 2]));
  const weights = saveWeights(model, dir);
  const inputs = saveTensors({ x0 }, dir);
  const worker = new PythonWorker(fm.getNumThreads());
  const params = model.parameters();
  const f = (t, x) => model.forward(x, fm.full([x.shape[0]], t));
  const opts = { method: 'dopri5', rtol: 1e-5, atol: 1e-5, options: { noOvershoot: true } };

  const run = (how) => () => {
    const times = [];
    let nfe;
    let backward;
    let grad0;
    for (let i = 0; i < solves; i++) {
      for (const p of params) p.grad = null;
      const start = process.hrtime.bigint();
      fm.tidy(() => {
        const sol = how === 'adjoint' ? fm.odeintAdjoint(f, x0, [0, 1], { ...opts, adjointParams: params }) : fm.odeint(f, x0, [0, 1], opts);
        sol.solution.select(0, 1).pow(2).sum().backward();
        nfe = sol.nfe;
        backward = how === 'adjoint' ? sol.backward.nfe : 0;
      });
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
      grad0 = fm.tidy(() => params[0].grad.flatten().narrow(0, 0, 8).toArray());
    }
    times.sort((a, b) => a - b);
    return { seconds: times[Math.floor(solves / 2)], nfe, nfe_backward: backward, grad0 };
  };

  try {
    const results = {};
    for (const how of ['adjoint', 'direct']) {
      const r = await compare({ name: `dopri5 forward + backward (${how}), MLP 3×64, ${n} points`, python: 'adjoint_mlp', pythonArgs: { hidden: MLP_SMALL, weights, inputs, mode: how, solves }, flowmatch: run(how), reps, warmup: 1, worker });
      const a = r.flowmatch_extra;
      const b = r.python_extra;
      r.nfe = { flowmatch: a.nfe, torchdiffeq: b.nfe };
      r.nfe_backward = { flowmatch: a.nfe_backward, torchdiffeq: b.nfe_backward };
      const scale = Math.max(...b.grad0.map(Math.abs));
      r.parity = { max_abs_diff: Math.max(...a.grad0.map((v, i) => Math.abs(v - b.grad0[i]))), scale };
      judge(r, [
        [`forward NFE equal (${a.nfe} vs ${b.nfe})`, a.nfe === b.nfe],
        [`backward NFE ${a.nfe_backward} vs ${b.nfe_backward}`, how === 'direct' || Math.abs(a.nfe_backward - b.nfe_backward) <= 0.1 * b.nfe_backward],
        ['flowmatch/PyTorch ≤ 1.0', r.ratio <= 1.0],
      ]);
      report(r);
      results[how] = r;
    }
    const result = { ...results.adjoint, name: 'dopri5 forward + backward, MLP 3×64, 256 points (adjoint; direct alongside)' };
    result.direct = { flowmatch_s: results.direct.flowmatch_s, python_s: results.direct.python_s, ratio: results.direct.ratio, nfe: results.direct.nfe, met: results.direct.met };
    result.met = results.adjoint.met && results.direct.met;
    result.targets = [...results.adjoint.targets.map((t) => ({ ...t, what: `adjoint: ${t.what}` })), ...results.direct.targets.map((t) => ({ ...t, what: `direct: ${t.what}` }))];
    return result;
  } finally {
    worker.close();
    x0.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = main;
cli(module, main);
