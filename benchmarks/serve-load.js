#!/usr/bin/env node
'use strict';
// (12) `flowmatch serve` under load, against the server a Python user would write
// (FastAPI + uvicorn + torch, benchmarks/serve_fastapi.py) with the same weights, both on
// 127.0.0.1, loaded by autocannon with a bounded request count:
//   - the checkerboard MLP (3×256), n = 64, Euler 20 steps: 10,000 requests at concurrency 32;
//   - the small Fashion U-Net, n = 4, midpoint 10 steps: 500 requests at concurrency 16.
// flowmatch runs twice: batching on (the default) and off (--max-batch n: one request's
// rows at a time). All sides run in the same run, their load in chunks taken in turn (so a
// change in what else runs on a shared machine falls on every side alike). Per side:
// requests/s, p50/p99 latency, errors and non-2xx, the server's CPU time per request,
// /healthz p99 under load (a probe every 20 ms), and flowmatch's RSS after the warm-up (the
// first 500 requests; 50 for the U-Net) and at the end. Targets: 0 errors and 0 5xx; /healthz p99 ≤ 50 ms; MLP throughput ≥ 2× and
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

/** CPU seconds (user + system) a process has used so far. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** /healthz latency every 20 ms while `during` runs (each time in ms, appended to `times`). */
async function withHealthProbe(port, times, during) {
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
  return result;
}

/** `amount` requests at `connections`; every response's latency in ms is appended to `latencies`. */
function load(port, body, amount, connections, latencies) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url: `http://127.0.0.1:${port}/v1/sample`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), amount, connections: Math.min(connections, amount), timeout: 120 }, (err, r) => (err ? reject(err) : resolve(r)));
    if (latencies) instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

/**
 * One scenario, every side at once: the servers all start (idle ones cost nothing), each is
 * warmed up, then the load runs in CHUNKS chunks taken in turn by the sides, so that a
 * change in what else runs on the machine falls on all sides alike (the ratios are same-run
 * ratios, whatever the load). Per side: requests/s over its own chunks' time, p50/p99 over
 * every response, CPU seconds of the server process per request (a measure of work that
 * other processes on the machine do not change much), /healthz p99, RSS.
 */
