// Per-environment addon state. The addon is context-aware: every Node environment (the
// main thread and each worker_thread) gets its own AddonState, so tensor handles never
// cross threads and a worker's teardown frees exactly its own tensors.
#pragma once
#include "pch.h"
#include "tensor_table.h"

namespace flowmatch {

struct AddonState;
using NativeFn = Napi::Value (*)(const Napi::CallbackInfo&, AddonState&);

// One exported function: the C++ body plus the state it works on. The trampoline in
// errors.cpp turns every C++ exception from `fn` into a typed JS error.
struct Binding {
  NativeFn fn;
  AddonState* state;
  const char* name;
};

struct AddonState {
  TensorTable tensors;
  // JS factory (code, message) -> Error instance of the right flowmatch class.
  Napi::FunctionReference makeError;
  std::deque<Binding> bindings;  // deque: stable addresses for info.Data()
};

// Registers `fn` as exports[name], wrapped by the exception-translating trampoline.
void define(Napi::Env env, Napi::Object exports, AddonState& state, const char* name, NativeFn fn);

// The registration function of each concept file.
void registerMath(Napi::Env env, Napi::Object exports, AddonState& state);
void registerShape(Napi::Env env, Napi::Object exports, AddonState& state);
void registerNN(Napi::Env env, Napi::Object exports, AddonState& state);
void registerCreation(Napi::Env env, Napi::Object exports, AddonState& state);
void registerAutograd(Napi::Env env, Napi::Object exports, AddonState& state);
void registerKernels(Napi::Env env, Napi::Object exports, AddonState& state);
void registerRuntime(Napi::Env env, Napi::Object exports, AddonState& state);

}  // namespace flowmatch
