/**
 * Time arithmetic. Solver time is a JS number; with the float32 time option every result is
 * rounded to float32 (Math.fround) so the step sequence matches a float32-time solve.
 */
export type TimeDType = 'float64' | 'float32';

export type Round = (x: number) => number;

const identity: Round = (x) => x;

export function rounder(dtype: TimeDType | 'float16' | 'bfloat16'): Round {
  return dtype === 'float64' ? identity : Math.fround;
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * The neighbouring representable value of x towards +∞ (direction 1) or −∞ (direction −1)
 * in float64 or float32: torchdiffeq evaluates stages that land on a step end "just before"
 * it, so a discontinuity placed there is seen from the correct side.
 */
export function nextAfter(x: number, direction: 1 | -1, dtype: TimeDType): number {
  if (Number.isNaN(x) || !Number.isFinite(x)) return x;
  if (x === 0) return direction * (dtype === 'float64' ? Number.MIN_VALUE : 1.401298464324817e-45);
  const away = (x > 0) === (direction > 0);
  if (dtype === 'float64') {
    scratch.setFloat64(0, x);
    scratch.setBigInt64(0, scratch.getBigInt64(0) + (away ? 1n : -1n));
    return scratch.getFloat64(0);
  }
  scratch.setFloat32(0, x);
  scratch.setInt32(0, scratch.getInt32(0) + (away ? 1 : -1));
  return scratch.getFloat32(0);
}
