// The contract every native model meets: a time-dependent vector field v(x, t), with
// optional class labels and a low-resolution conditioning image. It is what the ODE
// solvers call, so one forward is one native call however deep the network is.
#pragma once
#include "pch.h"
#include "tensor_table.h"  // FlowmatchException

namespace flowmatch {

struct Conditioning {
  c10::optional<at::Tensor> labels;  // int64 [N]
  c10::optional<at::Tensor> lowRes;  // [N, C', H, W], concatenated to x along channels
};

struct VelocityModel : torch::nn::Module {
  // x [N, ...], t float [N]
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const Conditioning& cond) = 0;
};

// The sinusoidal embedding of guided-diffusion / the Transformer: [cos(t·f), sin(t·f)]
// with f_i = maxPeriod^(−i/half), zero-padded when dim is odd.
at::Tensor timestepEmbedding(const at::Tensor& t, int64_t dim, double maxPeriod = 10000.0);

}  // namespace flowmatch
