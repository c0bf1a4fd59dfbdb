/**
 * Calls the user's f(t, y) for the solvers: converts solver time to the caller's time,
 * releases f's temporaries, checks the output's shape and dtype, traces non-finite values
 * back to the evaluation that produced them (verify), and counts evaluations. A generator,
 * so that the same solver code can run synchronously or yield to
 * the event loop after every evaluation (odeint.ts: odeint and odeintAsync).
 */
import { Tensor } from '../tensor';
import { tidy, scope, currentScope } from '../scope';
import { ShapeError, DTypeError } from '../errors';
import { describe } from '../validate';
import { allFinite } from '../kernels';
import { nextAfter, rounder, type Round, type TimeDType } from './time';
import { SolverError } from './solver-error';
import type { State } from './state';

/**
 * dy/dt = f(t, y). t is a plain JS number (float64, or float32-rounded when the state is
 * float32); y is a Tensor, or an array of Tensors when y0 is a tuple, and f returns the same
 * structure. f must not keep y: the solver releases it when the step is done.
 */
export type OdeFunction = ((t: number, y: Tensor) => Tensor) | ((t: number, y: Tensor[]) => Tensor[]);

/**
 * An f for odeintAsync, which may also return a Promise: a model evaluation running off the
 * main thread (Module.forwardAsync). Whatever it creates while it runs is released when it
 * settles, except what it returns.
 */
export type AsyncOdeFunction =
  | ((t: number, y: Tensor) => Tensor | Promise<Tensor>)
  | ((t: number, y: Tensor[]) => Tensor[] | Promise<Tensor[]>);

/** Nudge of a stage time by one ulp: 'prev' just before, 'next' just after. */
export type Perturb = 'prev' | 'next' | null;

export class Evaluator {
  nfe = 0;
  /** The caller's time of the latest evaluation. */
  lastTime = NaN;
  /** Evaluations since the last verify(), in order. */
  private readonly unverified: { out: State; time: number; nfe: number }[] = [];
  private readonly toStateTime: Round;
  private readonly stateTime: TimeDType;
  /** The evaluation in flight (allowAsync only): the driver awaits it, then calls settle(). */
  pending: Promise<unknown> | undefined;
  /** Whether the latest evaluation returned a Promise (else the driver yields to the event loop itself). */
  lastWasAsync = false;
  private settled: unknown;

  constructor(
    private readonly f: OdeFunction,
    private readonly tuple: boolean,
    /** +1 when the caller's time increases, −1 when it decreases (solver time is then −t). */
    readonly direction: 1 | -1,
    private readonly shapes: number[][],
    private readonly dtypes: string[],
    /** odeintAsync: f may return a Promise, awaited by the driver between generator steps. */
    private readonly allowAsync = false,
  ) {
    this.stateTime = dtypes[0] === 'float32' ? 'float32' : 'float64';
    this.toStateTime = rounder(this.stateTime);
  }

  /** The caller's time for solver time tau. */
  userTime(tau: number): number {
    return this.direction * tau;
  }

  *call(tau: number, y: State, perturb: Perturb = null): Generator<void, State> {
    // torchdiffeq hands f its time in the state's dtype, nudged within that dtype.
    let t = this.toStateTime(tau);
    if (perturb !== null) t = nextAfter(t, perturb === 'prev' ? -1 : 1, this.stateTime);
    const time = this.userTime(t);
    this.nfe++;
    this.lastTime = time;
    const out = this.allowAsync ? yield* this.callAsync(time, y) : tidy(() => {
      const scope = currentScope();
      const raw: unknown = this.tuple ? (this.f as (t: number, y: Tensor[]) => Tensor[])(time, y) : (this.f as (t: number, y: Tensor) => Tensor)(time, y[0]);
      if (raw instanceof Promise) {
        raw.catch(() => {});
        throw new SolverError('ERR_UNSUPPORTED', `f returned a Promise at t = ${time}: an async f needs odeintAsync`, time);
      }
      const list = this.checkStructure(raw, time);
      // f may hand back a tensor it does not own (its input, a captured constant): the
      // solver releases what f returns, so such a tensor is copied first.
      return list.map((r) => (scope !== undefined && scope.tracked.includes(r) && !r._kept ? r : r.clone()));
    });
    this.unverified.push({ out, time, nfe: this.nfe });
    if (!this.allowAsync) yield;
    return out;
  }

