// Stage sums and error ratios of the adaptive Runge–Kutta solvers.
//
// torchdiffeq 0.2.5 forms a stage input as y0 + sum(k[..., :n] * (beta·dt), dim=-1): the
// products rounded one by one, then libtorch's sum over a small contiguous last dim, whose
// summation order is not left to right (SumKernel.cpp: four interleaved partial sums, and
// for n at least one SIMD vector, one partial sum per lane). Adaptive steps depend on every
// bit of these sums (dopri8's error estimate cancels most of its digits), so flowmatch
// computes them in exactly that order. Done with libtorch ops that is five kernel launches
// per stage; for the small CPU states of 2-D flows that launch cost is most of a solver
// step, so a single pass reproduces the same order here. Which SIMD width libtorch's sum
// uses depends on the CPU it dispatched to, so each (dtype, n) is checked once against
// libtorch itself and falls back to the op sequence if no width reproduces it. The error
// ratio's single pass is checked the same way, once per dtype.
#include "solver_kernels.h"
#include "errors.h"
#include "stage_sum_grad.h"

#include <atomic>
#include <cstring>
#include <random>
#include <algorithm>

namespace flowmatch {

namespace {

// Largest stage count the single pass handles (dopri8 has 13 stages); longer sums would
// reach the cascade levels of libtorch's sum, which are not reproduced here.
constexpr int kMaxTerms = 32;
// Elements per thread chunk: below this the single pass stays on the calling thread.
constexpr int64_t kGrain = 32768;

// Elements computed together: every element goes through the same fixed sequence of
// roundings (it depends only on the term count and the SIMD width below), so the sequence
// runs on a block of elements at a time, one operation across the block after another.
// The loops over the block vectorize; each element's arithmetic, and so its bits, is what
// the one-element-at-a-time form computes.
constexpr int kBlock = 64;

// libtorch's row_sum over `count` items, item i being a block of values: four partial sums
// over interleaved items (item i to partial i mod 4 for the first 4·⌊count/4⌋ items, the
// rest to partial 0), then folded into partial 0. Below 16 rows per partial the cascade
// levels stay zero, and adding them is kept for the signed zeros. Writes m values to out.
template <typename T, typename Item>
void rowSum(T* out, Item item, int count, int m) {
  T partial[4][kBlock];
  for (int k = 0; k < 4; ++k) {
    for (int b = 0; b < m; ++b) partial[k][b] = T(0);
  }
  const int groups = count / 4;
  for (int r = 0; r < groups; ++r) {
    for (int k = 0; k < 4; ++k) {
      const T* x = item(4 * r + k);
      for (int b = 0; b < m; ++b) partial[k][b] += x[b];
    }
  }
  for (int level = 1; level < 4; ++level) {
    for (int k = 0; k < 4; ++k) {
      for (int b = 0; b < m; ++b) partial[k][b] += T(0);
    }
  }
  for (int i = groups * 4; i < count; ++i) {
    const T* x = item(i);
    for (int b = 0; b < m; ++b) partial[0][b] += x[b];
  }
  for (int k = 1; k < 4; ++k) {
    for (int b = 0; b < m; ++b) partial[0][b] += partial[k][b];
  }
  for (int b = 0; b < m; ++b) out[b] = partial[0][b];
}

// libtorch's sum over a contiguous last dim of n items for SIMD vectors of `lanes`
// elements, for m elements at once (x[i] holds item i of each): with fewer items than
// lanes, rowSum over the items; otherwise rowSum over whole vectors lane by lane, then the
// leftover items and the lanes in order into one scalar. The output starts at zero and the
// sum is accumulated into it.
template <typename T>
void torchInnerSum(T* out, const T (*x)[kBlock], int n, int lanes, int m) {
  T part[kBlock];
  if (n < lanes) {
    rowSum<T>(part, [x](int i) { return x[i]; }, n, m);
    for (int b = 0; b < m; ++b) out[b] = T(0) + part[b];
    return;
  }
  const int vectors = n / lanes;
  T total[kBlock];
  for (int b = 0; b < m; ++b) total[b] = T(0);
  for (int i = vectors * lanes; i < n; ++i) {
    for (int b = 0; b < m; ++b) total[b] += x[i][b];
  }
  for (int lane = 0; lane < lanes; ++lane) {
    rowSum<T>(part, [x, lanes, lane](int i) { return x[i * lanes + lane]; }, vectors, m);
    for (int b = 0; b < m; ++b) total[b] += part[b];
  }
  for (int b = 0; b < m; ++b) out[b] = T(0) + total[b];
}

// out[e] = base[e] + Σ_j terms[j][e]·c[j] with the products rounded one by one and summed
// in libtorch's order for `lanes`-wide vectors. Every pointer addresses `numel` contiguous
// elements; base may be null. Zero coefficients are kept, as torchdiffeq keeps them: they
// fix the length, and so the order, of the sum, and 0·NaN keeps a bad stage visible.
template <typename T>
void fusedStageSum(T* out, const T* base, const std::vector<const T*>& terms, const std::vector<T>& c, int64_t numel, int lanes) {
  const int n = static_cast<int>(terms.size());
  at::parallel_for(0, numel, kGrain, [&](int64_t begin, int64_t end) {
    T products[kMaxTerms][kBlock];
    T sum[kBlock];
    for (int64_t e = begin; e < end; e += kBlock) {
      const int m = static_cast<int>(std::min<int64_t>(kBlock, end - e));
      for (int j = 0; j < n; ++j) {
        const T* t = terms[j] + e;
        const T cj = c[j];
        for (int b = 0; b < m; ++b) products[j][b] = t[b] * cj;
      }
      torchInnerSum<T>(sum, products, n, lanes, m);
      T* o = out + e;
      if (base != nullptr) {
        const T* y = base + e;
        for (int b = 0; b < m; ++b) o[b] = y[b] + sum[b];
      } else {
        for (int b = 0; b < m; ++b) o[b] = sum[b];
      }
    }
  });
}

// The reference: torchdiffeq's expression as libtorch ops.
at::Tensor opStageSum(const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms, const at::Tensor& coeffs) {
  at::Tensor sum = at::sum(at::stack(terms, -1) * coeffs, -1);
  return base.has_value() ? *base + sum.view_as(*base) : sum;
}

// The SIMD width (in elements) at which the single pass reproduces libtorch's sum of n
// products of dtype T on this machine, or 0 if none does. Checked on random data of
// widely spread magnitudes from a private generator (the user's torch seed is untouched).
template <typename T>
int checkedLanes(int n) {
  constexpr int64_t rows = 1024;
  std::mt19937_64 rng(0x5eed0000u + static_cast<unsigned>(n) * 2 + sizeof(T));
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> exponent(-12, 12);
  auto draw = [&] { return static_cast<T>(std::ldexp(normal(rng), exponent(rng))); };
  std::vector<std::vector<T>> values(n, std::vector<T>(rows));
  std::vector<T> c(n);
  for (auto& column : values) for (T& v : column) v = draw();
  for (T& v : c) v = draw();
  const at::ScalarType dtype = c10::CppTypeToScalarType<T>::value;
  std::vector<at::Tensor> terms;
  std::vector<const T*> pointers;
  for (auto& column : values) {
    terms.push_back(at::from_blob(column.data(), {rows}, at::TensorOptions().dtype(dtype)));
    pointers.push_back(column.data());
  }
  at::NoGradGuard noGrad;
  at::Tensor reference = opStageSum(c10::nullopt, terms, at::from_blob(c.data(), {n}, at::TensorOptions().dtype(dtype))).contiguous();
  std::vector<T> candidate(rows);
  for (int bytes : {64, 32, 16}) {
    const int lanes = bytes / static_cast<int>(sizeof(T));
    fusedStageSum<T>(candidate.data(), nullptr, pointers, c, rows, lanes);
    if (std::memcmp(candidate.data(), reference.data_ptr<T>(), rows * sizeof(T)) == 0) return lanes;
  }
  return 0;
}

// checkedLanes, computed once per (dtype, n). The cache holds lanes + 1; 0: not checked yet
// (two threads checking at once both find the same answer).
template <typename T>
int lanesFor(int n) {
  static std::atomic<int> cache[kMaxTerms + 1] = {};
  int stored = cache[n].load();
  if (stored == 0) {
    stored = checkedLanes<T>(n) + 1;
    cache[n].store(stored);
  }
  return stored - 1;
}

// The single pass applies to contiguous CPU tensors of one float dtype and one shape, with
// no autograd history to record; anything else (including shapes that do not match, which
// the libtorch ops reject with their own error) takes the libtorch ops.
bool fusable(const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms) {
  if (terms.size() > static_cast<size_t>(kMaxTerms)) return false;
  const at::Tensor& first = terms[0];
  const at::ScalarType dtype = first.scalar_type();
  if (dtype != at::kFloat && dtype != at::kDouble) return false;
  const bool recording = at::GradMode::is_enabled();
  auto plain = [&](const at::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == dtype && t.is_contiguous() && t.sizes().equals(first.sizes()) && !(recording && t.requires_grad());
  };
  if (base.has_value() && !plain(*base)) return false;
  for (const at::Tensor& t : terms) {
    if (!plain(t)) return false;
  }
  return true;
}

// Whether the single pass applies but for a graph to record: grad mode on and some input
// requiring grad, each a plain tensor as fusable() asks.
bool recordsFusable(const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms) {
  if (!at::GradMode::is_enabled()) return false;
  bool any = base.has_value() && base->requires_grad();
  for (const at::Tensor& t : terms) any = any || t.requires_grad();
  if (!any) return false;
  at::NoGradGuard noGrad;
  return fusable(base, terms);
}

// torchdiffeq multiplies its tableau row (cast to the state's dtype) by dt (cast likewise)
// in that dtype; for float64 and float32 the host forms exactly those products.
template <typename T>
at::Tensor stageSumAs(const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms, const std::vector<double>& weights, double h) {
  std::vector<T> c(weights.size());
  for (size_t j = 0; j < c.size(); ++j) c[j] = static_cast<T>(weights[j]) * static_cast<T>(h);
  const int n = static_cast<int>(terms.size());
  const at::TensorOptions options = terms[0].options().requires_grad(false);
  if (recordsFusable(base, terms)) {
    // The same bits from the single pass without a graph, then one node for the gradient
    // (stage_sum_grad.cpp) in place of the op sequence's four.
    at::Tensor out;
    {
      at::NoGradGuard noGrad;
      out = stageSumAs<T>(base, terms, weights, h);
    }
    return attachStageSumGrad(std::move(out), base, terms, std::vector<double>(c.begin(), c.end()));
  }
  const int lanes = fusable(base, terms) ? lanesFor<T>(n) : 0;
  if (lanes == 0) return opStageSum(base, terms, at::tensor(c, options));
  at::Tensor out = at::empty(base.has_value() ? base->sizes() : terms[0].sizes(), options);
  std::vector<const T*> pointers;
  for (const at::Tensor& t : terms) pointers.push_back(t.data_ptr<T>());
  fusedStageSum<T>(out.data_ptr<T>(), base.has_value() ? base->data_ptr<T>() : nullptr, pointers, c, out.numel(), lanes);
  return out;
}

// The reference: torchdiffeq's `rms_norm(error / (atol + rtol·max(|y0|, |y1|)))` as
// libtorch ops.
double opErrorRatio(const at::Tensor& err, const at::Tensor& y0, const at::Tensor& y1, double rtol, double atol) {
  at::Tensor tol = at::maximum(y0.abs(), y1.abs()).mul_(rtol).add_(atol);
  return (err / tol).abs().pow(2).mean().sqrt().item<double>();
}

// RMS of err / (atol + rtol·max(|y0|, |y1|)): the scaled error element by element in T
// (maximum lets NaN through), then libtorch's own pow(2), mean and square root. The square
// is left to libtorch because its pow is not always a product: for float32 it can run
// through a vectorized pow that is off by an ulp in some elements, and where it does so
// differs between CPUs and between a kernel's vector body and its tail.
template <typename T>
double scaledRms(const at::Tensor& err, const at::Tensor& y0, const at::Tensor& y1, double rtol, double atol) {
  at::Tensor out = at::empty_like(err, at::MemoryFormat::Contiguous);
  const T* e = err.data_ptr<T>();
  const T* a = y0.data_ptr<T>();
  const T* b = y1.data_ptr<T>();
  T* o = out.data_ptr<T>();
  const T r = static_cast<T>(rtol);
  const T s = static_cast<T>(atol);
  at::parallel_for(0, err.numel(), kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T ya = std::abs(a[i]);
      const T yb = std::abs(b[i]);
      const T largest = std::isnan(ya) ? ya : std::isnan(yb) ? yb : (ya > yb ? ya : yb);
      o[i] = std::abs(e[i] / (largest * r + s));
    }
  });
  return at::pow(out, 2).mean().sqrt().item<double>();
}

