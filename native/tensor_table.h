// Tensors live in a slot table and JS holds plain numbers (handles). Measured on this
// machine class: a native-backed JS object per result costs ~3.5 µs, an integer handle
// ~0.7 µs, below Python's 1.16 µs per op (benchmarks/op-overhead.js measures it).
//
// A handle is slot index | generation << 24. Freeing a slot bumps its generation, so a
// stale handle is recognised as disposed and never reads the tensor that reuses the slot.
#pragma once
#include "pch.h"

namespace flowmatch {

// Thrown by native code with a flowmatch error code; errors.cpp turns it into a JS error.
struct FlowmatchException : std::runtime_error {
  FlowmatchException(std::string code, const std::string& message)
      : std::runtime_error(message), code(std::move(code)) {}
  std::string code;
};

class TensorTable {
 public:
  static constexpr int kMaxDevices = 18;  // cpu + cuda:0..15 + meta
  static constexpr int kMetaSlot = kMaxDevices - 1;

  double insert(at::Tensor tensor);
  // The tensor behind `handle`; throws ERR_DISPOSED / ERR_INVALID_HANDLE naming `what`.
  const at::Tensor& get(double handle, const char* what) const;
  // Frees the slot; returns false when the handle was already released (double dispose).
  bool release(double handle);
  void clear();

  int64_t liveCount(int device) const { return count_[device]; }
  int64_t liveBytes(int device) const { return bytes_[device]; }
  static int deviceSlot(const at::Device& d);

 private:
  struct Slot {
    at::Tensor tensor;
    uint32_t generation = 1;
    bool live = false;
    int8_t device = 0;
    int64_t bytes = 0;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::array<int64_t, kMaxDevices> count_{};
  std::array<int64_t, kMaxDevices> bytes_{};

  void account(Slot& slot, int sign);
};

}  // namespace flowmatch
