//===- InterpreterTest.cpp - Tests of the generic interpreter -------------===//
//
// Descriptors are written as JSON text and parsed with Descriptor::parse; the
// interpreter is then run through the kernel ABI. Expected values are worked
// out by hand (or, for large inputs, by a straightforward per-row reference
// that follows docs/pipeline-semantics.md) and compared bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"
#include "specjit/Descriptor.h"

#include "InterpreterTestSupport.h"
#include "KernelArgs.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace specjit;
using interp::Interpreter;
using jit::Descriptor;

namespace {

constexpr int64_t kB = interp::kInterpreterBlockRows;
const double NaN = std::numeric_limits<double>::quiet_NaN();
const double Inf = std::numeric_limits<double>::infinity();

using specjit_test::compile;
using specjit_test::Compiled;

using specjit_test::Inputs;

/// Runs into an f64 output; the result code goes to *rc (expected 0 if
/// null).
std::vector<double> run64(const Compiled &c, const Inputs &in, int64_t rows,
                          int64_t *rc = nullptr) {
  std::vector<double> out(static_cast<size_t>(rows) * c.cols + 1, -777.0);
  int64_t r = c.interp->run(in.args(), out.data(), rows);
  if (rc)
    *rc = r;
  else
    EXPECT_EQ(r, 0);
  out.pop_back();
  return out;
}

std::vector<float> run32(const Compiled &c, const Inputs &in, int64_t rows) {
  std::vector<float> out(static_cast<size_t>(rows) * c.cols + 1, -777.0f);
  EXPECT_EQ(c.interp->run(in.args(), out.data(), rows), 0);
  out.pop_back();
  return out;
}

/// Bitwise equality, except that any NaN equals any NaN.
bool same(double a, double b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}
bool same(float a, float b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

template <class T>
void expectSame(const std::vector<T> &got, const std::vector<T> &want,
                const std::string &what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(same(got[i], want[i]))
        << what << " element " << i << ": got " << got[i] << ", want " << want[i];
}

/// A pipeline document around the given inputs / output / steps JSON.
std::string doc(const std::string &inputs, const std::string &output, const std::string &steps) {
  return R"({"specjit": 1, "kind": "pipeline", "inputs": )" + inputs + R"(, "output": )" + output +
         R"(, "steps": )" + steps + "}";
}

//===----------------------------------------------------------------------===//
// Numeric ops
//===----------------------------------------------------------------------===//

TEST(Interpreter, StandardizeInt) {
  auto c = compile(doc(R"([{"name": "age", "type": "i64", "missing": -1}])", R"({"type": "f64"})",
                       R"([{"op": "standardize", "column": "age",
                            "mean": 35, "std": 15}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i64({20, 35, 50, -1, 0});
  expectSame(run64(c, in, 5), {-1.0, 0.0, 1.0, NaN, -35.0 / 15.0});
}

TEST(Interpreter, StandardizeFloat) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "standardize", "column": "x",
                            "mean": 0.1, "std": 3}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({0.1, 0.4, NaN, Inf});
  // (x - mean) / std, not x * (1/std): (0.4 - 0.1) / 3 = 0.30000000000000004
  // / 3.
  expectSame(run64(c, in, 4), {0.0, (0.4 - 0.1) / 3.0, NaN, Inf});
  EXPECT_TRUE(same((0.4 - 0.1) / 3.0, 0.30000000000000004 / 3.0));
}

TEST(Interpreter, MinMax) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "minmax", "column": "x",
                            "min": 10, "max": 20}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({10, 15, 20, 25, 5, NaN});
  expectSame(run64(c, in, 6), {0.0, 0.5, 1.0, 1.5, -0.5, NaN});
}

TEST(Interpreter, MinMaxRangeComputedOnce) {
  // range = 0.3 - 0.1 = 0.19999999999999998; then (x - 0.1) / range.
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "minmax", "column": "x",
                            "min": 0.1, "max": 0.3}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({0.2, 0.3});
  double range = 0.3 - 0.1;
  expectSame(run64(c, in, 2), {(0.2 - 0.1) / range, (0.3 - 0.1) / range});
}

TEST(Interpreter, LogAndLog1p) {
  auto c = compile(doc(R"([{"name": "a", "type": "f64"},
                           {"name": "b", "type": "f64"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "log", "column": "a"},
                           {"op": "log1p", "column": "b"}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({1, 0, -1, 100, NaN, Inf}).f64({0, -1, -2, 1, NaN, Inf});
  expectSame(run64(c, in, 6), {0.0, 0.0,                         //
                               -Inf, -Inf,                       //
                               NaN, NaN,                         //
                               std::log(100.0), std::log1p(1.0), //
                               NaN, NaN,                         //
                               Inf, Inf});
}

TEST(Interpreter, Clip) {
  auto c = compile(doc(R"([{"name": "lo", "type": "f64"},
                           {"name": "hi", "type": "f64"},
                           {"name": "both", "type": "f64"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "clip", "column": "lo", "min": 0},
                           {"op": "clip", "column": "hi", "max": 1},
                           {"op": "clip", "column": "both",
                            "min": -1, "max": 1}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({-5, 0.5, 5, NaN, -Inf}).f64({-5, 0.5, 5, NaN, Inf}).f64({-5, 0.5, 5, NaN, Inf});
  expectSame(run64(c, in, 5), {0, -5, -1,     //
                               0.5, 0.5, 0.5, //
                               5, 1, 1,       //
                               NaN, NaN, NaN, //
                               0, 1, 1});
}

TEST(Interpreter, ClipKeepsNegativeZero) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "clip", "column": "x", "min": 0}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({-0.0});
  // -0.0 < 0.0 is false, so x passes through unchanged.
  expectSame(run64(c, in, 1), {-0.0});
}

TEST(Interpreter, ImputeFloat) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "impute", "column": "x", "value": 2.5}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({1, NaN, -0.0, Inf});
  expectSame(run64(c, in, 4), {1, 2.5, -0.0, Inf});
}

