// A multilayer perceptron vector field for low-dimensional data (2-D toys, tabular).
#pragma once
#include "model.h"

namespace flowmatch {

enum class Activation { SiLU, ReLU, Tanh, GELU, Softplus };
Activation activationFromName(const std::string& name);

struct MLPConfig {
  int64_t dim = 2;                // features of x (and of the output)
  std::vector<int64_t> hidden;    // widths of the hidden layers
  Activation activation = Activation::SiLU;
  int64_t timeEmbedDim = 0;       // 0: t joins x as one extra input; > 0: sinusoidal embedding of this size
};

class MLP : public VelocityModel {
 public:
  explicit MLP(const MLPConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const Conditioning& cond) override;

  // For the batch-invariant serving forward (batch_invariant_linear.cpp).
  const MLPConfig& config() const { return config_; }
  const std::vector<torch::nn::Linear>& layers() const { return layers_; }

 private:
  MLPConfig config_;
  std::vector<torch::nn::Linear> layers_;
};

}  // namespace flowmatch
