// Optimal transport for minibatch couplings: the exact assignment (an ε-scaling auction
// finished exactly by shortest augmenting paths) and Sinkhorn's iteration of POT's
// log-domain solver.
// The JS side (lib/couplings) validates arguments; the checks here are the last defence.
#include "ot.h"
#include "op_macros.h"
#include <cmath>
#include <limits>
#include <map>

namespace flowmatch {

namespace {

[[noreturn]] void invalidOt(const std::string& message) { throw FlowmatchException("ERR_INVALID_ARGUMENT", message); }

// The cost as contiguous float64; `finite` checks its entries (the assignment solver checks its own).
at::Tensor checkedCost(const at::Tensor& cost, const char* fn, bool finite) {
  if (cost.dim() != 2) invalidOt(std::string(fn) + ": expected a cost matrix [n, m] but received " + std::to_string(cost.dim()) + " dims");
  if (!at::isFloatingType(cost.scalar_type())) invalidOt(std::string(fn) + ": expected a floating-point cost matrix");
  at::Tensor c = cost.detach().to(at::kDouble).contiguous();
  if (finite && c.numel() > 0 && !at::isfinite(c).all().item<bool>()) invalidOt(std::string(fn) + ": the cost matrix holds NaN or infinite entries");
  return c;
}

// Groups of row indices by class label (ascending labels); one group of all rows without labels.
std::vector<std::vector<int64_t>> classGroups(const c10::optional<at::Tensor>& labels, int64_t n, const char* fn) {
  if (!labels.has_value()) {
    std::vector<int64_t> all(n);
    for (int64_t i = 0; i < n; ++i) all[i] = i;
    return {all};
  }
  if (labels->dim() != 1 || labels->size(0) != n || at::isFloatingType(labels->scalar_type())) {
    invalidOt(std::string(fn) + ": expected integer labels of shape [" + std::to_string(n) + "]");
  }
  at::Tensor l = labels->to(at::kCPU, at::kLong).contiguous();
  const int64_t* data = l.data_ptr<int64_t>();
  std::map<int64_t, std::vector<int64_t>> byLabel;
  for (int64_t i = 0; i < n; ++i) byLabel[data[i]].push_back(i);
  std::vector<std::vector<int64_t>> groups;
  for (auto& entry : byLabel) groups.push_back(std::move(entry.second));
  return groups;
}

at::Tensor indexTensor(const std::vector<int64_t>& idx, const at::Device& device) {
  return at::tensor(idx, at::TensorOptions().dtype(at::kLong)).to(device);
}

typedef double v2d __attribute__((vector_size(16)));
typedef long long v2l __attribute__((vector_size(16)));
// The smallest and second smallest of row[j] + price[j], and the first column of the
// smallest: branch-free two-lane minima over four interleaved streams.
int64_t bestTwo(const double* row, const double* price, int64_t n, double& bestOut, double& secondOut) {
  const double inf = std::numeric_limits<double>::infinity();
  v2d best[2] = {{inf, inf}, {inf, inf}}, second[2] = {{inf, inf}, {inf, inf}}, where[2] = {{0, 0}, {0, 0}};
  v2d index[2] = {{0, 1}, {2, 3}};
  const v2d four = {4, 4};
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    for (int s = 0; s < 2; ++s) {
      v2d r, p;
      __builtin_memcpy(&r, row + j + 2 * s, 16);
      __builtin_memcpy(&p, price + j + 2 * s, 16);
      const v2d h = r + p;
      const v2l better = h < best[s];
      second[s] = better ? best[s] : (h < second[s] ? h : second[s]);
      where[s] = better ? index[s] : where[s];
      best[s] = better ? h : best[s];
      index[s] += four;
    }
  }
  double b = inf, sec = inf;
  int64_t at = 0;
  auto take = [&](double h, int64_t col) {
    if (h < b || (h == b && col < at)) {
      sec = std::min(sec, b);
      b = h;
      at = col;
    } else {
      sec = std::min(sec, h);
    }
  };
  for (int s = 0; s < 2; ++s) {
    for (int l = 0; l < 2; ++l) {
      if (best[s][l] < inf || b == inf) take(best[s][l], static_cast<int64_t>(where[s][l]));
      sec = std::min(sec, second[s][l]);
    }
  }
  for (; j < n; ++j) take(row[j] + price[j], j);
  bestOut = b;
  secondOut = sec;
  return at;
}

}  // namespace