TEST(Interpreter, ImputeIntStaysInt) {
  // Integral value: the column stays Int without a sentinel, so a later
  // one_hot compares integers and -1 is no longer missing.
  auto c = compile(doc(R"([{"name": "c", "type": "i64", "missing": -1}])", R"({"type": "f64"})",
                       R"([{"op": "impute", "column": "c", "value": 7},
                           {"op": "one_hot", "column": "c",
                            "categories": [7, 1]}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 2u);
  Inputs in;
  in.i64({-1, 1, 7, 3});
  expectSame(run64(c, in, 4), {1, 0, 0, 1, 1, 0, 0, 0});
}

TEST(Interpreter, ImputeIntOutputAndLargeValues) {
  auto c = compile(doc(R"([{"name": "c", "type": "i64", "missing": 0}])", R"({"type": "f64"})",
                       R"([{"op": "impute", "column": "c", "value": -3}])"));
  ASSERT_TRUE(c);
  Inputs in;
  // 2^53 + 1 is not representable: (double)v rounds to nearest even.
  in.i64({0, 5, 9007199254740993LL});
  expectSame(run64(c, in, 3), {-3, 5, 9007199254740992.0});
}

TEST(Interpreter, ImputeIntToFloat) {
  auto c = compile(doc(R"([{"name": "c", "type": "i32", "missing": -1}])", R"({"type": "f64"})",
                       R"([{"op": "impute", "column": "c", "value": 0.5},
                           {"op": "standardize", "column": "c",
                            "mean": 0, "std": 2}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i32({-1, 3, -7});
  expectSame(run64(c, in, 3), {0.25, 1.5, -3.5});
}

TEST(Interpreter, MissingIntBecomesNaNInOutput) {
  auto c = compile(doc(R"([{"name": "c", "type": "i32", "missing": 99},
                           {"name": "d", "type": "i64"}])",
                       R"({"type": "f64"})", "[]"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i32({99, -4}).i64({99, -4});
  expectSame(run64(c, in, 2), {NaN, 99, -4, -4});
}

//===----------------------------------------------------------------------===//
// Categorical ops
//===----------------------------------------------------------------------===//

TEST(Interpreter, OneHotInt) {
  auto c = compile(doc(R"([{"name": "c", "type": "i64", "missing": -1}])", R"({"type": "f64"})",
                       R"([{"op": "one_hot", "column": "c",
                            "categories": [0, 2, 5]}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 3u);
  Inputs in;
  in.i64({0, 2, 5, 3, -1});
  expectSame(run64(c, in, 5), {1, 0, 0, //
                               0, 1, 0, //
                               0, 0, 1, //
                               0, 0, 0, //
                               0, 0, 0});
}

TEST(Interpreter, OneHotFloat) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "one_hot", "column": "x",
                            "categories": [0.5, 1, -2]}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({1.0, 0.5, -2, NaN, 0.25});
  expectSame(run64(c, in, 5), {0, 1, 0, //
                               1, 0, 0, //
                               0, 0, 1, //
                               0, 0, 0, //
                               0, 0, 0});
}

TEST(Interpreter, OneHotFloatSignedZeros) {
  // Compared as f64: -0.0 equals the category 0 (and 0.0 equals -0).
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "one_hot", "column": "x",
                            "categories": [0, 1]},
                           {"op": "label_encode", "column": "x=1",
                            "mapping": {"-0.0": 5}}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 2u);
  Inputs in;
  in.f64({0.0, -0.0, 1});
  expectSame(run64(c, in, 3), {1, 5, 1, 5, 0, -1});
}

TEST(Interpreter, OneHotString) {
  auto c = compile(doc(R"([{"name": "color", "type": "string"}])", R"({"type": "f64"})",
                       R"([{"op": "one_hot", "column": "color",
                            "categories": ["red", "green", "", "re"]}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 4u);
  Inputs in;
  in.str({"green", "red", "", "redd", "re", "Red"});
  expectSame(run64(c, in, 6), {0, 1, 0, 0, //
                               1, 0, 0, 0, //
                               0, 0, 1, 0, //
                               0, 0, 0, 0, //
                               0, 0, 0, 1, //
                               0, 0, 0, 0});
}

