'use strict';
// Finding and loading the native addon: the one place that knows where an addon may be and
// which libtorch it must run with. lib/native.ts loads through it on first use,
// `flowmatch doctor` prints what it tried, the build and prebuild scripts use its paths.
//
// Addons, in order: FLOWMATCH_ADDON (a file) → a build from source in this package
// (build/Release, made by `npm run build:native` or `flowmatch build-from-source`) → the
// prebuilt platform package (@flowmatch/<platform>). A build from source runs with the
// libtorch it was built against; a prebuilt one with the runtime resolver's libtorch
// (LIBTORCH → @flowmatch/libtorch-<platform> → Python torch), checked against the version
// and C++ ABI it was built for. That libtorch's libraries are loaded first, by absolute
// path, so the addon's NEEDED entries bind to exactly them whatever its RUNPATH says.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { resolveRuntime } = require('./libtorch.js');
const platform = require('./platform.js');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const LOCAL_BUILD = path.join(PACKAGE_ROOT, 'build', 'Release', 'flowmatch.node');
/** Written by the build: the libtorch the local addon was linked against. */
const LOCAL_BUILD_INFO = path.join(PACKAGE_ROOT, 'build', 'libtorch.json');
/** Written by `npm run prebuild` into a platform package: what its addon was built for. */
const PREBUILT_INFO_KEY = 'flowmatch';

const BUILD_FROM_SOURCE = 'npx flowmatch build-from-source';

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function describeLibtorch(found) {
  return `libtorch ${found.version} (${found.cxx11abi === false ? 'pre-cxx11' : 'cxx11'} ABI${found.cuda ? ', CUDA' : ''}) from ${found.source} at ${found.root}`;
}

/** FLOWMATCH_ADDON: an addon file given by hand; it runs with its own RUNPATH. */
function fromEnv() {
  const file = process.env.FLOWMATCH_ADDON;
  if (!file) return null;
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
    return { source: 'FLOWMATCH_ADDON', file, code: 'ERR_ADDON_NOT_FOUND', problem: `FLOWMATCH_ADDON points to ${file}, which is not a file`, fix: 'unset FLOWMATCH_ADDON or point it at a built flowmatch.node' };
  }
  return { source: 'FLOWMATCH_ADDON', file, libtorch: null };
}

/** A build from source inside this package, with the libtorch it was linked against. */
function fromLocalBuild() {
  if (!fs.existsSync(LOCAL_BUILD)) {
    return { source: 'build from source', file: LOCAL_BUILD, code: 'ERR_ADDON_NOT_FOUND', problem: 'not built', fix: BUILD_FROM_SOURCE };
  }
  let built;
  try {
    built = readJson(LOCAL_BUILD_INFO);
  } catch {
    return { source: 'build from source', file: LOCAL_BUILD, libtorch: null };
  }
  if (!built.libDir || !fs.existsSync(path.join(built.libDir, 'libc10.so'))) {
    return {
      source: 'build from source', file: LOCAL_BUILD, code: 'ERR_LIBTORCH_NOT_FOUND',
      problem: `it was built against the libtorch at ${built.libDir}, which is gone`,
      fix: `rebuild it: ${BUILD_FROM_SOURCE} (or npm run build:native in the repository)`,
    };
  }
  return { source: 'build from source', file: LOCAL_BUILD, libtorch: built };
}

/** The prebuilt platform package, with a runtime libtorch of the version it was built for. */
function fromPrebuilt() {
  const name = platform.addonPackage();
  let manifest;
  try {
    manifest = require.resolve(`${name}/package.json`, { paths: [PACKAGE_ROOT] });
  } catch {
    const known = Object.prototype.hasOwnProperty.call(platform.PLATFORMS, platform.platformId());
    return {
      source: 'prebuilt', file: name, code: 'ERR_ADDON_NOT_FOUND',
      problem: known ? `the package ${name} is not installed` : `no prebuilt addon is published for ${platform.platformId()}`,
      fix: known ? `npm install ${name} (npm skips optional dependencies with --omit=optional or --no-optional), or build from source: ${BUILD_FROM_SOURCE}` : `build from source: ${BUILD_FROM_SOURCE}`,
    };
  }
  const dir = path.dirname(manifest);
  const file = path.join(dir, 'flowmatch.node');
  const builtFor = readJson(manifest)[PREBUILT_INFO_KEY] || {};
  if (!fs.existsSync(file)) {
    return { source: 'prebuilt', file, code: 'ERR_ADDON_NOT_FOUND', problem: `${name} is installed but ${file} is missing`, fix: `reinstall it: npm install ${name}` };
  }
  const found = resolveRuntime();
  if (found.problem) {
    return {
      source: 'prebuilt', file, builtFor, code: 'ERR_LIBTORCH_NOT_FOUND',
      problem: `no libtorch ${builtFor.libtorch} to run it with (${found.tried.map((t) => `${t.source}: ${t.problem}`).join('; ')})`,
      fix: found.fix,
    };
  }
  const mismatch = [];
  if (!platform.sameMinor(found.version, builtFor.libtorch)) mismatch.push(`version ${found.version}, but the addon was built for ${builtFor.libtorch}`);
  if (found.cxx11abi !== null && builtFor.cxx11abi !== undefined && found.cxx11abi !== builtFor.cxx11abi) mismatch.push(`the ${found.cxx11abi ? 'cxx11' : 'pre-cxx11'} C++ ABI, but the addon needs the ${builtFor.cxx11abi ? 'cxx11' : 'pre-cxx11'} one`);
  if (builtFor.cuda && !found.cuda) mismatch.push('no CUDA, but the addon was built with CUDA');
  if (mismatch.length > 0) {
    return {
      source: 'prebuilt', file, builtFor, libtorch: found, code: 'ERR_LIBTORCH_MISMATCH',
      problem: `the libtorch found (${describeLibtorch(found)}) has ${mismatch.join(' and ')}`,
      fix: found.source === 'LIBTORCH'
        ? `point LIBTORCH at a libtorch ${builtFor.libtorch}.x, or unset it to use ${platform.libtorchPackage()}`
        : `npm install ${platform.libtorchPackage()} (libtorch ${builtFor.libtorch}), or pip install torch==${builtFor.libtorch}.*, or build from source against yours: ${BUILD_FROM_SOURCE}`,
    };
  }
  return { source: 'prebuilt', file, builtFor, libtorch: found };
}

