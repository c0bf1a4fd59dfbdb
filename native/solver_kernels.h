// The two kernels of an adaptive Runge–Kutta step (stage sums and the controller's error
// ratio), computed bit for bit as torchdiffeq 0.2.5's PyTorch code computes them, with a
// single-pass CPU form for the small states where libtorch's per-op cost dominates.
#pragma once
#include "pch.h"

namespace flowmatch {

// base + Σ_j (w_j·h)·terms[j] in torchdiffeq's order of operations; base may be absent.
at::Tensor stageSum(const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms, const std::vector<double>& weights, double h);

// RMS of err / (atol + rtol·max(|y0|, |y1|)) over all elements, in the tensors' dtype.
double errorRatio(const at::Tensor& err, const at::Tensor& y0, const at::Tensor& y1, double rtol, double atol);

// The SIMD width (elements) at which the single-pass stage sum reproduces libtorch's for n
// terms of `dtype`, or 0 where the stage sum runs as libtorch ops (checked once, cached).
int stageSumLanes(at::ScalarType dtype, int n);

// Whether errorRatio's single pass reproduces libtorch's expression for `dtype` on this
// machine (checked once, cached); where it does not, errorRatio runs as libtorch ops.
bool errorRatioSinglePass(at::ScalarType dtype);

}  // namespace flowmatch