TEST(Interpreter, OneHotManyCategories) {
  // More categories than the linear scan handles: dense int table, sorted int
  // table, sorted floats and a string hash map.
  std::string dense = "[", sparse = "[", floats = "[", strs = "[";
  for (int j = 0; j < 20; ++j) {
    const char *sep = j ? ", " : "";
    dense += sep + std::to_string(j * 2);
    sparse += sep + std::to_string(int64_t(j) * 1000000007LL - 5);
    floats += sep + std::to_string(j) + ".5";
    strs += std::string(sep) + "\"s" + std::to_string(j) + "\"";
  }
  dense += "]", sparse += "]", floats += "]", strs += "]";
  auto c = compile(doc(R"([{"name": "a", "type": "i64"},
                           {"name": "b", "type": "i64"},
                           {"name": "c", "type": "f64"},
                           {"name": "d", "type": "string"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "one_hot", "column": "a", "categories": )" + dense +
                           R"(, "unknown": "error"},
                           {"op": "one_hot", "column": "b", "categories": )" +
                           sparse + R"(, "unknown": "error"},
                           {"op": "one_hot", "column": "c", "categories": )" +
                           floats + R"(, "unknown": "error"},
                           {"op": "one_hot", "column": "d", "categories": )" +
                           strs + R"(, "unknown": "error"}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 80u);
  Inputs in;
  in.i64({0, 38, 14}).i64({-5, 19 * 1000000007LL - 5, 7 * 1000000007LL - 5});
  in.f64({0.5, 19.5, 3.5}).str({"s0", "s19", "s11"});
  auto out = run64(c, in, 3);
  std::vector<int> hot[3] = {{0, 0, 0, 0}, {19, 19, 19, 19}, {7, 7, 3, 11}};
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k)
      for (int j = 0; j < 20; ++j)
        EXPECT_EQ(out[r * 80 + k * 20 + j], j == hot[r][k] ? 1.0 : 0.0)
            << "row " << r << " step " << k << " category " << j;

  // One unknown per column, each in a different row: the first row fails.
  for (int k = 0; k < 4; ++k) {
    Inputs bad;
    std::vector<int64_t> a{0, 2, 4}, b{-5, -5, -5};
    std::vector<double> f{0.5, 0.5, 0.5};
    std::vector<std::string> s{"s1", "s1", "s1"};
    if (k == 0)
      a[2] = 1; // odd: between dense entries
    if (k == 1)
      b[2] = 0;
    if (k == 2)
      f[2] = 0.0;
    if (k == 3)
      s[2] = "s20";
    bad.i64(a).i64(b).f64(f).str(s);
    int64_t rc = 0;
    run64(c, bad, 3, &rc);
    EXPECT_EQ(rc, 3) << "step " << k;
  }
}

TEST(Interpreter, OneHotUnknownErrorLeavesOutputUntouched) {
  auto c = compile(doc(R"([{"name": "c", "type": "i64", "missing": -1},
                           {"name": "x", "type": "f64"}])",
                       R"({"type": "f32"})",
                       R"([{"op": "one_hot", "column": "c",
                            "categories": [0, 1, 2], "unknown": "error"}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 4u);
  // Failing row in the second block.
  int64_t rows = kB + 300;
  std::vector<int64_t> cat(rows);
  std::vector<double> x(rows);
  for (int64_t r = 0; r < rows; ++r) {
    cat[r] = r % 3;
    x[r] = double(r);
  }
  cat[kB + 17] = 3;
  cat[kB + 200] = 7;
  Inputs in;
  in.i64(cat).f64(x);
  std::vector<float> out(rows * 4, 42.0f);
  EXPECT_EQ(c.interp->run(in.args(), out.data(), rows), kB + 18);
  for (float v : out)
    ASSERT_EQ(v, 42.0f);

  // Missing matches nothing, so it fails too.
  cat[kB + 17] = 0;
  cat[kB + 200] = 0;
  cat[5] = -1;
  Inputs in2;
  in2.i64(cat).f64(x);
  EXPECT_EQ(c.interp->run(in2.args(), out.data(), rows), 6);
  for (float v : out)
    ASSERT_EQ(v, 42.0f);

  // All good: the output is written.
  cat[5] = 2;
  Inputs in3;
  in3.i64(cat).f64(x);
  EXPECT_EQ(c.interp->run(in3.args(), out.data(), rows), 0);
  EXPECT_EQ(out[5 * 4 + 2], 1.0f);
  EXPECT_EQ(out[5 * 4 + 3], 5.0f);
}

TEST(Interpreter, OneHotErrorOnComputedColumn) {
  // The checked column is computed (impute first); the earliest failing row
  // wins across steps.
  auto c = compile(doc(R"([{"name": "c", "type": "i64", "missing": -1},
                           {"name": "s", "type": "string"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "impute", "column": "c", "value": 1},
                           {"op": "one_hot", "column": "c",
                            "categories": [0, 1], "unknown": "error"},
                           {"op": "one_hot", "column": "s",
                            "categories": ["a"], "unknown": "error"}])"));
  ASSERT_TRUE(c);
  Inputs ok;
  ok.i64({-1, 0, 1}).str({"a", "a", "a"});
  expectSame(run64(c, ok, 3), {0, 1, 1, 1, 0, 1, 0, 1, 1});
  Inputs bad;
  bad.i64({-1, 0, 1, 2}).str({"a", "a", "b", "a"});
  int64_t rc = 0;
  run64(c, bad, 4, &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(c.interp->describeFailure(bad.args(), 2),
            "row 2: steps[2] (one_hot of 's'): value \"b\" is not one of "
            "the categories");
  EXPECT_EQ(c.interp->describeFailure(bad.args(), 3),
            "row 3: steps[1] (one_hot of 'c'): value 2 is not one of the "
            "categories");
  EXPECT_EQ(c.interp->describeFailure(bad.args(), 0), "row 0: no data check fails");
}

TEST(Interpreter, DescribeFailure) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"},
                           {"name": "color", "type": "string"},
                           {"name": "n", "type": "i32", "missing": -1},
                           {"name": "f", "type": "f32"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "standardize", "column": "x",
                            "mean": 0, "std": 1},
                           {"op": "one_hot", "column": "n",
                            "categories": [1, 2], "unknown": "error"},
                           {"op": "log", "column": "x"},
                           {"op": "one_hot", "column": "color",
                            "categories": ["red"], "unknown": "error"},
                           {"op": "one_hot", "column": "f",
                            "categories": [1.5], "unknown": "error"}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({1, 1, 1, 1, 1})
      .str({"red", "teal", "red", "red", "red"})
      .i32({1, 1, -1, -7, 1})
      .f32({1.5f, 1.5f, 1.5f, 1.5f, 0.25f});
  int64_t rc = 0;
  run64(c, in, 5, &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(c.interp->describeFailure(in.args(), 1),
            "row 1: steps[3] (one_hot of 'color'): value \"teal\" is not one "
            "of the categories");
  EXPECT_EQ(c.interp->describeFailure(in.args(), 2),
            "row 2: steps[1] (one_hot of 'n'): value missing is not one of "
            "the categories");
  EXPECT_EQ(c.interp->describeFailure(in.args(), 3),
            "row 3: steps[1] (one_hot of 'n'): value -7 is not one of the "
            "categories");
  EXPECT_EQ(c.interp->describeFailure(in.args(), 4),
            "row 4: steps[4] (one_hot of 'f'): value 0.25 is not one of the "
            "categories");
  EXPECT_EQ(c.interp->describeFailure(in.args(), 0), "row 0: no data check fails");
}

TEST(Interpreter, LabelEncodeInt) {
  auto c = compile(doc(R"([{"name": "c", "type": "i64", "missing": -1}])", R"({"type": "f64"})",
                       R"([{"op": "label_encode", "column": "c",
                            "mapping": {"10": 1.5, "20": 2, "-3": 0}}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i64({10, 20, -3, 5, -1});
  expectSame(run64(c, in, 5), {1.5, 2, 0, -1, -1});
}

TEST(Interpreter, LabelEncodeStringArrayAndDefault) {
  auto c = compile(doc(R"([{"name": "s", "type": "string"}])", R"({"type": "f64"})",
                       R"([{"op": "label_encode", "column": "s",
                            "mapping": ["x", "y", "zz"], "default": 9.5}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.str({"zz", "x", "", "y", "z"});
  expectSame(run64(c, in, 5), {2, 0, 9.5, 1, 9.5});
}

TEST(Interpreter, LabelEncodeFloatAndMissing) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"},
                           {"name": "b", "type": "bool", "missing": 1}])",
                       R"({"type": "f64"})",
                       R"([{"op": "label_encode", "column": "x",
                            "mapping": {"0.5": 10, "2": 20}},
                           {"op": "label_encode", "column": "b",
                            "mapping": {"0": 3}, "default": -2}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({2, 0.5, NaN, 3}).boolean({0, 1, 0, 1});
  expectSame(run64(c, in, 4), {20, 3, 10, -2, -1, 3, -1, -2});
}

