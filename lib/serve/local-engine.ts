/**
 * Runs checked requests against one model on this thread's event loop: each request is its
 * own sampleAsync() solve (its own noise, steps and error norm), and all of them evaluate
 * through one BatchedModel, so the model work of a round is one job on the pool (and for a
 * silu / relu MLP one forward over the round's rows).
 */
import { randn, tensor } from '../creation';
import { scope } from '../scope';
import { withSeed } from '../runtime';
import { sampleAsync } from '../sample/sample';
import { isAdaptive } from '../solvers/methods';
import type { Conditioning } from '../nn/velocity-model';
import type { Module } from '../nn/module';
import type { Device } from '../device';
import { BatchedModel } from './batched-model';
import type { CheckedRequest, ModelInfo } from './sample-request';

export interface SampleReply {
  /** The samples, row-major [n, ...shape], float32. */
  samples: Float32Array;
  shape: number[];
  nfe: number;
  seed: number;
  /** Milliseconds spent solving (after leaving the queue). */
  solveMs: number;
}

export class LocalEngine {
  readonly batched: BatchedModel;
  /** Model rows of the requests running now. */
  rows = 0;

  constructor(
    private readonly info: ModelInfo & { device: Device },
    model: Module,
    maxWaitMs: number,
  ) {
    this.batched = new BatchedModel(model, maxWaitMs, info.nullLabel ?? undefined);
  }

  async run(req: CheckedRequest, signal: AbortSignal): Promise<SampleReply> {
    const started = performance.now();
    this.rows += req.rows;
    this.batched.join();
    try {
      return await scope(async () => {
        const { shape, priorStd, device, lowResShape, nullLabel } = this.info;
        // Noise from the request's own seed, on the CPU (the same bytes on every device), then moved.
        let x0 = withSeed(req.seed, () => randn([req.n, ...shape]));
        if (priorStd !== 1) x0 = x0.mul(priorStd);
        if (device !== 'cpu') x0 = x0.to(device);
        const conditioning: Conditioning = {};
        if (req.labels !== null) conditioning.labels = tensor(req.labels, { dtype: 'int64', device });
        if (req.lowRes !== null && lowResShape !== null) conditioning.lowRes = tensor(req.lowRes, { shape: [req.n, ...lowResShape], device });
        const r = await sampleAsync(this.batched, {
          x0,
          method: req.method,
          ...(isAdaptive(req.method) ? { rtol: req.rtol, atol: req.atol } : { steps: req.steps }),
          conditioning,
          guidanceScale: req.guidance,
          ...(req.guidance !== 0 && nullLabel !== null ? { nullLabel } : {}),
          signal,
        });
        const samples = new Float32Array(r.samples.to('cpu').data() as Float32Array);
        return { samples, shape: [req.n, ...shape], nfe: r.nfe, seed: req.seed, solveMs: performance.now() - started };
      });
    } finally {
      this.rows -= req.rows;
      this.batched.leave();
    }
  }
}
