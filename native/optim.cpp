// Optimizer updates, gradient clipping and weight EMA: each is one native call over a
// whole parameter list, so a training step crosses into C++ once per phase. The state
// (moments, momentum buffers, step counts) lives in ordinary tensors that TypeScript
// owns, so a checkpoint stores it like any other tensor.
#include "op_macros.h"

namespace flowmatch {

namespace {

// Parameters without a gradient are skipped, as in PyTorch (p.grad is None).
struct WithGrad {
  std::vector<at::Tensor> params, grads;
  std::vector<size_t> index;  // position of each kept parameter in the caller's list
};

WithGrad withGrad(const std::vector<at::Tensor>& params) {
  WithGrad out;
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor& g = params[i].grad();
    if (!g.defined()) continue;
    out.params.push_back(params[i]);
    out.grads.push_back(g);
    out.index.push_back(i);
  }
  return out;
}

std::vector<at::Tensor> pick(const std::vector<at::Tensor>& all, const std::vector<size_t>& index, size_t expected, const char* what) {
  if (all.size() != expected) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", std::string(what) + ": " + std::to_string(all.size()) + " state tensors for " + std::to_string(expected) + " parameters");
  }
  std::vector<at::Tensor> out;
  out.reserve(index.size());
  for (size_t i : index) out.push_back(all[i]);
  return out;
}

// adamStep(params, expAvg, expAvgSq, steps, lr, beta1, beta2, eps, weightDecay, decoupled, maximize)
// PyTorch's fused Adam/AdamW kernels: one pass over each parameter, same arithmetic as
// torch.optim.Adam(fused=True). `steps` are float32 scalars; like PyTorch's Python side we
// count the step before the kernel, which reads it for the bias correction.
Napi::Value adamStep(const Args& a) {
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> params = a.tensors(0);
  WithGrad live = withGrad(params);
  if (live.params.empty()) return a.env().Undefined();
  auto expAvg = pick(a.tensors(1), live.index, params.size(), "adamStep");
  auto expAvgSq = pick(a.tensors(2), live.index, params.size(), "adamStep");
  auto steps = pick(a.tensors(3), live.index, params.size(), "adamStep");
  double lr = a.number(4), beta1 = a.number(5), beta2 = a.number(6), eps = a.number(7), wd = a.number(8);
  bool decoupled = a.flag(9), maximize = a.flag(10);
  at::_foreach_add_(steps, at::Scalar(1));
  if (decoupled) {
    at::_fused_adamw_(live.params, live.grads, expAvg, expAvgSq, {}, steps, lr, beta1, beta2, wd, eps, false, maximize);
  } else {
    at::_fused_adam_(live.params, live.grads, expAvg, expAvgSq, {}, steps, lr, beta1, beta2, wd, eps, false, maximize);
  }
  return a.env().Undefined();
}

// sgdStep(params, momentumBuffers (empty without momentum), hasBuffers[], lr, momentum, dampening, weightDecay, nesterov, maximize)
// torch.optim.SGD: the first step with momentum seeds the buffer with the gradient itself
// (no dampening), later steps use buf = momentum·buf + (1 − dampening)·g. Returns the
// updated hasBuffers flags.
Napi::Value sgdStep(const Args& a) {
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> params = a.tensors(0);
  std::vector<at::Tensor> buffers = a.tensors(1);
  std::vector<int64_t> seeded = a.ints(2, kMaxListLength);
  double lr = a.number(3), momentum = a.number(4), dampening = a.number(5), wd = a.number(6);
  if ((momentum != 0 && buffers.size() != params.size()) || seeded.size() != params.size()) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "sgdStep: one momentum buffer and flag per parameter");
  }
  bool nesterov = a.flag(7), maximize = a.flag(8);
  Napi::Array flags = Napi::Array::New(a.env(), params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor p = params[i];
    at::Tensor g = p.grad();
    if (g.defined()) {
      if (maximize) g = g.neg();
      if (wd != 0) g = g.add(p, wd);
      if (momentum != 0) {
        at::Tensor& buf = buffers[i];
        if (seeded[i]) {
          buf.mul_(momentum).add_(g, 1 - dampening);
        } else {
          buf.copy_(g);
          seeded[i] = 1;
        }
        g = nesterov ? g.add(buf, momentum) : buf;
      }
      p.add_(g, -lr);
    }
    flags.Set(static_cast<uint32_t>(i), Napi::Boolean::New(a.env(), seeded[i] != 0));
  }
  return flags;
}

// clipGradNorm(params, maxNorm, normType) -> total norm before clipping, as a number.
// torch.nn.utils.clip_grad_norm_: the norm of the per-parameter norms; gradients are
// scaled by min(1, maxNorm / (total + 1e-6)).
Napi::Value clipGradNorm(const Args& a) {
  at::NoGradGuard noGrad;
  WithGrad live = withGrad(a.tensors(0));
  double maxNorm = a.number(1), normType = a.number(2);
  if (live.grads.empty()) return Napi::Number::New(a.env(), 0.0);
  std::vector<at::Tensor> norms = at::_foreach_norm(live.grads, normType);
  at::Tensor stacked = at::stack(norms).to(at::kDouble);
  at::Tensor total = std::isinf(normType) ? stacked.max() : stacked.norm(normType);
  double totalNorm = total.item<double>();
  double coef = maxNorm / (totalNorm + 1e-6);
  if (coef < 1.0) at::_foreach_mul_(live.grads, at::Scalar(coef));
  return Napi::Number::New(a.env(), totalNorm);
}

}  // namespace

void registerOptim(Napi::Env env, Napi::Object exports, AddonState& s) {
  FM_OP("adamStep", return adamStep(a));
  FM_OP("sgdStep", return sgdStep(a));
  FM_OP("clipGradNorm", return clipGradNorm(a));
  // zeroGrad(params): drops the gradients (PyTorch's zero_grad(set_to_none=True)).
  FM_INPLACE("zeroGrad", {
    for (at::Tensor p : a.tensors(0)) p.mutable_grad() = at::Tensor();
  });
  // zerosLikeList(tensors) -> fresh zero tensors shaped like each, for optimizer state.
  FM_OP("zerosLikeList", {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> out;
    for (const at::Tensor& t : a.tensors(0)) out.push_back(at::zeros_like(t, at::MemoryFormat::Preserve));  // the layout the fused kernels expect
    return a.retList(out);
  });
  // emaUpdate(shadow, params, decay): shadow ← decay·shadow + (1 − decay)·param, one
  // foreach call for the whole list.
  FM_INPLACE("emaUpdate", {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> shadow = a.tensors(0);
    std::vector<at::Tensor> params = a.tensors(1);
    if (shadow.size() != params.size()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "emaUpdate: one shadow tensor per parameter");
    at::_foreach_lerp_(shadow, params, at::Scalar(1.0 - a.number(2)));
  });
}

}  // namespace flowmatch
