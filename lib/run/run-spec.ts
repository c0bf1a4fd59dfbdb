/**
 * The run spec: every choice that defines a training run (data, path, model, optimization),
 * resolved to explicit values. `train` writes it to the run folder's config.json, and
 * `sample`, `nll` and `eval` rebuild the same model and path from it; a config.json is also
 * a valid --config file for a new run.
 */
import { TOY_DATASETS } from '../data/toy2d';
import { FASHION_MNIST_DIR } from '../data/mnist';
import { ACTIVATIONS } from '../nn/mlp';
import { UsageError, kebab, type OptionTable, type OptionValues } from './options';
import { COUPLINGS, type CouplingSpec } from '../couplings/coupling';

export const IMAGE_DATASETS = ['fashion-mnist', 'mnist'] as const;
/** Both image datasets label their images 0–9; --classes may be larger, but only these are ever trained. */
export const IMAGE_CLASSES = 10;
export const PATHS = ['ot', 'condot', 'vp', 've', 'cosine', 'linear-vp', 'polynomial'] as const;

/** Which path takes which parameter; the rest are refused for that path. */
const PATH_PARAMETERS: Record<(typeof PATHS)[number], string[]> = {
  ot: ['sigmaMin'],
  condot: [],
  vp: ['betaMin', 'betaMax'],
  ve: ['sigmaMin', 'sigmaMax'],
  cosine: [],
  'linear-vp': [],
  polynomial: ['power'],
};

export const RUN_OPTIONS: OptionTable = {
  dataset: { type: 'string', choices: [...TOY_DATASETS, ...IMAGE_DATASETS], help: 'training data: a 2-D toy or an IDX image folder', default: 'checkerboard' },
  dataRoot: { type: 'string', help: 'folder with the IDX files (train-images-idx3-ubyte[.gz] and the other three); required for mnist', default: `${FASHION_MNIST_DIR} for fashion-mnist` },
  path: { type: 'string', choices: PATHS, help: 'probability path', default: 'ot' },
  sigmaMin: { type: 'number', min: 0, help: 'σ_min of the ot path (default 1e-4) or the ve path (default 0.01)' },
  sigmaMax: { type: 'number', min: 0, exclusiveMin: true, help: 'σ_max of the ve path', default: '50' },
  betaMin: { type: 'number', min: 0, exclusiveMin: true, help: 'β_min of the vp path', default: '0.1' },
  betaMax: { type: 'number', min: 0, exclusiveMin: true, help: 'β_max of the vp path', default: '20' },
  power: { type: 'number', min: 0, exclusiveMin: true, help: 'exponent n of the polynomial path (α_t = tⁿ)', default: '2' },
  model: { type: 'string', choices: ['mlp', 'unet'], help: 'vector field network', default: 'mlp for toys, unet for images' },
  hidden: { type: 'intList', min: 1, help: 'MLP hidden widths', default: '256,256,256' },
  activation: { type: 'string', choices: ACTIVATIONS, help: 'MLP activation', default: 'silu' },
  timeEmbedding: { type: 'string', choices: ['concat', 'sinusoidal'], help: 'how the MLP sees t', default: 'concat' },
  modelChannels: { type: 'int', min: 1, help: 'U-Net base channels (× channel-mult must be a multiple of 32)', default: '32' },
  channelMult: { type: 'intList', min: 1, help: 'U-Net channel multiplier per level', default: '1,2,2' },
  numResBlocks: { type: 'int', min: 0, help: 'U-Net residual blocks per level', default: '2' },
  attentionResolutions: { type: 'intList', min: 1, minItems: 0, help: 'U-Net attention at these resolutions in pixels, e.g. 14,7', default: 'none' },
  numHeads: { type: 'int', min: 1, help: 'U-Net attention heads', default: '4' },
  dropout: { type: 'number', min: 0, max: 0.99, help: 'U-Net dropout rate', default: '0' },
  classes: { type: 'int', min: 1, help: 'class-conditional U-Net with this many classes (10 for fashion-mnist)' },
  labelDropout: { type: 'number', min: 0, max: 1, help: 'probability of dropping a label (classifier-free guidance)', default: '0.1 with --classes' },
  superRes: { type: 'bool', help: 'super-resolution: the U-Net also sees the 2× downsampled image' },
  coupling: { type: 'string', choices: COUPLINGS, help: 'pairing of noise and data in each batch: minibatch OT by an exact assignment, or entropic OT (Sinkhorn); label-aware with --classes', default: 'independent' },
  sinkhornReg: { type: 'number', min: 0, exclusiveMin: true, help: 'entropic regularization of --coupling sinkhorn, in units of the squared distance', default: '0.05' },
  sinkhornIterations: { type: 'int', min: 1, help: 'most Sinkhorn sweeps per batch', default: '1000' },
  steps: { type: 'int', min: 1, help: 'optimizer steps', default: '1000' },
  batchSize: { type: 'int', min: 1, help: 'batch size', default: '256 for toys, 64 for images' },
  optimizer: { type: 'string', choices: ['adam', 'adamw', 'sgd'], help: 'optimizer', default: 'adam' },
  lr: { type: 'number', min: 0, exclusiveMin: true, help: 'learning rate', default: '1e-3 for toys, 2e-4 for images' },
  weightDecay: { type: 'number', min: 0, help: 'weight decay', default: '0' },
  schedule: { type: 'string', choices: ['constant', 'warmup', 'cosine'], help: 'learning-rate schedule', default: 'constant' },
  warmupSteps: { type: 'int', min: 0, help: 'warm-up steps of the warmup and cosine schedules', default: 'steps/20 for warmup, 0 for cosine' },
  ema: { type: 'number', min: 0, max: 0.999999, help: 'EMA decay of the weights (0 turns it off)', default: '0.999' },
  clipGradNorm: { type: 'number', min: 0, exclusiveMin: true, help: 'clip the gradient norm to this value' },
  seed: { type: 'int', min: 0, help: 'random seed', default: '0' },
  device: { type: 'string', choices: ['cpu', 'cuda', 'cuda:0', 'cuda:1', 'cuda:2', 'cuda:3'], help: 'where to train', default: 'cpu' },
  checkpointEvery: { type: 'int', min: 1, help: 'write a checkpoint every this many steps', default: 'only at the end' },
};

