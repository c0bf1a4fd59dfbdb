// Runtime services: handle release, memory counters, threads, seeds, devices, versions.
#include "op_macros.h"
#include "cpu_cache_allocator.h"
#include <torch/cuda.h>
#include <ATen/CPUGeneratorImpl.h>
#include <thread>

namespace flowmatch {

namespace {

// More intra-op threads than this cannot run in parallel anyway, and far above it libgomp
// fails to create them and exits the process (setNumThreads(1e9) did).
int64_t maxNumThreads() {
  return 4 * static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
}

// Live tensors and bytes per device of this environment's table: cpu always, others when used.
Napi::Value memory(const Args& a) {
  Napi::Env env = a.env();
  const TensorTable& tensors = a.state().tensors;
  Napi::Object out = Napi::Object::New(env);
  for (int d = 0; d < TensorTable::kMaxDevices; ++d) {
    if (d > 0 && tensors.liveCount(d) == 0) continue;
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("tensors", Napi::Number::New(env, static_cast<double>(tensors.liveCount(d))));
    entry.Set("bytes", Napi::Number::New(env, static_cast<double>(tensors.liveBytes(d))));
    out.Set(d == 0 ? std::string("cpu") : d == TensorTable::kMetaSlot ? std::string("meta") : "cuda:" + std::to_string(d - 1), entry);
  }
  return out;
}

// The CPU caching allocator's counters (process-wide: every worker thread shares it).
Napi::Value cacheStats(const Args& a) {
  Napi::Env env = a.env();
  CpuCacheStats st = cpuCacheStats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("enabled", Napi::Boolean::New(env, st.enabled));
  out.Set("limitBytes", Napi::Number::New(env, static_cast<double>(st.limitBytes)));
  out.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(st.cachedBytes)));
  out.Set("inUseBytes", Napi::Number::New(env, static_cast<double>(st.inUseBytes)));
  out.Set("hits", Napi::Number::New(env, static_cast<double>(st.hits)));
  out.Set("misses", Napi::Number::New(env, static_cast<double>(st.misses)));
  return out;
}

Napi::Value buildInfo(const Args& a) {
  Napi::Env env = a.env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchVersion", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH));
  out.Set("cudaCompiled", Napi::Boolean::New(env, at::hasCUDA()));
  out.Set("cxx11abi", Napi::Boolean::New(env, _GLIBCXX_USE_CXX11_ABI == 1));
  out.Set("parallelInfo", at::get_parallel_info());
  return out;
}

}  // namespace

void registerRuntime(Napi::Env env, Napi::Object exports, AddonState& s) {
  // setErrorFactory(fn): fn(code, message) builds the JS error of each native failure.
  FM_INPLACE("setErrorFactory", {
    if (!info[0].IsFunction()) a.invalid(0, "a function");
    st.makeError = Napi::Persistent(info[0].As<Napi::Function>());
  });
  // release(h) -> false when the handle was already released.
  FM_OP("release", return Napi::Boolean::New(info.Env(), st.tensors.release(a.number(0))));
  FM_INPLACE("releaseMany", for (double h : a.doubles(0)) st.tensors.release(h));
  FM_OP("memory", return memory(a));
  FM_OP("cpuCacheStats", return cacheStats(a));
  FM_INPLACE("emptyCache", emptyCpuCache());
  FM_INPLACE("setNumThreads", {
    const int64_t n = a.integer(0);
    if (n < 1 || n > maxNumThreads()) {
      throw FlowmatchException("ERR_INVALID_ARGUMENT", "setNumThreads: expected 1 to " + std::to_string(maxNumThreads()) + " threads (4 per logical CPU), received " + std::to_string(n));
    }
    at::set_num_threads(static_cast<int>(n));
  });
  FM_OP("getNumThreads", return Napi::Number::New(info.Env(), at::get_num_threads()));
  FM_OP("getMaxNumThreads", return Napi::Number::New(info.Env(), static_cast<double>(maxNumThreads())));
  FM_INPLACE("manualSeed", torch::manual_seed(static_cast<uint64_t>(a.integer(0))));
  // The CPU generator's state as a uint8 tensor, so checkpoints resume with the same random draws.
  FM_OP("rngState", {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return a.ret(gen.get_state());
  });
  FM_INPLACE("setRngState", {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(a.tensor(0));
  });
  FM_OP("cudaIsAvailable", return Napi::Boolean::New(info.Env(), torch::cuda::is_available()));
  FM_OP("cudaDeviceCount", return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count())));
  FM_OP("buildInfo", return buildInfo(a));
}

}  // namespace flowmatch
