//===- CompileUnitsTest.cpp - Large kernels as parallel compile units -----===//
//
// Big tree ensembles are split into several LLVM modules compiled on their
// own threads and linked into one JITDylib. The result must be the very
// code the interpreter describes: bit for bit, NaN included.
//
//===----------------------------------------------------------------------===//

#include "specjit/specjit.h"

#include "Engine/CompileUnits.h"
#include "Engine/JIT.h"
#include "Engine/LLVMBackend.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Target/TargetMachine.h"

#include "gtest/gtest.h"

#include "ParseIR.h"
#include "TestData.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace specjit::jit;
using specjit_test::parseIR;
using specjit_test::parseOrDie;

namespace {

constexpr int kFeatures = 10;

/// `trees` random complete trees of depth `depth` over kFeatures f32
/// features, XGBoost style (float32), margins out in f64 so the comparison
/// is exact (no link through a vector math library); with several
/// `outputs`, tree t adds to output t % outputs.
std::string randomForest(unsigned seed, int trees, int depth, bool float32 = true,
                         int outputs = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> value(0.0, 1.0);
  std::uniform_int_distribution<int> feature(0, kFeatures - 1);
  std::bernoulli_distribution coin(0.5);
  char buf[64];
  auto num = [&](double v) {
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return std::string(buf);
  };
  std::string s = R"({"specjit": 1, "kind": "model", "name": "forest", "inputs": [)";
  for (int f = 0; f < kFeatures; ++f)
    s += (f ? ", " : "") + std::string(R"({"name": "x)") + std::to_string(f) +
         R"(", "type": "f32"})";
  s += R"(], "model": {"type": "tree_ensemble", "num_outputs": )" + std::to_string(outputs) +
       R"(, "float32": )";
  s += float32 ? "true" : "false";
  s += R"(, "base_score": [)";
  for (int o = 0; o < outputs; ++o)
    s += (o ? ", " : "") + num(0.25 + 0.125 * o);
  s +=
      outputs == 1 ? R"(], "link": "logistic", "trees": [)" : R"(], "link": "softmax", "trees": [)";
  int splits = (1 << depth) - 1, nodes = (1 << (depth + 1)) - 1;
  for (int t = 0; t < trees; ++t) {
    s += t ? ", " : "";
    s += R"({"group": )" + std::to_string(t % outputs) + R"(, "nodes": [)";
    for (int i = 0; i < nodes; ++i) {
      s += i ? ", " : "";
      if (i < splits)
        s += R"({"feature": )" + std::to_string(feature(rng)) + R"(, "threshold": )" +
             num(value(rng)) + R"(, "left": )" + std::to_string(2 * i + 1) + R"(, "right": )" +
             std::to_string(2 * i + 2) + R"(, "default_left": )" + (coin(rng) ? "true" : "false") +
             "}";
      else
        s += R"({"leaf": )" + num(0.1 * value(rng)) + "}";
    }
    s += "]}";
  }
  s += R"(]}, "output": {"type": "f64", "margin": true}})";
  return s;
}

/// Feature columns with NaN, infinities, -0.0 and values near 0 (where the
/// thresholds are dense).
struct Inputs {
  std::vector<std::vector<float>> cols;
  int64_t rows;
  Inputs(unsigned seed, int64_t n) : cols(kFeatures), rows(n) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> value(0.0f, 1.5f);
    std::uniform_int_distribution<int> pick(0, 99);
    for (auto &c : cols)
      for (int64_t r = 0; r < n; ++r) {
        int p = pick(rng);
        c.push_back(p < 10    ? NAN
                    : p == 10 ? INFINITY
                    : p == 11 ? -INFINITY
                    : p == 12 ? -0.0f
                              : value(rng));
      }
  }
  std::vector<Column> columns() const {
    std::vector<Column> v;
    for (const auto &c : cols)
      v.push_back(Column::f32(c.data(), rows));
    return v;
  }
};

