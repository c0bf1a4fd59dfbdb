/**
 * The thread policy of `flowmatch serve`: every async model job (a sampler round, a
 * log-prob) runs on ONE intra-op thread, and as many jobs run at once as there are intra-op
 * threads to give (getNumThreads(): the cores, or FLOWMATCH_THREADS). A server has many
 * requests in flight, so the cores are filled by running jobs side by side rather than by
 * splitting each small forward across threads.
 *
 * Measured on 2 shared cores (benchmarks/serve-load.js scenarios, CPU time per request):
 * the small Fashion U-Net at n = 4 took 190 ms of CPU per request with one job at a time on
 * 2 threads and 158 ms with two jobs on 1 thread each (a 4-image convolution does not
 * split well: the second thread mostly waits at OpenMP barriers, and when another process
 * holds a core, a 2-thread forward took 8–12× longer than a 1-thread one); the MLP's
 * batch-invariant rounds cost the same CPU either way (2.3 ms per request) but leave no core
 * idle while the event loop steps the solvers.
 *
 * A request's bits do not depend on this: every forward of a served request runs with the
 * same thread count whether it is alone or merged (and the MLP's kernel is thread-count
 * invariant anyway).
 */
import { setAsyncForwardOptions, type AsyncForwardOptions } from '../nn/forward-queue';
import { getNumThreads } from '../runtime';

/** Applies the serving policy to this thread's async jobs; returns the settings in force. */
export function useServingThreads(): Required<AsyncForwardOptions> {
  return setAsyncForwardOptions({ concurrency: Math.max(1, Math.min(64, getNumThreads())), threads: 1 });
}
