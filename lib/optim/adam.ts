/**
 * Adam and AdamW with PyTorch's semantics and defaults (torch.optim.Adam / AdamW, the
 * fused kernels): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·m̂ / (√v̂ + ε) with
 * bias-corrected m̂, v̂. Adam adds weightDecay·p to g (L2); AdamW multiplies p by
 * (1 − lr·weightDecay) first (decoupled).
 */
import { type ParameterGroupId, native } from '../native';
import { Tensor } from '../tensor';
import { full } from '../creation';
import { keep } from '../scope';
import { checkBool, checkNumber, checkOptions, fail } from '../validate';
import { Optimizer, checkBeta, zerosLikeEach } from './optimizer';
import type { ParameterSource } from './params';

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default 0 for Adam, 1e-2 for AdamW. */
  weightDecay?: number;
  /** Ascend instead of descend. Default false. */
  maximize?: boolean;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  /** AdamW's decoupled weight decay. */
  readonly decoupled: boolean;
  private expAvg: Tensor[];
  private expAvgSq: Tensor[];
  // float32 scalars: the fused kernels count steps per parameter on the parameter's device.
  private steps: Tensor[];

  constructor(params: ParameterSource, options: AdamOptions = {}, decoupled = false) {
    const opts = checkOptions(options, 'options');
    super(params, opts.lr ?? 1e-3);
    const betas = opts.betas === undefined ? [0.9, 0.999] : opts.betas;
    if (!Array.isArray(betas) || betas.length !== 2) fail('a pair [beta1, beta2]', 'betas', betas);
    this.beta1 = checkBeta(betas[0], 'betas[0]');
    this.beta2 = checkBeta(betas[1], 'betas[1]');
    this.eps = checkNumber(opts.eps ?? 1e-8, 'eps', { finite: true });
    this.weightDecay = checkNumber(opts.weightDecay ?? (decoupled ? 1e-2 : 0), 'weightDecay', { finite: true });
    this.maximize = checkBool(opts.maximize ?? false, 'maximize');
    this.decoupled = decoupled;
    this.expAvg = zerosLikeEach(this.params);
    this.expAvgSq = zerosLikeEach(this.params);
    this.steps = this.params.map((p) => keep(full([], 0, { dtype: 'float32', device: p.device })));
  }

  /** Steps taken by the first parameter (PyTorch counts per parameter). */
  get stepCount(): number {
    return this.steps[0].item() as number;
  }

  protected update(group: ParameterGroupId): void {
    native.adamStep(group, this.lrValue, this.beta1, this.beta2, this.eps, this.weightDecay, this.decoupled, this.maximize);
  }
  protected groupState(): Tensor[][] {
    return [this.expAvg, this.expAvgSq, this.steps];
  }

  protected stateTensors(): Record<string, Tensor[]> {
    return { exp_avg: this.expAvg, exp_avg_sq: this.expAvgSq, step: this.steps };
  }
  protected numbers(): Record<string, number> {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weight_decay: this.weightDecay };
  }
  protected setNumbers(): void {
    // Hyper-parameters other than lr come from the constructor; the state carries them for the record.
  }
}

/** AdamW: Adam with decoupled weight decay (default 1e-2). */
export class AdamW extends Adam {
  constructor(params: ParameterSource, opts: AdamOptions = {}) {
    super(params, opts, true);
  }
}
