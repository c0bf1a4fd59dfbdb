// Runtime services: handle release, memory counters, threads, seeds, devices, versions.
#include "args.h"
#include "cpu_cache_allocator.h"
#include <torch/cuda.h>
#include <ATen/CPUGeneratorImpl.h>
#include <thread>

namespace flowmatch {

namespace {

Napi::Value setErrorFactory(const Napi::CallbackInfo& info, AddonState& s) {
  if (!info[0].IsFunction()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "expected a function");
  s.makeError = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value release(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  return Napi::Boolean::New(info.Env(), s.tensors.release(a.number(0)));
}

Napi::Value releaseMany(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  for (double h : a.doubles(0)) s.tensors.release(h);
  return info.Env().Undefined();
}

// More intra-op threads than this cannot run in parallel anyway, and far above it libgomp
// fails to create them and exits the process (setNumThreads(1e9) did).
int64_t maxNumThreads() {
  return 4 * static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
}

Napi::Value memory(const Napi::CallbackInfo& info, AddonState& s) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  for (int d = 0; d < TensorTable::kMaxDevices; ++d) {
    if (d > 0 && s.tensors.liveCount(d) == 0) continue;
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("tensors", Napi::Number::New(env, static_cast<double>(s.tensors.liveCount(d))));
    entry.Set("bytes", Napi::Number::New(env, static_cast<double>(s.tensors.liveBytes(d))));
    out.Set(d == 0 ? std::string("cpu") : d == TensorTable::kMetaSlot ? std::string("meta") : "cuda:" + std::to_string(d - 1), entry);
  }
  return out;
}

// The CPU caching allocator's counters (process-wide: every worker thread shares it).
Napi::Value cpuCacheStats(const Napi::CallbackInfo& info, AddonState&) {
  Napi::Env env = info.Env();
  CpuCacheStats st = flowmatch::cpuCacheStats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("enabled", Napi::Boolean::New(env, st.enabled));
  out.Set("limitBytes", Napi::Number::New(env, static_cast<double>(st.limitBytes)));
  out.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(st.cachedBytes)));
  out.Set("inUseBytes", Napi::Number::New(env, static_cast<double>(st.inUseBytes)));
  out.Set("hits", Napi::Number::New(env, static_cast<double>(st.hits)));
  out.Set("misses", Napi::Number::New(env, static_cast<double>(st.misses)));
  return out;
}

Napi::Value emptyCache(const Napi::CallbackInfo& info, AddonState&) {
  emptyCpuCache();
  return info.Env().Undefined();
}

Napi::Value setNumThreads(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  const int64_t n = a.integer(0);
  if (n < 1 || n > maxNumThreads()) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "setNumThreads: expected 1 to " + std::to_string(maxNumThreads()) + " threads (4 per logical CPU), received " + std::to_string(n));
  }
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value getMaxNumThreads(const Napi::CallbackInfo& info, AddonState&) {
  return Napi::Number::New(info.Env(), static_cast<double>(maxNumThreads()));
}

Napi::Value getNumThreads(const Napi::CallbackInfo& info, AddonState&) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

Napi::Value manualSeed(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  torch::manual_seed(static_cast<uint64_t>(a.integer(0)));
  return info.Env().Undefined();
}

// The CPU generator's state as a uint8 tensor, so checkpoints resume with the same random draws.
Napi::Value rngState(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return a.ret(gen.get_state());
}

Napi::Value setRngState(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(a.tensor(0));
  return info.Env().Undefined();
}

Napi::Value cudaIsAvailable(const Napi::CallbackInfo& info, AddonState&) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

Napi::Value cudaDeviceCount(const Napi::CallbackInfo& info, AddonState&) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

Napi::Value buildInfo(const Napi::CallbackInfo& info, AddonState&) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchVersion", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH));
  out.Set("cudaCompiled", Napi::Boolean::New(env, at::hasCUDA()));
  out.Set("cxx11abi", Napi::Boolean::New(env, _GLIBCXX_USE_CXX11_ABI == 1));
  out.Set("parallelInfo", at::get_parallel_info());
  return out;
}

}  // namespace

void registerRuntime(Napi::Env env, Napi::Object exports, AddonState& s) {
  define(env, exports, s, "setErrorFactory", setErrorFactory);
  define(env, exports, s, "release", release);
  define(env, exports, s, "releaseMany", releaseMany);
  define(env, exports, s, "memory", memory);
  define(env, exports, s, "cpuCacheStats", cpuCacheStats);
  define(env, exports, s, "emptyCache", emptyCache);
  define(env, exports, s, "setNumThreads", setNumThreads);
  define(env, exports, s, "getNumThreads", getNumThreads);
  define(env, exports, s, "getMaxNumThreads", getMaxNumThreads);
  define(env, exports, s, "manualSeed", manualSeed);
  define(env, exports, s, "rngState", rngState);
  define(env, exports, s, "setRngState", setRngState);
  define(env, exports, s, "cudaIsAvailable", cudaIsAvailable);
  define(env, exports, s, "cudaDeviceCount", cudaDeviceCount);
  define(env, exports, s, "buildInfo", buildInfo);
}

}  // namespace flowmatch
