// Native models exposed to JS by id: creation, forward (synchronous and on the libuv
// thread pool), parameters as shared tensor handles, train/eval, dtype/device moves.
#include <ATen/autocast_mode.h>
#include "batch_invariant_linear.h"
#include "errors.h"
#include "mlp.h"
#include "op_macros.h"
#include "schedules.h"
#include "unet.h"

namespace flowmatch {

namespace {

VelocityModel& modelOf(const Args& a, size_t i) {
  double id = a.number(i);
  auto found = a.state().models.find(static_cast<uint32_t>(id));
  if (found == a.state().models.end()) throw FlowmatchException("ERR_DISPOSED", "the model was disposed");
  return *found->second;
}

// Mixed precision for one forward: autocast is thread-local, so it is switched on and
// restored around the call on whichever thread runs it.
class AutocastScope {
 public:
  AutocastScope(c10::optional<at::ScalarType> dtype, at::DeviceType device) : active_(dtype.has_value()), device_(device) {
    if (!active_) return;
    wasEnabled_ = at::autocast::is_autocast_enabled(device);
    previousDtype_ = at::autocast::get_autocast_dtype(device);
    at::autocast::set_autocast_enabled(device, true);
    at::autocast::set_autocast_dtype(device, *dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, wasEnabled_);
    at::autocast::set_autocast_dtype(device_, previousDtype_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_;
  at::DeviceType device_;
  bool wasEnabled_ = false;
  at::ScalarType previousDtype_ = at::kBFloat16;
};

// The result comes back in x's dtype, so losses and solvers never see half precision.
at::Tensor runForward(VelocityModel& model, const at::Tensor& x, const at::Tensor& t, const Conditioning& cond, c10::optional<at::ScalarType> autocast) {
  AutocastScope scope(autocast, x.device().type());
  at::Tensor out = model.forward(x, t, cond);
  return autocast.has_value() ? out.to(x.scalar_type()) : out;
}

struct ForwardArgs {
  at::Tensor x, t;
  Conditioning cond;
  c10::optional<at::ScalarType> autocast;
};

// (id, x, t, labels | null, lowRes | null, autocastDtype | null)
ForwardArgs forwardArgs(const Args& a) {
  return ForwardArgs{a.tensor(1), a.tensor(2), Conditioning{a.optTensor(3), a.optTensor(4)}, a.optDtype(5)};
}

// Intra-op threads of an async job: libtorch keeps them per thread (OpenMP's ICV, MKL's
// local setting), so a libuv worker runs with whatever it last set. Each job says how many
// it gets (lib/nn/forward-queue.ts shares them out); 0 leaves the worker as it is. Set only
// on a change: at::set_num_threads also clears oneDNN's primitive cache.
void useIntraOpThreads(int threads) {
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
}

// One job on the libuv pool: `run` computes tensors off the main thread; their handles are
// created back on it in OnOK (one handle, or an array when the job returns several).
// Tensors are copied (reference-counted) into the job on the main thread.
class ModelJob : public Napi::AsyncWorker {
 public:
  using Run = std::function<std::vector<at::Tensor>()>;
  ModelJob(Napi::Env env, AddonState& state, const char* name, int threads, bool single, Run run)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(state),
        name_(name),
        threads_(threads),
        single_(single),
        run_(std::move(run)),
        gradEnabled_(at::GradMode::is_enabled()) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      at::AutoGradMode gradMode(gradEnabled_);  // thread-local: the caller's mode, set here
      useIntraOpThreads(threads_);
      results_ = run_();
    } catch (...) {
      error_ = describeCurrentException();
      SetError(error_.message);
    }
  }

  // Completion runs on the main thread, possibly while the environment is being torn
  // down (a worker terminated with this job in flight). Then N-API calls fail and
  // node-addon-api throws, and its own rethrow as a JS exception fails too: escaping into
  // libuv, that exception would std::terminate the whole process. Nobody can observe the
  // promise of a dying environment, so the failure is dropped; results already in the
  // table are freed with it.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (...) {
    }
  }

