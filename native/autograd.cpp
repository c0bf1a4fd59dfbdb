// Autograd: grad mode, backward, .grad, and vector-Jacobian products with double backward.
#include "op_macros.h"

namespace flowmatch {

void registerAutograd(Napi::Env env, Napi::Object exports, AddonState& s) {
  // Grad mode is thread-local in libtorch; each worker thread sets its own.
  FM_INPLACE("setGradEnabled", at::GradMode::set_enabled(a.flag(0)));
  FM_OP("isGradEnabled", return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()));
  FM_OP("requiresGrad", return Napi::Boolean::New(info.Env(), a.tensor(0).requires_grad()));
  FM_INPLACE("setRequiresGrad", a.tensor(0).requires_grad_(a.flag(1)));
  FM_OP("isLeaf", return Napi::Boolean::New(info.Env(), a.tensor(0).is_leaf()));
  FM_OP("gradOf", return a.retOptional(a.tensor(0).grad()));
  // setGrad(t, g | null): null clears the gradient (PyTorch's `p.grad = None`).
  // libtorch's autograd would take a gradient of any shape here and fail (or broadcast)
  // only at the next accumulation; PyTorch's Python setter checks what this one checks.
  FM_INPLACE("setGrad", {
    at::Tensor t = a.tensor(0);
    if (a.isNull(1)) {
      t.mutable_grad() = at::Tensor();
    } else {
      at::Tensor g = a.tensor(1);
      if (!g.sizes().equals(t.sizes())) throw FlowmatchException("ERR_SHAPE", "the gradient has shape " + c10::str(g.sizes()) + ", the tensor " + c10::str(t.sizes()));
      if (g.scalar_type() != t.scalar_type()) throw FlowmatchException("ERR_DTYPE", std::string("the gradient is ") + c10::toString(g.scalar_type()) + ", the tensor " + c10::toString(t.scalar_type()));
      if (g.device() != t.device()) throw FlowmatchException("ERR_DEVICE", "the gradient is on " + g.device().str() + ", the tensor on " + t.device().str());
      t.mutable_grad() = g;
    }
  });
  // backward(t, grad | null, retainGraph, createGraph)
  FM_INPLACE("backward", {
    const at::Tensor& t = a.tensor(0);
    c10::optional<at::Tensor> g = a.optTensor(1);
    c10::optional<bool> retain;
    if (!a.isNull(2)) retain = a.flag(2);
    t.backward(g.has_value() ? *g : at::Tensor(), retain, a.flag(3));
  });
  // grad(outputs[], inputs[], gradOutputs[] | null, retainGraph | null, createGraph, allowUnused)
  FM_OP("grad", {
    std::vector<at::Tensor> outputs = a.tensors(0);
    std::vector<at::Tensor> inputs = a.tensors(1);
    std::vector<at::Tensor> gradOutputs;
    if (!a.isNull(2)) gradOutputs = a.tensors(2);
    c10::optional<bool> retain;
    if (!a.isNull(3)) retain = a.flag(3);
    auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain, a.flag(4), a.flag(5));
    return a.retList(grads);
  });
}

}  // namespace flowmatch
