// Optimal transport for minibatch couplings: the exact assignment (an ε-scaling auction in
// float32 lanes, finished exactly in float64 by shortest augmenting paths) and Sinkhorn's
// iteration of POT's log-domain solver.
// The JS side (lib/couplings) validates arguments; the checks here are the last defence.
#include "ot.h"
#include "op_macros.h"
#include <algorithm>
#include <cmath>
#include <cstring>
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

// The lane helpers below are always inlined into the solver builds, so the ABI of passing
// wide vectors between separately compiled functions (what -Wpsabi warns about) never arises.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
// GCC cannot follow lane-by-lane initialization of vector arrays and warns of lanes used
// uninitialized; every lane is set before the loops below.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Fixed-width SIMD through the compiler's vector extensions; the same source is compiled once
// for the baseline ISA and, on x86-64, once more for AVX2 (chosen at run time), so the addon
// keeps running on any x86-64 while using the wide units where they exist. Every operation
// here is a comparison, a min or an elementwise sum, so both builds give bit-identical results.
template <int W>
struct FloatLanes {
  typedef float F __attribute__((vector_size(4 * W)));
  typedef int32_t I __attribute__((vector_size(4 * W)));
};
template <int W>
struct DoubleLanes {
  typedef double F __attribute__((vector_size(8 * W)));
  typedef int64_t I __attribute__((vector_size(8 * W)));
};

#define FM_INLINE __attribute__((always_inline)) inline

template <typename V>
FM_INLINE V loadLanes(const void* p) {
  V v;
  __builtin_memcpy(&v, p, sizeof(V));
  return v;
}
template <typename V>
FM_INLINE void storeLanes(void* p, const V& v) {
  __builtin_memcpy(p, &v, sizeof(V));
}

// The smallest and second smallest of W lanes of values and the index of the smallest (the
// lowest index among equal smallest): halve the lanes until one is left.
template <int W>
struct BestTwoLanes {
  typedef typename FloatLanes<W>::F F;
  typedef typename FloatLanes<W>::I I;
  typedef typename FloatLanes<W / 2>::F H;
  typedef typename FloatLanes<W / 2>::I HI;
  static FM_INLINE void reduce(const F& best, const F& second, const I& where, float& bestOut, float& secondOut, int32_t& whereOut) {
    const char* b = reinterpret_cast<const char*>(&best);
    const char* s = reinterpret_cast<const char*>(&second);
    const char* w = reinterpret_cast<const char*>(&where);
    const H b1 = loadLanes<H>(b), b2 = loadLanes<H>(b + sizeof(H));
    const H s1 = loadLanes<H>(s), s2 = loadLanes<H>(s + sizeof(H));
    const HI w1 = loadLanes<HI>(w), w2 = loadLanes<HI>(w + sizeof(HI));
    const HI upper = (b2 < b1) | ((b2 == b1) & (w2 < w1));
    const H larger = b2 < b1 ? b1 : b2;
    const H seconds = s2 < s1 ? s2 : s1;
    BestTwoLanes<W / 2>::reduce(upper ? b2 : b1, larger < seconds ? larger : seconds, upper ? w2 : w1, bestOut, secondOut, whereOut);
  }
};
template <>
struct BestTwoLanes<1> {
  static FM_INLINE void reduce(const FloatLanes<1>::F& best, const FloatLanes<1>::F& second, const FloatLanes<1>::I& where, float& bestOut, float& secondOut, int32_t& whereOut) {
    bestOut = best[0];
    secondOut = second[0];
    whereOut = where[0];
  }
};

