/**
 * The model as the requests of one sampler see it: each request's solve calls
 * forwardAsync() for its own evaluation, and the calls that arrive together go to the pool
 * as one job (Module.forwardManyAsync): one trip off the main thread per round of
 * evaluations, however many requests are in flight. Inside the job every request's rows
 * run as their own forward, so its numbers never depend on which requests shared the job
 * (libtorch's CPU kernels choose their blocking by batch size: the same row comes out with
 * different last bits in batches of 1, 2–3, 4–12 and 16+ rows).
 *
 * A round is sent when every running request has its next evaluation waiting, or when
 * `maxWaitMs` has passed since the first one (a request that arrived meanwhile joins it).
 */
import { AsyncResource } from 'node:async_hooks';
import type { Tensor } from '../tensor';
import { FlowmatchError } from '../errors';
import { currentScope } from '../scope';
import type { Module } from '../nn/module';
import type { Conditioning } from '../sample/model';

interface Evaluation {
  x: Tensor;
  t: Tensor;
  cond: Conditioning | undefined;
  resolve: (v: Tensor) => void;
  reject: (e: unknown) => void;
}

export class BatchedModel {
  /** Requests whose solves are running (each has at most one evaluation waiting). */
  running = 0;
  /** Evaluations per job, for metrics. */
  onJob?: (requests: number, rows: number) => void;
  private waiting: Evaluation[] = [];
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  // Jobs start outside every request's scope: their results belong to the request they are
  // for, which adopts them (evaluate), not to whichever request happened to start the job.
  private readonly send = AsyncResource.bind(() => this.flush());

  constructor(
    private readonly model: Module,
    private readonly maxWaitMs: number,
    readonly numClasses: number | undefined,
  ) {}

  forward(): Tensor {
    throw new FlowmatchError('ERR_UNSUPPORTED', 'a sampler evaluates its model asynchronously only (forwardAsync)');
  }

  /** A request's solve has started: rounds wait for its evaluations too. */
  join(): void {
    this.running++;
  }

  /** A request's solve has ended (done, failed or aborted): rounds stop waiting for it. */
  leave(): void {
    this.running--;
    if (this.waiting.length > 0) this.schedule();
  }

  forwardAsync(x: Tensor, t: Tensor, cond?: Conditioning): Promise<Tensor> {
    const result = new Promise<Tensor>((resolve, reject) => {
      this.waiting.push({ x, t, cond, resolve, reject });
    });
    this.schedule();
    return result.then((v) => {
      currentScope()?.track(v);
      return v;
    });
  }

  private schedule(): void {
    if (this.inFlight) return;
    if (this.waiting.length >= this.running) {
      clearTimeout(this.timer);
      this.timer = undefined;
      setImmediate(this.send);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.send, this.maxWaitMs);
    }
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || this.waiting.length === 0) return;
    const round = this.waiting;
    this.waiting = [];
    this.inFlight = true;
    try {
      const out = await this.model.forwardManyAsync(round.map((e) => ({ x: e.x, t: e.t, cond: e.cond })));
      this.onJob?.(round.length, round.reduce((sum, e) => sum + e.x.shape[0], 0));
      round.forEach((e, i) => e.resolve(out[i]));
    } catch (e) {
      for (const w of round) w.reject(e);
    } finally {
      this.inFlight = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}
