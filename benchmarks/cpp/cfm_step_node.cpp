// The C++ CFM loop (cfm_loop.h) inside a Node process: run(["--model", "mlp", …]) returns the
// loop's JSON result. Node-API's C interface, so the loop's sources build as they do for the
// program (native/pch.h reads napi.h as empty here).
#include <node_api.h>

#include <string>
#include <vector>

#include "cfm_loop.h"
#include "cpu_cache_allocator.h"

namespace {

napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t length = 0;
  if (argc < 1 || napi_get_array_length(env, argv[0], &length) != napi_ok) {
    napi_throw_type_error(env, nullptr, "run(args: string[])");
    return nullptr;
  }
  std::vector<std::string> words;
  for (uint32_t i = 0; i < length; ++i) {
    napi_value item;
    napi_get_element(env, argv[0], i, &item);
    size_t size = 0;
    if (napi_get_value_string_utf8(env, item, nullptr, 0, &size) != napi_ok) {
      napi_throw_type_error(env, nullptr, "run(args: string[])");
      return nullptr;
    }
    std::string word(size, '\0');
    napi_get_value_string_utf8(env, item, word.data(), size + 1, &size);
    words.push_back(word);
  }
  std::map<std::string, std::string> args;
  for (size_t i = 0; i + 1 < words.size(); i += 2) args[words[i].substr(2)] = words[i + 1];
  std::string result;
  try {
    result = flowmatch::runCfmLoop(args);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
  napi_value out;
  napi_create_string_utf8(env, result.c_str(), result.size(), &out);
  return out;
}

napi_value init(napi_env env, napi_value exports) {
  flowmatch::installCpuCacheAllocator();
  napi_value fn;
  napi_create_function(env, "run", NAPI_AUTO_LENGTH, run, nullptr, &fn);
  napi_set_named_property(env, exports, "run", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