export type PathName = (typeof PATHS)[number];

export interface RunSpec {
  dataset: string;
  dataRoot?: string;
  path: PathName;
  sigmaMin?: number;
  sigmaMax?: number;
  betaMin?: number;
  betaMax?: number;
  power?: number;
  model: 'mlp' | 'unet';
  hidden?: number[];
  activation?: string;
  timeEmbedding?: 'concat' | 'sinusoidal';
  modelChannels?: number;
  channelMult?: number[];
  numResBlocks?: number;
  attentionResolutions?: number[];
  numHeads?: number;
  dropout?: number;
  classes?: number;
  labelDropout?: number;
  superRes?: boolean;
  /** Absent for the independent coupling, so specs of runs before couplings read the same. */
  coupling?: 'exact-ot' | 'sinkhorn';
  sinkhornReg?: number;
  sinkhornIterations?: number;
  steps: number;
  batchSize: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  lr: number;
  weightDecay: number;
  schedule: 'constant' | 'warmup' | 'cosine';
  warmupSteps?: number;
  ema: number;
  clipGradNorm?: number;
  seed: number;
  device: string;
  checkpointEvery?: number;
}

export const isImageDataset = (dataset: string): boolean => (IMAGE_DATASETS as readonly string[]).includes(dataset);

/** Shape of one sample: [2] for the toys, [1, 28, 28] for the IDX image sets. */
export function sampleShape(spec: RunSpec): number[] {
  return isImageDataset(spec.dataset) ? [1, 28, 28] : [2];
}

function refuse(given: OptionValues, names: string[], why: string): void {
  const stray = names.filter((n) => given[n] !== undefined);
  if (stray.length > 0) throw new UsageError(`${stray.map((n) => `--${kebab(n)}`).join(', ')} ${stray.length > 1 ? 'do' : 'does'} not apply ${why}`);
}

const MLP_KEYS = ['hidden', 'activation', 'timeEmbedding'];
const UNET_KEYS = ['modelChannels', 'channelMult', 'numResBlocks', 'attentionResolutions', 'numHeads', 'dropout', 'classes', 'labelDropout', 'superRes'];

