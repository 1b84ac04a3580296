//===- RuntimeTest.cpp - Tiers, verified promotion, the bounded cache, stats -===//
//
// What a host app deploys: tiered kernels that start on the interpreter and
// are swapped to verified compiled code under running callers, a cache
// bounded by kernels and code bytes that releases evicted code, and the
// per-kernel record of jit::stats(). Tests with "Threads" in their name are
// the ones the ThreadSanitizer build runs.
//
//===----------------------------------------------------------------------===//

#include "Engine/KernelAccess.h"
#include "specjit/specjit.h"

#include "Engine/CompileService.h"
#include "Engine/JIT.h"
#include "Engine/KernelSize.h"
#include "Engine/KernelState.h"
#include "Engine/RunPool.h"
#include "Families/Family.h"
#include "specjit/Conversion/Passes.h"
#include "specjit/Testing.h"

#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include "TestData.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

using specjit::engine::KernelAccess;

using namespace specjit::jit;
using namespace std::chrono_literals;
using specjit_test::DeclaredInputs;
using specjit_test::parseOrDie;

namespace {

Descriptor example(const char *file) {
  std::ifstream in(std::string(SPECJIT_SOURCE_DIR) + "/examples/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return parseOrDie(text.str());
}

/// A small pipeline made distinct by `salt` (its mean), so that each test
/// compiles its own kernel.
Descriptor pipeline(double salt) {
  return parseOrDie(llvm::formatv(R"({{"specjit": 1, "kind": "pipeline", "name": "runtime_test",
    "inputs": [{{"name": "x", "type": "f64"}, {{"name": "c", "type": "i64", "missing": -1}],
    "output": {{"type": "f64"},
    "steps": [{{"op": "standardize", "column": "x", "mean": {0}, "std": 2.5},
              {{"op": "clip", "column": "x", "min": -3, "max": 3},
              {{"op": "impute", "column": "c", "value": 0},
              {{"op": "one_hot", "column": "c", "categories": [0, 1, 2, 3]}]})",
                                  salt)
                        .str());
}

/// A run's output as bytes: for rules, the state matrix after one step from
/// a deterministic start. `threads` as Kernel::run takes it (default: the
/// handle's).
std::vector<uint8_t> runBytes(const Kernel &k, int64_t rows, unsigned seed = 1,
                              std::optional<unsigned> threads = std::nullopt) {
  const Descriptor &d = k.descriptor();
  DeclaredInputs data(d, rows, seed);
  size_t width = dtypeSize(d.outputType());
  std::vector<uint8_t> out(size_t(rows) * d.numOutputs() * width, 0);
  if (d.kind() == Kind::Rules) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0, 1);
    for (size_t i = 0; i < out.size() / width; ++i) {
      if (d.outputType() == DType::F32) {
        float v = u(rng);
        std::memcpy(&out[i * 4], &v, 4);
      } else {
        double v = u(rng);
        std::memcpy(&out[i * 8], &v, 8);
      }
    }
  }
  Output o{d.outputType(), out.data(), rows, int64_t(d.numOutputs())};
  if (llvm::Error err = threads ? k.run(data.cols, o, *threads) : k.run(data.cols, o)) {
    ADD_FAILURE() << llvm::toString(std::move(err));
    return {};
  }
  return out;
}

CompileOptions tiered(TierPolicy p = {}) {
  CompileOptions o;
  o.specialize = true;
  o.tier = Tier::Tiered;
  o.tierPolicy = p;
  // Code on disk from an earlier run would skip the tiers under test.
  o.diskCache = false;
  return o;
}

/// Compile as soon as asked, no cost model: what tests need to be prompt.
TierPolicy eager() {
  TierPolicy p;
  p.compileAfterCalls = 0;
  p.compileAfterRows = 0;
  p.costModel = false;
  return p;
}

Kernel interpreterOf(const Descriptor &d) {
  CompileOptions o;
  o.specialize = false;
  o.useCache = false; // leaves the cache as the test under way has it
  auto k = compile(d, o);
  EXPECT_TRUE(static_cast<bool>(k));
  return *k;
}

const KernelStats *findStats(const RuntimeStats &s, const Kernel &k) {
  const KernelStats *found = nullptr;
  for (const KernelStats &r : s.kernels)
    if (r.hash == k.hash() && r.mode == Tier::Tiered)
      found = &r;
  return found;
}

TEST(Runtime, TieredKernelStartsOnTheInterpreterAndPromotesVerified) {
  Descriptor d = pipeline(1.25);
  auto k = compile(d, tiered(eager()));
  ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
  std::vector<uint8_t> want = runBytes(interpreterOf(d), 3000);
  // The first result is the interpreter's, at once; it also supplies the
  // rows the compiled code is verified on.
  EXPECT_EQ(runBytes(*k, 3000), want);
  ASSERT_TRUE(k->waitForCompiled(20s)) << k->fallbackReason();
  EXPECT_EQ(k->backend(), Backend::Jit);
  EXPECT_EQ(k->tierState(), TierState::Compiled);
  EXPECT_EQ(runBytes(*k, 3000), want);
  RuntimeStats all = stats(); // findStats points into it
  const KernelStats *s = findStats(all, *k);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->promotion, "promoted");
  EXPECT_EQ(s->verifiedRows, 1024u);
  EXPECT_GE(s->interpreter.calls, 1u);
  EXPECT_GE(s->jit.calls, 1u);
}

TEST(Runtime, ATieredKernelTakesCodeFromThePersistentCacheAtOnce) {
  Descriptor d = pipeline(1.0625);
  CompileOptions sync;
  sync.specialize = true;
  sync.diskCache = true;
  auto first = compile(d, sync); // compiles (or loads) and stores
  ASSERT_TRUE(static_cast<bool>(first));
  ASSERT_EQ(first->backend(), Backend::Jit) << first->fallbackReason();
  clearCache(); // as a new process would start
  CompileOptions o = tiered();
  o.diskCache = true;
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_EQ(k->tierState(), TierState::Compiled);
  EXPECT_EQ(k->backend(), Backend::Jit);
  EXPECT_EQ(k->source(), KernelSource::Disk);
  EXPECT_EQ(findStats(stats(), *k)->promotion, "disk");
  EXPECT_EQ(runBytes(*k, 700), runBytes(interpreterOf(d), 700));
}

TEST(Runtime, PolicyWaitsForItsCallsAndRows) {
  Descriptor d = pipeline(2.5);
  TierPolicy p = eager();
  p.compileAfterCalls = 3;
  p.compileAfterRows = 500;
  auto k = compile(d, tiered(p));
  ASSERT_TRUE(static_cast<bool>(k));
  runBytes(*k, 100);
  runBytes(*k, 100);
  runBytes(*k, 100); // three calls, but only 300 rows
  EXPECT_EQ(k->tierState(), TierState::Interpreting);
  EXPECT_FALSE(k->waitForCompiled(50ms));
  runBytes(*k, 200); // 500 rows
  EXPECT_NE(k->tierState(), TierState::Interpreting);
  ASSERT_TRUE(k->waitForCompiled(20s)) << k->fallbackReason();
}

TEST(Runtime, CostModelLeavesAKernelThatNeverPaysBackOnTheInterpreter) {
  Descriptor d = pipeline(3.75);
  TierPolicy p;
  p.compileAfterCalls = 1;
  auto k = compile(d, tiered(p));
  ASSERT_TRUE(static_cast<bool>(k));
  // A few one-row calls spend microseconds: far less than any compile.
  for (int i = 0; i < 20; ++i)
    runBytes(*k, 1);
  EXPECT_EQ(k->tierState(), TierState::Interpreting);
  // Heavy use pays a compile back: it is asked for. (The estimate is
  // calibrated by this process's compiles, which a loaded machine slows
  // down: bound the calls by time, not by count.)
  int calls = 0;
  auto start = std::chrono::steady_clock::now();
  while (k->tierState() == TierState::Interpreting &&
         std::chrono::steady_clock::now() - start < 60s) {
    runBytes(*k, 50000);
    ++calls;
  }
  const KernelStats *ks = nullptr;
  RuntimeStats s = stats();
  ks = findStats(s, *k);
  ASSERT_TRUE(ks);
  EXPECT_NE(k->tierState(), TierState::Interpreting)
      << calls << " calls, interpreter " << ks->interpreter.ms << " ms, estimate "
      << ks->estimatedCompileMs << " ms, refused " << s.service.refused;
  ASSERT_TRUE(k->waitForCompiled(60s)) << k->fallbackReason();
}

TEST(Runtime, CompileWorkFollowsTheLoweredSize) {
  // The cost model's estimate, from the descriptor alone, against the
  // guard's count of the imported module: within a small factor on every
  // example whose code grows with its descriptor (not the tree walk).
  for (const char *file :
       {"churn.json", "housing.json", "retail_strings.json", "model_logistic.json",
        "model_mlp.json", "model_trees.json", "needs_rules.json", "strategy.json"}) {
    Descriptor d = example(file);
    size_t work =
        specjit::engine::estimateCompileWork(d, TreeLayout::Auto, specjit::kLookupTableMinKeys);
    mlir::MLIRContext ctx;
    auto module = specjit::jit::importDescriptor(ctx, d);
    ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
    size_t lowered =
        specjit::engine::estimateKernelSize(module->get(), specjit::kLookupTableMinKeys).total;
    EXPECT_GE(double(work), lowered / 4.0) << file << ": " << work << " vs " << lowered;
    EXPECT_LE(double(work), lowered * 4.0) << file << ": " << work << " vs " << lowered;
  }
  // More categories, more work.
  auto categories = [](int n) {
    std::string list;
    for (int i = 0; i < n; ++i)
      list += (i ? ", " : "") + std::to_string(i);
    return parseOrDie(llvm::formatv(R"({{"specjit": 1, "kind": "pipeline", "name": "work",
      "inputs": [{{"name": "c", "type": "i64"}], "output": {{"type": "f64"},
      "steps": [{{"op": "one_hot", "column": "c", "categories": [{0}]}]})",
                                    list)
                          .str());
  };
  EXPECT_LT(specjit::engine::estimateCompileWork(categories(4), TreeLayout::Auto, 0),
            specjit::engine::estimateCompileWork(categories(64), TreeLayout::Auto, 0));
}

TEST(Runtime, StatsShowTheCostModelsEstimate) {
  TierPolicy p;
  p.compileAfterCalls = 1;
  Descriptor small = pipeline(4.25), large = example("strategy.json");
  auto a = compile(small, tiered(p)), b = compile(large, tiered(p));
  ASSERT_TRUE(a && b);
  RuntimeStats s = stats();
  const KernelStats *sa = findStats(s, *a), *sb = findStats(s, *b);
  ASSERT_TRUE(sa && sb);
  EXPECT_GT(sa->estimatedCompileMs, 0);
  EXPECT_GT(sb->estimatedCompileMs, 2 * sa->estimatedCompileMs)
      << "a series strategy compiles far longer than a four-step pipeline";
  EXPECT_NE(statsJson(s).find("\"estimated_compile_ms\""), std::string::npos);
}

TEST(Runtime, CompileServiceThreadsTakeTheHottestJobFirst) {
  specjit::engine::CompileService &service = specjit::engine::CompileService::instance();
  ASSERT_TRUE(service.waitIdle(absl::Seconds(120)));
  // Occupy every worker, then queue three jobs whose hotness is read when
  // a worker picks: they must run hottest first.
  std::atomic<bool> release{false};
  std::atomic<unsigned> started{0};
  unsigned threads = std::max(1u, stats().service.threads);
  for (unsigned i = 0; i < threads; ++i)
    ASSERT_EQ(service.submit([] { return 1e18; },
                             [&] {
                               started.fetch_add(1);
                               while (!release.load())
                                 std::this_thread::sleep_for(1ms);
                             }),
              specjit::engine::CompileService::Submitted::Queued);
  threads = std::max(1u, stats().service.threads); // started on first use
  while (started.load() < threads)
    std::this_thread::sleep_for(1ms);
  specjit::engine::Mutex mu;
  std::vector<int> order;
  for (int hotness : {1, 3, 2})
    ASSERT_EQ(service.submit([hotness] { return double(hotness); },
                             [&, hotness] {
                               specjit::engine::MutexLock lock(mu);
                               order.push_back(hotness);
                             }),
              specjit::engine::CompileService::Submitted::Queued);
  release.store(true);
  ASSERT_TRUE(service.waitIdle(absl::Seconds(120)));
  specjit::engine::MutexLock lock(mu);
  if (threads == 1)
    EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
  else // the first picks are by hotness; later ones may finish out of order
    EXPECT_EQ(order.size(), 3u);
}

TEST(Runtime, AMiscompileIsCaughtByVerificationAndNeverServed) {
  specjit::jit::testing::setCorruptCompiledResults(true);
  Descriptor d = pipeline(4.5);
  uint64_t rejectedBefore = stats().service.rejected;
  auto k = compile(d, tiered(eager()));
  ASSERT_TRUE(static_cast<bool>(k));
  std::vector<uint8_t> want = runBytes(interpreterOf(d), 2000);
  EXPECT_EQ(runBytes(*k, 2000), want);
  EXPECT_FALSE(k->waitForCompiled(20s));
  specjit::jit::testing::setCorruptCompiledResults(false);
  EXPECT_EQ(k->tierState(), TierState::Failed);
  EXPECT_EQ(k->backend(), Backend::Interpreter);
  EXPECT_NE(k->fallbackReason().find("verification: sampled row 0"), std::string::npos)
      << k->fallbackReason();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(runBytes(*k, 2000), want);
  RuntimeStats s = stats();
  EXPECT_EQ(s.service.rejected, rejectedBefore + 1);
  const KernelStats *ks = findStats(s, *k);
  ASSERT_NE(ks, nullptr);
  EXPECT_EQ(ks->promotion, "rejected");
  EXPECT_EQ(ks->jit.calls, 0u);
}

TEST(Runtime, VerificationCanBeSwitchedOff) {
  Descriptor d = pipeline(5.5);
  TierPolicy p = eager();
  p.verify = false;
  auto k = compile(d, tiered(p));
  ASSERT_TRUE(static_cast<bool>(k));
  ASSERT_TRUE(k->waitForCompiled(20s)) << k->fallbackReason();
  EXPECT_EQ(findStats(stats(), *k)->promotion, "unverified");
  EXPECT_EQ(runBytes(*k, 500), runBytes(interpreterOf(d), 500));
}

TEST(Runtime, CompileFailuresInTheBackgroundKeepTheInterpreter) {
  specjit::jit::testing::setFailureInjection(Stage::LLVM);
  Descriptor d = pipeline(6.5);
  CompileOptions o = tiered(eager());
  o.useCache = false;
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_FALSE(k->waitForCompiled(20s));
  specjit::jit::testing::setFailureInjection(std::nullopt);
  EXPECT_EQ(k->tierState(), TierState::Failed);
  EXPECT_NE(k->fallbackReason().find("injected"), std::string::npos) << k->fallbackReason();
  EXPECT_EQ(runBytes(*k, 100), runBytes(interpreterOf(d), 100));
}

/// Every family that runs through Kernel promotes verified: rules (state
/// in place), series (rows are time), models.
class EveryFamily : public ::testing::TestWithParam<const char *> {};

TEST_P(EveryFamily, PromotesVerifiedAndAgreesWithTheInterpreter) {
  Descriptor d = example(GetParam());
  TierPolicy p = eager();
  p.compileAfterCalls = 1;
  CompileOptions o = tiered(p);
  o.useCache = false;
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
  Kernel ref = interpreterOf(d);
  EXPECT_EQ(runBytes(*k, 1500), runBytes(ref, 1500));
  ASSERT_TRUE(k->waitForCompiled(60s)) << k->fallbackReason();
  EXPECT_EQ(k->backend(), Backend::Jit);
  std::vector<uint8_t> want = runBytes(ref, 1500, 7), got = runBytes(*k, 1500, 7);
  ASSERT_EQ(want.size(), got.size());
  // Bit for bit, except where libmvec computes log/exp/tanh (a few ulp).
  size_t width = dtypeSize(d.outputType()), differ = 0;
  for (size_t i = 0; i < want.size(); i += width) {
    double a, b;
    if (width == 8) {
      std::memcpy(&a, &want[i], 8), std::memcpy(&b, &got[i], 8);
    } else {
      float fa, fb;
      std::memcpy(&fa, &want[i], 4), std::memcpy(&fb, &got[i], 4);
      a = fa, b = fb;
    }
    bool same = std::memcmp(&want[i], &got[i], width) == 0 || (std::isnan(a) && std::isnan(b));
    if (!same && !(std::fabs(a - b) <= (width == 8 ? 1e-14 : 4e-7) * std::max(1.0, std::fabs(a))))
      ++differ;
  }
  EXPECT_EQ(differ, 0u) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Examples, EveryFamily,
                         ::testing::Values("churn.json", "housing.json", "strategy.json",
                                           "needs_rules.json", "model_trees.json", "model_mlp.json",
                                           "retail_strings.json"));

TEST(Runtime, StreamsKeepTheBackendTheyStartedWith) {
  Descriptor d = example("strategy.json");
  CompileOptions o = tiered(eager());
  o.useCache = false;
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k));
  auto early = k->stream();
  ASSERT_TRUE(static_cast<bool>(early));
  EXPECT_EQ(early->backend(), Backend::Interpreter);
  runBytes(*k, 600);
  ASSERT_TRUE(k->waitForCompiled(60s)) << k->fallbackReason();
  EXPECT_EQ(early->backend(), Backend::Interpreter);
  auto late = k->stream();
  ASSERT_TRUE(static_cast<bool>(late));
  EXPECT_EQ(late->backend(), Backend::Jit);
}

TEST(Runtime, ThreadsSplittingARunGiveTheBitsOfOneThread) {
  // Rows not a multiple of any block or vector width; churn calls libmvec's
  // log in its vector body and libm's in the remainder, so a block boundary
  // off the alignment would change bits.
  const int64_t rows = 3 * 4096 + 1237;
  // f64 logs and exps, whose libmvec and libm results differ in the last
  // bits, and are not rounded away by an f32 output.
  const char *logs = R"({"specjit": 1, "kind": "pipeline", "name": "logs",
    "inputs": [{"name": "x", "type": "f64"}, {"name": "y", "type": "f64"}], "output": {"type": "f64"},
    "steps": [{"op": "log1p", "column": "x"}, {"op": "log", "column": "y"},
              {"op": "expr", "name": "e", "expr": "exp(x * 0.37) + y"}]})";
  for (const char *file : {"logs", "churn.json", "retail_strings.json", "housing.json",
                           "model_trees.json", "model_mlp.json", "needs_rules.json"}) {
    Descriptor d = std::string(file) == "logs" ? parseOrDie(logs) : example(file);
    for (bool specialize : {true, false}) {
      CompileOptions o;
      o.specialize = specialize;
      o.threads = 3;
      auto k = compile(d, o);
      ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
      EXPECT_EQ(k->threads(), 3u);
      std::vector<uint8_t> one = runBytes(*k, rows, 7, 1u);
      for (unsigned threads : {0u, 2u, 3u, 16u})
        EXPECT_EQ(runBytes(*k, rows, 7, threads), one)
            << file << (specialize ? " jit" : " interpreter") << ", " << threads << " threads";
      EXPECT_EQ(runBytes(*k, rows, 7), one) << "the handle's threads";
    }
  }
}

TEST(Runtime, RunPoolRunsEveryTaskOnceOnAtMostTheThreadsAsked) {
  specjit::engine::RunPool &pool = specjit::engine::RunPool::instance();
  for (unsigned threads : {1u, 2u, 3u}) {
    const unsigned tasks = 64;
    std::vector<std::atomic<int>> runs(tasks);
    std::atomic<int> inFlight{0}, mostInFlight{0};
    std::mutex mu;
    std::set<std::thread::id> ids;
    pool.parallelFor(tasks, threads, [&](unsigned t) {
      int now = inFlight.fetch_add(1) + 1;
      for (int seen = mostInFlight.load();
           now > seen && !mostInFlight.compare_exchange_weak(seen, now);)
        ;
      {
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      runs[t].fetch_add(1);
      inFlight.fetch_sub(1);
    });
    for (unsigned t = 0; t < tasks; ++t)
      EXPECT_EQ(runs[t].load(), 1) << "task " << t << ", " << threads << " threads";
    EXPECT_LE(ids.size(), threads);
    EXPECT_LE(mostInFlight.load(), static_cast<int>(threads));
    if (threads == 1)
      EXPECT_EQ(*ids.begin(), std::this_thread::get_id());
  }
}

TEST(Runtime, ThreadsLeaveKernelsWithDataChecksToOneCall) {
  // A failing row must leave the output untouched, as with one thread.
  Descriptor d =
      parseOrDie(R"({"specjit": 1, "kind": "pipeline", "inputs": [{"name": "c", "type": "i64"}],
    "output": {"type": "f64"},
    "steps": [{"op": "one_hot", "column": "c", "categories": [0, 1, 2], "unknown": "error"}]})");
  CompileOptions o;
  o.specialize = true;
  o.threads = 2;
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k));
  const int64_t rows = 40000;
  std::vector<int64_t> c(rows, 1);
  c[30000] = 9;
  std::vector<double> out(rows * 3, -7.0);
  llvm::Error err = k->run({Column::i64(c.data(), rows)}, Output::f64(out.data(), rows, 3));
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("row 30000"), std::string::npos);
  for (double v : out)
    ASSERT_EQ(v, -7.0);
  c[30000] = 2;
  ASSERT_FALSE(
      static_cast<bool>(k->run({Column::i64(c.data(), rows)}, Output::f64(out.data(), rows, 3))));
  EXPECT_EQ(out[30000 * 3 + 2], 1.0);
}

