//===- EngineTest.cpp - jit::compile, kernels, cache, fallback, switch ----===//
#include "Engine/KernelAccess.h"
#include "specjit/Errors.h"
#include "specjit/Testing.h"
#include "specjit/specjit.h"

#include "Engine/KernelState.h"

#include "gtest/gtest.h"

#include "TestData.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

using specjit::engine::KernelAccess;

using namespace specjit::jit;
using specjit_test::ChurnData;

namespace {

const std::string kChurn = specjit_test::churnText();

Descriptor parse(const std::string &text) {
  auto d = Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError());
    return *Descriptor::parse(kChurn);
  }
  return std::move(*d);
}

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

/// Bitwise comparison that treats every NaN alike.
bool sameBits(float a, float b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

CompileOptions jitOptions() {
  CompileOptions o;
  o.specialize = true;
  o.useCache = false;
  return o;
}

TEST(Engine, CompilesToJitAndMatchesHandComputedRow) {
  Descriptor d = parse(kChurn);
  auto k = compile(d, jitOptions());
  ASSERT_TRUE(static_cast<bool>(k)) << errorText(k.takeError());
  EXPECT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
  EXPECT_TRUE(k->fallbackReason().empty());
  EXPECT_EQ(k->hash(), d.hash());
  EXPECT_GT(k->compileMillis(), 0.0);
  ASSERT_EQ(k->numOutputs(), 6u);
  EXPECT_EQ(k->outputNames()[3], "category=0");

  int64_t age = 50, cat = -1;
  double income = 20000, engagement = 1.5;
  float out[6];
  std::vector<Column> in = {Column::i64(&age, 1), Column::f64(&income, 1),
                            Column::f64(&engagement, 1), Column::i64(&cat, 1)};
  ASSERT_FALSE(k->run(in, Output::f32(out, 1, 6)));
  EXPECT_FLOAT_EQ(out[0], static_cast<float>((50 - 41.2) / 12.7));
  EXPECT_NEAR(out[1], (std::log(20000.0) - 10.8) / 0.9, 1e-6);
  EXPECT_EQ(out[2], 1.0f); // clipped
  EXPECT_EQ(out[3], 0.0f); // missing -> imputed 1
  EXPECT_EQ(out[4], 1.0f);
  EXPECT_EQ(out[5], 0.0f);
}

TEST(Engine, JitAndInterpreterAgreeOnChurn) {
  Descriptor d = parse(kChurn);
  CompileOptions io = jitOptions();
  io.specialize = false;
  auto jk = compile(d, jitOptions());
  auto ik = compile(d, io);
  ASSERT_TRUE(jk && ik);
  EXPECT_EQ(ik->backend(), Backend::Interpreter);
  EXPECT_FALSE(ik->specialized());
  ChurnData data(5000);
  std::vector<float> a(5000 * 6), b(5000 * 6);
  ASSERT_FALSE(jk->run(data.columns(), Output::f32(a.data(), 5000, 6)));
  ASSERT_FALSE(ik->run(data.columns(), Output::f32(b.data(), 5000, 6)));
  for (size_t i = 0; i < a.size(); ++i) {
    if (i % 6 == 1 && !std::isnan(b[i])) // log: libmvec vs libm
      EXPECT_NEAR(a[i], b[i], 1e-6 * std::max(1.0f, std::fabs(b[i]))) << i;
    else
      EXPECT_TRUE(sameBits(a[i], b[i])) << i << ": " << a[i] << " vs " << b[i];
  }
}

TEST(Engine, RunRejectsBadBuffersWithoutWriting) {
  Descriptor d = parse(kChurn);
  auto k = compile(d, jitOptions());
  ASSERT_TRUE(static_cast<bool>(k));
  ChurnData data(10);
  std::vector<float> out(60, 42.0f);
  auto cols = data.columns();

  std::vector<Column> tooFew(cols.begin(), cols.begin() + 3);
  EXPECT_NE(errorText(k->run(tooFew, Output::f32(out.data(), 10, 6)))
                .find("expected 4 input columns, got 3"),
            std::string::npos);

  auto wrongType = cols;
  wrongType[1] = Column::i64(data.age.data(), 10);
  EXPECT_NE(errorText(k->run(wrongType, Output::f32(out.data(), 10, 6)))
                .find("input 1 ('income'): expected a f64 column, got i64"),
            std::string::npos);

  auto shortCol = cols;
  shortCol[2].rows = 9;
  EXPECT_NE(errorText(k->run(shortCol, Output::f32(out.data(), 10, 6)))
                .find("has 9 rows but input 0 has 10"),
            std::string::npos);

  auto nullCol = cols;
  nullCol[0].data = nullptr;
  EXPECT_NE(errorText(k->run(nullCol, Output::f32(out.data(), 10, 6))).find("data pointer is null"),
            std::string::npos);

  EXPECT_NE(errorText(k->run(cols, Output::f32(out.data(), 10, 5)))
                .find("output must have 6 columns, got 5"),
            std::string::npos);
  EXPECT_NE(
      errorText(k->run(cols, Output::f64(nullptr, 10, 6))).find("output must be f32, got f64"),
      std::string::npos);
  EXPECT_NE(errorText(k->run(cols, Output::f32(out.data(), 11, 6)))
                .find("output has 11 rows but the inputs have 10"),
            std::string::npos);
  for (float v : out)
    EXPECT_EQ(v, 42.0f);

  // Zero rows is a no-op, not an error.
  std::vector<Column> empty = cols;
  for (Column &c : empty)
    c.rows = 0;
  EXPECT_FALSE(k->run(empty, Output::f32(nullptr, 0, 6)));
  EXPECT_NE(errorText(Kernel().run(cols, Output::f32(out.data(), 10, 6))).find("empty"),
            std::string::npos);
}

TEST(Engine, UnknownCategoryErrorLeavesOutputUntouched) {
  const char *text = R"({"specjit": 1, "kind": "pipeline",
    "inputs": [{"name": "c", "type": "i64"}, {"name": "s", "type": "string"}],
    "output": {"type": "f64"},
    "steps": [{"op": "one_hot", "column": "c", "categories": [1, 2], "unknown": "error"},
              {"op": "one_hot", "column": "s", "categories": ["a", "b"], "unknown": "error"}]})";
  Descriptor d = parse(text);
  for (bool specialize : {true, false}) {
    CompileOptions o = jitOptions();
    o.specialize = specialize;
    auto k = compile(d, o);
    ASSERT_TRUE(static_cast<bool>(k));
    EXPECT_EQ(k->backend(), specialize ? Backend::Jit : Backend::Interpreter)
        << k->fallbackReason();
    std::vector<int64_t> c = {1, 2, 1, 2, 1};
    std::vector<int64_t> offsets = {0, 1, 2, 3, 5, 6};
    std::string bytes = "abazzb"; // row 3 is "zz": unknown
    std::vector<double> out(5 * 4, -7.0);
    std::vector<Column> in = {Column::i64(c.data(), 5),
                              Column::strings(offsets.data(), bytes.data(), 5)};
    std::string err = errorText(k->run(in, Output::f64(out.data(), 5, 4)));
    EXPECT_NE(err.find("row 3"), std::string::npos) << err;
    EXPECT_NE(err.find("steps[1]"), std::string::npos) << err;
    EXPECT_NE(err.find("zz"), std::string::npos) << err;
    for (double v : out)
      EXPECT_EQ(v, -7.0);
    // With every value known the call succeeds: rows a, b, a, b, a.
    offsets = {0, 1, 2, 3, 4, 5};
    bytes = "ababa";
    in[1] = Column::strings(offsets.data(), bytes.data(), 5);
    ASSERT_FALSE(k->run(in, Output::f64(out.data(), 5, 4)));
    EXPECT_EQ(out[3 * 4 + 0], 0.0); // c = 2
    EXPECT_EQ(out[3 * 4 + 1], 1.0);
    EXPECT_EQ(out[3 * 4 + 2], 0.0); // s = "b"
    EXPECT_EQ(out[3 * 4 + 3], 1.0);
  }
}