/** The spec from option values: defaults filled in, options that do not apply to the choices refused. */
export function resolveRunSpec(given: OptionValues): RunSpec {
  const v = given as Partial<RunSpec>;
  const dataset = v.dataset ?? 'checkerboard';
  const images = isImageDataset(dataset);
  const path = v.path ?? 'ot';
  const model = v.model ?? (images ? 'unet' : 'mlp');
  if (model === 'mlp' && images) throw new UsageError(`--model mlp works on the 2-D toys; use --model unet for ${dataset}`);
  if (model === 'unet' && !images) throw new UsageError(`--model unet works on images; use --model mlp for ${dataset}`);
  if (!images) refuse(given, ['dataRoot'], `to the 2-D toy ${dataset}`);
  // The default folder is Debian's Fashion-MNIST; reading it for mnist would train on the wrong data without a word.
  if (dataset === 'mnist' && v.dataRoot === undefined) {
    throw new UsageError(`--dataset mnist needs --data-root <folder> with the MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, raw or .gz); flowmatch does not download them, and ${FASHION_MNIST_DIR} holds Fashion-MNIST`);
  }
  refuse(given, PATHS.flatMap((p) => PATH_PARAMETERS[p]).filter((k, i, all) => all.indexOf(k) === i && !PATH_PARAMETERS[path].includes(k)), `to --path ${path}`);
  refuse(given, model === 'mlp' ? UNET_KEYS : MLP_KEYS, `to --model ${model}`);
  if (v.labelDropout !== undefined && v.classes === undefined) throw new UsageError('--label-dropout needs --classes (a class-conditional model)');
  if (v.classes !== undefined && v.classes < IMAGE_CLASSES) throw new UsageError(`Expected at least ${IMAGE_CLASSES} classes for --classes (${dataset} has labels 0–9) but received ${v.classes}`);
  const coupling = (v.coupling as string | undefined) ?? 'independent';
  if (coupling !== 'sinkhorn') refuse(given, ['sinkhornReg', 'sinkhornIterations'], `to --coupling ${coupling}`);
  if (v.schedule === 'constant' && v.warmupSteps !== undefined) throw new UsageError('--warmup-steps applies to --schedule warmup or cosine');

  const spec: RunSpec = {
    dataset,
    ...(images ? { dataRoot: v.dataRoot ?? FASHION_MNIST_DIR } : {}),
    path,
    ...pathParameters(path, v),
    model,
    ...(model === 'mlp'
      ? { hidden: v.hidden ?? [256, 256, 256], activation: v.activation ?? 'silu', timeEmbedding: v.timeEmbedding ?? 'concat' }
      : {
          modelChannels: v.modelChannels ?? 32,
          channelMult: v.channelMult ?? [1, 2, 2],
          numResBlocks: v.numResBlocks ?? 2,
          attentionResolutions: v.attentionResolutions ?? [],
          numHeads: v.numHeads ?? 4,
          dropout: v.dropout ?? 0,
          ...(v.classes === undefined ? {} : { classes: v.classes, labelDropout: v.labelDropout ?? 0.1 }),
          superRes: v.superRes ?? false,
        }),
    ...(coupling === 'independent' ? {} : { coupling: coupling as 'exact-ot' | 'sinkhorn' }),
    ...(coupling === 'sinkhorn' ? { sinkhornReg: v.sinkhornReg ?? 0.05, sinkhornIterations: v.sinkhornIterations ?? 1000 } : {}),
    steps: v.steps ?? 1000,
    batchSize: v.batchSize ?? (images ? 64 : 256),
    optimizer: v.optimizer ?? 'adam',
    lr: v.lr ?? (images ? 2e-4 : 1e-3),
    weightDecay: v.weightDecay ?? 0,
    schedule: v.schedule ?? 'constant',
    ...(v.warmupSteps === undefined ? {} : { warmupSteps: v.warmupSteps }),
    ema: v.ema ?? 0.999,
    ...(v.clipGradNorm === undefined ? {} : { clipGradNorm: v.clipGradNorm }),
    seed: v.seed ?? 0,
    device: v.device ?? 'cpu',
    ...(v.checkpointEvery === undefined ? {} : { checkpointEvery: v.checkpointEvery }),
  };
  for (const res of spec.attentionResolutions ?? []) {
    if (28 % res !== 0) throw new UsageError(`Expected resolutions that divide the image size 28 (such as 14 or 7) for --attention-resolutions but received ${res}`);
  }
  return spec;
}

function pathParameters(path: PathName, v: Partial<RunSpec>): Partial<RunSpec> {
  switch (path) {
    case 'ot':
      return { sigmaMin: v.sigmaMin ?? 1e-4 };
    case 've':
      if ((v.sigmaMin ?? 0.01) >= (v.sigmaMax ?? 50)) throw new UsageError(`Expected --sigma-max greater than --sigma-min for --path ve but received ${v.sigmaMax ?? 50} ≤ ${v.sigmaMin ?? 0.01}`);
      return { sigmaMin: v.sigmaMin ?? 0.01, sigmaMax: v.sigmaMax ?? 50 };
    case 'vp':
      return { betaMin: v.betaMin ?? 0.1, betaMax: v.betaMax ?? 20 };
    case 'polynomial':
      return { power: v.power ?? 2 };
    default:
      return {};
  }
}

/** The trainer's coupling for a spec (undefined: independent). */
export function couplingOf(spec: RunSpec): CouplingSpec | undefined {
  if (spec.coupling === 'sinkhorn') return { method: 'sinkhorn', reg: spec.sinkhornReg, iterations: spec.sinkhornIterations };
  return spec.coupling;
}
