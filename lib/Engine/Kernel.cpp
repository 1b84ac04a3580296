//===- Kernel.cpp - Running kernels on caller buffers ---------------------===//
#include "specjit/Kernel.h"
#include "Engine/KernelState.h"
#include "Engine/RunPool.h"
#include "Engine/Tiering.h"
#include "Families/Family.h"
#include "Families/Pipeline/PipelineSpec.h"
#include "specjit/Descriptor.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace specjit {
namespace jit {

llvm::StringRef backendName(Backend b) { return b == Backend::Jit ? "jit" : "interpreter"; }

llvm::StringRef tierStateName(TierState s) {
  switch (s) {
  case TierState::Interpreting:
    return "interpreting";
  case TierState::Queued:
    return "queued";
  case TierState::Compiling:
    return "compiling";
  case TierState::Verifying:
    return "verifying";
  case TierState::Compiled:
    return "compiled";
  case TierState::Failed:
    return "failed";
  }
  return "interpreting";
}

llvm::StringRef kernelSourceName(KernelSource s) {
  switch (s) {
  case KernelSource::Compiled:
    return "compiled";
  case KernelSource::Memory:
    return "memory";
  case KernelSource::Disk:
    return "disk";
  }
  return "compiled";
}

static llvm::Error runError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<int64_t> bindInputColumns(llvm::ArrayRef<InputColumn> decl,
                                         llvm::ArrayRef<Column> inputs, int64_t rowsWithoutInputs,
                                         llvm::SmallVectorImpl<const void *> &args) {
  if (inputs.size() != decl.size())
    return runError(
        llvm::formatv("run: expected {0} input columns, got {1}", decl.size(), inputs.size()));
  int64_t rows = inputs.empty() ? rowsWithoutInputs : inputs[0].rows;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Column &c = inputs[i];
    // Formatted only on a failure: batch-1 callers pay for every call.
    auto where = [&] { return llvm::formatv("run: input {0} ('{1}')", i, decl[i].name).str(); };
    if (c.type != decl[i].type)
      return runError(where() + ": expected a " + dtypeName(decl[i].type) + " column, got " +
                      dtypeName(c.type));
    if (c.rows != rows)
      return runError(
          llvm::formatv("{0}: has {1} rows but input 0 has {2}", where(), c.rows, rows));
    if (rows < 0)
      return runError(where() + ": negative row count");
    if (rows > 0 && !c.data)
      return runError(where() + ": data pointer is null");
    if (c.type == DType::String) {
      if (rows > 0 && !c.offsets)
        return runError(where() + ": offsets pointer is null");
      // Offsets are checked so a malformed column cannot make the kernel read
      // outside the caller's byte buffer from a negative length.
      if (rows > 0 && c.offsets[0] < 0)
        return runError(where() + ": offsets[0] is negative");
      for (int64_t r = 0; r < rows; ++r)
        if (c.offsets[r + 1] < c.offsets[r])
          return runError(llvm::formatv("{0}: offsets decrease at row {1}", where(), r));
      args.push_back(c.offsets);
    }
    args.push_back(c.data);
  }
  return rows;
}

/// Checks the caller's buffers against the descriptor and lays out the
/// kernel arguments (see Runtime/KernelABI.h). Returns the row count.
static llvm::Expected<int64_t> bindArgs(const KernelState &s, llvm::ArrayRef<Column> inputs,
                                        const Output &out,
                                        llvm::SmallVectorImpl<const void *> &args) {
  auto bound = bindInputColumns(s.desc.inputs(), inputs, out.rows, args);
  if (!bound)
    return bound.takeError();
  int64_t rows = *bound;
  const char *what = s.desc.runShape() == RunShape::State ? "state matrix" : "output";
  if (out.type != s.desc.outputType())
    return runError(llvm::Twine("run: ") + what + " must be " + dtypeName(s.desc.outputType()) +
                    ", got " + dtypeName(out.type));
  if (out.cols != static_cast<int64_t>(s.desc.numOutputs()))
    return runError(llvm::formatv("run: {0} must have {1} columns, got {2}", what,
                                  s.desc.numOutputs(), out.cols));
  if (out.rows != rows)
    return runError(
        llvm::formatv("run: output has {0} rows but the inputs have {1}", out.rows, rows));
  if (rows < 0)
    return runError(llvm::Twine("run: ") + what + " has a negative row count");
  if (rows > 0 && !out.data)
    return runError(llvm::Twine("run: ") + what + " data pointer is null");
  return rows;
}

//===----------------------------------------------------------------------===//
// Runs split over threads (CompileOptions::threads)
//===----------------------------------------------------------------------===//

/// Blocks of a split run are whole multiples of this many rows, so that each
/// row takes the code path it takes in one call: the compiled loops' vector
/// bodies and remainders (a remainder may call scalar libm where the body
/// calls libmvec), the rules' tiles of 8 agents, the interpreter's blocks.
constexpr int64_t kSplitAlignRows = 256;
/// Fewer rows per thread than this cost more to hand out than they save.
constexpr int64_t kSplitMinRows = 4096;
/// A split run hands out this many blocks per thread (taken in turn), so a
/// worker that starts late still takes its share.
constexpr int64_t kBlocksPerThread = 4;

