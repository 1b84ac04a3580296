//===- specjit/Compile.h - Descriptor to kernel -----------------*- C++ -*-===//
//
// jit::compile() turns a Descriptor into a Kernel: compiled native code when
// specialization is on and succeeds, the interpreter otherwise. Kernels are
// cached process-wide by descriptor hash; concurrent requests for one hash
// compile it once.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_COMPILE_H
#define SPECJIT_COMPILE_H

#include "specjit/Descriptor.h"
#include "specjit/Kernel.h"

#include <optional>
#include <utility>
#include <vector>

namespace specjit {
namespace jit {

/// A stage of the compiler, in pipeline order. Used for --emit, dumps and the
/// failure-injection hook.
enum class Stage : uint8_t {
  Descriptor,  ///< canonical descriptor JSON
  Spec,        ///< MLIR in the spec dialect, straight from the importer
  Lowered,     ///< MLIR after spec -> scf/arith/math, before LLVM dialect
  LLVMDialect, ///< MLIR in the llvm dialect
  LLVM,        ///< LLVM IR before optimization
  LLVMOpt,     ///< LLVM IR after optimization for the host CPU
  Asm,         ///< host assembly
  Obj,         ///< host object file
};
/// The code shape of tree ensembles (docs/model-semantics.md, "Code shape").
enum class TreeLayout : uint8_t {
  Auto,     ///< chosen from the ensemble's size (measured; see the docs)
  Branches, ///< nested branches with the thresholds as immediates
  Walk,     ///< constant node arrays walked branch-free, blocks of rows
};
/// "auto", "branches", "walk".
llvm::StringRef treeLayoutName(TreeLayout l);
std::optional<TreeLayout> parseTreeLayout(llvm::StringRef s);

/// Kebab-case name used by the CLI (descriptor, spec, lowered, llvm-dialect,
/// llvm, llvm-opt, asm, obj).
llvm::StringRef stageName(Stage s);
std::optional<Stage> parseStage(llvm::StringRef s);
/// File extension used for dumps (json, mlir, ll, s, o).
llvm::StringRef stageExtension(Stage s);

/// When compile() produces compiled code (docs/runtime.md, "Tiers").
enum class Tier : uint8_t {
  Sync,   ///< compile() returns once the code is compiled (or has failed)
  Tiered, ///< compile() returns an interpreting kernel at once; the code is
          ///< compiled in the background when the policy says, verified
          ///< against the interpreter, and swapped in under running callers
};
/// "sync", "tiered".
llvm::StringRef tierName(Tier t);
std::optional<Tier> parseTier(llvm::StringRef s);

/// When a tiered kernel asks for compiled code, and how it is promoted.
struct TierPolicy {
  /// Ask for a compile once the kernel has run this many calls and rows
  /// (both; 0 and 0 ask at compile()).
  uint64_t compileAfterCalls = 3;
  uint64_t compileAfterRows = 0;
  /// Also require the interpreter time callers have spent to reach the
  /// estimated compile time (a kernel that would never pay its compile back
  /// is not compiled). The estimate grows with the descriptor's size and is
  /// calibrated by the compiles this process has measured.
  bool costModel = true;
  /// Compare compiled code with the interpreter on rows the kernel has run
  /// before serving it (bit for bit; within a few ulp where a vector math
  /// library computes log/exp/pow). A mismatch keeps the interpreter.
  bool verify = true;
  /// Rows kept (copied when a call runs) for the comparison.
  size_t verifyRows = 1024;
};

struct CompileOptions {
  /// std::nullopt: follow the process-wide switch (setSpecialize() /
  /// SPECJIT_SPECIALIZE). false: always interpret. true: always try the JIT.
  std::optional<bool> specialize;
  /// Use and fill the process-wide kernel cache.
  bool useCache = true;
  /// Use and fill the persistent cache of compiled code (specjit/Cache.h,
  /// docs/runtime.md). std::nullopt: when useCache is set and SPECJIT_CACHE
  /// is not 0. Compiles that show stages (dumpDir) never use it.
  std::optional<bool> diskCache;
  /// LLVM optimization level for the generated code (0-3).
  int optLevel = 3;
  /// Kernels with more operations than this after lowering are not compiled
  /// (LLVM's time grows faster than linearly with kernel size; a 2000-way
  /// one_hot takes ~25 s): they run on the interpreter, with the reason
  /// recorded. 0 means no limit.
  size_t maxKernelOps = 6000;
  /// How tree ensembles become code; the result is the same either way.
  TreeLayout treeLayout = TreeLayout::Auto;
  /// Large kernels (LLVM IR of 8000 instructions or more in several
  /// functions, e.g. tree ensembles of ~40 full depth-6 trees and up) are
  /// split by function into at most this many compile units, each optimized
  /// and compiled on its own thread, all linked into the kernel; the code
  /// computes exactly what the unsplit kernel does. 0: the hardware threads
  /// of the process; 1: never split. Not part of the cache key.
  unsigned compileThreads = 0;
  /// Threads that share the rows of one Kernel::run (0: the hardware
  /// threads; 1: the caller alone). Pipeline, model and rules runs of at
  /// least 2 x 4096 rows are split into blocks of whole multiples of 256
  /// rows, so that every row takes the code path it takes in one call: the
  /// result is bit for bit that of one thread. Series (rows are time) and
  /// kernels with data checks (one_hot / label_encode with unknown:
  /// "error", which must leave the output untouched when a row fails) run
  /// on the caller alone. A property of the handle compile() returns, not
  /// of the cached kernel: not part of the cache key.
  unsigned threads = 1;
  /// When set, every stage is written to DIR/NN-stage.ext.
  std::string dumpDir;
  /// std::nullopt: SPECJIT_TIER (sync | tiered; default sync).
  std::optional<Tier> tier;
  TierPolicy tierPolicy;
};

/// Compiles (or fetches from the cache) a kernel for `d`. Fails only when the
/// descriptor cannot run at all; compiler failures fall back to the
/// interpreter with the reason recorded in the kernel.
llvm::Expected<Kernel> compile(const Descriptor &d, const CompileOptions &options = {});

/// Process-wide specialization switch. Initialized from SPECJIT_SPECIALIZE
/// (0 or 1; default on).
void setSpecialize(bool on);
bool specializeEnabled();

/// Renders one stage of the compiler for inspection (the driver's --emit).
/// Always of the whole kernel: Stage::Obj is one object even for a kernel
/// that compile() splits into several compile units.
llvm::Expected<std::string> emitStage(const Descriptor &d, Stage stage,
                                      const CompileOptions &options = {});

/// Writes every stage of one compile of `d` to DIR/NN-stage.ext (the
/// driver's --dump-dir) without making a kernel, for every family that
/// compiles (the train family's batch step included). Fails when a stage
/// fails or a file cannot be written.
llvm::Error dumpStages(const Descriptor &d, llvm::StringRef dir,
                       const CompileOptions &options = {});

/// One cold compile of a descriptor, stage by stage (the driver's --timing).
struct StageTimes {
  /// Wall time (ms) of each stage in order, named as stageName(), plus
  /// "split" (dividing the LLVM module into compile units, when it is) and
  /// "jit-link" (linking the objects into the JIT). With several units,
  /// llvm-opt and obj are the wall time of all units running in parallel.
  std::vector<std::pair<std::string, double>> stages;
  /// Compile units (objects): 1 unless the kernel was split.
  unsigned units = 1;
};
/// Compiles `d` as compile() would with specialization on (without the
/// maxKernelOps limit and the cache), timing each stage.
llvm::Expected<StageTimes> timeStages(const Descriptor &d, const CompileOptions &options = {});

/// Compiles `d` once as timeStages() does and returns the time of every
/// pass: MLIR's passes (a list, slowest first), then LLVM's optimization
/// passes and its code generation passes (LLVM's -time-passes reports).
/// The module compiles whole (no compile units). The driver's
/// `specjit compile --pass-timing`. Diagnostic: LLVM's code generation
/// timers are process-wide, so run one at a time.
llvm::Expected<std::string> passTimes(const Descriptor &d, const CompileOptions &options = {});

/// Process-wide in-memory cache statistics and control.
struct CacheStats {
  uint64_t hits = 0, misses = 0, compiles = 0, evictions = 0;
  size_t entries = 0;
  /// Bytes of JIT code held by the cached kernels.
  size_t codeBytes = 0;
};
CacheStats cacheStats();
/// Drops every cached kernel; each releases its code when its last handle
/// goes.
void clearCache();

/// Bounds of the in-memory cache: least-recently-used kernels are evicted
/// beyond either. Defaults from SPECJIT_CACHE_MAX_KERNELS (10000) and
/// SPECJIT_CACHE_MAX_CODE_MB (256). 0 means no bound.
struct CacheLimits {
  size_t maxKernels = 10000;
  size_t maxCodeBytes = size_t(256) << 20;
};
void setCacheLimits(const CacheLimits &limits);
CacheLimits cacheLimits();

} // namespace jit
} // namespace specjit

#endif // SPECJIT_COMPILE_H
