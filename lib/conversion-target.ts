/** The argument of `.to()` on tensors and modules: a dtype, a device, or {dtype, device}. */
import { type DType, checkDType, dtypeCode } from './dtype';
import { type Device, DEVICE_PATTERN, checkDevice } from './device';
import { fail } from './validate';

export type ConversionTarget = DType | Device | { dtype?: DType; device?: Device };

/** The native arguments for a conversion: dtype code (or null to keep it) and device (or null). */
export function resolveTarget(target: unknown): { dtype: number | null; device: Device | null } {
  if (typeof target === 'string') {
    if (DEVICE_PATTERN.test(target)) return { dtype: null, device: target as Device };
    return { dtype: dtypeCode(checkDType(target, 'target')), device: null };
  }
  if (target !== null && typeof target === 'object') {
    const t = target as { dtype?: unknown; device?: unknown };
    return {
      dtype: t.dtype === undefined ? null : dtypeCode(checkDType(t.dtype, 'target.dtype')),
      device: t.device === undefined ? null : checkDevice(t.device, 'target.device'),
    };
  }
  return fail('a dtype, a device or {dtype, device}', 'target', target);
}
