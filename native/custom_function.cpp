// JS-defined autograd functions: customFunction(inputs, outputs) puts one libtorch graph
// node between `inputs` and (fresh handles of) `outputs`; when autograd reaches it, the node
// calls the JS dispatcher with the output gradients, and the JS backward registered under
// the node's id returns the input gradients. odeintAdjoint is built on it: its backward
// solves the adjoint ODE in JS.
//
// Threads: libtorch runs a CPU node on the thread that called backward()/grad(), so when
// that is the JS thread (always, for calls from JS) the node can call JS directly, and the
// vector-Jacobian products its backward computes re-enter the engine on the same thread, as
// a Python custom Function's do. libtorch runs nodes of CUDA gradients on its own device
// threads, where JS cannot run (the JS thread is blocked inside backward()), so there the
// node throws ERR_UNSUPPORTED rather than deadlock.
#include "custom_function.h"
#include "op_macros.h"
#include <torch/csrc/autograd/functions/utils.h>

namespace flowmatch {

namespace {

using torch::autograd::variable_list;

// A JS exception thrown by a backward, carried through libtorch's engine by id (the engine
// rethrows the exception object it caught on the thread that called backward()).
struct JsBackwardError : FlowmatchException {
  JsBackwardError(uint64_t id, const std::string& message) : FlowmatchException("ERR_BACKWARD", message), id(id) {}
  uint64_t id;
};

class JsBackward : public torch::autograd::Node {
 public:
  JsBackward(uint32_t id, std::shared_ptr<JsFunctionShared> shared, torch::autograd::edge_list&& edges)
      : Node(std::move(edges)), id_(id), shared_(std::move(shared)) {}
  ~JsBackward() override { markReleased(); }
  std::string name() const override { return "JsBackward"; }
  // Called by the engine after apply() unless the graph is retained: the JS side then
  // drops what its backward kept (the final state, the closure over f).
  void release_variables() override { markReleased(); }

  variable_list apply(variable_list&& grads) override {
    AddonState* state;
    bool released;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      state = shared_->state;
      released = released_;
    }
    if (state == nullptr) throw FlowmatchException("ERR_DISPOSED", "the environment that defined this backward has shut down");
    if (std::this_thread::get_id() != shared_->jsThread) {
      throw FlowmatchException("ERR_UNSUPPORTED",
                               "a JS-defined backward (odeintAdjoint's) reached libtorch's autograd thread of a non-CPU device, where JS cannot run; "
                               "use CPU tensors for it, or odeint (direct backprop)");
    }
    if (released) {
      throw FlowmatchException("ERR_BACKWARD_TWICE",
                               "backward through this odeintAdjoint graph a second time: its saved state was freed after the first backward "
                               "(pass retainGraph: true to the first backward() or grad() to keep it)");
    }
    JsFunctionRegistry& registry = state->jsFunctions;
    Napi::Env env = registry.dispatch.Env();
    Napi::HandleScope scope(env);
    Napi::Array handles = Napi::Array::New(env, grads.size());
    for (uint32_t i = 0; i < grads.size(); ++i) {
      // An output that did not reach the loss gets no gradient: the backward sees zeros.
      at::Tensor g = grads[i].defined() ? grads[i] : input_metadata(i).zeros_like();
      handles.Set(i, Napi::Number::New(env, state->tensors.insert(std::move(g))));
    }
    Napi::Value result;
    try {
      // From here the JS dispatcher owns the gradient handles.
      result = registry.dispatch.Call({Napi::Number::New(env, id_), handles});
    } catch (const Napi::Error& e) {
      uint64_t errorId = registry.nextError++;
      registry.errors.emplace(errorId, Napi::Reference<Napi::Value>::New(e.Value(), 1));
      throw JsBackwardError(errorId, e.Message());
    }
    if (!result.IsArray() || result.As<Napi::Array>().Length() != num_outputs()) {
      throw FlowmatchException("ERR_INVALID_ARGUMENT", "a JS backward returned " + std::to_string(num_outputs()) + " gradients' worth of handles incorrectly");
    }
    Napi::Array list = result.As<Napi::Array>();
    variable_list out(num_outputs());
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Value v = list.Get(i);
      if (v.IsNull() || v.IsUndefined()) continue;
      if (!v.IsNumber()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "a JS backward returned a non-handle gradient");
      double h = v.As<Napi::Number>().DoubleValue();
      out[i] = state->tensors.get(h, "a gradient returned by a JS backward");
      state->tensors.release(h);  // handed over by the dispatcher (a handle of its own)
    }
    return out;
  }