// Whether scaledRms<T> gives the bits of opErrorRatio on this machine. The elementwise part
// is plain IEEE arithmetic, but libtorch's kernels for it (vectorized bodies, scalar tails,
// fused multiply-adds where a build or a CPU uses them) are not ours to assume: an Intel
// Xeon and an AMD EPYC have already disagreed on other reductions. So it is checked here, on
// random data of widely spread magnitudes (a private generator) in sizes that exercise both
// the vector bodies and the tails, and for tolerances of different scales.
template <typename T>
bool checkedErrorRatio() {
  std::mt19937_64 rng(0xe1203u + sizeof(T));
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> exponent(-12, 12);
  const at::TensorOptions options = at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
  at::NoGradGuard noGrad;
  for (int64_t n : {1, 7, 33, 1031, 4099}) {
    std::vector<T> values(3 * n);
    for (T& v : values) v = static_cast<T>(std::ldexp(normal(rng), exponent(rng)));
    at::Tensor all = at::from_blob(values.data(), {3, n}, options);
    const at::Tensor err = all[0].contiguous(), y0 = all[1].contiguous(), y1 = all[2].contiguous();
    for (auto [rtol, atol] : {std::pair{1e-5, 1e-7}, std::pair{1e-3, 1e-6}, std::pair{1e-10, 1e-10}}) {
      const double single = scaledRms<T>(err, y0, y1, rtol, atol);
      const double reference = opErrorRatio(err, y0, y1, rtol, atol);
      if (std::memcmp(&single, &reference, sizeof(double)) != 0) return false;
    }
  }
  return true;
}

