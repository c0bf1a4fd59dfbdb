// The pure C++ libtorch CFM training loop: the floor flowmatch's training step is measured
// against. Run as a program (cfm_step.cpp) it shows what libtorch costs on its own; run
// inside a Node process (cfm_step_node.cpp) it shows what being in Node costs the same native
// work, so that flowmatch / in-Node is what the binding and the TypeScript loop add.
//   args: model unet|mlp, hidden 512,512,512,512, batch N, steps N, warmup N, threads N,
//         weights file.safetensors (optional), breakdown 1 (optional: per-phase medians)
// Returns {"seconds": median per step, "rss_mb": peak RSS, "loss": last loss[, "phases"]}
// as JSON. The caller installs the addon's CPU caching allocator first, as flowmatch does.
#pragma once
#include <map>
#include <string>

namespace flowmatch {

std::string runCfmLoop(std::map<std::string, std::string> args);

}  // namespace flowmatch
