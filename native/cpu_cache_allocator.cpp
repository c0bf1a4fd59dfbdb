#include "cpu_cache_allocator.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

namespace flowmatch {

namespace {

// Below this, glibc's per-thread caches and small bins recycle memory without returning it.
constexpr size_t kMinCached = 4096;
constexpr uint64_t kDefaultLimitCap = 4ull << 30;

// Size classes: four per power of two (p, 1.25p, 1.5p, 1.75p), so a block serves requests
// up to 25 % smaller than itself. The unused tail is never touched, so it costs address
// space, not memory.
size_t sizeClass(size_t n) {
  size_t p = size_t{1} << (63 - __builtin_clzll(n));
  size_t step = p / 4;
  return (n + step - 1) / step * step;
}

uint64_t limitFromEnvironment() {
  const char* text = std::getenv("FLOWMATCH_CPU_CACHE_MB");
  if (text != nullptr && *text != '\0') {
    char* end = nullptr;
    double mb = std::strtod(text, &end);
    if (end != text && *end == '\0' && mb >= 0) return static_cast<uint64_t>(mb * 1024 * 1024);
    // A malformed value is ignored rather than fatal at load; the default applies.
  }
  uint64_t ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return std::min(ram / 4, kDefaultLimitCap);
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  CachingCpuAllocator(c10::Allocator* fallback, uint64_t limit) : fallback_(fallback), fallbackDelete_(fallback->raw_deleter()), limit_(limit) {}

  c10::DataPtr allocate(size_t n) override {
    if (n < kMinCached) return fallback_->allocate(n);
    const size_t size = sizeClass(n);
    void* block = takeCached(size);
    if (block == nullptr) block = allocateFresh(size);
    return {block, block, &CachingCpuAllocator::release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &CachingCpuAllocator::release; }

  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }

  CpuCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {true, limit_, cached_, inUse_, hits_, misses_};
  }

  void emptyCache() {
    std::vector<void*> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [size, list] : free_) blocks.insert(blocks.end(), list.begin(), list.end());
      free_.clear();
      cached_ = 0;
    }
    for (void* b : blocks) c10::free_cpu(b);
  }

  static CachingCpuAllocator* instance;

 private:
  void* takeCached(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* block = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    inUse_ += size;
    live_[block] = size;
    ++hits_;
    return block;
  }

  void* allocateFresh(size_t size) {
    void* block = nullptr;
    try {
      block = c10::alloc_cpu(size);
    } catch (const c10::Error&) {
      // Out of memory: what the cache holds may be what is missing.
      emptyCache();
      block = c10::alloc_cpu(size);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    inUse_ += size;
    live_[block] = size;
    ++misses_;
    return block;
  }

  static void release(void* block) { instance->giveBack(block); }

  void giveBack(void* block) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(block);
      if (it == live_.end()) {
        // A small block of the fallback allocator freed through raw_deleter() (oneDNN and
        // NNPACK scratch space goes through raw_allocate / raw_deallocate).
        fallbackDelete_(block);
        return;
      }
      const size_t size = it->second;
      live_.erase(it);
      inUse_ -= size;
      if (cached_ + size <= limit_) {
        free_[size].push_back(block);
        cached_ += size;
        return;
      }
    }
    c10::free_cpu(block);
  }

  c10::Allocator* fallback_;
  const c10::DeleterFnPtr fallbackDelete_;
  const uint64_t limit_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  std::unordered_map<void*, size_t> live_;
  uint64_t cached_ = 0, inUse_ = 0, hits_ = 0, misses_ = 0;
};

CachingCpuAllocator* CachingCpuAllocator::instance = nullptr;
std::once_flag installed;

}  // namespace

void installCpuCacheAllocator() {
  std::call_once(installed, [] {
    uint64_t limit = limitFromEnvironment();
    if (limit == 0) return;
    // Never destroyed: tensors may still be freed while static objects are torn down at exit.
    CachingCpuAllocator::instance = new CachingCpuAllocator(c10::GetDefaultCPUAllocator(), limit);
    // Priority above the default's 0, so a later registration at 0 does not displace it.
    c10::SetCPUAllocator(CachingCpuAllocator::instance, 1);
  });
}

CpuCacheStats cpuCacheStats() {
  if (CachingCpuAllocator::instance == nullptr) return {false, 0, 0, 0, 0, 0};
  return CachingCpuAllocator::instance->stats();
}

void emptyCpuCache() {
  if (CachingCpuAllocator::instance != nullptr) CachingCpuAllocator::instance->emptyCache();
}

}  // namespace flowmatch