std::vector<int64_t> solveAssignment(const double* cost, int64_t n) {
  const double inf = std::numeric_limits<double>::infinity();
  double lo = inf, hi = -inf;
  for (int64_t k = 0; k < n * n; ++k) {
    if (!std::isfinite(cost[k])) invalidOt("otExact: the cost matrix holds NaN or infinite entries");
    lo = std::min(lo, cost[k]);
    hi = std::max(hi, cost[k]);
  }
  std::vector<int64_t> col4row(n, -1), row4col(n, -1);
  // Phase 1, an ε-scaling auction (Bertsekas): each free row bids for its cheapest column
  // under the prices p, raising that price by its margin over the second cheapest plus ε.
  // It ends with an assignment within n·ε of the optimum and prices that are nearly
  // optimal duals, at O(n) per bid; on clustered 2-D costs it needs far fewer operations
  // than augmenting paths from scratch, whose searches there visit half the rows each.
  std::vector<double> price(n, 0.0);
  const double range = hi - lo;
  if (range > 0) {
    const double finalEps = range * 1e-4 / static_cast<double>(n);
    std::vector<int64_t> queue;
    queue.reserve(n);
    for (double eps = range / 4;; eps = std::max(eps / 8, finalEps)) {
      std::fill(col4row.begin(), col4row.end(), -1);
      std::fill(row4col.begin(), row4col.end(), -1);
      queue.clear();
      for (int64_t i = n - 1; i >= 0; --i) queue.push_back(i);
      while (!queue.empty()) {
        const int64_t i = queue.back();
        queue.pop_back();
        double best, second;
        const int64_t j1 = bestTwo(cost + i * n, price.data(), n, best, second);
        // With one column, second stays infinite: any finite raise will do.
        price[j1] += (second < inf ? second - best : 0.0) + eps;
        const int64_t owner = row4col[j1];
        row4col[j1] = i;
        col4row[i] = j1;
        if (owner != -1) {
          col4row[owner] = -1;
          queue.push_back(owner);
        }
      }
      if (eps <= finalEps) break;
    }
  }
  // Phase 2, exact: the prices become dual potentials v = −p, lowered on each matched column
  // by its edge's slack, and u_i = min_j (c_ij − v_j) makes every reduced cost c − u − v ≥ 0.
  // Matched edges that are not tight (reduced cost exactly 0) are dropped; shortest augmenting
  // paths (Jonker–Volgenant, as in scipy's linear_sum_assignment) then match the free rows
  // exactly. Near-optimal duals keep those searches short.
  std::vector<double> u(n), v(n), shortest(n);
  for (int64_t j = 0; j < n; ++j) v[j] = -price[j];
  auto rowMin = [&](int64_t i) {
    const double* row = cost + i * n;
    double best = inf;
    for (int64_t j = 0; j < n; ++j) best = std::min(best, row[j] - v[j]);
    return best;
  };
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = col4row[i];
    if (j >= 0) v[j] += (cost[i * n + j] - v[j]) - rowMin(i);
  }
  std::vector<int64_t> freeRows;
  for (int64_t i = 0; i < n; ++i) {
    u[i] = rowMin(i);
    const int64_t j = col4row[i];
    if (j >= 0 && cost[i * n + j] - v[j] != u[i]) {
      row4col[j] = -1;
      col4row[i] = -1;
    }
    if (col4row[i] < 0) freeRows.push_back(i);
  }
  std::vector<int64_t> path(n), remaining(n);
  std::vector<char> rowSeen(n), colSeen(n);
  for (int64_t freeRow : freeRows) {
    // Dijkstra over reduced costs from freeRow until it reaches an unmatched column.
    std::fill(shortest.begin(), shortest.end(), inf);
    std::fill(rowSeen.begin(), rowSeen.end(), 0);
    std::fill(colSeen.begin(), colSeen.end(), 0);
    for (int64_t j = 0; j < n; ++j) remaining[j] = j;
    int64_t numRemaining = n;
    double minVal = 0.0;
    int64_t i = freeRow;
    int64_t sink = -1;
    while (sink == -1) {
      rowSeen[i] = 1;
      const double* row = cost + i * n;
      const double ui = u[i];
      double lowest = inf;
      int64_t indexLowest = -1;
      for (int64_t k = 0; k < numRemaining; ++k) {
        const int64_t j = remaining[k];
        const double r = minVal + row[j] - ui - v[j];
        if (r < shortest[j]) {
          path[j] = i;
          shortest[j] = r;
        }
        // Ties go to an unmatched column: the path ends there, one search sooner.
        if (shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == -1)) {
          lowest = shortest[j];
          indexLowest = k;
        }
      }
      if (indexLowest < 0) throw FlowmatchException("ERR_INTERNAL", "otExact: no augmenting path");
      minVal = lowest;
      const int64_t j = remaining[indexLowest];
      colSeen[j] = 1;
      remaining[indexLowest] = remaining[--numRemaining];
      if (row4col[j] == -1) sink = j;
      else i = row4col[j];
    }
    // Dual update keeps reduced costs ≥ 0 and the new path tight.
    u[freeRow] += minVal;
    for (int64_t r = 0; r < n; ++r) {
      if (rowSeen[r] && r != freeRow) u[r] += minVal - shortest[col4row[r]];
    }
    for (int64_t c = 0; c < n; ++c) {
      if (colSeen[c]) v[c] -= minVal - shortest[c];
    }
    // Flip the matching along the path.
    int64_t j = sink;
    while (true) {
      const int64_t r = path[j];
      row4col[j] = r;
      std::swap(col4row[r], j);
      if (r == freeRow) break;
    }
  }
  return col4row;
}

