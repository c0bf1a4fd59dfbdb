// Layer by layer the structure of guided-diffusion's UNetModel; every register_module
// name below is a key segment of its state_dict (time_embed.0, input_blocks.1.0.in_layers.0,
// ...), which is why Sequential containers appear even where forward() calls members directly.
#include "unet.h"

namespace flowmatch {

namespace {

namespace nn = torch::nn;
constexpr int64_t kGroups = 32;

// GroupNorm32: normalisation statistics in float32 even when activations are half
// precision (autocast or a bf16 model); float64 stays float64.
at::Tensor groupNorm32(const at::Tensor& x, const nn::GroupNorm& norm) {
  at::ScalarType type = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  return at::group_norm(x.to(type), kGroups, norm->weight.to(type), norm->bias.to(type), norm->options.eps()).to(x.scalar_type());
}

nn::GroupNorm makeNorm(int64_t channels) {
  if (channels % kGroups != 0) {
    throw FlowmatchException("ERR_INVALID_ARGUMENT", "the U-Net normalises in 32 groups, so every level's channel count must be a multiple of 32; " + std::to_string(channels) + " is not");
  }
  return nn::GroupNorm(nn::GroupNormOptions(kGroups, channels));
}

// The layers whose output starts at zero (zero_module in guided-diffusion): every
// residual branch begins as the identity.
template <typename M>
M zeroed(M module) {
  at::NoGradGuard noGrad;
  for (at::Tensor& p : module->parameters()) p.zero_();
  return module;
}

nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

at::Tensor upsample2x(const at::Tensor& x) {
  return at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
}
at::Tensor downsample2x(const at::Tensor& x) { return at::avg_pool2d(x, {2, 2}, {2, 2}); }

// A layer of a TimestepEmbedSequential: gets the activations and the embedding.
struct EmbedLayer : nn::Module {
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& emb) = 0;
};

struct EmbedSequential : nn::Module {
  std::vector<std::shared_ptr<EmbedLayer>> layers;
  void add(std::shared_ptr<EmbedLayer> layer) {
    register_module(std::to_string(layers.size()), layer);
    layers.push_back(std::move(layer));
  }
  at::Tensor forward(at::Tensor h, const at::Tensor& emb) {
    for (auto& layer : layers) h = layer->forward(h, emb);
    return h;
  }
};

// input_blocks.0.0 is a bare convolution: its parameters sit directly under that name.
struct InputConv : EmbedLayer {
  at::Tensor weight, bias;
  InputConv(int64_t in, int64_t out) {
    nn::Conv2d conv = conv3x3(in, out);
    weight = register_parameter("weight", conv->weight);
    bias = register_parameter("bias", conv->bias);
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor&) override { return at::conv2d(x, weight, bias, 1, 1); }
};

struct Downsample : EmbedLayer {
  nn::Conv2d op{nullptr};
  Downsample(int64_t channels, bool useConv) {
    if (useConv) op = register_module("op", conv3x3(channels, channels, 2));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor&) override { return op ? op->forward(x) : downsample2x(x); }
};

struct Upsample : EmbedLayer {
  nn::Conv2d conv{nullptr};
  Upsample(int64_t channels, bool useConv) {
    if (useConv) conv = register_module("conv", conv3x3(channels, channels));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor&) override {
    at::Tensor h = upsample2x(x);
    return conv ? conv->forward(h) : h;
  }
};

enum class Resample { None, Up, Down };

struct ResBlock : EmbedLayer {
  nn::GroupNorm inNorm{nullptr}, outNorm{nullptr};
  nn::Conv2d inConv{nullptr}, outConv{nullptr}, skip{nullptr};
  nn::Linear embProjection{nullptr};
  double dropout;
  bool scaleShift;
  Resample resample;

  ResBlock(int64_t channels, int64_t embChannels, double dropout, int64_t outChannels, bool scaleShift, Resample resample)
      : dropout(dropout), scaleShift(scaleShift), resample(resample) {
    inNorm = makeNorm(channels);
    inConv = conv3x3(channels, outChannels);
    register_module("in_layers", nn::Sequential(inNorm, nn::SiLU(), inConv));
    embProjection = nn::Linear(embChannels, scaleShift ? 2 * outChannels : outChannels);
    register_module("emb_layers", nn::Sequential(nn::SiLU(), embProjection));
    outNorm = makeNorm(outChannels);
    outConv = zeroed(conv3x3(outChannels, outChannels));
    register_module("out_layers", nn::Sequential(outNorm, nn::SiLU(), nn::Dropout(dropout), outConv));
    if (outChannels != channels) skip = register_module("skip_connection", nn::Conv2d(nn::Conv2dOptions(channels, outChannels, 1)));
  }

