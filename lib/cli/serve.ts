/**
 * `flowmatch serve`: a trained run behind HTTP (lib/serve/server.ts), sampling through a
 * batched sampler (lib/serve/sampler.ts). SIGTERM or SIGINT: stop accepting, finish every
 * accepted request, exit 0; past --drain-timeout-ms, exit 1 saying how many were cut off.
 */
import { UsageError, parseArgs, usage, type OptionTable } from '../run/options';
import { loadRun } from '../serve/load-run';
import { createSampler } from '../serve/sampler';
import { createServer } from '../serve/server';
import { useServingThreads } from '../serve/serving-threads';

const OPTIONS: OptionTable = {
  run: { type: 'string', help: 'run folder written by `flowmatch train`' },
  host: { type: 'string', help: 'address to listen on', default: '127.0.0.1' },
  port: { type: 'int', min: 0, max: 65535, help: 'port (0: any free port, printed on start)', default: '8080' },
  workers: { type: 'int', min: 0, max: 256, help: 'worker threads, each holding the model (0: sample on the main thread\'s pool jobs)', default: '0' },
  maxBatch: { type: 'int', min: 1, help: 'model rows solved at once (per worker); 1 turns batching off', default: '1024' },
  maxWaitMs: { type: 'number', min: 0, help: 'how long a round of evaluations waits for more requests', default: '2' },
  maxQueue: { type: 'int', min: 0, help: 'requests waiting beyond the running ones before 429', default: '256' },
  maxN: { type: 'int', min: 1, help: 'largest n of one request', default: '4096' },
  timeoutMs: { type: 'int', min: 1, help: 'a request past this is cancelled with 504', default: '60000' },
  bodyLimit: { type: 'int', min: 1024, help: 'largest request body in bytes (413 beyond)', default: '16777216' },
  drainTimeoutMs: { type: 'int', min: 1, help: 'on SIGTERM, how long to wait for accepted requests', default: '30000' },
  weights: { type: 'string', choices: ['ema', 'plain'], help: 'the EMA weights or the training weights', default: 'ema' },
};

export const SERVE_USAGE = usage('flowmatch serve --run <folder> [options]', OPTIONS);

export async function serveCommand(argv: string[]): Promise<number> {
  const { values: o, help } = parseArgs(argv, OPTIONS);
  if (help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  if (o.run === undefined) throw new UsageError('give --run <folder>');
  const dir = o.run as string;
  const workers = (o.workers as number | undefined) ?? 0;
  const load = { weights: ((o.weights as string | undefined) ?? 'ema') as 'ema' | 'plain' };
  // The main thread's copy answers /v1/log-prob (and samples when there are no workers).
  const run = loadRun(dir, load);
  // Jobs side by side on one intra-op thread each (serving-threads.ts says why).
  useServingThreads();
  const sampler = createSampler({
    run: workers > 0 ? dir : run,
    load,
    workers,
    maxBatch: (o.maxBatch as number | undefined) ?? 1024,
    maxWaitMs: (o.maxWaitMs as number | undefined) ?? 2,
    maxQueue: (o.maxQueue as number | undefined) ?? 256,
    maxN: (o.maxN as number | undefined) ?? 4096,
  });
  const app = createServer(sampler, { timeoutMs: (o.timeoutMs as number | undefined) ?? 60_000, bodyLimit: (o.bodyLimit as number | undefined) ?? 16 * 1024 * 1024, likelihoodModel: run.model });
  const address = await app.listen({ host: (o.host as string | undefined) ?? '127.0.0.1', port: (o.port as number | undefined) ?? 8080 });
  process.stdout.write(`flowmatch serve: ${dir} on ${address} (workers ${workers}, max batch ${(o.maxBatch as number | undefined) ?? 1024})\n`);

  const drainTimeout = (o.drainTimeoutMs as number | undefined) ?? 30_000;
  return new Promise<number>((resolve) => {
    let draining = false;
    const drain = (signal: string) => {
      if (draining) return;
      draining = true;
      const s = sampler.stats();
      process.stdout.write(`flowmatch serve: ${signal}: draining (${s.running} running, ${s.queued} queued)\n`);
      const timer = setTimeout(() => {
        const left = sampler.stats();
        process.stderr.write(`flowmatch serve: drain timeout after ${drainTimeout} ms with ${left.running} running and ${left.queued} queued requests; exiting\n`);
        resolve(1);
      }, drainTimeout);
      timer.unref();
      // app.close() stops accepting and waits for the requests in flight; then the sampler and the model go.
      app
        .close()
        .then(() => sampler.close())
        .then(() => {
          clearTimeout(timer);
          run.dispose();
          process.stdout.write('flowmatch serve: drained, exiting\n');
          resolve(0);
        }, (e: unknown) => {
          process.stderr.write(`flowmatch serve: ${(e as Error).message}\n`);
          resolve(1);
        });
    };
    process.once('SIGTERM', () => drain('SIGTERM'));
    process.once('SIGINT', () => drain('SIGINT'));
  });
}