  void OnOK() override {
    std::vector<double> handles;
    try {
      for (at::Tensor& r : results_) handles.push_back(state_.tensors.insert(std::move(r)));
      if (single_) {
        deferred_.Resolve(Napi::Number::New(Env(), handles.at(0)));
      } else {
        Napi::Array out = Napi::Array::New(Env(), handles.size());
        for (uint32_t i = 0; i < handles.size(); ++i) out.Set(i, Napi::Number::New(Env(), handles[i]));
        deferred_.Resolve(out);
      }
    } catch (...) {
      // A live environment that cannot take the results (a full tensor table): the caller
      // gets the error instead of an unhandled exception on the event loop, and the
      // handles already made are not left behind.
      for (double h : handles) state_.tensors.release(h);
      error_ = describeCurrentException();
      OnError(Napi::Error());
    }
  }

  void OnError(const Napi::Error&) override { deferred_.Reject(makeJsError(Env(), state_, name_, error_)); }

 private:
  Napi::Promise::Deferred deferred_;
  AddonState& state_;
  const char* name_;
  int threads_;
  bool single_;
  Run run_;
  bool gradEnabled_;
  std::vector<at::Tensor> results_;
  ErrorInfo error_;
};

Napi::Promise queueJob(Napi::Env env, AddonState& s, const char* name, int threads, bool single, ModelJob::Run run) {
  auto* job = new ModelJob(env, s, name, threads, single, std::move(run));
  Napi::Promise promise = job->promise();
  job->Queue();
  return promise;
}

std::shared_ptr<VelocityModel> sharedModel(const Args& a) {
  modelOf(a, 0);
  return a.state().models.at(static_cast<uint32_t>(a.number(0)));
}

int jobThreads(const Args& a, size_t i) {
  if (a.isNull(i)) return 0;
  int64_t n = a.integer(i);
  if (n < 0 || n > 4096) a.invalid(i, "a thread count from 0 to 4096");
  return static_cast<int>(n);
}

// The velocity and its divergence in one job, in the order of operations of
// lib/likelihood/divergence.ts (so likelihoodAsync() gives likelihood()'s bits): exact
// (one VJP per element of a sample, a basis cotangent each) without probes, Hutchinson's
// mean of εᵀ·(∂v/∂x)·ε with them.
std::vector<at::Tensor> velocityAndDivergence(VelocityModel& model, const ForwardArgs& f, const std::vector<at::Tensor>& probes) {
  at::AutoGradMode enable(true);
  at::Tensor leaf = f.x.detach().requires_grad_(true);
  at::Tensor v = runForward(model, leaf, f.t, f.cond, f.autocast);
  if (!v.sizes().equals(leaf.sizes())) {
    throw FlowmatchException("ERR_SHAPE", "the velocity has shape " + c10::str(v.sizes()) + ", x " + c10::str(leaf.sizes()));
  }
  const int64_t n = leaf.size(0);
  const int64_t d = n == 0 ? 0 : leaf.numel() / n;
  auto vjp = [&](const at::Tensor& u) {
    if (!v.requires_grad()) return at::zeros_like(leaf);
    auto g = torch::autograd::grad({v}, {leaf}, {u}, /*retain_graph=*/true, /*create_graph=*/false, /*allow_unused=*/true);
    return g[0].defined() ? g[0] : at::zeros_like(leaf);
  };
  at::Tensor div;
  if (probes.empty()) {
    div = at::zeros({n}, leaf.options().requires_grad(false));
    for (int64_t i = 0; i < d; ++i) {
      at::Tensor basis = at::zeros({n, d}, leaf.options().requires_grad(false));
      basis.narrow(1, i, 1).fill_(1);
      at::Tensor row = vjp(basis.reshape(leaf.sizes()));
      div = div.add(row.reshape({n, d}).select(1, i));
    }
  } else {
    for (const at::Tensor& eps : probes) {
      if (!eps.sizes().equals(leaf.sizes())) throw FlowmatchException("ERR_SHAPE", "a probe has shape " + c10::str(eps.sizes()) + ", x " + c10::str(leaf.sizes()));
      at::Tensor quad = vjp(eps).mul(eps).reshape({n, -1}).sum(1);
      div = div.defined() ? div.add(quad) : quad;
    }
    div = div.div(static_cast<int64_t>(probes.size()));
  }
  return {v.detach(), div.detach()};
}