TEST(Engine, StringOffsetsAreValidated) {
  const char *text = R"({"specjit": 1, "kind": "pipeline",
    "inputs": [{"name": "s", "type": "string"}], "output": {"type": "f64"},
    "steps": [{"op": "label_encode", "column": "s", "mapping": {"x": 1, "y": 2}}]})";
  Descriptor d = parse(text);
  auto k = compile(d, jitOptions());
  ASSERT_TRUE(static_cast<bool>(k));
  std::vector<int64_t> offsets = {0, 1, 0};
  std::string bytes = "xy";
  double out[2] = {5, 5};
  std::string err =
      errorText(k->run({Column::strings(offsets.data(), bytes.data(), 2)}, Output::f64(out, 2, 1)));
  EXPECT_NE(err.find("offsets decrease at row 1"), std::string::npos) << err;
  EXPECT_EQ(out[0], 5);
}

TEST(Engine, CacheCompilesOncePerHashUnderEightThreads) {
  clearCache();
  // A descriptor no other test uses, so the first request compiles it.
  Descriptor d = parse(R"({"specjit": 1, "kind": "pipeline",
    "inputs": [{"name": "x", "type": "f64"}], "output": {"type": "f64"},
    "steps": [{"op": "standardize", "column": "x", "mean": 0.123456, "std": 7.5}]})");
  CompileOptions o;
  o.specialize = true;
  CacheStats before = cacheStats();
  std::atomic<int> ready{0};
  std::vector<Kernel> kernels(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < 8) {
      }
      auto k = compile(d, o);
      ASSERT_TRUE(static_cast<bool>(k));
      kernels[t] = *k;
    });
  for (auto &t : threads)
    t.join();
  CacheStats after = cacheStats();
  EXPECT_EQ(after.compiles - before.compiles, 1u);
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, 7u);
  for (const Kernel &k : kernels) {
    EXPECT_EQ(KernelAccess::state(k), KernelAccess::state(kernels[0]));
    EXPECT_EQ(k.backend(), Backend::Jit);
  }
  // The same meaning spelled differently hits the same entry.
  Descriptor again = parse(R"({"kind": "pipeline", "specjit": 1,
    "output": {"type": "f64"}, "inputs": [{"type": "f64", "name": "x"}],
    "steps": [{"std": 7.50, "mean": 0.123456, "column": "x", "op": "standardize"}]})");
  auto k = compile(again, o);
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_EQ(KernelAccess::state(*k), KernelAccess::state(kernels[0]));
  // Specialization off is a different entry.
  CompileOptions off;
  off.specialize = false;
  auto ik = compile(d, off);
  ASSERT_TRUE(static_cast<bool>(ik));
  EXPECT_EQ(ik->backend(), Backend::Interpreter);
}

