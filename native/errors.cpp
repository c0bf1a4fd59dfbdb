// The one place where C++ exceptions become JS errors. Every exported function runs
// through `trampoline`, so there is no per-method copy of this try/catch.
#include "errors.h"
#include "tensor_table.h"

namespace flowmatch {

namespace {

// c10 messages carry "Exception raised from ..." and sometimes a backtrace after the
// first line; users get the first line, which is the actual reason.
std::string firstLine(const char* what) {
  std::string s(what);
  size_t cut = s.find("Exception raised from");
  if (cut != std::string::npos) s = s.substr(0, cut);
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  return s.empty() ? std::string(what) : s;
}

Napi::Value trampoline(const Napi::CallbackInfo& info) {
  auto* binding = static_cast<Binding*>(info.Data());
  AddonState& state = *binding->state;
  Napi::Env env = info.Env();
  try {
    return binding->fn(info, state);
  } catch (...) {
    // A JS backward's own exception (custom_function.cpp) reaches the caller unchanged.
    if (rethrowJsBackwardError(env, state)) return env.Undefined();
    const ErrorInfo error = describeCurrentException();
    // Nothing may escape: node-addon-api would rethrow it as a JS exception, and where
    // that fails too (a worker being terminated) the process aborts.
    try {
      Napi::Value value = makeJsError(env, state, binding->name, error);
      if (!env.IsExceptionPending()) napi_throw(env, value);
    } catch (const Napi::Error& e) {
      napi_throw(env, e.Value());  // the factory's own exception; fails only in a dying environment
    } catch (...) {
    }
    return env.Undefined();
  }
}

}  // namespace

ErrorInfo describeCurrentException() {
  try {
    throw;
  } catch (const Napi::Error& e) {
    // A JS exception raised while reading arguments (a getter that threw). Reading its
    // message can run JS again, which may throw in turn.
    std::string message;
    try {
      message = e.Message();
    } catch (...) {
    }
    return {"ERR_INVALID_ARGUMENT", "reading the arguments threw" + (message.empty() ? std::string() : ": " + message)};
  } catch (const FlowmatchException& e) {
    return {e.code, e.what()};
  } catch (const c10::OutOfMemoryError& e) {
    return {"ERR_OUT_OF_MEMORY", firstLine(e.what_without_backtrace())};
  } catch (const c10::IndexError& e) {
    return {"ERR_INDEX", firstLine(e.what_without_backtrace())};
  } catch (const c10::ValueError& e) {
    return {"ERR_VALUE", firstLine(e.what_without_backtrace())};
  } catch (const c10::TypeError& e) {
    return {"ERR_DTYPE", firstLine(e.what_without_backtrace())};
  } catch (const c10::NotImplementedError& e) {
    return {"ERR_NOT_IMPLEMENTED", firstLine(e.what_without_backtrace())};
  } catch (const c10::Error& e) {
    return {"ERR_TORCH", firstLine(e.what_without_backtrace())};
  } catch (const std::bad_alloc&) {
    return {"ERR_OUT_OF_MEMORY", "out of memory"};
  } catch (const std::exception& e) {
    return {"ERR_NATIVE", firstLine(e.what())};
  } catch (...) {
    return {"ERR_NATIVE", "unknown native error"};
  }
}

Napi::Value makeJsError(Napi::Env env, AddonState& state, const char* fnName, const ErrorInfo& info) {
  std::string text = std::string(fnName) + ": " + info.message;
  if (state.makeError.IsEmpty()) {
    Napi::Error error = Napi::Error::New(env, text);
    error.Set("code", info.code);
    return error.Value();
  }
  return state.makeError.Call({Napi::String::New(env, info.code), Napi::String::New(env, text)});
}

void define(Napi::Env env, Napi::Object exports, AddonState& state, const char* name, NativeFn fn) {
  state.bindings.push_back(Binding{fn, &state, name});
  exports.Set(name, Napi::Function::New(env, trampoline, name, &state.bindings.back()));
}

}  // namespace flowmatch
