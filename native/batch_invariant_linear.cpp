// The batch-invariant MLP forward (see batch_invariant_linear.h for why and what is fixed).
//
// Layout: each layer's weight [M, K] is packed once into panels of 32 output columns,
// [panels][K][32] (zero columns past M), so a k step reads 32 contiguous weights. A tile of
// MR rows × 32 columns is kept in registers: acc = bias, then acc = fma(a[r][k], w[k], acc)
// for k = 0 … K−1, then the activation, then the store. The rows are cut into blocks of 48
// (a multiple of every MR used) that run the whole network in cache; a partial block is
// padded with zero rows. AVX-512, AVX2+FMA and a scalar loop all compute each element with
// the same operations in the same order (the exponential included), so which one runs, and
// with which MR, changes no bit.
#include "batch_invariant_linear.h"

#include <immintrin.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace flowmatch {

namespace {

constexpr int64_t kPanel = 32;     // output columns per panel
constexpr int64_t kBlockRows = 48;  // rows a thread runs through the whole network at once

enum Act : int { kNone = 0, kSiLU = 1, kReLU = 2 };

// exp(x) on [−87, 88] (clamped: silu needs no more): x = n·ln2 + r, |r| ≤ ln2/2, a degree-7
// polynomial for e^r (Cephes' expf coefficients), times 2^n built from the exponent bits.
constexpr float kExpLo = -87.0f, kExpHi = 88.0f;
constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;

// ---- scalar: the reference the SIMD kernels match bit for bit ------------------------

float expScalar(float x) {
  // max(lo, min(hi, x)) with the operand order of the SIMD min/max: a NaN passes through.
  x = (kExpHi < x) ? kExpHi : x;
  x = (kExpLo > x) ? kExpLo : x;
  float n = std::floor(std::fma(x, kLog2e, 0.5f));
  float r = std::fma(-n, kLn2Hi, x);
  r = std::fma(-n, kLn2Lo, r);
  float p = std::fma(kP0, r, kP1);
  p = std::fma(p, r, kP2);
  p = std::fma(p, r, kP3);
  p = std::fma(p, r, kP4);
  p = std::fma(p, r, kP5);
  float y = std::fma(p, r * r, r) + 1.0f;
  if (n != n) return y;  // NaN in, NaN out (and no float-to-int conversion of a NaN)
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

float activateScalar(float v, int act) {
  if (act == kSiLU) return v / (1.0f + expScalar(0.0f - v));
  if (act == kReLU) return (0.0f > v) ? 0.0f : v;
  return v;
}

void tileScalar(const float* a, int64_t lda, const float* panel, const float* bias, float* c, int64_t ldc, int64_t k, int act) {
  constexpr int kRows = 1;
  for (int r = 0; r < kRows; ++r) {
    for (int64_t j = 0; j < kPanel; ++j) {
      float acc = bias[j];
      for (int64_t i = 0; i < k; ++i) acc = std::fma(a[r * lda + i], panel[i * kPanel + j], acc);
      c[r * ldc + j] = activateScalar(acc, act);
    }
  }
}

// ---- AVX-512: 8 rows × 2 vectors of 16 ------------------------------------------------

__attribute__((target("avx512f"))) inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(kExpHi), x);
  x = _mm512_max_ps(_mm512_set1_ps(kExpLo), x);
  __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(kLog2e), _mm512_set1_ps(0.5f)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(kP0), r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

__attribute__((target("avx512f"))) inline __m512 activate512(__m512 v, int act) {
  if (act == kSiLU) return _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f), exp512(_mm512_sub_ps(_mm512_setzero_ps(), v))));
  if (act == kReLU) return _mm512_max_ps(_mm512_setzero_ps(), v);
  return v;
}

__attribute__((target("avx512f"))) void tileAvx512(const float* a, int64_t lda, const float* panel, const float* bias, float* c, int64_t ldc, int64_t k, int act) {
  constexpr int kRows = 8;
  __m512 acc0[kRows], acc1[kRows];
  const __m512 b0 = _mm512_loadu_ps(bias), b1 = _mm512_loadu_ps(bias + 16);
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) acc0[r] = b0, acc1[r] = b1;
  for (int64_t i = 0; i < k; ++i) {
    const __m512 w0 = _mm512_loadu_ps(panel + i * kPanel), w1 = _mm512_loadu_ps(panel + i * kPanel + 16);
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + i]);
      acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    _mm512_storeu_ps(c + r * ldc, activate512(acc0[r], act));
    _mm512_storeu_ps(c + r * ldc + 16, activate512(acc1[r], act));
  }
}

