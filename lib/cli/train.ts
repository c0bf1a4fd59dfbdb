/**
 * `flowmatch train`: resolves the run spec (flags over --config over the defaults), trains
 * with lib/train, and adds loss.png and samples.png to the run folder. Ctrl-C stops after
 * the current step with a valid checkpoint; a second Ctrl-C ends the process at once.
 * --resume continues a run with the spec in its config.json: only the options in
 * RESUME_MAY_CHANGE may differ from it, anything else given must agree with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { train, CHECKPOINT_FILE, METRICS_FILE } from '../train/trainer';
import { CONFIG_FILE } from '../train/run-folder';
import { manualSeed } from '../runtime';
import { writePng } from '../io/png';
import { lowResFromTest, trainingConditioning, trainingData } from './run-data';
import { buildModel, buildPath, type TrainedRun } from '../run/run-model';
import { RUN_OPTIONS, couplingOf, isImageDataset, resolveRunSpec, type RunSpec } from '../run/run-spec';
import { UsageError, kebab, parseArgs, readConfigFile, usage, type OptionTable, type OptionValues } from '../run/options';
import { drawSamples } from './draw-samples';
import { lossPicture, samplesPicture } from './pictures';
import { printResult } from './output';

const TOY_PREVIEW = 2000;
const IMAGE_PREVIEW = 16;

const OPTIONS: OptionTable = {
  ...RUN_OPTIONS,
  out: { type: 'string', help: 'run folder', default: 'runs/<dataset>' },
  resume: { type: 'bool', help: 'continue the run in --out from its checkpoint, with its config.json (only --steps and --checkpoint-every may change)' },
  config: { type: 'string', help: 'JSON file of options (camelCase or kebab-case keys); flags override it' },
  previewSamples: { type: 'int', min: 0, help: 'samples drawn for samples.png at the end (0: none)', default: `${TOY_PREVIEW} for toys, ${IMAGE_PREVIEW} for images` },
  json: { type: 'bool', help: 'print the result as JSON on stdout' },
};


const OWN = ['out', 'resume', 'config', 'previewSamples', 'json'];

/** What a resumed run may change: how long it runs and how often it saves, not what it trains. */
const RESUME_MAY_CHANGE = ['steps', 'checkpointEvery'];

export const TRAIN_USAGE = usage('flowmatch train [options]', OPTIONS);

function split(values: OptionValues): { run: OptionValues; own: OptionValues } {
  const run: OptionValues = {};
  const own: OptionValues = {};
  for (const [k, v] of Object.entries(values)) (OWN.includes(k) ? own : run)[k] = v;
  return { run, own };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, help } = parseArgs(argv, OPTIONS);
  if (help) {
    process.stdout.write(TRAIN_USAGE);
    return 0;
  }
  const { run: flags, own } = split(values);
  const resume = own.resume === true;
  const given = { ...(own.config !== undefined ? readConfigFile(own.config as string, RUN_OPTIONS) : {}), ...flags };
  const fresh = resume ? undefined : resolveRunSpec(given);
  const out = (own.out as string | undefined) ?? path.join('runs', fresh?.dataset ?? String(given.dataset ?? 'checkerboard'));
  const spec = fresh ?? resumedSpec(out, given, own.out === undefined);
  if (!resume && fs.existsSync(path.join(out, CHECKPOINT_FILE))) throw new UsageError(`${out} already holds a run: pass --resume to continue it, or choose another --out`);

  // The initial weights come from the seed too, so two runs with one seed are the same run.
  manualSeed(spec.seed);
  const model = buildModel(spec);
  const source = trainingData(spec);
  const controller = new AbortController();
  const onInterrupt = () => {
    process.off('SIGINT', onInterrupt);
    if (!own.json) process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  try {
    const result = await train({
      model,
      path: buildPath(spec),
      data: source.data,
      steps: spec.steps,
      optimizer: { name: spec.optimizer, lr: spec.lr, weightDecay: spec.weightDecay },
      schedule: spec.schedule === 'constant' ? undefined : { name: spec.schedule, warmupSteps: spec.warmupSteps },
      clipGradNorm: spec.clipGradNorm,
      ema: spec.ema > 0 ? { decay: spec.ema } : false,
      labelDropout: spec.classes === undefined ? undefined : spec.labelDropout,
      coupling: couplingOf(spec),
      conditioningFor: trainingConditioning(spec),
      seed: spec.seed,
      outDir: out,
      resume,
      checkpointEvery: spec.checkpointEvery,
      signal: controller.signal,
      config: spec as unknown as Record<string, unknown>,
      onWarning: (message) => process.stderr.write(`flowmatch train: ${message}\n`),
    });
    const files = [CHECKPOINT_FILE, 'model.safetensors', METRICS_FILE, 'config.json'].map((f) => path.join(out, f));
    if (fs.existsSync(path.join(out, METRICS_FILE)) && fs.statSync(path.join(out, METRICS_FILE)).size > 0) {
      await writePng(path.join(out, 'loss.png'), lossPicture(path.join(out, METRICS_FILE), `${spec.dataset}, ${spec.path} path`));
      files.push(path.join(out, 'loss.png'));
    }
    const preview = (own.previewSamples as number | undefined) ?? (isImageDataset(spec.dataset) ? IMAGE_PREVIEW : TOY_PREVIEW);
    if (!result.stopped && preview > 0) {
      await writePng(path.join(out, 'samples.png'), previewPicture(spec, model, out, preview));
      files.push(path.join(out, 'samples.png'));
    }
    printResult(own.json === true, { step: result.step, stopped: result.stopped, finalLoss: result.finalLoss, seconds: result.seconds, out, files }, () =>
      [
        `${result.stopped ? 'stopped' : 'trained'} ${spec.dataset} (${spec.model}, ${spec.path} path) to step ${result.step} in ${result.seconds.toFixed(1)} s; final loss ${result.finalLoss.toFixed(4)}`,
        `run folder: ${out}`,
      ].join('\n'),
    );
    return result.stopped ? 130 : 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    source.release();
    model.dispose();
  }
}

