#include "args.h"

namespace flowmatch {

namespace {
const at::ScalarType kDtypes[] = {
    at::kFloat, at::kDouble, at::kHalf, at::kBFloat16, at::kLong, at::kInt, at::kByte, at::kBool,
};
constexpr int64_t kDtypeCount = sizeof(kDtypes) / sizeof(kDtypes[0]);
const char* const kArgNames[] = {"argument 0", "argument 1", "argument 2", "argument 3", "argument 4",
                                 "argument 5", "argument 6", "argument 7", "argument 8", "argument 9"};
}  // namespace

at::ScalarType dtypeFromCode(int64_t code) {
  if (code < 0 || code >= kDtypeCount) throw FlowmatchException("ERR_INVALID_ARGUMENT", "unknown dtype code " + std::to_string(code));
  return kDtypes[code];
}

int64_t codeFromDtype(at::ScalarType type) {
  for (int64_t i = 0; i < kDtypeCount; ++i) {
    if (kDtypes[i] == type) return i;
  }
  throw FlowmatchException("ERR_DTYPE", std::string("dtype ") + c10::toString(type) + " is not supported by flowmatch");
}

const char* Args::argName(size_t i) const { return i < 10 ? kArgNames[i] : "argument"; }

void Args::invalid(size_t i, const char* expected) const {
  throw FlowmatchException("ERR_INVALID_ARGUMENT", std::string("expected ") + expected + " for " + argName(i));
}

int64_t Args::integer(size_t i) const {
  double v = number(i);
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9007199254740991.0) invalid(i, "a finite integer");
  return static_cast<int64_t>(v);
}

template <typename Read>
void Args::forEach(size_t i, size_t maxLength, const char* expected, Read read) const {
  // IsArray is false for a Proxy, so its traps never run here; a real array's length is
  // a plain field, while its elements may still be getters.
  if (i >= info_.Length() || !info_[i].IsArray()) invalid(i, expected);
  Napi::Array array = info_[i].As<Napi::Array>();
  const uint32_t n = array.Length();
  if (n > maxLength) {
    throw FlowmatchException(maxLength == kMaxDims ? "ERR_SHAPE" : "ERR_INVALID_ARGUMENT",
                             std::string("expected at most ") + std::to_string(maxLength) + " entries for " + argName(i) + ", received " + std::to_string(n));
  }
  for (uint32_t k = 0; k < n; ++k) read(array.Get(k));
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  std::vector<at::Tensor> out;
  // Handles are all read before any tensor is looked up, so a getter that disposes an
  // earlier entry is reported as a disposed tensor rather than racing the lookup.
  std::vector<double> handles;
  forEach(i, kMaxListLength, "an array of tensors", [&](const Napi::Value& v) {
    if (!v.IsNumber()) invalid(i, "an array of tensors");
    handles.push_back(v.As<Napi::Number>().DoubleValue());
  });
  out.reserve(handles.size());
  for (double h : handles) out.push_back(state_.tensors.get(h, "a tensor in the list"));
  return out;
}

std::vector<int64_t> Args::ints(size_t i, size_t maxLength) const {
  std::vector<int64_t> out;
  forEach(i, maxLength, "an array of integers", [&](const Napi::Value& v) {
    if (!v.IsNumber()) invalid(i, "an array of integers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9007199254740991.0) invalid(i, "an array of finite integers");
    out.push_back(static_cast<int64_t>(d));
  });
  return out;
}

std::vector<double> Args::doubles(size_t i) const {
  std::vector<double> out;
  forEach(i, kMaxListLength, "an array of numbers", [&](const Napi::Value& v) {
    if (!v.IsNumber()) invalid(i, "an array of numbers");
    out.push_back(v.As<Napi::Number>().DoubleValue());
  });
  return out;
}

void Args::checkDims(const at::Tensor& tensor) {
  if (tensor.defined() && static_cast<size_t>(tensor.dim()) > kMaxDims) {
    throw FlowmatchException("ERR_SHAPE", "the result would have " + std::to_string(tensor.dim()) + " dims; flowmatch allows at most " + std::to_string(kMaxDims));
  }
}

at::Device Args::device(size_t i) const {
  std::string name = string(i);
  try {
    return at::Device(name);
  } catch (const c10::Error&) {
    throw FlowmatchException("ERR_DEVICE", "'" + name + "' is not a device (expected 'cpu', 'cuda' or 'cuda:N')");
  }
}

at::Scalar Args::scalar(size_t i) const {
  if (i < info_.Length() && info_[i].IsBoolean()) return at::Scalar(info_[i].As<Napi::Boolean>().Value());
  return scalarOfNumber(number(i));
}

at::Scalar scalarOfNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) <= 9007199254740991.0) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

Napi::Value Args::retList(const std::vector<at::Tensor>& list) const {
  for (const at::Tensor& t : list) checkDims(t);
  std::vector<double> handles(list.size(), 0.0);
  for (size_t k = 0; k < list.size(); ++k) {
    if (list[k].defined()) handles[k] = state_.tensors.insert(list[k]);
  }
  Napi::Array out = Napi::Array::New(info_.Env(), list.size());
  try {
    // Setting an element can run a setter someone put on Array.prototype; if it throws,
    // no handle reaches JS, so none may stay in the table.
    for (uint32_t k = 0; k < list.size(); ++k) {
      out.Set(k, handles[k] != 0.0 ? Napi::Value(Napi::Number::New(info_.Env(), handles[k])) : info_.Env().Null());
    }
  } catch (...) {
    for (double h : handles) state_.tensors.release(h);
    throw;
  }
  return out;
}

}  // namespace flowmatch