// ---- AVX2 + FMA: 3 rows × 4 vectors of 8 ----------------------------------------------

__attribute__((target("avx2,fma"))) inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(kExpHi), x);
  x = _mm256_max_ps(_mm256_set1_ps(kExpLo), x);
  __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(kLog2e), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kP0), r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) inline __m256 activate256(__m256 v, int act) {
  if (act == kSiLU) return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), exp256(_mm256_sub_ps(_mm256_setzero_ps(), v))));
  if (act == kReLU) return _mm256_max_ps(_mm256_setzero_ps(), v);
  return v;
}

__attribute__((target("avx2,fma"))) void tileAvx2(const float* a, int64_t lda, const float* panel, const float* bias, float* c, int64_t ldc, int64_t k, int act) {
  // Written out (no arrays): 12 accumulators, 4 weights and a broadcast fit the 16 registers.
  const float* a0 = a;
  const float* a1 = a + lda;
  const float* a2 = a + 2 * lda;
  __m256 c00 = _mm256_loadu_ps(bias), c01 = _mm256_loadu_ps(bias + 8), c02 = _mm256_loadu_ps(bias + 16), c03 = _mm256_loadu_ps(bias + 24);
  __m256 c10 = c00, c11 = c01, c12 = c02, c13 = c03, c20 = c00, c21 = c01, c22 = c02, c23 = c03;
  for (int64_t i = 0; i < k; ++i) {
    const float* w = panel + i * kPanel;
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8), w2 = _mm256_loadu_ps(w + 16), w3 = _mm256_loadu_ps(w + 24);
    __m256 x = _mm256_broadcast_ss(a0 + i);
    c00 = _mm256_fmadd_ps(x, w0, c00), c01 = _mm256_fmadd_ps(x, w1, c01), c02 = _mm256_fmadd_ps(x, w2, c02), c03 = _mm256_fmadd_ps(x, w3, c03);
    x = _mm256_broadcast_ss(a1 + i);
    c10 = _mm256_fmadd_ps(x, w0, c10), c11 = _mm256_fmadd_ps(x, w1, c11), c12 = _mm256_fmadd_ps(x, w2, c12), c13 = _mm256_fmadd_ps(x, w3, c13);
    x = _mm256_broadcast_ss(a2 + i);
    c20 = _mm256_fmadd_ps(x, w0, c20), c21 = _mm256_fmadd_ps(x, w1, c21), c22 = _mm256_fmadd_ps(x, w2, c22), c23 = _mm256_fmadd_ps(x, w3, c23);
  }
  const __m256 out[3][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}};
  for (int r = 0; r < 3; ++r)
    for (int v = 0; v < 4; ++v) _mm256_storeu_ps(c + r * ldc + 8 * v, activate256(out[r][v], act));
}

// ---- dispatch -----------------------------------------------------------------------------

using TileFn = void (*)(const float*, int64_t, const float*, const float*, float*, int64_t, int64_t, int);
struct Kernel {
  TileFn tile;
  int64_t rows;  // MR: rows per tile (divides kBlockRows)
};

