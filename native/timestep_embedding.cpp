#include "model.h"

namespace flowmatch {

// Computed in float32 like guided-diffusion (float64 stays float64, so gradient checks in
// double precision see no rounding); callers cast to their parameters' dtype.
at::Tensor timestepEmbedding(const at::Tensor& t, int64_t dim, double maxPeriod) {
  at::ScalarType type = t.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  int64_t half = dim / 2;
  at::Tensor freqs = at::exp(at::arange(0, half, at::TensorOptions().dtype(type).device(t.device())) * (-std::log(maxPeriod) / half));
  at::Tensor args = t.reshape({-1, 1}).to(type) * freqs.unsqueeze(0);
  at::Tensor embedding = at::cat({at::cos(args), at::sin(args)}, -1);
  if (dim % 2) embedding = at::cat({embedding, at::zeros_like(embedding.narrow(1, 0, 1))}, -1);
  return embedding;
}

}  // namespace flowmatch