bool sameBits(double a, double b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

CompileOptions jitOptions(unsigned threads) {
  CompileOptions o;
  o.specialize = true;
  o.useCache = false;
  // More units than this host may have threads: the split must not depend
  // on the machine the test runs on.
  o.compileThreads = threads;
  // The branches layout: many functions of nested branches, the code that
  // needs splitting (the walk layout is one small function whatever the
  // ensemble).
  o.treeLayout = TreeLayout::Branches;
  return o;
}

/// Runs `k` and the interpreter for `d` on the same inputs; returns the
/// number of outputs that differ in any bit (NaNs alike).
int64_t mismatchesAgainstInterpreter(const Descriptor &d, const Kernel &k, const Inputs &in) {
  CompileOptions io;
  io.specialize = false;
  io.useCache = false;
  auto ik = compile(d, io);
  if (!ik) {
    ADD_FAILURE() << llvm::toString(ik.takeError());
    return -1;
  }
  size_t cols = k.numOutputs(), n = static_cast<size_t>(in.rows) * cols;
  std::vector<double> a(n, 1.0), b(n, 2.0);
  if (auto err = k.run(in.columns(), Output::f64(a.data(), in.rows, cols))) {
    ADD_FAILURE() << llvm::toString(std::move(err));
    return -1;
  }
  if (auto err = ik->run(in.columns(), Output::f64(b.data(), in.rows, cols))) {
    ADD_FAILURE() << llvm::toString(std::move(err));
    return -1;
  }
  int64_t bad = 0;
  for (size_t i = 0; i < n; ++i)
    if (!sameBits(a[i], b[i]) && bad++ < 5)
      ADD_FAILURE() << "row " << i / cols << " column " << i % cols << ": jit " << a[i]
                    << " vs interpreter " << b[i];
  return bad;
}

TEST(CompileUnits, LargeTreeEnsembleSplitsAndMatchesInterpreter) {
  // 150 trees of depth 6 (19050 nodes): ~75 chunk functions plus the kernel.
  Descriptor d = parseOrDie(randomForest(1, 150, 6));
  auto k = compile(d, jitOptions(4));
  ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
  ASSERT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
  EXPECT_EQ(k->compileUnits(), 4u);
  Inputs in(2, 3000);
  EXPECT_EQ(mismatchesAgainstInterpreter(d, *k, in), 0);
  // And in f64 (thresholds, leaves and sums), as three units.
  Descriptor d64 = parseOrDie(randomForest(3, 150, 6, /*float32=*/false));
  auto k64 = compile(d64, jitOptions(3));
  ASSERT_TRUE(static_cast<bool>(k64));
  ASSERT_EQ(k64->backend(), Backend::Jit) << k64->fallbackReason();
  EXPECT_EQ(k64->compileUnits(), 3u);
  EXPECT_EQ(mismatchesAgainstInterpreter(d64, *k64, in), 0);
}

// Ten margins a row: too wide for an interleaved store, so the walk
// layout's blocked row loop stores them through its output tile; the
// branches layout stores them column by column.
TEST(CompileUnits, MulticlassMarginsOfBothLayoutsMatchInterpreter) {
  Descriptor d = parseOrDie(randomForest(5, 60, 4, /*float32=*/true, /*outputs=*/10));
  Inputs in(6, 1000);
  for (TreeLayout layout : {TreeLayout::Walk, TreeLayout::Branches}) {
    CompileOptions o = jitOptions(1);
    o.treeLayout = layout;
    auto k = compile(d, o);
    ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
    ASSERT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
    ASSERT_EQ(k->numOutputs(), 10u);
    EXPECT_EQ(mismatchesAgainstInterpreter(d, *k, in), 0);
  }
}

TEST(CompileUnits, OneUnitWhenSmallOrAskedFor) {
  // Small kernels are never split, however many threads are allowed.
  Descriptor small = parseOrDie(randomForest(4, 3, 3));
  auto k = compile(small, jitOptions(8));
  ASSERT_TRUE(static_cast<bool>(k));
  ASSERT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
  EXPECT_EQ(k->compileUnits(), 1u);
  Inputs in(5, 500);
  EXPECT_EQ(mismatchesAgainstInterpreter(small, *k, in), 0);
  // compileThreads = 1 keeps a large one whole.
  Descriptor large = parseOrDie(randomForest(6, 60, 6));
  auto one = compile(large, jitOptions(1));
  ASSERT_TRUE(static_cast<bool>(one));
  ASSERT_EQ(one->backend(), Backend::Jit) << one->fallbackReason();
  EXPECT_EQ(one->compileUnits(), 1u);
  EXPECT_EQ(mismatchesAgainstInterpreter(large, *one, in), 0);
  // The interpreter has no compile units.
  CompileOptions io;
  io.specialize = false;
  auto ik = compile(large, io);
  ASSERT_TRUE(static_cast<bool>(ik));
  EXPECT_EQ(ik->compileUnits(), 0u);
}

TEST(CompileUnits, TimingReportsTheUnitsAndTheSplit) {
  Descriptor d = parseOrDie(randomForest(7, 60, 6));
  auto times = timeStages(d, jitOptions(2));
  ASSERT_TRUE(static_cast<bool>(times)) << llvm::toString(times.takeError());
  EXPECT_EQ(times->units, 2u);
  std::vector<std::string> names;
  for (auto &[name, ms] : times->stages) {
    names.push_back(name);
    EXPECT_GE(ms, 0.0) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"descriptor", "spec", "lowered", "llvm-dialect",
                                             "llvm", "split", "llvm-opt", "obj", "jit-link"}));
  // --emit=obj stays one object of the whole kernel.
  auto obj = emitStage(d, Stage::Obj, jitOptions(2));
  ASSERT_TRUE(static_cast<bool>(obj)) << llvm::toString(obj.takeError());
  EXPECT_EQ(obj->substr(0, 4), "\x7f"
                               "ELF");
}

