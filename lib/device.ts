/**
 * Devices: 'cpu', 'cuda', 'cuda:N', and 'meta' (libtorch's device of shapes and dtypes
 * without data: on a machine without a GPU it is the second device that proves a
 * computation puts everything it creates where its inputs are).
 */
import { fail } from './validate';

export type Device = 'cpu' | 'cuda' | `cuda:${number}` | 'meta';

export const DEVICE_PATTERN = /^(cpu|meta|cuda(:\d+)?)$/;

export function checkDevice(value: unknown, name = 'device'): Device {
  if (typeof value !== 'string' || !DEVICE_PATTERN.test(value)) {
    fail("a device ('cpu', 'cuda', 'cuda:N' or 'meta')", name, value, 'ERR_DEVICE');
  }
  return value as Device;
}
