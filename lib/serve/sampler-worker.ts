/**
 * The body of a sampler's worker thread: loads its own copy of the run, runs a LocalEngine
 * with its share of the intra-op threads, and answers the parent's messages
 * ({id, req} → {id, ok | error}; {abort: id} cancels a request).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FlowmatchError } from '../errors';
import { setAsyncForwardOptions } from '../nn/forward-queue';
import { setNumThreads } from '../runtime';
import { loadRun } from './load-run';
import { LocalEngine } from './local-engine';
import { RequestError } from './sampler-error';
import type { CheckedRequest } from './sample-request';

export function runSamplerWorker(): void {
  const port = parentPort;
  if (port === null) throw new FlowmatchError('ERR_INTERNAL', '_runSamplerWorker runs only in a sampler worker thread');
  const { runDir, load, maxWaitMs, threads } = workerData as { runDir: string; load: object; maxWaitMs: number; threads: number };
  setNumThreads(threads);
  setAsyncForwardOptions({ threads });
  const run = loadRun(runDir, load);
  const engine = new LocalEngine(run, run.model, maxWaitMs);
  engine.batched.onJob = (requests, rows) => port.postMessage({ round: [requests, rows] });
  const controllers = new Map<number, AbortController>();
  port.on('message', (m: { id?: number; req?: CheckedRequest; abort?: number }) => {
    if (m.abort !== undefined) {
      controllers.get(m.abort)?.abort();
      return;
    }
    const id = m.id as number;
    const controller = new AbortController();
    controllers.set(id, controller);
    engine.run(m.req as CheckedRequest, controller.signal).then(
      (ok) => port.postMessage({ id, ok }, [ok.samples.buffer as ArrayBuffer]),
      (e: unknown) => {
        const err = e as { name?: string; code?: string; message?: string };
        port.postMessage({ id, error: { name: err.name ?? 'Error', code: err.code ?? 'ERR_INTERNAL', message: err.message ?? String(e), field: e instanceof RequestError ? e.field : undefined } });
      },
    ).finally(() => controllers.delete(id));
  });
}
