//===- TrainDescriptor.cpp - The `train` family ---------------------------===//
#include "Descriptor/DescriptorInternal.h"

namespace specjit {
namespace jit {
namespace detail {

llvm::Expected<Descriptor> parseTrain(const llvm::json::Object &) {
  return failAt("kind", "train descriptors are not available in this build");
}

} // namespace detail
} // namespace jit
} // namespace specjit