/** The spec of the run in `out`, with the options a resume may change taken from `given`; other differences are refused. */
function resumedSpec(out: string, given: OptionValues, defaultOut: boolean): RunSpec {
  if (!fs.existsSync(path.join(out, CHECKPOINT_FILE))) {
    const where = defaultOut ? ` (without --out, --resume continues runs/<--dataset>, here ${out})` : '';
    throw new UsageError(`--resume: ${out} has no ${CHECKPOINT_FILE} to continue from${where}`);
  }
  const file = path.join(out, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new UsageError(`--resume: ${out} has no ${CONFIG_FILE}, so its run spec is unknown; start a new run in another --out`);
  const saved = resolveRunSpec(readConfigFile(file, RUN_OPTIONS)) as unknown as OptionValues;
  const differ = Object.entries(given).filter(([k, v]) => !RESUME_MAY_CHANGE.includes(k) && JSON.stringify(v) !== JSON.stringify(saved[k]));
  if (differ.length > 0) {
    const list = differ.map(([k, v]) => `--${kebab(k)} ${JSON.stringify(v)} (the run has ${saved[k] === undefined ? 'none' : JSON.stringify(saved[k])})`).join(', ');
    throw new UsageError(`--resume continues the run in ${out} as ${file} describes it; these options differ from it: ${list}. Drop them (only ${RESUME_MAY_CHANGE.map((k) => `--${kebab(k)}`).join(' and ')} may change), or start a new run in another --out`);
  }
  const changes = Object.fromEntries(Object.entries(given).filter(([k]) => RESUME_MAY_CHANGE.includes(k)));
  return resolveRunSpec({ ...saved, ...changes });
}

/** A first look at the trained model: toy samples by dopri5, or an image grid by 25 midpoint steps. */
function previewPicture(spec: RunSpec, model: TrainedRun['model'], out: string, n: number) {
  model.eval();
  const run: TrainedRun = { spec, model, path: buildPath(spec), source: out };
  const images = isImageDataset(spec.dataset);
  const lowRes = spec.superRes ? lowResFromTest(spec, n) : undefined;
  const labels = spec.classes === undefined ? undefined : Array.from({ length: spec.classes }, (_, i) => i);
  const drawn = drawSamples(run, { n, method: images ? 'midpoint' : 'dopri5', steps: 25, labels, lowRes, batchSize: n, seed: spec.seed });
  try {
    return samplesPicture(drawn.samples, `${spec.dataset} samples (${drawn.nfe} NFE)`);
  } finally {
    drawn.samples.dispose();
    lowRes?.dispose();
  }
}
