#include "mlp.h"
#include "small_gemm.h"

namespace flowmatch {

Activation activationFromName(const std::string& name) {
  if (name == "silu") return Activation::SiLU;
  if (name == "relu") return Activation::ReLU;
  if (name == "tanh") return Activation::Tanh;
  if (name == "gelu") return Activation::GELU;
  if (name == "softplus") return Activation::Softplus;
  throw FlowmatchException("ERR_INVALID_ARGUMENT", "unknown activation '" + name + "' (silu, relu, tanh, gelu, softplus)");
}

namespace {
at::Tensor activate(const at::Tensor& h, Activation activation) {
  switch (activation) {
    case Activation::SiLU: return at::silu(h);
    case Activation::ReLU: return at::relu(h);
    case Activation::Tanh: return at::tanh(h);
    case Activation::GELU: return at::gelu(h);
    case Activation::Softplus: return at::softplus(h);
  }
  return h;
}
}  // namespace

MLP::MLP(const MLPConfig& config) : config_(config) {
  int64_t in = config.dim + (config.timeEmbedDim > 0 ? config.timeEmbedDim : 1);
  std::vector<int64_t> widths = config.hidden;
  widths.push_back(config.dim);
  auto net = register_module("net", torch::nn::ModuleList());
  for (int64_t width : widths) {
    torch::nn::Linear layer(in, width);
    net->push_back(layer);
    layers_.push_back(layer);
    in = width;
  }
}

at::Tensor MLP::forward(const at::Tensor& x, const at::Tensor& t, const Conditioning& cond) {
  if (cond.labels.has_value() || cond.lowRes.has_value()) {
    throw FlowmatchException("ERR_CONDITIONING",
                             std::string("the MLP is unconditional and takes no ") + (cond.labels.has_value() ? "labels" : "lowRes"));
  }
  if (x.dim() != 2 || x.size(1) != config_.dim) {
    throw FlowmatchException("ERR_SHAPE", "the MLP expects x of shape [N, " + std::to_string(config_.dim) + "], received " + c10::str(x.sizes()));
  }
  // A scalar time is shared by the whole batch (what ODE solvers pass).
  at::Tensor time = t.reshape({-1}).to(x.device(), x.scalar_type());
  if (time.size(0) == 1) time = time.expand({x.size(0)});
  if (time.size(0) != x.size(0)) {
    throw FlowmatchException("ERR_SHAPE", "t has " + std::to_string(time.size(0)) + " entries for a batch of " + std::to_string(x.size(0)));
  }
  at::Tensor features = config_.timeEmbedDim > 0 ? timestepEmbedding(time, config_.timeEmbedDim).to(x.scalar_type()) : time.unsqueeze(1);
  at::Tensor h = at::cat({x, features}, 1);
  const int64_t rows = h.size(0);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const auto& weight = layers_[i]->weight;
    {
      SmallGemmScope scope(h.device().is_cpu() && rows * weight.size(0) * weight.size(1) < kSmallGemmMacs);
      h = layers_[i]->forward(h);
    }
    if (i + 1 < layers_.size()) h = activate(h, config_.activation);
  }
  return h;
}

}  // namespace flowmatch
