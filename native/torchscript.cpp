// TorchScript modules from files written by torch.jit.save: networks defined in Python that
// flowmatch runs without defining them (an Inception network for FID, a feature extractor).
// One tensor in; a tensor, or a tuple/list of tensors, out.
#include <torch/script.h>

#include <algorithm>
#include <cstring>

#include "op_macros.h"

namespace flowmatch {

namespace {

// The archive's bytes as libtorch's zip reader sees them, without a copy. The reader only
// lives inside torch::jit::load, while the JS Buffer that owns the bytes is an argument of
// the same synchronous call, so the bytes outlive every read.
class BytesReader final : public caffe2::serialize::ReadAdapterInterface {
 public:
  BytesReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t size() const override { return size_; }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= size_) return 0;
    const size_t count = std::min<uint64_t>(n, size_ - pos);
    std::memcpy(buf, data_ + pos, count);
    return count;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

torch::jit::Module& scriptOf(const Args& a, size_t i) {
  auto found = a.state().scripts.find(static_cast<uint32_t>(a.number(i)));
  if (found == a.state().scripts.end()) throw FlowmatchException("ERR_DISPOSED", "the TorchScript module was disposed");
  return *found->second;
}

// scriptLoad(name, device, bytes) -> id. The file was read in TypeScript (lib/io/read-file.ts:
// regular files only, size capped), so libtorch never opens a path that could be a FIFO or
// /dev/zero; `name` is for messages. The module is put in eval mode (dropout and batch norm
// statistics as at inference), as feature extractors are used.
Napi::Value scriptLoad(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  AddonState& s = a.state();
  const std::string path = a.string(0);
  const at::Device device = a.device(1);
  if (info.Length() < 3 || !info[2].IsTypedArray()) a.invalid(2, "a Uint8Array of the file's bytes");
  auto bytes = info[2].As<Napi::TypedArray>();
  const auto* data = static_cast<const uint8_t*>(bytes.ArrayBuffer().Data()) + bytes.ByteOffset();
  std::shared_ptr<torch::jit::Module> module;
  try {
    module = std::make_shared<torch::jit::Module>(torch::jit::load(std::make_shared<BytesReader>(data, bytes.ByteLength()), device));
  } catch (const c10::Error& e) {
    // The first line of libtorch's message says what was wrong (missing file, not a zip archive, …).
    std::string what = e.what_without_backtrace();
    throw FlowmatchException("ERR_FORMAT", path + " is not a TorchScript module that libtorch can load: " + what.substr(0, what.find('\n')));
  }
  if (module->find_method("forward") == c10::nullopt) throw FlowmatchException("ERR_FORMAT", path + " has no forward method");
  module->eval();
  uint32_t id = s.nextScriptId++;
  s.scripts[id] = std::move(module);
  return Napi::Number::New(info.Env(), id);
}

// scriptForward(id, x, grad) -> handle, or an array of handles for a tuple/list result.
Napi::Value scriptForward(const Args& a) {
  torch::jit::Module& module = scriptOf(a, 0);
  at::Tensor x = a.tensor(1);
  c10::optional<at::NoGradGuard> noGrad;
  if (!a.flag(2)) noGrad.emplace();
  c10::IValue out = module.forward({x});
  if (out.isTensor()) return a.ret(out.toTensor());
  if (out.isTuple() || out.isTensorList() || out.isList()) {
    std::vector<at::Tensor> tensors;
    const auto elements = out.isTuple() ? out.toTupleRef().elements().vec() : out.toListRef().vec();
    for (const c10::IValue& e : elements) {
      if (!e.isTensor()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "the TorchScript module returned a " + out.tagKind() + " holding a " + e.tagKind() + "; expected tensors");
      tensors.push_back(e.toTensor());
    }
    return a.retList(tensors);
  }
  throw FlowmatchException("ERR_INVALID_ARGUMENT", "the TorchScript module returned a " + out.tagKind() + "; expected a tensor or a tuple of tensors");
}

}  // namespace

void registerTorchScript(Napi::Env env, Napi::Object exports, AddonState& s) {
  FM_OP("scriptLoad", return scriptLoad(a));
  FM_OP("scriptForward", return scriptForward(a));
  FM_INPLACE("scriptRelease", a.state().scripts.erase(static_cast<uint32_t>(a.number(0))));
}

}  // namespace flowmatch
