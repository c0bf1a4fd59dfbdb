// A caching allocator for libtorch's CPU tensors: freed blocks of 128 KiB and more are kept
// and handed out again for requests of the same size class, instead of going back to glibc.
//
// Why: glibc serves large requests with fresh mmap()s (or trims its heap), so every
// training step or solver evaluation faults its activations' pages in again. Measured on
// the 4×512 MLP forward of 10,000 points (2 threads): ~10,500 page faults per forward and
// 180–210 ms, against ~500 faults and 100 ms with the blocks reused. PyTorch's CUDA
// allocator caches for the same reason; its CPU side does not.
//
// Process-wide (libtorch has one CPU allocator), installed once at addon load. The free
// blocks it holds are bounded (FLOWMATCH_CPU_CACHE_MB, default min(¼ of RAM, 4 GiB)); beyond
// that a freed block goes back to the system. FLOWMATCH_CPU_CACHE_MB=0 leaves libtorch's
// own allocator in place.
#pragma once
#include <cstddef>
#include <cstdint>

namespace flowmatch {

struct CpuCacheStats {
  bool enabled;
  uint64_t limitBytes;   // most free bytes kept
  uint64_t cachedBytes;  // free blocks held now
  uint64_t inUseBytes;   // blocks of the cached sizes handed out and not yet freed
  uint64_t hits;         // requests served from the cache
  uint64_t misses;       // requests that went to the system
};

// Installs the allocator unless disabled by the environment; safe to call more than once.
void installCpuCacheAllocator();
CpuCacheStats cpuCacheStats();
// Returns every free block to the system (torch.cuda.empty_cache()'s CPU counterpart).
void emptyCpuCache();

}  // namespace flowmatch
