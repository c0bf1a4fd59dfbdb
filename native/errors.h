// Turning C++ exceptions into flowmatch's typed JS errors (see errors.cpp).
#pragma once
#include "pch.h"
#include "state.h"

namespace flowmatch {

struct ErrorInfo {
  std::string code;
  std::string message;
};

// The final code (one of lib/error-codes.ts) and one-line message of the exception being
// handled, decided by its type and, for a plain c10::Error, its message. Call inside a catch block.
ErrorInfo describeCurrentException();

// A JS error object of the flowmatch class for `code`, its message prefixed by `fnName`.
Napi::Value makeJsError(Napi::Env env, AddonState& state, const char* fnName, const ErrorInfo& info);

}  // namespace flowmatch
