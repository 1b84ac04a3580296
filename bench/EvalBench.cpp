//===- EvalBench.cpp - jit::evaluate on raw columns, timed -----------------===//
//
// specjit-eval-bench SCORES.f64 LABELS.f64 [ROUNDS] [jit|generic] [METRICS]:
// reads two raw little-endian f64 files of equal length (numpy's tofile),
// evaluates binary metrics over them with jit::evaluate ROUNDS times, and
// prints one JSON object: {"rows", "backend", "warmup_cpu_seconds",
// "cpu_seconds": [per round], "result": the metrics}. `jit` (the default)
// computes the pass over the rows with the compiled metrics kernel,
// `generic` with the generic code; METRICS is a comma-separated list
// (default: every binary metric). One untimed call comes first (for `jit`
// it compiles the kernel, once per process; its time is warmup_cpu_seconds).
// CPU time is the process's (CLOCK_PROCESS_CPUTIME_ID) around evaluate
// only; bench/eval_bench.py runs it interleaved with scikit-learn.
//
//===----------------------------------------------------------------------===//

#include "specjit/Eval.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

using namespace specjit::jit;

static double cpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool readDoubles(const char *path, std::vector<double> &out) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf || (*buf)->getBufferSize() % sizeof(double))
    return false;
  out.resize((*buf)->getBufferSize() / sizeof(double));
  std::memcpy(out.data(), (*buf)->getBufferStart(), (*buf)->getBufferSize());
  return true;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    llvm::errs() << "usage: specjit-eval-bench SCORES.f64 LABELS.f64 [ROUNDS] "
                    "[jit|generic] [METRICS]\n";
    return 2;
  }
  std::vector<double> scores, labels;
  if (!readDoubles(argv[1], scores) || !readDoubles(argv[2], labels) ||
      scores.size() != labels.size()) {
    llvm::errs() << "specjit-eval-bench: cannot read two f64 files of one length\n";
    return 1;
  }
  int rounds = argc > 3 ? std::atoi(argv[3]) : 1;
  std::string mode = argc > 4 ? argv[4] : "jit";
  if (mode != "jit" && mode != "generic") {
    llvm::errs() << "specjit-eval-bench: the backend is jit or generic, not '" << mode << "'\n";
    return 2;
  }
  std::string metrics = argc > 5 ? argv[5]
                                 : "accuracy,precision,recall,f1,precision_macro,"
                                   "recall_macro,f1_macro,roc_auc,log_loss,"
                                   "confusion_matrix";
  std::string list;
  for (llvm::StringRef rest = metrics; !rest.empty();) {
    auto [name, tail] = rest.split(',');
    list += (list.empty() ? "\"" : ",\"") + name.str() + "\"";
    rest = tail;
  }
  auto d =
      Descriptor::parse(R"({"specjit":1,"kind":"eval","task":"binary","label":"y","scores":["p"],)"
                        R"("metrics":[)" +
                        list + "]}");
  if (!d) {
    llvm::errs() << llvm::toString(d.takeError()) << "\n";
    return 1;
  }
  int64_t n = static_cast<int64_t>(scores.size());
  std::vector<Column> columns{Column::f64(scores.data(), n), Column::f64(labels.data(), n)};
  EvalOptions options;
  options.specialize = mode == "jit";
  double w0 = cpuSeconds();
  auto warmup = evaluate(*d, columns, options);
  double warmupSeconds = cpuSeconds() - w0;
  if (!warmup) {
    llvm::errs() << llvm::toString(warmup.takeError()) << "\n";
    return 1;
  }
  if ((warmup->metricsBackend == Backend::Jit) != (mode == "jit")) {
    llvm::errs() << "specjit-eval-bench: the metrics did not run on " << mode << " ("
                 << warmup->metricsFallbackReason << ")\n";
    return 1;
  }
  std::string times, json;
  for (int r = 0; r < rounds; ++r) {
    double t0 = cpuSeconds();
    auto result = evaluate(*d, columns, options);
    double t1 = cpuSeconds();
    if (!result) {
      llvm::errs() << llvm::toString(result.takeError()) << "\n";
      return 1;
    }
    times += (r ? "," : "") + std::to_string(t1 - t0);
    json = evalResultJson(*result);
  }
  llvm::outs() << "{\"rows\":" << n << ",\"backend\":\"" << mode
               << "\",\"warmup_cpu_seconds\":" << warmupSeconds << ",\"cpu_seconds\":[" << times
               << "],\"result\":" << json << "}\n";
  return 0;
}
