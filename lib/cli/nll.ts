/** `flowmatch nll`: negative log-likelihood of held-out data under a trained run. */
import { parseArgs, usage, type OptionTable } from '../run/options';
import { LOCATION_OPTIONS, type RunLocation } from '../run/run-model';
import { loadRun } from '../serve/load-run';
import { isImageDataset } from '../run/run-spec';
import { heldOutNll } from './run-likelihood';
import { printResult } from './output';
import { checkCount, countOption } from './sample-counts';

export const LIKELIHOOD_OPTIONS: OptionTable = {
  n: countOption('held-out points (toys: fresh samples) or test images (the test split has 10,000); eval also draws as many samples', '1000 for toys, 100 for images'),
  K: { type: 'int', min: 1, help: 'dequantization draws per image', default: '1' },
  rtol: { type: 'number', min: 0, exclusiveMin: true, help: 'dopri5 relative tolerance', default: '1e-5' },
  atol: { type: 'number', min: 0, exclusiveMin: true, help: 'dopri5 absolute tolerance', default: '1e-5' },
  batchSize: { type: 'int', min: 1, help: 'items per solve', default: '1000 for toys, 50 for images' },
  seed: { type: 'int', min: 0, help: 'seed of the Hutchinson probes and the dequantization noise', default: '0' },
};

const OPTIONS: OptionTable = {
  ...LOCATION_OPTIONS,
  ...LIKELIHOOD_OPTIONS,
  json: { type: 'bool', help: 'print {nll, unit, n, nfe} as JSON on stdout' },
};

export const NLL_USAGE = usage('flowmatch nll --run <folder> [options]', OPTIONS);

/** The likelihood options with their defaults, which depend on the data. */
export function likelihoodSettings(o: Record<string, unknown>, images: boolean) {
  return {
    n: checkCount((o.n as number | undefined) ?? (images ? 100 : 1000), images),
    K: (o.K as number | undefined) ?? 1,
    rtol: (o.rtol as number | undefined) ?? 1e-5,
    atol: (o.atol as number | undefined) ?? 1e-5,
    batchSize: (o.batchSize as number | undefined) ?? (images ? 50 : 1000),
    seed: (o.seed as number | undefined) ?? 0,
  };
}

export async function nllCommand(argv: string[]): Promise<number> {
  const { values: o, help } = parseArgs(argv, OPTIONS);
  if (help) {
    process.stdout.write(NLL_USAGE);
    return 0;
  }
  const run = loadRun(o as RunLocation);
  try {
    const r = heldOutNll(run, { ...likelihoodSettings(o, isImageDataset(run.spec.dataset)), label: 'nll' });
    printResult(o.json === true, { ...r }, () => `NLL ${r.nll.toFixed(4)} ${r.unit} on ${r.n} held-out ${r.unit === 'nats' ? 'points' : 'test images'} (${r.nfe} NFE per solve)`);
    return 0;
  } finally {
    run.model.dispose();
  }
}
