//===- Tiering.cpp - Tiered kernels: policy, sample, verified promotion ---===//
#include "Engine/Tiering.h"

#include "Engine/CompileService.h"
#include "Engine/JIT.h"
#include "Engine/KernelCache.h"
#include "Engine/KernelSize.h"
#include "Engine/KernelState.h"
#include "specjit/Conversion/Passes.h"
#include "specjit/Testing.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

namespace specjit {
namespace engine {

using jit::KernelState;
using jit::TierState;

namespace {

std::atomic<bool> corruptCompiledResults{false};

/// Fitted to background compiles (nice 10, the caller running on the other
/// core) of the examples and a 1000-tree depth-8 XGBoost model, 2 cores,
/// quiet machine: within 1.7x of the measured time on each of them
/// (docs/runtime.md, "The cost model").
constexpr double kCompileFixedMs = 40.0;
constexpr double kCompileMsPerWork = 0.4;

/// How far measured compiles have been from the unscaled estimate (an
/// exponential moving average of measured / estimated).
struct Calibration {
  Mutex mu;
  double scale ABSL_GUARDED_BY(mu) = 1.0;
  uint64_t samples ABSL_GUARDED_BY(mu) = 0;
};
Calibration &calibration() {
  static Calibration *c = new Calibration();
  return *c;
}

/// The estimate before calibration, fitted to cold compiles of the examples
/// and of XGBoost models on a quiet machine (docs/runtime.md, "The cost
/// model"): a fixed part (contexts, passes, linking) and a part per unit of
/// compile work.
double unscaledCompileMs(size_t work) { return kCompileFixedMs + kCompileMsPerWork * double(work); }

void calibrate(size_t work, double measuredMs) {
  double ratio = measuredMs / unscaledCompileMs(work);
  Calibration &c = calibration();
  MutexLock lock(c.mu);
  c.scale = c.samples == 0 ? ratio : 0.7 * c.scale + 0.3 * ratio;
  ++c.samples;
}

double millisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// Runs one backend (`fn`, or the interpreter when null) over the sample.
/// `out` receives the output matrix (rules: starts as the sampled state).
int64_t runOnSample(const KernelState &k, KernelFn fn, size_t stateBytes, const Sample &s,
                    std::vector<uint8_t> &out) {
  llvm::SmallVector<const void *, 16> args;
  for (const Sample::ColumnCopy &c : s.columns) {
    if (c.type == jit::DType::String)
      args.push_back(c.offsets.data());
    args.push_back(c.data.data());
  }
  if (k.desc.runShape() == jit::RunShape::State)
    out = s.state;
  else
    out.assign(size_t(s.rows) * k.desc.numOutputs() * jit::dtypeSize(k.desc.outputType()), 0);
  std::vector<uint64_t> state((stateBytes + 7) / 8, 0);
  if (k.desc.runShape() == jit::RunShape::Stream)
    args.push_back(state.data());
  return fn ? fn(args.data(), out.data(), s.rows)
            : k.interpreter->run(args.data(), out.data(), s.rows);
}

/// Distance in units in the last place between two finite values of one
/// sign ordering (the bit patterns mapped to a monotonic integer line).
template <typename Int, typename Float> uint64_t ulpDistance(Float a, Float b) {
  auto ordered = [](Float f) {
    Int i;
    std::memcpy(&i, &f, sizeof i);
    return i < 0 ? std::numeric_limits<Int>::min() - i : i;
  };
  Int x = ordered(a), y = ordered(b);
  return x > y ? uint64_t(x) - uint64_t(y) : uint64_t(y) - uint64_t(x);
}

template <typename Float, typename Int>
bool floatsAgree(const uint8_t *pa, const uint8_t *pb, bool approx) {
  if (std::memcmp(pa, pb, sizeof(Float)) == 0)
    return true;
  Float a, b;
  std::memcpy(&a, pa, sizeof a);
  std::memcpy(&b, pb, sizeof b);
  if (std::isnan(a) && std::isnan(b))
    return true;
  return approx && std::isfinite(a) && std::isfinite(b) && ulpDistance<Int>(a, b) <= 4;
}

/// The first element where compiled output differs from the interpreter's:
/// bit for bit, NaN equal to NaN, and within 4 ulp when the code calls a
/// vector math library (docs/pipeline-semantics.md, "Numeric agreement").
std::optional<std::string> firstDifference(const KernelState &k, const std::vector<uint8_t> &want,
                                           const std::vector<uint8_t> &got, bool approx) {
  jit::DType t = k.desc.outputType();
  size_t width = jit::dtypeSize(t), cols = k.desc.numOutputs();
  for (size_t i = 0; i * width < want.size(); ++i) {
    const uint8_t *a = want.data() + i * width, *b = got.data() + i * width;
    bool same = t == jit::DType::F64   ? floatsAgree<double, int64_t>(a, b, approx)
                : t == jit::DType::F32 ? floatsAgree<float, int32_t>(a, b, approx)
                                       : std::memcmp(a, b, width) == 0;
    if (same)
      continue;
    auto show = [&](const uint8_t *p) {
      if (t == jit::DType::F64) {
        double v;
        std::memcpy(&v, p, 8);
        return llvm::formatv("{0:e17}", v).str();
      }
      if (t == jit::DType::F32) {
        float v;
        std::memcpy(&v, p, 4);
        return llvm::formatv("{0:e9}", v).str();
      }
      return llvm::formatv("{0:x}", p[0]).str();
    };
    return llvm::formatv("verification: sampled row {0}, output '{1}': "
                         "interpreter {2}, compiled {3}",
                         i / cols, k.desc.outputNames()[i % cols], show(a), show(b))
        .str();
  }
  return std::nullopt;
}

} // namespace

Tiering::Tiering(const jit::TierPolicy &p, const jit::Descriptor &d, jit::TreeLayout layout)
    : policy(p), compileWork(estimateCompileWork(d, layout, kLookupTableMinKeys)) {
  if (policy.verifyRows == 0 || !policy.verify)
    sampleFull.store(true);
}

double Tiering::estimatedCompileMs() const {
  Calibration &c = calibration();
  MutexLock lock(c.mu);
  return unscaledCompileMs(compileWork) * c.scale;
}

void Tiering::offerSample(const KernelState &k, llvm::ArrayRef<jit::Column> inputs,
                          const void *stateBefore, int64_t rows) {
  if (!mu.tryLock())
    return;
  if (sampleFull.load(std::memory_order_relaxed)) {
    mu.unlock(); // filled (or settled) since the caller looked
    return;
  }
  // Series rows are time steps: only one call's prefix is a valid input.
  bool oneCall = k.desc.runShape() == jit::RunShape::Stream;
  int64_t room = int64_t(policy.verifyRows) - sample.rows;
  int64_t take = std::min(rows, room);
  if (take > 0 && !(oneCall && sample.rows > 0)) {
    if (sample.columns.empty())
      for (const jit::Column &c : inputs)
        sample.columns.push_back({c.type, {}, {0}});
    for (size_t i = 0; i < inputs.size(); ++i) {
      const jit::Column &c = inputs[i];
      Sample::ColumnCopy &copy = sample.columns[i];
      if (c.type == jit::DType::String) {
        int64_t base = copy.data.size(), first = c.offsets[0];
        const char *bytes = static_cast<const char *>(c.data);
        copy.data.insert(copy.data.end(), bytes + first, bytes + c.offsets[take]);
        for (int64_t r = 1; r <= take; ++r)
          copy.offsets.push_back(base + c.offsets[r] - first);
      } else {
        const uint8_t *p = static_cast<const uint8_t *>(c.data);
        copy.data.insert(copy.data.end(), p, p + take * jit::dtypeSize(c.type));
      }
    }
    if (stateBefore) {
      const uint8_t *p = static_cast<const uint8_t *>(stateBefore);
      size_t rowBytes = k.desc.numOutputs() * jit::dtypeSize(k.desc.outputType());
      sample.state.insert(sample.state.end(), p, p + take * rowBytes);
    }
    sample.rows += take;
  }
  if (sample.rows >= int64_t(policy.verifyRows) || (oneCall && sample.rows > 0))
    sampleFull.store(true, std::memory_order_relaxed);
  mu.unlock();
}

void Tiering::submit(const std::shared_ptr<KernelState> &k,
                     void (*job)(const std::shared_ptr<KernelState> &)) {
  std::weak_ptr<KernelState> weak = k;
  auto hotness = [weak] {
    auto s = weak.lock();
    return s ? s->counters[int(jit::Backend::Interpreter)].estimatedNs() : -1.0;
  };
  auto run = [weak, job] {
    if (auto s = weak.lock()) // a kernel nobody holds any more is not compiled
      job(s);
  };
  switch (CompileService::instance().submit(hotness, run)) {
  case CompileService::Submitted::Queued:
    return;
  case CompileService::Submitted::NoThreads:
    job(k); // no worker could be created: this caller compiles
    return;
  case CompileService::Submitted::Full: {
    // Back-pressure: stay on the interpreter, ask again after as many calls
    // again as it took to get here.
    Tiering &t = *k->tiering;
    uint64_t calls = k->counters[int(jit::Backend::Interpreter)].calls.load();
    t.nextCheckCalls.store(2 * calls + 1);
    if (job == &Tiering::verifyAndPromote)
      t.verifyQueued.store(false);
    else
      k->tier.store(TierState::Interpreting);
    return;
  }
  }
}

void Tiering::request(const std::shared_ptr<KernelState> &k) {
  TierState expected = TierState::Interpreting;
  if (!k->tier.compare_exchange_strong(expected, TierState::Queued))
    return; // someone else asked first
  {
    MutexLock lock(k->tiering->mu);
    k->tiering->requestedAt = std::chrono::steady_clock::now();
  }
  submit(k, &Tiering::compileAndPromote);
}

void Tiering::atCompile(const std::shared_ptr<KernelState> &k) {
  const jit::TierPolicy &p = k->tiering->policy;
  if (p.compileAfterCalls == 0 && p.compileAfterRows == 0 && !p.costModel)
    request(k);
}

void Tiering::afterInterpretedCall(const std::shared_ptr<KernelState> &k) {
  Tiering &t = *k->tiering;
  TierState state = k->tier.load(std::memory_order_relaxed);
  if (state == TierState::Verifying) {
    // Compiled before any row was seen: verify now that there are some.
    bool expected = false;
    if (t.verifyQueued.compare_exchange_strong(expected, true))
      submit(k, &Tiering::verifyAndPromote);
    return;
  }
  if (state != TierState::Interpreting)
    return;
  const jit::CallCounters &c = k->counters[int(jit::Backend::Interpreter)];
  uint64_t calls = c.calls.load(std::memory_order_relaxed);
  if (calls < t.policy.compileAfterCalls ||
      c.rows.load(std::memory_order_relaxed) < t.policy.compileAfterRows ||
      calls < t.nextCheckCalls.load(std::memory_order_relaxed))
    return;
  if (t.policy.costModel && c.estimatedNs() < t.estimatedCompileMs() * 1e6)
    return;
  request(k);
}

void Tiering::compileAndPromote(const std::shared_ptr<KernelState> &k) {
  Tiering &t = *k->tiering;
  CompileService &service = CompileService::instance();
  k->tier.store(TierState::Compiling);
  auto t0 = std::chrono::steady_clock::now();
  auto built = buildCode(k->desc, k->options);
  double ms = millisSince(t0);
  if (!built) {
    service.failed.fetch_add(1);
    k->setFallback(llvm::toString(built.takeError()), ms);
    k->settle(TierState::Failed);
    return;
  }
  calibrate(t.compileWork, ms);
  service.compiled.fetch_add(1);
  k->setStageTimes(built->stages);
  k->codeFromDisk.store(built->fromDisk);
  k->setFallback("", ms);
  if (!t.policy.verify) {
    k->install(built->code, built->units, ms);
    k->setPromotion("unverified", millisSince(t.requestedAtLocked()), 0);
    KernelCache::instance().codeInstalled(*k); // counted before waiters wake
    k->settle(TierState::Compiled);
    return;
  }
  k->tier.store(TierState::Verifying);
  {
    MutexLock lock(t.mu);
    t.pending = std::move(*built);
    if (t.sample.rows == 0)
      return; // the next interpreted call brings rows and queues verification
    t.verifyQueued.store(true);
  }
  verifyAndPromote(k);
}

void Tiering::verifyAndPromote(const std::shared_ptr<KernelState> &k) {
  Tiering &t = *k->tiering;
  CompileService &service = CompileService::instance();
  std::optional<BuiltCode> built;
  Sample sample;
  std::chrono::steady_clock::time_point requested;
  {
    MutexLock lock(t.mu);
    if (!t.pending || t.sample.rows == 0) {
      t.verifyQueued.store(false);
      return;
    }
    built = std::move(t.pending);
    t.pending.reset();
    sample = t.sample; // a copy: calls may still be adding to it
    requested = t.requestedAt;
  }
  const LoadedCode &code = *built->code;
  std::vector<uint8_t> want, got;
  int64_t wantStatus = runOnSample(*k, nullptr, k->interpreter->stateBytes(), sample, want);
  int64_t gotStatus = runOnSample(*k, code.fn, code.stateBytes, sample, got);
  if (corruptCompiledResults.load() && gotStatus == 0 && !got.empty())
    got[0] ^= 1;
  std::optional<std::string> difference;
  if (wantStatus != gotStatus)
    difference = llvm::formatv("verification: the interpreter returned status {0} "
                               "and the compiled code {1} on the sampled rows",
                               wantStatus, gotStatus)
                     .str();
  else if (wantStatus == 0)
    difference = firstDifference(*k, want, got, code.usesVectorMath);
  double ms = millisSince(requested);
  {
    // Settled either way: the sample's copies are not needed any more.
    MutexLock lock(t.mu);
    t.sample = Sample();
    t.sampleFull.store(true);
  }
  if (difference) {
    service.rejected.fetch_add(1);
    k->setFallback(*difference, k->compileMillis());
    k->setPromotion("rejected", ms, uint64_t(sample.rows));
    k->settle(TierState::Failed);
    return; // `built` goes: its code is released unserved
  }
  service.promoted.fetch_add(1);
  k->install(built->code, built->units, k->compileMillis());
  k->setPromotion("promoted", ms, uint64_t(sample.rows));
  KernelCache::instance().codeInstalled(*k); // counted before waiters wake
  k->settle(TierState::Compiled);
}

std::chrono::steady_clock::time_point Tiering::requestedAtLocked() {
  MutexLock lock(mu);
  return requestedAt;
}

} // namespace engine

namespace jit {
namespace testing {
void setCorruptCompiledResults(bool on) { engine::corruptCompiledResults.store(on); }
} // namespace testing
} // namespace jit
} // namespace specjit
