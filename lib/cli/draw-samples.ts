/**
 * Sampling a trained run in batches, with a progress bar on a TTY: noise from the path's
 * t = 0 distribution, then the ODE to t = 1 (with guidance and super-resolution inputs
 * when asked).
 */
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { cat } from '../functional';
import { keep, tidy } from '../scope';
import { manualSeed } from '../runtime';
import type { Device } from '../device';
import type { OdeMethod } from '../solvers/methods';
import { sample } from '../sample/sample';
import type { Conditioning } from '../nn/velocity-model';
import { ProgressBar } from '../progress';
import { seededRandom } from '../metrics/subsample';
import { UsageError } from '../run/options';
import type { TrainedRun } from '../run/run-model';
import { IMAGE_CLASSES, sampleShape } from '../run/run-spec';

export interface DrawOptions {
  n: number;
  method: OdeMethod;
  /** Fixed-grid steps. */
  steps?: number;
  rtol?: number;
  atol?: number;
  /** Class labels, cycled over the n samples; for a class-conditional run without them, labels drawn at random (see drawnLabels). */
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
  /** The label of each sample of a class-conditional run (given, cycled, or drawn). */
  labels?: number[];
}

/**
 * Labels for a class-conditional run sampled without --labels: uniform over the data's classes
 * (0–9: a run may have more classes, which no image ever trained), from a generator seeded by
 * --seed. Not the null class, though the model has one: it is trained only on the
 * --label-dropout share of batches (none at --label-dropout 0, and a model loaded in
 * guided-diffusion's layout has no null class at all), while the data's classes are trained on
 * every step, so uniform labels always sample the data distribution (its classes are equally
 * frequent in Fashion-MNIST and near enough in MNIST). The generator is not libtorch's, so a
 * seed draws the same noise whether labels are given or drawn.
 */
export function drawnLabels(n: number, classes: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => Math.floor(random() * classes));
}

/** Refuses conditioning the run was not trained for, and requires what it was. */
export function checkConditioning(run: TrainedRun, opts: Pick<DrawOptions, 'labels' | 'guidance' | 'lowRes'>): void {
  const { spec } = run;
  if (opts.labels !== undefined) {
    if (spec.classes === undefined) throw new UsageError('--labels needs a class-conditional run (trained with --classes)');
    if (opts.labels.length === 0) throw new UsageError('Expected one or more labels for --labels but received none');
    const bad = opts.labels.find((l) => l >= (spec.classes as number));
    if (bad !== undefined) throw new UsageError(`Expected labels in 0..${(spec.classes as number) - 1} for --labels but received ${bad}`);
  }
  // Without --labels, guidance steers toward the drawn labels.
  if (opts.guidance !== undefined && opts.guidance !== 0 && spec.classes === undefined) throw new UsageError('--guidance needs a class-conditional run (trained with --classes): guidance steers toward a class');
  if (spec.superRes && opts.lowRes === undefined) throw new UsageError('this is a super-resolution run: give --low-res <file> or --low-res-from-test <n>');
  if (!spec.superRes && opts.lowRes !== undefined) throw new UsageError('--low-res needs a super-resolution run (trained with --super-res)');
}

export function drawSamples(run: TrainedRun, opts: DrawOptions): Drawn {
  checkConditioning(run, opts);
  const { classes } = run.spec;
  const given = opts.labels;
  const labels = classes === undefined ? undefined : given === undefined ? drawnLabels(opts.n, Math.min(classes, IMAGE_CLASSES), opts.seed) : Array.from({ length: opts.n }, (_, i) => given[i % given.length]);
  const shape = sampleShape(run.spec);
  const device = run.spec.device as Device;
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
        if (labels !== undefined) conditioning.labels = tensor(labels.slice(start, start + size), { dtype: 'int64', device });
        if (opts.lowRes !== undefined) conditioning.lowRes = opts.lowRes.narrow(0, start, size);
        // The noise is drawn from the path's source N(0, σ_0²·I) (σ_0 ≠ 1 for VE and, barely, VP).
        const r = sample(run.model, { n: size, shape, device, path: run.path, method: opts.method, steps: opts.steps, rtol: opts.rtol, atol: opts.atol, conditioning, guidanceScale: opts.guidance ?? 0 });
        nfe += r.nfe;
        return r.samples;
      });
      parts.push(keep(part));
      batches += 1;
      bar?.update(start + size, `nfe ${Math.round(nfe / batches)}`);
    }
    const samples = parts.length === 1 ? parts[0] : keep(tidy(() => cat(parts)));
    return { samples, nfe: Math.round(nfe / batches), labels };
  } finally {
    if (parts.length > 1) parts.forEach((p) => p.dispose());
    bar?.done();
  }
}
