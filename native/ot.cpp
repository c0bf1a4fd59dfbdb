// Optimal transport for minibatch couplings: the exact assignment (shortest augmenting
// paths with dual potentials, started from a column reduction) and log-domain Sinkhorn.
// The JS side (lib/couplings) validates arguments; the checks here are the last defence.
#include "ot.h"
#include "op_macros.h"
#include <c10/util/ParallelGuard.h>
#include <cmath>
#include <limits>
#include <map>

namespace flowmatch {

namespace {

[[noreturn]] void invalidOt(const std::string& message) { throw FlowmatchException("ERR_INVALID_ARGUMENT", message); }

at::Tensor checkedCost(const at::Tensor& cost, const char* fn) {
  if (cost.dim() != 2) invalidOt(std::string(fn) + ": expected a cost matrix [n, m] but received " + std::to_string(cost.dim()) + " dims");
  if (!at::isFloatingType(cost.scalar_type())) invalidOt(std::string(fn) + ": expected a floating-point cost matrix");
  at::Tensor c = cost.detach().to(at::kDouble).contiguous();
  if (c.numel() > 0 && !at::isfinite(c).all().item<bool>()) invalidOt(std::string(fn) + ": the cost matrix holds NaN or infinite entries");
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

}  // namespace

std::vector<int64_t> solveAssignment(const double* cost, int64_t n) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n, 0.0), v(n, inf), shortest(n);
  std::vector<int64_t> col4row(n, -1), row4col(n, -1), path(n), remaining(n), argminRow(n, 0);
  std::vector<char> rowSeen(n), colSeen(n);
  // Column reduction: v_j = min_i C_ij makes every reduced cost C_ij − u_i − v_j ≥ 0 with u = 0,
  // and each column's cheapest row, when still free, is matched along a tight edge for free.
  // On dense random costs this matches most rows before any path search.
  for (int64_t i = 0; i < n; ++i) {
    const double* row = cost + i * n;
    for (int64_t j = 0; j < n; ++j) {
      if (row[j] < v[j]) {
        v[j] = row[j];
        argminRow[j] = i;
      }
    }
  }
  for (int64_t j = n - 1; j >= 0; --j) {
    const int64_t i = argminRow[j];
    if (col4row[i] == -1) {
      col4row[i] = j;
      row4col[j] = i;
    }
  }
  // Augmenting row reduction (Jonker and Volgenant): a free row takes its cheapest column
  // and lowers that column's v to its second-cheapest reduced cost, so that every matched
  // row keeps its column as its minimum (c_ij − v_j ≥ c_i,σ(i) − v_σ(i)); the row it
  // displaces is free again. Two passes, bounded: what is still free goes to the searches.
  std::vector<int64_t> freeRows;
  for (int64_t i = 0; i < n; ++i) if (col4row[i] == -1) freeRows.push_back(i);
  for (int pass = 0; pass < 2 && !freeRows.empty(); ++pass) {
    std::vector<int64_t> stillFree;
    size_t k = 0;
    int64_t budget = 8 * n;  // displacements allowed in this pass
    std::vector<int64_t> queue(freeRows);
    while (k < queue.size()) {
      const int64_t i = queue[k++];
      const double* row = cost + i * n;
      double best = inf, second = inf;
      int64_t j1 = -1, j2 = -1;
      for (int64_t j = 0; j < n; ++j) {
        const double h = row[j] - v[j];
        if (h < second) {
          if (h >= best) {
            second = h;
            j2 = j;
          } else {
            second = best;
            j2 = j1;
            best = h;
            j1 = j;
          }
        }
      }
      int64_t displaced = row4col[j1];
      if (best < second) {
        v[j1] -= second - best;
      } else if (displaced != -1 && j2 != -1) {
        j1 = j2;
        displaced = row4col[j1];
      }
      row4col[j1] = i;
      col4row[i] = j1;
      if (displaced != -1) {
        col4row[displaced] = -1;
        if (best < second && --budget > 0) queue[--k] = displaced;
        else stillFree.push_back(displaced);
      }
    }
    freeRows.swap(stillFree);
  }
  // Every row's reduced costs are now ≥ 0 with u_i = min_j (c_ij − v_j), tight on its match.
  for (int64_t i = 0; i < n; ++i) {
    const double* row = cost + i * n;
    double best = inf;
    for (int64_t j = 0; j < n; ++j) best = std::min(best, row[j] - v[j]);
    u[i] = best;
  }
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
      if (indexLowest < 0) throw FlowmatchException("ERR_NATIVE", "otExact: no augmenting path (a cost entry is not finite)");
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

SinkhornResult sinkhornLog(const at::Tensor& cost, double reg, int64_t maxIterations, double threshold) {
  at::NoGradGuard noGrad;
  // On the calling thread: a sweep is a few small reductions, and waking the intra-op pool
  // for each one made a 256² solve take 0.2 to 35 s on a loaded 2-core machine.
  c10::ParallelGuard serial(true);
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
    const at::Tensor cost = checkedCost(given, "otExact").cpu();
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
    const at::Tensor cost = checkedCost(a.tensor(0), "otSinkhorn");
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