// The auction's bid scan: the smallest and second smallest of row[j] + price[j] and the
// lowest column of the smallest. Two interleaved sets of lanes keep their own minima,
// branch-free, so that the compare-and-select chains of one overlap those of the other.
template <int W>
FM_INLINE int64_t bestTwo(const float* row, const float* price, int64_t n, float& bestOut, float& secondOut) {
  typedef typename FloatLanes<W>::F F;
  typedef typename FloatLanes<W>::I I;
  const float inf = std::numeric_limits<float>::infinity();
  F best[2] = {}, second[2] = {};
  I where[2] = {}, index[2] = {}, step = {};
  for (int l = 0; l < W; ++l) {
    for (int k = 0; k < 2; ++k) best[k][l] = inf, second[k][l] = inf, where[k][l] = -1, index[k][l] = k * W + l;
    step[l] = 2 * W;
  }
  int64_t j = 0;
  for (; j + 2 * W <= n; j += 2 * W) {
    for (int k = 0; k < 2; ++k) {
      const F h = loadLanes<F>(row + j + k * W) + loadLanes<F>(price + j + k * W);
      const I better = h < best[k];
      const F displaced = better ? best[k] : h;
      second[k] = displaced < second[k] ? displaced : second[k];
      where[k] = better ? index[k] : where[k];
      best[k] = better ? h : best[k];
      index[k] += step;
    }
  }
  // Merge the two sets lane by lane (set 0 holds the lower columns of a lane's ties), then the lanes.
  const I upper = (best[1] < best[0]) | ((best[1] == best[0]) & (where[1] < where[0]) & (where[1] >= 0));
  const F larger = best[1] < best[0] ? best[0] : best[1];
  const F seconds = second[1] < second[0] ? second[1] : second[0];
  float b;
  float sec;
  int32_t at;
  BestTwoLanes<W>::reduce(upper ? best[1] : best[0], larger < seconds ? larger : seconds, upper ? where[1] : where[0], b, sec, at);
  for (; j < n; ++j) {
    const float h = row[j] + price[j];
    if (at < 0 || h < b) {
      sec = std::min(sec, b);
      b = h;
      at = static_cast<int32_t>(j);
    } else {
      sec = std::min(sec, h);
    }
  }
  bestOut = b;
  secondOut = sec;
  return at;
}

// min_j (row[j] − v[j]) in float64.
template <int W>
FM_INLINE double reducedRowMin(const double* row, const double* v, int64_t n) {
  typedef typename DoubleLanes<W>::F F;
  F lowest = {};
  for (int l = 0; l < W; ++l) lowest[l] = std::numeric_limits<double>::infinity();
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    const F r = loadLanes<F>(row + j) - loadLanes<F>(v + j);
    lowest = r < lowest ? r : lowest;
  }
  double out = lowest[0];
  for (int l = 1; l < W; ++l) out = std::min(out, lowest[l]);
  for (; j < n; ++j) out = std::min(out, row[j] - v[j]);
  return out;
}

// The costs as float32 with each row's minimum subtracted (a row offset changes no
// assignment and keeps float32's relative precision where the choices are made), and the
// largest reduced entry. False when an entry is NaN or infinite.
template <int W>
FM_INLINE bool reducedFloatCosts(const double* cost, int64_t n, float* out, double& largest) {
  typedef typename DoubleLanes<W>::F F;
  const double inf = std::numeric_limits<double>::infinity();
  largest = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double* row = cost + i * n;
    F lo = {}, hi = {}, poison = {};
    for (int l = 0; l < W; ++l) lo[l] = inf, hi[l] = -inf, poison[l] = 0.0;
    int64_t j = 0;
    for (; j + W <= n; j += W) {
      const F c = loadLanes<F>(row + j);
      lo = c < lo ? c : lo;
      hi = c > hi ? c : hi;
      poison += c * 0.0;  // NaN once any entry is NaN or infinite
    }
    double rowLo = inf, rowHi = -inf, bad = 0.0;
    for (int l = 0; l < W; ++l) rowLo = std::min(rowLo, lo[l]), rowHi = std::max(rowHi, hi[l]), bad += poison[l];
    for (; j < n; ++j) rowLo = std::min(rowLo, row[j]), rowHi = std::max(rowHi, row[j]), bad += row[j] * 0.0;
    if (bad != 0.0) return false;  // NaN compares unequal to everything
    largest = std::max(largest, rowHi - rowLo);
    float* o = out + i * n;
    for (int64_t k = 0; k < n; ++k) o[k] = static_cast<float>(row[k] - rowLo);
  }
  return true;
}

// One ε-phase of the Gauss–Seidel auction (Bertsekas) on float32 costs, every row free at
// the start: a free row bids for its cheapest column under the prices, raising that price
// by its margin over the second cheapest plus ε, and evicts the column's owner. Ends with a
// full assignment in ε-complementary slackness, or, past `maxBids`, with rows left free
// (the exact phase that follows matches those).
template <int W>
FM_INLINE void auctionPhase(const float* cost, int64_t n, float eps, std::vector<float>& price, std::vector<int64_t>& col4row, std::vector<int64_t>& row4col, std::vector<int64_t>& queue, int64_t maxBids) {
  std::fill(col4row.begin(), col4row.end(), -1);
  std::fill(row4col.begin(), row4col.end(), -1);
  queue.clear();
  for (int64_t i = n - 1; i >= 0; --i) queue.push_back(i);
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t bids = 0; !queue.empty() && bids < maxBids; ++bids) {
    const int64_t i = queue.back();
    queue.pop_back();
    float best;
    float second;
    const int64_t j = bestTwo<W>(cost + i * n, price.data(), n, best, second);
    // With one column, second stays infinite: any finite raise will do. A raise lost to
    // rounding would let two rows trade a column forever: at least one ulp, then.
    const float raised = price[j] + ((second < inf ? second - best : 0.0f) + eps);
    price[j] = raised > price[j] ? raised : std::nextafter(price[j], inf);
    const int64_t owner = row4col[j];
    row4col[j] = i;
    col4row[i] = j;
    if (owner != -1) {
      col4row[owner] = -1;
      queue.push_back(owner);
    }
  }
}

