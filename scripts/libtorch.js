#!/usr/bin/env node
'use strict';
// The one libtorch resolver. The CMake build, binding.gyp, the runtime loader and
// `flowmatch doctor` all ask this file, so there is a single answer to "which libtorch".
//
// Building (resolve): LIBTORCH (an unpacked libtorch distribution) → the Python `torch`
// package (including the project-local folder that `npm run setup` installs into) → a
// system CMake package. Running a prebuilt addon (resolveRuntime): LIBTORCH → the libtorch
// platform package (@flowmatch/libtorch-<platform>, shared libraries only) → the Python
// `torch` package. Nothing is ever downloaded here.
//
// CLI: node scripts/libtorch.js [--json | --root | --include | --lib | --cmake-prefix | --defines]

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const PROJECT_ROOT = path.resolve(__dirname, '..');
/** Where `npm run setup` puts torch when no other libtorch is found. */
const LOCAL_TORCH_DIR = path.join(PROJECT_ROOT, '.torch');
const MIN_MAJOR = 2;

function python() {
  return process.env.FLOWMATCH_PYTHON || 'python3';
}

function pythonPathWithLocal() {
  const parts = [LOCAL_TORCH_DIR];
  if (process.env.PYTHONPATH) parts.push(process.env.PYTHONPATH);
  return parts.join(path.delimiter);
}

/**
 * Checks one libtorch root and describes it, or returns {problem} saying what is wrong.
 * `extra.runtimeOnly`: only the shared libraries are needed (running, not building).
 */
function describeRoot(root, source, extra = {}) {
  const include = path.join(root, 'include');
  const lib = path.join(root, 'lib');
  const cmakePrefix = path.join(root, 'share', 'cmake');
  const need = [
    [path.join(lib, 'libtorch.so'), 'libtorch.so'],
    [path.join(lib, 'libtorch_cpu.so'), 'libtorch_cpu.so'],
    [path.join(lib, 'libc10.so'), 'libc10.so'],
  ];
  if (!extra.runtimeOnly) {
    need.unshift(
      [path.join(include, 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h'), 'the C++ API headers'],
      [path.join(include, 'ATen', 'ATen.h'), 'the ATen headers'],
    );
  }
  for (const [file, what] of need) {
    if (!fs.existsSync(file)) {
      return { source, root, problem: `${source} at ${root} lacks ${what} (${file})` };
    }
  }
  const version = extra.version || readVersion(root);
  const major = parseInt(String(version).split('.')[0], 10);
  if (Number.isFinite(major) && major < MIN_MAJOR) {
    return {
      source, root, version,
      problem: `${source} at ${root} is libtorch ${version}; flowmatch needs ${MIN_MAJOR}.0 or newer ` +
        `(Debian's libtorch-dev is 1.13: install torch with pip instead, or run npm run setup)`,
    };
  }
  const cxx11abi = extra.cxx11abi ?? libraryUsesCxx11Abi(path.join(lib, 'libc10.so'));
  const cuda = fs.existsSync(path.join(lib, 'libtorch_cuda.so'));
  return {
    source,
    root,
    version,
    includeDirs: [include, path.join(include, 'torch', 'csrc', 'api', 'include')],
    libDir: lib,
    libs: ['torch', 'torch_cpu', 'c10'].concat(cuda ? ['torch_cuda', 'c10_cuda'] : []),
    cmakePrefix,
    cxx11abi,
    cuda,
    cudaVersion: extra.cudaVersion || null,
  };
}

function readVersion(root) {
  for (const f of ['build-version', 'version.txt']) {
    const p = path.join(root, f);
    if (fs.existsSync(p)) return fs.readFileSync(p, 'utf8').trim();
  }
  const pyVersion = path.join(root, 'version.py');
  if (fs.existsSync(pyVersion)) {
    const m = /__version__\s*=\s*'([^']+)'/.exec(fs.readFileSync(pyVersion, 'utf8'));
    if (m) return m[1];
  }
  const cfg = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfigVersion.cmake');
  if (fs.existsSync(cfg)) {
    const m = /PACKAGE_VERSION\s+"([^"]+)"/.exec(fs.readFileSync(cfg, 'utf8'));
    if (m) return m[1];
  }
  return 'unknown';
}

/** The new (C++11) libstdc++ ABI mangles std::string as std::__cxx11::basic_string. */
function libraryUsesCxx11Abi(file) {
  try {
    return fs.readFileSync(file).includes('St7__cxx11');
  } catch {
    return null;
  }
}

function fromEnv(extra = {}) {
  const root = process.env.LIBTORCH;
  if (!root) return null;
  if (!fs.existsSync(root)) return { source: 'LIBTORCH', root, problem: `LIBTORCH points to ${root}, which does not exist` };
  return describeRoot(path.resolve(root), 'LIBTORCH', extra);
}

