#!/usr/bin/env node
'use strict';
// `npm run prebuild`: the platform packages for this machine, from the resolved libtorch.
//
//   prebuilds/npm/<platform>/           @flowmatch/<platform>: flowmatch.node, RUNPATH
//                                       $ORIGIN/../libtorch-<platform>/lib
//   prebuilds/npm/libtorch-<platform>/  @flowmatch/libtorch-<platform>: libtorch's shared
//                                       libraries (the torch wheel's), nothing else
//   prebuilds/*.tgz                     their `npm pack` tarballs
//
// Nothing here is committed (prebuilds/ is ignored). npm pack gives every entry the same
// fixed mtime and a sorted order, so the same inputs give the same tarballs.
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { resolve } = require('./libtorch.js');
const platform = require('./platform.js');
const { build } = require('./build-native.js');
const { PREBUILT_INFO_KEY } = require('./addon.js');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'prebuilds');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function fail(message) {
  console.error(`flowmatch prebuild: ${message}`);
  process.exit(1);
}

function step(message) {
  console.log(`▸ ${message}`);
}

/** The shared libraries `file` needs that live in `libDir`, and theirs, transitively. */
function bundledDependencies(file, libDir, seen = new Set()) {
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  for (const [, name] of dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
    const candidate = path.join(libDir, name);
    if (seen.has(name) || !fs.existsSync(candidate)) continue;
    seen.add(name);
    bundledDependencies(candidate, libDir, seen);
  }
  return seen;
}

function findTorchLicense(torchRoot) {
  const parent = path.dirname(torchRoot);
  const places = [path.join(torchRoot, 'LICENSE'), path.join(parent, 'LICENSE')];
  for (const entry of fs.readdirSync(parent)) {
    if (/^torch-.*\.dist-info$/.test(entry)) places.push(path.join(parent, entry, 'licenses', 'LICENSE'), path.join(parent, entry, 'LICENSE'));
  }
  return places.find((f) => fs.existsSync(f));
}

/** Hard link when possible (the same file system), copy otherwise. */
function place(from, to) {
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

function writePackage(dir, manifest, files) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const [from, to] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    place(from, path.join(dir, to));
  }
}

function pack(dir) {
  const result = spawnSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) fail(`npm pack failed in ${dir}:\n${result.stderr}`);
  const file = path.join(out, result.stdout.trim().split('\n').pop());
  console.log(`  ${path.relative(root, file)}: ${(fs.statSync(file).size / 1e6).toFixed(1)} MB`);
  return file;
}

const id = platform.platformId();
const target = platform.PLATFORMS[id];
if (!target) fail(`no prebuilt layout is defined for ${id} (scripts/platform.js)`);
const found = resolve();
if (found.problem) fail(`${found.problem}. Fix: ${found.fix}`);
if (!platform.sameMinor(found.version, platform.PINNED_LIBTORCH)) {
  fail(`prebuilt addons are built against libtorch ${platform.PINNED_LIBTORCH}; the resolver found ${found.version} (${found.root})`);
}
if (Boolean(target.cuda) !== Boolean(found.cuda)) fail(`${id} needs a ${target.cuda ? 'CUDA' : 'CPU'} libtorch; the resolver found ${found.cuda ? 'a CUDA' : 'a CPU'} one`);

const addonName = platform.addonPackage(id);
const libtorchName = platform.libtorchPackage(id);
const libtorchDir = `libtorch-${id}`;
const common = {
  version: pkg.version,
  license: pkg.license,
  repository: pkg.repository,
  os: [target.os],
  cpu: [target.cpu],
  ...(target.libc ? { libc: [target.libc] } : {}),
};

step(`Building the addon for ${id} against libtorch ${found.version} (${found.root})`);
// Linked from the objects of the build from source in build/ (compiled once, linked twice).
const built = build({ prebuilt: { runpath: `$ORIGIN/../${libtorchDir}/lib` } });

step(`Writing ${addonName}`);
const builtFor = { libtorch: found.version, cxx11abi: found.cxx11abi, cuda: found.cuda ? found.cudaVersion || true : false };
writePackage(path.join(out, 'npm', id), {
  name: addonName,
  description: `flowmatch's native addon for ${id}, built against libtorch ${found.version}`,
  ...common,
  files: ['flowmatch.node', 'LICENSE'],
  [PREBUILT_INFO_KEY]: builtFor,
}, [[built, 'flowmatch.node'], [path.join(root, 'LICENSE'), 'LICENSE']]);

step(`Writing ${libtorchName}`);
const libraries = [...bundledDependencies(path.join(found.libDir, 'libtorch.so'), found.libDir)];
libraries.push('libtorch.so');
// PyTorch's own license travels with its libraries (the wheel keeps it in its dist-info).
const torchLicense = findTorchLicense(found.root);
if (!torchLicense) fail(`PyTorch's LICENSE was not found near ${found.root}; it must ship with the libraries`);
writePackage(path.join(out, 'npm', libtorchDir), {
  name: libtorchName,
  description: `libtorch ${found.version} shared libraries (${libraries.join(', ')}) for flowmatch on ${id}, from the PyTorch wheel`,
  ...common,
  license: 'BSD-3-Clause',
  files: ['lib', 'LICENSE'],
  libtorch: { version: found.version, cxx11abi: found.cxx11abi, cudaVersion: found.cudaVersion || null },
}, [
  ...libraries.map((name) => [path.join(found.libDir, name), path.join('lib', name)]),
  [torchLicense, 'LICENSE'],
]);

step('Packing');
for (const name of fs.readdirSync(out).filter((f) => f.endsWith('.tgz'))) fs.rmSync(path.join(out, name));
pack(path.join(out, 'npm', id));
pack(path.join(out, 'npm', libtorchDir));
