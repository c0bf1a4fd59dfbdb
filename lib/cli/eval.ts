/**
 * `flowmatch eval`: a table of a run's metrics. 2-D: W2 from samples to held-out data, NLL
 * in nats, dopri5 NFE. Images: NLL in bits/dim, dopri5 NFE, and FID when a feature
 * extractor is available.
 */
import { tidy } from '../scope';
import { wasserstein } from '../metrics/wasserstein';
import { UsageError, parseArgs, usage, type OptionTable } from './args';
import { LOCATION_OPTIONS, openRun, type RunLocation } from './run-model';
import { isImageDataset } from './run-spec';
import { heldOutToy, lowResFromTest } from './run-data';
import { heldOutNll } from './run-likelihood';
import { drawSamples } from './draw-samples';
import { LIKELIHOOD_OPTIONS, likelihoodSettings } from './nll';
import { printResult } from './output';

const OPTIONS: OptionTable = {
  ...LOCATION_OPTIONS,
  ...LIKELIHOOD_OPTIONS,
  features: { type: 'string', help: 'TorchScript feature extractor for FID (images [N, 1, 28, 28] in [−1, 1] → [N, D])' },
  json: { type: 'bool', help: 'print the metrics as JSON on stdout' },
};

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
  if (o.features !== undefined) {
    // The addon has no TorchScript loader; refuse before any work rather than after it.
    throw new UsageError(`--features: FID with a TorchScript feature extractor (${o.features}) is not supported yet: the native addon cannot load TorchScript`);
  }
  const run = openRun(o as RunLocation);
  try {
    const images = isImageDataset(run.spec.dataset);
    const settings = likelihoodSettings(o, images);
    const tolerance = `dopri5, rtol ${settings.rtol}, atol ${settings.atol}`;
    const labels = run.spec.classes === undefined ? undefined : Array.from({ length: run.spec.classes }, (_, i) => i);
    const lowRes = run.spec.superRes ? lowResFromTest(run.spec, settings.n) : undefined;
    const rows: Row[] = [];
    try {
      const drawn = drawSamples(run, { n: settings.n, method: 'dopri5', rtol: settings.rtol, atol: settings.atol, labels, lowRes, batchSize: settings.batchSize, seed: settings.seed, label: 'sample' });
      try {
        if (!images) {
          const w2 = tidy(() => wasserstein(drawn.samples.to('cpu'), heldOutToy(run.spec, settings.n).to('cpu')));
          rows.push({ metric: 'W2', value: w2, note: `${settings.n} samples vs ${settings.n} held-out points` });
        }
      } finally {
        drawn.samples.dispose();
      }
      const nll = heldOutNll(run, { ...settings, label: 'nll' });
      rows.push({ metric: `NLL (${nll.unit})`, value: nll.nll, note: `${nll.n} held-out ${images ? 'test images' : 'points'}${images ? `, Hutchinson, K = ${settings.K}` : ', exact divergence'}` });
      rows.push({ metric: 'NFE (sampling)', value: drawn.nfe, note: tolerance });
      rows.push({ metric: 'NFE (likelihood)', value: nll.nfe, note: tolerance });
      if (images) rows.push({ metric: 'FID', value: null, note: 'not computed: no feature extractor (the lead may add a Fashion-MNIST classifier; --features is not supported yet)' });
    } finally {
      lowRes?.dispose();
    }
    printResult(o.json === true, { run: run.source, dataset: run.spec.dataset, path: run.spec.path, metrics: Object.fromEntries(rows.map((r) => [r.metric, r.value])), rows }, () => table(rows));
    return 0;
  } finally {
    run.model.dispose();
  }
}

function table(rows: Row[]): string {
  const cells = rows.map((r) => [r.metric, r.value === null ? 'n/a' : Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(4), r.note]);
  const widths = [0, 1].map((c) => Math.max(...cells.map((row) => row[c].length), c === 0 ? 6 : 5));
  const line = (row: string[]) => `${row[0].padEnd(widths[0])}  ${row[1].padStart(widths[1])}  ${row[2]}`;
  return [line(['metric', 'value', 'how']), line(['-'.repeat(widths[0]), '-'.repeat(widths[1]), '---']), ...cells.map(line)].join('\n');
}
