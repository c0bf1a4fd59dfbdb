import test from 'ava';
import { runPool } from './pool';
import { PROBE_CALLS } from './probe-calls';
import type { Outcome } from './outcome';

test('the pool pins a crash and a hang each on its own call and still runs every other call', async (t) => {
  const result = await runPool([{ suite: 'probes', start: 0, end: PROBE_CALLS.length, seed: 0 }], { workers: 1, stallMs: 1500 });
  const failures = result.failures.map((f) => [f.kind, PROBE_CALLS[f.index].name]).sort();
  t.deepEqual(failures, [['crash', 'segfaults'], ['hang', 'spins forever']]);
  t.regex(result.failures.find((f) => f.kind === 'crash')!.detail, /SIGSEGV/);
  const outcomes = new Map<string, Outcome>();
  for (const { job, reply } of result.replies) if (reply.suite !== 'fuzz') reply.outcomes.forEach((o, k) => outcomes.set(PROBE_CALLS[job.start + k].name, o));
  t.deepEqual([...outcomes.keys()].sort(), ['returns', 'throws a typed error', 'throws a typed error after the crash']);
  t.true(outcomes.get('throws a typed error')!.typed);
  t.true(outcomes.get('throws a typed error after the crash')!.typed);
  t.is(outcomes.get('returns')!.status, 'returned');
  t.true(result.spawned >= 3, 'a fresh child after the crash and after the hang');
});
