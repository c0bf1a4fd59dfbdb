/**
 * The size a new tensor may have, checked before libtorch is asked to allocate it: its
 * element count must be exact in a JS number (at most 2^53, where doubles stop counting
 * integers), and a CPU tensor may take at most half of this machine's memory (its physical
 * memory, or the cgroup limit when one is lower), so that `zeros([1e12])` or an `arange` over
 * 2^31 int64 values is an error at once and not minutes of page faults ending in the OOM
 * killer. FLOWMATCH_MAX_TENSOR_BYTES sets another bound. A request that passes can still fail
 * inside libtorch; that failure is a typed ERR_OUT_OF_MEMORY error too (native/errors.cpp).
 */
import { totalmem } from 'node:os';
import { type DType, ELEMENT_BYTES } from './dtype';
import type { Device } from './device';
import { formatBytes } from './io/read-file';
import { fail } from './validate';

/** Bytes a CPU tensor may take: FLOWMATCH_MAX_TENSOR_BYTES, else half the machine's memory. */
function memoryLimit(): number {
  const configured = Number(process.env.FLOWMATCH_MAX_TENSOR_BYTES);
  if (process.env.FLOWMATCH_MAX_TENSOR_BYTES && Number.isFinite(configured) && configured > 0) return configured;
  // Half: the tensor is rarely alone (its inputs, gradients and the process itself need room).
  return machineMemory() / 2;
}

// Read once: process.constrainedMemory() reads the cgroup files, and every tensor creation
// asks (it was 12% of a sampling server's main-thread time, read per Euler step).
let machineBytes: number | undefined;
function machineMemory(): number {
  if (machineBytes === undefined) {
    const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() ?? 0 : 0;
    // A cgroup without a limit reports a huge number (or 0); only a real limit lowers the bound.
    machineBytes = constrained > 0 && constrained < totalmem() ? constrained : totalmem();
  }
  return machineBytes;
}

/** Returns `shape` when a tensor of that shape and dtype may be allocated on `device`. */
export function checkAllocation(shape: number[], dtype: DType, device: Device, name = 'shape'): number[] {
  const count = shape.reduce((a, d) => a * d, 1);
  if (!(count <= Number.MAX_SAFE_INTEGER)) {
    fail('a shape of at most 2^53 − 1 elements', name, shape, 'ERR_TOO_LARGE');
  }
  const bytes = count * ELEMENT_BYTES[dtype];
  if (device === 'cpu' && bytes > memoryLimit()) {
    fail(`a shape whose ${dtype} tensor fits in the CPU tensor limit (${formatBytes(memoryLimit())}, half this machine's memory; FLOWMATCH_MAX_TENSOR_BYTES sets another; this one needs ${formatBytes(bytes)})`, name, shape, 'ERR_OUT_OF_MEMORY');
  }
  return shape;
}
