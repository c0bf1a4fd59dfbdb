/** native/runtime.cpp: handle release, memory counters, threads, seeds, devices, versions. */
import { type Handle, exportNames } from './types';

export interface NativeDeviceMemory {
  tensors: number;
  bytes: number;
}
/** The CPU caching allocator's counters (process-wide; see native/cpu_cache_allocator.h). */
export interface NativeCpuCacheStats {
  /** False when FLOWMATCH_CPU_CACHE_MB=0 left libtorch's own allocator in place. */
  enabled: boolean;
  /** The most free bytes kept (FLOWMATCH_CPU_CACHE_MB, default min(¼ of RAM, 4 GiB)). */
  limitBytes: number;
  /** Free blocks held for reuse now. */
  cachedBytes: number;
  /** Blocks of 4 KiB and more handed out and not yet freed. */
  inUseBytes: number;
  /** Requests served from the cache, and those that went to the system. */
  hits: number;
  misses: number;
}
export interface NativeBuildInfo {
  torchVersion: string;
  cudaCompiled: boolean;
  cxx11abi: boolean;
  parallelInfo: string;
}

export interface RuntimeBinding {
  /** The factory of the error each native failure throws: (code, message) → an Error. */
  setErrorFactory(factory: (code: string, message: string) => Error): void;
  /** Frees the slot; false when the handle was already released. */
  release(handle: Handle): boolean;
  releaseMany(handles: readonly Handle[]): void;
  /** Live tensors and bytes per device ('cpu' always, 'cuda:N' and 'meta' when used). */
  memory(): Record<string, NativeDeviceMemory>;
  cpuCacheStats(): NativeCpuCacheStats;
  emptyCache(): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  getMaxNumThreads(): number;
  manualSeed(seed: number): void;
  /** The CPU generator's state as a new uint8 tensor. */
  rngState(): Handle;
  setRngState(state: Handle): void;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  buildInfo(): NativeBuildInfo;
}

export const RUNTIME_EXPORTS = exportNames<RuntimeBinding>({
  setErrorFactory: true, release: true, releaseMany: true, memory: true, cpuCacheStats: true, emptyCache: true,
  setNumThreads: true, getNumThreads: true, getMaxNumThreads: true, manualSeed: true, rngState: true, setRngState: true,
  cudaIsAvailable: true, cudaDeviceCount: true, buildInfo: true,
});