TEST(Runtime, SixteenThreadsRunSplitRunsAtOnce) {
  // Many callers share the run pool; each gets its own rows' result.
  Descriptor d = example("churn.json");
  CompileOptions o;
  o.specialize = true;
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k));
  const int64_t rows = 2 * 4096 + 300;
  std::vector<std::vector<uint8_t>> want;
  for (unsigned seed = 0; seed < 16; ++seed)
    want.push_back(runBytes(*k, rows, seed + 1, 1u));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> callers;
  for (unsigned seed = 0; seed < 16; ++seed)
    callers.emplace_back([&, seed] {
      for (int i = 0; i < 5; ++i)
        if (runBytes(*k, rows, seed + 1, 2u) != want[seed])
          mismatches.fetch_add(1);
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Runtime, SixteenThreadsRunWhileTheKernelIsPromoted) {
  Descriptor d = pipeline(7.5);
  std::vector<uint8_t> want = runBytes(interpreterOf(d), 2048);
  auto k = compile(d, tiered(eager()));
  ASSERT_TRUE(static_cast<bool>(k));
  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0}, jitRuns{0};
  std::vector<std::thread> threads;
  // The callers pause between runs: sixteen busy loops at normal priority
  // on a 2-core machine leave the compile worker (nice 10) almost no CPU,
  // and its compile then takes tens of seconds (seen: 46 s and over 60 s).
  // Runs still overlap the promotion on every thread.
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      while (!stop.load()) {
        Backend before = k->backend();
        if (runBytes(*k, 2048) != want)
          mismatches.fetch_add(1);
        if (before == Backend::Jit)
          jitRuns.fetch_add(1);
        std::this_thread::sleep_for(200us);
      }
    });
  bool compiled = k->waitForCompiled(60s);
  std::this_thread::sleep_for(50ms);
  stop.store(true);
  for (auto &t : threads)
    t.join();
  EXPECT_TRUE(compiled) << k->fallbackReason();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(jitRuns.load(), 0);
}

