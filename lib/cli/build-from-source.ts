/**
 * `flowmatch build-from-source`: compiles the addon against the libtorch the build resolver
 * finds (LIBTORCH, Python torch, a system CMake package), for platforms without a prebuilt
 * package or a libtorch other than the pinned one. The build tree and its precompiled
 * header (~700 MB) live in a temporary folder that is removed afterwards; only the addon
 * and the record of its libtorch are kept, in build/ inside the package, where the loader
 * looks first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

/* eslint-disable @typescript-eslint/no-require-imports */
const { resolve } = require('../../scripts/libtorch.js') as { resolve(): { problem?: string; fix?: string; version?: string; root?: string } };
const { LOCAL_BUILD, LOCAL_BUILD_INFO, PACKAGE_ROOT } = require('../../scripts/addon.js') as Record<string, string>;
/* eslint-enable @typescript-eslint/no-require-imports */

export const BUILD_FROM_SOURCE_USAGE = `usage: flowmatch build-from-source

Compiles the native addon against the libtorch found by LIBTORCH, the Python torch package
or a system CMake package (needs a C++17 compiler, CMake ≥ 3.19, cmake-js and
node-addon-api). Takes minutes; the addon goes to ${path.relative(process.cwd(), LOCAL_BUILD) || LOCAL_BUILD}.
`;

function missingTool(): string | undefined {
  for (const [tool, fix] of [
    ['c++', 'install a C++17 compiler (Debian/Ubuntu: apt-get install g++)'],
    ['cmake', 'install CMake ≥ 3.19 (Debian/Ubuntu: apt-get install cmake)'],
  ]) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} was not found. Fix: ${fix}`;
  }
  return undefined;
}

export function buildFromSourceCommand(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(BUILD_FROM_SOURCE_USAGE);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`flowmatch build-from-source: unknown option ${argv[0]}\n\n${BUILD_FROM_SOURCE_USAGE}`);
    return 2;
  }
  const problem = missingTool();
  if (problem) {
    process.stderr.write(`flowmatch build-from-source: ${problem}\n`);
    return 1;
  }
  const found = resolve();
  if (found.problem) {
    process.stderr.write(`flowmatch build-from-source: ${found.problem}. Fix: ${found.fix}\n`);
    return 1;
  }
  process.stdout.write(`▸ Building the addon against libtorch ${found.version} at ${found.root} (a few minutes on 2 cores)\n`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-build-'));
  try {
    const result = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'scripts', 'build-native.js'), '--out', work], { stdio: 'inherit' });
    if (result.status !== 0) return 1;
    fs.mkdirSync(path.dirname(LOCAL_BUILD), { recursive: true });
    // The record first: an addon without it would run with whatever its RUNPATH names.
    for (const [from, to] of [[path.join(work, 'libtorch.json'), LOCAL_BUILD_INFO], [path.join(work, 'Release', 'flowmatch.node'), LOCAL_BUILD]]) {
      const temp = `${to}.${process.pid}.tmp`;
      fs.copyFileSync(from, temp);
      fs.renameSync(temp, to);
    }
    process.stdout.write(`flowmatch: built ${LOCAL_BUILD}; \`npx flowmatch doctor\` checks it\n`);
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
