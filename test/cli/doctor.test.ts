import test from 'ava';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

// `flowmatch doctor`, `--version` and command suggestions, run as a user runs them (the CLI
// from lib/ through tsx), in this repository where the addon is built from source.

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'lib', 'cli', 'main.ts');
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import=tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });

test('doctor --json lists the candidates it tried and the libtorch it chose', (t) => {
  const r = cli(['doctor', '--json']);
  t.is(r.status, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: { label: string; value: string; problem?: string }[] };
  t.true(report.ok);
  const chosen = report.checks.find((c) => c.label.startsWith('addon:') && c.value.endsWith('(chosen)'));
  t.truthy(chosen, JSON.stringify(report.checks));
  t.regex(report.checks.find((c) => c.label === 'libtorch')!.value, /^libtorch 2\.\d+/);
  t.regex(report.checks.find((c) => c.label === 'native addon')!.value, /^loads/);
});

test('doctor exits 1 with the fix when the addon named by FLOWMATCH_ADDON is missing; --help and --version still run', (t) => {
  const env = { FLOWMATCH_ADDON: path.join(ROOT, 'no-such-addon.node') };
  const r = cli(['doctor'], env);
  t.is(r.status, 1, r.stdout);
  t.regex(r.stdout, /FLOWMATCH_ADDON points to .*no-such-addon\.node[\s\S]*fix: /);
  const version = cli(['--version'], env);
  t.is(version.status, 0);
  t.is(version.stdout.trim(), require('../../package.json').version);
  t.is(cli(['train', '--help'], env).status, 0);
});

test('a mistyped command gets a suggestion and exit code 2', (t) => {
  const r = cli(['dcotor']);
  t.is(r.status, 2);
  t.regex(r.stderr, /unknown command 'dcotor' \(did you mean 'doctor'\?\)/);
  t.notRegex(cli(['zzzzzz']).stderr, /did you mean/);
});
