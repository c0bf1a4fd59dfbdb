/**
 * Argument checks with messages in one form: "Expected <what> for <name> but received <value>".
 */
import { ArgumentError, type CodeOf, ShapeError } from './errors';

/**
 * The most dims a tensor, a shape or a dims list may have (native/args.h kMaxDims checks
 * every tensor handed out): per-op costs grow with the dim count, and 64 is NumPy 2's limit.
 */
export const MAX_DIMS = 64;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 6).map(describe).join(', ');
    return `[${shown}${value.length > 6 ? ', …' : ''}]`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return String(value);
}

export function fail(what: string, name: string, value: unknown, code?: CodeOf<'ArgumentError'>): never {
  throw new ArgumentError(`Expected ${what} for ${name} but received ${describe(value)}`, code);
}

export function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

export function checkInt(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (!isInt(value) || value < min || value > max) {
    const range = min > -Infinity ? (max < Infinity ? ` in [${min}, ${max}]` : ` ≥ ${min}`) : '';
    fail(`an integer${range}`, name, value);
  }
  return value;
}

export function checkNumber(value: unknown, name: string, opts: { finite?: boolean; positive?: boolean } = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value) || (opts.finite && !Number.isFinite(value)) || (opts.positive && !(value > 0))) {
    fail(`a ${opts.positive ? 'positive ' : ''}${opts.finite ? 'finite ' : ''}number`, name, value);
  }
  return value;
}

export function checkBool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') fail('a boolean', name, value);
  return value;
}

/**
 * A plain copy of an array argument, each entry read once (undefined when it is no array).
 * Getters and Proxy traps then run here, before validation, and the native call gets the
 * values that were checked.
 */
export function plainArray(value: unknown, name: string, maxLength = MAX_DIMS): unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const length: unknown = value.length;
  if (typeof length !== 'number' || !(length <= maxLength)) {
    throw new ShapeError('ERR_SHAPE', `Expected at most ${maxLength} entries for ${name} but received ${typeof length === 'number' ? length : describe(length)}`);
  }
  const out: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) out[i] = value[i];
  return out;
}

/** A shape: an array of non-negative finite integers (a single integer is a 1-D shape), at most MAX_DIMS long. */
export function checkShape(value: unknown, name = 'shape', maxLength = MAX_DIMS): number[] {
  const shape = typeof value === 'number' ? [value] : plainArray(value, name, maxLength);
  if (shape === undefined || !shape.every((d) => isInt(d) && d >= 0)) {
    fail('a shape (an array of non-negative integers)', name, value, 'ERR_SHAPE');
  }
  return shape as number[];
}

/** One dim or a list of at most MAX_DIMS dims (each an integer; libtorch checks the range against ndim). */
export function checkDims(value: unknown, name = 'dim'): number[] {
  const dims = typeof value === 'number' ? [value] : plainArray(value, name);
  if (dims === undefined || !dims.every(isInt)) fail('an integer or an array of integers', name, value);
  return dims as number[];
}

export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, value);
  }
  return value as T;
}

export function checkFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') fail('a function', name, value);
}

// Shared, so that ops on hot paths that take options allocate nothing when given none.
const NO_OPTIONS = Object.freeze({});

/**
 * An options argument: undefined means all defaults ({}); anything else must be an object
 * (not null, not an array). Every public function reads its options through this, so an
 * options value of null or 42 is an ArgumentError rather than a TypeError from reading it.
 */
export function checkOptions<T extends object>(value: T | undefined | null, name = 'options'): Partial<T> {
  if (value === undefined) return NO_OPTIONS;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('an options object', name, value);
  return value;
}