TEST(Interpreter, LabelEncodeManyCategories) {
  std::string ints = "{", strs = "{";
  for (int j = 0; j < 30; ++j) {
    const char *sep = j ? ", " : "";
    ints += std::string(sep) + "\"" + std::to_string(j * 7) + "\": " + std::to_string(100 + j);
    strs += std::string(sep) + "\"k" + std::to_string(j) + "\": " + std::to_string(200 + j);
  }
  ints += "}", strs += "}";
  auto c = compile(doc(R"([{"name": "a", "type": "i64", "missing": 15},
                           {"name": "s", "type": "string"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "label_encode", "column": "a", "mapping": )" + ints + R"(},
                           {"op": "label_encode", "column": "s", "mapping": )" +
                           strs + "}]"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i64({0, 203, 15, 8}).str({"k0", "k29", "k", "k2"});
  expectSame(run64(c, in, 4), {100, 200, 129, 229, -1, -1, -1, 202});
}

TEST(Interpreter, LabelEncodeManyFloatCategories) {
  std::string m = "{";
  for (int j = 0; j < 25; ++j)
    m += std::string(j ? ", " : "") + "\"" + std::to_string(j) + ".25\": " + std::to_string(j * 10);
  m += "}";
  auto c = compile(doc(R"([{"name": "x", "type": "f32"}])", R"({"type": "f64"})",
                       R"([{"op": "label_encode", "column": "x", "mapping": )" + m + "}]"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f32({0.25f, 24.25f, 7.25f, 7.5f, NAN});
  expectSame(run64(c, in, 5), {0, 240, 70, -1, -1});
}

//===----------------------------------------------------------------------===//
// Polynomial and bucketize
//===----------------------------------------------------------------------===//

TEST(Interpreter, PolynomialDegree2) {
  auto c = compile(doc(R"([{"name": "k", "type": "f64"},
                           {"name": "a", "type": "f64"},
                           {"name": "b", "type": "i64"},
                           {"name": "z", "type": "f64"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "polynomial", "columns": ["a", "b"],
                            "degree": 2}])"));
  ASSERT_TRUE(c);
  // k, [1, a, b, a^2, a b, b^2], z
  ASSERT_EQ(c.cols, 8u);
  EXPECT_EQ(c.desc->outputNames()[1], "1");
  EXPECT_EQ(c.desc->outputNames()[5], "a b");
  Inputs in;
  in.f64({9, 0.1}).f64({2, 0.1}).i64({3, 7}).f64({8, 0});
  expectSame(run64(c, in, 2), {9, 1, 2, 3, 4, 6, 9, 8, //
                               0.1, 1, 0.1, 7, 0.1 * 0.1, 0.1 * 7, 49, 0});
}

TEST(Interpreter, PolynomialDegree3) {
  auto c = compile(doc(R"([{"name": "a", "type": "f64"},
                           {"name": "b", "type": "f64"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "polynomial", "columns": ["a", "b"],
                            "degree": 3}])"));
  ASSERT_TRUE(c);
  // 1, a, b, a^2, a b, b^2, a^3, a^2 b, a b^2, b^3
  ASSERT_EQ(c.cols, 10u);
  Inputs in;
  in.f64({2, 0.1, NaN}).f64({3, 0.7, 1});
  double a = 0.1, b = 0.7;
  expectSame(run64(c, in, 3),
             {1, 2,   3, 4,     6,     9,     8,           12,          18,          27,          //
              1, a,   b, a * a, b * a, b * b, (a * a) * a, (a * b) * a, (b * b) * a, (b * b) * b, //
              1, NaN, 1, NaN,   NaN,   1,     NaN,         NaN,         NaN,         1});
  // scikit-learn's association, a^2 b = (a*b)*a, differs from (a*a)*b here.
  EXPECT_FALSE(same((a * b) * a, (a * a) * b));
}

TEST(Interpreter, PolynomialInteractionOnlyNoBias) {
  auto c = compile(doc(R"([{"name": "a", "type": "f64"},
                           {"name": "b", "type": "f64"},
                           {"name": "c", "type": "f64"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "polynomial", "columns": ["c", "a", "b"],
                            "degree": 3, "interaction_only": true,
                            "include_bias": false}])"));
  ASSERT_TRUE(c);
  // Listed order c, a, b: c, a, b, c a, c b, a b, c a b.
  ASSERT_EQ(c.cols, 7u);
  Inputs in;
  in.f64({2}).f64({3}).f64({5});
  expectSame(run64(c, in, 1), {5, 2, 3, 10, 15, 6, 30});
}

TEST(Interpreter, PolynomialDegree1) {
  auto c = compile(doc(R"([{"name": "a", "type": "f64"},
                           {"name": "b", "type": "i32", "missing": 0}])",
                       R"({"type": "f64"})",
                       R"([{"op": "polynomial", "columns": ["b", "a"],
                            "degree": 1}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 3u);
  Inputs in;
  in.f64({2, 4}).i32({0, 3});
  expectSame(run64(c, in, 2), {1, NaN, 2, 1, 3, 4});
}

TEST(Interpreter, Bucketize) {
  auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                       R"([{"op": "bucketize", "column": "x",
                            "edges": [0, 10, 20]}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({-5, 0, 5, 10, 19.99, 20, 25, NaN, -Inf, Inf, -0.0});
  expectSame(run64(c, in, 11), {0, 1, 1, 2, 2, 3, 3, 3, 0, 3, 1});
}

TEST(Interpreter, BucketizeManyEdges) {
  std::string edges = "[";
  for (int j = 0; j < 40; ++j)
    edges += (j ? ", " : "") + std::to_string(j);
  edges += "]";
  auto c = compile(doc(R"([{"name": "x", "type": "i64", "missing": -100}])", R"({"type": "f64"})",
                       R"([{"op": "bucketize", "column": "x", "edges": )" + edges + "}]"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i64({-1, 0, 5, 39, 40, 1000, -100});
  expectSame(run64(c, in, 7), {0, 1, 6, 40, 40, 40, 40});
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// Evaluates `text` over rows of (a, b, c).
std::vector<double> evalExpr(const std::string &text, const std::vector<double> &a,
                             const std::vector<double> &b, const std::vector<double> &c) {
  auto k = compile(doc(R"([{"name": "a", "type": "f64"},
                           {"name": "b", "type": "f64"},
                           {"name": "c", "type": "f64"}])",
                       R"({"type": "f64", "columns": ["y"]})",
                       R"([{"op": "expr", "name": "y", "expr": ")" + text + R"("}])"));
  if (!k)
    return {};
  Inputs in;
  in.f64(a).f64(b).f64(c);
  return run64(k, in, static_cast<int64_t>(a.size()));
}

TEST(Interpreter, ExprOperatorsAgainstFormulas) {
  std::vector<double> vals = {0.0, -0.0, 1.0, -2.5, 0.1, 3.0, NaN, Inf, -Inf};
  std::vector<double> a, b, c;
  for (double x : vals)
    for (double y : vals) {
      a.push_back(x);
      b.push_back(y);
      c.push_back(x == 1.0 ? NaN : y);
    }
  auto t = [](bool v) { return v ? 1.0 : 0.0; };
  auto truth = [](double x) { return x != 0.0; };
  struct Case {
    const char *text;
    std::function<double(double, double, double)> f;
  } cases[] = {
      {"a + b", [](double x, double y, double) { return x + y; }},
      {"a - b", [](double x, double y, double) { return x - y; }},
      {"a * b", [](double x, double y, double) { return x * y; }},
      {"a / b", [](double x, double y, double) { return x / y; }},
      {"-a", [](double x, double, double) { return -x; }},
      {"a < b", [&](double x, double y, double) { return t(x < y); }},
      {"a <= b", [&](double x, double y, double) { return t(x <= y); }},
      {"a > b", [&](double x, double y, double) { return t(x > y); }},
      {"a >= b", [&](double x, double y, double) { return t(x >= y); }},
      {"a == b", [&](double x, double y, double) { return t(x == y); }},
      {"a != b", [&](double x, double y, double) { return t(x < y || x > y); }},
      {"a and b", [&](double x, double y, double) { return t(truth(x) && truth(y)); }},
      {"a && b", [&](double x, double y, double) { return t(truth(x) && truth(y)); }},
      {"a or b", [&](double x, double y, double) { return t(truth(x) || truth(y)); }},
      {"a || b", [&](double x, double y, double) { return t(truth(x) || truth(y)); }},
      {"not a", [&](double x, double, double) { return t(!truth(x)); }},
      {"!a", [&](double x, double, double) { return t(!truth(x)); }},
      {"min(a, b)", [](double x, double y, double) { return x < y ? x : y; }},
      {"max(a, b)", [](double x, double y, double) { return x > y ? x : y; }},
      {"abs(a)", [](double x, double, double) { return std::fabs(x); }},
      {"sqrt(a)", [](double x, double, double) { return std::sqrt(x); }},
      {"exp(a)", [](double x, double, double) { return std::exp(x); }},
      {"log(a)", [](double x, double, double) { return std::log(x); }},
      {"log1p(a)", [](double x, double, double) { return std::log1p(x); }},
      {"pow(a, b)", [](double x, double y, double) { return std::pow(x, y); }},
      {"a ** b", [](double x, double y, double) { return std::pow(x, y); }},
      {"select(c, a, b)", [&](double x, double y, double z) { return truth(z) ? x : y; }},
      {"c ? a : b", [&](double x, double y, double z) { return truth(z) ? x : y; }},
      {"a * 2 + b / 4 - 1", [](double x, double y, double) { return x * 2 + y / 4 - 1; }},
      {"2 - a", [](double x, double, double) { return 2 - x; }},
      {"min(a, 0.5)", [](double x, double, double) { return x < 0.5 ? x : 0.5; }},
      {"max(1, b)", [](double, double y, double) { return 1 > y ? 1 : y; }},
      {"c ? 1 : b", [&](double, double y, double z) { return truth(z) ? 1.0 : y; }},
      {"c ? a : 2", [&](double x, double, double z) { return truth(z) ? x : 2.0; }},
      {"a", [](double x, double, double) { return x; }},
      {"abs(a) + abs(b) * (a - b)",
       [](double x, double y, double) { return std::fabs(x) + std::fabs(y) * (x - y); }},
  };
  for (const Case &k : cases) {
    auto got = evalExpr(k.text, a, b, c);
    std::vector<double> want;
    for (size_t i = 0; i < a.size(); ++i)
      want.push_back(k.f(a[i], b[i], c[i]));
    expectSame(got, want, k.text);
  }
}

TEST(Interpreter, ExprHandValues) {
  struct Case {
    const char *text;
    double want;
  } cases[] = {
      {"1 + 2 * 3", 7},
      {"(1 + 2) * 3", 9},
      {"10 - 4 - 3", 3},
      {"8 / 4 / 2", 1},
      {"2 ** 3 ** 2", 512},
      {"-2 ** 2", -4},
      {"2 ** -1", 0.5},
      {"1 || 0 && 0", 1},
      {"(1 || 0) && 0", 0},
      {"not 1 < 2", 0},
      {"!0 + 1", 0},
      {"1 < 2", 1},
      {"2 <= 2", 1},
      {"3 > 4", 0},
      {"1 == 1", 1},
      {"1 != 1", 0},
      {"1 ? 2 : 3", 2},
      {"0 ? 2 : 3", 3},
      {"0 ? 2 : 1 ? 4 : 5", 4},
      {"min(3, max(1, 2))", 2},
      {"abs(-2.5)", 2.5},
      {"sqrt(16)", 4},
      {"exp(0)", 1},
      {"log(1)", 0},
      {"log1p(0)", 0},
      {"pow(2, 10)", 1024},
      {"select(0, 1, 2)", 2},
      {"2e-3 * 1000", 2},
      {"0.5 + a", 1.5},
      {"a ? -a : 9", -1},
      // NaN is true; comparisons with NaN are false; min/max pick b.
      {"b ? 1 : 0", 1},
      {"not b", 0},
      {"b and 1", 1},
      {"b or 0", 1},
      {"b == b", 0},
      {"b != b", 0},
      {"b < 1", 0},
      {"min(b, 1)", 1},
      {"max(b, 1)", 1},
      {"(b > 0) + (b <= 0)", 0},
      {"`c` * 2", 6},
  };
  for (const Case &k : cases) {
    auto got = evalExpr(k.text, {1.0}, {NaN}, {3.0});
    expectSame(got, {k.want}, k.text);
  }
  expectSame(evalExpr("min(1, b)", {1.0}, {NaN}, {3.0}), {NaN}, "min(1, b)");
  expectSame(evalExpr("max(1, b)", {1.0}, {NaN}, {3.0}), {NaN}, "max(1, b)");
  expectSame(evalExpr("-(a - a)", {1.0}, {NaN}, {3.0}), {-0.0}, "-(a - a)");
  expectSame(evalExpr("1 / (a - 1)", {1.0}, {NaN}, {3.0}), {Inf}, "1/0");
}

TEST(Interpreter, ExprReplacesOrAppends) {
  // An expr over Int columns (missing -> NaN) replacing an existing column
  // in place, and one appended at the end; dead columns are dropped.
  auto c = compile(doc(R"([{"name": "n", "type": "i32", "missing": -1},
                           {"name": "m", "type": "bool"},
                           {"name": "x", "type": "f64"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "expr", "name": "n", "expr": "n * 2 + m"},
                           {"op": "expr", "name": "t",
                            "expr": "x > n ? x : n"}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 4u);
  Inputs in;
  in.i32({3, -1}).boolean({1, 0}).f64({10, 5});
  expectSame(run64(c, in, 2), {7, 1, 10, 10, NaN, 0, 5, NaN});
}

//===----------------------------------------------------------------------===//
// Input and output types
//===----------------------------------------------------------------------===//

TEST(Interpreter, EveryInputType) {
  auto c = compile(doc(R"([{"name": "b", "type": "bool"},
                           {"name": "i", "type": "i32"},
                           {"name": "l", "type": "i64"},
                           {"name": "f", "type": "f32"},
                           {"name": "d", "type": "f64"},
                           {"name": "s", "type": "string"}])",
                       R"({"type": "f64"})",
                       R"([{"op": "label_encode", "column": "s",
                            "mapping": {"hi": 4}}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 6u);
  Inputs in;
  in.boolean({1, 0})
      .i32({-2147483647 - 1, 7})
      .i64({INT64_MAX, -9})
      .f32({0.1f, -0.0f})
      .f64({0.1, NaN})
      .str({"hi", "ho"});
  expectSame(run64(c, in, 2), {1, -2147483648.0, 9223372036854775807.0, double(0.1f), 0.1, 4, 0, 7,
                               -9, -0.0, NaN, -1});
}

TEST(Interpreter, F32AndF64Output) {
  std::string inputs = R"([{"name": "x", "type": "f64"},
                           {"name": "n", "type": "i64"}])";
  std::string steps = R"([{"op": "standardize", "column": "x",
                            "mean": 0, "std": 3}])";
  auto c64 = compile(doc(inputs, R"({"type": "f64"})", steps));
  auto c32 = compile(doc(inputs, R"({"type": "f32"})", steps));
  ASSERT_TRUE(c64 && c32);
  Inputs in;
  in.f64({1, 1e300, NaN}).i64({16777217, 3});
  expectSame(run64(c64, in, 2), {1.0 / 3.0, 16777217, 1e300 / 3.0, 3});
  // f64 -> f32 rounds to nearest; i64 -> f64 -> f32.
  expectSame(run32(c32, in, 2),
             {float(1.0 / 3.0), 16777216.0f, std::numeric_limits<float>::infinity(), 3.0f});
}

