// The adjoint ODE's right-hand side in one call per evaluation (lib/solvers/adjoint.ts):
// given f's outputs (recorded with grad on y and the parameters) and the adjoint a, the
// vector-Jacobian products −aᵀ·∂f/∂y and −aᵀ·∂f/∂θ and f's outputs cut from the graph.
// Done from JS this is a negation, a grad, a detach per output and a zero tensor per
// unused input, each a native call; here it is one.
//
// The backward's matrix products are those of f's forward (the same shapes, transposed),
// which for a small field are below the size where waking a second thread pays off
// (small_gemm.h). libtorch's engine runs a CPU graph on the calling thread, so MKL's
// thread-local setting covers every product of the grad.
#include "op_macros.h"
#include "small_gemm.h"

namespace flowmatch {

namespace {

// Multiply-adds of the widest product the backward may run, estimated as f's GEMM rows
// (the leading dim times any trailing spatial dims: numel / dim 1) times the elements of
// the largest parameter, as for a Linear layer or an im2col convolution. Without
// parameters the weights f multiplies by are unknown: no estimate (threads as usual).
int64_t widestProductMacs(const std::vector<at::Tensor>& inputs, size_t stateCount) {
  int64_t rows = 1;
  for (size_t i = 0; i < stateCount; ++i) {
    const at::Tensor& y = inputs[i];
    const int64_t r = y.dim() >= 2 && y.size(1) > 0 ? y.numel() / y.size(1) : 1;
    rows = std::max(rows, r);
  }
  int64_t widest = 0;
  for (size_t i = stateCount; i < inputs.size(); ++i) widest = std::max<int64_t>(widest, inputs[i].numel());
  return widest == 0 ? std::numeric_limits<int64_t>::max() : rows * widest;
}

std::vector<at::Tensor> adjointVjp(const std::vector<at::Tensor>& outputs, const std::vector<at::Tensor>& inputs, const std::vector<at::Tensor>& adjoints, size_t stateCount) {
  if (outputs.size() != adjoints.size() || stateCount > inputs.size()) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "adjointVjp: " + std::to_string(outputs.size()) + " outputs, " + std::to_string(adjoints.size()) + " adjoints, " +
                                                         std::to_string(inputs.size()) + " inputs of which " + std::to_string(stateCount) + " state components");
  }
  std::vector<at::Tensor> result;
  result.reserve(outputs.size() + inputs.size());
  // Outputs that do not depend on anything recorded contribute no product.
  std::vector<at::Tensor> recorded;
  std::vector<at::Tensor> gradOutputs;
  bool cpu = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    result.push_back(outputs[i].detach());
    cpu = cpu && outputs[i].device().is_cpu();
    if (outputs[i].requires_grad()) {
      recorded.push_back(outputs[i]);
      gradOutputs.push_back(at::neg(adjoints[i]));
    }
  }
  std::vector<at::Tensor> products;
  if (!recorded.empty()) {
    SmallGemmScope scope(cpu && widestProductMacs(inputs, stateCount) < kSmallGemmMacs);
    products = torch::autograd::grad(recorded, inputs, gradOutputs, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/true);
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    const bool defined = k < products.size() && products[k].defined();
    result.push_back(defined ? products[k] : at::zeros_like(inputs[k], at::MemoryFormat::Contiguous));
  }
  return result;
}

}  // namespace

void registerAdjointKernels(Napi::Env env, Napi::Object exports, AddonState& s) {
  // adjointVjp(outputs[], inputs[], adjoints[], stateCount) -> [outputs detached…, −aᵀ·∂outputs/∂inputs…]
  // (zeros for an input the outputs do not depend on); inputs are the state components, then the parameters.
  FM_OP("adjointVjp", return a.retList(adjointVjp(a.tensors(0), a.tensors(1), a.tensors(2), static_cast<size_t>(a.integer(3)))));
}

}  // namespace flowmatch