TEST(Runtime, SixteenThreadsAskingForOneTieredKernelShareIt) {
  Descriptor d = pipeline(8.5);
  uint64_t compilesBefore = cacheStats().compiles;
  std::vector<Kernel> kernels(16);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < 16) {
      }
      auto k = compile(d, tiered(eager()));
      ASSERT_TRUE(static_cast<bool>(k));
      runBytes(*k, 64, t);
      kernels[t] = *k;
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(cacheStats().compiles - compilesBefore, 1u);
  ASSERT_TRUE(kernels[0].waitForCompiled(20s)) << kernels[0].fallbackReason();
  int memory = 0;
  for (const Kernel &k : kernels) {
    EXPECT_EQ(KernelAccess::state(k), KernelAccess::state(kernels[0]));
    memory += k.source() == KernelSource::Memory;
  }
  EXPECT_EQ(memory, 15);
}

TEST(Runtime, SixteenThreadsCompileManyTieredKernels) {
  // The compile service's queue, priorities and promotions under load.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        Descriptor d = pipeline(100 + t * 10 + i);
        auto k = compile(d, tiered(eager()));
        if (!k) {
          failures.fetch_add(1);
          continue;
        }
        std::vector<uint8_t> want = runBytes(interpreterOf(d), 256);
        if (runBytes(*k, 256) != want)
          failures.fetch_add(1);
        if (!k->waitForCompiled(120s) || runBytes(*k, 256) != want)
          failures.fetch_add(1);
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Runtime, AFullQueueRefusesWithoutBlockingAndTheKernelAsksAgainLater) {
  // 100 kernels asking at once overflow the queue (64): the rest are
  // refused at once and stay on the interpreter; compile() never waits.
  RuntimeStats before = stats();
  std::vector<Kernel> kernels;
  for (int i = 0; i < 100; ++i) {
    auto k = compile(pipeline(600 + i), tiered(eager()));
    ASSERT_TRUE(static_cast<bool>(k));
    kernels.push_back(*k);
  }
  RuntimeStats after = stats();
  uint64_t refused = after.service.refused - before.service.refused;
  EXPECT_GE(refused, 100u - after.service.capacity - after.service.threads);
  int interpreting = 0;
  for (const Kernel &k : kernels)
    interpreting += k.tierState() == TierState::Interpreting;
  EXPECT_GE(interpreting, int(refused)) << "a refused kernel stays interpreting";
  // Once the queue has room, a refused kernel's next call asks again.
  for (Kernel &k : kernels)
    if (k.tierState() == TierState::Interpreting) {
      while (stats().service.pending >= after.service.capacity)
        std::this_thread::sleep_for(10ms);
      std::vector<uint8_t> want = runBytes(interpreterOf(k.descriptor()), 50);
      EXPECT_EQ(runBytes(k, 50), want);
      EXPECT_NE(k.tierState(), TierState::Interpreting);
      ASSERT_TRUE(k.waitForCompiled(120s)) << k.fallbackReason();
      EXPECT_EQ(runBytes(k, 50), want);
      break;
    }
}

