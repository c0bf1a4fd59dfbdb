'use strict';
// Side-by-side benchmark harness: flowmatch in this process, PyTorch eager in a Python
// worker process (same torch install, same thread count), runs alternated, warm-up first,
// medians reported with ratios. Each Python benchmark is a function in python_bench.py.
const path = require('path');
const { spawn } = require('child_process');
const readline = require('readline');
const resolver = require('../scripts/libtorch.js');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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

/**
 * Alternates flowmatch and Python runs: `warmup` unmeasured pairs, then `reps` measured
 * pairs. `flowmatch()` returns seconds (or {seconds, ...extra}).
 */
async function compare({ name, python, pythonArgs = {}, flowmatch, reps = 5, warmup = 1, worker }) {
  const fm = [];
  const py = [];
  let extraFm = {};
  let extraPy = {};
  for (let i = 0; i < warmup + reps; i++) {
    const a = await flowmatch();
    const b = await worker.run(python, pythonArgs);
    if (i < warmup) continue;
    const secondsA = typeof a === 'number' ? a : a.seconds;
    fm.push(secondsA);
    py.push(b.seconds);
    extraFm = typeof a === 'number' ? {} : a;
    extraPy = b;
  }
  const result = {
    name,
    flowmatch_s: median(fm),
    python_s: median(py),
    ratio: median(fm) / median(py),
    reps,
    flowmatch_extra: extraFm,
    python_extra: extraPy,
  };
  return result;
}

function report(result, target) {
  const f = (s) => (s < 1e-3 ? `${(s * 1e6).toFixed(3)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(3)} s`);
  const verdict = target === undefined ? '' : result.ratio <= target ? `  (target ≤ ${target}: met)` : `  (target ≤ ${target}: NOT met)`;
  console.log(`${result.name}: flowmatch ${f(result.flowmatch_s)}, PyTorch eager ${f(result.python_s)}, ratio ${result.ratio.toFixed(3)}${verdict}`);
}

module.exports = { PythonWorker, compare, report, median };