// Bounds on model sizes, so a typo (depth 1e6) is an error rather than hours of allocation.
// The same numbers are documented on MLPConfig in lib/nn/mlp.ts.
constexpr size_t kMaxMLPDepth = 1024;
constexpr int64_t kMaxMLPWidth = 65536;
constexpr int64_t kMaxMLPParameters = int64_t{1} << 30;
constexpr double kMaxUNetInteger = 1048576;

void checkMLPSize(const MLPConfig& c) {
  auto tooLarge = [](const std::string& what) { throw FlowmatchException("ERR_TOO_LARGE", "createMLP: " + what); };
  if (c.dim < 1 || c.dim > kMaxMLPWidth) tooLarge("dim must be in [1, 65536], received " + std::to_string(c.dim));
  if (c.timeEmbedDim < 0 || c.timeEmbedDim > kMaxMLPWidth) tooLarge("timeEmbedDim must be in [0, 65536], received " + std::to_string(c.timeEmbedDim));
  int64_t in = c.dim + std::max<int64_t>(c.timeEmbedDim, 1), total = 0;
  std::vector<int64_t> widths = c.hidden;
  widths.push_back(c.dim);
  for (int64_t w : widths) {
    if (w < 1 || w > kMaxMLPWidth) tooLarge("hidden widths must be in [1, 65536], received " + std::to_string(w));
    total += (in + 1) * w;  // at most 2^33 per layer, 1025 layers: no overflow
    in = w;
  }
  if (total > kMaxMLPParameters) tooLarge(std::to_string(total) + " parameters, more than the 2^30 allowed");
}

Napi::Value insertModel(const Args& a, std::shared_ptr<VelocityModel> model) {
  AddonState& s = a.state();
  uint32_t id = s.nextModelId++;
  s.models.emplace(id, std::move(model));
  return Napi::Number::New(a.env(), id);
}

// createMLP(dim, hidden[], activation, timeEmbedDim); lib/nn/mlp.ts validates the same
// bounds with messages naming the config key.
Napi::Value createMLP(const Args& a) {
  MLPConfig config;
  config.dim = a.integer(0);
  config.hidden = a.ints(1, kMaxMLPDepth);
  config.activation = activationFromName(a.string(2));
  config.timeEmbedDim = a.integer(3);
  checkMLPSize(config);
  return insertModel(a, std::make_shared<MLP>(config));
}

// createUNet(config) with guided-diffusion's snake_case keys, every key present
// (lib/nn/unet.ts fills in the defaults).
Napi::Value createUNet(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  if (!info[0].IsObject()) a.invalid(0, "a U-Net config object");
  Napi::Object o = info[0].As<Napi::Object>();
  // Each key is read once, into C++ values, before anything is built: the object may
  // have getters.
  auto invalid = [](const char* what, const char* key) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", std::string("U-Net config: expected ") + what + " for " + key);
  };
  auto number = [&](const char* key) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) invalid("a finite number", key);
    return v.As<Napi::Number>().DoubleValue();
  };
  auto asInteger = [&](double d, const char* key) {
    if (d != std::floor(d) || std::fabs(d) > kMaxUNetInteger) invalid("an integer of at most 2^20", key);
    return static_cast<int64_t>(d);
  };
  auto integer = [&](const char* key) { return asInteger(number(key), key); };
  auto flag = [&](const char* key) { return o.Get(key).ToBoolean().Value(); };
  auto ints = [&](const char* key) {
    Napi::Value v = o.Get(key);
    if (!v.IsArray()) invalid("an array", key);
    Napi::Array array = v.As<Napi::Array>();
    const uint32_t n = array.Length();
    if (n > kMaxDims) invalid("an array of at most 64 integers", key);
    std::vector<int64_t> out;
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value e = array.Get(i);
      if (!e.IsNumber()) invalid("an array of integers", key);
      out.push_back(asInteger(e.As<Napi::Number>().DoubleValue(), key));
    }
    return out;
  };
  UNetConfig c{};
  c.inChannels = integer("in_channels");
  c.modelChannels = integer("model_channels");
  c.outChannels = integer("out_channels");
  c.numResBlocks = integer("num_res_blocks");
  c.attentionResolutions = ints("attention_resolutions");
  c.dropout = number("dropout");
  c.channelMult = ints("channel_mult");
  c.convResample = flag("conv_resample");
  c.numClasses = integer("num_classes");
  c.numHeads = integer("num_heads");
  c.numHeadChannels = integer("num_head_channels");
  c.numHeadsUpsample = integer("num_heads_upsample");
  c.useScaleShiftNorm = flag("use_scale_shift_norm");
  c.resblockUpdown = flag("resblock_updown");
  c.useNewAttentionOrder = flag("use_new_attention_order");
  c.condChannels = integer("cond_channels");
  c.nullClass = o.Get("null_class").IsUndefined() || flag("null_class");  // configs saved before the key existed had one
  return insertModel(a, makeUNet(c));
}

