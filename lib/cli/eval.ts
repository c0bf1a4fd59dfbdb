/**
 * `flowmatch eval`: a table of a run's metrics. 2-D: W2 from samples to held-out data, NLL
 * in nats, dopri5 NFE. Images: NLL in bits/dim, dopri5 NFE, and FID against the test split
 * in the features of --features (a TorchScript network or a flowmatch classifier), by
 * default the built-in Fashion-MNIST classifier for fashion-mnist runs.
 */
import * as fs from 'node:fs';
import type { Tensor } from '../tensor';
import { tidy } from '../scope';
import { fid } from '../metrics/frechet';
import { extractFeatures, type FeatureExtractor } from '../metrics/feature-extractor';
import { torchScriptExtractor } from '../metrics/torchscript-extractor';
import { BUILTIN_FASHION_CLASSIFIER, loadFashionClassifier } from '../metrics/fashion-classifier';
import { loadTorchScript } from '../nn/torchscript';
import { toSignedUnit } from '../data/image-dataset';
import type { Device } from '../device';
import { wasserstein } from '../metrics/wasserstein';
import { straightness } from '../metrics/straightness';
import { randn, tensor } from '../creation';
import { manualSeed } from '../runtime';
import type { Module } from '../nn/module';
import type { GaussianPath } from '../paths/gaussian-path';
import { UsageError, parseArgs, usage, type OptionTable } from '../run/options';
import { LOCATION_OPTIONS, type RunLocation } from '../run/run-model';
import { loadRun } from '../serve/load-run';
import { IMAGE_CLASSES, isImageDataset, type RunSpec } from '../run/run-spec';
import { heldOutToy, imageSplit, lowResFromTest, releaseSet } from './run-data';
import { heldOutNll } from './run-likelihood';
import { drawSamples } from './draw-samples';
import { LIKELIHOOD_OPTIONS, likelihoodSettings } from './nll';
import { printResult } from './output';

const OPTIONS: OptionTable = {
  ...LOCATION_OPTIONS,
  ...LIKELIHOOD_OPTIONS,
  features: { type: 'string', help: 'FID feature network: a TorchScript file (images [N, C, H, W] in [−1, 1] → [N, D]) or a flowmatch classifier .safetensors; default for fashion-mnist: the built-in classifier' },
  json: { type: 'bool', help: 'print the metrics as JSON on stdout' },
};

// The exact assignment behind W2 is O(n³): larger clouds are subsampled to this many points.
const W2_POINTS = 1000;

export const EVAL_USAGE = usage('flowmatch eval --run <folder> [options]', OPTIONS);

interface Row {
  metric: string;
  value: number | null;
  note: string;
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: o, help } = parseArgs(argv, OPTIONS);
  if (help) {
    process.stdout.write(EVAL_USAGE);
    return 0;
  }
  if (o.features !== undefined && !fs.existsSync(o.features as string)) throw new UsageError(`--features: ${o.features} does not exist`);
  const run = loadRun(o as RunLocation);
  // Loaded before any sampling, so that a bad feature file fails in seconds, not minutes.
  const features = isImageDataset(run.spec.dataset) ? featureNetwork(o.features as string | undefined, run.spec) : null;
  try {
    const images = isImageDataset(run.spec.dataset);
    const settings = likelihoodSettings(o, images);
    const tolerance = `dopri5, rtol ${settings.rtol}, atol ${settings.atol}`;
    // Every class of the data in turn, rather than drawn labels: equal class counts make FID less noisy.
    const labels = run.spec.classes === undefined ? undefined : Array.from({ length: Math.min(run.spec.classes, IMAGE_CLASSES) }, (_, i) => i);
    const lowRes = run.spec.superRes ? lowResFromTest(run.spec, settings.n) : undefined;
    const rows: Row[] = [];
    try {
      const drawn = drawSamples(run, { n: settings.n, method: 'dopri5', rtol: settings.rtol, atol: settings.atol, labels, lowRes, batchSize: settings.batchSize, seed: settings.seed, label: 'sample' });
      try {
        if (!images) {
          const w2 = tidy(() => wasserstein(drawn.samples.to('cpu'), heldOutToy(run.spec, settings.n).to('cpu'), { maxPoints: W2_POINTS }));
          const used = Math.min(settings.n, W2_POINTS);
          rows.push({ metric: 'W2', value: w2, note: used < settings.n ? `${used} of ${settings.n} samples vs ${used} of ${settings.n} held-out points, exact matching` : `${used} samples vs ${used} held-out points, exact matching` });
        } else if (features !== null) {
          rows.push(fidRow(features, drawn.samples, run.spec));
        } else {
          rows.push({ metric: 'FID', value: null, note: `not computed: no feature network for ${run.spec.dataset} (give --features <TorchScript file or classifier .safetensors>)` });
        }
      } finally {
        drawn.samples.dispose();
      }
      const nll = heldOutNll(run, { ...settings, label: 'nll' });
      rows.push({ metric: `NLL (${nll.unit})`, value: nll.nll, note: `${nll.n} held-out ${images ? 'test images' : 'points'}${images ? `, Hutchinson, K = ${settings.K}` : ', exact divergence'}` });
      rows.push({ metric: 'NFE (sampling)', value: drawn.nfe, note: tolerance });
      rows.push({ metric: 'NFE (likelihood)', value: nll.nfe, note: tolerance });
      rows.push(...straightnessRows(run, Math.min(settings.n, images ? STRAIGHTNESS_IMAGES : settings.n), settings.seed, labels, lowRes));
    } finally {
      lowRes?.dispose();
    }
    printResult(o.json === true, { run: run.source, dataset: run.spec.dataset, path: run.spec.path, metrics: Object.fromEntries(rows.map((r) => [r.metric, r.value])), rows }, () => table(rows));
    return 0;
  } finally {
    features?.release();
    run.model.dispose();
  }
}