const Kernel& kernel() {
  // FLOWMATCH_KERNEL_ISA=avx2|scalar caps the choice (read once), so that a test can run
  // every path on one machine and compare their bits.
  static const Kernel chosen = [] {
    __builtin_cpu_init();
    const char* cap = std::getenv("FLOWMATCH_KERNEL_ISA");
    const std::string limit = cap == nullptr ? "" : cap;
    if (limit != "avx2" && limit != "scalar" && __builtin_cpu_supports("avx512f")) return Kernel{tileAvx512, 8};
    if (limit != "scalar" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Kernel{tileAvx2, 3};
    return Kernel{tileScalar, 1};
  }();
  return chosen;
}

// ---- packed weights, cached per parameter version -------------------------------------------

struct PackedLayer {
  int64_t in = 0, out = 0, panels = 0;
  at::Tensor weights;  // [panels, in, 32]
  at::Tensor bias;     // [panels · 32]
};

PackedLayer pack(const at::Tensor& weight, const at::Tensor& bias) {
  PackedLayer p;
  p.out = weight.size(0);
  p.in = weight.size(1);
  p.panels = (p.out + kPanel - 1) / kPanel;
  p.weights = at::zeros({p.panels, p.in, kPanel}, at::kFloat);
  p.bias = at::zeros({p.panels * kPanel}, at::kFloat);
  at::Tensor w = weight.detach().contiguous();
  const float* src = w.data_ptr<float>();
  float* dst = p.weights.data_ptr<float>();
  for (int64_t j = 0; j < p.out; ++j)
    for (int64_t i = 0; i < p.in; ++i) dst[(j / kPanel) * p.in * kPanel + i * kPanel + j % kPanel] = src[j * p.in + i];
  std::memcpy(p.bias.data_ptr<float>(), bias.detach().contiguous().data_ptr<float>(), sizeof(float) * p.out);
  return p;
}

// Packing a 256×256 layer costs about as much as a 16-row product, so the packs are kept.
// An entry holds its parameters (their storage cannot be reused for another tensor while
// the entry lives) and is stale once either parameter's version moves (an optimizer step,
// modelAssign's copy_). A few dozen entries: every served model's layers, bounded.
struct PackCache {
  struct Entry {
    at::Tensor weight, bias;
    int64_t weightVersion, biasVersion;
    std::shared_ptr<const PackedLayer> packed;
  };
  std::mutex mutex;
  std::vector<Entry> entries;  // most recently used last
  static constexpr size_t kCapacity = 64;

  std::shared_ptr<const PackedLayer> get(const at::Tensor& weight, const at::Tensor& bias) {
    std::lock_guard<std::mutex> lock(mutex);
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      if (e.weight.unsafeGetTensorImpl() != weight.unsafeGetTensorImpl() || e.bias.unsafeGetTensorImpl() != bias.unsafeGetTensorImpl()) continue;
      if (e.weightVersion == weight._version() && e.biasVersion == bias._version()) {
        std::rotate(entries.begin() + i, entries.begin() + i + 1, entries.end());
        return entries.back().packed;
      }
      entries.erase(entries.begin() + i);
      break;
    }
    auto packed = std::make_shared<const PackedLayer>(pack(weight, bias));
    if (entries.size() >= kCapacity) entries.erase(entries.begin());
    entries.push_back(Entry{weight, bias, weight._version(), bias._version(), packed});
    return packed;
  }
};

PackCache& packCache() {
  static PackCache cache;
  return cache;
}

// Rows [0, tileRows) of a block through one layer: out = act(in · Wᵀ + b), all panels.
void layerBlock(const Kernel& k, const PackedLayer& layer, const float* in, int64_t ldIn, float* out, int64_t ldOut, int64_t tiles, int act) {
  for (int64_t p = 0; p < layer.panels; ++p) {
    const float* panel = layer.weights.data_ptr<float>() + p * layer.in * kPanel;
    const float* bias = layer.bias.data_ptr<float>() + p * kPanel;
    for (int64_t tile = 0; tile < tiles; ++tile) {
      k.tile(in + tile * k.rows * ldIn, ldIn, panel, bias, out + tile * k.rows * ldOut + p * kPanel, ldOut, layer.in, act);
    }
  }
}

}  // namespace

bool supportsBatchInvariantForward(const VelocityModel& model) {
  const MLP* mlp = dynamic_cast<const MLP*>(&model);
  if (mlp == nullptr) return false;
  Activation act = mlp->config().activation;
  if (act != Activation::SiLU && act != Activation::ReLU) return false;
  for (const auto& layer : mlp->layers()) {
    for (const at::Tensor* p : {&layer->weight, &layer->bias}) {
      if (!p->defined() || !p->device().is_cpu() || p->scalar_type() != at::kFloat) return false;
    }
  }
  return true;
}

