#!/usr/bin/env node
'use strict';
// `npm run bench`: every benchmark, each in its own Node process (so peak RSS is its own),
// then benchmarks/RESULTS.md (the table between the markers; the notes around it are kept)
// and benchmarks/results.json. Flags: --quick (smoke sizes), --full (the full sizes
// everywhere, well past the 15-minute budget on 2 cores), --only a,b (file names).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { formatSeconds, buildCpp } = require('./harness.js');
const resolver = require('../scripts/libtorch.js');

const BENCHMARKS = require('./list.js');
const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

function environment(mode) {
  // The same interpreter and path as the Python worker (./.torch included).
  const env = { ...process.env, PYTHONPATH: resolver.pythonPathWithLocal() };
  const torch = spawnSync(process.env.FLOWMATCH_PYTHON || 'python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env }).stdout.trim();
  return {
    date: new Date().toISOString(),
    mode,
    node: process.version,
    torch,
    cpus: os.cpus().length,
    threads: Number(process.env.FLOWMATCH_BENCH_THREADS) || os.cpus().length,
    cpu: os.cpus()[0]?.model,
    load_average_at_start: os.loadavg(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', cwd: __dirname }).stdout.trim(),
  };
}

function runOne(name, mode) {
  const out = path.join(os.tmpdir(), `flowmatch-bench-${process.pid}-${name}.json`);
  const args = ['--expose-gc', path.join(__dirname, `${name}.js`), '--json', out];
  if (mode !== 'standard') args.push(`--${mode}`);
  const start = Date.now();
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  const wall = (Date.now() - start) / 1000;
  if (r.status !== 0 || !fs.existsSync(out)) return { file: name, error: `exited with ${r.status ?? r.signal}`, wall_s: wall };
  const result = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out);
  return { file: name, ...result, wall_s: wall };
}

const mb = (v) => (v === undefined ? '–' : `${Math.round(v)}`);

function row(r) {
  if (r.error) return `| ${r.file} | failed: ${r.error} | | | | | | | |`;
  const targets = (r.targets ?? []).map((t) => t.what).join('; ');
  const met = r.met ? 'yes' : 'NO';
  const fm = r.drift_mb !== undefined ? `${r.drift_mb.toFixed(2)} MB drift (${formatSeconds(r.flowmatch_s)}/step)` : formatSeconds(r.flowmatch_s);
  const py = r.python_s === undefined ? '–' : formatSeconds(r.python_s);
  const ratio = r.ratio === undefined ? '–' : r.ratio.toFixed(3);
  const inNode = r.cpp_node_s === undefined ? '' : `; in Node ${formatSeconds(r.cpp_node_s)} (×${r.ratio_cpp_node.toFixed(3)})`;
  const cpp = r.cpp_s === undefined ? '–' : `${formatSeconds(r.cpp_s)} (×${r.ratio_cpp.toFixed(3)})${inNode}`;
  const rss = `${mb(r.rss_mb?.flowmatch)} / ${mb(r.rss_mb?.python)} / ${mb(r.rss_mb?.cpp)}`;
  const notes = [];
  if (r.nfe) notes.push(`NFE ${r.nfe.flowmatch} vs ${r.nfe.torchdiffeq}`);
  else if (r.python_extra?.nfe !== undefined) notes.push(`NFE (Python) ${r.python_extra.nfe}`);
  if (r.parity) notes.push(`max |Δv| ${r.parity.max_abs_diff.toExponential(1)}`);
  if (typeof r.notes === 'string') notes.push(r.notes);
  if (r.one_thread) notes.push(`one thread per side: ${formatSeconds(r.one_thread.flowmatch_s)} vs ${formatSeconds(r.one_thread.python_s)}, ratio ${r.one_thread.ratio.toFixed(3)}`);
  return `| ${r.name} | ${fm} | ${py} | ${ratio} | ${targets} | ${met} | ${cpp} | ${rss} | ${notes.join('; ')} |`;
}

function table(env, results) {
  return [
    START,
    `Run ${env.date} (${env.mode} mode), commit ${env.commit}, Node ${env.node}, torch ${env.torch}, ${env.threads} threads per side on ${env.cpus} × ${env.cpu}, load average at start ${env.load_average_at_start.map((l) => l.toFixed(2)).join(' ')}. Times are medians; ratios are flowmatch / PyTorch eager (below 1: flowmatch faster).`,
    '',
    '| benchmark | flowmatch | PyTorch eager | ratio | target | met? | pure C++ (flowmatch/C++) | peak RSS MB (fm / py / C++) | notes |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(row),
    END,
  ].join('\n');
}

function writeResults(env, results) {
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify({ environment: env, results }, null, 2) + '\n');
  const file = path.join(__dirname, 'RESULTS.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Benchmark results\n\nWritten by \`npm run bench\` (benchmarks/run-all.js).\n\n${START}\n${END}\n`;
  const at = old.indexOf(START);
  const end = old.indexOf(END);
  const next = at >= 0 && end > at ? old.slice(0, at) + table(env, results) + old.slice(end + END.length) : `${old}\n${table(env, results)}\n`;
  fs.writeFileSync(file, next);
}

function main() {
  const argv = process.argv.slice(2);
  const mode = argv.includes('--quick') ? 'quick' : argv.includes('--full') ? 'full' : 'standard';
  const onlyAt = argv.indexOf('--only');
  const names = onlyAt >= 0 ? argv[onlyAt + 1].split(',') : BENCHMARKS;
  const env = environment(mode);
  // Build the C++ baseline up front so its compile time stays out of the benchmarks.
  console.log('building the C++ baseline (benchmarks/.build)');
  buildCpp();
  const results = [];
  for (const name of names) {
    console.log(`\n== ${name}`);
    results.push(runOne(name, mode));
    writeResults(env, results);
  }
  const failed = results.filter((r) => r.error).length;
  console.log(`\nwrote benchmarks/RESULTS.md and benchmarks/results.json (${results.length - failed} ran, ${failed} failed)`);
  if (failed > 0) process.exitCode = 1;
}

main();
