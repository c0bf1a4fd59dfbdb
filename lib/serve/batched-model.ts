/**
 * The model as the requests of one sampler see it: each request's solve calls
 * forwardAsync() for its own evaluation, and the calls that arrive together go to the pool
 * as one job: one trip off the main thread per round of evaluations, however many requests
 * are in flight. A request's numbers never depend on which requests shared its round:
 *
 *   - a CPU float32 MLP with a silu or relu activation runs the whole round as ONE
 *     batch-invariant forward over the concatenated rows (Module.forwardMergedAsync,
 *     native/batch_invariant_linear.cpp: each row's bits are the same in any batch);
 *   - any other model runs each request's rows as their own forward inside the job
 *     (Module.forwardManyAsync): libtorch's CPU kernels choose their blocking by batch
 *     size, so the same row comes out with different last bits in batches of 1, 2–3, 4–12
 *     and 16+ rows.
 *
 * Several rounds are in flight at once (two, or as many as the pool runs jobs at once), each
 * with a share of the running requests: while the pool computes one round, the event loop
 * does the others' solver steps (and the HTTP work) instead of leaving a core idle, and
 * with `flowmatch serve`'s thread policy (serving-threads.ts) the rounds run side by side,
 * one intra-op thread each.
 *
 * A round is sent when every running request that is not already in a round has its next
 * evaluation waiting, or when `maxWaitMs` has passed since the first one (a request that
 * arrived meanwhile joins it).
 */
import { AsyncResource } from 'node:async_hooks';
import type { Tensor } from '../tensor';
import { FlowmatchError } from '../errors';
import { currentScope } from '../scope';
import type { Module } from '../nn/module';
import type { Conditioning } from '../nn/velocity-model';
import { asyncForwardOptions } from '../nn/forward-queue';

interface Evaluation {
  x: Tensor;
  t: Tensor;
  conditioning: Conditioning | undefined;
  resolve: (v: Tensor) => void;
  reject: (e: unknown) => void;
}

/**
 * Rounds in flight at once: at least two (one computing on the pool while the event loop
 * prepares the other), and as many as the pool runs jobs at once (setAsyncForwardOptions).
 */
const roundsInFlight = (): number => Math.max(2, asyncForwardOptions().concurrency);


export class BatchedModel {
  /** Requests whose solves are running (each has at most one evaluation waiting or in a round). */
  running = 0;
  /** Evaluations per job, for metrics. */
  onJob?: (requests: number, rows: number) => void;
  /** Whether a round runs as one batch-invariant forward over all its rows (a silu / relu MLP). */
  readonly merge: boolean;
  private waiting: Evaluation[] = [];
  private rounds = 0;
  /** Evaluations in the rounds in flight. */
  private inRounds = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate = false;
  // Jobs start outside every request's scope: their results belong to the request they are
  // for, which adopts them (evaluate), not to whichever request happened to start the job.
  private readonly send = AsyncResource.bind(() => this.flush());

  constructor(
    private readonly model: Module,
    private readonly maxWaitMs: number,
    readonly numClasses: number | undefined,
  ) {
    this.merge = model.supportsMergedForward();
  }

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

  forwardAsync(x: Tensor, t: Tensor, conditioning?: Conditioning): Promise<Tensor> {
    const result = new Promise<Tensor>((resolve, reject) => {
      this.waiting.push({ x, t, conditioning, resolve, reject });
    });
    this.schedule();
    return result.then((v) => {
      currentScope()?.track(v);
      return v;
    });
  }

  private schedule(): void {
    if (this.rounds >= roundsInFlight() || this.immediate || this.waiting.length === 0) return;
    if (this.waiting.length >= this.running - this.inRounds) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = true;
      setImmediate(this.send);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.send, this.maxWaitMs);
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = false;
    const rounds = roundsInFlight();
    if (this.rounds >= rounds || this.waiting.length === 0) return;
    // At most a share of the running requests per round (rounded up), so that rounds alternate.
    const size = Math.max(1, Math.ceil(this.running / rounds));
    const round = this.waiting.slice(0, size);
    this.waiting = this.waiting.slice(size);
    this.rounds++;
    this.inRounds += round.length;
    void this.run(round);
    this.schedule();
  }

  private async run(round: Evaluation[]): Promise<void> {
    try {
      const plain = round.every((e) => e.conditioning === undefined || (e.conditioning.labels === undefined && e.conditioning.lowRes === undefined));
      const out = this.merge && plain
        ? await this.model.forwardMergedAsync(round.map((e) => ({ x: e.x, t: e.t })))
        : await this.model.forwardManyAsync(round.map((e) => ({ x: e.x, t: e.t, conditioning: e.conditioning })));
      this.onJob?.(round.length, round.reduce((sum, e) => sum + e.x.shape[0], 0));
      round.forEach((e, i) => e.resolve(out[i]));
    } catch (e) {
      for (const w of round) w.reject(e);
    } finally {
      this.rounds--;
      this.inRounds -= round.length;
      this.schedule();
    }
  }
}
