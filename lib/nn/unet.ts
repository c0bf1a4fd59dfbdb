/**
 * createUNet: the ADM U-Net of guided-diffusion (openai/guided-diffusion, unet.py
 * UNetModel), with its parameter names, so state dicts trained in Python load as they are.
 * Config keys are guided-diffusion's (snake_case) or their camelCase forms.
 */
import { native } from '../native';
import type { NativeUNetConfig } from '../native/modules';
import { ArgumentError } from '../errors';
import { checkBool, checkInt, checkNumber, fail } from '../validate';
import { Tensor } from '../tensor';
import { Module, configReader, type LoadReport, type LoadStateDictOptions } from './module';

export interface UNetConfig {
  inChannels?: number;
  modelChannels?: number;
  outChannels?: number;
  numResBlocks?: number;
  /** Downsample rates (1, 2, 4, …) at which attention runs; a guided-diffusion script string of resolutions ("16,8") needs imageSize. */
  attentionResolutions?: number[] | string;
  dropout?: number;
  /** Channel multiplier per level (default [1, 2, 4, 8]); also "1,2,2". */
  channelMult?: number[] | string;
  /** Learned convolutions for up/downsampling (default true). */
  convResample?: boolean;
  /**
   * Class-conditional with this many classes: forward() then needs conditioning.labels. The label
   * embedding has numClasses + 1 rows, row numClasses the null class (label numClasses
   * means "no label", the unconditional branch of classifier-free guidance), unless
   * nullClass is false.
   */
  numClasses?: number | null;
  /**
   * false: the label embedding has numClasses rows and no null class, the layout of
   * guided-diffusion's class-conditional checkpoints. Such a model has no unconditional
   * branch, so classifier-free guidance cannot run with it. Default true;
   * loadStateDict()/load() switch it to what the dict's label_emb.weight row count says.
   */
  nullClass?: boolean;
  numHeads?: number;
  /** Fixed channels per head (overrides numHeads); -1 to use numHeads. */
  numHeadChannels?: number;
  numHeadsUpsample?: number;
  useScaleShiftNorm?: boolean;
  resblockUpdown?: boolean;
  useNewAttentionOrder?: boolean;
  /**
   * Channels of a conditioning image concatenated to x along channels (super-resolution).
   * forward() takes it as conditioning.lowRes and upsamples it bilinearly to x's size.
   */
  condChannels?: number;
  /** Only needed to convert a string attentionResolutions; otherwise ignored. */
  imageSize?: number;
  /** Accepted for guided-diffusion compatibility; must be 2. */
  dims?: number;
  /** Accepted and ignored (guided-diffusion training options). */
  useCheckpoint?: boolean;
  useFp16?: boolean;
  [snakeCase: string]: unknown;
}

/**
 * The config after defaults, in guided-diffusion's key names: the record the addon takes,
 * with every key present (null_class: label_emb has the null class row numClasses,
 * meaningful when num_classes > 0).
 */
export type ResolvedUNetConfig = Required<NativeUNetConfig>;

const KEYS = [
  'in_channels', 'model_channels', 'out_channels', 'num_res_blocks', 'attention_resolutions', 'dropout', 'channel_mult',
  'conv_resample', 'num_classes', 'num_heads', 'num_head_channels', 'num_heads_upsample', 'use_scale_shift_norm',
  'resblock_updown', 'use_new_attention_order', 'cond_channels', 'image_size', 'dims', 'use_checkpoint', 'use_fp16', 'null_class',
] as const;

function intList(value: unknown, name: string): number[] {
  const list = typeof value === 'string' ? value.split(',').filter((s) => s.trim() !== '').map(Number) : value;
  if (!Array.isArray(list)) fail('an array of positive integers', name, value);
  return list.map((v, i) => checkInt(v, `${name}[${i}]`, 1));
}

