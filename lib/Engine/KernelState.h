//===- KernelState.h - What a Kernel handle points at -----------*- C++ -*-===//
#ifndef SPECJIT_ENGINE_KERNELSTATE_H
#define SPECJIT_ENGINE_KERNELSTATE_H

#include "Engine/Sync.h"
#include "Interpreter/Interpreter.h"
#include "Runtime/KernelABI.h"
#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Stats.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace specjit {
namespace engine {
class LoadedCode;
class Tiering;
} // namespace engine

namespace jit {

/// Checks caller-owned columns against the declared inputs (count, types,
/// equal row counts, non-null buffers, well-formed string offsets) and
/// appends their kernel arguments (see Runtime/KernelABI.h) to `args`.
/// Returns the row count (`rowsWithoutInputs` when there are no inputs).
/// Errors name the input by index and name.
llvm::Expected<int64_t> bindInputColumns(llvm::ArrayRef<InputColumn> decl,
                                         llvm::ArrayRef<Column> inputs, int64_t rowsWithoutInputs,
                                         llvm::SmallVectorImpl<const void *> &args);

/// One backend's calls of one kernel. Relaxed atomics: a snapshot may be a
/// few calls behind. Calls of fewer than kTimeEveryRows rows are timed one
/// in kTimeEvery (the clock costs more than the counting) and the time is
/// scaled by rows; see BackendTime.
struct CallCounters {
  static constexpr int64_t kTimeEveryRows = 256;
  static constexpr uint64_t kTimeEvery = 16;
  std::atomic<uint64_t> calls{0}, rows{0}, timedRows{0}, timedNs{0};

  /// Runs `call` (one kernel call of `rows` rows), counting it, and timing
  /// it when it is one of the timed calls; returns what `call` returns.
  template <typename Call> int64_t count(int64_t rows, Call &&call) {
    uint64_t n = calls.fetch_add(1, std::memory_order_relaxed);
    this->rows.fetch_add(static_cast<uint64_t>(rows), std::memory_order_relaxed);
    if (rows < kTimeEveryRows && n % kTimeEvery != 0)
      return call();
    auto t0 = std::chrono::steady_clock::now();
    int64_t status = call();
    auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    timedRows.fetch_add(static_cast<uint64_t>(rows), std::memory_order_relaxed);
    timedNs.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
    return status;
  }
  /// Estimated nanoseconds spent so far.
  double estimatedNs() const {
    uint64_t tr = timedRows.load(std::memory_order_relaxed);
    if (tr == 0)
      return 0;
    return double(timedNs.load(std::memory_order_relaxed)) *
           double(rows.load(std::memory_order_relaxed)) / double(tr);
  }
  BackendTime snapshot() const {
    BackendTime t;
    t.calls = calls.load(std::memory_order_relaxed);
    t.rows = rows.load(std::memory_order_relaxed);
    t.ms = estimatedNs() / 1e6;
    return t;
  }
};

/// Shared by every Kernel handle (and the cache) for one compiled descriptor.
/// The interpreter is always present: it is the fallback, and it explains
/// data errors. `compiled` is read atomically on every run, so the backend
/// can change under running callers; the code it points into is owned by
/// `code` (released with the last handle).
struct KernelState {
  explicit KernelState(Descriptor d);
  ~KernelState();

  const Descriptor desc;
  std::unique_ptr<interp::Interpreter> interpreter;
  std::atomic<KernelFn> compiled{nullptr};
  /// Series kernels: bytes of streaming state the compiled code keeps.
  std::atomic<size_t> compiledStateBytes{0};
  /// Compile units the compiled code came from (0: none).
  std::atomic<unsigned> compiledUnits{0};
  /// Bytes of JIT code loaded for this kernel (0: none).
  std::atomic<size_t> codeBytes{0};
  bool specialize = false;
  Tier mode = Tier::Sync;
  /// The options it was compiled with (tiered kernels compile later).
  CompileOptions options;
  /// Where the code came from: the compiler, or the persistent cache.
  std::atomic<bool> codeFromDisk{false};
  std::atomic<TierState> tier{TierState::Interpreting};
  CallCounters counters[2]; ///< indexed by Backend
  std::atomic<uint64_t> memoryHits{0};
  /// Tiered kernels: the sample, the policy's state (null for sync ones).
  std::unique_ptr<engine::Tiering> tiering;

  /// Installs compiled code: `code` stays alive as long as this state.
  void install(std::shared_ptr<engine::LoadedCode> code, unsigned units, double ms);
  /// Records why the kernel stays on the interpreter ("" when on purpose).
  void setFallback(std::string why, double ms);
  /// Moves to a final tier state (Compiled, Failed, or Interpreting when
  /// specialization is off) and wakes waitForCompiled() callers.
  void settle(TierState final);
  /// Waits until settled; returns whether compiled code runs.
  bool waitSettled(absl::Duration timeout);

  std::string fallbackReason() const;
  double compileMillis() const;
  std::shared_ptr<engine::LoadedCode> code() const;
  void setStageTimes(std::vector<std::pair<std::string, double>> stages);
  /// The promotion's outcome (see KernelStats::promotion).
  void setPromotion(std::string outcome, double ms, uint64_t rows);
  /// This kernel's record for jit::stats().
  KernelStats stats() const;

private:
  mutable engine::Mutex mu;
  std::string reason;
  double compileMs = 0;
  std::shared_ptr<engine::LoadedCode> code_;
  std::vector<std::pair<std::string, double>> stages;
  std::string promotion;
  double promotionMs = 0;
  uint64_t verifiedRows = 0;
  bool settled = false;
};

/// Registers a state with jit::stats() (every state compile() makes), and
/// keeps the final record of one whose last handle went.
void registerForStats(const std::shared_ptr<KernelState> &state);
void retireForStats(KernelStats final);

} // namespace jit
} // namespace specjit

#endif