/**
 * The addon to load and the libtorch it runs with, or the first real problem. Every
 * candidate looked at is in `tried`, with why it was passed over.
 */
function locate() {
  const tried = [];
  for (const attempt of [fromEnv, fromLocalBuild, fromPrebuilt]) {
    const candidate = attempt();
    if (candidate === null) continue;
    tried.push(candidate);
    if (!candidate.problem) return { ...candidate, tried };
    // A file named by hand that is wrong is an error, not something to skip.
    if (candidate.source === 'FLOWMATCH_ADDON') break;
  }
  // Report the most specific problem: an addon that exists but cannot run beats "not found".
  const worst = tried.find((t) => t.code !== 'ERR_ADDON_NOT_FOUND') || tried[tried.length - 1];
  const summary = tried.map((t) => `${t.source}: ${t.problem}`).join('; ');
  return {
    code: worst.code,
    problem: worst.code === 'ERR_ADDON_NOT_FOUND' ? `no native addon for ${platform.platformId()} (${summary})` : `${worst.source} addon ${worst.file}: ${worst.problem}`,
    fix: worst.fix,
    tried,
  };
}

const SHARED_LIBRARY = process.platform === 'darwin' ? '.dylib' : '.so';

/**
 * Loads libtorch's libraries from `libDir` by absolute path, dependencies first. They are
 * not addons, so Node reports "did not self-register"; RTLD_NODELETE keeps them mapped
 * after that, and the addon then binds to these copies by soname.
 */
function preloadLibtorch(libDir) {
  const flags = os.constants.dlopen.RTLD_NOW | (os.constants.dlopen.RTLD_NODELETE ?? 0);
  for (const name of ['c10', 'c10_cuda', 'torch_cpu', 'torch_cuda', 'torch']) {
    const file = path.join(libDir, `lib${name}${SHARED_LIBRARY}`);
    if (!fs.existsSync(file)) continue;
    try {
      process.dlopen({ exports: {} }, file, flags);
    } catch (e) {
      if (/did not self-register/.test(e.message)) continue;
      const error = new Error(`libtorch's ${path.basename(file)} failed to load: ${e.message.split('\n')[0]}`);
      error.code = 'ERR_LIBTORCH_LOAD';
      error.fix = 'check that libtorch is complete and built for this machine: npx flowmatch doctor';
      throw error;
    }
  }
}

/** Locates, preloads libtorch and requires the addon; throws an Error with `code` and `fix`. */
function load() {
  const located = locate();
  if (located.problem) {
    const error = new Error(`flowmatch: ${located.problem}. Fix: ${located.fix}`);
    error.code = located.code;
    error.fix = located.fix;
    throw error;
  }
  if (located.libtorch) preloadLibtorch(located.libtorch.libDir);
  try {
    return { addon: require(located.file), located };
  } catch (e) {
    const error = new Error(
      `flowmatch: the native addon ${located.file} failed to load: ${e.message.split('\n')[0]}. ` +
        `Fix: run \`npx flowmatch doctor\`; rebuild with ${BUILD_FROM_SOURCE} if it was built against another libtorch`,
    );
    error.code = 'ERR_ADDON_LOAD';
    error.fix = BUILD_FROM_SOURCE;
    throw error;
  }
}

module.exports = { locate, load, describeLibtorch, PACKAGE_ROOT, LOCAL_BUILD, LOCAL_BUILD_INFO, PREBUILT_INFO_KEY, BUILD_FROM_SOURCE };
