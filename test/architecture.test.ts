// The import rules of ARCHITECTURE.md, in their executable form (.dependency-cruiser.cjs):
// lib/ breaks none of them, and a miniature lib/ that breaks each once is caught on each.
import test from 'ava';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function violations(cwd: string): Violation[] {
  const r = spawnSync(DEPCRUISE, ['lib', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.stdout.trim() === '') throw new Error(`depcruise printed nothing: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

test('lib/ keeps every import rule: floors only downward, no sideways imports, no cycles, native only from the tensor core', (t) => {
  const found = violations(ROOT);
  t.deepEqual(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`), []);
});

test('each rule fails on a miniature lib/ that breaks it', (t) => {
  const found = violations(path.join(ROOT, 'test', 'fixtures', 'architecture'));
  const broken = new Set(found.map((v) => `${v.rule.name}: ${v.from}`));
  t.deepEqual([...broken].sort(), [
    'every-room-has-a-floor: lib/mystery/unplaced.ts',
    'floor-6-imports-only-below: lib/nn/reaches-up.ts',
    'floor-7-plot-not-sideways: lib/plot/sideways.ts',
    'no-cycles: lib/solvers/cycle-a.ts',
    'only-the-tensor-core-imports-native: lib/paths/reaches-native.ts',
  ]);
});
