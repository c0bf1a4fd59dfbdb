'use strict';
// Side-by-side benchmark harness: flowmatch in this process, PyTorch eager in a Python
// worker process (same torch install, same thread count), and where present the pure C++
// libtorch program in benchmarks/cpp. Runs alternate, warm-up first, medians reported with
// ratios. Each Python benchmark is a function in python_bench.py.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync, execFileSync } = require('child_process');
const readline = require('readline');
const resolver = require('../scripts/libtorch.js');

const ROOT = path.resolve(__dirname, '..');
const CPP_BUILD = path.join(__dirname, '.build');

let library;
/**
 * The library from lib/ through tsx, so a benchmark measures the source tree as it is
 * and never a stale dist/ (TypeScript transpiles to the same JavaScript either way).
 * FLOWMATCH_BENCH_THREADS sets the thread count of every side: on a loaded machine two
 * intra-op threads spin against other processes and a step can take 20× longer.
 */
function flowmatch() {
  if (library === undefined) {
    library = require('tsx/cjs/api').require('../lib/index.ts', __filename);
    if (process.env.FLOWMATCH_BENCH_THREADS) library.setNumThreads(Number(process.env.FLOWMATCH_BENCH_THREADS));
  }
  return library;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024;
}

/** A long-lived Python process that runs named benchmarks on request (see python_bench.py). */
class PythonWorker {
  constructor(threads) {
    const env = { ...process.env, PYTHONPATH: resolver.pythonPathWithLocal(), FLOWMATCH_THREADS: String(threads) };
    this.proc = spawn(process.env.FLOWMATCH_PYTHON || 'python3', [path.join(__dirname, 'python_bench.py')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.pending = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const next = this.pending.shift();
      if (!next) return;
      const msg = JSON.parse(line);
      if (msg.error) next.reject(new Error(`python: ${msg.error}`));
      else next.resolve(msg);
    });
    this.proc.on('exit', (code) => {
      for (const p of this.pending.splice(0)) p.reject(new Error(`python benchmark process exited with code ${code}`));
    });
  }
  /** Runs `name` once with `args`; resolves to {seconds, rss_mb, ...extra}. */
  run(name, args = {}) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.proc.stdin.write(JSON.stringify({ name, args }) + '\n');
    });
  }
  close() {
    this.proc.stdin.end();
  }
}

const CPP_PROGRAM = path.join(CPP_BUILD, 'cfm_step');
let cppUpToDate = false;

function cppBuilt() {
  return fs.existsSync(CPP_PROGRAM);
}

/** Configures and builds benchmarks/cpp into benchmarks/.build once per process. */
function buildCpp() {
  if (cppUpToDate) return;
  const log = path.join(CPP_BUILD, 'build.log');
  fs.mkdirSync(CPP_BUILD, { recursive: true });
  try {
    if (!fs.existsSync(path.join(CPP_BUILD, 'CMakeCache.txt'))) {
      execFileSync('cmake', ['-S', path.join(__dirname, 'cpp'), '-B', CPP_BUILD, '-DCMAKE_BUILD_TYPE=Release'], { stdio: ['ignore', fs.openSync(log, 'w'), 'pipe'] });
    }
    execFileSync('cmake', ['--build', CPP_BUILD, '-j', String(os.availableParallelism?.() ?? 2)], { stdio: ['ignore', fs.openSync(log, 'a'), 'pipe'] });
  } catch (e) {
    throw new Error(`building the C++ baseline failed; see ${log}\n${e.stderr ?? e.message}`);
  }
  cppUpToDate = true;
}

/** Runs the C++ baseline once; resolves to {seconds, rss_mb, ...} as it prints them. */
function runCpp(args) {
  buildCpp();
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  return new Promise((resolve, reject) => {
    const proc = spawn(CPP_PROGRAM, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`cfm_step exited with ${code}: ${err}`))));
  });
}

const CPP_NODE_MODULE = path.join(CPP_BUILD, 'cfm_step.node');

/**
 * Runs the same C++ loop inside a fresh Node process (benchmarks/cpp/cfm_step_node.cpp), or
 * resolves to undefined where that module was not built: libtorch's cost in Node's process,
 * which leaves flowmatch / in-Node as what the binding and the TypeScript loop add.
 */
function runCppInNode(args) {
  buildCpp();
  if (!fs.existsSync(CPP_NODE_MODULE)) return Promise.resolve(undefined);
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const script = `process.stdout.write(require(${JSON.stringify(CPP_NODE_MODULE)}).run(${JSON.stringify(argv)}))`;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`cfm_step.node exited with ${code}: ${err}`))));
  });
}