TEST(Engine, KernelsRunConcurrently) {
  Descriptor d = parse(kChurn);
  auto k = compile(d, jitOptions());
  ASSERT_TRUE(static_cast<bool>(k));
  ChurnData data(20000);
  std::vector<float> expected(20000 * 6);
  ASSERT_FALSE(k->run(data.columns(), Output::f32(expected.data(), 20000, 6)));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      std::vector<float> out(20000 * 6);
      for (int rep = 0; rep < 10; ++rep) {
        if (k->run(data.columns(), Output::f32(out.data(), 20000, 6)))
          mismatches.fetch_add(1);
        else if (std::memcmp(out.data(), expected.data(), out.size() * 4) != 0)
          mismatches.fetch_add(1);
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Engine, BackendSwitchesUnderConcurrentCallers) {
  // A kernel starts on the interpreter; compiled code is installed while
  // eight threads keep running it. Every run must see one backend or the
  // other and produce the same bytes, and the handle reports the switch.
  Descriptor d = parse(kChurn);
  CompileOptions io = jitOptions();
  io.specialize = false;
  auto k = compile(d, io);
  auto compiled = compile(d, jitOptions());
  ASSERT_TRUE(k && compiled);
  ASSERT_EQ(k->backend(), Backend::Interpreter);
  auto code = KernelAccess::state(*compiled)->code();
  ASSERT_NE(code, nullptr);

  // log(1) is exactly 0 in every libm, so both backends are bit-exact.
  ChurnData data(4096);
  std::fill(data.income.begin(), data.income.end(), 1.0);
  std::vector<float> expected(4096 * 6);
  ASSERT_FALSE(k->run(data.columns(), Output::f32(expected.data(), 4096, 6)));

  std::atomic<bool> stop{false};
  std::atomic<int> runs{0}, mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      std::vector<float> out(4096 * 6);
      while (!stop.load()) {
        if (k->run(data.columns(), Output::f32(out.data(), 4096, 6)) ||
            std::memcmp(out.data(), expected.data(), out.size() * 4) != 0)
          mismatches.fetch_add(1);
        runs.fetch_add(1);
      }
    });
  while (runs.load() < 50) {
  }
  KernelAccess::state(*k)->install(code, 1, 1.0);
  int at = runs.load();
  while (runs.load() < at + 50) {
  }
  stop.store(true);
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(k->backend(), Backend::Jit);
}