 private:
  void markReleased() {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (!released_) {
      released_ = true;
      shared_->released.push_back(id_);
    }
  }

  uint32_t id_;
  std::shared_ptr<JsFunctionShared> shared_;
  bool released_ = false;  // guarded by shared_->mutex
};

bool sameTensor(const at::Tensor& a, const std::vector<at::Tensor>& list) {
  for (const at::Tensor& t : list) {
    if (t.unsafeGetTensorImpl() == a.unsafeGetTensorImpl()) return true;
  }
  return false;
}

}  // namespace

bool rethrowJsBackwardError(Napi::Env env, AddonState& state) {
  try {
    throw;
  } catch (const JsBackwardError& e) {
    auto it = state.jsFunctions.errors.find(e.id);
    if (it == state.jsFunctions.errors.end()) return false;
    Napi::Value value = it->second.Value();
    state.jsFunctions.errors.erase(it);
    napi_throw(env, value);
    return true;
  } catch (...) {
    return false;
  }
}

void registerCustomFunction(Napi::Env env, Napi::Object exports, AddonState& s) {
  {
    std::lock_guard<std::mutex> lock(s.jsFunctions.shared->mutex);
    s.jsFunctions.shared->state = &s;
    s.jsFunctions.shared->jsThread = std::this_thread::get_id();
  }
  // setCustomFunctionDispatch(fn): fn(id, gradHandles[]) -> (handle | null)[], one per input.
  FM_INPLACE("setCustomFunctionDispatch", {
    if (!info[0].IsFunction()) a.invalid(0, "a function");
    st.jsFunctions.dispatch = Napi::Persistent(info[0].As<Napi::Function>());
  });
  // customFunction(inputs[], outputs[]) -> [id, outputHandles[]]. id 0: no graph was recorded
  // (grad mode off, or no input requires grad) and the handles are plain new handles.
  FM_OP("customFunction", {
    std::vector<at::Tensor> inputs = a.tensors(0);
    std::vector<at::Tensor> outputs = a.tensors(1);
    if (st.jsFunctions.dispatch.IsEmpty()) throw FlowmatchException("ERR_INTERNAL", "customFunction before setCustomFunctionDispatch");
    uint32_t id = 0;
    if (at::GradMode::is_enabled() && torch::autograd::any_variable_requires_grad(inputs)) {
      id = st.jsFunctions.nextId++;
      if (st.jsFunctions.nextId == 0) st.jsFunctions.nextId = 1;
      auto node = c10::make_intrusive<JsBackward>(id, st.jsFunctions.shared, torch::autograd::collect_next_edges(inputs));
      for (at::Tensor& o : outputs) {
        // History goes on a tensor of the node's own: never on an input, a view or a tensor
        // with a history of its own.
        if (o.requires_grad() || o.is_view() || sameTensor(o, inputs)) {
          at::NoGradGuard noGrad;
          o = o.clone();
        } else {
          o = o.detach();
        }
        torch::autograd::set_history(o, node);
      }
    }
    Napi::Array out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), id));
    out.Set(1u, a.retList(outputs));
    return out;
  });
  // customFunctionsReleased() -> ids whose node died or freed its saved state since the last call.
  FM_OP("customFunctionsReleased", {
    std::vector<uint32_t> ids;
    {
      std::lock_guard<std::mutex> lock(st.jsFunctions.shared->mutex);
      ids.swap(st.jsFunctions.shared->released);
    }
    Napi::Array out = Napi::Array::New(info.Env(), ids.size());
    for (uint32_t i = 0; i < ids.size(); ++i) out.Set(i, Napi::Number::New(info.Env(), ids[i]));
    return out;
  });
  // shareHandle(t) -> a second handle of the same tensor (a backward's result handed over).
  FM_OP("shareHandle", return a.ret(a.tensor(0)));
}

}  // namespace flowmatch
