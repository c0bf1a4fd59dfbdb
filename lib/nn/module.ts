/**
 * Module: a native model (MLP, ADM U-Net) seen from TypeScript. The network lives in C++,
 * so forward() is one native call however deep it is; parameters() hands out tensors that
 * share storage and gradients with the model, so optimizers written against plain tensors
 * train it.
 */
import { type NativeForwardArgs, native } from '../native';
import { type ClosedFormDraw, drawArguments } from '../kernels';
import { type ConversionTarget, resolveTarget } from '../conversion-target';
import { Tensor, asTensor } from '../tensor';
import { keep } from '../scope';
import { dtypeCode } from '../dtype';
import { ArgumentError, DisposedError, ShapeError } from '../errors';
import { checkBool, checkOptions, fail, isInt } from '../validate';
import { loadSafetensors, saveSafetensors } from '../io/safetensors';
import type { Conditioning } from './velocity-model';
import { runForwardJob } from './forward-queue';


export interface ForwardOptions {
  /**
   * Runs the forward pass under autocast in this precision (bfloat16 on CPU; float16 or
   * bfloat16 on CUDA). The result is cast back to x's dtype.
   */
  autocast?: 'bfloat16' | 'float16';
}

export interface LoadStateDictOptions {
  /** Require exactly the model's parameter names (default true); shapes must always match. */
  strict?: boolean;
}

export interface LoadReport {
  /** Model parameters the dict did not have (only when strict is false). */
  missing: string[];
  /** Dict entries the model does not have (only when strict is false). */
  unexpected: string[];
}

/** Meets the VelocityModel contract of lib/nn/velocity-model.ts (forward(x, t, conditioning)). */
export class Module<C = unknown> {
  /** The normalized configuration the model was built from. */
  readonly config: C;
  private id: number;
  private named: Map<string, Tensor> | undefined;

  /** @internal Wraps a native model id; use createMLP() / createUNet(). */
  constructor(id: number, config: C) {
    // The native model table hands out positive integer ids; anything else would reach C++ as garbage.
    if (!isInt(id) || id < 1) fail('a native model id (use createMLP() or createUNet())', 'id', id);
    if (config === null || typeof config !== 'object') fail('the resolved model config', 'config', config);
    this.id = id;
    this.config = config;
  }

  private live(what: string): number {
    if (this.id === 0) throw new DisposedError('ERR_DISPOSED', `Cannot ${what}: the module was disposed`);
    return this.id;
  }

  // ---- forward ----------------------------------------------------------------------

  /** v(x, t): x [N, ...], t float [N] (or one value shared by the batch). */
  forward(x: Tensor, t: Tensor, conditioning: Conditioning = {}, opts: ForwardOptions = {}): Tensor {
    return new Tensor(native.modelForward(...this.forwardArgs(x, t, conditioning, opts)));
  }

