/**
 * Calls that misbehave on purpose, for checking the pool itself: that a segfault and a hang
 * are each pinned on the one call that did it, and that every other call of the job still runs.
 */
import * as fm from '../../lib/index';

export const PROBE_CALLS: { name: string; run: () => unknown }[] = [
  { name: 'throws a typed error', run: () => fm.zeros([-1]) },
  { name: 'segfaults', run: () => process.kill(process.pid, 'SIGSEGV') },
  { name: 'throws a typed error after the crash', run: () => fm.ones([NaN]) },
  { name: 'spins forever', run: () => { for (;;); } },
  { name: 'returns', run: () => 1 },
];
