/**
 * The child process of the adversarial pool (pool.ts): runs the calls of each job it is sent,
 * one at a time, and reports how each ended. Before each call it writes the call's index to
 * its journal, so a crash or a hang is pinned on that call by the parent.
 */
import * as fs from 'node:fs';
import * as fm from '../../lib/index';
import { Fixtures } from './fixtures';
import { CASES } from './cases';
import { fuzzCall } from './fuzz-calls';
import { PROBE_CALLS } from './probe-calls';
import type { FuzzStats, Job, Outcome, Reply } from './outcome';

const journal = fs.openSync(process.env.FLOWMATCH_ADV_JOURNAL!, 'r+');
function mark(index: number): void {
  const text = `${index}`.padEnd(16, ' ');
  fs.writeSync(journal, text, 0);
}

function liveTensors(): number {
  return Object.values(fm.memory()).reduce((sum, d) => sum + d.tensors, 0);
}

const fx = new Fixtures();
const threads = fm.getNumThreads();

/** Runs one call and cleans up after it: its fixtures, what it returned, process settings it changed. */
async function measure(run: () => unknown, fixtures: Fixtures, userErrors: Set<unknown>): Promise<Outcome> {
  const before = liveTensors();
  let outcome: Omit<Outcome, 'leaked'>;
  let value: unknown;
  try {
    value = await run();
    outcome = { status: 'returned', typed: false, userError: false, name: '', code: '', message: '' };
  } catch (e) {
    const typed = e instanceof fm.FlowmatchError && typeof e.code === 'string' && e.code.length > 0 && typeof e.message === 'string' && e.message.length > 0;
    const err = e as { name?: unknown; code?: unknown; message?: unknown } | null;
    outcome = {
      status: 'threw',
      typed,
      userError: userErrors.has(e),
      name: String(err?.name ?? typeof e),
      code: String(err?.code ?? ''),
      message: String(err?.message ?? e).slice(0, 300),
    };
  }
  try {
    if (outcome.status === 'returned') fixtures.release(value);
  } catch {
    // A result that cannot be released shows up as leaked tensors below.
  }
  fixtures.endCall();
  if (fm.getNumThreads() !== threads) fm.setNumThreads(threads);
  return { ...outcome, leaked: liveTensors() - before };
}

async function runCases(job: Job): Promise<Reply> {
  const outcomes: Outcome[] = [];
  for (let i = job.start; i < job.end; i++) {
    mark(i);
    const run = job.suite === 'probes' ? PROBE_CALLS[i].run : () => CASES[i].run(fx);
    outcomes.push(await measure(run, fx, fx.userErrors));
  }
  return { suite: job.suite === 'probes' ? 'probes' : 'cases', outcomes };
}

async function runFuzz(job: Job): Promise<Reply> {
  const stats: FuzzStats = { calls: 0, typed: 0, returned: 0, userErrors: 0, untyped: 0, leaked: 0, samples: [] };
  for (let i = job.start; i < job.end; i++) {
    mark(i);
    const call = fuzzCall(job.seed, i, fx);
    const o = await measure(call.run, fx, fx.userErrors);
    stats.calls++;
    if (o.status === 'returned') stats.returned++;
    else if (o.typed) stats.typed++;
    else if (o.userError) stats.userErrors++;
    else stats.untyped++;
    if (o.leaked > 0) stats.leaked += o.leaked;
    if ((o.status === 'threw' && !o.typed && !o.userError) || o.leaked > 0) {
      if (stats.samples.length < 20) stats.samples.push(`#${i} ${call.describe()}: ${o.status === 'threw' ? `${o.name}: ${o.message}` : 'returned'}${o.leaked > 0 ? ` (leaked ${o.leaked})` : ''}`);
    }
  }
  return { suite: 'fuzz', stats };
}

process.on('message', (job: Job) => {
  (job.suite === 'fuzz' ? runFuzz(job) : runCases(job)).then(
    (reply) => process.send!(reply),
    (e) => {
      process.stderr.write(`child harness error: ${(e as Error)?.stack ?? e}\n`);
      process.exit(70);
    },
  );
});
process.on('disconnect', () => {
  fx.removeFiles();
  process.exit(0);
});
// A stray promise that rejects is a bug of the call in flight: it ends the child like a crash, with the reason.
process.on('unhandledRejection', (e) => {
  process.stderr.write(`unhandled rejection: ${(e as Error)?.stack ?? e}\n`);
  process.exit(71);
});
