/**
 * `flowmatch doctor`: what flowmatch finds on this machine, and one actionable message
 * for every problem. It works even when the addon cannot load, since that is when it is
 * needed most.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

interface Check {
  label: string;
  value: string;
  problem?: string;
}

export function doctor(opts: { json?: boolean } = {}): number {
  const requireHere = createRequire(__filename);
  const root = packageRoot(__dirname);
  const checks: Check[] = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  checks.push({ label: 'flowmatch', value: pkg.version });
  checks.push({ label: 'node', value: `${process.version} (N-API ${process.versions.napi})` });
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) checks[checks.length - 1].problem = 'flowmatch needs Node.js 20 or newer';

  const resolver = requireHere(path.join(root, 'scripts', 'libtorch.js'));
  const found = resolver.resolve();
  if (found.problem) {
    checks.push({
      label: 'libtorch',
      value: 'not found',
      problem: `${found.problem}${found.tried.map((t: { source: string; problem: string }) => `; ${t.source}: ${t.problem}`).join('')}. Fix: ${found.fix}`,
    });
  } else {
    checks.push({ label: 'libtorch', value: `${found.version} from ${found.source} at ${found.root}` });
    checks.push({ label: 'C++ ABI', value: found.cxx11abi ? 'cxx11 (new)' : 'pre-cxx11 (old)' });
    checks.push({ label: 'CUDA compiled in', value: found.cuda ? `yes${found.cudaVersion ? ` (CUDA ${found.cudaVersion})` : ''}` : 'no (CPU build)' });
  }

  const addonFile = process.env.FLOWMATCH_ADDON ?? path.join(root, 'build', 'Release', 'flowmatch.node');
  const builtWith = path.join(root, 'build', 'libtorch.json');
  if (!fs.existsSync(addonFile)) {
    checks.push({ label: 'native addon', value: 'not built', problem: `${addonFile} is missing. Fix: run \`npm run setup\`` });
  } else {
    try {
      const addon = requireHere(addonFile);
      const info = addon.buildInfo();
      checks.push({ label: 'native addon', value: `${addonFile} (built against libtorch ${info.torchVersion})` });
      if (fs.existsSync(builtWith) && !found.problem) {
        const was = JSON.parse(fs.readFileSync(builtWith, 'utf8'));
        if (was.libDir !== found.libDir) {
          checks[checks.length - 1].problem = `the addon was built against ${was.libDir} but the resolver now finds ${found.libDir}. Fix: run \`npm run build:native\``;
        }
      }
      const devices = addon.cudaIsAvailable() ? addon.cudaDeviceCount() : 0;
      checks.push({ label: 'CUDA devices', value: devices > 0 ? `${devices} found` : 'none found' });
      checks.push({ label: 'threads', value: `${addon.getNumThreads()} intra-op (of ${require('node:os').cpus().length} cores)` });
    } catch (e) {
      checks.push({
        label: 'native addon',
        value: 'fails to load',
        problem: `${(e as Error).message.split('\n')[0]}. Fix: run \`npm run build:native\` (the libtorch it was linked against may have moved)`,
      });
    }
  }

  const problems = checks.filter((c) => c.problem);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ok: problems.length === 0, checks }, null, 2) + '\n');
  } else {
    const width = Math.max(...checks.map((c) => c.label.length));
    for (const c of checks) process.stdout.write(`${c.problem ? '✗' : '✓'} ${c.label.padEnd(width)}  ${c.value}\n`);
    for (const c of problems) process.stdout.write(`\nproblem (${c.label}): ${c.problem}\n`);
    process.stdout.write(problems.length === 0 ? '\nflowmatch is ready.\n' : `\n${problems.length} problem(s) found.\n`);
  }
  return problems.length === 0 ? 0 : 1;
}

/** The folder of flowmatch's package.json: one level above dist/cli.js, two above lib/cli/doctor.ts. */
function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
