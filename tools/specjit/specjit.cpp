//===- specjit.cpp - The specjit driver -----------------------------------===//
//
//   specjit run DESC.json --input data.csv [--output out.csv] [--no-specialize]
//                                          [--compare]
//   specjit compile DESC.json [--emit=STAGE] [--dump-dir=DIR] [-o FILE] [--opt=N]
//                             [--threads=N] [--timing] [--pass-timing]
//   specjit info DESC.json
//   specjit bench DESC.json [--rows N] [--reps N] [--json]
//   specjit import xgboost MODEL.json [--features a,b,c] [--margin]
//   specjit train TRAIN.json --input DATA.csv --output MODEL.json [...]
//   specjit eval EVAL.json --input DATA.csv [--json]
//   specjit cache stats|list|clear [--json]
//
// Errors print one message and exit non-zero.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "Table.h"

#include "Engine/LLVMBackend.h"
#include "Families/Rules/RulesSpec.h"

#include "specjit/Import.h"
#include "specjit/specjit.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

using namespace specjit;
using namespace specjit::jit;
using specjit::tools::Args;
using specjit::tools::fail;
using specjit::tools::parseCount;

namespace {

using Clock = std::chrono::steady_clock;

/// Best wall time (ns) of `reps` runs of `kernel`.
llvm::Expected<double> timeKernel(const Kernel &kernel, const std::vector<Column> &in,
                                  const Output &out, int reps) {
  double best = INFINITY;
  for (int i = 0; i < reps; ++i) {
    auto t0 = Clock::now();
    if (auto err = kernel.run(in, out))
      return std::move(err);
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  return best;
}

struct OutputBuffer {
  std::vector<float> f32;
  std::vector<double> f64;
  Output view;
  OutputBuffer(DType type, int64_t rows, int64_t cols) {
    if (type == DType::F32) {
      f32.assign(rows * cols, 0.0f);
      view = Output::f32(f32.data(), rows, cols);
    } else {
      f64.assign(rows * cols, 0.0);
      view = Output::f64(f64.data(), rows, cols);
    }
  }
  double at(int64_t i) const { return f32.empty() ? f64[i] : f32[i]; }
};

void printSummary(const Kernel &k, const OutputBuffer &out, int64_t rows) {
  const auto &names = k.outputNames();
  size_t cols = names.size();
  llvm::outs() << llvm::formatv("  {0,-24} {1,12} {2,12} {3,12} {4,8}\n", "column", "mean", "min",
                                "max", "missing");
  for (size_t j = 0; j < cols; ++j) {
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    int64_t nan = 0;
    for (int64_t r = 0; r < rows; ++r) {
      double v = out.at(r * cols + j);
      if (std::isnan(v)) {
        ++nan;
        continue;
      }
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    int64_t n = rows - nan;
    llvm::outs() << llvm::formatv("  {0,-24} {1,12:g6} {2,12:g6} {3,12:g6} {4,8}\n", names[j],
                                  n ? sum / n : NAN, n ? lo : NAN, n ? hi : NAN, nan);
  }
}

llvm::StringRef descName(const Descriptor &d) { return d.name(); }

/// Name and hash line shared by the summaries.
void printHeader(const Descriptor &d) {
  llvm::StringRef name = descName(d);
  llvm::outs() << "specjit run: " << (name.empty() ? "(unnamed)" : name) << " [" << d.hash().hex()
               << "]\n";
}

/// specjit run for rules: the CSV is the initial state matrix; the output
/// is the state after the cascade. --compare runs the interpreter on a copy.
llvm::Error writeOutput(llvm::StringRef path, const Descriptor &d, const OutputBuffer &out,
                        int64_t rows) {
  const void *data = out.f32.empty() ? static_cast<const void *>(out.f64.data())
                                     : static_cast<const void *>(out.f32.data());
  return tools::writeCsv(path, d.outputNames(), data, d.outputType(), rows);
}

/// `run --json`: one summary object. `compile_ms` is the time compile()
/// took in this run (0.0x ms for a cache hit; for a tiered kernel, the
/// time to hand back an interpreting kernel).
void printRunJson(const Descriptor &d, const Kernel &k, int64_t rows, double compileMs,
                  double readMs, double runMs) {
  llvm::json::OStream j(llvm::outs());
  j.object([&] {
    j.attribute("descriptor", descName(d));
    j.attribute("hash", d.hash().hex());
    j.attribute("backend", backendName(k.backend()));
    j.attribute("cache", kernelSourceName(k.source()));
    j.attribute("tier", tierStateName(k.tierState()));
    j.attribute("compile_ms", compileMs);
    j.attribute("rows", rows);
    j.attribute("run_ms", runMs);
    j.attribute("csv_read_ms", readMs);
    j.attribute("fallback_reason", k.fallbackReason());
  });
  llvm::outs() << "\n";
}

int runRules(const Descriptor &d, const Kernel &kernel, const Args &a, double compileMs) {
  auto state = tools::readStateCsv(a.get("input"), d);
  if (!state)
    return fail(state.takeError());
  tools::StateMatrix initial = *state;
  auto timeOnce = [&](const Kernel &k, tools::StateMatrix &m) -> llvm::Expected<double> {
    // Every repetition starts from the initial state.
    double best = INFINITY;
    for (int i = 0; i < (a.has("compare") ? 5 : 1); ++i) {
      m = initial;
      auto t0 = Clock::now();
      if (auto err = k.run({}, m.view(d)))
        return std::move(err);
      best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    }
    return best;
  };
  auto ns = timeOnce(kernel, *state);
  if (!ns)
    return fail(ns.takeError());
  int64_t rows = state->rows;
  if (a.has("json") && !a.has("compare")) {
    if (a.has("output"))
      if (auto err = tools::writeCsv(a.get("output"), d.outputNames(), state->data(),
                                     d.outputType(), rows))
        return fail(std::move(err));
    printRunJson(d, kernel, rows, compileMs, 0, *ns / 1e6);
    return 0;
  }
  printHeader(d);
  llvm::outs() << llvm::formatv(
      "  agents {0}, meters {1} ({2}), rules {3}, steps {4}, backend {5}, compile {6:f1} ms\n",
      rows, d.numOutputs(), dtypeName(d.outputType()), d.spec<RulesSpec>().rules.size(),
      d.spec<RulesSpec>().steps, backendName(kernel.backend()), kernel.compileMillis());
  llvm::outs() << llvm::formatv("  run {0:f2} ms ({1:f2} ns/agent)\n", *ns / 1e6,
                                rows ? *ns / rows : 0.0);
  if (a.has("compare")) {
    CompileOptions io;
    io.specialize = false;
    auto ik = compile(d, io);
    if (!ik)
      return fail(ik.takeError());
    tools::StateMatrix ref = initial;
    auto ins = timeOnce(*ik, ref);
    if (!ins)
      return fail(ins.takeError());
    size_t n = rows * d.numOutputs();
    double maxDiff = 0;
    for (size_t i = 0; i < n; ++i) {
      double x = state->f32.empty() ? state->f64[i] : state->f32[i];
      double y = ref.f32.empty() ? ref.f64[i] : ref.f32[i];
      if (!(std::isnan(x) && std::isnan(y)))
        maxDiff = std::max(maxDiff, std::fabs(x - y));
    }
    llvm::outs() << llvm::formatv(
        "  interpreter {0:f2} ms ({1:f2} ns/agent, best of 5): JIT speedup {2:f2}x; "
        "max |jit - interpreter| = {3:g3}\n",
        *ins / 1e6, rows ? *ins / rows : 0.0, *ns > 0 ? *ins / *ns : 0.0, maxDiff);
  }
  if (a.has("output"))
    if (auto err =
            tools::writeCsv(a.get("output"), d.outputNames(), state->data(), d.outputType(), rows))
      return fail(std::move(err));
  return 0;
}

/// Applies --tree-layout; false (with the message in `error`) when invalid.
bool applyTreeLayout(const Args &a, CompileOptions &o, std::string &error) {
  if (!a.has("tree-layout"))
    return true;
  if (auto l = parseTreeLayout(a.get("tree-layout"))) {
    o.treeLayout = *l;
    return true;
  }
  error = "--tree-layout: expected auto, branches or walk";
  return false;
}

int cmdRun(int argc, char **argv) {
  Args a(argc, argv, {"no-specialize", "compare", "json", "tiered"},
         {"input", "output", "tree-layout"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1 || !a.has("input"))
    return fail("usage: specjit run DESC.json --input DATA.csv [--output OUT.csv] "
                "[--no-specialize] [--compare] [--json] [--tiered]");
  auto d = Descriptor::fromFile(a.positional[0]);
  if (!d)
    return fail(d.takeError());
  CompileOptions opts;
  if (a.has("no-specialize"))
    opts.specialize = false;
  if (a.has("tiered"))
    opts.tier = Tier::Tiered;
  std::string layoutError;
  if (!applyTreeLayout(a, opts, layoutError))
    return fail(layoutError);
  auto compileStart = Clock::now();
  auto kernel = compile(*d, opts);
  if (!kernel)
    return fail(kernel.takeError());
  double compileCallMs =
      std::chrono::duration<double, std::milli>(Clock::now() - compileStart).count();
  if (d->runShape() == RunShape::State)
    return runRules(*d, *kernel, a, compileCallMs);
  auto t0 = Clock::now();
  auto table = tools::readCsv(a.get("input"), d->inputs());
  if (!table)
    return fail(table.takeError());
  double readMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  int64_t rows = table->rows;
  // The output (twice with --compare) must fit before it is allocated.
  uint64_t outRowBytes = d->numOutputs() * dtypeSize(d->outputType());
  if (auto err = tools::checkRowsFit(rows, outRowBytes * (a.has("compare") ? 2 : 1), "the output"))
    return fail(std::move(err));
  OutputBuffer out(d->outputType(), rows, d->numOutputs());
  std::vector<Column> in = table->views();
  int reps = a.has("compare") ? 5 : 1;
  auto ns = timeKernel(*kernel, in, out.view, reps);
  if (!ns)
    return fail(ns.takeError());
  if (a.has("json") && !a.has("compare")) {
    if (a.has("output"))
      if (auto err = writeOutput(a.get("output"), *d, out, rows))
        return fail(std::move(err));
    printRunJson(*d, *kernel, rows, compileCallMs, readMs, *ns / 1e6);
    return 0;
  }

  printHeader(*d);
  llvm::outs() << llvm::formatv("  rows {0}, output {1} x {2} {3}, backend {4}, compile {5:f1} ms, "
                                "csv read {6:f1} ms\n",
                                rows, rows, d->numOutputs(), dtypeName(d->outputType()),
                                backendName(kernel->backend()), kernel->compileMillis(), readMs);
  if (!kernel->fallbackReason().empty())
    llvm::outs() << "  fallback reason: " << kernel->fallbackReason() << "\n";
  llvm::outs() << llvm::formatv("  run {0:f2} ms ({1:f2} ns/row{2})\n", *ns / 1e6,
                                rows ? *ns / rows : 0.0, reps > 1 ? ", best of 5" : "");
  printSummary(*kernel, out, rows);

  if (a.has("compare")) {
    CompileOptions io;
    io.specialize = false;
    auto ik = compile(*d, io);
    if (!ik)
      return fail(ik.takeError());
    OutputBuffer ref(d->outputType(), rows, d->numOutputs());
    auto ins = timeKernel(*ik, in, ref.view, reps);
    if (!ins)
      return fail(ins.takeError());
    double maxDiff = 0;
    int64_t nanMismatch = 0;
    for (int64_t i = 0; i < rows * static_cast<int64_t>(d->numOutputs()); ++i) {
      double x = out.at(i), y = ref.at(i);
      if (std::isnan(x) != std::isnan(y))
        ++nanMismatch;
      else if (!std::isnan(x))
        maxDiff = std::max(maxDiff, std::fabs(x - y));
    }
    llvm::outs() << llvm::formatv(
        "  interpreter {0:f2} ms ({1:f2} ns/row, best of 5): JIT speedup {2:f2}x; "
        "max |jit - interpreter| = {3:g3}, NaN mismatches {4}\n",
        *ins / 1e6, rows ? *ins / rows : 0.0, *ns > 0 ? *ins / *ns : 0.0, maxDiff, nanMismatch);
  }
  if (a.has("output"))
    if (auto err = writeOutput(a.get("output"), *d, out, rows))
      return fail(std::move(err));
  return 0;
}

/// The peak RSS of this process (getrusage ru_maxrss) in MiB.
double peakRSSMiB() {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
#ifdef __APPLE__
  return ru.ru_maxrss / (1024.0 * 1024.0); // bytes
#else
  return ru.ru_maxrss / 1024.0; // KiB
#endif
}

/// A memory figure of this process from /proc/self/status (VmRSS, VmHWM)
/// in MiB, where there is one (Linux).
std::optional<double> residentMiB(llvm::StringRef field) {
  auto status = llvm::MemoryBuffer::getFileAsStream("/proc/self/status");
  if (!status)
    return std::nullopt;
  llvm::SmallVector<llvm::StringRef, 64> lines;
  (*status)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    if (!line.consume_front(field) || !line.consume_front(":"))
      continue;
    llvm::StringRef value = line.trim();
    uint64_t kib;
    if (value.consume_back("kB") && !value.trim().getAsInteger(10, kib))
      return kib / 1024.0;
  }
  return std::nullopt;
}

/// Restarts the peak RSS (VmHWM, and so ru_maxrss) of this process at its
/// current RSS (Linux 4.0+); false where that is not possible.
bool resetPeakRSS() {
  std::error_code ec;
  llvm::raw_fd_ostream os("/proc/self/clear_refs", ec);
  if (ec)
    return false;
  os << "5";
  os.close();
  bool ok = !os.has_error();
  os.clear_error(); // not fatal: the report just leaves the figure out
  return ok;
}

/// The compiler's stages as --emit names them, from the stage table
/// (stageName): "descriptor, spec, ..., asm<last>obj".
std::string stageList(llvm::StringRef last = ", ") {
  std::string out;
  constexpr int kLast = static_cast<int>(Stage::Obj);
  for (int s = 0; s <= kLast; ++s)
    out += (s == 0 ? "" : s == kLast ? last.str() : ", ") + stageName(static_cast<Stage>(s)).str();
  return out;
}

int cmdCompile(int argc, char **argv) {
  Args a(argc, argv, {"timing", "pass-timing"},
         {"emit", "dump-dir", "o", "opt", "threads", "tree-layout"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1)
    return fail("usage: specjit compile DESC.json [--emit=STAGE] [--dump-dir=DIR] "
                "[-o FILE] [--opt=N] [--threads=N] [--timing] [--pass-timing]");
  auto d = Descriptor::fromFile(a.positional[0]);
  if (!d)
    return fail(d.takeError());
  CompileOptions opts;
  opts.useCache = false;
  int64_t opt = 3;
  if (a.has("opt") && (!parseCount(a.get("opt"), opt) || opt > 3))
    return fail("--opt: expected 0, 1, 2 or 3");
  opts.optLevel = static_cast<int>(opt);
  std::string layoutError;
  if (!applyTreeLayout(a, opts, layoutError))
    return fail(layoutError);
  int64_t threads = 0;
  if (a.has("threads") && (!parseCount(a.get("threads"), threads) || threads > 1024))
    return fail("--threads: expected a count (0: the hardware threads)");
  opts.compileThreads = static_cast<unsigned>(threads);
  if (a.has("pass-timing")) {
    // A first compile sets up the target and the JIT; the report is of a
    // second one.
    if (auto first = timeStages(*d, opts); !first)
      return fail(first.takeError());
    auto report = passTimes(*d, opts);
    if (!report)
      return fail(report.takeError());
    llvm::outs() << *report;
    return 0;
  }
  if (a.has("timing")) {
    // The process peak so far is reading the descriptor (large for big
    // models): restart the high-water mark (Linux) so that ru_maxrss then
    // shows the compiles' own.
    double readingPeak = peakRSSMiB();
    std::optional<double> rssBefore = residentMiB("VmRSS");
    bool peakReset = resetPeakRSS();
    // The first compile in a process also creates the JIT and initializes
    // the target; report it, then a steady-state compile stage by stage.
    auto first = timeStages(*d, opts);
    if (!first)
      return fail(first.takeError());
    double firstTotal = 0;
    for (auto &st : first->stages)
      firstTotal += st.second;
    auto times = timeStages(*d, opts);
    if (!times)
      return fail(times.takeError());
    llvm::outs() << llvm::formatv("first compile in this process: {0:f2} ms; "
                                  "then, stage by stage:\n",
                                  firstTotal);
    double total = 0;
    for (auto &[stage, ms] : times->stages) {
      llvm::outs() << llvm::formatv("  {0,-14} {1,8:f2} ms\n", stage, ms);
      total += ms;
    }
    llvm::outs() << llvm::formatv("  {0,-14} {1,8:f2} ms\n", "total", total);
    if (times->units > 1)
      llvm::outs() << llvm::formatv("compile units: {0}, optimized and compiled in "
                                    "parallel (llvm-opt and obj: wall time of all)\n",
                                    times->units);
    else
      llvm::outs() << "compile units: 1\n";
    if (peakReset && rssBefore)
      llvm::outs() << llvm::formatv(
          "peak RSS (getrusage ru_maxrss): {0:f1} MiB while compiling (from {1:f1} MiB "
          "before the first compile; reading the descriptor peaked at {2:f1} MiB)\n",
          peakRSSMiB(), *rssBefore, readingPeak);
    else
      llvm::outs() << llvm::formatv("peak RSS of the process (getrusage ru_maxrss): "
                                    "{0:f1} MiB\n",
                                    peakRSSMiB());
    // What the kernels are compiled for: bench/compile_breakdown.py passes
    // it on to its valgrind runs, whose emulated CPU lacks AVX-512.
    if (auto target = engine::hostTargetBuilder())
      llvm::outs() << "target: " << target->getTargetTriple().str() << ", cpu " << target->getCPU()
                   << ", features " << target->getFeatures().getString() << "\n";
    else
      return fail(target.takeError());
    return 0;
  }
  if (a.has("dump-dir")) {
    if (auto err = dumpStages(*d, a.get("dump-dir"), opts))
      return fail(std::move(err));
    if (!a.has("emit"))
      return 0;
  }
  std::string stageText = a.get("emit", "llvm-opt");
  auto stage = parseStage(stageText);
  if (!stage)
    return fail("--emit: unknown stage '" + stageText + "' (expected " + stageList(" or ") + ")");
  auto text = emitStage(*d, *stage, opts);
  if (!text)
    return fail(text.takeError());
  std::string outPath = a.get("o", "-");
  std::error_code ec;
  llvm::raw_fd_ostream os(outPath, ec);
  if (ec)
    return fail("cannot write '" + outPath + "': " + ec.message());
  os << *text;
  return 0;
}

int cmdInfo(int argc, char **argv) {
  Args a(argc, argv, {}, {});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1)
    return fail("usage: specjit info DESC.json");
  auto d = Descriptor::fromFile(a.positional[0]);
  if (!d)
    return fail(d.takeError());
  llvm::outs() << "kind: " << kindName(d->kind()) << "\n";
  llvm::outs() << "name: " << descName(*d) << "\n";
  llvm::outs() << "hash: " << d->hash().hex() << "\n";
  llvm::outs() << "valid: yes\n";
  if (d->runShape() != RunShape::State) {
    llvm::outs() << "inputs:";
    for (const InputColumn &in : d->inputs()) {
      llvm::outs() << " " << in.name << ":" << dtypeName(in.type);
      if (in.missing)
        llvm::outs() << "(missing=" << *in.missing << ")";
    }
    llvm::outs() << "\n";
  }
  llvm::outs() << d->summary();
  llvm::outs() << d->outputNoun() << " (" << d->numOutputs() << " x " << dtypeName(d->outputType())
               << "):";
  for (const std::string &n : d->outputNames())
    llvm::outs() << " " << n;
  llvm::outs() << "\ncanonical: " << d->canonical() << "\n";
  return 0;
}

/// `bench --tiered`: the time from compile() to the first result, tiered
/// (an interpreter run), interpreter only (no JIT at all: the baseline the
/// tiered first result is held to; medians of 5 pairs, and of the pairs'
/// differences in the caller thread's CPU time) and sync (the whole compile, then a
/// compiled run); the time until the tiered kernel runs compiled code; and,
/// while it compiles in the background, the caller's calls of `stallRows`
/// rows: the longest against the median.
struct TieredFigures {
  double compileCallMs = 0, firstResultMs = 0, interpreterFirstResultMs = 0, tieredOverheadMs = 0,
         syncFirstResultMs = 0, promotionMs = 0;
  bool promoted = false;
  int64_t stallRows = 0;
  double medianCallMs = 0, maxCallMs = 0, maxCallAloneMs = 0;
};
llvm::Expected<TieredFigures> measureTiered(const Descriptor &d, const CompileOptions &base,
                                            llvm::ArrayRef<Column> in, const Output &out) {
  auto ms = [](Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  TieredFigures f;
  CompileOptions io = base; // the baseline: a kernel that never compiles
  io.specialize = false;
  io.useCache = false;
  CompileOptions to = base;
  to.specialize = true;
  to.useCache = false;
  to.tier = Tier::Tiered;
  to.tierPolicy.compileAfterCalls = 1;
  to.tierPolicy.costModel = false;
  // compile() and one run, for either: the tiered kernel starts its
  // background compile at the end of the run. `cpuMs` is the caller
  // thread's CPU time (free of the machine's preemptions).
  auto threadCpuMs = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  };
  double cpuMs = 0;
  auto firstResult = [&](const CompileOptions &o, double &callMs,
                         std::optional<Kernel> &kernel) -> llvm::Expected<double> {
    double cpu0 = threadCpuMs();
    auto t0 = Clock::now();
    auto k = compile(d, o);
    if (!k)
      return k.takeError();
    callMs = ms(t0);
    if (auto err = k->run(in, out))
      return std::move(err);
    double total = ms(t0);
    cpuMs = threadCpuMs() - cpu0;
    kernel = std::move(*k);
    return total;
  };
  // Pairs in alternating order (a run's noise is larger than the overhead
  // measured); each tiered kernel finishes its compile before the next
  // measurement so that none runs beside a background compile.
  constexpr int kPairs = 5;
  std::vector<double> tiered, interpreted, diffs, calls;
  for (int p = 0; p < kPairs; ++p) {
    double pair[2], cpu[2], callMs[2] = {0, 0};
    for (int side : {p % 2, 1 - p % 2}) { // 0: interpreter only, 1: tiered
      std::optional<Kernel> k;
      auto t = firstResult(side ? to : io, callMs[side], k);
      if (!t)
        return t.takeError();
      pair[side] = *t;
      cpu[side] = cpuMs;
      if (side)
        k->waitForCompiled(std::chrono::milliseconds(120000));
    }
    interpreted.push_back(pair[0]);
    tiered.push_back(pair[1]);
    diffs.push_back(cpu[1] - cpu[0]);
    calls.push_back(callMs[1]);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  f.interpreterFirstResultMs = median(interpreted);
  f.firstResultMs = median(tiered);
  f.tieredOverheadMs = median(diffs);
  f.compileCallMs = median(calls);

  // A tiered kernel again, for the promotion and the stalls.
  std::optional<Kernel> tk;
  double callMs = 0;
  auto t0 = Clock::now();
  auto first = firstResult(to, callMs, tk);
  if (!first)
    return first.takeError();
  // Small calls while the compile runs: how long does a caller stall?
  // Calls of about 0.1 ms on the interpreter show a stall of that order.
  double nsPerRow = std::max(1.0, (*first - callMs) * 1e6 / out.rows);
  int64_t batch =
      std::clamp<int64_t>(int64_t(1e5 / nsPerRow), 1, std::min<int64_t>(1000, out.rows));
  f.stallRows = batch;
  std::vector<Column> small(in.begin(), in.end());
  for (Column &c : small)
    c.rows = batch;
  Output smallOut = out;
  smallOut.rows = batch;
  std::vector<double> smallCalls;
  while (tk->tierState() != TierState::Compiled && tk->tierState() != TierState::Failed &&
         ms(t0) < 120000) {
    auto c0 = Clock::now();
    if (auto err = tk->run(d.runShape() == RunShape::State ? llvm::ArrayRef<Column>()
                                                           : llvm::ArrayRef<Column>(small),
                           smallOut))
      return std::move(err);
    smallCalls.push_back(ms(c0));
  }
  f.promoted = tk->waitForCompiled(std::chrono::milliseconds(120000));
  f.promotionMs = ms(t0);
  if (!smallCalls.empty()) {
    f.medianCallMs = median(smallCalls);
    f.maxCallMs = *std::max_element(smallCalls.begin(), smallCalls.end());
  }
  // The machine's own jitter: as many calls on a kernel that never
  // compiles, with nothing compiling beside it.
  {
    std::optional<Kernel> ik;
    double ignored = 0;
    if (auto t = firstResult(io, ignored, ik); !t)
      return t.takeError();
    for (size_t i = 0; i < std::max<size_t>(smallCalls.size(), 100); ++i) {
      auto c0 = Clock::now();
      if (auto err = ik->run(d.runShape() == RunShape::State ? llvm::ArrayRef<Column>()
                                                             : llvm::ArrayRef<Column>(small),
                             smallOut))
        return std::move(err);
      f.maxCallAloneMs = std::max(f.maxCallAloneMs, ms(c0));
    }
  }
  CompileOptions so = to;
  so.tier = Tier::Sync;
  t0 = Clock::now();
  auto sk = compile(d, so);
  if (!sk)
    return sk.takeError();
  if (auto err = sk->run(in, out))
    return std::move(err);
  f.syncFirstResultMs = ms(t0);
  return f;
}

/// `bench --run-threads N`: one compiled run over all rows on the caller
/// alone against the same run split over N threads (wall time, best of
/// `reps`, interleaved), and whether the outputs are equal bit for bit.
struct ThreadFigures {
  unsigned threads = 0;
  double oneNs = INFINITY, splitNs = INFINITY;
  bool identical = true;
};
llvm::Expected<ThreadFigures> measureThreads(const Kernel &k, const Descriptor &d,
                                             const std::vector<Column> &in, int64_t rows,
                                             int64_t reps, unsigned threads) {
  ThreadFigures f;
  f.threads = threads;
  OutputBuffer one(d.outputType(), rows, d.numOutputs());
  OutputBuffer split(d.outputType(), rows, d.numOutputs());
  for (int64_t r = 0; r < reps; ++r)
    for (unsigned n : {1u, threads}) {
      auto t0 = Clock::now();
      if (auto err = k.run(in, n == 1 ? one.view : split.view, n))
        return std::move(err);
      double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      double &best = n == 1 ? f.oneNs : f.splitNs;
      best = std::min(best, ns);
    }
  // Rules update the state in place, run after run: both buffers saw the
  // same number of steps from zero.
  // Bits, not values: NaN equals NaN.
  f.identical = std::memcmp(one.f32.data(), split.f32.data(), one.f32.size() * 4) == 0 &&
                std::memcmp(one.f64.data(), split.f64.data(), one.f64.size() * 8) == 0;
  return f;
}

int cmdBench(int argc, char **argv) {
  Args a(argc, argv, {"json", "tiered"}, {"rows", "reps", "seed", "tree-layout", "run-threads"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1)
    return fail("usage: specjit bench DESC.json [--rows N] [--reps N] [--json] [--tiered] "
                "[--run-threads N]");
  int64_t rows = 1000000, reps = 7, seed = 42;
  if (a.has("rows") && (!parseCount(a.get("rows"), rows) || rows == 0))
    return fail("--rows: expected a positive integer");
  if (a.has("reps") && (!parseCount(a.get("reps"), reps) || reps == 0))
    return fail("--reps: expected a positive integer");
  if (a.has("seed") && !parseCount(a.get("seed"), seed))
    return fail("--seed: expected a non-negative integer");
  int64_t runThreads = -1;
  if (a.has("run-threads") && (!parseCount(a.get("run-threads"), runThreads) || runThreads > 1024))
    return fail("--run-threads: expected a thread count from 0 (the hardware's) to 1024");
  CompileOptions layoutOpts;
  std::string layoutError;
  if (!applyTreeLayout(a, layoutOpts, layoutError))
    return fail(layoutError);
  auto d = Descriptor::fromFile(a.positional[0]);
  if (!d)
    return fail(d.takeError());
  // The generated inputs and the two outputs must fit, checked up front.
  if (auto err = tools::checkRowsFit(
          rows, tools::generatedRowBytes(*d) + 2 * d->numOutputs() * dtypeSize(d->outputType()),
          "--rows " + llvm::Twine(rows)))
    return fail(std::move(err));

  // Cold compiles (no cache), median of 5.
  std::vector<double> compiles;
  for (int i = 0; i < 5; ++i) {
    CompileOptions o = layoutOpts;
    o.specialize = true;
    o.useCache = false;
    auto k = compile(*d, o);
    if (!k)
      return fail(k.takeError());
    if (k->backend() != Backend::Jit)
      return fail("the JIT fell back to the interpreter: " + k->fallbackReason());
    compiles.push_back(k->compileMillis());
  }
  std::sort(compiles.begin(), compiles.end());
  double compileMs = compiles[compiles.size() / 2];

  CompileOptions jo = layoutOpts, io = layoutOpts;
  jo.specialize = true;
  io.specialize = false;
  auto jk = compile(*d, jo);
  auto ik = compile(*d, io);
  if (!jk)
    return fail(jk.takeError());
  if (!ik)
    return fail(ik.takeError());
  // Cache hits: the same descriptor again.
  const int lookups = 100000;
  auto t0 = Clock::now();
  for (int i = 0; i < lookups; ++i) {
    auto k = compile(*d, jo);
    if (!k)
      return fail(k.takeError());
  }
  double hitNs = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / lookups;

  tools::Table table = tools::generateInputs(*d, rows, static_cast<uint64_t>(seed));
  std::vector<Column> in = table.views();
  OutputBuffer jout(d->outputType(), rows, d->numOutputs());
  OutputBuffer iout(d->outputType(), rows, d->numOutputs());
  if (d->runShape() == RunShape::State) {
    // The output is the state matrix, updated in place run after run.
    tools::StateMatrix st = tools::generateState(*d, rows, static_cast<uint64_t>(seed));
    // Copy into the existing buffers: the views point at them.
    std::copy(st.f32.begin(), st.f32.end(), jout.f32.begin());
    std::copy(st.f32.begin(), st.f32.end(), iout.f32.begin());
    std::copy(st.f64.begin(), st.f64.end(), jout.f64.begin());
    std::copy(st.f64.begin(), st.f64.end(), iout.f64.begin());
  }
  // Interleave so both see the same machine conditions.
  double jitNs = INFINITY, intNs = INFINITY;
  for (int64_t r = 0; r < reps; ++r) {
    auto j = timeKernel(*jk, in, jout.view, 1);
    if (!j)
      return fail(j.takeError());
    auto i = timeKernel(*ik, in, iout.view, 1);
    if (!i)
      return fail(i.takeError());
    jitNs = std::min(jitNs, *j);
    intNs = std::min(intNs, *i);
  }
  double jitPerRow = jitNs / rows, intPerRow = intNs / rows;
  std::optional<ThreadFigures> threads;
  if (runThreads >= 0) {
    auto t = measureThreads(*jk, *d, in, rows, reps, static_cast<unsigned>(runThreads));
    if (!t)
      return fail(t.takeError());
    threads = *t;
  }
  std::optional<TieredFigures> tiered;
  if (a.has("tiered")) {
    auto t = measureTiered(*d, layoutOpts, in, jout.view);
    if (!t)
      return fail(t.takeError());
    tiered = *t;
  }
  if (a.has("json")) {
    std::string extra;
    if (tiered)
      extra = llvm::formatv(
          ", \"first_result_ms\": {0:f3}, \"sync_first_result_ms\": {1:f3}, "
          "\"promoted\": {2}, \"promotion_ms\": {3:f3}, \"median_call_ms\": {4:f4}, "
          "\"max_call_ms_while_compiling\": {5:f4}, \"tiered_compile_call_ms\": {6:f3}, "
          "\"interpreter_first_result_ms\": {7:f3}, \"stall_call_rows\": {8}, "
          "\"tiered_overhead_ms\": {9:f3}, \"max_call_ms_interpreter_alone\": {10:f4}",
          tiered->firstResultMs, tiered->syncFirstResultMs, tiered->promoted ? "true" : "false",
          tiered->promotionMs, tiered->medianCallMs, tiered->maxCallMs, tiered->compileCallMs,
          tiered->interpreterFirstResultMs, tiered->stallRows, tiered->tieredOverheadMs,
          tiered->maxCallAloneMs);
    if (threads)
      extra +=
          llvm::formatv(", \"run_threads\": {0}, \"jit_one_thread_ns_per_row\": {1:f4}, "
                        "\"jit_threads_ns_per_row\": {2:f4}, \"threads_speedup\": {3:f3}, "
                        "\"threads_identical\": {4}",
                        threads->threads, threads->oneNs / rows, threads->splitNs / rows,
                        threads->oneNs / threads->splitNs, threads->identical ? "true" : "false")
              .str();
    llvm::outs() << llvm::formatv(
        "{{\"descriptor\": \"{0}\", \"hash\": \"{1}\", \"rows\": {2}, "
        "\"reps\": {3}, \"jit_ns_per_row\": {4:f4}, \"interpreter_ns_per_row\": {5:f4}, "
        "\"speedup\": {6:f3}, \"compile_ms\": {7:f3}, \"cache_hit_ns\": {8:f1}{9}}\n",
        descName(*d), d->hash().hex(), rows, reps, jitPerRow, intPerRow, intPerRow / jitPerRow,
        compileMs, hitNs, extra);
    return 0;
  }
  llvm::outs() << llvm::formatv("specjit bench: {0} ({1} rows, best of {2})\n"
                                "  jit          {3,8:f3} ns/row\n"
                                "  interpreter  {4,8:f3} ns/row\n"
                                "  speedup      {5,8:f2}x\n"
                                "  cold compile {6,8:f2} ms (median of 5)\n"
                                "  cache hit    {7,8:f1} ns\n",
                                descName(*d), rows, reps, jitPerRow, intPerRow,
                                intPerRow / jitPerRow, compileMs, hitNs);
  if (threads)
    llvm::outs() << llvm::formatv("  {0} threads  {1,8:f3} ns/row ({2:f2}x one thread; {3})\n",
                                  threads->threads, threads->splitNs / rows,
                                  threads->oneNs / threads->splitNs,
                                  threads->identical ? "bit for bit equal" : "OUTPUTS DIFFER");
  return 0;
}

int cmdImport(int argc, char **argv) {
  const char *usage = "usage: specjit import xgboost MODEL.json [--features NAME[:TYPE],...] "
                      "[--margin]";
  Args a(argc, argv, {"margin"}, {"features"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 2 || a.positional[0] != "xgboost")
    return fail(usage);
  XGBoostImportOptions opts;
  opts.margin = a.has("margin");
  if (a.has("features")) {
    std::string list = a.get("features");
    llvm::SmallVector<llvm::StringRef, 32> items;
    llvm::StringRef(list).split(items, ',');
    bool anyType = false;
    std::vector<DType> types;
    for (llvm::StringRef item : items) {
      auto [name, type] = item.split(':');
      name = name.trim();
      if (name.empty())
        return fail("--features: empty feature name in '" + list + "'");
      opts.featureNames.push_back(name.str());
      DType t = DType::F32;
      if (item.contains(':')) {
        anyType = true;
        auto parsed = parseDType(type.trim());
        if (!parsed || *parsed == DType::String)
          return fail("--features: '" + item.str() +
                      "': the type must be f32, f64, i32, i64 or bool");
        t = *parsed;
      }
      types.push_back(t);
    }
    if (anyType)
      opts.featureTypes = std::move(types);
  }
  auto text = importXGBoostFile(a.positional[1], opts);
  if (!text)
    return fail(text.takeError());
  llvm::outs() << *text;
  return 0;
}

/// Every subcommand: its name, its entry, and its usage text (the synopsis
/// line(s), then the description), from which `specjit --help` is made.
struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
};

const Command kCommands[] = {
    {"run", cmdRun,
     R"(run DESC.json --input DATA.csv [--output OUT.csv] [--no-specialize] [--compare]
    [--tree-layout=L] [--json] [--tiered]
    Run a descriptor over CSV data. Prints a summary of the output; with
    --compare also runs the interpreter and reports the JIT speedup; with
    --json one object instead (backend, cache: compiled | memory | disk,
    compile_ms, rows, run_ms, ...). --tiered compiles in the background
    (the run itself starts on the interpreter).)"},
    {"compile", cmdCompile, R"(compile DESC.json [--emit=STAGE] [--dump-dir=DIR] [-o FILE] [--opt=N]
                 [--threads=N] [--timing] [--pass-timing] [--tree-layout=L]
    Print one stage of the compiler (default llvm-opt), or write every
    stage to DIR/NN-stage.ext, or (--timing) the time each stage takes,
    the number of compile units and the peak RSS, or (--pass-timing) the
    time of every MLIR pass, LLVM optimization pass and code generation
    pass of a steady-state compile. Large kernels compile
    as up to N units in parallel (default 0: the hardware threads; 1:
    one unit); --emit and --dump-dir always show the whole, unsplit kernel.
    Stages: {stages}.)"},
    {"info", cmdInfo, R"(info DESC.json
    Kind, canonical hash, inputs, outputs and the validation result.)"},
    {"bench", cmdBench,
     R"(bench DESC.json [--rows N] [--reps N] [--json] [--tree-layout=L] [--tiered]
      [--run-threads N]
    JIT vs interpreter on generated data (default 1000000 rows). --tiered
    adds the time to the first result (tiered and sync), whether and when
    the tiered kernel was promoted, and the caller's longest call while it
    compiled. --run-threads N adds the compiled run split over N threads
    (0: the hardware's) against one, and whether the outputs are equal.)"},
    {"train", tools::cmdTrain,
     R"(train TRAIN.json --input DATA.csv --output MODEL.json [--history H.csv]
    [--no-specialize] [--quiet]
    Train the model a train descriptor describes on CSV data (the inputs
    and the label column); write the trained model descriptor, and the
    per-epoch history as CSV. A progress bar on a terminal, one line per
    epoch otherwise.)"},
    {"eval", tools::cmdEval, R"(eval EVAL.json --input DATA.csv [--json]
    Compute an eval descriptor's metrics (or cross-validation folds) over
    CSV data: a table, or one JSON object.)"},
    {"export", tools::cmdExport,
     R"(export DESC.json -o KERNEL.o --header KERNEL.h [--symbol NAME] [--opt=N] [--tree-layout=L]
    Compile a descriptor ahead of time: the object holds the code the JIT
    runs, entry NAME (default specjit_kernel), for C programs that link it
    with libm (and libmvec where the header says); the header declares it
    and documents the argument slots, the outputs and the hash.)"},
    {"import", cmdImport, R"(import xgboost MODEL.json [--features NAME[:TYPE],...] [--margin]
    Convert an XGBoost JSON model (Booster.save_model("m.json")) into a
    model descriptor, printed on stdout. --features names the inputs (one
    per model feature; TYPE f32 (default), f64, i32, i64 or bool);
    --margin outputs the margins instead of the transformed prediction.)"},
    {"check", tools::cmdCheck, R"(check CASE.json...
    Run reference cases (a descriptor or an XGBoost model, its inputs and
    what the reference computes; test/data/<family>/) through the JIT and
    the interpreter: both must match the reference within the case's
    tolerance, and each other. One line per case; exit status 1 if any
    failed.)"},
    {"cache", tools::cmdCache, R"(cache stats|list|clear [--json]
    The persistent cache of compiled kernels (docs/runtime.md): its
    directory, size and bound, and this process's hits, misses, stores and
    rejected entries; one line per entry (hash, kind, bytes, last use,
    key); or remove every entry.)"},
};

const char *kUsageFooter = R"(
  --tree-layout=auto|branches|walk picks the code shape of tree ensembles
  (docs/model-semantics.md, "Code shape"); the results are the same.

environment:
  SPECJIT_SPECIALIZE=0|1   switch specialization off or on (default on)
  SPECJIT_MAX_DESCRIPTOR_MB, SPECJIT_MAX_CSV_MB, SPECJIT_MAX_MODEL_MB
                           largest descriptor, CSV file and model to import,
                           in MiB (default 64, 1024, 1024; docs/reliability.md)
  SPECJIT_CACHE=0|1        the persistent cache of compiled kernels (default on)
  SPECJIT_CACHE_DIR        its directory (default $XDG_CACHE_HOME/specjit,
                           else ~/.cache/specjit)
  SPECJIT_CACHE_MAX_MB     its size bound in MiB (default 512)
  SPECJIT_TARGET_CPU, SPECJIT_TARGET_FEATURES
                           compile for this LLVM CPU name (and "+avx512f,..."
                           feature list) instead of the host's: for measuring
                           compiles under emulators (docs/runtime.md)
)";

/// The usage text: every command's, in table order ("{stages}" standing
/// for the stage list), then the footer.
std::string usage() {
  std::string out = "usage: specjit <command> [options]\n\ncommands:\n";
  for (const Command &c : kCommands) {
    llvm::SmallVector<llvm::StringRef, 8> lines;
    llvm::StringRef(c.usage).split(lines, '\n');
    for (llvm::StringRef line : lines) {
      std::string text = line.str();
      if (size_t at = text.find("{stages}"); at != std::string::npos)
        text.replace(at, 8, stageList());
      out += "  " + text + "\n";
    }
  }
  return out + kUsageFooter;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2) {
    llvm::errs() << usage();
    return 2;
  }
  llvm::StringRef cmd(argv[1]);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    llvm::outs() << usage();
    return 0;
  }
  for (const Command &c : kCommands)
    if (cmd == c.name)
      return c.run(argc - 2, argv + 2);
  llvm::errs() << "specjit: error: unknown command '" << cmd << "'\n\n" << usage();
  return 2;
}
