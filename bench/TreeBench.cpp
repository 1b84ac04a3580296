//===- TreeBench.cpp - Tree ensembles: JIT vs interpreter vs XGBoost ------===//
//
//   specjit-tree-bench [options] MODEL.json...
//
// For each XGBoost JSON model (bench/train_tree_models.py writes them), in one
// process on the same rows (x_100k.f32 from the same directory, or --data):
//
//   xgb inplace   XGBoosterPredictFromDense on a dense array interface
//                 (nthread=1; what Booster.inplace_predict calls). The array
//                 interface and config strings are built before timing.
//   xgb dmatrix   XGDMatrixCreateFromMat + XGBoosterPredictFromDMatrix +
//                 XGDMatrixFree, all timed (the user pays the DMatrix).
//   interpreter   jit::compile with specialize=false
//   jit           jit::compile with specialize=true (the specialized kernel);
//                 reported as "fallback" when the compiler handed the kernel
//                 to the interpreter (Kernel::fallbackReason says why)
//   jit+T         the JIT fed from the row-major matrix: the batch is first
//                 transposed into column scratch (specjit takes columns,
//                 XGBoost rows; at batch 1 every specjit variant reads the
//                 row in place, so there is nothing to transpose)
//
// Batches: 1 row (latency: every call timed alone over different rows, in
// wall time, the median ns per call is reported), 100 rows (every call timed
// alone in process CPU time, median ns per row) and all rows (process CPU
// time, ns per row, the best of the rounds). CPU time leaves out the waits
// for a core on a shared machine; all the implementations compute on the
// calling thread (XGBoost with nthread=1). Implementations are interleaved: every round runs each
// of them once, in a rotating order, so noise hits all of them alike. XGBoost
// writes into its own buffer: the harness copies the result out (as a user
// must), which is timed too.
//
// Agreement, on all rows: JIT == interpreter bit for bit, both within 1e-6
// relative of XGBoost's probabilities; and XGBoost's C API output against the
// Python predictions stored next to the model (MODEL.prob.f32) when present.
// Before each batch size is timed, every implementation's output over that
// batch plan must equal its own all-rows output bit for bit.
//
// A model that fails to load, import, parse or compile is reported with the
// reason, and the next one is benchmarked.
//
//===----------------------------------------------------------------------===//

#include "Engine/KernelAccess.h"
#include "specjit/Import.h"
#include "specjit/specjit.h"

// Internal, for one diagnostic only: the compiled function and the
// interpreter called without Kernel::run's argument checks.
#include "Engine/KernelState.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

using specjit::engine::KernelAccess;

using namespace specjit::jit;

namespace {

using Clock = std::chrono::steady_clock;

double nsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

/// CPU time of the whole process (every thread), ns. Unlike wall time it
/// does not grow while the process waits for a core on a shared machine.
double cpuNs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct Options {
  std::string data;            // x_100k.f32 (default: next to the first model)
  int64_t rows = 0;            // 0: every row of the data file
  int rounds = 5;              // rounds for batch 100 and batch all
  int latencyRounds = 5;       // rounds of batch-1 calls
  int64_t latencyCalls = 2000; // distinct rows per batch-1 round
  int64_t chunks = 100;        // batch-100 calls per round
  int64_t features = 28;
  std::string jsonOut;
  std::vector<std::string> models;
};

const char *kUsage = R"(usage: specjit-tree-bench [options] MODEL.json...
  --data FILE          row-major little-endian f32 matrix (default: x_100k.f32
                       next to the first model; its shape from FILE minus
                       .f32 plus .shape, else --features columns)
  --rows N             use the first N rows (default all)
  --features N         columns when there is no .shape file (default 28)
  --rounds N           rounds of the batch-100 and batch-all measurements (5)
  --latency-rounds N   rounds of batch-1 calls (5)
  --latency-calls N    distinct rows per batch-1 round (2000)
  --chunks N           batch-100 calls per round (100)
  --json FILE          also write the results as JSON
)";

