//===- KernelState.h - What a Kernel handle points at -----------*- C++ -*-===//
#ifndef SPECJIT_ENGINE_KERNELSTATE_H
#define SPECJIT_ENGINE_KERNELSTATE_H

#include "Interpreter/Interpreter.h"
#include "Runtime/KernelABI.h"
#include "specjit/Descriptor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <atomic>
#include <mutex>
#include <string>

namespace specjit {
namespace jit {

/// Checks caller-owned columns against the declared inputs (count, types,
/// equal row counts, non-null buffers, well-formed string offsets) and
/// appends their kernel arguments (see Runtime/KernelABI.h) to `args`.
/// Returns the row count (`rowsWithoutInputs` when there are no inputs).
/// Errors name the input by index and name.
llvm::Expected<int64_t> bindInputColumns(llvm::ArrayRef<InputColumn> decl,
                                         llvm::ArrayRef<Column> inputs,
                                         int64_t rowsWithoutInputs,
                                         llvm::SmallVectorImpl<const void *> &args);

/// Shared by every Kernel handle (and the cache) for one compiled descriptor.
/// The interpreter is always present: it is the fallback, and it explains
/// data errors. `compiled` is read atomically on every run, so the backend
/// can change under running callers.
struct KernelState {
  explicit KernelState(Descriptor d) : desc(std::move(d)) {}

  const Descriptor desc;
  std::unique_ptr<interp::Interpreter> interpreter;
  std::atomic<KernelFn> compiled{nullptr};
  /// Series kernels: bytes of streaming state the compiled code keeps.
  std::atomic<size_t> compiledStateBytes{0};
  /// Compile units the compiled code came from (0: none).
  std::atomic<unsigned> compiledUnits{0};
  /// Whether the compiled code was loaded from the persistent cache.
  std::atomic<bool> codeFromDisk{false};
  bool specialize = false;

  /// Installs compiled code (or removes it with nullptr).
  void setCompiled(KernelFn fn, double ms) {
    std::lock_guard<std::mutex> lock(mu);
    compileMs = ms;
    compiled.store(fn, std::memory_order_release);
  }
  void setFallback(std::string why, double ms) {
    std::lock_guard<std::mutex> lock(mu);
    reason = std::move(why);
    compileMs = ms;
  }
  std::string fallbackReason() const {
    std::lock_guard<std::mutex> lock(mu);
    return reason;
  }
  double compileMillis() const {
    std::lock_guard<std::mutex> lock(mu);
    return compileMs;
  }

private:
  mutable std::mutex mu;
  std::string reason;
  double compileMs = 0;
};

} // namespace jit
} // namespace specjit

#endif
