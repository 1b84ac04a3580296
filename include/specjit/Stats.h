//===- specjit/Stats.h - What the runtime has done, per kernel --*- C++ -*-===//
//
// jit::stats() is a snapshot of every kernel this process has made (the
// live ones, and the most recent retired ones), the kernel cache and the
// compile service. With SPECJIT_STATS=FILE the same snapshot is written to
// FILE as JSON when the process exits. docs/runtime.md lists the fields.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_STATS_H
#define SPECJIT_STATS_H

#include "specjit/Compile.h"
#include "specjit/Kernel.h"

#include <string>
#include <utility>
#include <vector>

namespace specjit {
namespace jit {

/// Calls and rows one backend ran, and the time they took. Calls of fewer
/// than 256 rows are timed one in 16 (reading the clock costs more than
/// counting), and their time is scaled by rows; larger calls are all timed.
struct BackendTime {
  uint64_t calls = 0, rows = 0;
  double ms = 0;
};

struct KernelStats {
  std::string name; ///< the descriptor's name ("" when it has none)
  std::string kind; ///< its family
  Hash128 hash;
  Backend backend = Backend::Interpreter; ///< the backend now
  KernelSource source = KernelSource::Compiled;
  Tier mode = Tier::Sync;
  TierState tier = TierState::Interpreting;
  /// Wall time (ms) of each compile stage (stageName(), "split",
  /// "jit-link"), and of the whole compile.
  std::vector<std::pair<std::string, double>> compileStages;
  double compileMs = 0;
  /// compile() calls answered from the in-memory cache with this kernel.
  uint64_t memoryHits = 0;
  BackendTime jit, interpreter;
  std::string fallbackReason;
  /// Tiered kernels: "" (not yet), "promoted", "rejected" (verification
  /// found a difference: see fallbackReason), "disk" (compile() found the
  /// code in the persistent cache and took it at once), "unverified" (verification
  /// off); the time from the compile request to the swap; rows compared.
  std::string promotion;
  double promotionMs = 0;
  uint64_t verifiedRows = 0;
  /// Tiered kernels: the cost model's compile time estimate now (ms; the
  /// interpreter time must reach it before a compile is asked for).
  double estimatedCompileMs = 0;
};

struct CompileServiceStats {
  unsigned threads = 0;                ///< worker threads (0: compiles run in the caller)
  size_t capacity = 0;                 ///< queue bound
  size_t pending = 0;                  ///< queued now
  uint64_t queued = 0;                 ///< requests accepted
  uint64_t refused = 0;                ///< requests refused because the queue was full
  uint64_t compiled = 0;               ///< background compiles finished with code
  uint64_t failed = 0;                 ///< background compiles that fell back
  uint64_t promoted = 0, rejected = 0; ///< verification outcomes
};

struct RuntimeStats {
  std::vector<KernelStats> kernels;
  /// Kernels whose last handle went and whose record was dropped (the
  /// snapshot keeps the most recent 1000 retired kernels).
  uint64_t droppedKernels = 0;
  CacheStats cache;
  CacheLimits cacheLimits;
  CompileServiceStats service;
  /// Kernels whose code is loaded in the JIT now.
  size_t loadedKernels = 0;
};

RuntimeStats stats();
/// The snapshot as one JSON object (the SPECJIT_STATS file's format).
std::string statsJson(const RuntimeStats &s);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_STATS_H