const CHUNKS = 5;
async function scenarioRun(scenario, sides) {
  const started = [];
  try {
    for (const s of sides) started.push({ ...s, ...(await s.start()) });
    // The first 500 requests (or the whole load when smaller; a tenth of it for the slow U-Net) warm each server up; RSS is read after them.
    const warm = Math.min(500, scenario.warm ?? scenario.amount);
    for (const s of started) {
      await load(s.port, scenario.body, warm, scenario.connections);
      s.rssFirst = rssMb(s.child.pid);
      Object.assign(s, { completed: 0, duration: 0, errors: 0, non2xx: 0, cpu: 0, latencies: [], health: [] });
    }
    const loads = [];
    for (let c = 0; c < CHUNKS; c++) {
      const amount = Math.floor(scenario.amount / CHUNKS) + (c < scenario.amount % CHUNKS ? 1 : 0);
      if (amount === 0) continue;
      for (const s of started) {
        const cpu0 = cpuSeconds(s.child.pid);
        const r = await withHealthProbe(s.port, s.health, () => load(s.port, scenario.body, amount, scenario.connections, s.latencies));
        s.cpu += cpuSeconds(s.child.pid) - cpu0;
        s.completed += r.requests.total;
        s.duration += r.duration;
        s.errors += r.errors + r.timeouts;
        s.non2xx += r.non2xx;
        loads.push(os.loadavg()[0]);
      }
    }
    const out = {};
    for (const s of started) {
      const latencies = s.latencies.sort((a, b) => a - b);
      const health = s.health.sort((a, b) => a - b);
      const row = {
        side: s.name,
        requests_per_s: s.completed / s.duration,
        completed: s.completed,
        latency_p50_ms: percentile(latencies, 0.5),
        latency_p99_ms: percentile(latencies, 0.99),
        errors: s.errors,
        non2xx: s.non2xx,
        server_cpu_ms_per_request: (1000 * s.cpu) / s.completed,
        healthz_p99_ms: percentile(health, 0.99),
        rss_first_mb: s.flowmatch ? s.rssFirst : undefined,
        rss_end_mb: s.flowmatch ? rssMb(s.child.pid) : undefined,
      };
      out[s.name] = row;
      console.log(`  ${scenario.label}, ${s.label ?? s.name}: ${row.requests_per_s.toFixed(1)} req/s, p50 ${row.latency_p50_ms.toFixed(1)} ms, p99 ${row.latency_p99_ms.toFixed(1)} ms, errors ${row.errors}, non-2xx ${row.non2xx}, server CPU ${row.server_cpu_ms_per_request.toFixed(2)} ms/request, /healthz p99 ${row.healthz_p99_ms.toFixed(1)} ms${s.flowmatch ? `, RSS ${row.rss_first_mb.toFixed(0)} → ${row.rss_end_mb.toFixed(0)} MB` : ''}`);
    }
    console.log(`  (1-minute load average during the chunks: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${os.cpus().length} cores)`);
    return { sides: out, load_average: [Math.min(...loads), Math.max(...loads)] };
  } finally {
    for (const s of started) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
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
      { label: 'U-Net n=4 midpoint 10', run: unetRun, kind: 'unet', n: 4, body: { n: 4, method: 'midpoint', steps: 10 }, amount: override('SERVE_LOAD_UNET_REQUESTS', size(mode, { quick: 16, standard: 500 })), warm: 50, connections: 16 },
    ].filter((s) => !process.env.SERVE_LOAD_ONLY || s.kind === process.env.SERVE_LOAD_ONLY);
    const extra = (process.env.SERVE_LOAD_ARGS || '').split(/\s+/).filter(Boolean);
    const env = { FLOWMATCH_THREADS: String(THREADS), PYTHONPATH: resolver.pythonPathWithLocal() };
    const results = [];
    let port = 18700 + (process.pid % 500);
    for (const s of scenarios) {
      const variants = [['flowmatch (batching on)', 1024], ['flowmatch (batching off)', s.n]].filter(([name]) => !(process.env.SERVE_LOAD_NO_OFF && name.includes('off')));
      const sides = variants.map(([name, maxBatch]) => {
        const p = port++;
        return { name, port: p, flowmatch: true, start: () => start(process.execPath, ['--import=tsx', CLI, 'serve', '--run', s.run, '--port', String(p), '--max-batch', String(maxBatch), '--max-queue', '1024', ...extra], env, p) };
      });
      const p = port++;
      sides.push({ name: 'fastapi', label: 'FastAPI + uvicorn + torch', port: p, flowmatch: false, start: () => start(process.env.FLOWMATCH_PYTHON || 'python3', [path.join(__dirname, 'serve_fastapi.py')], { ...env, KIND: s.kind, HIDDEN: '256,256,256', WEIGHTS: path.join(s.run, 'model.safetensors'), PORT: String(p) }, p) });
      const r = await scenarioRun(s, sides);
      results.push({ scenario: s.label, requests: s.amount, connections: s.connections, ...r });
    }
    const mlp = results.find((r) => r.scenario.startsWith('MLP'));
    const unet = results.find((r) => r.scenario.startsWith('U-Net'));
    const on = (r) => r.sides['flowmatch (batching on)'];
    const ratio = (r) => (r === undefined ? NaN : on(r).requests_per_s / r.sides.fastapi.requests_per_s);
    const ratioMlp = ratio(mlp);
    const ratioUnet = ratio(unet);
    const cpuRatio = (r) => (r === undefined ? NaN : r.sides.fastapi.server_cpu_ms_per_request / on(r).server_cpu_ms_per_request);
    for (const r of results) console.log(`  ${r.scenario}: flowmatch/FastAPI throughput ${ratio(r).toFixed(2)}×, FastAPI/flowmatch server CPU per request ${cpuRatio(r).toFixed(2)}×`);
    const all = results.flatMap((r) => Object.values(r.sides));
    const flowmatchSides = all.filter((s) => s.side.startsWith('flowmatch'));
    const rssGrowth = Math.max(...flowmatchSides.map((s) => s.rss_end_mb - s.rss_first_mb));
    const result = {
      name: 'flowmatch serve vs FastAPI + uvicorn + torch',
      flowmatch_s: mlp ? 1 / on(mlp).requests_per_s : NaN,
      python_s: mlp ? 1 / mlp.sides.fastapi.requests_per_s : NaN,
      ratio: 1 / ratioMlp,
      ratio_unet: 1 / ratioUnet,
      cpu_ratio_mlp: cpuRatio(mlp),
      cpu_ratio_unet: cpuRatio(unet),
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
