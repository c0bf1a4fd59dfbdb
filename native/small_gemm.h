// Small matrix products on the calling thread only.
//
// libtorch's CPU matmul goes to MKL, which splits even a 256×64 by 64×64 product across
// the intra-op threads. Waking a sleeping OpenMP worker costs tens of microseconds, as
// much as such a product itself, and whether the worker is still spinning or asleep
// changes from one process to the next: a small-MLP ODE solve took either 2.0 or 3.4 ms
// per solve depending on the process (benchmarks/RESULTS.md). Below a few million
// multiply-adds the product is therefore kept on one thread, through MKL's thread-local
// setting. Builds without MKL (it is looked up as a weak symbol) are unaffected.
#pragma once
#include <cstdint>

namespace flowmatch {

// Products of fewer multiply-adds than this run single-threaded: where one thread's time
// (about 25 µs per million multiply-adds here) reaches a worker's wake-up cost.
constexpr int64_t kSmallGemmMacs = int64_t(1) << 21;

// While alive, MKL on this thread uses one thread, if `small` and MKL is present.
class SmallGemmScope {
 public:
  explicit SmallGemmScope(bool small);
  ~SmallGemmScope();
  SmallGemmScope(const SmallGemmScope&) = delete;
  SmallGemmScope& operator=(const SmallGemmScope&) = delete;

 private:
  bool engaged_ = false;
  int previous_ = 0;
};

}  // namespace flowmatch