  /** The driver's half of an async evaluation: hands over what `pending` resolved to. */
  settle(value: unknown): void {
    this.pending = undefined;
    this.settled = value;
  }

  /**
   * f called in a scope of its own that outlives the generator step: the driver awaits
   * `pending` (f's temporaries are released when it settles) and resumes the generator.
   * What f returns survives into the solve's scope; anything f did not create there (its
   * input, a captured or kept tensor) is copied, as in the synchronous path.
   */
  private *callAsync(time: number, y: State): Generator<void, State> {
    const solveScope = currentScope();
    const mark = solveScope?.tracked.length ?? 0;
    this.lastWasAsync = false;
    this.pending = scope(() => {
      const raw: unknown = this.tuple ? (this.f as (t: number, y: Tensor[]) => unknown)(time, y) : (this.f as (t: number, y: Tensor) => unknown)(time, y[0]);
      this.lastWasAsync = raw instanceof Promise;
      return raw;
    });
    yield;
    const raw = this.settled;
    this.settled = undefined;
    const list = this.checkStructure(raw, time);
    return list.map((r) => (solveScope !== undefined && solveScope.tracked.lastIndexOf(r) >= mark && !r._kept ? r : r.clone()));
  }

  /**
   * Called by the solvers once per step with whether a quantity that every evaluation since
   * the last call feeds into (the error ratio, the new state) came out finite. A NaN or Inf
   * in any stage poisons it (stage sums keep zero weights, and 0·NaN is NaN), so one check
   * per step replaces one per evaluation. When it is not finite, the first evaluation that
   * returned a non-finite value is reported with its time; if none did (an overflow in the
   * solver's own arithmetic), the solver carries on as the controller decides.
   */
  verify(finite: boolean): void {
    if (!finite) {
      for (const e of this.unverified) {
        for (let c = 0; c < e.out.length; c++) {
          if (!e.out[c].isDisposed && !allFinite(e.out[c])) {
            this.unverified.length = 0;
            const which = this.tuple ? `component ${c} of ` : '';
            throw new SolverError('ERR_NON_FINITE', `f returned NaN or infinite values in ${which}dy/dt at t = ${e.time} (function evaluation ${e.nfe})`, e.time);
          }
        }
      }
    }
    this.unverified.length = 0;
  }

  private checkStructure(raw: unknown, time: number): Tensor[] {
    const where = `the output of f at t = ${time}`;
    let list: unknown[];
    if (this.tuple) {
      if (!Array.isArray(raw) || raw.length !== this.shapes.length) {
        throw new ShapeError('ERR_SHAPE', `Expected an array of ${this.shapes.length} Tensors (one per component of y) for ${where} but received ${describe(raw)}`);
      }
      list = raw;
    } else {
      list = [raw];
    }
    return list.map((r, c) => {
      const name = this.tuple ? `component ${c} of ${where}` : where;
      if (!(r instanceof Tensor)) throw new ShapeError('ERR_SHAPE', `Expected a Tensor for ${name} but received ${describe(r)}`);
      const shape = r.shape;
      const expected = this.shapes[c];
      if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
        throw new ShapeError('ERR_SHAPE', `Expected dy/dt of shape [${expected}] (the shape of y) for ${name} but received shape [${shape}]`);
      }
      if (r.dtype !== this.dtypes[c]) {
        throw new DTypeError('ERR_DTYPE', `Expected dy/dt of dtype ${this.dtypes[c]} (the dtype of y) for ${name} but received ${r.dtype}`);
      }
      return r;
    });
  }
}
