#!/usr/bin/env node
'use strict';
// One-command set-up: npm packages, libtorch (from the resolver, or installed with pip
// into ./.torch when none is found), the native addon, the TypeScript build, and the
// Fashion-MNIST files the image tests read (Debian's package, where apt-get may run).
// Every step says what it does; nothing is downloaded except by npm, pip and apt-get.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function step(title, command, args, options = {}) {
  console.log(`\n▸ ${title}\n  $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error || result.status !== 0) {
    console.error(`\nflowmatch setup: "${title}" failed${result.error ? `: ${result.error.message}` : ` (exit code ${result.status})`}`);
    process.exit(1);
  }
}

step('Installing npm packages', npm, ['install', '--no-audit', '--no-fund']);

const resolver = require('./libtorch.js');
let found = resolver.resolve();
if (found.problem) {
  console.log(`\n▸ No usable libtorch found (${found.tried.map((t) => `${t.source}: ${t.problem}`).join('; ') || found.problem}).`);
  console.log(`  Installing the Python torch package (it contains libtorch) into ${path.relative(root, resolver.LOCAL_TORCH_DIR)}/ with pip.`);
  const python = process.env.FLOWMATCH_PYTHON || 'python3';
  // --retries/--timeout: an unreachable index should cost seconds, not minutes.
  step('Installing torch with pip', python, ['-m', 'pip', 'install', '--quiet', '--retries', '0', '--timeout', '5', '--target', resolver.LOCAL_TORCH_DIR, 'torch']);
  found = resolver.resolve();
  if (found.problem) {
    console.error(`flowmatch setup: torch was installed but libtorch is still not usable: ${found.problem}`);
    process.exit(1);
  }
}
console.log(`\n▸ libtorch ${found.version} from ${found.source} at ${found.root}`);

// The Python side of the benchmarks (and their smoke test in `npm test`): POT for the
// coupling baselines, FastAPI and uvicorn for the serving baseline. Installed beside torch
// in ./.torch, which every Python call of the benchmarks has on its path.
const python = process.env.FLOWMATCH_PYTHON || 'python3';
const baselines = [['ot', 'pot'], ['fastapi', 'fastapi'], ['uvicorn', 'uvicorn']];
const missing = baselines.filter(([module]) => spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore', env: { ...process.env, PYTHONPATH: resolver.pythonPathWithLocal() } }).status !== 0);
if (missing.length > 0) {
  step(`Installing the benchmarks' Python baselines (${missing.map(([, p]) => p).join(', ')})`, python,
    ['-m', 'pip', 'install', '--quiet', '--retries', '0', '--timeout', '5', '--target', resolver.LOCAL_TORCH_DIR, '--upgrade-strategy', 'only-if-needed', ...missing.map(([, p]) => p)]);
}

if (spawnSync('ccache', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('  (ccache not found: rebuilds will be slower; `apt-get install ccache` speeds them up)');
}
step('Building the native addon (cmake-js)', process.execPath, [path.join(__dirname, 'build-native.js')]);
step('Building the TypeScript API (tsup)', npm, ['run', 'build:ts', '--silent']);
require('./fashion-mnist.js').ensureFashionMnist();
console.log('\nflowmatch is set up. Try `npx flowmatch doctor`, `npm run demo`, `npm test`.');
if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) process.exit(1);