Napi::Value modelForward(const Args& a) {
  ForwardArgs f = forwardArgs(a);
  return a.ret(runForward(modelOf(a, 0), f.x, f.t, f.cond, f.autocast));
}

void checkVelocityShape(const at::Tensor& v, const at::Tensor& x) {
  if (!v.sizes().equals(x.sizes())) {
    throw FlowmatchException("ERR_SHAPE", "Expected a velocity of shape " + c10::str(x.sizes()) + " (the shape of x) for the output of the model but received shape " + c10::str(v.sizes()));
  }
}

// modelMseLoss(id, x, t, labels | null, lowRes | null, autocast | null, target) -> the mean
// squared error of v(x, t) to target: the CFM loss's forward in one call.
Napi::Value modelMseLoss(const Args& a) {
  ForwardArgs f = forwardArgs(a);
  at::Tensor target = a.tensor(6);
  at::Tensor v = runForward(modelOf(a, 0), f.x, f.t, f.cond, f.autocast);
  checkVelocityShape(v, f.x);
  return a.ret(at::mse_loss(v, target));
}

// modelCfmLoss(id, x1, t | null, x0 | null, samplerKind | null, samplerA, samplerB,
// scheduleKind, scheduleA, scheduleB, labels | null, lowRes | null) -> mse(v(x_t, t), u_t):
// the CFM loss of one training draw along a built-in schedule (schedules.cpp's draw, then
// modelMseLoss's forward and loss), so t, x_t and u_t never become handles. Every argument
// is read before anything is computed; the bits and the generator's use are those of the
// separate calls.
Napi::Value modelCfmLoss(const Args& a) {
  VelocityModel& model = modelOf(a, 0);
  at::Tensor x1 = a.tensor(1);
  c10::optional<at::Tensor> t = a.optTensor(2), x0 = a.optTensor(3);
  c10::optional<TimeSampler> sampler;
  if (!a.isNull(4)) sampler = TimeSampler{a.string(4), a.number(5), a.number(6)};
  Schedule schedule{a.string(7), a.number(8), a.number(9)};
  Conditioning cond{a.optTensor(10), a.optTensor(11)};
  TrainingDraw d = affineTrainingDraw(x1, t, x0, sampler, schedule);
  at::Tensor v = runForward(model, d.xt, d.t, cond, c10::nullopt);
  checkVelocityShape(v, d.xt);
  return a.ret(at::mse_loss(v, d.ut));
}

// modelForwardAsync(id, x, t, labels | null, lowRes | null, autocast | null, threads | null) -> Promise<handle>
Napi::Value modelForwardAsync(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  AddonState& s = a.state();
  auto model = sharedModel(a);
  ForwardArgs f = forwardArgs(a);
  return queueJob(info.Env(), s, "modelForwardAsync", jobThreads(a, 6), true, [model, f]() {
    return std::vector<at::Tensor>{runForward(*model, f.x, f.t, f.cond, f.autocast)};
  });
}

