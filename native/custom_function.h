// JS-defined autograd functions (custom_function.cpp): a libtorch graph node whose backward
// is a JS function. The per-environment part lives in AddonState; the part a node keeps
// (it may die on any thread, after its environment) is shared and holds no JS values.
#pragma once
#include <napi.h>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace flowmatch {

struct AddonState;

struct JsFunctionShared {
  std::mutex mutex;
  // Null once the environment is gone: a node that outlives it refuses to run.
  AddonState* state = nullptr;
  std::thread::id jsThread;
  // Ids whose node died or released its saved state; JS drops their closures (drainReleased).
  std::vector<uint32_t> released;
};

struct JsFunctionRegistry {
  std::shared_ptr<JsFunctionShared> shared = std::make_shared<JsFunctionShared>();
  // dispatch(id, gradHandles[]) -> (handle | null)[]: runs the backward registered for id.
  Napi::FunctionReference dispatch;
  uint32_t nextId = 1;
  // JS exceptions thrown by a backward, by id, until the call that ran backward rethrows them.
  std::unordered_map<uint64_t, Napi::Reference<Napi::Value>> errors;
  uint64_t nextError = 1;
  ~JsFunctionRegistry() {
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->state = nullptr;
  }
};

// Inside a catch block: when the exception carries a JS exception from a backward, throws
// that very value into `env` and returns true.
bool rethrowJsBackwardError(Napi::Env env, AddonState& state);

void registerCustomFunction(Napi::Env env, Napi::Object exports, AddonState& state);

}  // namespace flowmatch