/// Whether a row of `d` may fail a data check: such a call must leave the
/// output untouched, which blocks written by other threads would break.
static bool hasDataChecks(const Descriptor &d) {
  if (const PipelineSpec *p = family(d.kind()).featurePipeline(d))
    for (const Step &step : p->steps)
      if ((step.op == StepOp::OneHot || step.op == StepOp::LabelEncode) &&
          step.unknown == UnknownPolicy::Error)
        return true;
  return false;
}

/// How a run of `rows` rows splits for `threads` threads (0: the
/// hardware's): the threads that share it and the blocks they take; one
/// thread when it runs in one call.
struct Split {
  unsigned threads = 1, tasks = 1;
};
static Split splitRun(const Descriptor &d, int64_t rows, unsigned threads) {
  if (threads == 1 || rows < 2 * kSplitMinRows)
    return {};
  // Rows and agents are independent; a stream's rows are not.
  RunShape shape = d.runShape();
  if ((shape != RunShape::Rows && shape != RunShape::State) || hasDataChecks(d))
    return {};
  if (threads == 0)
    threads = engine::RunPool::instance().concurrency();
  Split s;
  s.threads = static_cast<unsigned>(std::min<int64_t>(threads, rows / kSplitMinRows));
  s.tasks = static_cast<unsigned>(
      std::min<int64_t>(int64_t(s.threads) * kBlocksPerThread, rows / kSplitMinRows));
  return s.threads > 1 ? s : Split{};
}

/// Runs `call(args, out, rows)` as `split.tasks` blocks of whole multiples
/// of kSplitAlignRows rows on `split.threads` threads of the run pool. The
/// status is the kernel ABI's: the first failing row over all blocks, -1 if
/// any block ran out of memory.
template <typename Call>
static int64_t runSplit(const Descriptor &d, const void *const *args, void *out, int64_t rows,
                        Split split, Call call) {
  unsigned tasks = split.tasks;
  int64_t per = (rows + tasks - 1) / tasks;
  int64_t block = (per + kSplitAlignRows - 1) / kSplitAlignRows * kSplitAlignRows;
  tasks = static_cast<unsigned>((rows + block - 1) / block);
  size_t outRowBytes = d.numOutputs() * dtypeSize(d.outputType());
  std::vector<int64_t> status(tasks, 0);
  engine::RunPool::instance().parallelFor(tasks, split.threads, [&](unsigned t) {
    int64_t lo = t * block, n = std::min(block, rows - lo);
    // The block's arguments: each column from row `lo` (string offsets are
    // positions in the whole byte buffer, which stays as it is).
    llvm::SmallVector<const void *, 16> shifted;
    size_t a = 0;
    for (const InputColumn &in : d.inputs()) {
      if (in.type == DType::String) {
        shifted.push_back(static_cast<const int64_t *>(args[a++]) + lo);
        shifted.push_back(args[a++]);
      } else {
        shifted.push_back(static_cast<const char *>(args[a++]) + lo * dtypeSize(in.type));
      }
    }
    int64_t st = call(shifted.data(), static_cast<char *>(out) + lo * outRowBytes, n);
    status[t] = st > 0 ? lo + st : st;
  });
  int64_t result = 0;
  for (int64_t st : status)
    if (st < 0)
      return st;
    else if (st > 0 && (result == 0 || st < result))
      result = st;
  return result;
}

/// Calls the compiled code or the interpreter (over `threads` threads when
/// the run splits), counts (and sometimes times) the call for jit::stats()
/// and the tier policy, and turns a failed data check into an error naming
/// the row.
static llvm::Error invoke(KernelState &s, KernelFn fn, const void *const *args, void *out,
                          int64_t rows, unsigned threads) {
  CallCounters &c = s.counters[static_cast<int>(fn ? Backend::Jit : Backend::Interpreter)];
  auto call = [&](const void *const *a, void *o, int64_t n) {
    return fn ? fn(a, o, n) : s.interpreter->run(a, o, n);
  };
  Split split = splitRun(s.desc, rows, threads);
  int64_t status = c.count(rows, [&] {
    return split.threads <= 1 ? call(args, out, rows)
                              : runSplit(s.desc, args, out, rows, split, call);
  });
  if (status < 0)
    return runError("run: out of memory for the interpreter's scratch space");
  if (status != 0)
    return runError(s.interpreter->describeFailure(args, status - 1));
  return llvm::Error::success();
}

