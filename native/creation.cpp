// Making tensors from JS data and from factories, and reading them back.
#include "op_macros.h"

namespace flowmatch {

namespace {

at::TensorOptions options(const Args& a, size_t dtypeArg, size_t deviceArg) {
  auto o = at::TensorOptions().device(a.device(deviceArg));
  if (!a.isNull(dtypeArg)) o = o.dtype(a.dtype(dtypeArg));
  return o;
}

// fromBuffer(typedArray, sourceDtype, shape, targetDtype | null, device, requiresGrad)
Napi::Value fromBuffer(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  if (!info[0].IsTypedArray()) a.invalid(0, "a TypedArray");
  auto array = info[0].As<Napi::TypedArray>();
  at::ScalarType source = a.dtype(1);
  std::vector<int64_t> shape = a.ints(2);
  size_t elementSize = c10::elementSize(source);
  // Checked products: a shape like [2^40, 2^40] must not wrap around to the data's size.
  uint64_t numel = 1, bytes = 0;
  for (int64_t d : shape) {
    if (d < 0) throw FlowmatchException("ERR_SHAPE", "shape has a negative size");
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel)) throw FlowmatchException("ERR_SHAPE", "the shape holds more elements than fit in memory");
  }
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(elementSize), &bytes) || bytes != array.ByteLength()) {
    throw FlowmatchException("ERR_SHAPE", "the data holds " + std::to_string(array.ByteLength() / elementSize) +
                                                      " elements but the shape asks for " + std::to_string(numel));
  }
  auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  at::Tensor t = at::from_blob(data, shape, at::TensorOptions().dtype(source)).clone();
  at::ScalarType target = a.isNull(3) ? source : a.dtype(3);
  t = t.to(a.device(4), target);
  if (a.flag(5)) t.requires_grad_(true);
  return a.ret(std::move(t));
}

// Readback: a contiguous CPU copy. Half precision comes back as float32 because Node 20
// has no Float16Array.
Napi::Value toBuffer(const Args& a) {
  at::Tensor t = a.tensor(0).detach();
  if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
  t = t.to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(a.env(), bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  return buffer;
}

Napi::Value item(const Args& a) {
  const at::Tensor& t = a.tensor(0);
  if (t.numel() != 1) {
    throw FlowmatchException("ERR_SHAPE", "item() needs a tensor with exactly one element, this one has " + std::to_string(t.numel()));
  }
  return Napi::Number::New(a.env(), t.item<double>());
}

}  // namespace

void registerCreation(Napi::Env env, Napi::Object exports, AddonState& s) {
  FM_OP("fromBuffer", return fromBuffer(a));
  FM_OP("toBuffer", return toBuffer(a));
  FM_OP("item", return item(a));
  // zeros/ones/empty(shape, dtype | null, device, requiresGrad)
  FM_OP("zeros", return a.ret(at::zeros(a.ints(0), options(a, 1, 2).requires_grad(a.flag(3)))));
  FM_OP("ones", return a.ret(at::ones(a.ints(0), options(a, 1, 2).requires_grad(a.flag(3)))));
  FM_OP("empty", return a.ret(at::empty(a.ints(0), options(a, 1, 2).requires_grad(a.flag(3)))));
  // full(shape, value, dtype | null, device)
  FM_OP("full", return a.ret(at::full(a.ints(0), a.scalar(1), options(a, 2, 3))));
  // eye(n, m, dtype | null, device)
  FM_OP("eye", return a.ret(at::eye(a.integer(0), a.integer(1), options(a, 2, 3))));
  // arange(start, end, step, dtype | null, device)
  FM_OP("arange", return a.ret(at::arange(a.scalar(0), a.scalar(1), a.scalar(2), options(a, 3, 4))));
  // linspace(start, end, steps, dtype | null, device)
  FM_OP("linspace", return a.ret(at::linspace(a.number(0), a.number(1), a.integer(2), options(a, 3, 4))));
  // rand/randn(shape, dtype | null, device)
  FM_OP("rand", return a.ret(at::rand(a.ints(0), options(a, 1, 2))));
  FM_OP("randn", return a.ret(at::randn(a.ints(0), options(a, 1, 2))));
  // randint(low, high, shape, dtype | null, device)
  FM_OP("randint", return a.ret(at::randint(a.integer(0), a.integer(1), a.ints(2), options(a, 3, 4))));
  // randperm(n, device)
  FM_OP("randperm", return a.ret(at::randperm(a.integer(0), at::TensorOptions().dtype(at::kLong).device(a.device(1)))));
}

}  // namespace flowmatch
