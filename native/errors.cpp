// The one place where C++ exceptions become JS errors. Every exported function runs
// through `trampoline`, so there is no per-method copy of this try/catch.
#include "errors.h"
#include "tensor_table.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>

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

bool containsAny(const std::string& text, std::initializer_list<const char*> phrases) {
  for (const char* phrase : phrases) {
    if (text.find(phrase) != std::string::npos) return true;
  }
  return false;
}

// "must be a 3D tensor", "must be a 4D tensor", ... (in lowercased text).
bool asksForNdTensor(const std::string& lowered) {
  static const std::string lead = "must be a ";
  for (size_t at = lowered.find(lead); at != std::string::npos; at = lowered.find(lead, at + 1)) {
    size_t i = at + lead.size();
    size_t digits = i;
    while (digits < lowered.size() && std::isdigit(static_cast<unsigned char>(lowered[digits]))) ++digits;
    if (digits > i && lowered.compare(digits, 8, "d tensor") == 0) return true;
  }
  return false;
}

// libtorch raises shape, dtype and device problems, and the CPU allocator's failure, all as a
// plain c10::Error: only the message tells which. The phrases are libtorch's own wording;
// test/errors.test.ts checks the classes on real failures of each kind.
const char* classifyTorchMessage(const std::string& message) {
  std::string lowered(message);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // The CPU allocator reports failure as a plain c10::Error, not c10::OutOfMemoryError.
  if (containsAny(lowered, {"can't allocate memory", "not enough memory"})) return "ERR_OUT_OF_MEMORY";
  if (containsAny(lowered, {"size of tensor", "shape", "must match the size", "cannot be multiplied", "dimension", "out of bounds",
                            "invalid for input of size", "expanded size", "number of dims"}) ||
      asksForNdTensor(lowered)) {
    return "ERR_SHAPE";
  }
  if (containsAny(lowered, {"expected scalar type", "dtype", "float but found", "long but found", "result type", "can't be cast", "not implemented for '"})) {
    return "ERR_DTYPE";
  }
  // Case-sensitive, as libtorch writes them: "device", "cuda", "CUDA".
  if (containsAny(message, {"device", "cuda", "CUDA"})) return "ERR_DEVICE";
  return "ERR_NATIVE";
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

// The one classification stage: every exception becomes its final code here, by its type
// and, for a plain c10::Error, by its message. JS (lib/errors.ts makeNativeError) only looks
// the code up in the registry to pick its class. Classifying in C++ keeps the type and the
// message in the same place (JS never sees the exception's type), and the codes returned
// here are checked against lib/error-codes.ts by test/errors.test.ts.
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
    return {"ERR_INVALID_ARGUMENT", firstLine(e.what_without_backtrace())};
  } catch (const c10::TypeError& e) {
    return {"ERR_DTYPE", firstLine(e.what_without_backtrace())};
  } catch (const c10::NotImplementedError& e) {
    return {"ERR_UNSUPPORTED", firstLine(e.what_without_backtrace())};
  } catch (const c10::Error& e) {
    std::string message = firstLine(e.what_without_backtrace());
    return {classifyTorchMessage(message), message};
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
