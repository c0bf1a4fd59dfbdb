// Optimizer updates, gradient clipping and weight EMA: each is one native call over a
// whole parameter list, so a training step crosses into C++ once per phase. The state
// (moments, momentum buffers, step counts) lives in ordinary tensors that TypeScript
// owns, so a checkpoint stores it like any other tensor. An optimizer registers its
// parameters and state once as a parameter group (state.h), and zeroGrad and each step
// read the group's id: a 3×64 MLP's Adam step used to read 32 handles.
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

// The state of the parameters that have a gradient (all of them, usually: then the list itself).
std::vector<at::Tensor> pick(const std::vector<at::Tensor>& all, const WithGrad& live) {
  if (live.index.size() == all.size()) return all;
  std::vector<at::Tensor> out;
  out.reserve(live.index.size());
  for (size_t i : live.index) out.push_back(all[i]);
  return out;
}

ParameterGroup& groupOf(const Args& a, size_t i) {
  auto found = a.state().parameterGroups.find(static_cast<uint32_t>(a.number(i)));
  if (found == a.state().parameterGroups.end()) throw FlowmatchException("ERR_DISPOSED", "the optimizer was disposed");
  return found->second;
}

// parameterGroupCreate(params, state0 | null, state1 | null, state2 | null) -> id; each
// state list has one tensor per parameter.
Napi::Value parameterGroupCreate(const Args& a) {
  ParameterGroup group;
  group.params = a.tensors(0);
  for (size_t i = 1; i <= 3; ++i) {
    if (a.isNull(i)) continue;
    group.state.push_back(a.tensors(i));
    if (group.state.back().size() != group.params.size()) {
      throw FlowmatchException("ERR_INVALID_ARGUMENT", "parameterGroupCreate: " + std::to_string(group.state.back().size()) + " state tensors for " + std::to_string(group.params.size()) + " parameters");
    }
  }
  AddonState& s = a.state();
  uint32_t id = s.nextParameterGroupId++;
  s.parameterGroups.emplace(id, std::move(group));
  return Napi::Number::New(a.env(), id);
}

const ParameterGroup& groupWithState(const Args& a, size_t i, size_t lists, const char* what) {
  const ParameterGroup& g = groupOf(a, i);
  if (g.state.size() != lists) throw FlowmatchException("ERR_INVALID_ARGUMENT", std::string(what) + ": the group has " + std::to_string(g.state.size()) + " state lists, expected " + std::to_string(lists));
  return g;
}

// adamStep(group, lr, beta1, beta2, eps, weightDecay, decoupled, maximize); the group's state
// is [expAvg, expAvgSq, steps]. PyTorch's fused Adam/AdamW kernels: one pass over each
// parameter, same arithmetic as torch.optim.Adam(fused=True). `steps` are float32 scalars;
// like PyTorch's Python side we count the step before the kernel, which reads it for the
// bias correction.
Napi::Value adamStep(const Args& a) {
  at::NoGradGuard noGrad;
  double lr = a.number(1), beta1 = a.number(2), beta2 = a.number(3), eps = a.number(4), wd = a.number(5);
  bool decoupled = a.flag(6), maximize = a.flag(7);
  const ParameterGroup& g = groupWithState(a, 0, 3, "adamStep");
  WithGrad live = withGrad(g.params);
  if (live.params.empty()) return a.env().Undefined();
  auto expAvg = pick(g.state[0], live);
  auto expAvgSq = pick(g.state[1], live);
  auto steps = pick(g.state[2], live);
  at::_foreach_add_(steps, at::Scalar(1));
  if (decoupled) {
    at::_fused_adamw_(live.params, live.grads, expAvg, expAvgSq, {}, steps, lr, beta1, beta2, wd, eps, false, maximize);
  } else {
    at::_fused_adam_(live.params, live.grads, expAvg, expAvgSq, {}, steps, lr, beta1, beta2, wd, eps, false, maximize);
  }
  return a.env().Undefined();
}

// sgdStep(group, hasBuffers[], lr, momentum, dampening, weightDecay, nesterov, maximize); the
// group's state is [momentumBuffers] with momentum, [] without. torch.optim.SGD: the first
// step with momentum seeds the buffer with the gradient itself (no dampening), later steps
// use buf = momentum·buf + (1 − dampening)·g. Returns the updated hasBuffers flags.
Napi::Value sgdStep(const Args& a) {
  at::NoGradGuard noGrad;
  // The flags' array may hold getters that run JS (and could release the group), so every
  // argument is read before the group is looked up.
  std::vector<int64_t> seeded = a.ints(1, kMaxListLength);
  double lr = a.number(2), momentum = a.number(3), dampening = a.number(4), wd = a.number(5);
  bool nesterov = a.flag(6), maximize = a.flag(7);
  const ParameterGroup& g = groupOf(a, 0);
  const std::vector<at::Tensor>& params = g.params;
  if ((momentum != 0 && g.state.size() != 1) || seeded.size() != params.size()) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "sgdStep: one momentum buffer and flag per parameter");
  }
  std::vector<at::Tensor> buffers = momentum != 0 ? g.state[0] : std::vector<at::Tensor>{};
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
  FM_OP("parameterGroupCreate", return parameterGroupCreate(a));
  FM_INPLACE("parameterGroupRelease", a.state().parameterGroups.erase(static_cast<uint32_t>(a.number(0))));
  FM_OP("adamStep", return adamStep(a));
  FM_OP("sgdStep", return sgdStep(a));
  FM_OP("clipGradNorm", return clipGradNorm(a));
  // zeroGrad(group): drops the gradients (PyTorch's zero_grad(set_to_none=True)).
  FM_INPLACE("zeroGrad", {
    for (at::Tensor p : groupOf(a, 0).params) p.mutable_grad() = at::Tensor();
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
