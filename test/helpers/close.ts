/** Numeric comparison helpers shared by tests. */
import type { ExecutionContext } from 'ava';

type Nested = number | boolean | Nested[];

export function flat(value: Nested): number[] {
  if (Array.isArray(value)) return value.flatMap(flat);
  return [Number(value)];
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise, with a message naming the first bad index. */
export function assertClose(t: ExecutionContext, actual: Nested | ArrayLike<number>, expected: Nested | ArrayLike<number>, rtol = 1e-6, atol = 1e-6, label = ''): void {
  const a = Array.isArray(actual) || typeof actual !== 'object' ? flat(actual as Nested) : Array.from(actual as ArrayLike<number>);
  const e = Array.isArray(expected) || typeof expected !== 'object' ? flat(expected as Nested) : Array.from(expected as ArrayLike<number>);
  t.is(a.length, e.length, `${label} length`);
  for (let i = 0; i < e.length; i++) {
    const ok = Number.isNaN(e[i]) ? Number.isNaN(a[i]) : Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]) || a[i] === e[i];
    if (!ok) {
      t.fail(`${label} element ${i}: got ${a[i]}, expected ${e[i]}`);
      return;
    }
  }
  t.pass();
}
