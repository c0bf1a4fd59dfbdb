// The built-in affine schedules and time samplers, and the fused training draw (schedules.h).
// Each formula is the op sequence lib/ ran before it moved here, a constant passed the way a
// JS call passes it (a wrapped number, integer when integral), so the results are the same
// bits: test/losses/training-draw.test.ts checks them bit for bit against the Tensor-op
// formulas, and test/paths/paths.test.ts against float64 closed forms.
#include "schedules.h"

#include "op_macros.h"

namespace flowmatch {

namespace {

// A JS number as the wrapped scalar a Tensor method call passes (tensor.mul(2.5)).
at::Tensor num(double v) { return wrappedScalar(scalarOfNumber(v)); }

at::TensorOptions like(const at::Tensor& t) { return at::TensorOptions().dtype(t.scalar_type()).device(t.device()); }

}  // namespace

ScheduleCoefficients scheduleCoefficients(const Schedule& s, const at::Tensor& t) {
  const std::string& kind = s.kind;
  if (kind == "ot") {
    // α = t, σ = 1 − (1 − σ_min)·t (Lipman et al. eq. 20).
    const double slope = 1 - s.a;
    return {t.clone(), at::add(at::mul(t, num(-slope)), num(1)), at::ones(t.sizes(), like(t)), at::full(t.sizes(), scalarOfNumber(-slope), like(t))};
  }
  if (kind == "polynomial") {
    // α = tⁿ, σ = 1 − tⁿ.
    const double n = s.a;
    at::Tensor alpha = at::pow(t, num(n));
    at::Tensor dAlpha = at::mul(at::pow(t, num(n - 1)), num(n));
    return {alpha, at::add(at::neg(alpha), num(1)), dAlpha, at::neg(dAlpha)};
  }
  if (kind == "cosine") {
    // α = sin(πt/2), σ = cos(πt/2).
    const double halfPi = M_PI / 2;
    at::Tensor angle = at::mul(t, num(halfPi));
    at::Tensor alpha = at::sin(angle), sigma = at::cos(angle);
    return {alpha, sigma, at::mul(sigma, num(halfPi)), at::mul(alpha, num(-halfPi))};
  }
  if (kind == "linear-vp") {
    // α = t, σ = sqrt((1 − t)(1 + t)).
    at::Tensor sigma = at::sqrt(at::mul(at::add(at::neg(t), num(1)), at::add(t, num(1))));
    return {t.clone(), sigma, at::ones(t.sizes(), like(t)), at::div(at::neg(t), sigma)};
  }
  if (kind == "vp") {
    // s = 1 − t, T(s) = β_min·s + ½(β_max − β_min)·s², α = exp(−T/2), σ = sqrt(−expm1(−T)).
    const double betaMin = s.a, spread = s.b - s.a;
    at::Tensor r = at::add(at::neg(t), num(1));
    at::Tensor integral = at::add(at::mul(r, num(betaMin)), at::mul(at::square(r), num(spread / 2)));
    at::Tensor beta = at::add(at::mul(r, num(spread)), num(betaMin));
    at::Tensor alpha = at::exp(at::mul(integral, num(-0.5)));
    at::Tensor sigma = at::sqrt(at::neg(at::expm1(at::neg(integral))));
    at::Tensor dAlpha = at::mul(at::mul(beta, alpha), num(0.5));
    return {alpha, sigma, dAlpha, at::neg(at::div(at::mul(dAlpha, alpha), sigma))};
  }
  if (kind == "ve") {
    // σ = σ_min·(σ_max/σ_min)^(1−t) as exp((1 − t)·log ratio)·σ_min, α = 1.
    const double sigmaMin = s.a, logRatio = s.b;
    at::Tensor sigma = at::mul(at::exp(at::mul(at::add(at::neg(t), num(1)), num(logRatio))), num(sigmaMin));
    return {at::ones(t.sizes(), like(t)), sigma, at::zeros(t.sizes(), like(t)), at::mul(sigma, num(-logRatio))};
  }
  throw FlowmatchException("ERR_INVALID_ARGUMENT", "unknown schedule '" + kind + "' (ot, polynomial, cosine, linear-vp, vp, ve)");
}

at::Tensor sampleTimes(const TimeSampler& sampler, int64_t n, at::Device device) {
  auto options = at::TensorOptions().dtype(at::kFloat).device(device);
  if (sampler.kind == "uniform") {
    // U[min, max] as rand·(max − min) + min; on [0, 1] both are exact identities, skipped.
    at::Tensor u = at::rand({n}, options);
    if (sampler.a == 0 && sampler.b == 1) return u;
    return at::add(at::mul(u, num(sampler.b - sampler.a)), num(sampler.a));
  }
  if (sampler.kind == "logit-normal") {
    // sigmoid(mean + std·z).
    return at::sigmoid(at::add(at::mul(at::randn({n}, options), num(sampler.b)), num(sampler.a)));
  }
  throw FlowmatchException("ERR_INVALID_ARGUMENT", "unknown time sampler '" + sampler.kind + "' (uniform, logit-normal)");
}

namespace {

// The combination row by row: each coefficient (from `row(r)`, in float64) cast to T as
// .to(dtype) casts it, then two products and a sum, each rounded in T as libtorch's separate
// mul and add kernels round them (the build has -ffp-contract=off, so no fused multiply-add):
// the same bits as the ten ops of affineCombination's general case, in one pass.
struct RowCoefficients {
  double alpha, sigma, dAlpha, dSigma;
};

template <typename T, typename Row>
void combineRows(const at::Tensor& x0, const at::Tensor& x1, Row row, at::Tensor& xt, at::Tensor& ut) {
  const int64_t batch = x1.size(0), width = batch == 0 ? 0 : x1.numel() / batch;
  const T* a = x0.data_ptr<T>();
  const T* b = x1.data_ptr<T>();
  T* outX = xt.data_ptr<T>();
  T* outU = ut.data_ptr<T>();
  for (int64_t r = 0; r < batch; ++r) {
    const RowCoefficients c = row(r);
    const T al = static_cast<T>(c.alpha), si = static_cast<T>(c.sigma), da = static_cast<T>(c.dAlpha), ds = static_cast<T>(c.dSigma);
    const int64_t begin = r * width;
    for (int64_t j = begin; j < begin + width; ++j) {
      const T p = si * a[j], q = al * b[j];
      outX[j] = p + q;
      const T dp = ds * a[j], dq = da * b[j];
      outU[j] = dp + dq;
    }
  }
}

template <typename Row>
std::pair<at::Tensor, at::Tensor> combineByRows(const at::Tensor& x0, const at::Tensor& x1, Row row) {
  at::Tensor xt = at::empty_like(x1), ut = at::empty_like(x1);
  if (x1.scalar_type() == at::kFloat) combineRows<float>(x0, x1, row, xt, ut);
  else combineRows<double>(x0, x1, row, xt, ut);
  return {xt, ut};
}

// A row loop applies to contiguous CPU float32/float64 data of one dtype with nothing to
// record for autograd; anything else runs as libtorch ops.
bool rowLoopApplies(const at::Tensor& x0, const at::Tensor& x1) {
  const at::ScalarType dtype = x1.scalar_type();
  if (!x1.device().is_cpu() || !x0.device().is_cpu() || x0.scalar_type() != dtype || (dtype != at::kFloat && dtype != at::kDouble)) return false;
  if (x1.dim() == 0 || !x0.sizes().equals(x1.sizes()) || !x0.is_contiguous() || !x1.is_contiguous()) return false;
  return !(at::GradMode::is_enabled() && (x0.requires_grad() || x1.requires_grad()));
}

// ... with one contiguous CPU float64 coefficient per row ([batch, 1, …, 1]).
bool rowCoefficientsApply(const at::Tensor& x1, const ScheduleCoefficients& c) {
  for (const at::Tensor* k : {&c.alpha, &c.sigma, &c.dAlpha, &c.dSigma}) {
    if (!k->device().is_cpu() || k->scalar_type() != at::kDouble || !k->is_contiguous() || k->dim() != x1.dim() || k->numel() != x1.size(0)) return false;
    if (at::GradMode::is_enabled() && k->requires_grad()) return false;
  }
  return true;
}

// The OT schedule is affine in t, so its row coefficients come straight from t: α = t and
// σ = t·(−slope) + 1 in float64, the two roundings of scheduleCoefficients' mul and add.
// Applies to contiguous CPU float32/float64 times that need no autograd record.
bool otRowsApply(const Schedule& schedule, const at::Tensor& times) {
  if (schedule.kind != "ot" || !times.device().is_cpu() || !times.is_contiguous()) return false;
  if (times.scalar_type() != at::kFloat && times.scalar_type() != at::kDouble) return false;
  return !(at::GradMode::is_enabled() && times.requires_grad());
}

}  // namespace

std::pair<at::Tensor, at::Tensor> affineCombination(const at::Tensor& x0, const at::Tensor& x1, const ScheduleCoefficients& c) {
  const at::ScalarType dtype = x1.scalar_type();
  if (rowLoopApplies(x0, x1) && rowCoefficientsApply(x1, c)) {
    const double *alpha = c.alpha.data_ptr<double>(), *sigma = c.sigma.data_ptr<double>();
    const double *dAlpha = c.dAlpha.data_ptr<double>(), *dSigma = c.dSigma.data_ptr<double>();
    return combineByRows(x0, x1, [&](int64_t r) { return RowCoefficients{alpha[r], sigma[r], dAlpha[r], dSigma[r]}; });
  }
  at::Tensor alpha = c.alpha.to(dtype), sigma = c.sigma.to(dtype), dAlpha = c.dAlpha.to(dtype), dSigma = c.dSigma.to(dtype);
  return {sigma * x0 + alpha * x1, dSigma * x0 + dAlpha * x1};
}

TrainingDraw affineTrainingDraw(const at::Tensor& x1, const c10::optional<at::Tensor>& t, const c10::optional<at::Tensor>& x0,
                                const c10::optional<TimeSampler>& sampler, const Schedule& schedule) {
  if (x1.dim() == 0) throw FlowmatchException("ERR_SHAPE", "x1 needs a batch dimension");
  const int64_t batch = x1.size(0);
  if (!t.has_value() && !sampler.has_value()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "affineTrainingDraw needs times or a time sampler");
  at::Tensor times = t.has_value() ? *t : sampleTimes(*sampler, batch, x1.device());
  at::Tensor noise = x0.has_value() ? *x0 : at::randn(x1.sizes(), like(x1));
  if (times.dim() != 1 || times.size(0) != batch) throw FlowmatchException("ERR_SHAPE", "t must have shape [" + std::to_string(batch) + "]");
  if (!noise.sizes().equals(x1.sizes())) throw FlowmatchException("ERR_SHAPE", "x0 and x1 must have the same shape");
  if (rowLoopApplies(noise, x1) && otRowsApply(schedule, times)) {
    const double slope = 1 - schedule.a;
    const double minusSlope = scalarOfNumber(-slope).to<double>();
    auto ot = [&](auto* t) {
      return combineByRows(noise, x1, [&](int64_t r) {
        const double tr = static_cast<double>(t[r]);
        return RowCoefficients{tr, tr * minusSlope + 1.0, 1.0, minusSlope};
      });
    };
    auto [xt, ut] = times.scalar_type() == at::kFloat ? ot(times.data_ptr<float>()) : ot(times.data_ptr<double>());
    return {times, xt, ut};
  }
  // [batch, 1, …, 1] in float64, as lib/paths/time.ts's timeColumn forms it.
  std::vector<int64_t> column(x1.dim(), 1);
  column[0] = batch;
  ScheduleCoefficients c = scheduleCoefficients(schedule, times.to(at::kDouble).reshape(column));
  auto [xt, ut] = affineCombination(noise, x1, c);
  return {times, xt, ut};
}

}  // namespace flowmatch
