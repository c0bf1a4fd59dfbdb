#!/usr/bin/env node
'use strict';
// npm's install hook. Without it npm would run `node-gyp rebuild` on binding.gyp by
// itself. Builds the addon when libtorch is already resolvable and the addon is missing;
// otherwise explains the next step and lets the install succeed.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
if (fs.existsSync(path.join(root, 'build', 'Release', 'flowmatch.node')) || process.env.FLOWMATCH_SKIP_INSTALL_BUILD) process.exit(0);
const found = require('./libtorch.js').resolve();
if (found.problem) {
  console.log(`flowmatch: ${found.problem}; run \`npm run setup\` to install torch with pip and build the native addon.`);
  process.exit(0);
}
const result = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { stdio: 'inherit', cwd: root });
if (result.status !== 0) console.log('flowmatch: the native build failed; `npx flowmatch doctor` explains what is missing.');
process.exit(0);
