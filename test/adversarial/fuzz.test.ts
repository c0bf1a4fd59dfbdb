import test from 'ava';
import { Fixtures } from './fixtures';
import { type Failure, runPool } from './pool';
import { report } from './summary';
import { FUZZ_FUNCTIONS, fuzzCall } from './fuzz-calls';
import type { FuzzStats } from './outcome';

/**
 * 100,000 calls with arguments drawn from hostile and plausible values (fuzz-calls.ts), in two
 * child processes. FLOWMATCH_FUZZ_SEED and FLOWMATCH_FUZZ_CALLS override the seed and count;
 * the report names the seed, and each offending call is listed with its index, so
 * `fuzzCall(seed, index)` reproduces it alone.
 */
const SEED = Number(process.env.FLOWMATCH_FUZZ_SEED ?? 20230601);
const CALLS = Number(process.env.FLOWMATCH_FUZZ_CALLS ?? 100_000);
const CALLS_PER_JOB = 2_500;
/**
 * The fuzz hunts crashes and hangs, not memory bandwidth. Under the default tensor cap (half
 * the machine's memory) a legal 4 GiB arange takes 3–8 s to fill on a loaded 2-core machine
 * and trips the stall limit; with a 1 GiB cap every legal allocation stays well inside it,
 * and the cap's refusal path (FLOWMATCH_MAX_TENSOR_BYTES) is fuzzed as well.
 */
const CHILD_ENV = { FLOWMATCH_MAX_TENSOR_BYTES: String(2 ** 30) };

/** Names each crashed or hung call (with fixtures of its own: the child that ran it is gone). */
function describeFailures(failures: Failure[]): string[] {
  if (failures.length === 0) return [];
  const fx = new Fixtures();
  try {
    return failures.map((f) => `${f.kind} at ${fuzzCall(SEED, f.index, fx).describe()}: ${f.detail}`);
  } finally {
    fx.endCall();
    fx.removeFiles();
  }
}

test('fuzzed calls: no crash, no hang, no non-Flowmatch error, no leaked tensor', async (t) => {
  const jobs = [];
  for (let start = 0; start < CALLS; start += CALLS_PER_JOB) jobs.push({ suite: 'fuzz' as const, start, end: Math.min(CALLS, start + CALLS_PER_JOB), seed: SEED });
  const result = await runPool(jobs, { workers: 2, stallMs: 10_000, env: CHILD_ENV });
  const total: FuzzStats = { calls: 0, typed: 0, returned: 0, userErrors: 0, untyped: 0, leaked: 0, samples: [] };
  for (const { reply } of result.replies) {
    if (reply.suite !== 'fuzz') continue;
    for (const k of ['calls', 'typed', 'returned', 'userErrors', 'untyped', 'leaked'] as const) total[k] += reply.stats[k];
    total.samples.push(...reply.stats.samples);
  }
  const crashes = result.failures.filter((f) => f.kind === 'crash');
  const hangs = result.failures.filter((f) => f.kind === 'hang');
  report(t, `adversarial fuzz (seed ${SEED}, ${FUZZ_FUNCTIONS} functions)`, {
    'fuzzed calls': total.calls + result.failures.length,
    crashes: crashes.length,
    hangs: hangs.length,
    'non-Flowmatch errors': total.untyped,
    'leaked tensors': total.leaked,
    'typed errors': total.typed,
    'returned normally': total.returned,
    'user errors passed through': total.userErrors,
  });
  const failures = describeFailures(result.failures);
  t.true(total.calls + result.failures.length >= Math.min(CALLS, 50_000));
  t.deepEqual([...failures, ...total.samples], []);
  t.is(total.untyped, 0);
  t.is(total.leaked, 0);
});
