#!/usr/bin/env node
'use strict';
// (12) `flowmatch serve` under load, against the server a Python user would write
// (FastAPI + uvicorn + torch, benchmarks/serve_fastapi.py) with the same weights, both on
// 127.0.0.1, loaded by autocannon with a bounded request count:
//   - the checkerboard MLP (3×256), n = 64, Euler 20 steps: 10,000 requests at concurrency 32;
//   - the small Fashion U-Net, n = 4, midpoint 10 steps: 500 requests at concurrency 16.
// flowmatch runs twice: batching on (the default) and off (--max-batch n: one request's
// rows at a time). Per side: requests/s, p50/p99 latency, errors and non-2xx, /healthz p99
// under load (a probe every 20 ms), and flowmatch's RSS after the first 500 requests and
// at the end. Targets: 0 errors and 0 5xx; /healthz p99 ≤ 50 ms; MLP throughput ≥ 2× and
// U-Net ≥ 1× FastAPI's; RSS growth ≤ 50 MB.
//
// For iteration (`--quick` is a smoke run): SERVE_LOAD_MLP_REQUESTS / SERVE_LOAD_UNET_REQUESTS
// set the request counts, SERVE_LOAD_ONLY=mlp|unet runs one scenario, SERVE_LOAD_ARGS adds
// options to `flowmatch serve` (e.g. "--workers 2"), SERVE_LOAD_NO_OFF=1 skips batching off.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const autocannon = require('autocannon');
const resolver = require('../scripts/libtorch.js');
const { judge, cli, size } = require('./harness.js');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'lib', 'cli', 'main.ts');
const THREADS = Number(process.env.FLOWMATCH_BENCH_THREADS) || os.cpus().length;

function train(out, args) {
  const r = spawnSync(process.execPath, ['--import=tsx', CLI, 'train', '--out', out, ...args], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`flowmatch train failed: ${r.stderr}`);
}

/** Starts a server process and resolves once its port answers /healthz. */
async function start(command, args, env, port) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { child, exited };
    } catch {}
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${command} did not answer on port ${port}`);
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** /healthz latency every 20 ms while `during` runs; the p99 in ms. */
async function withHealthProbe(port, during) {
  const times = [];
  let stop = false;
  const probe = (async () => {
    while (!stop) {
      const t0 = performance.now();
      try {
        await (await fetch(`http://127.0.0.1:${port}/healthz`)).arrayBuffer();
        times.push(performance.now() - t0);
      } catch {
        times.push(Infinity);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await during();
  stop = true;
  await probe;
  times.sort((a, b) => a - b);
  return { result, healthP99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))], probes: times.length };
}

