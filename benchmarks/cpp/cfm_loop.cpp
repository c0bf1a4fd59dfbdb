// The C++ CFM training loop (cfm_loop.h): OT path, MSE, fused Adam on the addon's own
// models, with no JS in the loop.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

#include "cfm_loop.h"
#include "mlp.h"
#include "unet.h"

namespace flowmatch {

namespace {

std::vector<int64_t> intList(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoll(item));
  return out;
}

// flowmatch writes float32 tensors with a flat JSON header, which a regex reads well
// enough here; a general safetensors reader is not this program's concern.
std::map<std::string, at::Tensor> loadSafetensors(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t headerLength = 0;
  std::memcpy(&headerLength, blob.data(), 8);
  std::string header = blob.substr(8, headerLength);
  const char* data = blob.data() + 8 + headerLength;
  std::regex entry(R"re("([^"]+)":\{[^}]*"shape":\[([0-9,]*)\][^}]*"data_offsets":\[(\d+),(\d+)\])re");
  std::map<std::string, at::Tensor> out;
  for (std::sregex_iterator it(header.begin(), header.end(), entry), end; it != end; ++it) {
    const std::smatch& m = *it;
    if (m[0].str().find("\"F32\"") == std::string::npos) throw std::runtime_error("only F32 tensors are supported: " + m[1].str());
    int64_t begin = std::stoll(m[3]), stop = std::stoll(m[4]);
    at::Tensor t = at::empty(intList(m[2]), at::kFloat);
    std::memcpy(t.data_ptr(), data + begin, stop - begin);
    out[m[1]] = t;
  }
  return out;
}

std::shared_ptr<VelocityModel> makeModel(const std::map<std::string, std::string>& args) {
  if (args.at("model") == "unet") {
    // The model of benchmarks/models.js, every field as lib/nn/unet.ts resolves it.
    UNetConfig c{};
    c.inChannels = 1;
    c.outChannels = 1;
    c.modelChannels = 32;
    c.channelMult = {1, 2, 2};
    c.numResBlocks = 1;
    c.attentionResolutions = {2};
    c.dropout = 0;
    c.convResample = true;
    c.numClasses = 0;
    c.nullClass = true;
    c.numHeads = 1;
    c.numHeadChannels = -1;
    c.numHeadsUpsample = -1;
    c.useScaleShiftNorm = true;
    c.resblockUpdown = false;
    c.useNewAttentionOrder = false;
    c.condChannels = 0;
    return makeUNet(c);
  }
  MLPConfig c;
  c.dim = 2;
  c.hidden = intList(args.at("hidden"));
  return std::make_shared<MLP>(c);
}

double peakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

}  // namespace

std::string runCfmLoop(std::map<std::string, std::string> args) {
  at::set_num_threads(std::stoi(args.count("threads") ? args["threads"] : "2"));
  at::manual_seed(0);
  auto model = makeModel(args);
  if (args.count("weights")) {
    at::NoGradGuard noGrad;
    auto weights = loadSafetensors(args["weights"]);
    for (auto& p : model->named_parameters()) p.value().copy_(weights.at(p.key()));
  }
  const int64_t batch = std::stoll(args.at("batch"));
  const int steps = std::stoi(args.at("steps"));
  const int warmup = std::stoi(args.count("warmup") ? args["warmup"] : "1");
  const double sigmaMin = 1e-4, lr = 1e-3;

  bool image = args.at("model") == "unet";
  at::Tensor x1 = image ? at::rand({batch, 1, 28, 28}) * 2 - 1 : at::randn({batch, 2}) * 2;
  std::vector<int64_t> column{batch};
  for (int64_t i = 1; i < x1.dim(); ++i) column.push_back(1);

  std::vector<at::Tensor> params = model->parameters();
  std::vector<at::Tensor> expAvg, expAvgSq, stepCounts;
  for (auto& p : params) {
    expAvg.push_back(at::zeros_like(p));
    expAvgSq.push_back(at::zeros_like(p));
    stepCounts.push_back(at::zeros({}, at::kFloat));
  }

  // --breakdown 1 also reports the median of each phase (draw, forward + loss, backward,
  // optimizer), the split benchmarks/profile.js prints for flowmatch's step.
  const bool breakdown = args.count("breakdown") && args["breakdown"] == "1";
  using Clock = std::chrono::steady_clock;
  std::vector<double> times;
  std::vector<std::vector<double>> phases(4);
  double loss = 0;
  for (int i = 0; i < warmup + steps; ++i) {
    auto start = Clock::now();
    Clock::time_point marks[4];
    at::Tensor x0 = at::randn_like(x1);
    at::Tensor t = at::rand({batch});
    at::Tensor tc = t.view(column);
    at::Tensor xt = (1 - (1 - sigmaMin) * tc) * x0 + tc * x1;
    at::Tensor ut = x1 - (1 - sigmaMin) * x0;
    marks[0] = Clock::now();
    at::Tensor l = at::mse_loss(model->forward(xt, t, Conditioning{}), ut);
    marks[1] = Clock::now();
    for (auto& p : params) p.mutable_grad().reset();
    l.backward();
    marks[2] = Clock::now();
    {
      at::NoGradGuard noGrad;
      std::vector<at::Tensor> grads;
      for (auto& p : params) grads.push_back(p.grad());
      // The kernel reads the step for its bias correction, so it is counted first.
      at::_foreach_add_(stepCounts, at::Scalar(1));
      at::_fused_adam_(params, grads, expAvg, expAvgSq, {}, stepCounts, lr, 0.9, 0.999, 0, 1e-8, false, false);
    }
    marks[3] = Clock::now();
    loss = l.item<double>();
    auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (i >= warmup) {
      times.push_back(seconds);
      Clock::time_point from = start;
      for (int k = 0; k < 4; ++k) {
        phases[k].push_back(std::chrono::duration<double>(marks[k] - from).count());
        from = marks[k];
      }
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::ostringstream out;
  out << "{\"seconds\": " << median(times) << ", \"rss_mb\": " << peakRssMb() << ", \"loss\": " << loss;
  if (breakdown) {
    const char* names[4] = {"draw", "forward_loss", "backward", "optimizer"};
    out << ", \"phases\": {";
    for (int k = 0; k < 4; ++k) out << (k ? ", " : "") << "\"" << names[k] << "\": " << median(phases[k]);
    out << "}";
  }
  out << "}";
  return out.str();
}

}  // namespace flowmatch
