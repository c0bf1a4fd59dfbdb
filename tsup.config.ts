import { defineConfig } from 'tsup';

// One CommonJS build of the library (index.js) and of the command (cli.js). The ESM entry
// is a thin wrapper over index.js written by scripts/write-esm-entry.js, so a process that
// both imports and requires flowmatch holds one copy: one tensor table, one error class.
// No source maps in the package: the bundle keeps lib/'s names and structure readably.
export default defineConfig({
  entry: { index: 'lib/index.ts', cli: 'lib/cli/main.ts' },
  format: ['cjs'],
  dts: { entry: { index: 'lib/index.ts' } },
  target: 'node20',
  platform: 'node',
  sourcemap: false,
  clean: true,
  splitting: false,
});