/** A folder for the weights and inputs one benchmark hands from flowmatch to Python. */
function scratchDir(name) {
  const dir = path.join(os.tmpdir(), `flowmatch-bench-${process.pid}`, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Alternates flowmatch, Python and (when given) C++ runs, the C++ loop both as a program and
 * inside a Node process (where built): `warmup` unmeasured rounds,
 * then `reps` measured rounds. `flowmatch()` returns seconds or {seconds, ...extra}.
 * Each ratio is the median of the rounds' own ratios: a shared VM's speed drifts by a third
 * over seconds (benchmarks/RESULTS.md), and the runs of one round are next to each other in
 * time, while the medians of each side's times may come from different minutes.
 */
async function compare({ name, python, pythonArgs = {}, flowmatch: runFm, cpp, reps = 5, warmup = 1, worker }) {
  const fm = [];
  const py = [];
  const cc = [];
  const cn = [];
  let extraFm = {};
  let extraPy = {};
  let extraCpp = {};
  for (let i = 0; i < warmup + reps; i++) {
    const a = await runFm();
    const b = await worker.run(python, pythonArgs);
    const c = cpp === undefined ? undefined : await runCpp(cpp);
    const n = cpp === undefined ? undefined : await runCppInNode(cpp);
    if (i < warmup) continue;
    if (n !== undefined) cn.push(n.seconds);
    fm.push(typeof a === 'number' ? a : a.seconds);
    py.push(b.seconds);
    extraFm = typeof a === 'number' ? {} : a;
    extraPy = b;
    if (c !== undefined) {
      cc.push(c.seconds);
      extraCpp = c;
    }
  }
  const perRound = (other) => median(other.map((o, i) => fm[i] / o));
  const result = {
    name,
    flowmatch_s: median(fm),
    python_s: median(py),
    ratio: perRound(py),
    reps,
    flowmatch_extra: extraFm,
    python_extra: extraPy,
    rss_mb: { flowmatch: peakRssMb(), python: extraPy.rss_mb },
  };
  if (cc.length > 0) {
    result.cpp_s = median(cc);
    result.ratio_cpp = perRound(cc);
    result.cpp_extra = extraCpp;
    result.rss_mb.cpp = extraCpp.rss_mb;
  }
  if (cn.length > 0) {
    result.cpp_node_s = median(cn);
    result.ratio_cpp_node = perRound(cn);
  }
  return result;
}

/** Records each target as {what, met} on the result and sets result.met to all of them. */
function judge(result, checks) {
  result.targets = checks.map(([what, met]) => ({ what, met: Boolean(met) }));
  result.met = result.targets.every((c) => c.met);
  return result;
}

function formatSeconds(s) {
  return s < 1e-3 ? `${(s * 1e6).toFixed(3)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(3)} s`;
}

function report(result) {
  const parts = [`${result.name}: flowmatch ${formatSeconds(result.flowmatch_s)}`];
  if (result.python_s !== undefined) parts.push(`PyTorch eager ${formatSeconds(result.python_s)}, ratio ${result.ratio.toFixed(3)}`);
  if (result.cpp_s !== undefined) parts.push(`C++ ${formatSeconds(result.cpp_s)}, ratio ${result.ratio_cpp.toFixed(3)}`);
  if (result.cpp_node_s !== undefined) parts.push(`C++ in Node ${formatSeconds(result.cpp_node_s)}, ratio ${result.ratio_cpp_node.toFixed(3)}`);
  for (const t of result.targets ?? []) parts.push(`${t.what}: ${t.met ? 'met' : 'NOT met'}`);
  console.log(parts.join(', '));
}

/**
 * Command-line entry of one benchmark file: `--quick` (smoke sizes), `--full` (the
 * full sizes its header names, even where they take long), `--json FILE` (write the result there).
 */
function cli(mod, main) {
  if (require.main !== mod) return;
  const argv = process.argv.slice(2);
  const jsonAt = argv.indexOf('--json');
  const mode = argv.includes('--quick') ? 'quick' : argv.includes('--full') ? 'full' : 'standard';
  main({ mode })
    .then((result) => {
      if (jsonAt >= 0) fs.writeFileSync(argv[jsonAt + 1], JSON.stringify(result, null, 2));
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    })
    .finally(() => fs.rmSync(path.join(os.tmpdir(), `flowmatch-bench-${process.pid}`), { recursive: true, force: true }));
}

/** Picks the quick / standard / full value of a size. */
function size(mode, { quick, standard, full = standard }) {
  return mode === 'quick' ? quick : mode === 'full' ? full : standard;
}

module.exports = { ROOT, flowmatch, PythonWorker, buildCpp, cppBuilt, runCpp, runCppInNode, CPP_NODE_MODULE, scratchDir, compare, judge, report, cli, size, median, peakRssMb, formatSeconds };
