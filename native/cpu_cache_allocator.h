// A caching allocator for libtorch's CPU tensors: freed blocks of 4 KiB and more are kept
// and handed out again for requests of the same size class, instead of going back to glibc.
//
// Why: glibc serves large requests with fresh mmap()s and trims the top of its heap when
// mid-sized blocks are freed there, so every training step or solver evaluation faults its
// tensors' pages in again. Measured: the 4×512 MLP forward of 10,000 points (2 threads) took
// ~10,500 page faults and 180–210 ms, against ~400 faults and 105 ms with blocks reused; a
// dopri5 solve of 256 points with a 3×64 MLP went through phases of ~150 faults and 4.5 ms
// per solve, against 0–30 faults and 1.7 ms. PyTorch's CUDA allocator caches for the same
// reason; its CPU side does not.
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
