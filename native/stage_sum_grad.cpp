// A stage sum that records a graph is otherwise torchdiffeq's expression as libtorch ops
// (stack, multiply, sum, add: four forward ops and four backward nodes for each stage of a
// step). Its derivative is simple: the output's gradient g reaches base unchanged and term
// j as g·c_j. One node computes those, with the products rounded as the ops' backward
// rounds them (g times c_j in the tensors' dtype, zero coefficients included, so 0·NaN
// stays NaN), and the forward runs as the graph-free single pass.
#include "stage_sum_grad.h"

#include <torch/csrc/autograd/functions/utils.h>

namespace flowmatch {

namespace {

using torch::autograd::variable_list;

// Elements per thread chunk, as the forward single pass.
constexpr int64_t kGrain = 32768;

template <typename T>
void scaledCopies(const at::Tensor& g, const std::vector<double>& coeffs, const std::vector<bool>& wanted, variable_list& out, size_t first) {
  const T* src = g.data_ptr<T>();
  const int64_t numel = g.numel();
  std::vector<T*> dst(coeffs.size(), nullptr);
  for (size_t j = 0; j < coeffs.size(); ++j) {
    if (!wanted[j]) continue;
    out[first + j] = at::empty_like(g, at::MemoryFormat::Contiguous);
    dst[j] = out[first + j].data_ptr<T>();
  }
  at::parallel_for(0, numel, kGrain, [&](int64_t begin, int64_t end) {
    for (size_t j = 0; j < coeffs.size(); ++j) {
      T* d = dst[j];
      if (d == nullptr) continue;
      const T c = static_cast<T>(coeffs[j]);
      for (int64_t e = begin; e < end; ++e) d[e] = src[e] * c;
    }
  });
}

class StageSumBackward : public torch::autograd::Node {
 public:
  StageSumBackward(bool hasBase, std::vector<double> coeffs, torch::autograd::edge_list&& edges)
      : Node(std::move(edges)), hasBase_(hasBase), coeffs_(std::move(coeffs)) {}
  std::string name() const override { return "StageSumBackward"; }

  variable_list apply(variable_list&& grads) override {
    variable_list out(num_outputs());
    const at::Tensor& g = grads[0];
    if (!g.defined()) return out;
    const size_t first = hasBase_ ? 1 : 0;
    if (hasBase_ && should_compute_output(0)) out[0] = g;
    std::vector<bool> wanted(coeffs_.size());
    for (size_t j = 0; j < coeffs_.size(); ++j) wanted[j] = should_compute_output(first + j);
    const at::ScalarType dtype = g.scalar_type();
    if (g.device().is_cpu() && g.is_contiguous() && (dtype == at::kFloat || dtype == at::kDouble) && !at::GradMode::is_enabled()) {
      if (dtype == at::kFloat) scaledCopies<float>(g, coeffs_, wanted, out, first);
      else scaledCopies<double>(g, coeffs_, wanted, out, first);
      return out;
    }
    // Anything else (a strided or non-CPU gradient, a double backward) as libtorch ops.
    for (size_t j = 0; j < coeffs_.size(); ++j) {
      if (wanted[j]) out[first + j] = at::mul(g, at::scalar_tensor(coeffs_[j], g.options().dtype(at::kDouble)).to(dtype));
    }
    return out;
  }

 private:
  bool hasBase_;
  std::vector<double> coeffs_;
};

}  // namespace

at::Tensor attachStageSumGrad(at::Tensor out, const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms, std::vector<double> coeffs) {
  std::vector<at::Tensor> inputs;
  if (base.has_value()) inputs.push_back(*base);
  inputs.insert(inputs.end(), terms.begin(), terms.end());
  auto node = c10::make_intrusive<StageSumBackward>(base.has_value(), std::move(coeffs), torch::autograd::collect_next_edges(inputs));
  torch::autograd::set_history(out, node);
  return out;
}

}  // namespace flowmatch