class FallbackTest : public ::testing::TestWithParam<Stage> {
protected:
  void TearDown() override { specjit::jit::testing::setFailureInjection(std::nullopt); }
};

TEST_P(FallbackTest, FailureAtStageFallsBackWithIdenticalResults) {
  Descriptor d = parse(kChurn);
  ChurnData data(3000);
  CompileOptions io = jitOptions();
  io.specialize = false;
  auto reference = compile(d, io);
  ASSERT_TRUE(static_cast<bool>(reference));
  std::vector<float> want(3000 * 6), got(3000 * 6);
  ASSERT_FALSE(reference->run(data.columns(), Output::f32(want.data(), 3000, 6)));

  specjit::jit::testing::setFailureInjection(GetParam());
  CompileOptions o;
  o.specialize = true; // cache on: the hook must bypass it
  auto k = compile(d, o);
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_EQ(k->backend(), Backend::Interpreter);
  EXPECT_TRUE(k->specialized());
  std::string reason = k->fallbackReason();
  EXPECT_NE(reason.find(stageName(GetParam()).str() + ": injected failure"), std::string::npos)
      << reason;
  ASSERT_FALSE(k->run(data.columns(), Output::f32(got.data(), 3000, 6)));
  EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * 4), 0);
}

TEST_P(FallbackTest, AFailedStageIsAStageErrorNamingIt) {
  // What emitStage (specjit compile) returns when a stage fails: the kind
  // names the stage, the message is the one it always was.
  Descriptor d = parse(kChurn);
  specjit::jit::testing::setFailureInjection(GetParam());
  auto text = emitStage(d, Stage::Obj);
  ASSERT_FALSE(static_cast<bool>(text));
  llvm::Error e = text.takeError();
  ASSERT_TRUE(e.isA<StageError>());
  llvm::handleAllErrors(std::move(e), [&](const StageError &se) {
    EXPECT_EQ(se.stage(), stageName(GetParam()).str());
    EXPECT_EQ(se.detail(), "injected failure (test hook)");
    EXPECT_EQ(se.message(), stageName(GetParam()).str() + ": injected failure (test hook)");
  });
}

INSTANTIATE_TEST_SUITE_P(EveryStage, FallbackTest,
                         ::testing::Values(Stage::Descriptor, Stage::Spec, Stage::Lowered,
                                           Stage::LLVMDialect, Stage::LLVM, Stage::LLVMOpt,
                                           Stage::Asm, Stage::Obj),
                         [](const auto &info) {
                           std::string n = stageName(info.param).str();
                           n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
                           return n;
                         });

TEST(Engine, ProcessWideSwitch) {
  Descriptor d = parse(kChurn);
  bool was = specializeEnabled();
  setSpecialize(false);
  CompileOptions follow; // specialize unset: follows the switch
  follow.useCache = false;
  auto off = compile(d, follow);
  ASSERT_TRUE(static_cast<bool>(off));
  EXPECT_EQ(off->backend(), Backend::Interpreter);
  EXPECT_FALSE(off->specialized());
  EXPECT_TRUE(off->fallbackReason().empty());
  // An explicit option wins over the switch.
  auto forced = compile(d, jitOptions());
  ASSERT_TRUE(static_cast<bool>(forced));
  EXPECT_EQ(forced->backend(), Backend::Jit);
  setSpecialize(true);
  auto on = compile(d, follow);
  ASSERT_TRUE(static_cast<bool>(on));
  EXPECT_EQ(on->backend(), Backend::Jit);
  setSpecialize(was);
}

TEST(Engine, EmitsEveryStage) {
  Descriptor d = parse(kChurn);
  for (Stage s : {Stage::Descriptor, Stage::Spec, Stage::Lowered, Stage::LLVMDialect, Stage::LLVM,
                  Stage::LLVMOpt, Stage::Asm, Stage::Obj}) {
    auto text = emitStage(d, s);
    ASSERT_TRUE(static_cast<bool>(text)) << errorText(text.takeError());
    EXPECT_FALSE(text->empty()) << stageName(s).str();
  }
  EXPECT_NE(emitStage(d, Stage::Spec)->find("spec.one_hot"), std::string::npos);
  EXPECT_NE(emitStage(d, Stage::LLVMOpt)->find(" x double> @_ZGV"), std::string::npos);
  EXPECT_EQ(emitStage(d, Stage::Obj)->substr(0, 4), "\x7f"
                                                    "ELF");
}

