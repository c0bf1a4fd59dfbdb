/** Process-wide runtime services: memory counters, threads, seeds, CUDA, build info. */
import { native } from './native';
import type { NativeCpuCacheStats } from './native/runtime';
import { Tensor, handleOf } from './tensor';
import { checkInt } from './validate';
import { ArgumentError } from './errors';

export interface DeviceMemory {
  tensors: number;
  bytes: number;
}

/** Live tensors and their bytes per device, from the native table of this thread. */
export function memory(): Record<string, DeviceMemory> {
  return native.memory();
}

/** The CPU caching allocator's counters: the addon's own record, as it reports them. */
export type CpuCacheStats = NativeCpuCacheStats;

/**
 * Large CPU blocks are cached for reuse instead of being returned to glibc, which would
 * fault their pages in again on every step (PyTorch does this for CUDA memory only).
 */
export function cpuCacheStats(): CpuCacheStats {
  return native.cpuCacheStats();
}

/** Returns every cached free CPU block to the system (torch.cuda.empty_cache()'s CPU counterpart). */
export function emptyCache(): void {
  native.emptyCache();
}

/**
 * Intra-op threads libtorch uses (PyTorch's torch.set_num_threads): 1 to
 * maxNumThreads(), four per logical CPU. More cannot run in parallel, and far more
 * (1e9) made OpenMP fail to start them and exit the process.
 */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkInt(n, 'n', 1, maxNumThreads()));
}
/** The most threads setNumThreads() accepts: 4 × the logical CPUs of this machine. */
export function maxNumThreads(): number {
  return native.getMaxNumThreads();
}
export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Runs a synchronous fn with the CPU generator seeded with `seed` (its draws are those of
 * manualSeed(seed) followed by fn), then puts the generator back as it was: a request's
 * noise comes from its own seed and leaves everyone else's CPU random stream alone (the
 * CUDA generators are reseeded too and not put back: draw on the CPU and move).
 */
export function withSeed<T>(seed: number, fn: () => T): T {
  checkInt(seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  const saved = native.rngState();
  try {
    native.manualSeed(seed);
    const result = fn();
    if (result instanceof Promise) throw new ArgumentError('withSeed() takes a synchronous function');
    return result;
  } finally {
    native.setRngState(saved);
    native.release(saved);
  }
}

/** The CPU generator's state, as a uint8 Tensor (what a checkpoint saves). */
export function rngState(): Tensor {
  return new Tensor(native.rngState());
}

/** Puts the CPU generator back to a state from rngState(). */
export function setRngState(state: Tensor): void {
  native.setRngState(handleOf(state, 'state', 'setRngState'));
}

/** Seeds libtorch's default generators (CPU and CUDA). */
export function manualSeed(seed: number): void {
  native.manualSeed(checkInt(seed, 'seed', 0, Number.MAX_SAFE_INTEGER));
}

export const cuda = {
  isAvailable(): boolean {
    return native.cudaIsAvailable();
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
};

export interface BuildInfo {
  torchVersion: string;
  cudaCompiled: boolean;
  cxx11abi: boolean;
  parallelInfo: string;
}
export function buildInfo(): BuildInfo {
  return native.buildInfo();
}
