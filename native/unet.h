// The ADM U-Net of guided-diffusion (Dhariwal & Nichol 2021, openai/guided-diffusion
// unet.py UNetModel), the image model of the Flow Matching paper. Submodule and parameter
// names follow its state_dict exactly, so weights trained in Python load without renames.
#pragma once
#include "model.h"

namespace flowmatch {

struct UNetConfig {
  int64_t inChannels = 3;
  int64_t modelChannels = 128;
  int64_t outChannels = 3;
  int64_t numResBlocks = 2;
  std::vector<int64_t> attentionResolutions;  // downsample rates (ds) that get attention
  double dropout = 0;
  std::vector<int64_t> channelMult{1, 2, 4, 8};
  bool convResample = true;
  int64_t numClasses = 0;  // > 0: class-conditional, label_emb has a row per class
  // label_emb has one more row, numClasses, for "no label" (classifier-free guidance).
  // guided-diffusion's class-conditional checkpoints have none.
  bool nullClass = true;
  int64_t numHeads = 1;
  int64_t numHeadChannels = -1;
  int64_t numHeadsUpsample = -1;
  bool useScaleShiftNorm = false;
  bool resblockUpdown = false;
  bool useNewAttentionOrder = false;
  int64_t condChannels = 0;  // channels of the low-resolution image concatenated to x
};

std::shared_ptr<VelocityModel> makeUNet(const UNetConfig& config);

}  // namespace flowmatch
