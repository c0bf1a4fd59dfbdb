// Precompiled header: libtorch's headers cost ~25 s per translation unit on 2 cores,
// so every source includes this first and CMake compiles it once.
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <array>
#include <deque>
#include <string>
#include <vector>