at::Tensor mlpForwardBatchInvariant(const MLP& mlp, const at::Tensor& xIn, const at::Tensor& tIn) {
  if (!supportsBatchInvariantForward(mlp)) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "the batch-invariant forward runs CPU float32 MLPs with a silu or relu activation");
  }
  const MLPConfig& config = mlp.config();
  if (xIn.dim() != 2 || xIn.size(1) != config.dim || xIn.scalar_type() != at::kFloat || !xIn.device().is_cpu()) {
    throw FlowmatchException("ERR_SHAPE", "the batch-invariant MLP forward expects a CPU float32 x of shape [N, " + std::to_string(config.dim) + "], received " + c10::str(xIn.sizes()));
  }
  at::NoGradGuard noGrad;
  const int64_t n = xIn.size(0), dim = config.dim;
  at::Tensor x = xIn.contiguous();
  at::Tensor t = tIn.reshape({-1}).to(at::kFloat).contiguous();
  if (t.size(0) != 1 && t.size(0) != n) {
    throw FlowmatchException("ERR_SHAPE", "t has " + std::to_string(t.size(0)) + " entries for a batch of " + std::to_string(n));
  }
  const bool sharedTime = t.size(0) == 1;

  std::vector<std::shared_ptr<const PackedLayer>> layers;
  int64_t widest = 0;
  for (const auto& layer : mlp.layers()) {
    layers.push_back(packCache().get(layer->weight, layer->bias));
    widest = std::max({widest, layers.back()->in, layers.back()->panels * kPanel});
  }
  const int64_t embed = config.timeEmbedDim, half = embed / 2;
  const int64_t inputs = dim + (embed > 0 ? embed : 1);
  // The frequencies as timestepEmbedding computes them (one small tensor, whatever the batch).
  at::Tensor freqs = half > 0 ? at::exp(at::arange(0, half, at::kFloat) * (-std::log(10000.0) / half)).contiguous() : at::Tensor();
  const float* freq = half > 0 ? freqs.data_ptr<float>() : nullptr;

  at::Tensor out = at::empty({n, dim}, at::kFloat);
  const float* xs = x.data_ptr<float>();
  const float* ts = t.data_ptr<float>();
  float* ys = out.data_ptr<float>();
  const Kernel& k = kernel();
  const int64_t blocks = (n + kBlockRows - 1) / kBlockRows;
  // Blocks are handed out one at a time (an atomic counter), not split evenly in advance:
  // on a machine shared with the event loop (and other processes) a descheduled thread then
  // delays the job by one block, not by its whole share.
  std::atomic<int64_t> nextBlock{0};
  const int64_t teams = std::min<int64_t>(blocks, at::get_num_threads());
  at::parallel_for(0, teams, 1, [&](int64_t, int64_t) {
    std::vector<float> bufA(kBlockRows * widest), bufB(kBlockRows * widest);
    for (int64_t b = nextBlock++; b < blocks; b = nextBlock++) {
      const int64_t row0 = b * kBlockRows, rows = std::min(kBlockRows, n - row0);
      const int64_t tiles = (rows + k.rows - 1) / k.rows;
      // The block's input rows: [x, time features], zero rows past the batch.
      float* in = bufA.data();
      int64_t ld = inputs;
      std::fill(in, in + kBlockRows * ld, 0.0f);
      for (int64_t r = 0; r < rows; ++r) {
        float* row = in + r * ld;
        std::memcpy(row, xs + (row0 + r) * dim, sizeof(float) * dim);
        const float time = ts[sharedTime ? 0 : row0 + r];
        if (embed == 0) {
          row[dim] = time;
        } else if (r > 0 && std::memcmp(&time, &ts[sharedTime ? 0 : row0 + r - 1], sizeof time) == 0) {
          std::memcpy(row + dim, row - ld + dim, sizeof(float) * embed);  // the same t: the same features
        } else {
          for (int64_t i = 0; i < half; ++i) {
            const float arg = time * freq[i];
            row[dim + i] = std::cos(arg);
            row[dim + half + i] = std::sin(arg);
          }
          if (embed % 2) row[dim + embed - 1] = 0.0f;
        }
      }
      float* next = bufB.data();
      for (size_t l = 0; l < layers.size(); ++l) {
        const PackedLayer& layer = *layers[l];
        const int64_t ldOut = layer.panels * kPanel;
        const int act = l + 1 < layers.size() ? (config.activation == Activation::SiLU ? kSiLU : kReLU) : kNone;
        layerBlock(k, layer, in, ld, next, ldOut, tiles, act);
        std::swap(in, next);
        ld = ldOut;
      }
      for (int64_t r = 0; r < rows; ++r) std::memcpy(ys + (row0 + r) * dim, in + r * ld, sizeof(float) * dim);
    }
  });
  return out;
}

std::vector<at::Tensor> mlpForwardMerged(const MLP& mlp, const std::vector<at::Tensor>& xs, const std::vector<at::Tensor>& ts) {
  if (xs.empty() || xs.size() != ts.size()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "modelForwardMergedAsync: one t per x, at least one x");
  std::vector<at::Tensor> times;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < xs.size(); ++i) {
    const int64_t rows = xs[i].dim() == 2 ? xs[i].size(0) : -1;
    at::Tensor t = ts[i].reshape({-1}).to(at::kFloat);
    if (rows < 0 || (t.size(0) != 1 && t.size(0) != rows)) {
      throw FlowmatchException("ERR_SHAPE", "modelForwardMergedAsync: entry " + std::to_string(i) + " has x of shape " + c10::str(xs[i].sizes()) + " and " + std::to_string(t.size(0)) + " times");
    }
    times.push_back(t.expand({rows}));
    sizes.push_back(rows);
  }
  at::Tensor all = mlpForwardBatchInvariant(mlp, xs.size() == 1 ? xs[0] : at::cat(xs, 0), xs.size() == 1 ? times[0] : at::cat(times, 0));
  return all.split_with_sizes(sizes, 0);
}

}  // namespace flowmatch