TEST(CompileUnits, PassTimesCoverEveryPipelineOfTheWholeKernel) {
  // A kernel that would split: the pass report compiles it whole, and a
  // second report in the same process starts from fresh timers.
  Descriptor d = parseOrDie(randomForest(7, 60, 6));
  for (int round = 0; round < 2; ++round) {
    auto report = passTimes(d, jitOptions(2));
    ASSERT_TRUE(static_cast<bool>(report)) << llvm::toString(report.takeError());
    llvm::StringRef text(*report);
    size_t mlir = text.find("MLIR stages and passes:");
    size_t opt = text.find("InstCombinePass");
    size_t isel = text.find("X86 DAG->DAG Instruction Selection");
    ASSERT_NE(mlir, llvm::StringRef::npos) << *report;
    ASSERT_NE(opt, llvm::StringRef::npos) << *report;
    ASSERT_NE(isel, llvm::StringRef::npos) << *report;
    EXPECT_LT(mlir, opt);
    EXPECT_LT(opt, isel);
    EXPECT_EQ(text.count("X86 DAG->DAG Instruction Selection"), 1u)
        << "one code generation report, of one unit";
  }
}

TEST(CompileUnits, ConcurrentCompilesOfLargeModelsAgree) {
  // Three threads, each compiling a different large model as two units (so
  // up to six LLVM threads at once, each with its own context and target
  // machine), then checking it against the interpreter.
  constexpr int kModels = 3;
  std::vector<Descriptor> ds;
  for (int m = 0; m < kModels; ++m)
    ds.push_back(parseOrDie(randomForest(100 + m, 60 + 10 * m, 6)));
  std::vector<Kernel> kernels(kModels);
  std::vector<std::string> errors(kModels);
  std::vector<std::thread> threads;
  for (int m = 0; m < kModels; ++m)
    threads.emplace_back([&, m] {
      auto k = compile(ds[m], jitOptions(2));
      if (!k)
        errors[m] = llvm::toString(k.takeError());
      else
        kernels[m] = *k;
    });
  for (auto &t : threads)
    t.join();
  Inputs in(9, 2000);
  for (int m = 0; m < kModels; ++m) {
    ASSERT_TRUE(errors[m].empty()) << errors[m];
    ASSERT_EQ(kernels[m].backend(), Backend::Jit) << kernels[m].fallbackReason();
    EXPECT_EQ(kernels[m].compileUnits(), 2u);
    EXPECT_EQ(mismatchesAgainstInterpreter(ds[m], kernels[m], in), 0) << "model " << m;
  }
  // Different models give different results (the kernels are not mixed up).
  std::vector<double> a(10), b(10);
  Inputs few(10, 10);
  ASSERT_FALSE(kernels[0].run(few.columns(), Output::f64(a.data(), 10, 1)));
  ASSERT_FALSE(kernels[1].run(few.columns(), Output::f64(b.data(), 10, 1)));
  EXPECT_NE(a, b);
}

