/**
 * Exponential moving average of weights: after each optimizer step, shadow ← d·shadow +
 * (1 − d)·param, one native call for all parameters. With warm-up (the default) the decay
 * at update k (0-based) is min(decay, (1 + k) / (10 + k)), so early shadows follow the
 * fast-moving weights instead of remembering the random initialisation; without it, d is
 * always `decay`.
 */
import { native } from '../native';
import { Tensor } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../autograd';
import { ShapeError } from '../errors';
import { checkBool, checkInt, checkNumber, checkOptions, fail } from '../validate';
import { type ParameterSource, handles, parameterList } from './params';
import type { OptimizerState } from './optimizer';

export interface EMAOptions {
  /** Default 0.9999. */
  decay?: number;
  /** Default true: decay min(decay, (1 + k) / (10 + k)) at update k. */
  warmup?: boolean;
}

export class EMA {
  readonly decay: number;
  readonly warmup: boolean;
  private readonly source: Tensor[];
  private readonly shadow: Tensor[];
  private updates = 0;

  constructor(source: ParameterSource, options: EMAOptions = {}) {
    const opts = checkOptions(options, 'options');
    this.source = parameterList(source, 'source', false);
    this.decay = checkNumber(opts.decay ?? 0.9999, 'decay', { finite: true });
    if (this.decay < 0 || this.decay > 1) fail('a decay in [0, 1]', 'decay', this.decay);
    this.warmup = checkBool(opts.warmup ?? true, 'warmup');
    // Under noGrad a clone is already detached; a detach() first would be one more handle, never freed.
    this.shadow = noGrad(() => this.source.map((p) => keep(p.clone())));
  }

  /** The decay used at update k (0-based). */
  decayAt(k: number): number {
    checkInt(k, 'k', 0);
    return this.warmup ? Math.min(this.decay, (1 + k) / (10 + k)) : this.decay;
  }

  /** Updates of the shadow so far. */
  get steps(): number {
    return this.updates;
  }

  /** Moves the shadow towards the current weights; returns the decay it used. */
  update(): number {
    const d = this.decayAt(this.updates);
    native.emaUpdate(handles(this.shadow), handles(this.source), d);
    this.updates += 1;
    return d;
  }

  /** The averaged weights (owned by the EMA: do not dispose them). */
  parameters(): Tensor[] {
    return this.shadow.slice();
  }

  /** Copies the averaged weights into `target` (a module or tensors in the source's order). */
  copyTo(target: ParameterSource): void {
    const list = parameterList(target, 'target', false);
    if (list.length !== this.shadow.length) {
      throw new ShapeError('ERR_SHAPE', `Expected ${this.shadow.length} parameters for target but received ${list.length}`);
    }
    noGrad(() => list.forEach((p, i) => p.copy_(this.shadow[i])));
  }

  /** Copies of the shadow (`shadow.<i>`) and the update count, for checkpoints. */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.shadow.forEach((t, i) => (tensors[`shadow.${i}`] = t.clone()));
    return { tensors, numbers: { decay: this.decay, steps: this.updates } };
  }

  loadStateDict(state: OptimizerState): void {
    if (state === null || typeof state !== 'object' || typeof state.tensors !== 'object') fail('{tensors, numbers} from stateDict()', 'state', state);
    const problems: string[] = [];
    this.shadow.forEach((t, i) => {
      const source = state.tensors[`shadow.${i}`];
      if (source === undefined) problems.push(`missing shadow.${i}`);
      else if (source.shape.join(',') !== t.shape.join(',')) problems.push(`shadow.${i} has shape [${source.shape}], expected [${t.shape}]`);
    });
    if (problems.length > 0) throw new ShapeError('ERR_STATE_MISMATCH', `loadStateDict: the EMA state does not fit (${problems.join('; ')})`);
    this.shadow.forEach((t, i) => t.copy_(state.tensors[`shadow.${i}`]));
    this.updates = checkInt(state.numbers?.steps ?? this.updates, 'state.numbers.steps', 0);
  }

  dispose(): void {
    for (const t of this.shadow) t.dispose();
  }
}
