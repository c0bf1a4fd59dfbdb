/** `flowmatch sample`: samples of a trained run into a PNG and/or a safetensors file. */
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { Tensor } from '../tensor';
import { METHOD_NAMES } from '../solvers/methods';
import type { OdeMethod } from '../solvers/methods';
import { writePng } from '../io/png';
import { saveSafetensors } from '../io/safetensors';
import { UsageError, parseArgs, usage, type OptionTable } from '../run/options';
import { LOCATION_OPTIONS, type RunLocation } from '../run/run-model';
import { loadRun } from '../serve/load-run';
import { isImageDataset } from '../run/run-spec';
import { lowResFromTest } from './run-data';
import { readLowRes } from './low-res-input';
import { drawSamples } from './draw-samples';
import { samplesPicture } from './pictures';
import { printResult } from './output';
import { checkCount, countOption } from './sample-counts';

const OPTIONS: OptionTable = {
  ...LOCATION_OPTIONS,
  png: { type: 'string', help: 'write the samples as a picture (scatter plot or image grid)' },
  safetensors: { type: 'string', help: "write the samples as tensor 'samples' of a safetensors file" },
  n: countOption('number of samples', '2000 for toys, 64 for images, or one per --low-res image'),
  method: { type: 'string', choices: METHOD_NAMES, help: 'ODE solver', default: 'dopri5' },
  steps: { type: 'int', min: 1, help: 'steps of a fixed-grid solver', default: '100' },
  rtol: { type: 'number', min: 0, exclusiveMin: true, help: 'relative tolerance of an adaptive solver', default: '1e-5' },
  atol: { type: 'number', min: 0, exclusiveMin: true, help: 'absolute tolerance of an adaptive solver', default: '1e-5' },
  seed: { type: 'int', min: 0, help: 'random seed of the noise', default: '0' },
  labels: { type: 'intList', min: 0, help: 'class labels (class-conditional runs), cycled over the samples', default: 'uniformly random classes, seeded by --seed' },
  guidance: { type: 'number', help: 'classifier-free guidance weight w', default: '0' },
  lowRes: { type: 'string', help: 'super-resolution inputs: a PNG of one image or a safetensors tensor of images' },
  lowResFromTest: { type: 'int', min: 1, help: 'super-resolution inputs: the first N test images, downsampled 2×' },
  batchSize: { type: 'int', min: 1, help: 'samples per solver batch', default: '10000 for toys, 64 for images' },
  json: { type: 'bool', help: 'print {nfe, n, files} (and the labels of a class-conditional run) as JSON on stdout' },
};

export const SAMPLE_USAGE = usage('flowmatch sample --run <folder> --png <file> [options]', OPTIONS);

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values: o, help } = parseArgs(argv, OPTIONS);
  if (help) {
    process.stdout.write(SAMPLE_USAGE);
    return 0;
  }
  const png = o.png as string | undefined;
  const tensorFile = o.safetensors as string | undefined;
  if (png === undefined && tensorFile === undefined) throw new UsageError('give --png <file> and/or --safetensors <file> for the samples');
  if (o.lowRes !== undefined && o.lowResFromTest !== undefined) throw new UsageError('give --low-res or --low-res-from-test, not both');
  for (const file of [png, tensorFile]) {
    if (file !== undefined && !fs.existsSync(path.dirname(path.resolve(file)))) throw new UsageError(`the folder of ${file} does not exist`);
  }
  const run = loadRun(o as RunLocation);
  let lowRes: Tensor | undefined;
  try {
    lowRes = o.lowRes !== undefined ? readLowRes(o.lowRes as string, run.spec) : o.lowResFromTest !== undefined ? lowResFromTest(run.spec, o.lowResFromTest as number) : undefined;
    const images = isImageDataset(run.spec.dataset);
    const n = checkCount((o.n as number | undefined) ?? lowRes?.shape[0] ?? (images ? 64 : 2000), images);
    if (lowRes !== undefined && lowRes.shape[0] < n) throw new UsageError(`--n ${n} needs as many low-resolution images but there are ${lowRes.shape[0]}`);
    const drawn = drawSamples(run, {
      n,
      method: (o.method as OdeMethod | undefined) ?? 'dopri5',
      steps: o.steps as number | undefined,
      rtol: o.rtol as number | undefined,
      atol: o.atol as number | undefined,
      labels: o.labels as number[] | undefined,
      guidance: o.guidance as number | undefined,
      lowRes,
      batchSize: (o.batchSize as number | undefined) ?? (images ? 64 : 10000),
      seed: (o.seed as number | undefined) ?? 0,
      label: 'sample',
    });
    try {
      const files: string[] = [];
      // Both outputs are encoded before either is written, so a failure leaves neither.
      const picture = png === undefined ? undefined : samplesPicture(drawn.samples, `${run.spec.dataset} samples (${drawn.nfe} NFE)`);
      if (tensorFile !== undefined) {
        saveSafetensors(tensorFile, { samples: drawn.samples }, { nfe: String(drawn.nfe), source: run.source });
        files.push(tensorFile);
      }
      if (picture !== undefined && png !== undefined) {
        await writePng(png, picture);
        files.push(png);
      }
      // A class-conditional run reports each sample's label, drawn ones included.
      printResult(o.json === true, { nfe: drawn.nfe, n, files, ...(drawn.labels === undefined ? {} : { labels: drawn.labels }) }, () => `${n} samples, ${drawn.nfe} NFE per batch → ${files.join(', ')}`);
      return 0;
    } finally {
      drawn.samples.dispose();
    }
  } finally {
    lowRes?.dispose();
    run.model.dispose();
  }
}
