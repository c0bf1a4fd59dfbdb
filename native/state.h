// Per-environment addon state. The addon is context-aware: every Node environment (the
// main thread and each worker_thread) gets its own AddonState, so tensor handles never
// cross threads and a worker's teardown frees exactly its own tensors.
#pragma once
#include "pch.h"
#include "tensor_table.h"
#include "custom_function.h"

namespace torch::jit {
struct Module;  // <torch/script.h>, included by torchscript.cpp only (it is heavy)
}

namespace flowmatch {

struct AddonState;
struct VelocityModel;  // native/model.h: the models that modules.cpp exposes
using NativeFn = Napi::Value (*)(const Napi::CallbackInfo&, AddonState&);

// One exported function: the C++ body plus the state it works on. The trampoline in
// errors.cpp turns every C++ exception from `fn` into a typed JS error.
struct Binding {
  NativeFn fn;
  AddonState* state;
  const char* name;
};

// An optimizer's tensors (optim.cpp): its parameters and each per-parameter state list
// (Adam's exp_avg, exp_avg_sq and step; SGD's momentum buffers), shared with the handles
// the JS optimizer owns.
struct ParameterGroup {
  std::vector<at::Tensor> params;
  std::vector<std::vector<at::Tensor>> state;
};

struct AddonState {
  TensorTable tensors;
  // JS factory (code, message) -> Error instance of the right flowmatch class.
  Napi::FunctionReference makeError;
  std::deque<Binding> bindings;  // deque: stable addresses for info.Data()
  // Models by id. A model owns its parameters; JS holds an id and tensor handles that
  // share the parameters' storage. shared_ptr: an async forward keeps its model alive.
  std::unordered_map<uint32_t, std::shared_ptr<VelocityModel>> models;
  uint32_t nextModelId = 1;
  // TorchScript modules loaded from files (torchscript.cpp), by id.
  std::unordered_map<uint32_t, std::shared_ptr<torch::jit::Module>> scripts;
  uint32_t nextScriptId = 1;
  // Optimizers' parameter groups by id (optim.cpp): a step reads one id, not every handle.
  std::unordered_map<uint32_t, ParameterGroup> parameterGroups;
  uint32_t nextParameterGroupId = 1;
  // JS-defined autograd functions (custom_function.cpp).
  JsFunctionRegistry jsFunctions;
};

// Registers `fn` as exports[name], wrapped by the exception-translating trampoline; the
// concept files call it through FM_OP (op_macros.h).
void define(Napi::Env env, Napi::Object exports, AddonState& state, const char* name, NativeFn fn);

// The registration function of each concept file.
void registerMath(Napi::Env env, Napi::Object exports, AddonState& state);
void registerShape(Napi::Env env, Napi::Object exports, AddonState& state);
void registerNN(Napi::Env env, Napi::Object exports, AddonState& state);
void registerCreation(Napi::Env env, Napi::Object exports, AddonState& state);
void registerAutograd(Napi::Env env, Napi::Object exports, AddonState& state);
void registerKernels(Napi::Env env, Napi::Object exports, AddonState& state);
void registerRuntime(Napi::Env env, Napi::Object exports, AddonState& state);
void registerModules(Napi::Env env, Napi::Object exports, AddonState& state);
void registerOptim(Napi::Env env, Napi::Object exports, AddonState& state);
void registerIO(Napi::Env env, Napi::Object exports, AddonState& state);
void registerTorchScript(Napi::Env env, Napi::Object exports, AddonState& state);
void registerOT(Napi::Env env, Napi::Object exports, AddonState& state);
void registerAdjointKernels(Napi::Env env, Napi::Object exports, AddonState& state);

}  // namespace flowmatch
