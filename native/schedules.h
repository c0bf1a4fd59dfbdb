// The built-in affine schedules (α_t, σ_t and their derivatives) and time samplers, and the
// training draw (t, x_t, u_t) of an affine path in one native call. lib/paths/schedulers.ts
// and lib/losses/time-samplers.ts document the formulas and choose these by name; a user's
// own scheduler or sampler stays in JS.
#pragma once

#include "pch.h"

namespace flowmatch {

struct ScheduleCoefficients {
  at::Tensor alpha, sigma, dAlpha, dSigma;
};

// A schedule by name with up to two parameters (lib/paths/schedulers.ts's closedForm):
// 'ot' (σ_min), 'polynomial' (n), 'cosine', 'linear-vp', 'vp' (β_min, β_max) and
// 've' (σ_min, log(σ_max/σ_min), the logarithm taken in JS so both sides agree to the bit).
struct Schedule {
  std::string kind;
  double a = 0, b = 0;
};

// 'uniform' (min, max) or 'logit-normal' (mean, std).
struct TimeSampler {
  std::string kind;
  double a = 0, b = 0;
};

// Elementwise at t (float64 from the paths; any shape), with the op sequence of the JS
// formulas these replaced, so the coefficients are the same bits either way.
ScheduleCoefficients scheduleCoefficients(const Schedule& schedule, const at::Tensor& t);

// n times on `device` from flowmatch's generator, float32 (creation.ts's default dtype).
at::Tensor sampleTimes(const TimeSampler& sampler, int64_t n, at::Device device);

// [x_t, u_t] = [σ·x0 + α·x1, σ'·x0 + α'·x1] in x1's dtype, the coefficients cast first.
std::pair<at::Tensor, at::Tensor> affineCombination(const at::Tensor& x0, const at::Tensor& x1, const ScheduleCoefficients& c);

struct TrainingDraw {
  at::Tensor t, xt, ut;
};

// One CFM training draw along an affine path: t (given, or drawn first), x0 (given, or drawn
// next, N(0, I) of x1's shape), the coefficients at t in float64 and the combination. The
// draws come in lib/losses/training-draw.ts's order, so the generator is left as it leaves it.
TrainingDraw affineTrainingDraw(const at::Tensor& x1, const c10::optional<at::Tensor>& t, const c10::optional<at::Tensor>& x0,
                                const c10::optional<TimeSampler>& sampler, const Schedule& schedule);

}  // namespace flowmatch
