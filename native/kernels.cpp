// Fused kernels for solver inner loops (one native call per Runge–Kutta stage instead of one
// per term, and error norms that come back as a plain number) and for the training step's
// draw along a built-in schedule (schedules.h).
#include "op_macros.h"
#include "schedules.h"
#include "solver_kernels.h"

namespace flowmatch {

namespace {

// base + Σ coeffs[i]·terms[i], skipping zero coefficients (Butcher tableaux are sparse).
at::Tensor combine(const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms, const std::vector<double>& coeffs) {
  if (terms.size() != coeffs.size()) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "linearCombination: " + std::to_string(terms.size()) + " tensors but " + std::to_string(coeffs.size()) + " coefficients");
  }
  at::Tensor out;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (coeffs[i] == 0.0) continue;
    if (!out.defined()) {
      out = base.has_value() ? at::add(*base, terms[i], coeffs[i]) : at::mul(terms[i], coeffs[i]);
    } else if (out.requires_grad() || terms[i].requires_grad()) {
      out = at::add(out, terms[i], coeffs[i]);  // out-of-place keeps autograd history intact
    } else {
      out.add_(terms[i], coeffs[i]);
    }
  }
  if (!out.defined()) {
    if (base.has_value()) return base->clone();
    if (terms.empty()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "linearCombination needs a base or at least one term");
    return at::zeros_like(terms[0]);
  }
  return out;
}

}  // namespace

void registerKernels(Napi::Env env, Napi::Object exports, AddonState& s) {
  // linearCombination(base | null, terms[], coeffs[]) -> base + Σ cᵢ·tᵢ
  FM_OP("linearCombination", return a.ret(combine(a.optTensor(0), a.tensors(1), a.doubles(2))));
  // affineSample(x0, x1, alpha, sigma, dAlpha, dSigma) -> [x_t, u_t] of an affine path in x1's
  // dtype: x_t = σ·x0 + α·x1 and u_t = σ'·x0 + α'·x1, the coefficients ([batch, 1, …], float64
  // from the scheduler) cast first. One call instead of ten per training step.
  FM_OP("affineSample", {
    auto [xt, ut] = affineCombination(a.tensor(0), a.tensor(1), ScheduleCoefficients{a.tensor(2), a.tensor(3), a.tensor(4), a.tensor(5)});
    return a.retList({xt, ut});
  });
  // scheduleCoefficients(kind, a, b, t) -> [α, σ, α', σ'] of a built-in schedule (schedules.h).
  FM_OP("scheduleCoefficients", {
    Schedule schedule{a.string(0), a.number(1), a.number(2)};
    ScheduleCoefficients c = scheduleCoefficients(schedule, a.tensor(3));
    return a.retList({c.alpha, c.sigma, c.dAlpha, c.dSigma});
  });
  // affineTrainingDraw(x1, t | null, x0 | null, samplerKind | null, samplerA, samplerB,
  // scheduleKind, scheduleA, scheduleB) -> [t, x_t, u_t]: a training step's whole draw along a
  // built-in schedule, which is otherwise a dozen calls.
  FM_OP("affineTrainingDraw", {
    at::Tensor x1 = a.tensor(0);
    c10::optional<at::Tensor> t = a.optTensor(1), x0 = a.optTensor(2);
    c10::optional<TimeSampler> sampler;
    if (!a.isNull(3)) sampler = TimeSampler{a.string(3), a.number(4), a.number(5)};
    Schedule schedule{a.string(6), a.number(7), a.number(8)};
    TrainingDraw d = affineTrainingDraw(x1, t, x0, sampler, schedule);
    return a.retList({d.t, d.xt, d.ut});
  });
  // stageSum(base | null, terms[], weights[], h) -> base + Σ (wᵢ·h)·tᵢ, torchdiffeq's order of operations
  FM_OP("stageSum", return a.ret(stageSum(a.optTensor(0), a.tensors(1), a.doubles(2), a.number(3))));
  // stageSumLanes(dtype, n) -> the SIMD width the single-pass stage sum reproduces, 0 = libtorch ops
  FM_OP("stageSumLanes", return Napi::Number::New(info.Env(), stageSumLanes(a.dtype(0), static_cast<int>(a.integer(1)))));
  // errorRatio(err, y0, y1, rtol, atol) -> RMS(err / (atol + rtol·max(|y0|, |y1|))) as a number:
  // the step-size controller's norm (torchdiffeq's mixed tolerance with RMS norm).
  FM_OP("errorRatio", return Napi::Number::New(info.Env(), errorRatio(a.tensor(0), a.tensor(1), a.tensor(2), a.number(3), a.number(4))));
  // errorRatioSinglePass(dtype) -> whether errorRatio's single pass reproduces libtorch here
  FM_OP("errorRatioSinglePass", return Napi::Boolean::New(info.Env(), errorRatioSinglePass(a.dtype(0))));
  // rmsNorm(t) -> sqrt(mean(t²)) as a number.
  FM_OP("rmsNorm", {
    at::NoGradGuard noGrad;
    const at::Tensor& t = a.tensor(0);
    double rms = t.numel() == 0 ? 0.0 : t.abs().pow(2).mean().sqrt().item<double>();
    return Napi::Number::New(info.Env(), rms);
  });
  // allFinite(t) -> boolean, for NaN/Inf checks between solver steps. A meta tensor holds
  // no values, hence none that is not finite: fixed-grid solves then run on 'meta', which is
  // how the device tests check placement without a GPU.
  FM_OP("allFinite", {
    at::NoGradGuard noGrad;
    if (a.tensor(0).is_meta()) return Napi::Boolean::New(info.Env(), true);
    return Napi::Boolean::New(info.Env(), at::isfinite(a.tensor(0)).all().item<bool>());
  });
}

}  // namespace flowmatch