bool parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](auto &dst) {
      if (i + 1 >= argc)
        return false;
      std::string v = argv[++i];
      if constexpr (std::is_same_v<std::decay_t<decltype(dst)>, std::string>)
        dst = v;
      else
        dst = static_cast<std::decay_t<decltype(dst)>>(std::stoll(v));
      return true;
    };
    bool ok = true;
    if (a == "--data")
      ok = value(o.data);
    else if (a == "--rows")
      ok = value(o.rows);
    else if (a == "--features")
      ok = value(o.features);
    else if (a == "--rounds")
      ok = value(o.rounds);
    else if (a == "--latency-rounds")
      ok = value(o.latencyRounds);
    else if (a == "--latency-calls")
      ok = value(o.latencyCalls);
    else if (a == "--chunks")
      ok = value(o.chunks);
    else if (a == "--json")
      ok = value(o.jsonOut);
    else if (a == "-h" || a == "--help")
      return false;
    else if (a.rfind("--", 0) == 0) {
      llvm::errs() << "unknown option " << a << "\n";
      return false;
    } else
      o.models.push_back(a);
    if (!ok)
      return false;
  }
  return !o.models.empty() && o.rounds > 0 && o.latencyRounds > 0 && o.latencyCalls > 0 &&
         o.chunks > 0;
}

std::optional<std::vector<float>> readF32(const std::string &path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f)
    return std::nullopt;
  std::streamsize bytes = f.tellg();
  f.seekg(0);
  std::vector<float> v(static_cast<size_t>(bytes) / sizeof(float));
  f.read(reinterpret_cast<char *>(v.data()), bytes);
  return v;
}