namespace {

// log Σ exp over a row (stride 1) or a column (stride m), for the first, log-domain sweep.
double logSumExp(const double* values, int64_t count, int64_t stride) {
  double top = -std::numeric_limits<double>::infinity();
  for (int64_t k = 0; k < count; ++k) top = std::max(top, values[k * stride]);
  double sum = 0.0;
  for (int64_t k = 0; k < count; ++k) sum += std::exp(values[k * stride] - top);
  return top + std::log(sum);
}

// The iteration of sinkhornLog on a CPU cost matrix, carried out on scalings: with log
// potentials u = ũ + log a, v = ṽ + log b and kernel K = exp(−C/ε + ũ ⊕ ṽ), POT's updates
// v ← log b − LSE_i(−C/ε + u) and u ← log a − LSE_j(−C/ε + v) are b ← (1/m)/(Kᵀa) and
// a ← (1/n)/(Kb): two matrix–vector products a sweep instead of 2·n·m exponentials. When a
// scaling leaves [1e-3, 1e3] it is absorbed into ũ, ṽ and K is recomputed, so nothing
// under- or overflows (Schmitzer's stabilization). The first sweep runs in the log domain,
// so every row and column of K starts with an entry of order 1/n.
// Empty when a kernel row or column vanished (every entry underflowed): the caller then
// runs the log-domain iteration instead.
c10::optional<SinkhornResult> sinkhornCpu(const at::Tensor& cost, double reg, int64_t maxIterations, double threshold) {
  const int64_t n = cost.size(0), m = cost.size(1);
  const double* c = cost.data_ptr<double>();
  const double logA = std::log(1.0 / static_cast<double>(n)), logB = std::log(1.0 / static_cast<double>(m));
  const double wa = 1.0 / static_cast<double>(n), wb = 1.0 / static_cast<double>(m);
  std::vector<double> mr(n * m), ut(n), vt(m), a(n, 1.0), b(m, 1.0), kta(m), kernel(n * m);
  for (int64_t k = 0; k < n * m; ++k) mr[k] = -c[k] / reg;
  for (int64_t j = 0; j < m; ++j) vt[j] = logB - logSumExp(mr.data() + j, n, m);
  std::vector<double> rowTerms(m);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) rowTerms[j] = mr[i * m + j] + vt[j];
    ut[i] = logA - logSumExp(rowTerms.data(), m, 1);
  }
  auto absorb = [&]() {
    for (int64_t i = 0; i < n; ++i) ut[i] += std::log(a[i]), a[i] = 1.0;
    for (int64_t j = 0; j < m; ++j) vt[j] += std::log(b[j]), b[j] = 1.0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) kernel[i * m + j] = std::exp(mr[i * m + j] + ut[i] + vt[j]);
    }
  };
  auto transposeTimesA = [&]() {
    std::fill(kta.begin(), kta.end(), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const double* row = kernel.data() + i * m;
      const double ai = a[i];
      for (int64_t j = 0; j < m; ++j) kta[j] += row[j] * ai;
    }
  };
  auto marginalError = [&]() {
    transposeTimesA();
    double sq = 0.0;
    for (int64_t j = 0; j < m; ++j) {
      const double d = b[j] * kta[j] - wb;
      sq += d * d;
    }
    return std::sqrt(sq);
  };
  absorb();
  double err = marginalError();  // the check after sweep 0
  int64_t it = 1;
  bool freshKta = true;
  while (err >= threshold && it < maxIterations) {
    if (!freshKta) transposeTimesA();
    for (int64_t j = 0; j < m; ++j) {
      if (!(kta[j] > 0.0)) return c10::nullopt;
      b[j] = wb / kta[j];
    }
    for (int64_t i = 0; i < n; ++i) {
      const double* row = kernel.data() + i * m;
      double sum = 0.0;
      for (int64_t j = 0; j < m; ++j) sum += row[j] * b[j];
      if (!(sum > 0.0) || !std::isfinite(sum)) return c10::nullopt;
      a[i] = wa / sum;
    }
    const bool check = it % 10 == 0;
    ++it;
    bool large = false;
    for (int64_t i = 0; i < n && !large; ++i) large = a[i] > 1e3 || a[i] < 1e-3;
    for (int64_t j = 0; j < m && !large; ++j) large = b[j] > 1e3 || b[j] < 1e-3;
    if (large) absorb();
    freshKta = false;
    if (check) {
      err = marginalError();
      freshKta = true;
    }
  }
  at::Tensor plan = at::empty({n, m}, cost.options());
  double* p = plan.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) p[i * m + j] = std::exp(mr[i * m + j] + ut[i] + std::log(a[i]) + vt[j] + std::log(b[j]));
  }
  return SinkhornResult{plan, it, err};
}

}  // namespace