// modelForwardManyAsync(id, xs[], ts[], labels[] | null, lowRes[] | null, autocast | null,
// threads | null) -> Promise<handles[]>: one job for the evaluations of several requests
// (lib/serve/batcher.ts). Each runs as its own forward on its own rows: libtorch's CPU
// kernels pick their blocking by batch size, so a row's last bits depend on how many rows
// share its call, and concatenating requests would make one request's samples depend on
// its neighbours.
Napi::Value modelForwardManyAsync(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  AddonState& s = a.state();
  auto model = sharedModel(a);
  std::vector<at::Tensor> xs = a.tensors(1), ts = a.tensors(2), labels, lowRes;
  if (!a.isNull(3)) labels = a.tensors(3);
  if (!a.isNull(4)) lowRes = a.tensors(4);
  if (ts.size() != xs.size() || (!labels.empty() && labels.size() != xs.size()) || (!lowRes.empty() && lowRes.size() != xs.size())) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "modelForwardManyAsync: one t, label and lowRes tensor per x");
  }
  c10::optional<at::ScalarType> autocast = a.optDtype(5);
  return queueJob(info.Env(), s, "modelForwardManyAsync", jobThreads(a, 6), false, [model, xs, ts, labels, lowRes, autocast]() {
    std::vector<at::Tensor> out;
    out.reserve(xs.size());
    for (size_t i = 0; i < xs.size(); ++i) {
      Conditioning cond{labels.empty() ? c10::nullopt : c10::optional<at::Tensor>(labels[i]), lowRes.empty() ? c10::nullopt : c10::optional<at::Tensor>(lowRes[i])};
      out.push_back(runForward(*model, xs[i], ts[i], cond, autocast));
    }
    return out;
  });
}

// modelDivergenceAsync(id, x, t, labels | null, lowRes | null, autocast | null, threads | null,
// probes[] | null) -> Promise<[v, div]>
Napi::Value modelDivergenceAsync(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  AddonState& s = a.state();
  auto model = sharedModel(a);
  ForwardArgs f = forwardArgs(a);
  std::vector<at::Tensor> probes;
  if (!a.isNull(7)) probes = a.tensors(7);
  return queueJob(info.Env(), s, "modelDivergenceAsync", jobThreads(a, 6), false, [model, f, probes]() {
    return velocityAndDivergence(*model, f, probes);
  });
}

// modelParameters(id) -> [names[], handles[]]; the handles share storage (and .grad)
// with the model's parameters.
Napi::Value modelParameters(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  auto named = modelOf(a, 0).named_parameters(true);
  Napi::Array names = Napi::Array::New(info.Env(), named.size());
  std::vector<at::Tensor> tensors;
  uint32_t i = 0;
  for (const auto& item : named) {
    names.Set(i++, Napi::String::New(info.Env(), item.key()));
    tensors.push_back(item.value());
  }
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, names);
  out.Set(1u, a.retList(tensors));
  return out;
}

// modelAssign(id, names[], tensors[]): copies values into the named parameters.
Napi::Value modelAssign(const Args& a) {
  const Napi::CallbackInfo& info = a.info();
  // Every JS value is read before the model is looked up: a getter may dispose it.
  if (!info[1].IsArray()) a.invalid(1, "an array of names");
  Napi::Array nameArray = info[1].As<Napi::Array>();
  const uint32_t count = nameArray.Length();
  if (count > kMaxListLength) a.invalid(1, "an array of names");
  std::vector<std::string> names;
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value name = nameArray.Get(i);
    if (!name.IsString()) a.invalid(1, "an array of names");
    names.push_back(name.As<Napi::String>().Utf8Value());
  }
  std::vector<at::Tensor> values = a.tensors(2);
  if (values.size() != names.size()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "modelAssign: one tensor per name");
  auto named = modelOf(a, 0).named_parameters(true);
  at::NoGradGuard noGrad;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    at::Tensor* param = named.find(name);
    if (param == nullptr) throw FlowmatchException("ERR_INVALID_ARGUMENT", "the model has no parameter '" + name + "'");
    if (!param->sizes().equals(values[i].sizes())) {
      throw FlowmatchException("ERR_SHAPE", "parameter '" + name + "' has shape " + c10::str(param->sizes()) + ", the value " + c10::str(values[i].sizes()));
    }
    param->copy_(values[i]);
  }
  return info.Env().Undefined();
}