// Each trajectory costs STRAIGHTNESS_STEPS evaluations; images are limited to this many.
const STRAIGHTNESS_IMAGES = 64;
const STRAIGHTNESS_STEPS = 100;

/** Liu et al.'s straightness and the path-length ratio of the run's flow from seeded prior noise. */
function straightnessRows(run: { model: Module; shape: number[]; path: GaussianPath; device: Device }, n: number, seed: number, classes: number[] | undefined, lowRes: Tensor | undefined): Row[] {
  const result = tidy(() => {
    manualSeed(seed + 1);
    const x0 = randn([n, ...run.shape], { device: run.device }).mul(run.path.priorStd);
    const labels = classes === undefined ? undefined : tensor(Array.from({ length: n }, (_, i) => classes[i % classes.length]), { dtype: 'int64', device: run.device });
    const conditioning = labels === undefined && lowRes === undefined ? undefined : { ...(labels ? { labels } : {}), ...(lowRes ? { lowRes: lowRes.narrow(0, 0, n) } : {}) };
    const s = straightness(run.model, x0, { steps: STRAIGHTNESS_STEPS, conditioning });
    return { straightness: s.straightness, relative: s.relativeStraightness, curvature: s.curvature };
  });
  const how = `${n} Euler trajectories of ${STRAIGHTNESS_STEPS} steps`;
  return [
    { metric: 'straightness', value: result.straightness, note: `Liu et al.'s E ∫‖(x1 − x0) − v‖² dt (0: straight), ${how}` },
    { metric: 'straightness (relative)', value: result.relative, note: 'the same over E‖x1 − x0‖²' },
    { metric: 'curvature', value: result.curvature, note: `mean path length / ‖x1 − x0‖ − 1 (0: straight), ${how}` },
  ];
}

interface FeatureNetwork {
  extractor: FeatureExtractor;
  name: string;
  release: () => void;
}

/** --features, or the built-in classifier for Fashion-MNIST; null when there is none. */
function featureNetwork(file: string | undefined, spec: RunSpec): FeatureNetwork | null {
  if (file !== undefined && !file.toLowerCase().endsWith('.safetensors')) {
    const module = loadTorchScript(file, { device: spec.device as Device });
    return { extractor: torchScriptExtractor(module), name: file, release: () => module.dispose() };
  }
  const builtin = spec.dataset === 'fashion-mnist' && fs.existsSync(BUILTIN_FASHION_CLASSIFIER);
  if (file === undefined && !builtin) return null;
  const classifier = loadFashionClassifier(file ?? BUILTIN_FASHION_CLASSIFIER);
  return { extractor: classifier.extractor, name: file ?? 'the built-in Fashion-MNIST classifier', release: () => classifier.dispose() };
}

/** FID of the samples against the whole test split, both in the network's features. */
function fidRow(features: FeatureNetwork, samples: Tensor, spec: RunSpec): Row {
  const test = imageSplit(spec, 'test');
  try {
    const value = tidy(() => {
      const reference = extractFeatures(features.extractor, toSignedUnit(test.x));
      return fid(extractFeatures(features.extractor, samples.clamp(-1, 1)), reference);
    });
    return { metric: 'FID', value, note: `${samples.shape[0]} samples vs ${test.x.shape[0]} test images, features of ${features.name} (few samples bias FID upwards)` };
  } finally {
    releaseSet(test);
  }
}

function table(rows: Row[]): string {
  const cells = rows.map((r) => [r.metric, r.value === null ? 'n/a' : Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(4), r.note]);
  const widths = [0, 1].map((c) => Math.max(...cells.map((row) => row[c].length), c === 0 ? 6 : 5));
  const line = (row: string[]) => `${row[0].padEnd(widths[0])}  ${row[1].padStart(widths[1])}  ${row[2]}`;
  return [line(['metric', 'value', 'how']), line(['-'.repeat(widths[0]), '-'.repeat(widths[1]), '---']), ...cells.map(line)].join('\n');
}