// checkedErrorRatio, computed once per dtype (0: not checked yet, 1: no, 2: yes).
template <typename T>
bool errorRatioVerified() {
  static std::atomic<int> cache{0};
  int stored = cache.load();
  if (stored == 0) {
    stored = checkedErrorRatio<T>() ? 2 : 1;
    cache.store(stored);
  }
  return stored == 2;
}

}  // namespace

at::Tensor stageSum(const c10::optional<at::Tensor>& base, const std::vector<at::Tensor>& terms, const std::vector<double>& weights, double h) {
  if (terms.empty() || terms.size() != weights.size()) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "stageSum: " + std::to_string(terms.size()) + " tensors but " + std::to_string(weights.size()) + " weights");
  }
  const at::ScalarType dtype = terms[0].scalar_type();
  if (dtype == at::kDouble) return stageSumAs<double>(base, terms, weights, h);
  if (dtype == at::kFloat) return stageSumAs<float>(base, terms, weights, h);
  const at::TensorOptions options = terms[0].options().requires_grad(false);
  at::Tensor coeffs = at::tensor(weights, options.dtype(at::kDouble)).to(dtype) * at::scalar_tensor(h, options.dtype(at::kDouble)).to(dtype);
  return opStageSum(base, terms, coeffs);
}

int stageSumLanes(at::ScalarType dtype, int n) {
  if (n < 1 || n > kMaxTerms) return 0;
  if (dtype == at::kDouble) return lanesFor<double>(n);
  if (dtype == at::kFloat) return lanesFor<float>(n);
  return 0;
}

double errorRatio(const at::Tensor& err, const at::Tensor& y0, const at::Tensor& y1, double rtol, double atol) {
  at::NoGradGuard noGrad;
  if (err.numel() == 0) return 0.0;
  const at::ScalarType dtype = err.scalar_type();
  auto plain = [&](const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == dtype && t.is_contiguous() && t.sizes().equals(err.sizes()); };
  if (errorRatioSinglePass(dtype) && plain(err) && plain(y0) && plain(y1)) {
    return dtype == at::kDouble ? scaledRms<double>(err, y0, y1, rtol, atol) : scaledRms<float>(err, y0, y1, rtol, atol);
  }
  return opErrorRatio(err, y0, y1, rtol, atol);
}

bool errorRatioSinglePass(at::ScalarType dtype) {
  if (dtype == at::kDouble) return errorRatioVerified<double>();
  if (dtype == at::kFloat) return errorRatioVerified<float>();
  return false;
}

}  // namespace flowmatch
