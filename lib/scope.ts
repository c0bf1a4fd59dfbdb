/**
 * Deterministic tensor lifetimes. Tensors are released by dispose(), by `using`, or by the
 * end of the scope they were created in. Correctness never depends on the garbage
 * collector: finalizers do not run inside a synchronous loop, and a GC-finalized object per
 * result costs several times the op itself (benchmarks/op-overhead.js measures the handles).
 *
 * - tidy(fn): synchronous scope.
 * - scope(async fn): the same across `await`; each async call chain sees its own scope
 *   (AsyncLocalStorage), so concurrent tasks never release each other's tensors.
 * - keep(t): t outlives every enclosing scope.
 * Whatever the scope function returns (a tensor, or tensors inside arrays / plain
 * objects) is handed to the enclosing scope instead of being released.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { native } from './native';
import { checkFunction } from './validate';
import { ArgumentError } from './errors';

/** What a scope needs from a tensor; Tensor implements it. */
export interface Trackable {
  _h: number;
  _kept: boolean;
  dispose(): void;
}

export class Scope {
  readonly tracked: Trackable[] = [];
  track(t: Trackable): void {
    this.tracked.push(t);
  }
  /** Releases every tracked tensor except those in `survivors`, which move to `parent`. */
  close(survivors: Set<Trackable>, parent: Scope | undefined): void {
    const release: number[] = [];
    for (const t of this.tracked) {
      if (t._h === 0) continue;
      if (survivors.has(t)) {
        parent?.track(t);
      } else if (!t._kept) {
        release.push(t._h);
        t._h = 0;
      }
    }
    this.tracked.length = 0;
    if (release.length > 0) native.releaseMany(release);
  }
}

const syncStack: Scope[] = [];
let asyncStorage: AsyncLocalStorage<Scope> | undefined;

/**
 * The scope a new tensor belongs to. A synchronous tidy() never yields, so a non-empty
 * sync stack always belongs to the code running right now.
 */
export function currentScope(): Scope | undefined {
  if (syncStack.length > 0) return syncStack[syncStack.length - 1];
  return asyncStorage?.getStore();
}

function collect(value: unknown, into: Set<Trackable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if ('_h' in value && '_kept' in value) {
    into.add(value as Trackable);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
  } else if (isRecord(value) || value instanceof Map) {
    for (const v of value instanceof Map ? value.values() : Object.values(value)) collect(v, into, depth + 1);
  }
}

/** A plain record: an object literal, or one without a prototype (as loadSafetensors returns). */
function isRecord(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Runs `fn` synchronously; tensors it creates are released when it returns, except what it returns. */
export function tidy<T>(fn: () => T): T {
  checkFunction(fn, 'fn');
  const parent = currentScope();
  const s = new Scope();
  syncStack.push(s);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    syncStack.pop();
    s.close(new Set(), parent);
    throw e;
  }
  syncStack.pop();
  if (result instanceof Promise) {
    s.close(new Set(), parent);
    throw new ArgumentError('tidy() takes a synchronous function; use scope() for async functions');
  }
  const survivors = new Set<Trackable>();
  collect(result, survivors);
  s.close(survivors, parent);
  return result;
}

/** Like tidy(), for async functions: the scope follows its own async call chain across `await`. */
export async function scope<T>(fn: () => Promise<T> | T): Promise<T> {
  checkFunction(fn, 'fn');
  asyncStorage ??= new AsyncLocalStorage<Scope>();
  const parent = currentScope();
  const s = new Scope();
  let result: T;
  try {
    result = await asyncStorage.run(s, fn);
  } catch (e) {
    s.close(new Set(), parent);
    throw e;
  }
  const survivors = new Set<Trackable>();
  collect(result, survivors);
  s.close(survivors, parent);
  return result;
}

/** Marks tensors to outlive every enclosing scope; they must then be disposed explicitly. */
export function keep<T>(value: T): T {
  const found = new Set<Trackable>();
  collect(value, found);
  for (const t of found) t._kept = true;
  return value;
}

/** Disposes every tensor inside `value` (a tensor, or arrays / plain objects of them). */
export function dispose(value: unknown): void {
  const found = new Set<Trackable>();
  collect(value, found);
  for (const t of found) t.dispose();
}
