'use strict';
// The prebuilt packages: which exist, what they are called, and what they are built for.
// npm installs only the ones whose `os`, `cpu` and `libc` match (optionalDependencies), as
// sharp does; the loader (scripts/addon.js), `npm run prebuild` and `doctor` read this file.

/** The libtorch major.minor every prebuilt addon is built against and checked for at load. */
const PINNED_LIBTORCH = '2.13';

/**
 * Platforms with a prebuilt layout. Only linux-x64 (CPU) is built by this repository's
 * `npm run prebuild` today; the others name where their packages go when a machine of that
 * kind builds them (the loader already looks for them).
 */
const PLATFORMS = {
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-x64-cuda12': { os: 'linux', cpu: 'x64', libc: 'glibc', cuda: '12' },
  'linux-arm64': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
};

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return !report?.header?.glibcVersionRuntime;
}

/**
 * This machine's platform id. FLOWMATCH_VARIANT=cuda12 picks the CUDA build where one is
 * published; the CPU build is the default.
 */
function platformId() {
  const base = `${process.platform}-${process.arch}${isMusl() ? '-musl' : ''}`;
  const variant = process.env.FLOWMATCH_VARIANT;
  return variant ? `${base}-${variant}` : base;
}

/** The package holding the prebuilt addon for this platform. */
function addonPackage(id = platformId()) {
  return `@flowmatch/${id}`;
}

/** The package holding libtorch's shared libraries for this platform. */
function libtorchPackage(id = platformId()) {
  return `@flowmatch/libtorch-${id}`;
}

/** Whether two libtorch versions ("2.13.0+cpu", "2.13") share a major.minor. */
function sameMinor(a, b) {
  const minor = (v) => String(v).split('.').slice(0, 2).join('.');
  return minor(a) === minor(b);
}

module.exports = { PINNED_LIBTORCH, PLATFORMS, platformId, addonPackage, libtorchPackage, sameMinor };