// ---- The batch-invariant serving forward (batch_invariant_linear.h) -------------------

const MLP& batchInvariantMLP(const VelocityModel& model) {
  if (!supportsBatchInvariantForward(model)) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "the batch-invariant forward runs CPU float32 MLPs with a silu or relu activation");
  }
  return static_cast<const MLP&>(model);
}

// modelSupportsMergedForward(id) -> boolean
Napi::Value modelSupportsMergedForward(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  return Napi::Boolean::New(info.Env(), supportsBatchInvariantForward(modelOf(a, 0)));
}

// modelForwardBatchInvariant(id, x, t) -> handle (no grad)
Napi::Value modelForwardBatchInvariant(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  const MLP& mlp = batchInvariantMLP(modelOf(a, 0));
  return a.ret(mlpForwardBatchInvariant(mlp, a.tensor(1), a.tensor(2)));
}

// modelForwardMergedAsync(id, xs[], ts[], threads | null) -> Promise<handles[]>: several
// requests' evaluations as one batch-invariant forward over their concatenated rows.
Napi::Value modelForwardMergedAsync(const Napi::CallbackInfo& info, AddonState& s) {
  Args a(info, s);
  auto model = sharedModel(a);
  batchInvariantMLP(*model);
  std::vector<at::Tensor> xs = a.tensors(1), ts = a.tensors(2);
  return queueJob(info.Env(), s, "modelForwardMergedAsync", jobThreads(a, 3), false, [model, xs, ts]() {
    return mlpForwardMerged(static_cast<const MLP&>(*model), xs, ts);
  });
}

}  // namespace

void registerModules(Napi::Env env, Napi::Object exports, AddonState& s) {
  FM_OP("createMLP", return createMLP(a));
  FM_OP("createUNet", return createUNet(a));
  FM_OP("modelForward", return modelForward(a));
  FM_OP("modelMseLoss", return modelMseLoss(a));
  FM_OP("modelCfmLoss", return modelCfmLoss(a));
  FM_OP("modelForwardAsync", return modelForwardAsync(a));
  FM_OP("modelDivergenceAsync", return modelDivergenceAsync(a));
  FM_OP("modelForwardManyAsync", return modelForwardManyAsync(a));
  FM_OP("modelParameters", return modelParameters(a));
  FM_OP("modelAssign", return modelAssign(a));
  FM_INPLACE("modelSetTraining", modelOf(a, 0).train(a.flag(1)));
  FM_OP("modelIsTraining", return Napi::Boolean::New(info.Env(), modelOf(a, 0).is_training()));
  // modelTo(id, dtype | null, device | null): parameters keep their identity (set_data),
  // so handles and optimizers that hold them stay attached.
  FM_INPLACE("modelTo", {
    VelocityModel& model = modelOf(a, 0);
    at::Device device = a.isNull(2) ? at::Device(at::kCPU) : a.device(2);
    if (a.isNull(1)) model.to(device);
    else if (a.isNull(2)) model.to(a.dtype(1));
    else model.to(device, a.dtype(1));
  });
  FM_INPLACE("modelRelease", a.state().models.erase(static_cast<uint32_t>(a.number(0))));
  FM_OP("modelSupportsMergedForward", return modelSupportsMergedForward(info, st));
  FM_OP("modelForwardBatchInvariant", return modelForwardBatchInvariant(info, st));
  FM_OP("modelForwardMergedAsync", return modelForwardMergedAsync(info, st));
}

}  // namespace flowmatch
