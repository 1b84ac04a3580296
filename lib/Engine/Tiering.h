//===- Tiering.h - Tiered kernels: policy, sample, verified promotion -*- C++ -*-===//
//
// A tiered kernel starts on the interpreter. Each interpreted call counts
// calls, rows and time (KernelState::counters) and, until the sample is
// full, copies the rows it ran into the sample. When the policy says so
// (TierPolicy: enough calls and rows, and the interpreter time spent has
// reached the estimated compile time), the kernel asks the compile service
// for its code. The code is then run on the sample beside the interpreter;
// only if the two agree is it swapped in (KernelState::install). See
// docs/runtime.md.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_TIERING_H
#define SPECJIT_ENGINE_TIERING_H

#include "Engine/BuildCode.h"
#include "Engine/Sync.h"
#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Types.h"

#include "llvm/ADT/ArrayRef.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace specjit {
namespace jit {
struct KernelState;
}
namespace engine {

/// Rows a kernel has really run, copied when sampled.
struct Sample {
  struct ColumnCopy {
    jit::DType type;
    std::vector<uint8_t> data;
    std::vector<int64_t> offsets; ///< strings: rows + 1, from 0
  };
  std::vector<ColumnCopy> columns;
  /// Rules: the state matrix rows as they were before the call.
  std::vector<uint8_t> state;
  int64_t rows = 0;
};

class Tiering {
public:
  /// `d`'s compile work is estimated here, from the descriptor alone.
  Tiering(const jit::TierPolicy &policy, const jit::Descriptor &d, jit::TreeLayout layout);

  const jit::TierPolicy policy;
  /// Whether the next call should offer its rows to the sample.
  bool wantsSample() const { return !sampleFull.load(std::memory_order_relaxed); }

  /// After a successful interpreted call: keeps up to policy.verifyRows of
  /// its rows (never waits: a call that finds the sample busy skips it);
  /// for rules `stateBefore` is the state matrix before the call.
  void offerSample(const jit::KernelState &k, llvm::ArrayRef<jit::Column> inputs,
                   const void *stateBefore, int64_t rows);

  /// After each interpreted call: asks for the code when the policy says so,
  /// or verifies compiled code that was waiting for a sample.
  static void afterInterpretedCall(const std::shared_ptr<jit::KernelState> &k);
  /// At compile(): asks at once when the policy's thresholds are 0.
  static void atCompile(const std::shared_ptr<jit::KernelState> &k);

  /// The estimated compile time (ms) of this kernel: a fixed part plus a
  /// part per unit of compile work (estimateCompileWork(): the lowered
  /// operations, estimated from the descriptor), scaled by how far this
  /// process's measured compiles have been from their estimates.
  double estimatedCompileMs() const;

private:
  static void request(const std::shared_ptr<jit::KernelState> &k);
  static void compileAndPromote(const std::shared_ptr<jit::KernelState> &k);
  static void verifyAndPromote(const std::shared_ptr<jit::KernelState> &k);
  static void submit(const std::shared_ptr<jit::KernelState> &k,
                     void (*job)(const std::shared_ptr<jit::KernelState> &));

  std::chrono::steady_clock::time_point requestedAtLocked();

  const size_t compileWork;
  std::atomic<bool> sampleFull{false};
  /// Calls before the policy is next consulted (a refused request backs off).
  std::atomic<uint64_t> nextCheckCalls{0};
  std::atomic<bool> verifyQueued{false};

  Mutex mu;
  std::chrono::steady_clock::time_point requestedAt ABSL_GUARDED_BY(mu);
  Sample sample ABSL_GUARDED_BY(mu);
  /// Compiled code that waits for a first sampled row to be verified on.
  std::optional<BuiltCode> pending ABSL_GUARDED_BY(mu);
};

} // namespace engine
} // namespace specjit

#endif