//===----------------------------------------------------------------------===//
// Many rows, blocks and threads
//===----------------------------------------------------------------------===//

const char *kWidePipeline = R"({
  "specjit": 1, "kind": "pipeline", "name": "wide",
  "inputs": [{"name": "age", "type": "i64", "missing": -1},
             {"name": "income", "type": "f64"},
             {"name": "eng", "type": "f32"},
             {"name": "cat", "type": "i64", "missing": -1},
             {"name": "color", "type": "string"},
             {"name": "city", "type": "string"},
             {"name": "h", "type": "i32"},
             {"name": "p", "type": "f64"},
             {"name": "q", "type": "f64"},
             {"name": "flag", "type": "bool"},
             {"name": "m", "type": "f64"}],
  "output": {"type": "OUTTYPE"},
  "steps": [
    {"op": "standardize", "column": "age", "mean": 35, "std": 15},
    {"op": "log", "column": "income"},
    {"op": "standardize", "column": "income", "mean": 10, "std": 2},
    {"op": "clip", "column": "eng", "min": 0, "max": 1},
    {"op": "impute", "column": "cat", "value": 1},
    {"op": "one_hot", "column": "cat", "categories": [0, 1, 2]},
    {"op": "one_hot", "column": "color", "categories": ["red", "green", "blue"]},
    {"op": "label_encode", "column": "city", "mapping": {"a": 1, "b": 2}},
    {"op": "bucketize", "column": "h", "edges": [0, 10, 20]},
    {"op": "polynomial", "columns": ["p", "q"], "degree": 2},
    {"op": "minmax", "column": "m", "min": -1, "max": 3},
    {"op": "expr", "name": "z", "expr": "flag ? `p q` * 2 : min(q, 3) - m"}
  ]})";
