import test from 'ava';
import { CASES } from './cases';
import { runPool } from './pool';
import { report } from './summary';
import type { Outcome } from './outcome';

/**
 * Every case of cases.ts runs in a child process (a pool of two, each child replaced after a
 * crash or a hang) and must end in a typed FlowmatchError with no tensor leaked.
 */
const CALLS_PER_JOB = 8;

test('bad calls across the public API throw FlowmatchErrors, leak nothing, never crash or hang', async (t) => {
  const jobs = [];
  for (let start = 0; start < CASES.length; start += CALLS_PER_JOB) {
    jobs.push({ suite: 'cases' as const, start, end: Math.min(CASES.length, start + CALLS_PER_JOB), seed: 0 });
  }
  const result = await runPool(jobs, { workers: 2, stallMs: 10_000 });
  const outcomes = new Map<number, Outcome>();
  for (const { job, reply } of result.replies) {
    if (reply.suite === 'cases') reply.outcomes.forEach((o, k) => outcomes.set(job.start + k, o));
  }
  const problems: string[] = [];
  const count = { crashes: 0, hangs: 0, returned: 0, untyped: 0, leakedTensors: 0 };
  for (const f of result.failures) {
    count[f.kind === 'crash' ? 'crashes' : 'hangs']++;
    problems.push(`${f.kind}: ${CASES[f.index].name} (${f.detail})`);
  }
  for (const [i, o] of [...outcomes.entries()].sort((a, b) => a[0] - b[0])) {
    const name = CASES[i].name;
    if (o.status === 'returned') {
      count.returned++;
      problems.push(`returned instead of throwing: ${name}`);
    } else if (!o.typed && !o.userError) {
      count.untyped++;
      problems.push(`not a FlowmatchError: ${name} → ${o.name}: ${o.message}`);
    }
    if (o.leaked !== 0) {
      count.leakedTensors += Math.max(0, o.leaked);
      problems.push(`leaked ${o.leaked} tensor(s): ${name}`);
    }
  }
  report(t, 'adversarial bad calls', {
    'distinct bad calls': CASES.length,
    crashes: count.crashes,
    hangs: count.hangs,
    'non-Flowmatch errors': count.untyped,
    'returned without throwing': count.returned,
    'leaked tensors': count.leakedTensors,
    'child processes': result.spawned,
  });
  t.true(CASES.length >= 300, `only ${CASES.length} distinct bad calls`);
  t.is(outcomes.size + result.failures.length, CASES.length, 'every case ran once');
  t.deepEqual(problems, []);
});
