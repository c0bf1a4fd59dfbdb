// Optimal transport between two equally weighted point sets: an exact assignment solver
// and entropic (Sinkhorn) plans. Used by the trainer's couplings (lib/couplings), once per
// training step, so both are written for n in the thousands.
#pragma once
#include "pch.h"

namespace flowmatch {

// The permutation σ minimising Σ_i cost[i·n + σ(i)] for a row-major n×n matrix of finite
// costs: σ[i] is the column of row i.
std::vector<int64_t> solveAssignment(const double* cost, int64_t n);

struct SinkhornResult {
  at::Tensor plan;       // [n, m], float64, rows summing to 1/n, columns to 1/m
  int64_t iterations;    // Sinkhorn sweeps run
  double marginalError;  // ‖plan·1ᵀ − b‖₂ at the last check
};

// Entropic OT with uniform marginals on the float64 cost: the iteration and stopping rule of
// POT's ot.sinkhorn(method='sinkhorn_log') (the column marginal checked every tenth sweep), so
// the two agree to rounding. On CPU it runs on stabilized scalings (two matrix–vector
// products a sweep), elsewhere as log-domain libtorch ops.
SinkhornResult sinkhornLog(const at::Tensor& cost, double reg, int64_t maxIterations, double threshold);

// ‖a_i − b_j‖² over the flattened rows, in float64: [n, m].
at::Tensor squaredEuclideanCost(const at::Tensor& a, const at::Tensor& b);

}  // namespace flowmatch
