#!/usr/bin/env node
'use strict';
// Builds the addon with cmake-js. Node's own headers are used (npm's nodedir, or the
// ones next to this node binary); nothing is downloaded.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');

function nodeHeadersDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

const nodedir = nodeHeadersDir();
if (!nodedir) {
  console.error('flowmatch: Node headers were not found next to the node binary (include/node/node_api.h).\n' +
    '  fix: install the headers of your Node.js (e.g. the nodejs-dev package) or set npm_config_nodedir.');
  process.exit(1);
}
const env = {
  ...process.env,
  npm_config_nodedir: nodedir,
  // The precompiled header is only reusable by ccache with these relaxed checks.
  CCACHE_SLOPPINESS: 'pch_defines,time_macros,include_file_mtime,include_file_ctime',
};
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'compile', '--directory', root, '--parallel', String(Math.max(1, require('os').cpus().length)), '--log-level', 'warn'];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env, cwd: root });
if (result.status !== 0) process.exit(result.status || 1);
const built = path.join(root, 'build', 'Release', 'flowmatch.node');
if (!fs.existsSync(built)) {
  console.error(`flowmatch: the build finished but ${built} is missing`);
  process.exit(1);
}
// The loader reads this instead of starting Python at every import.
const { resolve } = require('./libtorch.js');
fs.writeFileSync(path.join(root, 'build', 'libtorch.json'), JSON.stringify(resolve(), null, 2));
console.log(`flowmatch: built ${path.relative(root, built)}`);
