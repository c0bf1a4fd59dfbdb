// Neural-network functionals: the building blocks for models written in TypeScript.
#include "op_macros.h"

namespace flowmatch {

namespace {
at::Reduction::Reduction reduction(const std::string& name) {
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw FlowmatchException("ERR_INVALID_ARGUMENT", "reduction must be 'mean', 'sum' or 'none', received '" + name + "'");
}
}  // namespace

void registerNN(Napi::Env env, Napi::Object exports, AddonState& s) {
  FM_OP("linear", return a.ret(at::linear(a.tensor(0), a.tensor(1), a.optTensor(2))));
  // conv2d(x, w, b | null, stride[], padding[], dilation[], groups)
  FM_OP("conv2d", return a.ret(at::conv2d(a.tensor(0), a.tensor(1), a.optTensor(2), a.ints(3), a.ints(4), a.ints(5), a.integer(6))));
  FM_OP("groupNorm", return a.ret(at::group_norm(a.tensor(0), a.integer(1), a.optTensor(2), a.optTensor(3), a.number(4))));
  FM_OP("layerNorm", return a.ret(at::layer_norm(a.tensor(0), a.ints(1), a.optTensor(2), a.optTensor(3), a.number(4))));
  FM_OP("softmax", return a.ret(at::softmax(a.tensor(0), a.integer(1))));
  FM_OP("logSoftmax", return a.ret(at::log_softmax(a.tensor(0), a.integer(1))));
  FM_OP("dropout", return a.ret(at::dropout(a.tensor(0), a.number(1), a.flag(2))));
  FM_OP("mseLoss", return a.ret(at::mse_loss(a.tensor(0), a.tensor(1), reduction(a.string(2)))));
  FM_OP("crossEntropy", return a.ret(at::cross_entropy_loss(a.tensor(0), a.tensor(1), {}, reduction(a.string(2)))));
  FM_OP("avgPool2d", return a.ret(at::avg_pool2d(a.tensor(0), a.ints(1), a.ints(2))));
  FM_OP("maxPool2d", return a.ret(at::max_pool2d(a.tensor(0), a.ints(1), a.ints(2))));
  // interpolate(x, size[] | null, scale[] | null, mode, alignCorners | null)
  FM_OP("interpolate", {
    namespace F = torch::nn::functional;
    auto opts = F::InterpolateFuncOptions();
    if (!a.isNull(1)) opts = opts.size(a.ints(1));
    if (!a.isNull(2)) opts = opts.scale_factor(a.doubles(2));
    std::string mode = a.string(3);
    if (mode == "nearest") opts = opts.mode(torch::kNearest);
    else if (mode == "bilinear") opts = opts.mode(torch::kBilinear);
    else if (mode == "bicubic") opts = opts.mode(torch::kBicubic);
    else if (mode == "linear") opts = opts.mode(torch::kLinear);
    else if (mode == "area") opts = opts.mode(torch::kArea);
    else throw FlowmatchException("ERR_INVALID_ARGUMENT", "unknown interpolation mode '" + mode + "'");
    if (!a.isNull(4)) opts = opts.align_corners(a.flag(4));
    return a.ret(F::interpolate(a.tensor(0), opts));
  });
}

}  // namespace flowmatch