SinkhornResult sinkhornLog(const at::Tensor& cost, double reg, int64_t maxIterations, double threshold) {
  at::NoGradGuard noGrad;
  if (cost.device().is_cpu()) {
    if (auto scaled = sinkhornCpu(cost.contiguous(), reg, maxIterations, threshold)) return *scaled;
  }
  const int64_t n = cost.size(0), m = cost.size(1);
  const at::Tensor mr = cost.neg().div(reg);
  const auto opts = cost.options();
  const at::Tensor logA = at::full({n}, std::log(1.0 / static_cast<double>(n)), opts);
  const at::Tensor logB = at::full({m}, std::log(1.0 / static_cast<double>(m)), opts);
  const at::Tensor b = at::full({m}, 1.0 / static_cast<double>(m), opts);
  at::Tensor u = at::zeros({n}, opts), v = at::zeros({m}, opts);
  double err = 1.0;
  int64_t it = 0;
  while (it < maxIterations) {
    v = logB - at::logsumexp(mr + u.unsqueeze(1), {0});
    u = logA - at::logsumexp(mr + v.unsqueeze(0), {1});
    const bool check = it % 10 == 0;
    ++it;
    if (check) {
      err = (at::exp(mr + u.unsqueeze(1) + v.unsqueeze(0)).sum(0) - b).norm().item<double>();
      if (err < threshold) break;
    }
  }
  return {at::exp(mr + u.unsqueeze(1) + v.unsqueeze(0)), it, err};
}

at::Tensor squaredEuclideanCost(const at::Tensor& a, const at::Tensor& b) {
  at::NoGradGuard noGrad;
  const at::Tensor x = a.detach().reshape({a.size(0), -1}).to(at::kDouble);
  const at::Tensor y = b.detach().reshape({b.size(0), -1}).to(at::kDouble);
  if (x.size(1) != y.size(1)) invalidOt("otSquaredEuclidean: the rows of a and b differ in size");
  const int64_t n = x.size(0), m = y.size(0), d = x.size(1);
  if (x.device().is_cpu() && d <= 64) {
    // Low dimension: Σ (x − y)² directly, one pass and no cancellation, cheaper than the
    // handful of libtorch ops below at training batch sizes.
    const at::Tensor xc = x.contiguous(), yc = y.contiguous();
    const double* xp = xc.data_ptr<double>();
    const double* yp = yc.data_ptr<double>();
    at::Tensor out = at::empty({n, m}, xc.options());
    double* o = out.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double sum = 0.0;
        for (int64_t k = 0; k < d; ++k) {
          const double diff = xp[i * d + k] - yp[j * d + k];
          sum += diff * diff;
        }
        o[i * m + j] = sum;
      }
    }
    return out;
  }
  // ‖x‖² + ‖y‖² − 2·x·yᵀ, clamped: rounding can make a zero distance slightly negative.
  return at::addmm(x.pow(2).sum(1, true) + y.pow(2).sum(1).unsqueeze(0), x, y.t(), 1.0, -2.0).clamp_min_(0.0);
}

