// Raw tensor bytes for file formats (safetensors): no dtype conversion, unlike toBuffer,
// which hands half types to JS as float32. Reading back needs no twin: fromBuffer with the
// stored dtype as both source and target copies the bytes as they are.
#include "op_macros.h"

namespace flowmatch {

namespace {

// toBytes(t) -> ArrayBuffer: the elements of a contiguous CPU copy, in the host's
// (little-endian) byte order, exactly as libtorch stores them.
Napi::Value toBytes(const Args& a) {
  at::Tensor t = a.tensor(0).detach().to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(a.env(), bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  return buffer;
}

}  // namespace

void registerIO(Napi::Env env, Napi::Object exports, AddonState& s) {
  FM_OP("toBytes", return toBytes(a));
}

}  // namespace flowmatch
