//===- specjit/Kernel.h - Compiled kernels and how to run them --*- C++ -*-===//
//
// A Kernel is a cheap, copyable handle to an executable form of a descriptor.
// It runs on caller-owned buffers. Its backend is read atomically on every
// run, so an implementation may start a kernel on the interpreter and switch
// it to compiled code later without callers noticing (or re-linking).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_KERNEL_H
#define SPECJIT_KERNEL_H

#include "specjit/Types.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace specjit {
namespace jit {

class Descriptor;
struct KernelState;
} // namespace jit
namespace engine {
struct KernelAccess;
} // namespace engine
namespace jit {

enum class Backend : uint8_t { Jit, Interpreter };
llvm::StringRef backendName(Backend b);

/// Where a kernel stands on its way to compiled code (docs/runtime.md).
/// Sync kernels are born Compiled, Failed (with fallbackReason()) or, with
/// specialization off, Interpreting; tiered kernels start Interpreting and
/// move through Queued, Compiling and Verifying to Compiled or Failed.
enum class TierState : uint8_t {
  Interpreting, ///< running on the interpreter, no compile asked for (yet)
  Queued,       ///< waiting in the compile service's queue
  Compiling,    ///< being compiled in the background
  Verifying,    ///< compiled; being compared with the interpreter on seen rows
  Compiled,     ///< compiled code runs
  Failed,       ///< stays on the interpreter; fallbackReason() says why
};
/// "interpreting", "queued", "compiling", "verifying", "compiled", "failed".
llvm::StringRef tierStateName(TierState s);

/// Where compile() found the kernel a handle points at.
enum class KernelSource : uint8_t {
  Compiled, ///< built by this compile() call
  Memory,   ///< the process's in-memory kernel cache
  Disk,     ///< built by this call from an object in the persistent cache
};
/// "compiled", "memory", "disk".
llvm::StringRef kernelSourceName(KernelSource s);

class Stream;

class Kernel {
public:
  Kernel() = default;

  /// Runs the kernel over `inputs` (one Column per descriptor input, in
  /// order, all with the same row count) into `out`. Checks types, counts
  /// and shapes first. On any error (bad buffers, or a data error such as an
  /// unknown category with unknown: "error") nothing is written to `out`.
  /// Safe to call from many threads at once.
  ///
  /// Per family: a pipeline writes one output row per input row; a rules
  /// kernel takes no inputs and updates the state matrix `out` (rows =
  /// agents, columns = meters) in place; a series kernel treats rows as time
  /// and starts from a fresh state on every call (see stream()).
  llvm::Error run(llvm::ArrayRef<Column> inputs, const Output &out) const;
  /// As run(), splitting the rows over `threads` threads (0: the hardware
  /// threads) as CompileOptions::threads describes; run() uses the
  /// handle's threads().
  llvm::Error run(llvm::ArrayRef<Column> inputs, const Output &out, unsigned threads) const;
  /// The threads run() shares its rows with (CompileOptions::threads).
  unsigned threads() const { return threads_; }

  /// A series kernel's running state: chunks fed through one Stream give
  /// exactly the result of one run() over their concatenation. Fails for
  /// other families.
  llvm::Expected<Stream> stream() const;

  /// Which backend runs the kernel now.
  Backend backend() const;
  /// The descriptor's canonical hash (the cache key).
  Hash128 hash() const;
  /// Wall time spent producing this kernel's current backend (ms); 0 for a
  /// cache hit.
  double compileMillis() const;
  /// Why the kernel runs on the interpreter (empty when it runs compiled code
  /// or specialization was switched off on purpose; see specialized()).
  std::string fallbackReason() const;
  /// Whether specialization was requested for this kernel.
  bool specialized() const;
  /// Where the kernel is on its way to compiled code.
  TierState tierState() const;
  /// Blocks until compiled code runs (true) or it is known that it never
  /// will (false: Failed, or specialization off), at most `timeout`
  /// (false when it runs out).
  bool waitForCompiled(std::chrono::milliseconds timeout) const;
  /// Where compile() found this kernel.
  KernelSource source() const { return source_; }

  /// How many LLVM compile units the compiled code was built from: 1, or
  /// more when a large kernel was split to compile in parallel
  /// (CompileOptions::compileThreads); 0 on the interpreter.
  unsigned compileUnits() const;

  /// Shape of the computation.
  size_t numInputs() const;
  size_t numOutputs() const;
  const std::vector<std::string> &outputNames() const;
  DType outputType() const;
  /// The descriptor this kernel was made from.
  const Descriptor &descriptor() const;

  explicit operator bool() const { return state_ != nullptr; }

private:
  // Made by compile(); the engine and the tests reach the state through
  // engine::KernelAccess (lib/Engine/KernelAccess.h).
  friend struct engine::KernelAccess;
  explicit Kernel(std::shared_ptr<KernelState> s, KernelSource source = KernelSource::Compiled,
                  unsigned threads = 1)
      : state_(std::move(s)), source_(source), threads_(threads) {}

  std::shared_ptr<KernelState> state_;
  KernelSource source_ = KernelSource::Compiled;
  unsigned threads_ = 1;
};

/// The state a series kernel carries from one chunk to the next. A stream
/// keeps the backend its kernel had when the stream was made (the state's
/// layout is the backend's own). Streams are independent of each other; one
/// stream must not be run from two threads at once.
class Stream {
public:
  /// Feeds the next chunk (rows = time steps) and writes its output rows.
  /// On error nothing is written and the state does not advance.
  llvm::Error run(llvm::ArrayRef<Column> inputs, const Output &out);
  /// Time steps consumed so far.
  int64_t rowsSeen() const { return rowsSeen_; }
  /// The backend this stream runs on.
  Backend backend() const;

private:
  friend class Kernel;
  std::shared_ptr<KernelState> kernel_;
  bool compiled_ = false;
  std::vector<uint64_t> state_; // 8-byte aligned storage
  int64_t rowsSeen_ = 0;
};

} // namespace jit
} // namespace specjit

#endif // SPECJIT_KERNEL_H
