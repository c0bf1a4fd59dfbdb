/** Devices: 'cpu', 'cuda', 'cuda:N'. */
import { fail } from './validate';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export function checkDevice(value: unknown, name = 'device'): Device {
  if (typeof value !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(value)) {
    fail("a device ('cpu', 'cuda' or 'cuda:N')", name, value, 'ERR_INVALID_DEVICE');
  }
  return value as Device;
}