function load(port, body, amount, connections) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/v1/sample`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), amount, connections, timeout: 120 }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

async function side(name, server, port, scenario, pidOf) {
  const { child, exited } = await server();
  try {
    // The first 500 requests (or the whole load when smaller) warm the server up; RSS is read after them.
    const warm = Math.min(500, scenario.amount);
    await load(port, scenario.body, warm, scenario.connections);
    const rssFirst = pidOf ? rssMb(pidOf(child)) : undefined;
    const { result: r, healthP99 } = await withHealthProbe(port, () => load(port, scenario.body, scenario.amount, scenario.connections));
    const rssEnd = pidOf ? rssMb(pidOf(child)) : undefined;
    const out = {
      side: name,
      // Completed over the run's duration: autocannon's per-second average rounds short runs.
      requests_per_s: r.requests.total / r.duration,
      completed: r.requests.total,
      latency_p50_ms: r.latency.p50,
      latency_p99_ms: r.latency.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
      healthz_p99_ms: healthP99,
      rss_first_mb: rssFirst,
      rss_end_mb: rssEnd,
    };
    console.log(`  ${scenario.label}, ${name}: ${out.requests_per_s.toFixed(1)} req/s, p50 ${out.latency_p50_ms} ms, p99 ${out.latency_p99_ms} ms, errors ${out.errors}, non-2xx ${out.non2xx}, /healthz p99 ${healthP99.toFixed(1)} ms${rssEnd !== undefined ? `, RSS ${rssFirst.toFixed(0)} → ${rssEnd.toFixed(0)} MB` : ''}`);
    return out;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main({ mode = 'standard' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-serve-load-'));
  try {
    const mlpRun = path.join(dir, 'mlp');
    const unetRun = path.join(dir, 'unet');
    train(mlpRun, ['--dataset', 'checkerboard', '--steps', String(size(mode, { quick: 20, standard: 300 })), '--hidden', '256,256,256']);
    train(unetRun, ['--dataset', 'fashion-mnist', '--steps', '2', '--model-channels', '32', '--channel-mult', '1,2,2', '--num-res-blocks', '1', '--attention-resolutions', '14', '--num-heads', '1']);
    const override = (name, value) => (process.env[name] ? Number(process.env[name]) : value);
    const scenarios = [
      { label: 'MLP n=64 Euler 20', run: mlpRun, kind: 'mlp', n: 64, body: { n: 64, method: 'euler', steps: 20 }, amount: override('SERVE_LOAD_MLP_REQUESTS', size(mode, { quick: 300, standard: 10000 })), connections: 32 },
      { label: 'U-Net n=4 midpoint 10', run: unetRun, kind: 'unet', n: 4, body: { n: 4, method: 'midpoint', steps: 10 }, amount: override('SERVE_LOAD_UNET_REQUESTS', size(mode, { quick: 16, standard: 500 })), connections: 16 },
    ].filter((s) => !process.env.SERVE_LOAD_ONLY || s.kind === process.env.SERVE_LOAD_ONLY);
    const extra = (process.env.SERVE_LOAD_ARGS || '').split(/\s+/).filter(Boolean);
    const env = { FLOWMATCH_THREADS: String(THREADS), PYTHONPATH: resolver.pythonPathWithLocal() };
    const results = [];
    let port = 18700 + (process.pid % 500);
    for (const s of scenarios) {
      const sides = {};
      const variants = [['flowmatch (batching on)', 1024], ['flowmatch (batching off)', s.n]].filter(([name]) => !(process.env.SERVE_LOAD_NO_OFF && name.includes('off')));
      for (const [name, maxBatch] of variants) {
        const p = port++;
        sides[name] = await side(name, () => start(process.execPath, ['--import=tsx', CLI, 'serve', '--run', s.run, '--port', String(p), '--max-batch', String(maxBatch), '--max-queue', '1024', ...extra], env, p), p, s, (c) => c.pid);
      }
      const p = port++;
      sides.fastapi = await side('FastAPI + uvicorn + torch', () => start(process.env.FLOWMATCH_PYTHON || 'python3', [path.join(__dirname, 'serve_fastapi.py')], { ...env, KIND: s.kind, HIDDEN: '256,256,256', WEIGHTS: path.join(s.run, 'model.safetensors'), PORT: String(p) }, p), p, s);
      results.push({ scenario: s.label, requests: s.amount, connections: s.connections, sides });
    }
    const mlp = results.find((r) => r.scenario.startsWith('MLP'));
    const unet = results.find((r) => r.scenario.startsWith('U-Net'));
    const on = (r) => r.sides['flowmatch (batching on)'];
    const ratio = (r) => (r === undefined ? NaN : on(r).requests_per_s / r.sides.fastapi.requests_per_s);
    const ratioMlp = ratio(mlp);
    const ratioUnet = ratio(unet);
    const all = results.flatMap((r) => Object.values(r.sides));
    const flowmatchSides = all.filter((s) => s.side.startsWith('flowmatch'));
    const rssGrowth = Math.max(...flowmatchSides.map((s) => s.rss_end_mb - s.rss_first_mb));
    const result = {
      name: 'flowmatch serve vs FastAPI + uvicorn + torch',
      flowmatch_s: mlp ? 1 / on(mlp).requests_per_s : NaN,
      python_s: mlp ? 1 / mlp.sides.fastapi.requests_per_s : NaN,
      ratio: 1 / ratioMlp,
      ratio_unet: 1 / ratioUnet,
      serve_args: extra,
      scenarios: results,
      threads: THREADS,
      shared_machine_load: os.loadavg(),
    };
    judge(result, [
      [`0 errors and 0 5xx (${all.reduce((n, s) => n + s.errors + s.non2xx, 0)})`, all.every((s) => s.errors === 0 && s.non2xx === 0)],
      [`/healthz p99 ≤ 50 ms (flowmatch worst ${Math.max(...flowmatchSides.map((s) => s.healthz_p99_ms)).toFixed(1)} ms)`, flowmatchSides.every((s) => s.healthz_p99_ms <= 50)],
      [`MLP throughput ≥ 2× FastAPI (${ratioMlp.toFixed(2)}×)`, ratioMlp >= 2],
      [`U-Net throughput ≥ 1× FastAPI (${ratioUnet.toFixed(2)}×)`, ratioUnet >= 1],
      [`RSS growth ≤ 50 MB (${rssGrowth.toFixed(1)} MB)`, rssGrowth <= 50],
    ]);
    for (const t of result.targets) console.log(`  ${t.what}: ${t.met ? 'met' : 'NOT met'}`);
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = main;
cli(module, main);