export function resolveUNetConfig(config: UNetConfig): ResolvedUNetConfig {
  const get = configReader(config, 'config', KEYS);
  const required = (key: string, min: number) => {
    const v = get(key);
    if (v === undefined) throw new ArgumentError(`U-Net config needs ${key}`);
    return checkInt(v, `config.${key}`, min);
  };
  const optionalInt = (key: string, fallback: number, min: number) => (get(key) === undefined ? fallback : checkInt(get(key), `config.${key}`, min));
  const optionalBool = (key: string, fallback: boolean) => (get(key) === undefined ? fallback : checkBool(get(key), `config.${key}`));
  if (get('dims') !== undefined && get('dims') !== 2) fail('2 (images)', 'config.dims', get('dims'));

  let attention = get('attention_resolutions');
  if (typeof attention === 'string') {
    // guided-diffusion's scripts give resolutions in pixels; the model wants ds = size / res.
    const size = get('image_size');
    if (size === undefined) throw new ArgumentError('A string attention_resolutions lists resolutions in pixels: give image_size too, or pass downsample rates as an array');
    attention = intList(attention, 'config.attention_resolutions').map((res) => checkInt(size, 'config.image_size', 1) / res);
  }
  const numClasses = get('num_classes');
  const resolved: ResolvedUNetConfig = {
    in_channels: required('in_channels', 1),
    model_channels: required('model_channels', 1),
    out_channels: required('out_channels', 1),
    num_res_blocks: required('num_res_blocks', 0),
    attention_resolutions: attention === undefined ? [] : intList(attention, 'config.attention_resolutions'),
    dropout: get('dropout') === undefined ? 0 : checkNumber(get('dropout'), 'config.dropout', { finite: true }),
    channel_mult: get('channel_mult') === undefined || get('channel_mult') === '' ? [1, 2, 4, 8] : intList(get('channel_mult'), 'config.channel_mult'),
    conv_resample: optionalBool('conv_resample', true),
    num_classes: numClasses === undefined || numClasses === null ? 0 : checkInt(numClasses, 'config.num_classes', 1),
    num_heads: optionalInt('num_heads', 1, 1),
    num_head_channels: get('num_head_channels') === undefined ? -1 : checkInt(get('num_head_channels'), 'config.num_head_channels', -1),
    num_heads_upsample: get('num_heads_upsample') === undefined ? -1 : checkInt(get('num_heads_upsample'), 'config.num_heads_upsample', -1),
    use_scale_shift_norm: optionalBool('use_scale_shift_norm', false),
    resblock_updown: optionalBool('resblock_updown', false),
    use_new_attention_order: optionalBool('use_new_attention_order', false),
    cond_channels: optionalInt('cond_channels', 0, 0),
    null_class: optionalBool('null_class', true),
  };
  if (resolved.dropout < 0 || resolved.dropout >= 1) fail('a dropout rate in [0, 1)', 'config.dropout', resolved.dropout);
  if (resolved.num_head_channels === 0) fail('a positive number of channels per head, or -1', 'config.num_head_channels', 0);
  for (const mult of resolved.channel_mult) {
    if ((mult * resolved.model_channels) % 32 !== 0) {
      fail(`model_channels × channel_mult divisible by 32 (GroupNorm uses 32 groups); ${resolved.model_channels} × ${mult} is not`, 'config', config);
    }
  }
  return resolved;
}

export class UNet extends Module<ResolvedUNetConfig> {
  /** Number of classes of a class-conditional model (0 when unconditional). */
  get numClasses(): number {
    return this.config.num_classes;
  }

  /** The label that selects the null class (numClasses), or undefined for a model without one. */
  get nullLabel(): number | undefined {
    return this.config.num_classes > 0 && this.config.null_class ? this.config.num_classes : undefined;
  }

  protected override checkConditioning(labels: Tensor | null, lowRes: Tensor | null): void {
    const { num_classes: classes, cond_channels: condChannels } = this.config;
    if (classes === 0 && labels !== null) fail('no labels (this U-Net is unconditional: build it with numClasses to condition on classes)', 'conditioning.labels', labels, 'ERR_CONDITIONING');
    if (classes > 0 && labels === null) {
      const branch = this.nullLabel === undefined ? 'it has no null class, so no unconditional branch' : `labels equal to ${classes} select the null class`;
      fail(`an int64 tensor of labels in 0..${classes - 1} (this U-Net is class-conditional; ${branch})`, 'conditioning.labels', undefined, 'ERR_CONDITIONING');
    }
    if (condChannels === 0 && lowRes !== null) fail('no lowRes (this U-Net takes no conditioning image: build it with condChannels)', 'conditioning.lowRes', lowRes, 'ERR_CONDITIONING');
  }

  /**
   * A class-conditional dict whose label_emb.weight has numClasses rows (guided-diffusion's
   * layout) or numClasses + 1 (with the null class) rebuilds the model in that layout
   * first; parameter tensors taken before are then released (take them again).
   */
  override loadStateDict(dict: Record<string, Tensor> | Map<string, Tensor>, opts: LoadStateDictOptions = {}): LoadReport {
    const classes = this.config.num_classes;
    const weight: unknown = dict instanceof Map ? dict.get('label_emb.weight') : dict !== null && typeof dict === 'object' && Object.hasOwn(dict, 'label_emb.weight') ? dict['label_emb.weight'] : undefined;
    if (classes > 0 && weight instanceof Tensor && weight.ndim === 2) {
      const rows = weight.shape[0];
      const nullClass = rows === classes + 1 ? true : rows === classes ? false : this.config.null_class;
      if (nullClass !== this.config.null_class) {
        const config = { ...this.config, null_class: nullClass };
        this.replaceModel(native.createUNet(config), config);
      }
    }
    return super.loadStateDict(dict, opts);
  }
}

export function createUNet(config: UNetConfig): UNet {
  const resolved = resolveUNetConfig(config);
  return new UNet(native.createUNet(resolved), resolved);
}