TEST(Runtime, CacheBoundEvictsLeastRecentlyUsedAndReleasesTheirCode) {
  clearCache();
  CacheLimits before = cacheLimits();
  setCacheLimits({3, 0});
  CompileOptions o;
  o.specialize = true;
  o.diskCache = false; // a kernel evicted from memory is compiled again
  std::vector<Descriptor> ds;
  for (int i = 0; i < 5; ++i)
    ds.push_back(pipeline(200 + i));
  std::vector<std::weak_ptr<specjit::engine::LoadedCode>> code;
  Kernel held;
  for (int i = 0; i < 4; ++i) {
    auto k = compile(ds[i], o);
    ASSERT_TRUE(static_cast<bool>(k));
    ASSERT_EQ(k->backend(), Backend::Jit);
    code.push_back(KernelAccess::state(*k)->code());
    if (i == 0)
      held = *k;
  }
  // 0 was evicted (the least recently used), but a handle holds its code;
  // the cache holds the others'.
  CacheStats s = cacheStats();
  EXPECT_EQ(s.entries, 3u);
  EXPECT_GT(s.codeBytes, 0u);
  for (const auto &c : code)
    EXPECT_FALSE(c.expired());
  EXPECT_EQ(held.backend(), Backend::Jit);
  EXPECT_EQ(runBytes(held, 100), runBytes(interpreterOf(ds[0]), 100));
  held = Kernel();
  EXPECT_TRUE(code[0].expired()); // released with its last handle
  EXPECT_FALSE(code[1].expired());
  // Touch 1: then 2 is the least recently used, and goes when 4 comes.
  ASSERT_TRUE(static_cast<bool>(compile(ds[1], o)));
  ASSERT_TRUE(static_cast<bool>(compile(ds[4], o)));
  EXPECT_EQ(compile(ds[1], o)->source(), KernelSource::Memory);
  EXPECT_EQ(compile(ds[3], o)->source(), KernelSource::Memory);
  EXPECT_EQ(compile(ds[4], o)->source(), KernelSource::Memory);
  EXPECT_EQ(compile(ds[2], o)->source(), KernelSource::Compiled);
  EXPECT_EQ(cacheStats().evictions - s.evictions, 2u);

  // A bound in bytes of code: one kernel's worth keeps one.
  clearCache();
  size_t one = KernelAccess::state(*compile(ds[0], o))->codeBytes.load();
  setCacheLimits({0, one + one / 2});
  ASSERT_TRUE(static_cast<bool>(compile(ds[1], o)));
  EXPECT_EQ(cacheStats().entries, 1u);
  setCacheLimits(before);
  clearCache();
}

