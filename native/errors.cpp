// The one place where C++ exceptions become JS errors. Every exported function runs
// through `trampoline`, so there is no per-method copy of this try/catch.
#include "state.h"
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

Napi::Value throwCoded(Napi::Env env, AddonState& state, const char* fnName, const std::string& code, const std::string& message) {
  std::string text = std::string(fnName) + ": " + message;
  if (state.makeError.IsEmpty()) {
    Napi::Error error = Napi::Error::New(env, text);
    error.Set("code", code);
    error.ThrowAsJavaScriptException();
  } else {
    Napi::Value error = state.makeError.Call({Napi::String::New(env, code), Napi::String::New(env, text)});
    if (!env.IsExceptionPending()) napi_throw(env, error);
  }
  return env.Undefined();
}

Napi::Value trampoline(const Napi::CallbackInfo& info) {
  auto* binding = static_cast<Binding*>(info.Data());
  AddonState& state = *binding->state;
  Napi::Env env = info.Env();
  try {
    return binding->fn(info, state);
  } catch (const Napi::Error& e) {
    // A JS exception raised while reading arguments: re-raise it as a typed error.
    return throwCoded(env, state, binding->name, "ERR_INVALID_ARGUMENT", e.Message());
  } catch (const FlowmatchException& e) {
    return throwCoded(env, state, binding->name, e.code, e.what());
  } catch (const c10::OutOfMemoryError& e) {
    return throwCoded(env, state, binding->name, "ERR_OUT_OF_MEMORY", firstLine(e.what_without_backtrace()));
  } catch (const c10::IndexError& e) {
    return throwCoded(env, state, binding->name, "ERR_INDEX", firstLine(e.what_without_backtrace()));
  } catch (const c10::ValueError& e) {
    return throwCoded(env, state, binding->name, "ERR_VALUE", firstLine(e.what_without_backtrace()));
  } catch (const c10::TypeError& e) {
    return throwCoded(env, state, binding->name, "ERR_DTYPE", firstLine(e.what_without_backtrace()));
  } catch (const c10::NotImplementedError& e) {
    return throwCoded(env, state, binding->name, "ERR_NOT_IMPLEMENTED", firstLine(e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    return throwCoded(env, state, binding->name, "ERR_TORCH", firstLine(e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return throwCoded(env, state, binding->name, "ERR_OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    return throwCoded(env, state, binding->name, "ERR_NATIVE", firstLine(e.what()));
  } catch (...) {
    return throwCoded(env, state, binding->name, "ERR_NATIVE", "unknown native error");
  }
}

}  // namespace

void define(Napi::Env env, Napi::Object exports, AddonState& state, const char* name, NativeFn fn) {
  state.bindings.push_back(Binding{fn, &state, name});
  exports.Set(name, Napi::Function::New(env, trampoline, name, &state.bindings.back()));
}

}  // namespace flowmatch