constexpr size_t kWideCols = 20;

/// Deterministic inputs for kWidePipeline.
struct WideData {
  std::vector<int64_t> age, cat;
  std::vector<double> income, p, q, m;
  std::vector<float> eng;
  std::vector<std::string> color, city;
  std::vector<int32_t> h;
  std::vector<uint8_t> flag;
  Inputs in;

  explicit WideData(int64_t rows) {
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    auto next = [&] {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      return s;
    };
    auto unit = [&] { return double(next() >> 11) * (1.0 / 9007199254740992.0); };
    const char *colors[] = {"red", "green", "blue", "teal", ""};
    const char *cities[] = {"a", "b", "c"};
    for (int64_t r = 0; r < rows; ++r) {
      age.push_back(next() % 17 == 0 ? -1 : int64_t(next() % 90));
      income.push_back(next() % 23 == 0 ? NaN : unit() * 1e5 - 100);
      eng.push_back(next() % 19 == 0 ? NAN : float(unit() * 1.6 - 0.3));
      cat.push_back(int64_t(next() % 5) - 1);
      color.push_back(colors[next() % 5]);
      city.push_back(cities[next() % 3]);
      h.push_back(int32_t(next() % 40) - 5);
      p.push_back(next() % 29 == 0 ? NaN : unit() * 4 - 2);
      q.push_back(unit() * 10 - 5);
      flag.push_back(uint8_t(next() & 1));
      m.push_back(unit() * 5 - 1.5);
    }
    in.i64(age).f64(income).f32(eng).i64(cat).str(color).str(city).i32(h);
    in.f64(p).f64(q).boolean(flag).f64(m);
  }