  /**
   * @internal mseLoss(forward(x, t, conditioning), target) as one native call: the CFM loss's hot
   * path (lib/losses/cfm.ts), with forward()'s checks and the loss's shape check.
   */
  forwardMseLoss(x: Tensor, t: Tensor, conditioning: Conditioning, target: Tensor): Tensor {
    const args = this.forwardArgs(x, t, conditioning, {});
    const want = x.shape;
    const got = asTensor(target, 'target').shape;
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new ShapeError('ERR_SHAPE', `mseLoss: input shape [${want}] and target shape [${got}] differ`);
    }
    return new Tensor(native.modelMseLoss(...args, target._h));
  }

  /**
   * @internal The CFM loss mseLoss(forward(x_t, t, conditioning), u_t) of one training draw along a
   * built-in schedule, draw included, as one native call (lib/losses/cfm.ts's hot path): the
   * bits and generator use of affineTrainingDraw followed by forwardMseLoss.
   */
  cfmLossOfDraw(draw: ClosedFormDraw, conditioning: Conditioning): Tensor {
    const id = this.live('run forward');
    const [labels, lowRes] = this.conditioningArgs(conditioning);
    return new Tensor(native.modelCfmLoss(id, ...drawArguments(draw, 'cfmLoss'), labels, lowRes));
  }

  /**
   * forward() on the libuv thread pool, so a server keeps answering while the model runs.
   * Grad mode is the caller's at the time of the call. Do not update the parameters (an
   * optimizer step) while it is in flight.
   */
  async forwardAsync(x: Tensor, t: Tensor, conditioning: Conditioning = {}, opts: ForwardOptions = {}): Promise<Tensor> {
    const args = this.forwardArgs(x, t, conditioning, opts);
    const handle = await runForwardJob((threads) => native.modelForwardAsync(...args, threads));
    return new Tensor(handle);
  }

  /**
   * @internal One pool job for several forwards (the batched sampler's evaluations): each
   * entry runs as its own forward on its own rows, so its bits never depend on the others.
   * Without grad; conditioning is given for every entry or for none.
   */
  async forwardManyAsync(entries: { x: Tensor; t: Tensor; conditioning?: Conditioning }[]): Promise<Tensor[]> {
    const checked = entries.map((e) => this.forwardArgs(e.x, e.t, e.conditioning ?? {}, {}));
    const column = (i: 3 | 4): number[] | null => {
      const values = checked.map((c) => c[i]);
      if (values.every((v) => v === null)) return null;
      if (values.some((v) => v === null)) fail('conditioning for every entry or for none', 'entries', 'a mix');
      return values as number[];
    };
    const args = [this.live('run forward'), checked.map((c) => c[1]), checked.map((c) => c[2]), column(3), column(4), null] as const;
    // Without grad whatever the mode where the round happens to start: a graph would hold every activation.
    const handles = await runForwardJob((threads) => native.modelForwardManyAsync(...args, threads), false);
    return handles.map((h) => new Tensor(h));
  }

  /**
   * @internal v(x, t) and its divergence per sample in one pool job, with grad on inside it:
   * exact (one VJP per element of a sample) without probes, Hutchinson's estimate with them,
   * in lib/likelihood/divergence.ts's order of operations. Both come back detached.
   */
  async velocityDivergenceAsync(x: Tensor, t: Tensor, conditioning: Conditioning = {}, probes: Tensor[] | null = null): Promise<[Tensor, Tensor]> {
    const args = this.forwardArgs(x, t, conditioning, {});
    const probeHandles = probes === null ? null : probes.map((p, i) => asTensor(p, `probes[${i}]`)._h);
    const [v, div] = await runForwardJob((threads) => native.modelDivergenceAsync(...args, threads, probeHandles));
    return [new Tensor(v), new Tensor(div)];
  }

  private forwardArgs(x: Tensor, t: Tensor, conditioning: Conditioning, opts: ForwardOptions): NativeForwardArgs {
    const id = this.live('run forward');
    asTensor(x, 'x');
    asTensor(t, 't');
    const [labels, lowRes] = this.conditioningArgs(conditioning);
    if (opts === null || typeof opts !== 'object') fail('an options object', 'opts', opts);
    const xShape = x.shape;
    const tShape = t.shape;
    const tCount = tShape.reduce((a, b) => a * b, 1);
    if (tShape.length > 1 || (tCount !== 1 && tCount !== xShape[0])) {
      throw new ShapeError('ERR_SHAPE', `Expected t of shape [${xShape[0]}] (one time per sample) or a single value for t but received shape [${tShape.join(', ')}]`);
    }
    let autocast: number | null = null;
    if (opts.autocast !== undefined) {
      if (opts.autocast !== 'bfloat16' && opts.autocast !== 'float16') fail("'bfloat16' or 'float16'", 'opts.autocast', opts.autocast);
      autocast = dtypeCode(opts.autocast);
    }
    return [id, x._h, t._h, labels, lowRes, autocast];
  }

  /** The conditioning's label and low-resolution handles, checked against what this model takes. */
  private conditioningArgs(conditioning: Conditioning): [labels: number | null, lowRes: number | null] {
    if (conditioning === null || typeof conditioning !== 'object') fail('a conditioning object {labels?, lowRes?}', 'conditioning', conditioning);
    const labels = conditioning.labels === undefined ? null : asTensor(conditioning.labels, 'conditioning.labels');
    const lowRes = conditioning.lowRes === undefined ? null : asTensor(conditioning.lowRes, 'conditioning.lowRes');
    this.checkConditioning(labels, lowRes);
    if (labels !== null && labels.dtype !== 'int64' && labels.dtype !== 'int32') {
      throw new ArgumentError(`Expected an int64 tensor for conditioning.labels but received a ${labels.dtype} tensor`);
    }
    return [labels === null ? null : labels._h, lowRes === null ? null : lowRes._h];
  }

  /**
   * What this model is conditioned on, checked before each forward; conditioning a model
   * does not use is an error, never silently ignored. Subclasses say what they take.
   */
  protected checkConditioning(labels: Tensor | null, lowRes: Tensor | null): void {
    if (labels !== null) fail('no labels (this model is unconditional)', 'conditioning.labels', labels, 'ERR_CONDITIONING');
    if (lowRes !== null) fail('no lowRes (this model takes no conditioning image)', 'conditioning.lowRes', lowRes, 'ERR_CONDITIONING');
  }

  /**
   * @internal Swaps in another native model (built from `config`) with this one's dtype,
   * device and training mode; the old model and its parameter handles are released.
   */
  protected replaceModel(id: number, config: C): void {
    const old = this.live('replace the model');
    try {
      const first = this.parameters()[0];
      if (first !== undefined) native.modelTo(id, dtypeCode(first.dtype), first.device);
      native.modelSetTraining(id, native.modelIsTraining(old));
    } catch (e) {
      native.modelRelease(id);
      throw e;
    }
    this.dispose();
    this.id = id;
    (this as { config: C }).config = config;
  }

  // ---- modes and placement ----------------------------------------------------------------

  /** Training mode (dropout active). */
  train(mode = true): this {
    native.modelSetTraining(this.live('set training mode'), checkBool(mode, 'mode'));
    return this;
  }
  /** Evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }
  get training(): boolean {
    return native.modelIsTraining(this.live('read training mode'));
  }

  /** Moves the parameters in place; tensors from parameters() stay attached to the model. */
  to(target: ConversionTarget): this {
    const { dtype, device } = resolveTarget(target);
    native.modelTo(this.live('move the module'), dtype, device);
    // The parameter handles now hold converted tensors.
    if (this.named !== undefined) for (const p of this.named.values()) p._invalidate();
    return this;
  }

  // ---- parameters -------------------------------------------------------------------

  private parameterMap(): Map<string, Tensor> {
    const id = this.live('read parameters');
    if (this.named === undefined) {
      const [names, handles] = native.modelParameters(id);
      // Owned by the module (released by dispose()), never by the scope they are read in.
      this.named = new Map(names.map((name, i) => [name, keep(new Tensor(handles[i]))]));
    }
    return this.named;
  }

  /** The parameters, sharing storage and .grad with the model (do not dispose them). */
  parameters(): Tensor[] {
    return [...this.parameterMap().values()];
  }

  /** [name, parameter] pairs in the model's registration order (PyTorch's named_parameters). */
  namedParameters(): [string, Tensor][] {
    return [...this.parameterMap().entries()];
  }

  numParameters(): number {
    let total = 0;
    for (const p of this.parameterMap().values()) total += p.numel;
    return total;
  }

  /** name → detached tensor sharing storage with the parameter (PyTorch's state_dict). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, p] of this.parameterMap()) out[name] = p.detach();
    return out;
  }

  /**
   * Copies values into the parameters. Shapes must match; with strict (the default) the
   * names must match exactly. The error lists every name that is missing, unexpected or
   * of another shape.
   */
  loadStateDict(dict: Record<string, Tensor> | Map<string, Tensor>, opts: LoadStateDictOptions = {}): LoadReport {
    const strict = checkOptions(opts, 'opts').strict === undefined ? true : checkBool(opts.strict, 'opts.strict');
    if (dict === null || typeof dict !== 'object') fail('a record of tensors', 'dict', dict);
    const entries: [string, Tensor][] = dict instanceof Map ? [...dict.entries()] : Object.entries(dict);
    const params = this.parameterMap();
    const given = new Set<string>();
    const mismatched: string[] = [];
    const names: string[] = [];
    const handles: number[] = [];
    for (const [name, value] of entries) {
      asTensor(value, `dict['${name}']`);
      given.add(name);
      const p = params.get(name);
      if (p === undefined) continue;
      const want = p.shape;
      const have = value.shape;
      if (want.length !== have.length || want.some((d, i) => d !== have[i])) {
        mismatched.push(`${name} (model [${want.join(', ')}], given [${have.join(', ')}])`);
      } else {
        names.push(name);
        handles.push(value._h);
      }
    }
    const missing = [...params.keys()].filter((n) => !given.has(n));
    const unexpected = [...given].filter((n) => !params.has(n));
    const problems: string[] = [];
    if (mismatched.length > 0) problems.push(`shapes differ: ${mismatched.join('; ')}`);
    if (strict && missing.length > 0) problems.push(`missing: ${missing.join(', ')}`);
    if (strict && unexpected.length > 0) problems.push(`unexpected: ${unexpected.join(', ')}`);
    if (problems.length > 0) {
      throw new ShapeError('ERR_STATE_MISMATCH', `loadStateDict: the state dict does not fit the model (${problems.join('; ')})`);
    }
    native.modelAssign(this.live('load a state dict'), names, handles);
    return { missing, unexpected };
  }

  /** Writes the parameters to a safetensors file (names and dtypes as they are). */
  save(path: string): void {
    const dict = this.stateDict();
    try {
      saveSafetensors(path, dict);
    } finally {
      for (const t of Object.values(dict)) t.dispose();
    }
  }

  /** Loads parameters from a safetensors file (strict by default). */
  load(path: string, opts: LoadStateDictOptions = {}): LoadReport {
    const dict = loadSafetensors(path);
    try {
      return this.loadStateDict(dict, opts);
    } catch (e) {
      if (e instanceof ShapeError) throw new ShapeError(e.code, `${e.message} in ${path}`);
      throw e;
    } finally {
      for (const t of Object.values(dict)) t.dispose();
    }
  }

  /** Releases the model and its parameter handles. Idempotent. */
  dispose(): void {
    if (this.id === 0) return;
    if (this.named !== undefined) for (const p of this.named.values()) p.dispose();
    this.named = undefined;
    native.modelRelease(this.id);
    this.id = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- the batch-invariant serving forward (native/batch_invariant_linear.cpp) -------------

  /** @internal Whether forwardBatchInvariant / forwardMergedAsync can run this model (a CPU float32 MLP, silu or relu). */
  supportsMergedForward(): boolean {
    return native.modelSupportsMergedForward(this.live('run forward'));
  }

  /**
   * @internal v(x, t) without grad, each row's bits independent of the other rows in the
   * batch (the batched sampler's merged rounds). A different rounding from forward()'s.
   */
  forwardBatchInvariant(x: Tensor, t: Tensor): Tensor {
    return new Tensor(native.modelForwardBatchInvariant(this.live('run forward'), asTensor(x, 'x')._h, asTensor(t, 't')._h));
  }

  /** @internal Several evaluations as ONE batch-invariant forward over their rows, one pool job. */
  async forwardMergedAsync(entries: { x: Tensor; t: Tensor }[]): Promise<Tensor[]> {
    const id = this.live('run forward');
    const xs = entries.map((e, i) => asTensor(e.x, `entries[${i}].x`)._h);
    const ts = entries.map((e, i) => asTensor(e.t, `entries[${i}].t`)._h);
    const handles = await runForwardJob((threads) => native.modelForwardMergedAsync(id, xs, ts, threads), false);
    return handles.map((h) => new Tensor(h));
  }
}

/** Reads a config object that may mix camelCase and snake_case keys, refusing unknown keys. */
export function configReader(config: unknown, name: string, known: readonly string[]): (key: string) => unknown {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) fail('a config object', name, config);
  const record = config as Record<string, unknown>;
  const snake = (key: string) => key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  for (const key of Object.keys(record)) {
    if (!known.includes(snake(key))) throw new ArgumentError(`Unknown key '${key}' in ${name} (known: ${known.join(', ')})`);
  }
  return (key: string) => {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (record[key] !== undefined && record[camel] !== undefined && camel !== key) {
      throw new ArgumentError(`${name} gives both '${key}' and '${camel}'`);
    }
    return record[key] ?? record[camel];
  };
}
