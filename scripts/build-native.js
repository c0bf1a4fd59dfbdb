#!/usr/bin/env node
'use strict';
// Builds the addon with cmake-js. Node's own headers are used (npm's nodedir, or the
// ones next to this node binary); nothing is downloaded.
//
//   node scripts/build-native.js [--out DIR]
// --out: the build folder (default build/, where the loader looks for a build from source).
// build({ prebuilt: { runpath } }) links the prebuilt addon from the same objects instead
// (npm run prebuild), into <out>/Release/prebuilt/.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { resolve } = require('./libtorch.js');

const root = path.resolve(__dirname, '..');

function option(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function nodeHeadersDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

function fail(message) {
  console.error(`flowmatch: ${message}`);
  process.exit(1);
}

function build({ out = path.join(root, 'build'), prebuilt } = {}) {
  const nodedir = nodeHeadersDir();
  if (!nodedir) {
    fail('Node headers were not found next to the node binary (include/node/node_api.h).\n' +
      '  fix: install the headers of your Node.js (e.g. the nodejs-dev package) or set npm_config_nodedir.');
  }
  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  } catch {
    fail('building from source needs cmake-js and node-addon-api, which are not installed.\n' +
      '  fix: npm install --no-save cmake-js node-addon-api   (and a C++17 compiler and CMake ≥ 3.19)');
  }
  const env = {
    ...process.env,
    npm_config_nodedir: nodedir,
    // The precompiled header is only reusable by ccache with these relaxed checks.
    CCACHE_SLOPPINESS: 'pch_defines,time_macros,include_file_mtime,include_file_ctime',
  };
  const args = [cmakeJs, 'compile', '--directory', root, '--out', out, '--parallel', String(Math.max(1, os.cpus().length)), '--log-level', 'warn'];
  if (prebuilt) args.push('--target', 'flowmatch_prebuilt', `--CDFLOWMATCH_PREBUILT_RUNPATH=${prebuilt.runpath}`);
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', env, cwd: root });
  if (result.status !== 0) process.exit(result.status || 1);
  const built = path.join(out, 'Release', ...(prebuilt ? ['prebuilt'] : []), 'flowmatch.node');
  if (!fs.existsSync(built)) fail(`the build finished but ${built} is missing`);
  // The loader reads this instead of starting Python at every import.
  fs.writeFileSync(path.join(out, 'libtorch.json'), JSON.stringify(resolve(), null, 2));
  return built;
}

module.exports = { build };

if (require.main === module) {
  const built = build({ out: option('--out') && path.resolve(option('--out')) });
  console.log(`flowmatch: built ${path.relative(process.cwd(), built)}`);
}