// Scratch of the shortest-augmenting-path searches, sized once per solve.
struct PathSearch {
  std::vector<double> shortest;
  std::vector<int64_t> path, seenColumn, rows, columns;
  explicit PathSearch(int64_t n) : shortest(n), path(n), seenColumn(n, 0) {
    rows.reserve(n);
    columns.reserve(n);
  }
};

// One Dijkstra search over the reduced costs c − u − v ≥ 0 from freeRow to an unmatched
// column (Jonker–Volgenant), then the dual update that keeps every reduced cost ≥ 0 and the
// new path tight, and the flip of the matching along the path. Columns scanned in lanes,
// seen ones masked; among equally short columns the lowest index is taken.
template <int W>
FM_INLINE void augment(const double* cost, int64_t n, int64_t freeRow, std::vector<double>& u, std::vector<double>& v, std::vector<int64_t>& col4row, std::vector<int64_t>& row4col, PathSearch& s) {
  typedef typename DoubleLanes<W>::F F;
  typedef typename DoubleLanes<W>::I I;
  const double inf = std::numeric_limits<double>::infinity();
  double* shortest = s.shortest.data();
  int64_t* path = s.path.data();
  int64_t* seen = s.seenColumn.data();  // 0 or −1 (all bits), a lane mask
  std::fill(s.shortest.begin(), s.shortest.end(), inf);
  s.rows.clear();
  s.columns.clear();
  double minVal = 0.0;
  int64_t i = freeRow;
  int64_t sink = -1;
  while (sink == -1) {
    s.rows.push_back(i);
    const double* row = cost + i * n;
    const double offset = minVal - u[i];
    F lowest = {}, offsetLanes = {};
    I where = {}, index = {}, step = {}, rowLanes = {};
    for (int l = 0; l < W; ++l) lowest[l] = inf, where[l] = -1, index[l] = l, step[l] = W, rowLanes[l] = i, offsetLanes[l] = offset;
    int64_t j = 0;
    for (; j + W <= n; j += W) {
      const I taken = loadLanes<I>(seen + j);
      const F r = offsetLanes + (loadLanes<F>(row + j) - loadLanes<F>(v.data() + j));
      F d = loadLanes<F>(shortest + j);
      const I shorter = (r < d) & ~taken;
      d = shorter ? r : d;
      storeLanes(shortest + j, d);
      storeLanes(path + j, shorter ? rowLanes : loadLanes<I>(path + j));
      const F candidate = taken ? F{} + inf : d;
      const I better = candidate < lowest;
      lowest = better ? candidate : lowest;
      where = better ? index : where;
      index += step;
    }
    double low = inf;
    int64_t at = -1;
    for (int l = 0; l < W; ++l) {
      if (lowest[l] < low || (lowest[l] == low && where[l] < at)) low = lowest[l], at = where[l];
    }
    for (; j < n; ++j) {
      if (seen[j]) continue;
      const double r = offset + (row[j] - v[j]);
      if (r < shortest[j]) shortest[j] = r, path[j] = i;
      if (shortest[j] < low || at < 0) low = shortest[j], at = j;
    }
    if (at < 0 || !(low < inf)) throw FlowmatchException("ERR_INTERNAL", "otExact: no augmenting path");
    minVal = low;
    seen[at] = -1;
    s.columns.push_back(at);
    if (row4col[at] == -1) sink = at;
    else i = row4col[at];
  }
  u[freeRow] += minVal;
  for (size_t k = 1; k < s.rows.size(); ++k) {
    const int64_t r = s.rows[k];
    u[r] += minVal - shortest[col4row[r]];
  }
  for (int64_t c : s.columns) {
    v[c] -= minVal - shortest[c];
    seen[c] = 0;
  }
  int64_t j = sink;
  while (true) {
    const int64_t r = path[j];
    row4col[j] = r;
    std::swap(col4row[r], j);
    if (r == freeRow) break;
  }
}

