//===- JIT.h - The process-wide ORC LLJIT -----------------------*- C++ -*-===//
#ifndef SPECJIT_ENGINE_JIT_H
#define SPECJIT_ENGINE_JIT_H

#include "Runtime/KernelABI.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <vector>

namespace specjit {
namespace engine {

/// Links `objects` (one kernel: one object, or one per compile unit) into a
/// fresh JITDylib of the process-wide LLJIT (created on first use,
/// thread-safe) and returns its entry point. The code stays loaded for the
/// life of the process.
struct LoadedKernel {
  KernelFn fn = nullptr;
  /// Series kernels: bytes of streaming state (0 for other families).
  size_t stateBytes = 0;
};
llvm::Expected<LoadedKernel>
loadKernelObjects(std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects,
                  llvm::StringRef name);

} // namespace engine
} // namespace specjit

#endif
