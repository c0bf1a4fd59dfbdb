/** native/runtime.cpp: handle release, memory counters, threads, seeds, devices, versions. */
import { type Handle, exportNames } from './types';

export interface NativeDeviceMemory {
  tensors: number;
  bytes: number;
}
export interface NativeCpuCacheStats {
  enabled: boolean;
  limitBytes: number;
  cachedBytes: number;
  inUseBytes: number;
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