TEST(Engine, StageNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(Stage::Obj); ++i) {
    Stage s = static_cast<Stage>(i);
    EXPECT_EQ(parseStage(stageName(s)), s);
  }
  EXPECT_FALSE(parseStage("bogus"));
}

} // namespace

TEST(Engine, SeriesWithHugeWindowsDoesNotExhaustTheStack) {
  // Twelve windows of ~100000 values (~9.6 MB of window scratch, more than a
  // thread's 8 MB stack): the compiled kernel keeps its scratch in the
  // heap-allocated state, and agrees with the interpreter.
  std::string text =
      R"({"specjit": 1, "kind": "series", "inputs": [{"name": "close", "type": "f64"}],
    "output": {"type": "f64"}, "indicators": [)";
  for (int i = 0; i < 12; ++i)
    text += std::string(i ? ", " : "") + R"({"name": "s)" + std::to_string(i) +
            R"(", "op": "sma", "input": "close", "period": )" + std::to_string(100000 - i) + "}";
  text += "]}";
  Descriptor d = parse(text);
  auto k = compile(d, jitOptions());
  CompileOptions io = jitOptions();
  io.specialize = false;
  auto ik = compile(d, io);
  ASSERT_TRUE(k && ik);
  ASSERT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
  const int64_t rows = 2000;
  std::vector<double> close(rows);
  for (int64_t i = 0; i < rows; ++i)
    close[i] = 100.0 + (i % 97) * 0.25;
  std::vector<double> a(rows * 12, 1.0), b(rows * 12, 2.0);
  std::thread t([&] {
    ASSERT_FALSE(k->run({Column::f64(close.data(), rows)}, Output::f64(a.data(), rows, 12)));
  });
  t.join();
  ASSERT_FALSE(ik->run({Column::f64(close.data(), rows)}, Output::f64(b.data(), rows, 12)));
  for (size_t i = 0; i < a.size(); ++i) // all within the lookback
    ASSERT_TRUE(std::isnan(a[i]) && std::isnan(b[i])) << i;
}

