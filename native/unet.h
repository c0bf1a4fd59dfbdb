// The ADM U-Net of guided-diffusion (Dhariwal & Nichol 2021, openai/guided-diffusion
// unet.py UNetModel), the image model of the Flow Matching paper. Submodule and parameter
// names follow its state_dict exactly, so weights trained in Python load without renames.
#pragma once
#include "model.h"

namespace flowmatch {

// Every field is set by whoever builds one: lib/nn/unet.ts resolves guided-diffusion's
// defaults, createUNet (modules.cpp) copies every key, so the defaults live in one place.
struct UNetConfig {
  int64_t inChannels;
  int64_t modelChannels;
  int64_t outChannels;
  int64_t numResBlocks;
  std::vector<int64_t> attentionResolutions;  // downsample rates (ds) that get attention
  double dropout;
  std::vector<int64_t> channelMult;
  bool convResample;
  int64_t numClasses;  // > 0: class-conditional, label_emb has a row per class
  // label_emb has one more row, numClasses, for "no label" (classifier-free guidance).
  // guided-diffusion's class-conditional checkpoints have none.
  bool nullClass;
  int64_t numHeads;
  int64_t numHeadChannels;   // -1: numHeads heads; else heads of this many channels
  int64_t numHeadsUpsample;  // -1: numHeads
  bool useScaleShiftNorm;
  bool resblockUpdown;
  bool useNewAttentionOrder;
  int64_t condChannels;  // channels of the low-resolution image concatenated to x
};

std::shared_ptr<VelocityModel> makeUNet(const UNetConfig& config);

}  // namespace flowmatch
