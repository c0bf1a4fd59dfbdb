/**
 * createSampler: a request queue in front of a model, embeddable in any Node server.
 *
 * Requests run concurrently, up to `maxBatch` model rows at a time (a guided request counts
 * twice its n); the evaluations of the running requests go to the pool in rounds, one job
 * per round (batched-model.ts; a silu / relu MLP's round is ONE batch-invariant forward over
 * all its rows). Each request is its own solve: its noise comes from its own
 * seed, and an adaptive method's steps from its own error norm, so a request gets the same
 * bytes alone or merged with any others, whatever their methods, steps or tolerances (so
 * nothing needs to match for requests to share a round). Requests that do not fit wait in a
 * FIFO queue of at most `maxQueue`; past it, ERR_QUEUE_FULL.
 *
 * `workers: N` runs N worker threads, each holding its own copy of the model (the addon is
 * context-aware) and its own rounds, for CPU parallelism across requests; a request goes to
 * the worker with the fewest running rows. Each worker's jobs use cores / N intra-op threads.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkInt, checkNumber, checkOptions, fail } from '../validate';
import { ArgumentError, FlowmatchError, carries, isErrorCode } from '../errors';
import * as path from 'node:path';
import type { Module } from '../nn/module';
import type { Device } from '../device';
import { loadRun, type LoadedRun, type LoadRunOptions } from './load-run';
import { checkRequest, type CheckedRequest, type ModelInfo, type SampleRequest } from './sample-request';
import { LocalEngine, type SampleReply } from './local-engine';
import { RequestError, SamplerError } from './sampler-error';

export interface SamplerOptions {
  /** A loaded run, or a run folder (needed for workers: each loads its own copy). */
  run?: LoadedRun | string;
  /** Options for loading `run` when it is a folder. */
  load?: LoadRunOptions;
  /** Instead of run: a native model and what a run would say about it. */
  model?: Module;
  shape?: number[];
  priorStd?: number;
  numClasses?: number | null;
  nullLabel?: number | null;
  lowResShape?: number[] | null;
  /** Model rows running at once (per worker). Default 1024. */
  maxBatch?: number;
  /** How long a round waits for evaluations still coming, in ms. Default 2. */
  maxWaitMs?: number;
  /** Worker threads, 0 (default) to run on this thread. */
  workers?: number;
  /** Requests waiting beyond the running ones. Default 256. */
  maxQueue?: number;
  /** Largest n of one request. Default 4096. */
  maxN?: number;
  /** Largest steps of one request. Default 1000. */
  maxSteps?: number;
}

export interface SampleResult extends SampleReply {
  /** Milliseconds from sample() to the start of the solve. */
  queuedMs: number;
}

export interface SamplerStats {
  /** Requests waiting in the queue. */
  queued: number;
  /** Requests running. */
  running: number;
  /** Model rows running. */
  rows: number;
}

export interface Sampler {
  /** What requests are checked against. */
  readonly info: ModelInfo;
  readonly maxQueue: number;
  sample(request: SampleRequest): Promise<SampleResult>;
  stats(): SamplerStats;
  /** Called per round of evaluations (requests in it, model rows), for metrics. */
  onRound?: (requests: number, rows: number) => void;
  /** Refuses new requests (ERR_CLOSED), finishes the accepted ones, then releases the workers (and the model the sampler loaded itself). */
  close(): Promise<void>;
}

interface Engine {
  rows: number;
  run(req: CheckedRequest, signal: AbortSignal): Promise<SampleReply>;
  close(): Promise<void>;
}

interface Waiting {
  req: CheckedRequest;
  signal: AbortSignal;
  enqueued: number;
  start: (engine: Engine) => void;
  fail: (e: unknown) => void;
}