  /// The output row r, computed directly from the semantics page.
  std::vector<double> reference(int64_t r) const {
    std::vector<double> o;
    double a = age[r] == -1 ? NaN : double(age[r]);
    o.push_back((a - 35.0) / 15.0);
    o.push_back((std::log(income[r]) - 10.0) / 2.0);
    double e = eng[r];
    o.push_back(e < 0.0 ? 0.0 : (e > 1.0 ? 1.0 : e));
    int64_t c = cat[r] == -1 ? 1 : cat[r];
    for (int64_t k = 0; k < 3; ++k)
      o.push_back(c == k ? 1.0 : 0.0);
    for (const char *k : {"red", "green", "blue"})
      o.push_back(color[r] == k ? 1.0 : 0.0);
    o.push_back(city[r] == "a" ? 1.0 : city[r] == "b" ? 2.0 : -1.0);
    double hv = h[r];
    o.push_back(double(!(hv < 0) + !(hv < 10) + !(hv < 20)));
    double pv = p[r], qv = q[r];
    double pq = pv * qv;
    for (double v : {1.0, pv, qv, pv * pv, pq, qv * qv})
      o.push_back(v);
    o.push_back(double(flag[r]));
    double mv = (m[r] - -1.0) / (3.0 - -1.0);
    o.push_back(mv);
    o.push_back(flag[r] != 0 ? pq * 2.0 : (qv < 3.0 ? qv : 3.0) - mv);
    return o;
  }
};

std::string wide(const char *type) {
  std::string s = kWidePipeline;
  s.replace(s.find("OUTTYPE"), 7, type);
  return s;
}

TEST(Interpreter, RowCountsAgainstReference) {
  auto c64 = compile(wide("f64"));
  auto c32 = compile(wide("f32"));
  ASSERT_TRUE(c64 && c32);
  ASSERT_EQ(c64.cols, kWideCols);
  EXPECT_EQ(c64.desc->outputNames()[kWideCols - 1], "z");
  WideData data(10000);
  for (int64_t rows : {int64_t(0), int64_t(1), kB - 1, kB, kB + 1, int64_t(10000)}) {
    std::vector<double> want;
    std::vector<float> want32;
    for (int64_t r = 0; r < rows; ++r)
      for (double v : data.reference(r)) {
        want.push_back(v);
        want32.push_back(float(v));
      }
    std::string what = "rows=" + std::to_string(rows);
    expectSame(run64(c64, data.in, rows), want, what);
    expectSame(run32(c32, data.in, rows), want32, what);
  }
}