// A kernel by hand, with what a split must carry across units: internal
// functions called from another unit, an internal constant table read by two
// units, an internal mutable global used by one.
const char *kHandKernel = R"IR(
@table = private unnamed_addr constant [4 x double] [double 1.0, double 2.0, double 3.0, double 4.0]
@calls = internal global i64 0

define internal double @twice(i64 %i) noinline {
  %p = getelementptr [4 x double], ptr @table, i64 0, i64 %i
  %v = load double, ptr %p
  %r = fmul double %v, 2.0
  ret double %r
}

define internal double @plus_one(i64 %i) noinline {
  %p = getelementptr [4 x double], ptr @table, i64 0, i64 %i
  %v = load double, ptr %p
  %n = load i64, ptr @calls
  %n1 = add i64 %n, 1
  store i64 %n1, ptr @calls
  %r = fadd double %v, 1.0
  ret double %r
}

define internal double @both(i64 %i) noinline {
  %a = call double @twice(i64 %i)
  %b = call double @plus_one(i64 %i)
  %r = fadd double %a, %b
  ret double %r
}

define i64 @specjit_kernel(ptr %args, ptr %out, i64 %rows) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %k = and i64 %i, 3
  %v = call double @both(i64 %k)
  %p = getelementptr double, ptr %out, i64 %i
  store double %v, ptr %p
  %i1 = add i64 %i, 1
  %done = icmp eq i64 %i1, %rows
  br i1 %done, label %exit, label %loop
exit:
  ret i64 0
}
)IR";

TEST(CompileUnits, SplitCarriesInternalFunctionsAndConstants) {
  using namespace specjit::engine;
  llvm::LLVMContext ctx;
  auto m = parseIR(ctx, kHandKernel);
  ASSERT_TRUE(m);
  auto tm = createHostTargetMachine(3);
  ASSERT_TRUE(static_cast<bool>(tm)) << llvm::toString(tm.takeError());
  prepareModuleForHost(*m, **tm);
  // Too small for the default threshold; split anyway, one function a unit.
  EXPECT_FALSE(planCompileUnits(*m, 4));
  auto plan = planCompileUnits(*m, 4, /*minInstructions=*/1);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->units, 4u);
  auto units = CompileUnits::split(m, *plan, 3);
  ASSERT_TRUE(static_cast<bool>(units)) << llvm::toString(units.takeError());
  EXPECT_FALSE(m); // unit 0 took it
  ASSERT_FALSE((*units)->optimize());
  auto objects = (*units)->emit();
  ASSERT_TRUE(static_cast<bool>(objects)) << llvm::toString(objects.takeError());
  ASSERT_EQ(objects->size(), 4u);
  auto k = loadKernelObjects(std::move(*objects), "hand_kernel");
  ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
  double out[6];
  ASSERT_EQ((*k)->fn(nullptr, out, 6), 0);
  const double expected[4] = {2 + 2, 4 + 3, 6 + 4, 8 + 5};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(out[i], expected[i % 4]) << i;
}

TEST(CompileUnits, SplitRefusesSharedMutableDataAndLeavesTheModule) {
  using namespace specjit::engine;
  // @calls is now written by two functions: which unit would own it?
  std::string text = kHandKernel;
  text.replace(text.find("  %r = fmul double %v, 2.0"), 0, "  store i64 7, ptr @calls\n");
  llvm::LLVMContext ctx;
  auto m = parseIR(ctx, text.c_str());
  ASSERT_TRUE(m);
  auto plan = planCompileUnits(*m, 4, 1);
  ASSERT_TRUE(plan);
  auto units = CompileUnits::split(m, *plan, 3);
  ASSERT_FALSE(static_cast<bool>(units));
  EXPECT_NE(llvm::toString(units.takeError()).find("'calls' is used by several units"),
            std::string::npos);
  ASSERT_TRUE(m);
  EXPECT_FALSE(llvm::verifyModule(*m, &llvm::errs()));
  EXPECT_TRUE(m->getFunction("twice")->hasLocalLinkage());
  EXPECT_TRUE(m->getFunction("both")->hasLocalLinkage());
}

} // namespace