/// A tiered kernel's share of an interpreted call: the sample, then the
/// policy. `stateBefore` is a rules kernel's state matrix before the call.
static void afterInterpreted(const std::shared_ptr<KernelState> &s, llvm::ArrayRef<Column> inputs,
                             const std::vector<uint8_t> &stateBefore, int64_t rows) {
  engine::Tiering &t = *s->tiering;
  if (t.wantsSample())
    t.offerSample(*s, inputs, stateBefore.empty() ? nullptr : stateBefore.data(), rows);
  engine::Tiering::afterInterpretedCall(s);
}

llvm::Error Kernel::run(llvm::ArrayRef<Column> inputs, const Output &out) const {
  return run(inputs, out, threads_);
}

llvm::Error Kernel::run(llvm::ArrayRef<Column> inputs, const Output &out, unsigned threads) const {
  if (!state_)
    return runError("run: the kernel is empty");
  if (state_->desc.runShape() == RunShape::Stream) {
    auto fresh = stream();
    if (!fresh)
      return fresh.takeError();
    return fresh->run(inputs, out);
  }
  KernelState &s = *state_;
  llvm::SmallVector<const void *, 16> args;
  auto rows = bindArgs(s, inputs, out, args);
  if (!rows)
    return rows.takeError();
  if (*rows == 0)
    return llvm::Error::success();
  KernelFn fn = s.compiled.load(std::memory_order_acquire);
  if (fn || !s.tiering)
    return invoke(s, fn, args.data(), out.data, *rows, threads);
  // A rules call updates its state in place: the sample needs it before.
  std::vector<uint8_t> stateBefore;
  if (s.desc.runShape() == RunShape::State && s.tiering->wantsSample()) {
    size_t take = std::min<size_t>(*rows, s.tiering->policy.verifyRows);
    const uint8_t *p = static_cast<const uint8_t *>(out.data);
    stateBefore.assign(p, p + take * out.cols * dtypeSize(out.type));
  }
  if (auto err = invoke(s, nullptr, args.data(), out.data, *rows, threads))
    return err;
  afterInterpreted(state_, inputs, stateBefore, *rows);
  return llvm::Error::success();
}

llvm::Expected<Stream> Kernel::stream() const {
  if (!state_)
    return runError("stream: the kernel is empty");
  if (state_->desc.runShape() != RunShape::Stream)
    return runError(llvm::Twine("stream: only series kernels keep state; this is a ") +
                    kindName(state_->desc.kind()) + " kernel");
  Stream st;
  st.kernel_ = state_;
  st.compiled_ = state_->compiled.load(std::memory_order_acquire) != nullptr;
  size_t bytes =
      st.compiled_ ? state_->compiledStateBytes.load() : state_->interpreter->stateBytes();
  st.state_.assign((bytes + 7) / 8, 0);
  return st;
}

Backend Stream::backend() const { return compiled_ ? Backend::Jit : Backend::Interpreter; }

llvm::Error Stream::run(llvm::ArrayRef<Column> inputs, const Output &out) {
  if (!kernel_)
    return runError("run: the stream is empty");
  KernelState &s = *kernel_;
  llvm::SmallVector<const void *, 16> args;
  auto rows = bindArgs(s, inputs, out, args);
  if (!rows)
    return rows.takeError();
  if (*rows == 0)
    return llvm::Error::success();
  args.push_back(state_.data());
  KernelFn fn = compiled_ ? s.compiled.load(std::memory_order_acquire) : nullptr;
  if (auto err = invoke(s, fn, args.data(), out.data, *rows, 1))
    return err;
  // The sample takes only a stream's first chunk: a fresh state's rows.
  if (!fn && s.tiering)
    afterInterpreted(kernel_, rowsSeen_ == 0 ? inputs : llvm::ArrayRef<Column>(), {},
                     rowsSeen_ == 0 ? *rows : 0);
  rowsSeen_ += *rows;
  return llvm::Error::success();
}

Backend Kernel::backend() const {
  return state_ && state_->compiled.load(std::memory_order_acquire) ? Backend::Jit
                                                                    : Backend::Interpreter;
}
Hash128 Kernel::hash() const { return state_->desc.hash(); }
double Kernel::compileMillis() const { return state_->compileMillis(); }
TierState Kernel::tierState() const { return state_->tier.load(); }
bool Kernel::waitForCompiled(std::chrono::milliseconds timeout) const {
  if (!state_)
    return false;
  return state_->waitSettled(absl::FromChrono(timeout));
}
std::string Kernel::fallbackReason() const { return state_->fallbackReason(); }
bool Kernel::specialized() const { return state_->specialize; }
unsigned Kernel::compileUnits() const {
  return backend() == Backend::Jit ? state_->compiledUnits.load() : 0;
}
size_t Kernel::numInputs() const { return state_->desc.inputs().size(); }
size_t Kernel::numOutputs() const { return state_->desc.numOutputs(); }
const std::vector<std::string> &Kernel::outputNames() const { return state_->desc.outputNames(); }
DType Kernel::outputType() const { return state_->desc.outputType(); }
const Descriptor &Kernel::descriptor() const { return state_->desc; }

} // namespace jit
} // namespace specjit