TEST(Interpreter, ZeroRowsTouchNothing) {
  auto c = compile(wide("f64"));
  ASSERT_TRUE(c);
  double sentinel = 5.0;
  std::vector<const void *> nulls(20, nullptr);
  EXPECT_EQ(c.interp->run(nulls.data(), &sentinel, 0), 0);
  EXPECT_EQ(sentinel, 5.0);
}

TEST(Interpreter, ConcurrentRuns) {
  auto c = compile(wide("f32"));
  ASSERT_TRUE(c);
  constexpr int64_t kRows = 10000;
  WideData data(kRows);
  std::vector<float> want = run32(c, data.in, kRows);
  std::vector<std::vector<float>> got(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) {
        std::vector<float> out(kRows * kWideCols, -1.0f);
        if (c.interp->run(data.in.args(), out.data(), kRows) != 0)
          return;
        if (rep == 0)
          got[t] = std::move(out);
        else if (std::memcmp(out.data(), got[t].data(), out.size() * sizeof(float)) != 0)
          got[t].clear();
      }
    });
  for (std::thread &t : threads)
    t.join();
  for (int t = 0; t < 8; ++t) {
    ASSERT_EQ(got[t].size(), want.size()) << "thread " << t;
    EXPECT_EQ(std::memcmp(got[t].data(), want.data(), want.size() * sizeof(float)), 0)
        << "thread " << t;
  }
}

TEST(Interpreter, OutlivesDescriptor) {
  std::unique_ptr<Interpreter> ip;
  {
    auto c = compile(doc(R"([{"name": "x", "type": "f64"}])", R"({"type": "f64"})",
                         R"([{"op": "expr", "name": "y",
                              "expr": "x * 2 + 1"}])"));
    ASSERT_TRUE(c);
    ip = std::move(c.interp);
  }
  double x[2] = {1, 2}, out[4];
  const void *args[1] = {x};
  EXPECT_EQ(ip->run(args, out, 2), 0);
  EXPECT_EQ(out[1], 3.0);
  EXPECT_EQ(out[3], 5.0);
}

TEST(Interpreter, WideOutputSmallerBlocks) {
  // 30000 output columns: blocks shrink to keep scratch bounded; results are
  // the same at every row count.
  constexpr int kCats = 30000;
  std::string cats = "[";
  for (int j = 0; j < kCats; ++j)
    cats += (j ? "," : "") + std::to_string(j);
  cats += "]";
  auto c = compile(
      doc(R"([{"name": "c", "type": "i32"},
                           {"name": "x", "type": "f64"}])",
          R"({"type": "f32"})",
          R"([{"op": "one_hot", "column": "c", "categories": )" + cats + R"(, "unknown": "error"},
                           {"op": "polynomial", "columns": ["x"],
                            "degree": 2}])"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, size_t(kCats + 3));
  constexpr int64_t kRows = 300;
  std::vector<int32_t> cv(kRows);
  std::vector<double> xv(kRows);
  for (int64_t r = 0; r < kRows; ++r) {
    cv[r] = int32_t((r * 7919) % kCats);
    xv[r] = double(r) / 8;
  }
  Inputs in;
  in.i32(cv).f64(xv);
  std::vector<float> out = run32(c, in, kRows);
  for (int64_t r = 0; r < kRows; ++r) {
    const float *row = &out[r * c.cols];
    int hot = 0;
    for (int j = 0; j < kCats; ++j)
      hot += row[j] != 0.0f;
    ASSERT_EQ(hot, 1) << "row " << r;
    ASSERT_EQ(row[cv[r]], 1.0f) << "row " << r;
    ASSERT_EQ(row[kCats], 1.0f);
    ASSERT_EQ(row[kCats + 1], float(xv[r]));
    ASSERT_EQ(row[kCats + 2], float(xv[r] * xv[r]));
  }
  cv[250] = kCats;
  Inputs bad;
  bad.i32(cv).f64(xv);
  std::vector<float> untouched(kRows * c.cols, 3.0f);
  EXPECT_EQ(c.interp->run(bad.args(), untouched.data(), kRows), 251);
  EXPECT_EQ(c.interp->describeFailure(bad.args(), 250),
            "row 250: steps[0] (one_hot of 'c'): value 30000 is not one of "
            "the categories");
  for (float v : untouched)
    ASSERT_EQ(v, 3.0f);
}

TEST(Interpreter, DeadPolynomialTermsAndNoChecks) {
  auto c = compile(doc(R"([{"name": "a", "type": "f64"},
                           {"name": "b", "type": "f64"}])",
                       R"({"type": "f64", "columns": ["a^2 b", "b"]})",
                       R"([{"op": "polynomial", "columns": ["a", "b"],
                            "degree": 3}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.f64({3, 0.1}).f64({5, 0.7});
  expectSame(run64(c, in, 2), {45, 5, (0.1 * 0.7) * 0.1, 0.7});
  EXPECT_EQ(c.interp->describeFailure(in.args(), 1), "row 1: no data check fails");
}

TEST(Interpreter, SubsetOfOutputColumns) {
  // Unused one_hot columns and whole dead steps are skipped; the output is
  // in the requested order.
  auto c = compile(doc(R"([{"name": "c", "type": "i64"},
                           {"name": "x", "type": "f64"}])",
                       R"({"type": "f64", "columns": ["c=2", "x", "c=0"]})",
                       R"([{"op": "one_hot", "column": "c",
                            "categories": [0, 1, 2]},
                           {"op": "expr", "name": "dead", "expr": "x + 1"}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i64({2, 0, 1}).f64({1.5, 2.5, 3.5});
  expectSame(run64(c, in, 3), {1, 1.5, 0, 0, 2.5, 1, 0, 3.5, 0});
}

} // namespace