// Phase 1, an ε-scaling auction in float32: a near-optimal assignment and prices that are
// nearly optimal duals, at O(n) per bid; on clustered 2-D costs it needs far fewer
// operations than augmenting paths from scratch, whose searches there visit half the rows
// each. Phase 2, exact in float64: the prices become dual potentials, matched edges that are
// not tight are dropped, and shortest augmenting paths match the free rows; near-optimal
// duals keep those searches short.
template <int WF, int WD>
FM_INLINE std::vector<int64_t> solveAssignmentLanes(const double* cost, int64_t n) {

  std::vector<float> reduced(n * n);
  double range = 0.0;
  if (!reducedFloatCosts<WD>(cost, n, reduced.data(), range)) invalidOt("otExact: the cost matrix holds NaN or infinite entries");

  std::vector<int64_t> col4row(n, -1), row4col(n, -1);
  std::vector<float> price(n, 0.0f);
  if (range > 0) {
    // ε from a hundredth of the cost range down to 1e-2·range/n, by factors of 8, so that
    // the last phase's assignment is within 1e-2·range of the optimum. Finer phases cost
    // more bids than the exact phase saves: it settles the remaining near-ties (and
    // float32 resolves prices only to ~1e-7·range anyway).
    const double finalEps = range * 1e-2 / static_cast<double>(n);
    std::vector<int64_t> queue;
    queue.reserve(n);
    for (double eps = range * 1e-2;; eps = std::max(eps / 8, finalEps)) {
      auctionPhase<WF>(reduced.data(), n, static_cast<float>(eps), price, col4row, row4col, queue, 200 * n + 1000);
      if (eps <= finalEps) break;
    }
  }

  std::vector<double> u(n), v(n);
  for (int64_t j = 0; j < n; ++j) v[j] = -static_cast<double>(price[j]);
  // Prices are in the row-reduced frame; u absorbs the row offsets below. Each matched
  // column's potential is raised by its edge's slack, so the edge is its row's minimum...
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = col4row[i];
    if (j >= 0) v[j] += (cost[i * n + j] - v[j]) - reducedRowMin<WD>(cost + i * n, v.data(), n);
  }
  // ...and u_i = min_j (c_ij − v_j) makes every reduced cost ≥ 0. Rows whose edge is no
  // longer tight (a later raise undercut it) are freed.
  std::vector<int64_t> freeRows;
  for (int64_t i = 0; i < n; ++i) {
    u[i] = reducedRowMin<WD>(cost + i * n, v.data(), n);
    const int64_t j = col4row[i];
    if (j >= 0 && cost[i * n + j] - v[j] != u[i]) {
      row4col[j] = -1;
      col4row[i] = -1;
    }
    if (col4row[i] < 0) freeRows.push_back(i);
  }

  PathSearch search(n);
  for (int64_t freeRow : freeRows) augment<WD>(cost, n, freeRow, u, v, col4row, row4col, search);

  return col4row;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) std::vector<int64_t> solveAssignmentAvx2(const double* cost, int64_t n) { return solveAssignmentLanes<8, 4>(cost, n); }
#endif
std::vector<int64_t> solveAssignmentBaseline(const double* cost, int64_t n) { return solveAssignmentLanes<4, 2>(cost, n); }
#pragma GCC diagnostic pop

}  // namespace

std::vector<int64_t> solveAssignment(const double* cost, int64_t n) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return solveAssignmentAvx2(cost, n);
#endif
  return solveAssignmentBaseline(cost, n);
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
    // Low dimension: Σ_k (x_k − y_k)² directly, one pass and no cancellation, cheaper than
    // the handful of libtorch ops below at training batch sizes. y is read transposed, so the
    // loop over a row's columns runs in lanes; each entry still sums k = 0, 1, … in order.
    const at::Tensor xc = x.contiguous(), yt = y.t().contiguous();
    const double* xp = xc.data_ptr<double>();
    const double* yp = yt.data_ptr<double>();
    at::Tensor out = at::empty({n, m}, xc.options());
    double* o = out.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) {
      double* row = o + i * m;
      std::fill(row, row + m, 0.0);
      for (int64_t k = 0; k < d; ++k) {
        const double xk = xp[i * d + k];
        const double* yk = yp + k * m;
        for (int64_t j = 0; j < m; ++j) {
          const double diff = xk - yk[j];
          row[j] += diff * diff;
        }
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
