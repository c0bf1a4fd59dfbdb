/**
 * Held-out likelihood of a trained run: exact divergence and nats for the 2-D toys;
 * Hutchinson's estimator, uniform dequantization with K draws and bits/dim for images.
 */
import type { Tensor } from '../tensor';
import { tidy } from '../scope';
import { manualSeed } from '../runtime';
import { likelihood } from '../likelihood/log-prob';
import { bitsPerDim } from '../likelihood/bits-per-dim';
import { toSignedUnit } from '../data/image-dataset';
import type { Conditioning } from '../nn/velocity-model';
import { ProgressBar } from '../progress';
import { heldOutToy, imageSplit, lowResolution, releaseSet } from './run-data';
import type { TrainedRun } from '../run/run-model';
import { isImageDataset } from '../run/run-spec';
import { UsageError } from '../run/options';

export interface NllOptions {
  n: number;
  /** Dequantization draws per image. */
  K: number;
  batchSize: number;
  rtol: number;
  atol: number;
  seed: number;
  /** Progress bar label; no bar when absent. */
  label?: string;
}

export interface NllResult {
  /** Mean negative log-likelihood. */
  nll: number;
  unit: 'nats' | 'bits/dim';
  n: number;
  /** Function evaluations per batch (mean). */
  nfe: number;
}

export function heldOutNll(run: TrainedRun, opts: NllOptions): NllResult {
  return isImageDataset(run.spec.dataset) ? imageNll(run, opts) : toyNll(run, opts);
}

/** In batches with a progress bar: each batch returns its per-item values and its NFE. */
function overBatches(n: number, opts: NllOptions, unit: string, batch: (start: number, size: number) => { values: Float64Array; nfe: number }): { mean: number; nfe: number } {
  const bar = opts.label === undefined ? undefined : new ProgressBar({ total: n, label: opts.label, unit });
  let total = 0;
  let nfe = 0;
  let batches = 0;
  try {
    for (let start = 0; start < n; start += opts.batchSize) {
      const size = Math.min(opts.batchSize, n - start);
      const r = batch(start, size);
      total += r.values.reduce((a, b) => a + b, 0);
      nfe += r.nfe;
      batches += 1;
      bar?.update(start + size, `${(total / (start + size)).toFixed(3)}`);
    }
  } finally {
    bar?.done();
  }
  return { mean: total / n, nfe: Math.round(nfe / batches) };
}

function toyNll(run: TrainedRun, opts: NllOptions): NllResult {
  const data = heldOutToy(run.spec, opts.n);
  manualSeed(opts.seed);
  try {
    const { mean, nfe } = overBatches(opts.n, opts, 'point', (start, size) =>
      tidy(() => {
        // The path starts at N(0, σ_0²·I) (σ_0 ≠ 1 for VE and, barely, VP).
        const r = likelihood(run.model, data.narrow(0, start, size), { divergence: 'exact', rtol: opts.rtol, atol: opts.atol, path: run.path });
        return { values: r.logProb.neg().double().data() as Float64Array, nfe: r.nfe };
      }),
    );
    return { nll: mean, unit: 'nats', n: opts.n, nfe };
  } finally {
    data.dispose();
  }
}

function imageNll(run: TrainedRun, opts: NllOptions): NllResult {
  const test = imageSplit(run.spec, 'test', opts.n);
  const n = test.x.shape[0];
  manualSeed(opts.seed);
  try {
    // A class-conditional model scores log p(x | y) with each image's own label; there is no
    // label-free likelihood to fall back on (its null class may be untrained or absent).
    if (run.spec.classes !== undefined && test.labels === undefined) {
      throw new UsageError(`this run is class-conditional (--classes ${run.spec.classes}): its NLL needs the label of each test image, and the test split of ${run.spec.dataRoot ?? run.spec.dataset} has none (the run spec's dataRoot, or a --config naming another, must hold the t10k labels file)`);
    }
    let calls = 0;
    const counted = countingModel(run, () => (calls += 1));
    const { mean, nfe } = overBatches(n, { ...opts, n }, 'image', (start, size) =>
      tidy(() => {
        const images = test.x.narrow(0, start, size);
        const conditioning: Conditioning = {};
        if (run.spec.classes !== undefined && test.labels !== undefined) conditioning.labels = test.labels.narrow(0, start, size);
        if (run.spec.superRes) conditioning.lowRes = lowResolution(toSignedUnit(images));
        const before = calls;
        const bpd = bitsPerDim(counted, images, { K: opts.K, divergence: 'hutchinson', rtol: opts.rtol, atol: opts.atol, conditioning, path: run.path });
        // Per dequantization draw, like the toys' count per solve.
        return { values: bpd.double().data() as Float64Array, nfe: (calls - before) / opts.K };
      }),
    );
    return { nll: mean, unit: 'bits/dim', n, nfe };
  } finally {
    releaseSet(test);
  }
}

/** The run's model, calling `tick` on each forward (bitsPerDim does not report its NFE). */
function countingModel(run: TrainedRun, tick: () => void) {
  return {
    numClasses: run.spec.classes,
    forward: (x: Tensor, t: Tensor, conditioning?: Conditioning) => {
      tick();
      return run.model.forward(x, t, conditioning);
    },
  };
}
