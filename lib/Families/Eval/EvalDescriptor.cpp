//===- EvalDescriptor.cpp - The `eval` family -----------------------------===//
#include "Descriptor/DescriptorInternal.h"

namespace specjit {
namespace jit {
namespace detail {

llvm::Expected<Descriptor> parseEval(const llvm::json::Object &) {
  return failAt("kind", "eval descriptors are not available in this build");
}

std::string summarizeEval(const EvalSpec &) { return ""; }

} // namespace detail
} // namespace jit
} // namespace specjit