TEST(Engine, OversizedKernelsRunOnTheInterpreterWithAReason) {
  // A 2000-way one_hot over a float column is a compare chain (integer and
  // string lookups take constant tables instead), which would take LLVM
  // tens of seconds: it is not compiled.
  std::string cats;
  for (int i = 0; i < 2000; ++i)
    cats += (i ? "," : "") + std::to_string(i);
  std::string text = R"({"specjit": 1, "kind": "pipeline", "inputs": [{"name": "c", "type": "f64"}],
    "output": {"type": "f32"}, "steps": [{"op": "one_hot", "column": "c", "categories": [)" +
                     cats + "]}]}";
  Descriptor d = parse(text);
  auto t0 = std::chrono::steady_clock::now();
  auto k = compile(d, jitOptions());
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  EXPECT_EQ(k->backend(), Backend::Interpreter);
  EXPECT_NE(k->fallbackReason().find("too large to specialize"), std::string::npos)
      << k->fallbackReason();
  double c[3] = {5, 1999, -3};
  std::vector<float> out(3 * 2000, 7.0f);
  ASSERT_FALSE(k->run({Column::f64(c, 3)}, Output::f32(out.data(), 3, 2000)));
  EXPECT_EQ(out[5], 1.0f);
  EXPECT_EQ(out[2000 + 1999], 1.0f);
  EXPECT_EQ(std::count(out.begin(), out.end(), 1.0f), 2);
}

namespace {

/// A pipeline over two f64 inputs and a string with `columns` outputs c_k =
/// x * (k + 1) + y (exact in f64, so JIT and interpreter agree bit for bit)
/// and the string's label code (its lookup makes the kernel's row loop a
/// blocked one), optionally with a one_hot of `oneHot` categories first.
std::string wideRows(int columns, const char *type, int oneHot = 0) {
  std::string s = R"({"specjit": 1, "kind": "pipeline", "name": "wide", "inputs": [)"
                  R"({"name": "x", "type": "f64"}, {"name": "y", "type": "f64"}, )"
                  R"({"name": "s", "type": "string"})";
  s += oneHot ? R"(, {"name": "cat", "type": "i64"}], "steps": [)" : R"(], "steps": [)";
  s += R"({"op": "label_encode", "column": "s", "mapping": ["ab", "cde", "f"], "default": -1}, )";
  std::string names = "\"s\", ";
  if (oneHot) {
    s += R"({"op": "one_hot", "column": "cat", "categories": [)";
    for (int c = 0; c < oneHot; ++c) {
      s += (c ? ", " : "") + std::to_string(c);
      names += "\"cat=" + std::to_string(c) + "\", ";
    }
    s += "]}, ";
  }
  for (int k = 0; k < columns; ++k) {
    std::string name = "c" + std::to_string(k);
    s += (k ? ", " : "") + std::string(R"({"op": "expr", "name": ")") + name +
         R"(", "expr": "x * )" + std::to_string(k + 1) + R"( + y"})";
    names += (k ? ", \"" : "\"") + name + "\"";
  }
  s += R"(], "output": {"type": ")" + std::string(type) + R"(", "columns": [)" + names + "]}}";
  return s;
}

/// Runs `d` over `rows` generated rows on both backends and compares the
/// outputs bit for bit (NaN alike), the buffer's guard cells untouched.
void expectBackendsAgree(const Descriptor &d, int64_t rows, bool f32) {
  auto jk = compile(d, jitOptions());
  CompileOptions io = jitOptions();
  io.specialize = false;
  auto ik = compile(d, io);
  ASSERT_TRUE(jk && ik);
  ASSERT_EQ(jk->backend(), Backend::Jit) << jk->fallbackReason();
  size_t cols = jk->numOutputs();
  std::vector<double> x(rows), y(rows);
  std::vector<int64_t> cat(rows), offsets = {0};
  const char *words[] = {"ab", "cde", "f", "zz", ""};
  std::string bytes;
  for (int64_t r = 0; r < rows; ++r) {
    x[r] = r % 97 == 5 ? std::nan("") : 0.25 * static_cast<double>(r % 1013) - 17.0;
    y[r] = 1.0 / static_cast<double>(r + 3);
    cat[r] = r % 13;
    bytes += words[r % 5];
    offsets.push_back(static_cast<int64_t>(bytes.size()));
  }
  std::vector<Column> in = {Column::f64(x.data(), rows), Column::f64(y.data(), rows),
                            Column::strings(offsets.data(), bytes.data(), rows)};
  if (d.inputs().size() == 4)
    in.push_back(Column::i64(cat.data(), rows));
  const double guard = -12345.0;
  size_t n = static_cast<size_t>(rows) * cols;
  std::vector<double> a(n + 16, guard), b(n + 16, guard);
  std::vector<float> af(n + 16, guard), bf(n + 16, guard);
  if (f32) {
    ASSERT_FALSE(jk->run(in, Output::f32(af.data(), rows, cols)));
    ASSERT_FALSE(ik->run(in, Output::f32(bf.data(), rows, cols)));
    for (size_t i = 0; i < af.size(); ++i)
      ASSERT_TRUE(sameBits(af[i], bf[i])) << "row " << i / cols << " column " << i % cols;
    EXPECT_EQ(af[n], static_cast<float>(guard));
  } else {
    ASSERT_FALSE(jk->run(in, Output::f64(a.data(), rows, cols)));
    ASSERT_FALSE(ik->run(in, Output::f64(b.data(), rows, cols)));
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_TRUE(std::memcmp(&a[i], &b[i], 8) == 0 || (std::isnan(a[i]) && std::isnan(b[i])))
          << "row " << i / cols << " column " << i % cols;
    EXPECT_EQ(a[n], guard);
  }
}

} // namespace

// In a blocked row loop, rows wider than an interleaved store (8 columns)
// are stored through an output tile, block by block; at 65 columns and with
// a long one_hot run they are stored column by column. Every width, both element types and
// row counts around the block size agree with the interpreter.
TEST(Engine, WideRowsAgreeWithTheInterpreterThroughTheOutputTile) {
  for (int columns : {8, 11, 63, 64})
    for (const char *type : {"f32", "f64"})
      for (int64_t rows : {1, 7, 255, 256, 257, 1000}) {
        SCOPED_TRACE(std::to_string(columns + 1) + " " + type + " columns, " +
                     std::to_string(rows) + " rows");
        expectBackendsAgree(parse(wideRows(columns, type)), rows, type[1] == '3');
      }
  for (int64_t rows : {5, 300}) {
    SCOPED_TRACE("one_hot of 13 then 4 columns, " + std::to_string(rows) + " rows");
    expectBackendsAgree(parse(wideRows(4, "f32", 13)), rows, true);
  }
}
