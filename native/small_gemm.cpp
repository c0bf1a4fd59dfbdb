#include "small_gemm.h"

// MKL's per-thread thread count, its C entry point (the lower-case names are the Fortran
// ones, which take a pointer). Returns the previous value; 0 means "follow the global
// setting". Weak: resolved from libtorch_cpu when it carries MKL, null otherwise.
extern "C" int MKL_Set_Num_Threads_Local(int nthreads) __attribute__((weak));

namespace flowmatch {

SmallGemmScope::SmallGemmScope(bool small) {
  if (small && MKL_Set_Num_Threads_Local != nullptr) {
    previous_ = MKL_Set_Num_Threads_Local(1);
    engaged_ = true;
  }
}

SmallGemmScope::~SmallGemmScope() {
  if (engaged_) MKL_Set_Num_Threads_Local(previous_);
}

}  // namespace flowmatch