TEST(Runtime, TieredCodeCountsAgainstTheBoundWhenItArrives) {
  // Tiered kernels are cached before their code exists; each one's code is
  // counted by the time a wait for it returns.
  clearCache();
  CacheLimits before = cacheLimits();
  TierPolicy p = eager();
  p.verify = false; // promoted without calls
  std::vector<Kernel> ks;
  for (int i = 0; i < 2; ++i) {
    auto k = compile(pipeline(400 + i), tiered(p));
    ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
    ASSERT_TRUE(k->waitForCompiled(20s)) << k->fallbackReason();
    ASSERT_GT(KernelAccess::state(*k)->codeBytes.load(), 0u);
    ks.push_back(*k);
    if (i == 0) {
      EXPECT_EQ(cacheStats().entries, 1u);
      size_t one = KernelAccess::state(*k)->codeBytes.load();
      setCacheLimits({0, one + one / 2}); // room for one kernel's code
    }
  }
  // The second kernel's code pushed the first one's out.
  CacheStats s = cacheStats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.codeBytes, KernelAccess::state(ks[1])->codeBytes.load());
  setCacheLimits(before);
  clearCache();
}

TEST(Runtime, CodeIsReleasedWithTheLastHandle) {
  std::weak_ptr<specjit::engine::LoadedCode> code;
  {
    CompileOptions o;
    o.specialize = true;
    o.useCache = false;
    auto k = compile(pipeline(300), o);
    ASSERT_TRUE(static_cast<bool>(k));
    code = KernelAccess::state(*k)->code();
    Kernel copy = *k;
    *k = Kernel();
    EXPECT_FALSE(code.expired()); // `copy` still holds it
    EXPECT_EQ(runBytes(copy, 10), runBytes(interpreterOf(pipeline(300)), 10));
  }
  EXPECT_TRUE(code.expired());
}