void registerOT(Napi::Env env, Napi::Object exports, AddonState& s) {
  // otSquaredEuclidean(a, b) -> float64 [n, m] of squared distances between flattened rows
  FM_OP("otSquaredEuclidean", return a.ret(squaredEuclideanCost(a.tensor(0), a.tensor(1))));
  // otExact(cost [n, n], labels | null) -> {assignment: int64 [n], cost: mean matched cost}.
  // With labels, row i may only take a column j with labels[j] == labels[i].
  FM_OP("otExact", {
    at::NoGradGuard noGrad;
    const at::Tensor given = a.tensor(0);
    const at::Tensor cost = checkedCost(given, "otExact", false).cpu();
    const int64_t n = cost.size(0);
    if (cost.size(1) != n) invalidOt("otExact: expected a square cost matrix but received [" + std::to_string(n) + ", " + std::to_string(cost.size(1)) + "]");
    const auto groups = classGroups(a.optTensor(1), n, "otExact");
    std::vector<int64_t> assignment(n);
    double total = 0.0;
    const double* full = cost.data_ptr<double>();
    std::vector<double> block;
    for (const auto& idx : groups) {
      const int64_t k = static_cast<int64_t>(idx.size());
      if (groups.size() == 1) {
        const auto cols = solveAssignment(full, n);
        for (int64_t r = 0; r < n; ++r) total += full[r * n + cols[r]];
        assignment = cols;
        break;
      }
      block.resize(k * k);
      for (int64_t r = 0; r < k; ++r) {
        for (int64_t c = 0; c < k; ++c) block[r * k + c] = full[idx[r] * n + idx[c]];
      }
      const auto cols = solveAssignment(block.data(), k);
      for (int64_t r = 0; r < k; ++r) {
        assignment[idx[r]] = idx[cols[r]];
        total += block[r * k + cols[r]];
      }
    }
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("assignment", a.ret(indexTensor(assignment, given.device())));
    out.Set("cost", Napi::Number::New(info.Env(), n == 0 ? 0.0 : total / static_cast<double>(n)));
    return out;
  });
  // otSinkhorn(cost [n, m], reg, maxIterations, threshold, labels | null) ->
  // {plan, cost: Σ plan·cost, iterations, marginalError}. With labels (n == m) the plan is
  // block-diagonal: each class is balanced on its own and carries its share of the mass.
  FM_OP("otSinkhorn", {
    at::NoGradGuard noGrad;
    const at::Tensor cost = checkedCost(a.tensor(0), "otSinkhorn", true);
    const double reg = a.number(1);
    if (!(reg > 0) || !std::isfinite(reg)) invalidOt("otSinkhorn: expected a positive finite reg");
    const int64_t maxIterations = a.integer(2);
    const double threshold = a.number(3);
    const int64_t n = cost.size(0), m = cost.size(1);
    SinkhornResult result;
    if (a.isNull(4)) {
      result = sinkhornLog(cost, reg, maxIterations, threshold);
    } else {
      if (n != m) invalidOt("otSinkhorn: labels need a square cost matrix");
      const auto groups = classGroups(a.optTensor(4), n, "otSinkhorn");
      result = {at::zeros({n, n}, cost.options()), 0, 0.0};
      double squaredError = 0.0;
      for (const auto& idx : groups) {
        const at::Tensor rows = indexTensor(idx, cost.device());
        const SinkhornResult part = sinkhornLog(cost.index_select(0, rows).index_select(1, rows), reg, maxIterations, threshold);
        const double share = static_cast<double>(idx.size()) / static_cast<double>(n);
        result.plan.index_put_({rows.unsqueeze(1), rows.unsqueeze(0)}, part.plan * share);
        result.iterations = std::max(result.iterations, part.iterations);
        squaredError += part.marginalError * share * part.marginalError * share;
      }
      result.marginalError = std::sqrt(squaredError);
    }
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("cost", Napi::Number::New(info.Env(), (result.plan * cost).sum().item<double>()));
    out.Set("iterations", Napi::Number::New(info.Env(), static_cast<double>(result.iterations)));
    out.Set("marginalError", Napi::Number::New(info.Env(), result.marginalError));
    out.Set("plan", a.ret(result.plan));
    return out;
  });
  // otPairing(plan [n, m], sample) -> int64 [n]: each row's argmax column, or (sample) a column
  // drawn from the row's conditional plan with flowmatch's generator, so a seed fixes it.
  FM_OP("otPairing", {
    at::NoGradGuard noGrad;
    const at::Tensor plan = a.tensor(0);
    if (plan.dim() != 2) invalidOt("otPairing: expected a plan [n, m]");
    if (!a.flag(1)) return a.ret(plan.argmax(1));
    return a.ret(at::multinomial(plan.to(at::kDouble), 1, true).squeeze(1));
  });
}

}  // namespace flowmatch
