/**
 * SGD with momentum, PyTorch's torch.optim.SGD: g ← g + weightDecay·p; with momentum,
 * b ← g on the first step and b ← momentum·b + (1 − dampening)·g after; g ← b, or
 * g + momentum·b with Nesterov; p ← p − lr·g.
 */
import { type ParameterGroupId, native } from '../native';
import { Tensor } from '../tensor';
import { ArgumentError } from '../errors';
import { checkBool, checkNumber, checkOptions, fail } from '../validate';
import { Optimizer, zerosLikeEach } from './optimizer';
import type { ParameterSource } from './params';

export interface SGDOptions {
  /** Default 1e-3 (PyTorch's). */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;
  private buffers: Tensor[];
  // Whether each momentum buffer holds a value yet (PyTorch creates it on the first step).
  private seeded: number[];

  constructor(params: ParameterSource, options: SGDOptions = {}) {
    const opts = checkOptions(options, 'options');
    super(params, opts.lr ?? 1e-3);
    this.momentum = checkNumber(opts.momentum ?? 0, 'momentum', { finite: true });
    if (this.momentum < 0) fail('a momentum ≥ 0', 'momentum', this.momentum);
    this.dampening = checkNumber(opts.dampening ?? 0, 'dampening', { finite: true });
    this.weightDecay = checkNumber(opts.weightDecay ?? 0, 'weightDecay', { finite: true });
    this.nesterov = checkBool(opts.nesterov ?? false, 'nesterov');
    this.maximize = checkBool(opts.maximize ?? false, 'maximize');
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ArgumentError('Nesterov momentum requires a momentum > 0 and zero dampening');
    }
    this.buffers = this.momentum === 0 ? [] : zerosLikeEach(this.params);
    this.seeded = this.params.map(() => 0);
  }

  protected update(group: ParameterGroupId): void {
    const flags = native.sgdStep(group, this.seeded, this.lrValue, this.momentum, this.dampening, this.weightDecay, this.nesterov, this.maximize);
    this.seeded = flags.map(Number);
  }
  protected groupState(): Tensor[][] {
    return this.momentum === 0 ? [] : [this.buffers];
  }

  protected stateTensors(): Record<string, Tensor[]> {
    return this.momentum === 0 ? {} : { momentum_buffer: this.buffers };
  }
  protected numbers(): Record<string, number> {
    const out: Record<string, number> = { momentum: this.momentum, dampening: this.dampening, weight_decay: this.weightDecay };
    this.seeded.forEach((s, i) => (out[`state.${i}.has_momentum_buffer`] = s));
    return out;
  }
  protected setNumbers(numbers: Record<string, number>): void {
    this.seeded = this.seeded.map((s, i) => (numbers[`state.${i}.has_momentum_buffer`] ?? s) === 1 ? 1 : 0);
  }
}
