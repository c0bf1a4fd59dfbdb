// The autograd node of a fused Runge–Kutta stage sum (solver_kernels.cpp stageSum).
#pragma once
#include "pch.h"

namespace flowmatch {

// Puts `out` = base + Σ_j c_j·terms[j], computed without a graph, on the graph of base and
// terms: ∂out/∂base = I and ∂out/∂terms[j] = c_j·I, with c_j in out's dtype (float64 holds
// each exactly). base may be absent; every tensor has out's shape.
at::Tensor attachStageSumGrad(at::Tensor out, const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms, std::vector<double> coeffs);

}  // namespace flowmatch
