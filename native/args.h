// Reading JS arguments and returning tensors. TypeScript validates arguments with
// user-facing messages before calling in; these readers are the last line of defence
// and throw ERR_INVALID_ARGUMENT rather than trusting the caller.
#pragma once
#include "pch.h"
#include "state.h"

namespace flowmatch {

// The most dims a tensor, a shape or a dims list may have. libtorch has no limit of its own,
// and per-op costs grow with the dim count (100,000 dims made one add take 41 s); 64 is
// what NumPy 2 allows, and more than any model needs. Every tensor handed to JS is checked.
constexpr size_t kMaxDims = 64;
// Other lists (tensors to cat, coefficients, split sections, one flag per parameter) are
// bounded by what the tensor table can hold at all.
constexpr size_t kMaxListLength = 16777215;

// Dtype codes shared with lib/dtype.ts (same order there).
at::ScalarType dtypeFromCode(int64_t code);
int64_t codeFromDtype(at::ScalarType type);

// A JS number as a Scalar: integers become integer scalars, so int tensors stay int (the
// closest JS can get to Python's int/float literal distinction). Native code that repeats an
// op sequence of lib/ uses it to pass its constants exactly as a JS call would.
at::Scalar scalarOfNumber(double v);

class Args {
 public:
  Args(const Napi::CallbackInfo& info, AddonState& state) : info_(info), state_(state) {}

  Napi::Env env() const { return info_.Env(); }
  AddonState& state() const { return state_; }
  // The raw arguments, for the few readers that take JS objects or typed arrays as they are.
  const Napi::CallbackInfo& info() const { return info_; }
  bool isNull(size_t i) const { return i >= info_.Length() || info_[i].IsNull() || info_[i].IsUndefined(); }

  // By value, never a reference into the table: reading a later argument can run JS (an
  // array getter) that creates tensors (the table's vector reallocates) or disposes this
  // one, and the op must still hold a live tensor. A copy costs one refcount increment.
  at::Tensor tensor(size_t i) const {
    return state_.tensors.get(number(i), argName(i));
  }
  c10::optional<at::Tensor> optTensor(size_t i) const {
    if (isNull(i)) return c10::nullopt;
    return tensor(i);
  }
  std::vector<at::Tensor> tensors(size_t i) const;
  double number(size_t i) const {
    if (i >= info_.Length() || !info_[i].IsNumber()) invalid(i, "a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }
  int64_t integer(size_t i) const;
  bool flag(size_t i) const {
    if (isNull(i)) return false;
    if (!info_[i].IsBoolean()) invalid(i, "a boolean");
    return info_[i].As<Napi::Boolean>().Value();
  }
  std::string string(size_t i) const {
    if (i >= info_.Length() || !info_[i].IsString()) invalid(i, "a string");
    return info_[i].As<Napi::String>().Utf8Value();
  }
  // An array of at most `maxLength` integers; dims lists and shapes keep the default.
  std::vector<int64_t> ints(size_t i, size_t maxLength = kMaxDims) const;
  std::vector<double> doubles(size_t i) const;
  at::ScalarType dtype(size_t i) const { return dtypeFromCode(integer(i)); }
  c10::optional<at::ScalarType> optDtype(size_t i) const {
    if (isNull(i)) return c10::nullopt;
    return dtype(i);
  }
  at::Device device(size_t i) const;
  // scalarOfNumber() of argument i (a boolean stays a boolean).
  at::Scalar scalar(size_t i) const;

  Napi::Value ret(at::Tensor tensor) const {
    checkDims(tensor);
    return Napi::Number::New(info_.Env(), state_.tensors.insert(std::move(tensor)));
  }
  Napi::Value retList(const std::vector<at::Tensor>& list) const;
  Napi::Value retOptional(const at::Tensor& tensor) const {
    if (!tensor.defined()) return info_.Env().Null();
    return ret(tensor);
  }

  [[noreturn]] void invalid(size_t i, const char* expected) const;
  // Ops that add dims (unsqueeze, stack, indexing) must not grow a tensor past kMaxDims.
  static void checkDims(const at::Tensor& tensor);

 private:
  const char* argName(size_t i) const;
  // The elements of array argument i, each read once: the length is read before any
  // getter runs, so a getter that grows the array cannot make the loop run on.
  template <typename Read>
  void forEach(size_t i, size_t maxLength, const char* expected, Read read) const;
  const Napi::CallbackInfo& info_;
  AddonState& state_;
};

}  // namespace flowmatch
