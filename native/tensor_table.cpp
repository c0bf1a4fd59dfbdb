#include "tensor_table.h"

namespace flowmatch {

namespace {
constexpr uint64_t kIndexBits = 24;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr uint32_t kMaxGeneration = (uint32_t{1} << 28) - 1;  // keeps handles below 2^52
}  // namespace

int TensorTable::deviceSlot(const at::Device& d) {
  if (d.is_cpu()) return 0;
  if (d.is_meta()) return kMetaSlot;
  int index = d.has_index() ? d.index() : 0;
  return std::min(1 + index, kMetaSlot - 1);
}

void TensorTable::account(Slot& slot, int sign) {
  count_[slot.device] += sign;
  bytes_[slot.device] += sign * slot.bytes;
}

double TensorTable::insert(at::Tensor tensor) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if (slots_.size() > kIndexMask) throw FlowmatchException("ERR_TOO_MANY_TENSORS", "more than 16,777,215 live tensors: dispose tensors you no longer need");
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.live = true;
  slot.device = static_cast<int8_t>(tensor.defined() ? deviceSlot(tensor.device()) : 0);
  // A meta tensor has a shape but no storage: it holds no bytes.
  slot.bytes = tensor.defined() && !tensor.is_meta() ? static_cast<int64_t>(tensor.numel()) * static_cast<int64_t>(tensor.element_size()) : 0;
  slot.tensor = std::move(tensor);
  account(slot, +1);
  return static_cast<double>((static_cast<uint64_t>(slot.generation) << kIndexBits) | index);
}

const at::Tensor& TensorTable::get(double handle, const char* what) const {
  if (!(handle > 0) || handle != handle) {
    throw FlowmatchException("ERR_DISPOSED", std::string(what) + " is a disposed tensor (it was released by dispose() or by the end of its scope)");
  }
  uint64_t h = static_cast<uint64_t>(handle);
  uint64_t index = h & kIndexMask;
  uint64_t generation = h >> kIndexBits;
  if (index >= slots_.size() || static_cast<double>(h) != handle) {
    throw FlowmatchException("ERR_INVALID_HANDLE", std::string(what) + " is not a tensor handle of this thread");
  }
  const Slot& slot = slots_[index];
  if (!slot.live || slot.generation != generation) {
    throw FlowmatchException("ERR_DISPOSED", std::string(what) + " is a disposed tensor (it was released by dispose() or by the end of its scope)");
  }
  return slot.tensor;
}

bool TensorTable::release(double handle) {
  if (!(handle > 0)) return false;
  uint64_t h = static_cast<uint64_t>(handle);
  uint64_t index = h & kIndexMask;
  if (index >= slots_.size()) return false;
  Slot& slot = slots_[index];
  if (!slot.live || slot.generation != (h >> kIndexBits)) return false;
  account(slot, -1);
  slot.tensor = at::Tensor();
  slot.live = false;
  slot.generation = slot.generation >= kMaxGeneration ? 1 : slot.generation + 1;
  free_.push_back(static_cast<uint32_t>(index));
  return true;
}

void TensorTable::clear() {
  for (Slot& slot : slots_) slot.tensor = at::Tensor();
  slots_.clear();
  free_.clear();
  count_.fill(0);
  bytes_.fill(0);
}

}  // namespace flowmatch