export function createSampler(opts: SamplerOptions): Sampler {
  checkOptions(opts, 'sampler options');
  const maxBatch = checkInt(opts.maxBatch ?? 1024, 'maxBatch', 1, 1 << 20);
  const maxWaitMs = checkNumber(opts.maxWaitMs ?? 2, 'maxWaitMs', { finite: true });
  if (maxWaitMs < 0) fail('a number of milliseconds ≥ 0', 'maxWaitMs', maxWaitMs);
  const workers = checkInt(opts.workers ?? 0, 'workers', 0, 256);
  const maxQueue = checkInt(opts.maxQueue ?? 256, 'maxQueue', 0, 1 << 20);
  const limits = { maxN: checkInt(opts.maxN ?? 4096, 'maxN', 1, 1 << 20), maxSteps: checkInt(opts.maxSteps ?? 1000, 'maxSteps', 1, 1e6) };
  if ((opts.run === undefined) === (opts.model === undefined)) fail('either run or model', 'sampler options', opts);
  if (workers > 0 && typeof opts.run !== 'string') fail('a run folder for run (each worker loads its own copy of the model)', 'run', opts.run);

  let owned: LoadedRun | undefined;
  let info: ModelInfo & { device: Device };
  let model: Module | undefined;
  if (opts.run !== undefined) {
    const run = typeof opts.run === 'string' ? (owned = loadRun(opts.run, opts.load)) : opts.run;
    info = { shape: run.shape, priorStd: run.priorStd, numClasses: run.numClasses, nullLabel: run.nullLabel, lowResShape: run.lowResShape, device: run.device };
    model = run.model;
  } else {
    model = opts.model as Module;
    if (typeof (model as { forwardManyAsync?: unknown }).forwardManyAsync !== 'function') fail('a native Module (createMLP, createUNet)', 'model', model);
    const first = model.parameters()[0];
    info = {
      shape: [...(opts.shape ?? fail('the shape of one sample', 'shape', opts.shape))],
      priorStd: checkNumber(opts.priorStd ?? 1, 'priorStd', { positive: true, finite: true }),
      numClasses: opts.numClasses ?? null,
      nullLabel: opts.nullLabel ?? null,
      lowResShape: opts.lowResShape ?? null,
      device: first === undefined ? 'cpu' : first.device,
    };
  }

  const engines: Engine[] = [];
  let sampler: Sampler;
  if (workers === 0) {
    const local = new LocalEngine(info, model, maxWaitMs);
    local.batched.onJob = (requests, rows) => sampler.onRound?.(requests, rows);
    engines.push({ get rows() { return local.rows; }, run: (req, signal) => local.run(req, signal), close: async () => {} });
  } else {
    // The workers load their own copies; this thread's copy served only to read the run's facts.
    owned?.dispose();
    owned = undefined;
    const threads = Math.max(1, Math.floor(os.availableParallelism() / workers));
    for (let i = 0; i < workers; i++) engines.push(workerEngine(opts.run as string, opts.load ?? {}, { maxWaitMs, threads }, (requests, rows) => sampler.onRound?.(requests, rows)));
  }

  const queue: Waiting[] = [];
  let running = 0;
  let closed = false;
  let drained: (() => void) | undefined;
  const randomSeed = () => Math.floor(Math.random() * 2 ** 32);

  const pick = (rows: number): Engine | undefined => {
    let best: Engine | undefined;
    for (const e of engines) if ((e.rows === 0 || e.rows + rows <= maxBatch) && (best === undefined || e.rows < best.rows)) best = e;
    return best;
  };
  const pump = () => {
    while (queue.length > 0) {
      const engine = pick(queue[0].req.rows);
      if (engine === undefined) return;
      (queue.shift() as Waiting).start(engine);
    }
  };

  sampler = {
    info,
    maxQueue,
    stats: () => ({ queued: queue.length, running, rows: engines.reduce((s, e) => s + e.rows, 0) }),
    async sample(request: SampleRequest): Promise<SampleResult> {
      if (closed) throw new SamplerError('ERR_CLOSED', 'the sampler is closed (draining)');
      const { signal: userSignal, timeoutMs } = request ?? {};
      if (userSignal !== undefined && !(userSignal instanceof AbortSignal)) throw new RequestError('signal', 'Expected an AbortSignal for signal');
      if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs))) throw new RequestError('timeoutMs', `Expected a positive number of milliseconds for timeoutMs but received ${String(timeoutMs)}`);
      const req = checkRequest(request, info, limits, randomSeed);
      const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
      const signals = [userSignal, timeout].filter((s): s is AbortSignal => s !== undefined);
      const signal = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
      const stopped = () => (timeout?.aborted ? new SamplerError('ERR_TIMEOUT', `the request took longer than its timeout of ${timeoutMs} ms and was cancelled`) : new SamplerError('ERR_ABORTED', 'the request was aborted'));
      if (signal.aborted) throw stopped();
      const enqueued = performance.now();
      let engine = queue.length === 0 ? pick(req.rows) : undefined;
      if (engine === undefined) {
        if (queue.length >= maxQueue) {
          throw new SamplerError('ERR_QUEUE_FULL', `the queue is full (${maxQueue} requests waiting)`, Math.max(100, Math.round(maxWaitMs)));
        }
        engine = await new Promise<Engine>((resolve, reject) => {
          const entry: Waiting = { req, signal, enqueued, start: resolve, fail: reject };
          queue.push(entry);
          signal.addEventListener('abort', () => {
            const i = queue.indexOf(entry);
            if (i >= 0) {
              queue.splice(i, 1);
              reject(stopped());
            }
          }, { once: true });
        });
      }
      running++;
      const queuedMs = performance.now() - enqueued;
      try {
        const reply = await engine.run(req, signal);
        return { ...reply, queuedMs };
      } catch (e) {
        if (signal.aborted && (e as { code?: string }).code === 'ERR_ABORTED') throw stopped();
        throw e;
      } finally {
        running--;
        pump();
        if (closed && running === 0 && queue.length === 0) drained?.();
      }
    },
    async close(): Promise<void> {
      if (!closed) {
        closed = true;
        if (running > 0 || queue.length > 0) await new Promise<void>((resolve) => (drained = resolve));
        await Promise.all(engines.map((e) => e.close()));
        owned?.dispose();
      }
    },
  };
  return sampler;
}

