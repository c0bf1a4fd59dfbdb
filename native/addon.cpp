// Module init: one AddonState per Node environment (context-aware), freed with it.
#include "state.h"
#include "cpu_cache_allocator.h"

namespace flowmatch {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Before any tensor exists, so that every CPU tensor of the process goes through it.
  installCpuCacheAllocator();
  auto* state = new AddonState();
  // Runs when the environment tears down (process exit or worker_thread exit): the
  // tensors of that environment are released, nothing else is touched.
  env.SetInstanceData<AddonState>(state);
  registerRuntime(env, exports, *state);
  registerCreation(env, exports, *state);
  registerMath(env, exports, *state);
  registerShape(env, exports, *state);
  registerNN(env, exports, *state);
  registerAutograd(env, exports, *state);
  registerCustomFunction(env, exports, *state);
  registerKernels(env, exports, *state);
  registerModules(env, exports, *state);
  registerOptim(env, exports, *state);
  registerIO(env, exports, *state);
  registerTorchScript(env, exports, *state);
  registerOT(env, exports, *state);
  registerAdjointKernels(env, exports, *state);
  return exports;
}

}  // namespace flowmatch

static Napi::Object InitFlowmatch(Napi::Env env, Napi::Object exports) { return flowmatch::Init(env, exports); }

NODE_API_MODULE(flowmatch, InitFlowmatch)