std::string sibling(const std::string &path, llvm::StringRef name) {
  llvm::SmallString<256> p(path);
  llvm::sys::path::remove_filename(p);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

std::string stem(const std::string &path) { return llvm::sys::path::stem(path).str(); }

double median(std::vector<double> v) {
  if (v.empty())
    return NAN;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  return v[mid];
}

//===----------------------------------------------------------------------===//
// XGBoost through its C API
//===----------------------------------------------------------------------===//

struct Booster {
  BoosterHandle h = nullptr;
  std::string error;
  ~Booster() {
    if (h)
      XGBoosterFree(h);
  }
  bool check(int rc, const char *what) {
    if (rc == 0)
      return true;
    std::string msg = XGBGetLastError(); // first line: the rest is a stack trace
    error = std::string(what) + ": " + msg.substr(0, msg.find('\n'));
    return false;
  }
  bool load(const std::string &path) {
    return check(XGBoosterCreate(nullptr, 0, &h), "XGBoosterCreate") &&
           check(XGBoosterLoadModel(h, path.c_str()), "XGBoosterLoadModel") &&
           check(XGBoosterSetParam(h, "nthread", "1"), "XGBoosterSetParam");
  }
};

/// The __array_interface__ of `rows` x `cols` row-major f32 at `p`.
std::string arrayInterface(const float *p, int64_t rows, int64_t cols) {
  return llvm::formatv(R"({{"data":[{0},true],"shape":[{1},{2}],"strides":null,)"
                       R"("typestr":"<f4","version":3})",
                       reinterpret_cast<uintptr_t>(p), rows, cols)
      .str();
}

/// Prediction config: type 0 = transformed (probability), 1 = margin;
/// iterationEnd 0 = every tree.
std::string predictConfig(int type, int iterationEnd = 0) {
  return llvm::formatv(R"({{"type":{0},"training":false,"iteration_begin":0,)"
                       R"("iteration_end":{1},"strict_shape":false,)"
                       R"("missing":NaN,"cache_id":0})",
                       type, iterationEnd)
      .str();
}

//===----------------------------------------------------------------------===//
// One model
//===----------------------------------------------------------------------===//

/// A way to predict: call(i) runs call number i of the current batch plan
/// and returns false on error (with the message in `error`).
struct Impl {
  std::string name;
  std::function<bool(size_t)> call;
  bool enabled = true;
  /// What every call must write into `out` for its rows, bit for bit
  /// (checked once per batch size before the timing); null: not checked.
  const std::vector<float> *expect = nullptr;
};

/// The calls of one batch size: call i covers rows [starts[i], starts[i] + n).
struct Plan {
  int64_t n = 1;
  std::vector<int64_t> starts;
};

struct Measured {
  // ns per row (batch 1: median ns per call), NaN when not measured.
  std::map<std::string, double> ns;
};

struct Data {
  std::vector<float> rowMajor;          // rows x features
  std::vector<std::vector<float>> cols; // features x rows
  int64_t rows = 0, features = 0;
};

struct ModelResult {
  std::string name, path;
  int boostedRounds = -1;
  std::string status = "ok"; // or what failed
  std::string xgbError, importError, parseError, compileError;
  std::string jitBackend, fallbackReason;
  double importMs = NAN, parseMs = NAN, compileMs = NAN, interpMs = NAN;
  double compileCpuMs = NAN; // process CPU time of the JIT compile
  size_t descriptorBytes = 0;
  // agreement
  int64_t checkedRows = 0;
  int64_t jitInterpBitMismatches = -1;
  double maxRelJitXgb = NAN, maxRelInterpXgb = NAN, maxAbsJitXgb = NAN;
  int64_t over1e6 = -1;
  std::string pythonCheck;                  // C API vs the stored Python predictions
  std::string verifyErrors;                 // batch paths that disagree with all rows
  double xgbOverheadNs = NAN;               // batch 1, one tree
  double jitRawNs = NAN, interpRawNs = NAN; // batch 1 without Kernel::run's checks
  std::map<int64_t, Measured> batches;      // batch size -> results
};

/// Batches up to this many rows are timed call by call, and the median per
/// call is kept (a preemption spoils one call, not the estimate); larger ones
/// as a sweep, best of the rounds.
constexpr int64_t kPerCallMaxRows = 1000;

/// Measures every enabled impl over `plan`, interleaved: each round runs
/// every impl over all the plan's calls, in an order rotated per round.
/// Returns ns per row (batch 1: ns per call). Batch 1 is timed in wall time
/// (steady_clock through the vDSO: ~20 ns, where a CPU-time clock is a system
/// call); larger batches in process CPU time, which leaves out the time spent
/// waiting for a core while other work runs on the shared machine (every
/// implementation here computes on the calling thread).
Measured measure(std::vector<Impl *> impls, const Plan &plan, int rounds) {
  Measured m;
  std::map<std::string, std::vector<double>> samples;
  bool perCall = plan.n <= kPerCallMaxRows, wall = plan.n == 1;
  for (int r = 0; r < rounds; ++r) {
    std::rotate(impls.begin(), impls.begin() + (r % impls.size()), impls.end());
    for (Impl *impl : impls) {
      if (!impl->enabled)
        continue;
      auto &s = samples[impl->name];
      size_t calls = plan.starts.size();
      for (size_t i = 0; i < calls;) {
        size_t end = perCall ? i + 1 : calls;
        auto w0 = Clock::now();
        double c0 = wall ? 0 : cpuNs();
        bool ok = true;
        for (; i < end && ok; ++i)
          ok = impl->call(i);
        double ns = wall ? nsSince(w0) : cpuNs() - c0;
        if (!ok) {
          impl->enabled = false;
          break;
        }
        s.push_back(ns / (plan.n * static_cast<double>(perCall ? 1 : calls)));
      }
    }
  }
  for (auto &[name, s] : samples)
    if (!s.empty())
      m.ns[name] = perCall ? median(s) : *std::min_element(s.begin(), s.end());
  return m;
}

ModelResult benchModel(const std::string &path, const Data &data, const Options &o) {
  ModelResult res;
  res.path = path;
  res.name = stem(path);
  const int64_t N = data.rows, F = data.features;
  llvm::errs() << "== " << res.name << "\n";

  // --- XGBoost -------------------------------------------------------------
  Booster xgb;
  bool haveXgb = xgb.load(path);
  if (haveXgb) {
    bst_ulong nf = 0;
    XGBoosterBoostedRounds(xgb.h, &res.boostedRounds);
    if (XGBoosterGetNumFeature(xgb.h, &nf) == 0 && static_cast<int64_t>(nf) != F) {
      haveXgb = false;
      xgb.error = llvm::formatv("the model has {0} features, the data {1}", nf, F).str();
    }
  }
  if (!haveXgb) {
    res.xgbError = xgb.error;
    res.status = "xgboost: " + xgb.error;
  }

  // --- specjit: import, parse, compile --------------------------------------
  std::optional<Kernel> jit, interp;
  {
    auto buf = llvm::MemoryBuffer::getFile(path);
    if (!buf) {
      res.importError = "cannot read: " + buf.getError().message();
    } else {
      auto t0 = Clock::now();
      auto text = importXGBoostJSON((*buf)->getBuffer());
      res.importMs = nsSince(t0) / 1e6;
      if (!text) {
        res.importError = llvm::toString(text.takeError());
      } else {
        res.descriptorBytes = text->size();
        t0 = Clock::now();
        auto d = Descriptor::parse(*text);
        res.parseMs = nsSince(t0) / 1e6;
        if (!d) {
          res.parseError = llvm::toString(d.takeError());
        } else {
          CompileOptions co;
          co.useCache = false;
          co.specialize = false;
          t0 = Clock::now();
          auto ki = compile(*d, co);
          res.interpMs = nsSince(t0) / 1e6;
          co.specialize = true;
          t0 = Clock::now();
          double c0 = cpuNs();
          auto kj = compile(*d, co);
          res.compileMs = nsSince(t0) / 1e6;
          res.compileCpuMs = (cpuNs() - c0) / 1e6;
          if (!ki)
            res.compileError = "interpreter: " + llvm::toString(ki.takeError());
          else
            interp = *ki;
          if (!kj) {
            std::string e = llvm::toString(kj.takeError());
            res.compileError += (res.compileError.empty() ? "" : "; ") + e;
          } else {
            jit = *kj;
            res.jitBackend = backendName(jit->backend()).str();
            res.fallbackReason = jit->fallbackReason();
          }
        }
      }
    }
  }
  std::string specjitStatus;
  if (!res.importError.empty())
    specjitStatus = "import failed: " + res.importError;
  else if (!res.parseError.empty())
    specjitStatus = "descriptor rejected: " + res.parseError;
  else if (!res.compileError.empty())
    specjitStatus = "compile failed: " + res.compileError;
  else if (jit && jit->backend() != Backend::Jit)
    specjitStatus = "fallback: " + res.fallbackReason;
  if (!specjitStatus.empty())
    res.status = haveXgb ? specjitStatus : res.status + "; " + specjitStatus;
  bool jitRuns = jit && jit->backend() == Backend::Jit;
  llvm::errs() << "   " << res.status << "\n";

  // --- agreement on all rows ----------------------------------------------
  std::vector<float> xgbProb(N), jitOut(N), intOut(N);
  auto allCols = [&](int64_t r0, int64_t n) {
    std::vector<Column> c;
    for (int64_t j = 0; j < F; ++j)
      c.push_back(Column::f32(data.cols[j].data() + r0, n));
    return c;
  };
  if (haveXgb) {
    std::string ai = arrayInterface(data.rowMajor.data(), N, F);
    std::string cfg = predictConfig(0);
    const bst_ulong *shape;
    bst_ulong dim;
    const float *out;
    if (!xgb.check(
            XGBoosterPredictFromDense(xgb.h, ai.c_str(), cfg.c_str(), nullptr, &shape, &dim, &out),
            "XGBoosterPredictFromDense")) {
      haveXgb = false;
      res.status = "xgboost: " + xgb.error;
    } else {
      std::copy(out, out + N, xgbProb.begin());
      if (auto py = readF32(sibling(path, res.name + ".prob.f32"))) {
        int64_t n = std::min<int64_t>(N, py->size()), diff = 0;
        for (int64_t i = 0; i < n; ++i)
          diff += std::memcmp(&(*py)[i], &xgbProb[i], 4) != 0;
        res.pythonCheck = diff == 0 ? "identical" : std::to_string(diff) + " rows differ";
      } else {
        res.pythonCheck = "no stored predictions";
      }
    }
  }
  auto runKernel = [&](const Kernel &k, std::vector<float> &out) {
    if (auto e = k.run(allCols(0, N), Output::f32(out.data(), N, 1))) {
      res.status = "run failed: " + llvm::toString(std::move(e));
      return false;
    }
    return true;
  };
  bool haveInterp = interp && runKernel(*interp, intOut);
  if (jit && !runKernel(*jit, jitOut))
    jitRuns = false;
  res.checkedRows = N;
  if (haveInterp && jitRuns) {
    res.jitInterpBitMismatches = 0;
    for (int64_t i = 0; i < N; ++i)
      res.jitInterpBitMismatches += std::memcmp(&jitOut[i], &intOut[i], 4) != 0;
  }
  auto maxRel = [&](const std::vector<float> &a, int64_t *over) {
    double m = 0;
    for (int64_t i = 0; i < N; ++i) {
      double ref = xgbProb[i], d = std::fabs(static_cast<double>(a[i]) - ref);
      double rel = d / std::max(std::fabs(ref), 1e-30);
      if (std::isnan(rel))
        rel = INFINITY;
      m = std::max(m, rel);
      if (over && rel > 1e-6)
        ++*over;
    }
    return m;
  };
  if (haveXgb && haveInterp) {
    res.over1e6 = 0;
    res.maxRelInterpXgb = maxRel(intOut, &res.over1e6);
  }
  if (haveXgb && jitRuns) {
    res.maxRelJitXgb = maxRel(jitOut, nullptr);
    double m = 0;
    for (int64_t i = 0; i < N; ++i)
      m = std::max(m, std::fabs(static_cast<double>(jitOut[i]) - xgbProb[i]));
    res.maxAbsJitXgb = m;
  }

  // --- the implementations ------------------------------------------------
  Plan plan;                      // the batch being measured
  std::vector<std::string> xgbAI; // array interfaces of the plan's calls
  std::string cfgProb = predictConfig(0), cfgOneTree = predictConfig(0, 1);
  std::vector<float> out(N);
  std::vector<Column> cols1(F, Column::f32(nullptr, 1));
  std::vector<std::vector<float>> scratch(F);
  std::vector<Column> scratchCols(F);

  auto xgbInplace = [&](const std::string &cfg) {
    return [&, cfg](size_t i) {
      const bst_ulong *shape;
      bst_ulong dim;
      const float *r;
      if (XGBoosterPredictFromDense(xgb.h, xgbAI[i].c_str(), cfg.c_str(), nullptr, &shape, &dim,
                                    &r) != 0)
        return false;
      std::memcpy(out.data() + plan.starts[i], r, plan.n * sizeof(float));
      return true;
    };
  };
  Impl xInplace{"xgb inplace", xgbInplace(cfgProb), haveXgb};
  Impl xOneTree{"xgb 1 tree", xgbInplace(cfgOneTree), haveXgb};
  Impl xDMatrix{"xgb dmatrix",
                [&](size_t i) {
                  DMatrixHandle dm;
                  if (XGDMatrixCreateFromMat(data.rowMajor.data() + plan.starts[i] * F, plan.n, F,
                                             NAN, &dm) != 0)
                    return false;
                  const bst_ulong *shape;
                  bst_ulong dim;
                  const float *r;
                  int rc =
                      XGBoosterPredictFromDMatrix(xgb.h, dm, cfgProb.c_str(), &shape, &dim, &r);
                  if (rc == 0)
                    std::memcpy(out.data() + plan.starts[i], r, plan.n * sizeof(float));
                  XGDMatrixFree(dm);
                  return rc == 0;
                },
                haveXgb};
  auto kernelCall = [&](const Kernel &kernel) {
    const Kernel *kp = &kernel;
    return std::function<bool(size_t)>([&, kp](size_t i) {
      const Kernel &k = *kp;
      int64_t r0 = plan.starts[i];
      llvm::Error e = llvm::Error::success();
      if (plan.n == 1) {
        // One row: every feature column is one element of the row-major row.
        const float *row = data.rowMajor.data() + r0 * F;
        for (int64_t j = 0; j < F; ++j)
          cols1[j].data = row + j;
        e = k.run(cols1, Output::f32(out.data() + r0, 1, 1));
      } else {
        e = k.run(allCols(r0, plan.n), Output::f32(out.data() + r0, plan.n, 1));
      }
      if (e) {
        llvm::consumeError(std::move(e));
        return false;
      }
      return true;
    });
  };
  Impl iInterp{"interpreter", interp ? kernelCall(*interp) : nullptr, haveInterp};
  Impl iJit{"jit", jit ? kernelCall(*jit) : nullptr, jitRuns};
  Impl iJitT{"jit+T",
             [&](size_t i) {
               int64_t r0 = plan.starts[i], n = plan.n;
               const float *src = data.rowMajor.data() + r0 * F;
               for (int64_t r = 0; r < n; ++r)
                 for (int64_t j = 0; j < F; ++j)
                   scratch[j][r] = src[r * F + j];
               for (int64_t j = 0; j < F; ++j)
                 scratchCols[j] = Column::f32(scratch[j].data(), n);
               if (auto e = jit->run(scratchCols, Output::f32(out.data() + r0, n, 1))) {
                 llvm::consumeError(std::move(e));
                 return false;
               }
               return true;
             },
             jitRuns};

  // Diagnostics at batch 1: the same work without Kernel::run's checks.
  std::vector<const void *> rawArgs(F);
  auto rawCall = [&](bool compiled) {
    return [&, compiled](size_t i) {
      const float *row = data.rowMajor.data() + plan.starts[i] * F;
      for (int64_t j = 0; j < F; ++j)
        rawArgs[j] = row + j;
      const KernelState &st = *KernelAccess::state(*(compiled ? jit : interp));
      float *o = out.data() + plan.starts[i];
      int64_t rc = compiled ? st.compiled.load(std::memory_order_acquire)(rawArgs.data(), o, 1)
                            : st.interpreter->run(rawArgs.data(), o, 1);
      return rc == 0;
    };
  };
  Impl jRaw{"jit raw", rawCall(true), jitRuns};
  Impl iRaw{"interpreter raw", rawCall(false), haveInterp};

  auto setPlan = [&](int64_t n, std::vector<int64_t> starts) {
    plan.n = n;
    plan.starts = std::move(starts);
    xgbAI.clear();
    for (int64_t s : plan.starts)
      xgbAI.push_back(arrayInterface(data.rowMajor.data() + s * F, n, F));
    for (auto &s : scratch)
      s.assign(n, 0.0f);
  };

  // Before timing a batch size, every impl runs the plan's calls once and
  // must write what it wrote over all rows at once (the batch paths: 1-row
  // columns into the row-major row, chunk offsets, the transposition).
  xInplace.expect = xDMatrix.expect = &xgbProb;
  iInterp.expect = iRaw.expect = &intOut;
  iJit.expect = iJitT.expect = jRaw.expect = &jitOut;
  auto verify = [&](std::initializer_list<Impl *> impls) {
    for (Impl *impl : impls) {
      if (!impl->enabled || !impl->expect)
        continue;
      std::fill(out.begin(), out.end(), NAN);
      for (size_t i = 0; i < plan.starts.size() && impl->enabled; ++i)
        impl->enabled = impl->call(i);
      int64_t bad = 0;
      for (int64_t st : plan.starts)
        for (int64_t r = st; r < st + plan.n; ++r)
          bad += std::memcmp(&out[r], &(*impl->expect)[r], 4) != 0;
      if (!impl->enabled || bad) {
        impl->enabled = false;
        std::string why = impl->name + " at batch " + std::to_string(plan.n) + ": " +
                          (bad ? std::to_string(bad) + " rows differ from its all-rows run"
                               : std::string("failed"));
        res.verifyErrors += (res.verifyErrors.empty() ? "" : "; ") + why;
      }
    }
  };

  // Batch 1: distinct rows spread over the data (a stride coprime with N).
  {
    int64_t calls = std::min(o.latencyCalls, N), stride = 7919;
    while (std::gcd(stride, N) != 1)
      ++stride;
    std::vector<int64_t> starts;
    for (int64_t i = 0; i < calls; ++i)
      starts.push_back((i * stride) % N);
    setPlan(1, starts);
    verify({&xInplace, &xDMatrix, &iInterp, &iJit, &jRaw, &iRaw});
    res.batches[1] = measure({&xInplace, &xOneTree, &xDMatrix, &iInterp, &iJit, &jRaw, &iRaw}, plan,
                             o.latencyRounds);
    auto it = res.batches[1].ns.find("xgb 1 tree");
    if (it != res.batches[1].ns.end())
      res.xgbOverheadNs = it->second;
    res.batches[1].ns.erase("xgb 1 tree");
    for (const char *k : {"jit raw", "interpreter raw"})
      if (auto it = res.batches[1].ns.find(k); it != res.batches[1].ns.end()) {
        (k[0] == 'j' ? res.jitRawNs : res.interpRawNs) = it->second;
        res.batches[1].ns.erase(it);
      }
  }
  // Batch 100: consecutive chunks.
  if (N >= 100) {
    std::vector<int64_t> starts;
    for (int64_t i = 0; i < o.chunks && (i + 1) * 100 <= N; ++i)
      starts.push_back(i * 100);
    setPlan(100, starts);
    verify({&xInplace, &xDMatrix, &iInterp, &iJit, &iJitT});
    res.batches[100] = measure({&xInplace, &xDMatrix, &iInterp, &iJit, &iJitT}, plan, o.rounds);
  }
  // Batch all.
  if (N > 100) {
    setPlan(N, {0});
    verify({&xInplace, &xDMatrix, &iInterp, &iJit, &iJitT});
    res.batches[N] = measure({&xInplace, &xDMatrix, &iInterp, &iJit, &iJitT}, plan, o.rounds);
  }
  if (!res.verifyErrors.empty() && res.status == "ok")
    res.status = "wrong results: " + res.verifyErrors;
  for (Impl *impl : {&xInplace, &xDMatrix, &iInterp, &iJit, &iJitT})
    if (!impl->enabled && impl->call && res.status == "ok")
      res.status = impl->name + " failed while timing";
  return res;
}

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

std::string fmt(double v, const char *spec = "{0:f1}") {
  return std::isnan(v) ? "-" : llvm::formatv(spec, v).str();
}

std::optional<double> get(const Measured &m, const std::string &k) {
  auto it = m.ns.find(k);
  if (it == m.ns.end())
    return std::nullopt;
  return it->second;
}

void printTable(const std::vector<ModelResult> &results) {
  llvm::outs() << llvm::formatv("{0,-14} {1,7} {2,9} {3,9} {4,11} {5,9} {6,9} {7,8} {8,9}\n",
                                "model", "batch", "xgb inpl", "xgb dmat", "interpreter", "jit",
                                "jit+T", "xgb/jit", "int/jit");
  for (const auto &r : results) {
    for (const auto &[batch, m] : r.batches) {
      auto xi = get(m, "xgb inplace"), xd = get(m, "xgb dmatrix"), in = get(m, "interpreter"),
           j = get(m, "jit"), jt = get(m, "jit+T");
      std::optional<double> xb;
      if (xi || xd)
        xb = std::min(xi.value_or(INFINITY), xd.value_or(INFINITY));
      std::string jitText = j ? fmt(*j) : (r.jitBackend == "interpreter" ? "fallback" : "-");
      llvm::outs() << llvm::formatv(
          "{0,-14} {1,7} {2,9} {3,9} {4,11} {5,9} {6,9} {7,8} {8,9}\n", r.name,
          batch == 1 ? "1*" : std::to_string(batch), xi ? fmt(*xi) : "-", xd ? fmt(*xd) : "-",
          in ? fmt(*in) : "-", jitText, jt ? fmt(*jt) : "-",
          xb && j ? fmt(*xb / *j, "{0:f2}x") : "-", in && j ? fmt(*in / *j, "{0:f2}x") : "-");
    }
  }
  llvm::outs() << "ns per row; batch 1*: median ns per call. xgb/jit uses the faster "
                  "XGBoost path.\n\n";
  for (const auto &r : results) {
    llvm::outs() << r.name << " (" << r.boostedRounds << " rounds): " << r.status << "\n";
    llvm::outs() << llvm::formatv(
        "  import {0} ms, parse {1} ms, interpreter {2} ms, jit compile {3} ms "
        "wall, {6} ms CPU (backend {4}); descriptor {5} bytes\n",
        fmt(r.importMs), fmt(r.parseMs), fmt(r.interpMs), fmt(r.compileMs),
        r.jitBackend.empty() ? "-" : r.jitBackend, r.descriptorBytes, fmt(r.compileCpuMs));
    llvm::outs() << llvm::formatv(
        "  agreement on {0} rows: jit vs interpreter {1} bit mismatches; max rel vs "
        "xgboost: jit {2}, interpreter {3} ({4} rows over 1e-6); C API vs Python: {5}\n",
        r.checkedRows,
        r.jitInterpBitMismatches < 0 ? std::string("-") : std::to_string(r.jitInterpBitMismatches),
        fmt(r.maxRelJitXgb, "{0:e2}"), fmt(r.maxRelInterpXgb, "{0:e2}"),
        r.over1e6 < 0 ? std::string("-") : std::to_string(r.over1e6),
        r.pythonCheck.empty() ? "-" : r.pythonCheck);
    llvm::outs() << llvm::formatv("  batch 1: xgboost call with 1 tree: {0} ns; compiled "
                                  "function alone {1} ns, interpreter alone {2} ns "
                                  "(without Kernel::run's checks)\n",
                                  fmt(r.xgbOverheadNs), fmt(r.jitRawNs), fmt(r.interpRawNs));
  }
}

llvm::json::Value toJSON(const ModelResult &r) {
  auto num = [](double v) -> llvm::json::Value {
    if (std::isnan(v))
      return nullptr;
    return std::isinf(v) ? llvm::json::Value(1e308) : llvm::json::Value(v);
  };
  llvm::json::Object batches;
  for (const auto &[batch, m] : r.batches) {
    llvm::json::Object o;
    for (const auto &[k, v] : m.ns)
      o[k] = num(v);
    batches[std::to_string(batch)] = std::move(o);
  }
  return llvm::json::Object{
      {"name", r.name},
      {"path", r.path},
      {"boosted_rounds", r.boostedRounds},
      {"status", r.status},
      {"xgb_error", r.xgbError},
      {"import_error", r.importError},
      {"parse_error", r.parseError},
      {"compile_error", r.compileError},
      {"jit_backend", r.jitBackend},
      {"fallback_reason", r.fallbackReason},
      {"import_ms", num(r.importMs)},
      {"parse_ms", num(r.parseMs)},
      {"interpreter_ms", num(r.interpMs)},
      {"compile_ms", num(r.compileMs)},
      {"compile_cpu_ms", num(r.compileCpuMs)},
      {"descriptor_bytes", static_cast<int64_t>(r.descriptorBytes)},
      {"checked_rows", r.checkedRows},
      {"jit_interp_bit_mismatches", r.jitInterpBitMismatches},
      {"max_rel_jit_xgb", num(r.maxRelJitXgb)},
      {"max_rel_interp_xgb", num(r.maxRelInterpXgb)},
      {"max_abs_jit_xgb", num(r.maxAbsJitXgb)},
      {"rows_over_1e-6", r.over1e6},
      {"python_check", r.pythonCheck},
      {"verify_errors", r.verifyErrors},
      {"xgb_one_tree_batch1_ns", num(r.xgbOverheadNs)},
      {"jit_raw_batch1_ns", num(r.jitRawNs)},
      {"interp_raw_batch1_ns", num(r.interpRawNs)},
      {"batches", std::move(batches)},
  };
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parseArgs(argc, argv, o)) {
    llvm::errs() << kUsage;
    return 2;
  }
  if (o.data.empty())
    o.data = sibling(o.models[0], "x_100k.f32");
  auto raw = readF32(o.data);
  if (!raw || raw->empty()) {
    llvm::errs() << "specjit-tree-bench: cannot read " << o.data << "\n";
    return 1;
  }
  Data data;
  data.features = o.features;
  {
    std::string shapePath = o.data;
    if (llvm::StringRef(shapePath).ends_with(".f32"))
      shapePath.resize(shapePath.size() - 4);
    std::ifstream shape(shapePath + ".shape");
    int64_t r = 0, c = 0;
    if (shape >> r >> c)
      data.features = c;
  }
  int64_t total = static_cast<int64_t>(raw->size()) / data.features;
  data.rows = o.rows > 0 ? std::min(o.rows, total) : total;
  data.rowMajor.assign(raw->begin(), raw->begin() + data.rows * data.features);
  data.cols.assign(data.features, std::vector<float>(data.rows));
  for (int64_t r = 0; r < data.rows; ++r)
    for (int64_t j = 0; j < data.features; ++j)
      data.cols[j][r] = data.rowMajor[r * data.features + j];

  // The first compile in a process initializes LLVM's target and the JIT:
  // pay it here, not in the first model's compile time.
  if (auto d =
          Descriptor::parse(R"({"specjit":1,"kind":"model","inputs":[{"name":"a","type":"f32"}],)"
                            R"("model":{"type":"linear","weights":[0.5],"intercepts":[0.25]},)"
                            R"("output":{"type":"f32"}})")) {
    CompileOptions co;
    co.useCache = false;
    co.specialize = true;
    if (auto k = compile(*d, co); !k)
      llvm::consumeError(k.takeError());
  } else {
    llvm::consumeError(d.takeError());
  }

  std::vector<ModelResult> results;
  for (const auto &m : o.models)
    results.push_back(benchModel(m, data, o));
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  std::string version = llvm::formatv("{0}.{1}.{2}", major, minor, patch).str();
  llvm::outs() << llvm::formatv("{0} rows x {1} f32 features; single thread; "
                                "XGBoost {2}\n\n",
                                data.rows, data.features, version);
  printTable(results);
  if (!o.jsonOut.empty()) {
    llvm::json::Array arr;
    for (const auto &r : results)
      arr.push_back(toJSON(r));
    llvm::json::Object top{{"rows", data.rows},
                           {"features", data.features},
                           {"xgboost", version},
                           {"rounds", o.rounds},
                           {"latency_rounds", o.latencyRounds},
                           {"latency_calls", o.latencyCalls},
                           {"chunks", o.chunks},
                           {"models", std::move(arr)}};
    std::error_code ec;
    llvm::raw_fd_ostream os(o.jsonOut, ec);
    if (ec) {
      llvm::errs() << "cannot write " << o.jsonOut << ": " << ec.message() << "\n";
      return 1;
    }
    os << llvm::json::Value(std::move(top)) << "\n";
  }
  return 0;
}