/** The libtorch platform package (shared libraries from the torch wheel), when installed. */
function fromPackage() {
  const { libtorchPackage } = require('./platform.js');
  const name = libtorchPackage();
  let manifest;
  try {
    manifest = require.resolve(`${name}/package.json`, { paths: [PROJECT_ROOT] });
  } catch {
    return { source: 'package', root: name, problem: `the package ${name} is not installed` };
  }
  const root = path.dirname(manifest);
  const info = JSON.parse(fs.readFileSync(manifest, 'utf8')).libtorch || {};
  return describeRoot(root, 'package', { runtimeOnly: true, version: info.version, cxx11abi: info.cxx11abi, cudaVersion: info.cudaVersion });
}

function fromPython(extra = {}) {
  const script =
    'import json, os, torch\n' +
    'print(json.dumps({"root": os.path.dirname(torch.__file__), "version": torch.__version__,' +
    ' "abi": bool(torch._C._GLIBCXX_USE_CXX11_ABI), "cuda": torch.version.cuda}))';
  let out;
  try {
    out = execFileSync(python(), ['-c', script], {
      env: { ...process.env, PYTHONPATH: pythonPathWithLocal() },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 120000,
    });
  } catch (e) {
    const why = e.code === 'ENOENT' ? `${python()} was not found` : 'the Python torch package is not installed';
    return { source: 'python', problem: why };
  }
  const info = JSON.parse(out.trim().split('\n').pop());
  return describeRoot(info.root, 'python', { ...extra, version: info.version, cxx11abi: info.abi, cudaVersion: info.cuda });
}

function fromSystemCmake() {
  const candidates = ['/usr/local/share/cmake/Torch', '/usr/share/cmake/Torch', '/usr/lib/x86_64-linux-gnu/cmake/Torch', '/usr/lib/aarch64-linux-gnu/cmake/Torch'];
  for (const dir of candidates) {
    if (!fs.existsSync(path.join(dir, 'TorchConfig.cmake'))) continue;
    // <prefix>/share/cmake/Torch or <prefix>/lib/<triplet>/cmake/Torch
    const prefix = dir.includes('/share/cmake/') ? path.resolve(dir, '../../..') : path.resolve(dir, '../../../..');
    const described = describeRoot(prefix, 'system CMake package');
    if (described.problem && described.version === undefined) {
      described.version = readVersion(prefix);
    }
    return described;
  }
  return null;
}

/**
 * Resolve libtorch. Returns the first usable candidate, or {problem, tried} listing
 * every candidate that was looked at and why it was rejected.
 */
function resolve() {
  return firstUsable([fromEnv, fromPython, fromSystemCmake], 'set LIBTORCH to an unpacked libtorch distribution, or `python3 -m pip install torch` (in the flowmatch repository, `npm run setup` installs it into ./.torch)');
}

/** The libtorch a prebuilt addon runs against: shared libraries suffice. */
function resolveRuntime() {
  const runtime = { runtimeOnly: true };
  return firstUsable(
    [() => fromEnv(runtime), fromPackage, () => fromPython(runtime)],
    `install the libtorch package (npm install ${require('./platform.js').libtorchPackage()}), set LIBTORCH to an unpacked libtorch ${require('./platform.js').PINNED_LIBTORCH}.x, or pip install torch==${require('./platform.js').PINNED_LIBTORCH}.*`,
  );
}

function firstUsable(attempts, fix) {
  const tried = [];
  for (const attempt of attempts) {
    const found = attempt();
    if (!found) continue;
    if (!found.problem) {
      found.tried = tried;
      return found;
    }
    tried.push(found);
    // An explicit LIBTORCH that is wrong is an error, not something to silently skip.
    if (found.source === 'LIBTORCH') break;
  }
  return { problem: 'no usable libtorch was found', tried, fix };
}

/** Defines the compiler must use so that our objects link with this libtorch. */
function compileDefines(found) {
  return found.cxx11abi === false ? ['_GLIBCXX_USE_CXX11_ABI=0'] : ['_GLIBCXX_USE_CXX11_ABI=1'];
}

module.exports = { resolve, resolveRuntime, describeRoot, compileDefines, LOCAL_TORCH_DIR, pythonPathWithLocal, PROJECT_ROOT };

if (require.main === module) {
  const found = resolve();
  const flag = process.argv[2] || '--json';
  if (flag === '--json') {
    process.stdout.write(JSON.stringify(found, null, 2) + '\n');
    process.exit(found.problem ? 1 : 0);
  }
  if (found.problem) {
    process.stderr.write(`flowmatch: ${found.problem}\n`);
    for (const t of found.tried) process.stderr.write(`  tried ${t.source}: ${t.problem}\n`);
    process.stderr.write(`  fix: ${found.fix}\n`);
    process.exit(1);
  }
  const out = {
    '--root': found.root,
    '--include': found.includeDirs.join(' '),
    '--lib': found.libDir,
    '--libs': found.libs.map((l) => `-l${l}`).join(' '),
    '--cmake-prefix': found.cmakePrefix,
    '--defines': compileDefines(found).join(' '),
    '--version': found.version,
  }[flag];
  if (out === undefined) {
    process.stderr.write(`unknown flag ${flag}\n`);
    process.exit(2);
  }
  process.stdout.write(out + '\n');
}
