/** createMLP: a multilayer perceptron vector field v(x, t) for x of shape [N, dim]. */
import { native } from '../native';
import { ArgumentError } from '../errors';
import { checkInt, checkOneOf, fail, plainArray } from '../validate';
import { Module, configReader } from './module';

export const ACTIVATIONS = ['silu', 'relu', 'tanh', 'gelu', 'softplus'] as const;

/**
 * Size bounds (native/modules.cpp checks the same): at most 1024 hidden layers, widths
 * (and dim, timeEmbedDim) of at most 65,536, and at most 2^30 parameters (4 GiB in
 * float32), so that a typo such as depth 1e6 is an error instead of unbounded work.
 */
export const MLP_LIMITS = { maxDepth: 1024, maxWidth: 65536, maxParameters: 2 ** 30 } as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface MLPConfig {
  /** Features of x and of the output. */
  dim: number;
  /** Widths of the hidden layers; default `depth` layers of `width`. */
  hidden?: number[];
  /** Hidden width when `hidden` is not given (default 64). */
  width?: number;
  /** Number of hidden layers when `hidden` is not given (default 3). */
  depth?: number;
  /** Default 'silu'. */
  activation?: Activation;
  /**
   * How t enters: 'concat' (default) adds t as one more input feature; 'sinusoidal' adds
   * a sinusoidal embedding of `timeEmbedDim` features (max period 10000).
   */
  timeEmbedding?: 'concat' | 'sinusoidal';
  /** Size of the sinusoidal embedding (default 32). */
  timeEmbedDim?: number;
}

/** The config after defaults: what the model was built from. */
export interface ResolvedMLPConfig {
  dim: number;
  hidden: number[];
  activation: Activation;
  timeEmbedding: 'concat' | 'sinusoidal';
  timeEmbedDim: number;
}

const KEYS = ['dim', 'hidden', 'width', 'depth', 'activation', 'time_embedding', 'time_embed_dim'] as const;

export function resolveMLPConfig(config: MLPConfig): ResolvedMLPConfig {
  const get = configReader(config, 'config', KEYS);
  const { maxDepth, maxWidth } = MLP_LIMITS;
  const dim = checkInt(get('dim'), 'config.dim', 1, maxWidth);
  const hiddenRaw = get('hidden');
  let hidden: number[];
  if (hiddenRaw !== undefined) {
    if (get('width') !== undefined || get('depth') !== undefined) fail('either hidden or width/depth, not both', 'config', config);
    const widths = plainArray(hiddenRaw, 'config.hidden', maxDepth);
    if (widths === undefined) fail('an array of layer widths', 'config.hidden', hiddenRaw);
    hidden = widths.map((w, i) => checkInt(w, `config.hidden[${i}]`, 1, maxWidth));
  } else {
    const width = get('width') === undefined ? 64 : checkInt(get('width'), 'config.width', 1, maxWidth);
    const depth = get('depth') === undefined ? 3 : checkInt(get('depth'), 'config.depth', 0, maxDepth);
    hidden = new Array(depth).fill(width);
  }
  const activation = get('activation') === undefined ? 'silu' : checkOneOf(get('activation'), ACTIVATIONS, 'config.activation');
  const timeEmbedding = get('time_embedding') === undefined ? 'concat' : checkOneOf(get('time_embedding'), ['concat', 'sinusoidal'] as const, 'config.timeEmbedding');
  const timeEmbedDim = timeEmbedding === 'concat' ? 1 : get('time_embed_dim') === undefined ? 32 : checkInt(get('time_embed_dim'), 'config.timeEmbedDim', 1, maxWidth);
  let parameters = 0;
  let inputs = dim + timeEmbedDim;
  for (const width of [...hidden, dim]) {
    parameters += (inputs + 1) * width;
    inputs = width;
  }
  if (parameters > MLP_LIMITS.maxParameters) {
    throw new ArgumentError(`Expected an MLP of at most 2^30 parameters for config but received one of ${parameters}`, 'ERR_TOO_LARGE');
  }
  return { dim, hidden, activation, timeEmbedding, timeEmbedDim };
}

/**
 * An MLP vector field: [x, time features] → Linear → activation → … → Linear → dim.
 * Parameters are named net.<i>.weight / net.<i>.bias, one pair per Linear layer.
 */
export function createMLP(config: MLPConfig): Module<ResolvedMLPConfig> {
  const resolved = resolveMLPConfig(config);
  const embed = resolved.timeEmbedding === 'concat' ? 0 : resolved.timeEmbedDim;
  return new Module(native.createMLP(resolved.dim, resolved.hidden, resolved.activation, embed), resolved);
}
