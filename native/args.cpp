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
  throw FlowmatchException("ERR_UNSUPPORTED_DTYPE", std::string("dtype ") + c10::toString(type) + " is not supported by flowmatch");
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

std::vector<at::Tensor> Args::tensors(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) invalid(i, "an array of tensors");
  Napi::Array array = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t k = 0; k < array.Length(); ++k) {
    Napi::Value v = array.Get(k);
    if (!v.IsNumber()) invalid(i, "an array of tensors");
    out.push_back(state_.tensors.get(v.As<Napi::Number>().DoubleValue(), "a tensor in the list"));
  }
  return out;
}

std::vector<int64_t> Args::ints(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) invalid(i, "an array of integers");
  Napi::Array array = info_[i].As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t k = 0; k < array.Length(); ++k) {
    Napi::Value v = array.Get(k);
    if (!v.IsNumber()) invalid(i, "an array of integers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::floor(d)) invalid(i, "an array of finite integers");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

std::vector<double> Args::doubles(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) invalid(i, "an array of numbers");
  Napi::Array array = info_[i].As<Napi::Array>();
  std::vector<double> out(array.Length());
  for (uint32_t k = 0; k < array.Length(); ++k) {
    Napi::Value v = array.Get(k);
    if (!v.IsNumber()) invalid(i, "an array of numbers");
    out[k] = v.As<Napi::Number>().DoubleValue();
  }
  return out;
}

at::Device Args::device(size_t i) const {
  std::string name = string(i);
  try {
    return at::Device(name);
  } catch (const c10::Error&) {
    throw FlowmatchException("ERR_INVALID_DEVICE", "'" + name + "' is not a device (expected 'cpu', 'cuda' or 'cuda:N')");
  }
}

at::Scalar Args::scalar(size_t i) const {
  if (i < info_.Length() && info_[i].IsBoolean()) return at::Scalar(info_[i].As<Napi::Boolean>().Value());
  double v = number(i);
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) <= 9007199254740991.0) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

Napi::Value Args::retList(const std::vector<at::Tensor>& list) const {
  Napi::Array out = Napi::Array::New(info_.Env(), list.size());
  for (uint32_t k = 0; k < list.size(); ++k) {
    out.Set(k, list[k].defined() ? Napi::Value(Napi::Number::New(info_.Env(), state_.tensors.insert(list[k]))) : info_.Env().Null());
  }
  return out;
}

}  // namespace flowmatch
