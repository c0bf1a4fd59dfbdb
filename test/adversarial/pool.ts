/**
 * A small pool of child processes that run adversarial calls, so that a segfault, an abort
 * or a hang costs one child, not the test run. Each child writes the index of the call it is
 * running to its own journal file (synchronously, before the call), so when it dies or stops
 * making progress the failure is attributed to exactly that call; the other calls of its job
 * then run again in fresh children.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Job, Reply } from './outcome';

export interface Failure {
  kind: 'crash' | 'hang';
  index: number;
  /** Exit code or signal, and the end of the child's stderr. */
  detail: string;
}

export interface PoolResult {
  replies: { job: Job; reply: Reply }[];
  failures: Failure[];
  /** Children started, replacements included. */
  spawned: number;
}

const CHILD = path.join(__dirname, 'child.ts');

interface Worker {
  proc: ChildProcess;
  journal: string;
  stderr: string;
  job?: Job;
  lastIndex: number;
  lastProgress: number;
}

function readJournal(file: string): number {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    return Number.isNaN(n) ? -1 : n;
  } catch {
    return -1;
  }
}

/**
 * Runs every job; a call that makes no progress for `stallMs` is a hang. Resolves when all
 * jobs (and the continuations of interrupted ones) are done.
 */
/**
 * A fresh child that has not begun its first call (journal still -1) is loading tsx and the
 * addon: seconds on a loaded machine, and no call of the suite is running yet, so the stall
 * limit for calls does not apply to it.
 */
const STARTUP_MS = 120_000;

export function runPool(jobs: Job[], opts: { workers: number; stallMs: number; env?: Record<string, string> }): Promise<PoolResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-adv-pool-'));
  const queue = jobs.slice();
  const result: PoolResult = { replies: [], failures: [], spawned: 0 };
  const workers = new Set<Worker>();
  let serial = 0;

  return new Promise((resolve) => {
    const finishIfIdle = (): void => {
      if (queue.length === 0 && [...workers].every((w) => w.job === undefined)) {
        clearInterval(watchdog);
        for (const w of workers) w.proc.disconnect();
        fs.rmSync(dir, { recursive: true, force: true });
        resolve(result);
      }
    };

    const spawn = (): Worker => {
      const journal = path.join(dir, `journal-${serial++}`);
      fs.writeFileSync(journal, '-1');
      const proc = fork(CHILD, [], {
        execArgv: ['--import=tsx'],
        env: { ...process.env, ...opts.env, FLOWMATCH_ADV_JOURNAL: journal, FLOWMATCH_ADV_TMP: dir },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      result.spawned++;
      const w: Worker = { proc, journal, stderr: '', lastIndex: -1, lastProgress: Date.now() };
      proc.stderr!.on('data', (chunk: Buffer) => {
        w.stderr = (w.stderr + chunk.toString()).slice(-1500);
      });
      proc.on('message', (reply: Reply) => {
        const job = w.job!;
        w.job = undefined;
        result.replies.push({ job, reply });
        next(w);
      });
      proc.on('exit', (code, signal) => {
        workers.delete(w);
        if (w.job !== undefined) interrupted(w, 'crash', `exit ${signal ?? code}: ${w.stderr.trim().split('\n').slice(-4).join(' | ')}`);
      });
      workers.add(w);
      return w;
    };

    // The call at the journal's index failed; the job's remaining calls go back in the queue.
    const interrupted = (w: Worker, kind: Failure['kind'], detail: string): void => {
      const job = w.job!;
      w.job = undefined;
      const index = Math.max(readJournal(w.journal), job.start);
      result.failures.push({ kind, index, detail });
      // The child reports a job only when all of it is done, so the calls before the failed
      // one run again too (each call is deterministic), in their own job.
      if (index + 1 < job.end) queue.unshift({ ...job, start: index + 1 });
      if (index > job.start) queue.unshift({ ...job, end: index });
      next(spawn());
    };

    const next = (w: Worker): void => {
      const job = queue.shift();
      if (job === undefined) {
        finishIfIdle();
        return;
      }
      w.job = job;
      w.lastIndex = -1;
      w.lastProgress = Date.now();
      w.proc.send(job);
    };

    const watchdog = setInterval(() => {
      const now = Date.now();
      for (const w of workers) {
        if (w.job === undefined) continue;
        const index = readJournal(w.journal);
        if (index !== w.lastIndex) {
          w.lastIndex = index;
          w.lastProgress = now;
        } else if (now - w.lastProgress > (index < 0 ? STARTUP_MS : opts.stallMs)) {
          const job = w.job;
          workers.delete(w);
          w.proc.removeAllListeners('exit');
          w.proc.kill('SIGKILL');
          w.job = job;
          interrupted(w, 'hang', `no progress for ${opts.stallMs} ms`);
        }
      }
    }, 250);

    for (let i = 0; i < opts.workers; i++) next(spawn());
  });
}
