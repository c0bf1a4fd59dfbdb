// Metadata, conversion, views, joining/splitting and indexing.
#include "op_macros.h"

namespace flowmatch {

namespace {
// Copied first: Set can run a setter on Array.prototype, which could resize the tensor
// that `sizes` points into.
Napi::Array intArray(Napi::Env env, at::IntArrayRef sizes) {
  const c10::SmallVector<int64_t, 8> values(sizes.begin(), sizes.end());
  Napi::Array out = Napi::Array::New(env, values.size());
  for (uint32_t k = 0; k < values.size(); ++k) out.Set(k, Napi::Number::New(env, static_cast<double>(values[k])));
  return out;
}
}  // namespace

void registerShape(Napi::Env env, Napi::Object exports, AddonState& s) {
  // Metadata (no new tensors).
  FM_OP("sizes", return intArray(info.Env(), a.tensor(0).sizes()));
  FM_OP("dtypeOf", return Napi::Number::New(info.Env(), static_cast<double>(codeFromDtype(a.tensor(0).scalar_type()))));
  FM_OP("deviceOf", return Napi::String::New(info.Env(), a.tensor(0).device().str()));
  FM_OP("numel", return Napi::Number::New(info.Env(), static_cast<double>(a.tensor(0).numel())));
  FM_OP("ndim", return Napi::Number::New(info.Env(), static_cast<double>(a.tensor(0).dim())));
  FM_OP("isContiguous", return Napi::Boolean::New(info.Env(), a.tensor(0).is_contiguous()));

  // Conversion and copies. to(t, dtype | null, device | null)
  FM_OP("to", {
    const at::Tensor& t = a.tensor(0);
    at::ScalarType dtype = a.isNull(1) ? t.scalar_type() : a.dtype(1);
    at::Device device = a.isNull(2) ? t.device() : a.device(2);
    return a.ret(t.to(device, dtype));
  });
  FM_OP("clone", return a.ret(a.tensor(0).clone()));
  FM_OP("contiguous", return a.ret(a.tensor(0).contiguous()));
  FM_OP("detach", return a.ret(a.tensor(0).detach()));

  // Views and reshapes.
  FM_OP("reshape", return a.ret(a.tensor(0).reshape(a.ints(1))));
  FM_OP("view", return a.ret(a.tensor(0).view(a.ints(1))));
  FM_OP("flatten", return a.ret(a.tensor(0).flatten(a.integer(1), a.integer(2))));
  FM_OP("permute", return a.ret(a.tensor(0).permute(a.ints(1))));
  FM_OP("transpose", return a.ret(a.tensor(0).transpose(a.integer(1), a.integer(2))));
  FM_OP("unsqueeze", return a.ret(a.tensor(0).unsqueeze(a.integer(1))));
  FM_OP("squeeze", {
    if (a.isNull(1)) return a.ret(a.tensor(0).squeeze());
    return a.ret(a.tensor(0).squeeze(a.ints(1)));
  });
  FM_OP("expand", return a.ret(a.tensor(0).expand(a.ints(1))));
  FM_OP("repeat", return a.ret(a.tensor(0).repeat(a.ints(1))));
  FM_OP("flip", return a.ret(a.tensor(0).flip(a.ints(1))));
  FM_OP("tril", return a.ret(a.tensor(0).tril(a.integer(1))));
  FM_OP("triu", return a.ret(a.tensor(0).triu(a.integer(1))));

  // Joining and splitting.
  FM_OP("cat", return a.ret(at::cat(a.tensors(0), a.integer(1))));
  FM_OP("stack", return a.ret(at::stack(a.tensors(0), a.integer(1))));
  // split(t, sizes[], dim): explicit section sizes; the TS layer turns a chunk size into sizes.
  FM_OP("split", return a.retList(a.tensor(0).split_with_sizes(a.ints(1, kMaxListLength), a.integer(2))));
  FM_OP("chunk", return a.retList(a.tensor(0).chunk(a.integer(1), a.integer(2))));
  FM_OP("unbind", return a.retList(a.tensor(0).unbind(a.integer(1))));

  // Indexing.
  FM_OP("narrow", return a.ret(a.tensor(0).narrow(a.integer(1), a.integer(2), a.integer(3))));
  // slice(t, dim, start, end, step) with Python semantics for negative / out-of-range bounds.
  FM_OP("slice", return a.ret(a.tensor(0).slice(a.integer(1), a.integer(2), a.integer(3), a.integer(4))));
  FM_OP("select", return a.ret(a.tensor(0).select(a.integer(1), a.integer(2))));
  FM_OP("indexSelect", return a.ret(a.tensor(0).index_select(a.integer(1), a.tensor(2))));
  FM_OP("gather", return a.ret(a.tensor(0).gather(a.integer(1), a.tensor(2))));
  FM_OP("scatterAdd", return a.ret(a.tensor(0).scatter_add(a.integer(1), a.tensor(2), a.tensor(3))));
  FM_OP("maskedFill", return a.ret(a.tensor(0).masked_fill(a.tensor(1), a.scalar(2))));
  FM_OP("maskedSelect", return a.ret(a.tensor(0).masked_select(a.tensor(1))));
  FM_OP("indexTensor", return a.ret(a.tensor(0).index({a.tensor(1)})));
  FM_OP("sort", {
    auto [values, indices] = a.tensor(0).sort(a.integer(1), a.flag(2));
    return a.retList({values, indices});
  });
  FM_OP("topk", {
    auto [values, indices] = a.tensor(0).topk(a.integer(1), a.integer(2), a.flag(3));
    return a.retList({values, indices});
  });
}

}  // namespace flowmatch
