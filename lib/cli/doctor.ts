/**
 * `flowmatch doctor`: every place flowmatch looked for its addon and libtorch, what it found
 * there or why it passed it over, and the exact command that fixes each problem. It runs
 * when the addon cannot load, since that is when it is needed most: it asks the same
 * loader module (scripts/addon.js) that `require('flowmatch')` uses.
 */
import * as os from 'node:os';
import { version } from '../version';

/* eslint-disable @typescript-eslint/no-require-imports */
interface LibtorchFound { version: string; source: string; root: string; libDir: string; cxx11abi: boolean | null; cuda: boolean; cudaVersion?: string | null }
interface Candidate { source: string; file: string; problem?: string; fix?: string; libtorch?: LibtorchFound | null; builtFor?: { libtorch?: string } }
interface Located extends Partial<Candidate> { code?: string; tried: Candidate[] }
const addonLoader = require('../../scripts/addon.js') as { locate(): Located; load(): { addon: Record<string, () => unknown> }; describeLibtorch(found: LibtorchFound): string };
const platform = require('../../scripts/platform.js') as { platformId(): string };
/* eslint-enable @typescript-eslint/no-require-imports */

interface Check {
  label: string;
  value: string;
  problem?: string;
  fix?: string;
}

export function doctor(opts: { json?: boolean } = {}): number {
  const checks: Check[] = [{ label: 'flowmatch', value: `${version} on ${platform.platformId()}` }];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({ label: 'node', value: `${process.version} (N-API ${process.versions.napi})`, ...(major < 20 ? { problem: 'flowmatch needs Node.js 20 or newer', fix: 'install Node.js 20 or newer' } : {}) });

  const located = addonLoader.locate();
  for (const candidate of located.tried) {
    const chosen = !candidate.problem;
    checks.push({
      label: `addon: ${candidate.source}`,
      value: chosen ? `${candidate.file} (chosen)` : `${candidate.file}: ${candidate.problem}`,
      // Passing over a missing candidate is normal when a later one is chosen.
      ...(!chosen && located.problem ? { problem: candidate.problem, fix: candidate.fix } : {}),
    });
  }
  if (!located.problem) {
    const torch = located.libtorch;
    checks.push({ label: 'libtorch', value: torch ? addonLoader.describeLibtorch(torch) : 'the addon\'s own RUNPATH (FLOWMATCH_ADDON)' });
    try {
      const { addon } = addonLoader.load();
      const info = addon.buildInfo() as { torchVersion: string };
      checks.push({ label: 'native addon', value: `loads (libtorch ${info.torchVersion})` });
      const devices = addon.cudaIsAvailable() ? (addon.cudaDeviceCount() as number) : 0;
      checks.push({ label: 'CUDA devices', value: devices > 0 ? `${devices} found` : 'none found' });
      checks.push({ label: 'threads', value: `${addon.getNumThreads()} intra-op (of ${os.cpus().length} cores)` });
    } catch (e) {
      const { message, fix } = e as { message: string; fix?: string };
      checks.push({ label: 'native addon', value: 'fails to load', problem: message.replace(/^flowmatch: /, '').split('. Fix: ')[0], fix });
    }
  }

  const problems = checks.filter((c) => c.problem);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ok: problems.length === 0, code: located.code ?? null, checks }, null, 2) + '\n');
  } else {
    const width = Math.max(...checks.map((c) => c.label.length));
    for (const c of checks) process.stdout.write(`${c.problem ? '✗' : '✓'} ${c.label.padEnd(width)}  ${c.value}\n`);
    for (const c of problems) process.stdout.write(`\nproblem (${c.label}): ${c.problem}${c.fix ? `\n  fix: ${c.fix}` : ''}\n`);
    process.stdout.write(problems.length === 0 ? '\nflowmatch is ready.\n' : `\n${problems.length} problem(s) found.\n`);
  }
  return problems.length === 0 ? 0 : 1;
}