/** A worker thread running a LocalEngine over its own copy of the run (sampler-worker.ts). */
function workerEngine(runDir: string, load: LoadRunOptions, settings: { maxWaitMs: number; threads: number }, onRound: (requests: number, rows: number) => void): Engine {
  // The same module file, in whatever form this process runs it (the bundle, or the
  // TypeScript sources under a loader the worker inherits through execArgv).
  // The bundles (dist/cli.js, dist/index.js) sit side by side; index.js exports the worker's entry.
  const entry = JSON.stringify(__filename.endsWith('.ts') ? __filename : path.join(__dirname, 'index.js'));
  const loader = __filename.endsWith('.ts') ? "require('tsx/cjs');" : '';
  const worker = new Worker(`${loader}require(${entry})._runSamplerWorker()`, { eval: true, workerData: { runDir, load, ...settings } });
  worker.unref();
  let nextId = 1;
  let failure: unknown;
  const calls = new Map<number, { resolve: (r: SampleReply) => void; reject: (e: unknown) => void; rows: number }>();
  const engine: Engine = {
    rows: 0,
    run(req, signal) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      engine.rows += req.rows;
      const onAbort = () => worker.postMessage({ abort: id });
      signal.addEventListener('abort', onAbort, { once: true });
      return new Promise<SampleReply>((resolve, reject) => {
        calls.set(id, { resolve, reject, rows: req.rows });
        worker.postMessage({ id, req });
      }).finally(() => signal.removeEventListener('abort', onAbort));
    },
    async close() {
      await worker.terminate();
    },
  };
  const settle = (id: number) => {
    const call = calls.get(id);
    calls.delete(id);
    if (call !== undefined) engine.rows -= call.rows;
    return call;
  };
  worker.on('message', (m: { id?: number; ok?: SampleReply; error?: { name: string; code: string; message: string; field?: string }; round?: [number, number] }) => {
    if (m.round !== undefined) return onRound(m.round[0], m.round[1]);
    const call = settle(m.id as number);
    if (call === undefined) return;
    if (m.ok !== undefined) call.resolve(m.ok);
    else call.reject(revive(m.error as { name: string; code: string; message: string; field?: string }));
  });
  worker.on('error', (e) => {
    failure = e;
    for (const id of [...calls.keys()]) settle(id)?.reject(e);
  });
  return engine;
}

function revive(e: { name: string; code: string; message: string; field?: string }): Error {
  if (e.field !== undefined) return new RequestError(e.field, e.message);
  // A worker's error without a registered code was no FlowmatchError there: a bug.
  const code = isErrorCode(e.code) ? e.code : 'ERR_INTERNAL';
  if (code === 'ERR_ABORTED' || code === 'ERR_TIMEOUT') return new SamplerError(code, e.message);
  return e.name === 'ArgumentError' && carries('ArgumentError', code) ? new ArgumentError(e.message, code) : new FlowmatchError(code, e.message);
}

export { runSamplerWorker as _runSamplerWorker } from './sampler-worker';
