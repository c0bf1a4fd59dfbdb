// The C++ CFM loop (cfm_loop.h) as a program:
//   cfm_step --model unet|mlp [--hidden 512,512,512,512] --batch N --steps N --warmup N
//            --threads N [--weights file.safetensors] [--breakdown 1]
// Prints the loop's JSON result.
#include <iostream>

#include "cfm_loop.h"
#include "cpu_cache_allocator.h"

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[std::string(argv[i]).substr(2)] = argv[i + 1];
  // The addon's CPU allocator, as flowmatch runs with it, so that the gap to flowmatch is the
  // binding alone (FLOWMATCH_CPU_CACHE_MB=0 turns it off in both).
  flowmatch::installCpuCacheAllocator();
  std::cout << flowmatch::runCfmLoop(args) << std::endl;
  return 0;
}
