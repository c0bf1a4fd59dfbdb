// A batch-invariant inference forward for the MLP: every output row's bits depend only on
// that row's input, never on how many rows share the call or where the row sits in it.
//
// libtorch's CPU GEMM (MKL) picks its blocking, its k-splitting and its threads by the
// batch size, so the same row comes out with different last bits in batches of 1, 2–3,
// 4–12 and 16+ rows; a server that concatenated requests into one forward would then give
// a seeded request different samples depending on its neighbours. Here each output element
// is computed by the same sequence of operations whatever the batch: start from the bias,
// add a[k]·w[k] with one fused multiply-add per k in increasing k, then the activation, in
// SIMD lanes (vectorized over output columns) whose arithmetic is the same as the scalar
// fallback's. Rows are processed in fixed tiles; the last partial tile is padded into a
// scratch tile and goes through the same code. Threads split the rows, which changes no
// row's arithmetic. The rounding differs from libtorch's (a different summation order),
// within float32 accuracy.
#pragma once
#include "mlp.h"

namespace flowmatch {

// Whether mlpForwardBatchInvariant can run `model`: a CPU float32 MLP with a SiLU or ReLU
// activation (the activations computed here; the others have no batch-invariant kernel).
bool supportsBatchInvariantForward(const VelocityModel& model);

// The MLP's forward without grad, batch-invariant. x [N, dim] float32, t [N] or one value.
at::Tensor mlpForwardBatchInvariant(const MLP& mlp, const at::Tensor& x, const at::Tensor& t);

// Several requests' evaluations as ONE batch-invariant forward over their concatenated
// rows, split back into one output per request (views of one result).
std::vector<at::Tensor> mlpForwardMerged(const MLP& mlp, const std::vector<at::Tensor>& xs, const std::vector<at::Tensor>& ts);

}  // namespace flowmatch
