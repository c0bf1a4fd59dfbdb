// Raw tensor bytes for file formats (safetensors): no dtype conversion in either
// direction, unlike toBuffer/fromBuffer which speak in JS TypedArrays.
#include "args.h"

namespace flowmatch {

namespace {

// toBytes(t) -> ArrayBuffer: the elements of a contiguous CPU copy, in the host's
// (little-endian) byte order, exactly as libtorch stores them.
Napi::Value toBytes(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  at::Tensor t = a.tensor(0).detach().to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  return buffer;
}

// fromBytes(uint8Array, dtypeCode, shape) -> a CPU tensor owning a copy of the bytes.
Napi::Value fromBytes(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  if (!info[0].IsTypedArray()) a.invalid(0, "a Uint8Array");
  auto array = info[0].As<Napi::TypedArray>();
  at::ScalarType type = a.dtype(1);
  std::vector<int64_t> shape = a.ints(2);
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw FlowmatchException("ERR_INVALID_SHAPE", "shape has a negative size");
    numel *= d;
  }
  size_t expected = static_cast<size_t>(numel) * c10::elementSize(type);
  if (expected != array.ByteLength()) {
    throw FlowmatchException("ERR_INVALID_SHAPE", "the data holds " + std::to_string(array.ByteLength()) + " bytes but the shape and dtype need " + std::to_string(expected));
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  if (expected > 0) std::memcpy(t.data_ptr(), static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset(), expected);
  return a.ret(std::move(t));
}

}  // namespace

void registerIO(Napi::Env env, Napi::Object exports, AddonState& s) {
  define(env, exports, s, "toBytes", toBytes);
  define(env, exports, s, "fromBytes", fromBytes);
}

}  // namespace flowmatch
