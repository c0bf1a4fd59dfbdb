/**
 * The optimizer base: a parameter list, a learning rate, and per-parameter state held in
 * tensors this optimizer owns. step() is one native call over all parameters.
 */
import { type ParameterGroupId, native } from '../native';
import { Tensor, asTensor } from '../tensor';
import { keep } from '../scope';
import { ArgumentError, DisposedError, ShapeError } from '../errors';
import { checkNumber, fail } from '../validate';
import { type ParameterSource, handles, parameterList } from './params';

/** Optimizer state as plain data: tensors (safetensors-ready) and numbers. */
export interface OptimizerState {
  /** `state.<i>.<name>` for parameter i, e.g. state.0.exp_avg. */
  tensors: Record<string, Tensor>;
  /** Hyper-parameters and counters, e.g. lr, beta1. */
  numbers: Record<string, number>;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  protected lrValue: number;
  private disposed = false;
  // The parameters and state lists as one native group (0 until first used: a subclass's
  // state exists only after super()). It holds the tensors until dispose().
  private groupId = 0;

  constructor(params: ParameterSource, lr: number) {
    this.params = parameterList(params);
    this.lrValue = checkNumber(lr, 'lr', { finite: true });
    if (lr < 0) fail('a learning rate ≥ 0', 'lr', lr);
  }

  get lr(): number {
    return this.lrValue;
  }
  /** Sets the learning rate for the next steps (schedules call this each step). */
  setLR(lr: number): void {
    checkNumber(lr, 'lr', { finite: true });
    if (lr < 0) fail('a learning rate ≥ 0', 'lr', lr);
    this.lrValue = lr;
  }

  /** Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    native.zeroGrad(this.group('zeroGrad'));
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.update(this.group('step'));
  }

  /**
   * The native group, checked: a disposed optimizer or parameter handle is refused, as if
   * its handles were passed again.
   */
  private group(what: string): ParameterGroupId {
    if (this.disposed) throw new DisposedError('ERR_DISPOSED', `Cannot ${what}: the optimizer was disposed`);
    for (let i = 0; i < this.params.length; i++) {
      if (this.params[i]._h === 0) throw new DisposedError('ERR_DISPOSED', `Cannot ${what}: parameter ${i} is a disposed tensor`);
    }
    if (this.groupId === 0) {
      const [a = null, b = null, c = null] = this.groupState().map(handles);
      this.groupId = native.parameterGroupCreate(handles(this.params), a, b, c);
    }
    return this.groupId;
  }

  /** The id of the native group whose tensors a step updates. */
  protected abstract update(group: ParameterGroupId): void;
  /** The per-parameter state lists in the order the native step reads them. */
  protected abstract groupState(): Tensor[][];
  /** The state tensors per parameter, by name. */
  protected abstract stateTensors(): Record<string, Tensor[]>;
  protected abstract numbers(): Record<string, number>;
  protected abstract setNumbers(numbers: Record<string, number>): void;

  /** Copies of the state (the caller owns them), ready for saveSafetensors. */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    for (const [name, list] of Object.entries(this.stateTensors())) {
      list.forEach((t, i) => (tensors[`state.${i}.${name}`] = t.clone()));
    }
    return { tensors, numbers: { lr: this.lrValue, ...this.numbers() } };
  }

  /** Restores state saved by stateDict(); every tensor must be present with its shape. */
  loadStateDict(state: OptimizerState): void {
    if (state === null || typeof state !== 'object' || typeof state.tensors !== 'object' || typeof state.numbers !== 'object') {
      fail('{tensors, numbers} from stateDict()', 'state', state);
    }
    const targets = this.stateTensors();
    const problems: string[] = [];
    for (const [name, list] of Object.entries(targets)) {
      list.forEach((t, i) => {
        const key = `state.${i}.${name}`;
        const source = state.tensors[key];
        if (source === undefined) problems.push(`missing ${key}`);
        else if (asTensor(source, `state.tensors['${key}']`).shape.join(',') !== t.shape.join(',')) {
          problems.push(`${key} has shape [${source.shape}], expected [${t.shape}]`);
        }
      });
    }
    if (problems.length > 0) throw new ShapeError('ERR_STATE_MISMATCH', `loadStateDict: the optimizer state does not fit (${problems.join('; ')})`);
    for (const [name, list] of Object.entries(targets)) {
      list.forEach((t, i) => t.copy_(state.tensors[`state.${i}.${name}`]));
    }
    const lr = state.numbers.lr;
    if (lr !== undefined) this.setLR(lr);
    this.setNumbers(state.numbers);
  }

  /** Releases the state tensors and the native group (not the parameters). */
  dispose(): void {
    if (this.disposed) return;
    for (const list of Object.values(this.stateTensors())) for (const t of list) t.dispose();
    if (this.groupId !== 0) native.parameterGroupRelease(this.groupId);
    this.groupId = 0;
    this.disposed = true;
  }
}

/** Zero tensors shaped like each parameter, owned by the optimizer (not by any scope). */
export function zerosLikeEach(params: Tensor[]): Tensor[] {
  const list = native.zerosLikeList(handles(params));
  return list.map((h) => keep(new Tensor(h)));
}

export function checkBeta(value: unknown, name: string): number {
  const b = checkNumber(value, name, { finite: true });
  if (b < 0 || b >= 1) throw new ArgumentError(`Expected a number in [0, 1) for ${name} but received ${b}`);
  return b;
}