TEST(Runtime, StatsCountCallsRowsAndStagesPerKernel) {
  CompileOptions o;
  o.specialize = true;
  o.useCache = false;
  Descriptor d = pipeline(400);
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k));
  for (int i = 0; i < 40; ++i)
    runBytes(*k, 10);
  runBytes(*k, 5000);
  RuntimeStats s = stats();
  const KernelStats *mine = nullptr;
  for (const KernelStats &r : s.kernels)
    if (r.hash == d.hash() && r.backend == Backend::Jit && r.jit.calls == 41)
      mine = &r;
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->name, "runtime_test");
  EXPECT_EQ(mine->kind, "pipeline");
  EXPECT_EQ(mine->jit.rows, 5400u);
  EXPECT_GT(mine->jit.ms, 0.0);
  EXPECT_EQ(mine->interpreter.calls, 0u);
  EXPECT_EQ(mine->source, KernelSource::Compiled);
  EXPECT_GT(mine->compileMs, 0.0);
  std::vector<std::string> stages;
  for (const auto &st : mine->compileStages)
    stages.push_back(st.first);
  EXPECT_NE(std::find(stages.begin(), stages.end(), "llvm-opt"), stages.end());
  EXPECT_NE(std::find(stages.begin(), stages.end(), "jit-link"), stages.end());

  auto json = llvm::json::parse(statsJson(s));
  ASSERT_TRUE(static_cast<bool>(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *root = json->getAsObject();
  ASSERT_NE(root, nullptr);
  ASSERT_NE(root->getArray("kernels"), nullptr);
  ASSERT_NE(root->getObject("cache"), nullptr);
  ASSERT_NE(root->getObject("compile_service"), nullptr);
  bool found = false;
  for (const llvm::json::Value &v : *root->getArray("kernels")) {
    const llvm::json::Object *kj = v.getAsObject();
    if (kj->getString("hash") == d.hash().hex() && kj->getInteger("calls") == 41) {
      found = true;
      EXPECT_EQ(kj->getString("backend"), "jit");
      EXPECT_EQ(kj->getString("source"), "compiled");
      EXPECT_EQ(kj->getInteger("rows"), 5400);
      ASSERT_NE(kj->getObject("compile_stages_ms"), nullptr);
    }
  }
  EXPECT_TRUE(found);
}

TEST(Runtime, RetiredKernelsKeepTheirRecord) {
  Descriptor d = pipeline(500);
  {
    CompileOptions o;
    o.specialize = false;
    o.useCache = false;
    auto k = compile(d, o);
    ASSERT_TRUE(static_cast<bool>(k));
    runBytes(*k, 77);
  }
  bool found = false;
  for (const KernelStats &r : stats().kernels)
    found |= r.hash == d.hash() && r.interpreter.rows == 77;
  EXPECT_TRUE(found);
}

} // namespace