  at::Tensor forward(const at::Tensor& input, const at::Tensor& emb) override {
    at::Tensor x = input;
    at::Tensor h = at::silu(groupNorm32(x, inNorm));
    if (resample == Resample::Up) {
      h = upsample2x(h);
      x = upsample2x(x);
    } else if (resample == Resample::Down) {
      h = downsample2x(h);
      x = downsample2x(x);
    }
    h = inConv->forward(h);
    at::Tensor embOut = embProjection->forward(at::silu(emb)).to(h.scalar_type()).unsqueeze(-1).unsqueeze(-1);
    if (scaleShift) {
      auto parts = embOut.chunk(2, 1);
      h = at::silu(groupNorm32(h, outNorm) * (parts[0] + 1) + parts[1]);
    } else {
      h = at::silu(groupNorm32(h + embOut, outNorm));
    }
    if (dropout > 0) h = at::dropout(h, dropout, is_training());
    h = outConv->forward(h);
    return (skip ? skip->forward(x) : x) + h;
  }
};

struct AttentionBlock : EmbedLayer {
  nn::GroupNorm norm{nullptr};
  nn::Conv1d qkv{nullptr}, projOut{nullptr};
  int64_t heads;
  bool newOrder;

  AttentionBlock(int64_t channels, int64_t numHeads, int64_t numHeadChannels, bool newOrder) : newOrder(newOrder) {
    if (numHeadChannels == -1) {
      heads = numHeads;
    } else {
      if (channels % numHeadChannels != 0) {
        throw FlowmatchException("ERR_INVALID_ARGUMENT", std::to_string(channels) + " attention channels are not divisible by num_head_channels " + std::to_string(numHeadChannels));
      }
      heads = channels / numHeadChannels;
    }
    if (heads < 1 || channels % heads != 0) {
      throw FlowmatchException("ERR_INVALID_ARGUMENT", std::to_string(channels) + " attention channels cannot be split into " + std::to_string(heads) + " heads");
    }
    norm = register_module("norm", makeNorm(channels));
    qkv = register_module("qkv", nn::Conv1d(nn::Conv1dOptions(channels, 3 * channels, 1)));
    projOut = register_module("proj_out", zeroed(nn::Conv1d(nn::Conv1dOptions(channels, channels, 1))));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor&) override {
    int64_t b = x.size(0), c = x.size(1), ch = c / heads;
    at::Tensor flat = x.reshape({b, c, -1});
    int64_t length = flat.size(2);
    at::Tensor packed = qkv->forward(groupNorm32(flat, norm));
    at::Tensor q, k, v;
    if (newOrder) {
      // QKVAttention: split q, k, v first, then heads.
      auto parts = packed.chunk(3, 1);
      q = parts[0].reshape({b * heads, ch, length});
      k = parts[1].reshape({b * heads, ch, length});
      v = parts[2].reshape({b * heads, ch, length});
    } else {
      // QKVAttentionLegacy: heads first, then q, k, v within each head.
      auto parts = packed.reshape({b * heads, 3 * ch, length}).split(ch, 1);
      q = parts[0];
      k = parts[1];
      v = parts[2];
    }
    // softmax(qᵀk / √ch)·v, the same product guided-diffusion writes as two einsums.
    at::Tensor attended = at::scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
    at::Tensor h = projOut->forward(attended.transpose(1, 2).reshape({b, c, length}));
    return (flat + h).reshape(x.sizes());
  }
};

bool contains(const std::vector<int64_t>& values, int64_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

class UNet : public VelocityModel {
 public:
  explicit UNet(const UNetConfig& config) : config_(config) {
    const UNetConfig& c = config;
    int64_t mc = c.modelChannels, embDim = mc * 4;
    int64_t headsUp = c.numHeadsUpsample == -1 ? c.numHeads : c.numHeadsUpsample;
    timeIn_ = nn::Linear(mc, embDim);
    timeOut_ = nn::Linear(embDim, embDim);
    register_module("time_embed", nn::Sequential(timeIn_, nn::SiLU(), timeOut_));
    if (c.numClasses > 0) labelEmb_ = register_module("label_emb", nn::Embedding(c.numClasses + (c.nullClass ? 1 : 0), embDim));

    auto resBlock = [&](int64_t in, int64_t out, Resample resample) {
      return std::make_shared<ResBlock>(in, embDim, c.dropout, out, c.useScaleShiftNorm, resample);
    };
    auto attention = [&](int64_t channels, int64_t heads) {
      return std::make_shared<AttentionBlock>(channels, heads, c.numHeadChannels, c.useNewAttentionOrder);
    };

    auto inputList = register_module("input_blocks", nn::ModuleList());
    auto addInput = [&](std::shared_ptr<EmbedSequential> block) {
      inputList->push_back(block);
      inputBlocks_.push_back(block);
    };
    int64_t ch = c.channelMult[0] * mc, firstCh = ch;
    {
      auto block = std::make_shared<EmbedSequential>();
      block->add(std::make_shared<InputConv>(c.inChannels + c.condChannels, ch));
      addInput(block);
    }
    std::vector<int64_t> skipChannels{ch};
    int64_t ds = 1;
    for (size_t level = 0; level < c.channelMult.size(); ++level) {
      int64_t width = c.channelMult[level] * mc;
      for (int64_t r = 0; r < c.numResBlocks; ++r) {
        auto block = std::make_shared<EmbedSequential>();
        block->add(resBlock(ch, width, Resample::None));
        ch = width;
        if (contains(c.attentionResolutions, ds)) block->add(attention(ch, c.numHeads));
        addInput(block);
        skipChannels.push_back(ch);
      }
      if (level + 1 != c.channelMult.size()) {
        auto block = std::make_shared<EmbedSequential>();
        if (c.resblockUpdown) block->add(resBlock(ch, ch, Resample::Down));
        else block->add(std::make_shared<Downsample>(ch, c.convResample));
        addInput(block);
        skipChannels.push_back(ch);
        ds *= 2;
      }
    }

    middle_ = std::make_shared<EmbedSequential>();
    middle_->add(resBlock(ch, ch, Resample::None));
    middle_->add(attention(ch, c.numHeads));
    middle_->add(resBlock(ch, ch, Resample::None));
    register_module("middle_block", middle_);

    auto outputList = register_module("output_blocks", nn::ModuleList());
    for (size_t level = c.channelMult.size(); level-- > 0;) {
      int64_t width = c.channelMult[level] * mc;
      for (int64_t i = 0; i <= c.numResBlocks; ++i) {
        int64_t skipCh = skipChannels.back();
        skipChannels.pop_back();
        auto block = std::make_shared<EmbedSequential>();
        block->add(resBlock(ch + skipCh, width, Resample::None));
        ch = width;
        if (contains(c.attentionResolutions, ds)) block->add(attention(ch, headsUp));
        if (level > 0 && i == c.numResBlocks) {
          if (c.resblockUpdown) block->add(resBlock(ch, ch, Resample::Up));
          else block->add(std::make_shared<Upsample>(ch, c.convResample));
          ds /= 2;
        }
        outputList->push_back(block);
        outputBlocks_.push_back(block);
      }
    }

    outNorm_ = makeNorm(ch);
    outConv_ = zeroed(conv3x3(firstCh, c.outChannels));
    register_module("out", nn::Sequential(outNorm_, nn::SiLU(), outConv_));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const Conditioning& cond) override {
    const UNetConfig& c = config_;
    int64_t downsampling = int64_t{1} << (c.channelMult.size() - 1);
    if (x.dim() != 4 || x.size(1) != c.inChannels || x.size(2) % downsampling != 0 || x.size(3) % downsampling != 0) {
      throw FlowmatchException("ERR_SHAPE", "the U-Net expects x of shape [N, " + std::to_string(c.inChannels) + ", H, W] with H and W multiples of " +
                                                        std::to_string(downsampling) + ", received " + c10::str(x.sizes()));
    }
    int64_t n = x.size(0);
    at::Tensor time = t.reshape({-1});
    if (time.size(0) == 1) time = time.expand({n});
    if (time.size(0) != n) throw FlowmatchException("ERR_SHAPE", "t has " + std::to_string(time.size(0)) + " entries for a batch of " + std::to_string(n));

    at::Tensor emb = timeOut_->forward(at::silu(timeIn_->forward(timestepEmbedding(time, c.modelChannels).to(timeIn_->weight.scalar_type()))));
    if (labelEmb_) {
      emb = emb + labelEmb_->forward(checkedLabels(cond, n)).to(emb.scalar_type());
    } else if (cond.labels.has_value()) {
      throw FlowmatchException("ERR_CONDITIONING", "this U-Net is unconditional (num_classes 0) and takes no labels: build it with num_classes to condition on classes");
    }

    at::Tensor h = x;
    if (c.condChannels == 0 && cond.lowRes.has_value()) {
      throw FlowmatchException("ERR_CONDITIONING", "this U-Net has no conditioning image (cond_channels 0) and takes no lowRes: build it with cond_channels for super-resolution");
    }
    if (c.condChannels > 0) {
      if (!cond.lowRes.has_value()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "this U-Net is conditioned on a low-resolution image: pass cond.lowRes");
      at::Tensor low = *cond.lowRes;
      if (low.dim() != 4 || low.size(0) != n || low.size(1) != c.condChannels) {
        throw FlowmatchException("ERR_SHAPE", "lowRes must have shape [" + std::to_string(n) + ", " + std::to_string(c.condChannels) + ", h, w], received " + c10::str(low.sizes()));
      }
      // SuperResModel: the low-resolution image is upsampled bilinearly to x's size.
      if (low.size(2) != x.size(2) || low.size(3) != x.size(3)) {
        low = at::upsample_bilinear2d(low, {x.size(2), x.size(3)}, false);
      }
      h = at::cat({h, low.to(h.scalar_type())}, 1);
    }

    std::vector<at::Tensor> skips;
    skips.reserve(inputBlocks_.size());
    for (auto& block : inputBlocks_) {
      h = block->forward(h, emb);
      skips.push_back(h);
    }
    h = middle_->forward(h, emb);
    for (auto& block : outputBlocks_) {
      h = block->forward(at::cat({h, skips.back()}, 1), emb);
      skips.pop_back();
    }
    return outConv_->forward(at::silu(groupNorm32(h, outNorm_)));
  }

 private:
  UNetConfig config_;
  // The labels as int64 [n], each a row of label_emb. A missing or out-of-range label is
  // an error, never a silent fallback: the embedding would read past its rows (a device
  // assert on CUDA), and a model that quietly ran unconditionally would mislead.
  at::Tensor checkedLabels(const Conditioning& cond, int64_t n) const {
    const UNetConfig& c = config_;
    const std::string nullHint = c.nullClass ? "; labels equal to " + std::to_string(c.numClasses) + " select the null class (the unconditional branch)"
                                             : "; it has no null class (null_class false, guided-diffusion's layout), so it has no unconditional branch";
    if (!cond.labels.has_value()) {
      throw FlowmatchException("ERR_CONDITIONING", "this U-Net is class-conditional (" + std::to_string(c.numClasses) + " classes): pass cond.labels, int64 [" +
                                                         std::to_string(n) + "]" + nullHint);
    }
    at::Tensor labels = cond.labels->reshape({-1}).to(at::kLong);
    if (labels.size(0) != n) throw FlowmatchException("ERR_SHAPE", "labels has " + std::to_string(labels.size(0)) + " entries for a batch of " + std::to_string(n));
    if (n == 0) return labels;
    auto [low, high] = at::aminmax(labels);
    const int64_t rows = c.numClasses + (c.nullClass ? 1 : 0);
    const int64_t lo = low.item<int64_t>(), hi = high.item<int64_t>();
    if (lo < 0 || hi >= rows) {
      const int64_t bad = lo < 0 ? lo : hi;
      if (bad == c.numClasses && !c.nullClass) {
        throw FlowmatchException("ERR_CONDITIONING", "label " + std::to_string(bad) + " asks for the null class, which this U-Net does not have (null_class false, guided-diffusion's class-conditional layout): "
                                                      "classifier-free guidance cannot run with it; give a nullLabel in 0.." + std::to_string(c.numClasses - 1) + " if one class stands for 'no label'");
      }
      throw FlowmatchException("ERR_INDEX", "label " + std::to_string(bad) + " is out of range: this U-Net has labels 0.." + std::to_string(rows - 1) + nullHint);
    }
    return labels;
  }

  nn::Linear timeIn_{nullptr}, timeOut_{nullptr};
  nn::Embedding labelEmb_{nullptr};
  std::vector<std::shared_ptr<EmbedSequential>> inputBlocks_, outputBlocks_;
  std::shared_ptr<EmbedSequential> middle_;
  nn::GroupNorm outNorm_{nullptr};
  nn::Conv2d outConv_{nullptr};
};

}  // namespace

std::shared_ptr<VelocityModel> makeUNet(const UNetConfig& config) {
  if (config.channelMult.empty()) throw FlowmatchException("ERR_INVALID_ARGUMENT", "channel_mult must not be empty");
  return std::make_shared<UNet>(config);
}

}  // namespace flowmatch
