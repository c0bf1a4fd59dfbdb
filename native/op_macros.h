// The one way an export is registered: FM_OP(name, body) in its file's register function,
// a capture-less lambda that reads its arguments through Args `a` (the environment's state
// is `st`) and returns a JS value; bodies longer than a few lines call a helper of the
// file's anonymous namespace that takes `const Args&`. The trampoline (errors.cpp) supplies
// error translation. Export names are camelCase and typed in lib/native/ (one file per native/*.cpp).
#pragma once
#include "args.h"

#define FM_OP(name, ...)                                                                    \
  define(env, exports, s, name, [](const Napi::CallbackInfo& info, AddonState& st) -> Napi::Value { \
    Args a(info, st);                                                                        \
    __VA_ARGS__;                                                                             \
  })

// Exports that return nothing (in-place ops, setters, releases) give JS undefined; the
// in-place tensor methods return the same Tensor object.
#define FM_INPLACE(name, ...) FM_OP(name, __VA_ARGS__; return info.Env().Undefined())

namespace flowmatch {
// A wrapped-number tensor promotes like a Python scalar (int tensor * 2.5 -> float).
inline at::Tensor wrappedScalar(const at::Scalar& value) {
  at::Tensor t = at::scalar_to_tensor(value);
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}
// Dims argument that may be null (= all dims).
inline std::vector<int64_t> dimsOrAll(const Args& a, size_t i, const at::Tensor& t) {
  if (!a.isNull(i)) return a.ints(i);
  std::vector<int64_t> all(t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) all[d] = d;
  return all;
}
}  // namespace flowmatch
