#!/usr/bin/env node
'use strict';
// Writes dist/index.mjs and dist/index.d.mts: the ESM entry as a wrapper over the CommonJS
// build, re-exporting each of its names. Two separate builds would give a process that
// loads both two tensor tables and two FlowmatchError classes; a wrapper gives one.
const fs = require('fs');
const path = require('path');

const dist = path.resolve(__dirname, '..', 'dist');
// Reading the names does not load the native addon: flowmatch loads it on first use.
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((n) => n !== 'default' && n !== '__esModule').sort();
const invalid = names.filter((n) => !/^[A-Za-z_$][\w$]*$/.test(n));
if (invalid.length > 0) throw new Error(`write-esm-entry: not valid export names: ${invalid.join(', ')}`);

fs.writeFileSync(path.join(dist, 'index.mjs'), [
  '// The ESM entry: the CommonJS build, re-exported (see scripts/write-esm-entry.js).',
  "import flowmatch from './index.js';",
  '',
  `export const {\n${names.map((n) => `  ${n},`).join('\n')}\n} = flowmatch;`,
  'export default flowmatch;',
  '',
].join('\n'));
fs.writeFileSync(path.join(dist, 'index.d.mts'), [
  "import * as flowmatch from './index.js';",
  "export * from './index.js';",
  'export default flowmatch;',
  '',
].join('\n'));
console.log(`flowmatch: wrote dist/index.mjs (${names.length} names re-exported from dist/index.js)`);
