/** A small trained run folder for the serving tests (the checkerboard MLP, 30 steps). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

export const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.ts');

export function trainSmallRun(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-serve-'));
  const out = path.join(dir, 'run');
  const r = spawnSync(process.execPath, ['--import=tsx', CLI, 'train', '--dataset', 'checkerboard', '--steps', '30', '--hidden', '64,64,64', '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`training the test run failed: ${r.stderr}`);
  return out;
}
