/**
 * Sampling a trained run in batches, with a progress bar on a TTY: noise from the path's
 * t = 0 distribution, then the ODE to t = 1 (with guidance and super-resolution inputs
 * when asked).
 */
import { Tensor } from '../tensor';
import { randn, tensor } from '../creation';
import { cat } from '../functional';
import { keep, tidy } from '../scope';
import { manualSeed } from '../runtime';
import type { Device } from '../device';
import type { OdeMethod } from '../solvers/methods';
import { sample } from '../sample/sample';
import type { Conditioning } from '../sample/model';
import { ProgressBar } from '../progress';
import { UsageError } from './args';
import { priorScale, type TrainedRun } from './run-model';
import { sampleShape } from './run-spec';

export interface DrawOptions {
  n: number;
  method: OdeMethod;
  /** Fixed-grid steps. */
  steps?: number;
  rtol?: number;
  atol?: number;
  /** Class labels, cycled over the n samples. */
  labels?: number[];
  guidance?: number;
  /** Low-resolution images [n, C, h, w] in [−1, 1] for a super-resolution run. */
  lowRes?: Tensor;
  batchSize: number;
  seed: number;
  /** Progress bar label; no bar when absent. */
  label?: string;
}

export interface Drawn {
  /** [n, …], kept: the caller disposes it. */
  samples: Tensor;
  /** Function evaluations per batch (the mean over batches). */
  nfe: number;
}

/** Refuses conditioning the run was not trained for, and requires what it was. */
export function checkConditioning(run: TrainedRun, opts: Pick<DrawOptions, 'labels' | 'guidance' | 'lowRes'>): void {
  const { spec } = run;
  if (opts.labels !== undefined) {
    if (spec.classes === undefined) throw new UsageError('--labels needs a class-conditional run (trained with --classes)');
    const bad = opts.labels.find((l) => l >= (spec.classes as number));
    if (bad !== undefined) throw new UsageError(`Expected labels in 0..${(spec.classes as number) - 1} for --labels but received ${bad}`);
  }
  if (opts.guidance !== undefined && opts.guidance !== 0 && opts.labels === undefined) throw new UsageError('--guidance needs --labels (guidance steers toward a class)');
  if (spec.superRes && opts.lowRes === undefined) throw new UsageError('this is a super-resolution run: give --low-res <file> or --low-res-from-test <n>');
  if (!spec.superRes && opts.lowRes !== undefined) throw new UsageError('--low-res needs a super-resolution run (trained with --super-res)');
}

export function drawSamples(run: TrainedRun, opts: DrawOptions): Drawn {
  checkConditioning(run, opts);
  const shape = sampleShape(run.spec);
  const device = run.spec.device as Device;
  const scale = priorScale(run.path);
  const bar = opts.label === undefined ? undefined : new ProgressBar({ total: opts.n, label: opts.label, unit: 'sample' });
  manualSeed(opts.seed);
  const parts: Tensor[] = [];
  let nfe = 0;
  let batches = 0;
  try {
    for (let start = 0; start < opts.n; start += opts.batchSize) {
      const size = Math.min(opts.batchSize, opts.n - start);
      const part = tidy(() => {
        const conditioning: Conditioning = {};
        if (opts.labels !== undefined) {
          const labels = Array.from({ length: size }, (_, i) => (opts.labels as number[])[(start + i) % (opts.labels as number[]).length]);
          conditioning.labels = tensor(labels, { dtype: 'int64', device });
        }
        if (opts.lowRes !== undefined) conditioning.lowRes = opts.lowRes.narrow(0, start, size);
        const x0 = randn([size, ...shape], { device }).mul(scale);
        const r = sample(run.model, { x0, method: opts.method, steps: opts.steps, rtol: opts.rtol, atol: opts.atol, conditioning, guidanceScale: opts.guidance ?? 0 });
        nfe += r.nfe;
        return r.samples;
      });
      parts.push(keep(part));
      batches += 1;
      bar?.update(start + size, `nfe ${Math.round(nfe / batches)}`);
    }
    const samples = parts.length === 1 ? parts[0] : keep(tidy(() => cat(parts)));
    return { samples, nfe: Math.round(nfe / batches) };
  } finally {
    if (parts.length > 1) parts.forEach((p) => p.dispose());
    bar?.done();
  }
}
