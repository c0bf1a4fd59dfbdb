/** Process-wide runtime services: memory counters, threads, seeds, CUDA, build info. */
import { native } from './native';
import { checkInt } from './validate';

export interface DeviceMemory {
  tensors: number;
  bytes: number;
}

/** Live tensors and their bytes per device, from the native table of this thread. */
export function memory(): Record<string, DeviceMemory> {
  return native.memory();
}

/** Intra-op threads libtorch uses (PyTorch's torch.set_num_threads). */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkInt(n, 'n', 1));
}
export function getNumThreads(): number {
  return native.getNumThreads();
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
