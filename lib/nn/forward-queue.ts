/**
 * How async model jobs (Module.forwardAsync, the batched sampler's evaluations, the
 * likelihood's velocity-and-divergence) share the CPU. Each runs on the libuv pool, and
 * libtorch's intra-op threads are per thread there: four concurrent forwards with the
 * default thread count each would start four teams of that many threads on the same cores.
 * Measured with 200 concurrent requests, that oversubscription was 4× slower than one
 * thread.
 *
 * So jobs go through this queue: at most `concurrency` run at once (default 1), each with
 * `threads` intra-op threads (default: the count sync calls use, getNumThreads(), read when
 * the job starts, so an async forward computes the same bits as a sync one). More
 * concurrency only pays for small models whose forwards cannot use the threads; set it
 * with threads × concurrency ≤ the cores. The libuv pool is left free for file and DNS
 * work whatever the number of requests.
 */
import { native } from '../native';
import { checkInt, checkOptions } from '../validate';

export interface AsyncForwardOptions {
  /** Jobs that run at once (1 to 64). Default 1. */
  concurrency?: number;
  /** Intra-op threads per job; 0 (the default) means getNumThreads() at the time the job starts. */
  threads?: number;
}

let concurrency = 1;
let threadsPerJob = 0;
let running = 0;
const waiting: (() => void)[] = [];

/** Sets how async model jobs share the CPU (see above); returns the settings now in force. */
export function setAsyncForwardOptions(opts: AsyncForwardOptions = {}): Required<AsyncForwardOptions> {
  checkOptions(opts, 'async forward options');
  if (opts.concurrency !== undefined) concurrency = checkInt(opts.concurrency, 'concurrency', 1, 64);
  if (opts.threads !== undefined) threadsPerJob = checkInt(opts.threads, 'threads', 0, native.getMaxNumThreads());
  while (running < concurrency && waiting.length > 0) {
    running++;
    (waiting.shift() as () => void)();
  }
  return { concurrency, threads: threadsPerJob };
}

/** The settings in force. */
export function asyncForwardOptions(): Required<AsyncForwardOptions> {
  return { concurrency, threads: threadsPerJob };
}

/**
 * Runs `start(threads)` (which queues one native job and returns its promise) when a slot is
 * free. Grad mode is `gradMode`, else the caller's at the time of the call, as for a
 * synchronous forward: the native job reads it when it is created, so it is set around
 * `start`.
 */
export async function runForwardJob<T>(start: (threads: number) => Promise<T>, gradMode?: boolean): Promise<T> {
  const grad = gradMode ?? native.isGradEnabled();
  if (running < concurrency) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    const previous = native.isGradEnabled();
    native.setGradEnabled(grad);
    let job: Promise<T>;
    try {
      job = start(threadsPerJob === 0 ? native.getNumThreads() : threadsPerJob);
    } finally {
      native.setGradEnabled(previous);
    }
    return await job;
  } finally {
    // The slot passes straight to the next job, so a new caller cannot take it in between.
    const next = running <= concurrency ? waiting.shift() : undefined;
    if (next !== undefined) next();
    else running--;
  }
}
