//===- ModelInterpreterTest.cpp - Tests of the model interpreter ----------===//
//
// Descriptors are JSON text parsed with Descriptor::parse and run through the
// kernel ABI. Expected values are worked out by hand, written as C++
// expressions in the order of docs/model-semantics.md (so the comparison is
// bit for bit), or, for random models, computed by a straightforward per-row
// reference that walks the parsed ModelSpec.
//
//===----------------------------------------------------------------------===//

#include "Families/Model/ModelSpec.h"
#include "Interpreter/Interpreter.h"
#include "specjit/Descriptor.h"

#include "InterpreterTestSupport.h"
#include "KernelArgs.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <list>
#include <memory>
#include <random>
#include <sstream>
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

using specjit_test::Compiled;

Compiled compile(const std::string &json) { return specjit_test::compile(json, jit::Kind::Model); }

/// A model document: inputs, steps, features (JSON, empty to leave out),
/// model and output.
std::string doc(const std::string &inputs, const std::string &model, const std::string &output,
                const std::string &steps = "", const std::string &features = "") {
  std::string s = R"({"specjit": 1, "kind": "model", "inputs": )" + inputs;
  if (!steps.empty())
    s += R"(, "steps": )" + steps;
  if (!features.empty())
    s += R"(, "features": )" + features;
  return s + R"(, "model": )" + model + R"(, "output": )" + output + "}";
}

/// `n` f64 inputs named x0, x1, ...
std::string f64Inputs(int n) {
  std::string s = "[";
  for (int j = 0; j < n; ++j)
    s += (j ? ", " : "") + std::string(R"({"name": "x)") + std::to_string(j) +
         R"(", "type": "f64"})";
  return s + "]";
}

using specjit_test::Inputs;

/// Row-major rows x cols f64 inputs as one column per feature.
Inputs columns(const std::vector<std::vector<double>> &rows, size_t cols) {
  Inputs in;
  for (size_t j = 0; j < cols; ++j) {
    std::vector<double> c;
    for (const auto &r : rows)
      c.push_back(r[j]);
    in.f64(std::move(c));
  }
  return in;
}

std::vector<double> run64(const Compiled &c, const Inputs &in, int64_t rows,
                          int64_t *rc = nullptr) {
  std::vector<double> out(static_cast<size_t>(rows) * c.cols + 1, -777.0);
  int64_t r = c.interp->run(in.args(), out.data(), rows);
  if (rc)
    *rc = r;
  else
    EXPECT_EQ(r, 0);
  EXPECT_EQ(out.back(), -777.0) << "wrote past the output";
  out.pop_back();
  return out;
}

std::vector<float> run32(const Compiled &c, const Inputs &in, int64_t rows) {
  std::vector<float> out(static_cast<size_t>(rows) * c.cols + 1, -777.0f);
  EXPECT_EQ(c.interp->run(in.args(), out.data(), rows), 0);
  EXPECT_EQ(out.back(), -777.0f) << "wrote past the output";
  out.pop_back();
  return out;
}

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

double logistic(double m) { return 1.0 / (1.0 + std::exp(-m)); }

/// softmax as the page: e_k = exp(m_k - max), p_k = e_k / ((e_0 + e_1) + ...)
std::vector<double> softmax(const std::vector<double> &m) {
  double mx = m[0];
  for (double v : m)
    mx = v > mx ? v : mx;
  std::vector<double> e;
  for (double v : m)
    e.push_back(std::exp(v - mx));
  double s = e[0];
  for (size_t k = 1; k < e.size(); ++k)
    s = s + e[k];
  for (double &v : e)
    v = v / s;
  return e;
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

TEST(ModelInterpreter, LinearLeftToRight) {
  auto c = compile(doc(f64Inputs(3),
                       R"({"type": "linear",
                           "weights": [[1e16, 1, -1e16], [2, 0.5, 0.25]],
                           "intercepts": [0.5, -1]})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 2u);
  Inputs in = columns({{1, 1, 1}, {2, NaN, 0}, {0.5, 4, -2}, {-1, 0, 3}}, 3);
  // ((1e16 + 1) - 1e16) + 0.5: 1e16 + 1 rounds to 1e16, so 0.5 (any other
  // order would give 1.5).
  EXPECT_EQ(((1e16 * 1 + 1.0 * 1) + -1e16 * 1) + 0.5, 0.5);
  expectSame(run64(c, in, 4),
             {0.5, ((2.0 + 0.5) + 0.25) + -1.0, //
              NaN, NaN,                         //
              ((1e16 * 0.5 + 1.0 * 4) + -1e16 * -2) + 0.5,
              ((2 * 0.5 + 0.5 * 4) + 0.25 * -2) + -1.0, //
              ((1e16 * -1 + 1.0 * 0) + -1e16 * 3) + 0.5, ((2 * -1.0 + 0.5 * 0) + 0.25 * 3) + -1.0});
}

TEST(ModelInterpreter, LinearLogisticF32Output) {
  auto c = compile(doc(f64Inputs(2),
                       R"({"type": "linear", "weights": [[0.7, -1.3]],
                           "intercepts": [0.1], "link": "logistic"})",
                       R"({"type": "f32"})"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 1u);
  Inputs in = columns({{1, 2}, {-3, 0.5}, {0, 0}, {1000, 0}, {-1000, 0}}, 2);
  auto p = [](double a, double b) {
    return static_cast<float>(logistic((0.7 * a + -1.3 * b) + 0.1));
  };
  expectSame(run32(c, in, 5), {p(1, 2), p(-3, 0.5), p(0, 0), 1.0f, 0.0f});
}

TEST(ModelInterpreter, LinearSoftmax) {
  auto c = compile(doc(f64Inputs(2),
                       R"({"type": "linear",
                           "weights": [[1, 0], [0, 1], [0.5, 0.5]],
                           "intercepts": [0, 0.25, -0.25], "link": "softmax"})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 3u);
  std::vector<std::vector<double>> rows = {{1, 2}, {-1, 3}, {800, 0}, {-800, -900}};
  Inputs in = columns(rows, 2);
  std::vector<double> want;
  for (auto &r : rows) {
    double a = r[0], b = r[1];
    auto p = softmax({(1 * a + 0 * b) + 0.0, (0 * a + 1 * b) + 0.25, (0.5 * a + 0.5 * b) + -0.25});
    want.insert(want.end(), p.begin(), p.end());
  }
  auto got = run64(c, in, 4);
  expectSame(got, want);
  // Max-subtracted: no overflow at 800.
  EXPECT_FALSE(std::isnan(got[6]));
  EXPECT_EQ(got[6], 1.0);
}

TEST(ModelInterpreter, ArgmaxTiesAndNaN) {
  // m0 = 10 a - 10 b (inf - inf = NaN for a = b = 1e308), m1 = 1e-300 a,
  // m2 = 1e-300 b.
  auto c = compile(doc(f64Inputs(2),
                       R"({"type": "linear",
                           "weights": [[10, -10], [1e-300, 0], [0, 1e-300]],
                           "intercepts": [0, 0, 0], "link": "argmax"})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 1u);
  EXPECT_EQ(c.desc->outputNames()[0], "class");
  Inputs in = columns({{1e308, 1e308}, // NaN, 1e8, 1e8: the tie goes to 1
                       {1, 1},         // 0, 1e-300, 1e-300: 1
                       {2, 1},         // 10, ...: 0
                       {1, 2},         // -10, 1e-300, 2e-300: 2
                       {0, 0}},        // all zero: 0
                      2);
  auto got = run64(c, in, 5);
  expectSame(got, {1, 1, 0, 2, 0});

  // f32 output of the index.
  auto c32 = compile(doc(f64Inputs(2),
                         R"({"type": "linear",
                             "weights": [[1, 0], [0, 1]],
                             "intercepts": [0, 0], "link": "argmax"})",
                         R"({"type": "f32"})"));
  ASSERT_TRUE(c32);
  Inputs in2 = columns({{1, 2}, {2, 1}, {3, 3}, {NaN, 5}, {5, NaN}}, 2);
  // NaN * 0 is NaN, so both margins of the last two rows are NaN: index 0.
  expectSame(run32(c32, in2, 5), {1.0f, 0.0f, 0.0f, 0.0f, 0.0f});
}

TEST(ModelInterpreter, MarginOutputSkipsTheLink) {
  auto c = compile(doc(f64Inputs(2),
                       R"({"type": "linear",
                           "weights": [[1, 2], [3, 4]],
                           "intercepts": [0.5, -0.5], "link": "argmax"})",
                       R"({"type": "f64", "margin": true})"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 2u); // argmax with margin: one column per margin
  Inputs in = columns({{1, 1}, {-1, 0.5}}, 2);
  expectSame(run64(c, in, 2), {3.5, 6.5, 0.5, -1.5});

  auto l = compile(doc(f64Inputs(1),
                       R"({"type": "linear", "weights": [[2]],
                           "intercepts": [0.5], "link": "logistic"})",
                       R"({"type": "f64", "margin": true})"));
  ASSERT_TRUE(l);
  Inputs in1 = columns({{1}, {-4}}, 1);
  expectSame(run64(l, in1, 2), {2.5, -7.5});
}

//===----------------------------------------------------------------------===//
// Tree ensembles
//===----------------------------------------------------------------------===//

TEST(ModelInterpreter, TreeNaNDefaults) {
  // Tree 1: x0 < 1.5 (missing left) ? (x1 < -2 (missing right) ? 20 : 30)
  //                                  : 10.
  // Tree 2 lists its children out of order: x1 < 0 (missing right) ? 2 :
  //   (x0 < 5 (missing left) ? 1 : 3).
  auto c = compile(doc(f64Inputs(2),
                       R"({"type": "tree_ensemble", "num_outputs": 1,
                           "base_score": [0.5], "trees": [
        {"group": 0, "nodes": [
          {"feature": 0, "threshold": 1.5, "left": 1, "right": 2,
           "default_left": true},
          {"feature": 1, "threshold": -2, "left": 3, "right": 4,
           "default_left": false},
          {"leaf": 10}, {"leaf": 20}, {"leaf": 30}]},
        {"group": 0, "nodes": [
          {"feature": 1, "threshold": 0, "left": 3, "right": 1,
           "default_left": false},
          {"feature": 0, "threshold": 5, "left": 2, "right": 4},
          {"leaf": 1}, {"leaf": 2}, {"leaf": 3}]}]})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  Inputs in = columns({{1, -3},
                       {1.5, 0}, // equal to the threshold: right
                       {NaN, 0},
                       {0, NaN},
                       {0, -2},
                       {NaN, NaN},
                       {7, NaN},
                       {-Inf, -Inf},
                       {Inf, Inf}},
                      2);
  expectSame(run64(c, in, 9), {22.5, 11.5, 31.5, 31.5, 32.5, 31.5, 13.5, 22.5, 13.5});
}

TEST(ModelInterpreter, TreeFloat32Thresholds) {
  // Group 0 splits at 0.1, group 1 at 1e39 (inf in f32).
  auto model = [](bool f32) {
    return std::string(R"({"type": "tree_ensemble", "num_outputs": 2,
        "float32": )") +
           (f32 ? "true" : "false") + R"(, "trees": [
      {"group": 0, "nodes": [{"feature": 0, "threshold": 0.1, "left": 1,
                              "right": 2}, {"leaf": 1}, {"leaf": 2}]},
      {"group": 1, "nodes": [{"feature": 0, "threshold": 1e39, "left": 1,
                              "right": 2}, {"leaf": 1}, {"leaf": 2}]}]})";
  };
  auto c64 = compile(doc(f64Inputs(1), model(false), R"({"type": "f64"})"));
  auto c32 = compile(doc(f64Inputs(1), model(true), R"({"type": "f64"})"));
  ASSERT_TRUE(c64);
  ASSERT_TRUE(c32);
  // 0.09999999999 < 0.1 in f64, but rounds to f32(0.1) in f32: not less.
  // 5e38 < 1e39 in f64, but both are inf in f32.
  EXPECT_EQ(static_cast<float>(0.09999999999), static_cast<float>(0.1));
  Inputs in = columns({{0.09999999999}, {0.1}, {0.09}, {5e38}, {2e39}}, 1);
  expectSame(run64(c64, in, 5), {1, 1, 2, 1, 1, 1, 2, 1, 2, 2});
  expectSame(run64(c32, in, 5), {2, 1, 2, 1, 1, 1, 2, 2, 2, 2});
}

TEST(ModelInterpreter, TreeFloat32Sum) {
  // Single-leaf trees: the sum in f32 from the base score loses the 1s.
  auto model = [](bool f32, const char *link) {
    return std::string(R"({"type": "tree_ensemble", "num_outputs": 1,
        "base_score": [0.1], "link": ")") +
           link + R"(", "float32": )" + (f32 ? "true" : "false") + R"(, "trees": [
      {"group": 0, "nodes": [{"leaf": 1e8}]},
      {"group": 0, "nodes": [{"leaf": 1}]},
      {"group": 0, "nodes": [{"leaf": 1}]},
      {"group": 0, "nodes": [{"feature": 0, "threshold": 0, "left": 1,
                              "right": 2}, {"leaf": 0.3}, {"leaf": -0.7}]}]})";
  };
  auto c64 = compile(doc(f64Inputs(1), model(false, "identity"), R"({"type": "f64"})"));
  auto c32 = compile(doc(f64Inputs(1), model(true, "identity"), R"({"type": "f64"})"));
  ASSERT_TRUE(c64);
  ASSERT_TRUE(c32);
  Inputs in = columns({{-1}, {1}}, 1);
  float a = ((((0.1f + 1e8f) + 1.0f) + 1.0f) + 0.3f);
  float b = ((((0.1f + 1e8f) + 1.0f) + 1.0f) + -0.7f);
  EXPECT_EQ(a, 1e8f);
  expectSame(run64(c32, in, 2), {double(a), double(b)});
  expectSame(run64(c64, in, 2),
             {(((0.1 + 1e8) + 1.0) + 1.0) + 0.3, (((0.1 + 1e8) + 1.0) + 1.0) + -0.7});
}

TEST(ModelInterpreter, TreeFloat32LinkInF64) {
  // XGBoost-like binary model: the logistic runs in f64 on the f32 margin.
  auto c = compile(doc(f64Inputs(2),
                       R"({"type": "tree_ensemble", "num_outputs": 1, "float32": true,
          "base_score": [0.3], "link": "logistic", "trees": [
        {"group": 0, "nodes": [{"feature": 1, "threshold": 0.5, "left": 1,
                                "right": 2, "default_left": false},
                               {"leaf": 0.1}, {"leaf": -0.2}]},
        {"group": 0, "nodes": [{"feature": 0, "threshold": 0.5, "left": 1,
                                "right": 2}, {"leaf": 0.2}, {"leaf": 0.7}]}]})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  Inputs in = columns({{0, 0}, {1, 1}, {NaN, NaN}}, 2);
  float m0 = (0.3f + 0.1f) + 0.2f;
  float m1 = (0.3f + -0.2f) + 0.7f;
  float m2 = (0.3f + -0.2f) + 0.2f;
  auto got = run64(c, in, 3);
  expectSame(got, {logistic(double(m0)), logistic(double(m1)), logistic(double(m2))});
  // And it differs from the f64 computation.
  EXPECT_NE(got[0], logistic((0.3 + 0.1) + 0.2));

  // f32 output of the same.
  auto c32 = compile(doc(f64Inputs(2),
                         R"({"type": "tree_ensemble", "num_outputs": 1, "float32": true,
          "base_score": [0.3], "link": "logistic", "trees": [
        {"group": 0, "nodes": [{"feature": 1, "threshold": 0.5, "left": 1,
                                "right": 2, "default_left": false},
                               {"leaf": 0.1}, {"leaf": -0.2}]}]})",
                         R"({"type": "f32", "margin": true})"));
  ASSERT_TRUE(c32);
  expectSame(run32(c32, in, 3), {0.3f + 0.1f, 0.3f + -0.2f, 0.3f + -0.2f});
}

TEST(ModelInterpreter, ForestAverage) {
  std::string trees = R"("trees": [
      {"group": 0, "nodes": [{"feature": 0, "threshold": 0, "left": 1,
                              "right": 2}, {"leaf": 1}, {"leaf": 2}]},
      {"group": 0, "nodes": [{"feature": 0, "threshold": 0, "left": 1,
                              "right": 2}, {"leaf": 4}, {"leaf": 8}]},
      {"group": 0, "nodes": [{"feature": 0, "threshold": 0, "left": 1,
                              "right": 2}, {"leaf": 0.1}, {"leaf": 0.2}]}])";
  auto c = compile(doc(f64Inputs(1),
                       R"({"type": "tree_ensemble", "num_outputs": 1,
                           "average": true, "base_score": [0.5], )" +
                           trees + "}",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  Inputs in = columns({{-1}, {1}, {NaN}}, 1);
  // base + (v1 + v2 + v3) / 3.
  double l = 0.5 + ((1.0 + 4.0) + 0.1) / 3.0;
  double r = 0.5 + ((2.0 + 8.0) + 0.2) / 3.0;
  expectSame(run64(c, in, 3), {l, r, l});

  // float32 with average: the sum, the division and the base in f32.
  auto c32 = compile(doc(f64Inputs(1),
                         R"({"type": "tree_ensemble", "num_outputs": 1,
                             "average": true, "float32": true,
                             "base_score": [0.5], )" +
                             trees + "}",
                         R"({"type": "f64"})"));
  ASSERT_TRUE(c32);
  float l32 = 0.5f + ((1.0f + 4.0f) + 0.1f) / 3.0f;
  float r32 = 0.5f + ((2.0f + 8.0f) + 0.2f) / 3.0f;
  expectSame(run64(c32, in, 3), {double(l32), double(r32), double(l32)});
}

TEST(ModelInterpreter, MultiGroupSoftmax) {
  // Three classes, trees interleaved by group as XGBoost writes them, and an
  // extra tree for class 1 at the end.
  std::string trees;
  auto stump = [](int g, int f, double t, double a, double b) {
    std::ostringstream s;
    s.precision(17);
    s << R"({"group": )" << g << R"(, "nodes": [{"feature": )" << f << R"(, "threshold": )" << t
      << R"(, "left": 1, "right": 2},
         {"leaf": )"
      << a << R"(}, {"leaf": )" << b << "}]}";
    return s.str();
  };
  trees = stump(0, 0, 0.5, 0.25, -0.5) + "," + stump(1, 1, 0.5, -0.3, 0.6) + "," +
          stump(2, 0, 1.5, 0.1, 0.2) + "," + stump(0, 1, 2.5, 0.05, 0.5) + "," +
          stump(1, 0, 0.0, 0.3, -0.1) + "," + stump(2, 1, 0.0, -0.2, 0.4) + "," +
          stump(1, 1, 1.0, 0.01, 0.02);
  auto model = [&](const char *link) {
    return std::string(R"({"type": "tree_ensemble", "num_outputs": 3,
        "base_score": [0.5, 0.25, 0.125], "link": ")") +
           link + R"(", "trees": [)" + trees + "]}";
  };
  auto cs = compile(doc(f64Inputs(2), model("softmax"), R"({"type": "f64"})"));
  auto cm = compile(doc(f64Inputs(2), model("softmax"), R"({"type": "f64", "margin": true})"));
  auto ca = compile(doc(f64Inputs(2), model("argmax"), R"({"type": "f64"})"));
  ASSERT_TRUE(cs);
  ASSERT_TRUE(cm);
  ASSERT_TRUE(ca);
  ASSERT_EQ(cs.cols, 3u);
  EXPECT_EQ(cs.desc->outputNames()[2], "class_2");
  std::vector<std::vector<double>> rows = {{0, 0}, {1, 1}, {2, 3}, {NaN, -1}};
  Inputs in = columns(rows, 2);
  auto leaf = [](double x, double t, double a, double b, bool dl = true) {
    return x != x ? (dl ? a : b) : (x < t ? a : b);
  };
  std::vector<double> margins, probs, idx;
  for (auto &r : rows) {
    double x = r[0], y = r[1];
    double m0 = (0.5 + leaf(x, 0.5, 0.25, -0.5)) + leaf(y, 2.5, 0.05, 0.5);
    double m1 =
        ((0.25 + leaf(y, 0.5, -0.3, 0.6)) + leaf(x, 0.0, 0.3, -0.1)) + leaf(y, 1.0, 0.01, 0.02);
    double m2 = (0.125 + leaf(x, 1.5, 0.1, 0.2)) + leaf(y, 0.0, -0.2, 0.4);
    margins.insert(margins.end(), {m0, m1, m2});
    auto p = softmax({m0, m1, m2});
    probs.insert(probs.end(), p.begin(), p.end());
    int best = 0;
    if (m1 > m0)
      best = 1;
    if (m2 > (best ? m1 : m0))
      best = 2;
    idx.push_back(best);
  }
  expectSame(run64(cm, in, 4), margins);
  expectSame(run64(cs, in, 4), probs);
  expectSame(run64(ca, in, 4), idx);
}

//===----------------------------------------------------------------------===//
// MLP
//===----------------------------------------------------------------------===//

TEST(ModelInterpreter, MlpRelu) {
  auto c = compile(doc(f64Inputs(2),
                       R"({"type": "mlp", "layers": [
        {"weights": [[1, -1], [1, 1], [-1, 0]], "biases": [0, 0, 0.5],
         "activation": "relu"},
        {"weights": [[1, 2, 3]], "biases": [0.25], "activation": "identity"}]})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  auto relu = [](double z) { return z > 0 ? z : 0.0; };
  auto f = [&](double a, double b) {
    double h0 = relu((1 * a + -1 * b) + 0.0);
    double h1 = relu((1 * a + 1 * b) + 0.0);
    double h2 = relu((-1 * a + 0 * b) + 0.5);
    return ((1 * h0 + 2 * h1) + 3 * h2) + 0.25;
  };
  Inputs in = columns({{2, 2}, {3, -1}, {-2, 0.5}, {NaN, 1}, {0, 0}}, 2);
  // relu(NaN) = 0: the NaN row gives the bias alone.
  EXPECT_EQ(f(NaN, 1), 0.25);
  expectSame(run64(c, in, 5), {f(2, 2), f(3, -1), f(-2, 0.5), 0.25, f(0, 0)});
  EXPECT_EQ(f(2, 2), 8.25);
}

TEST(ModelInterpreter, MlpTanhLogisticSoftmax) {
  auto c = compile(doc(f64Inputs(3),
                       R"({"type": "mlp", "link": "softmax", "layers": [
        {"weights": [[0.5, -0.25, 1], [1.5, 0.75, -2]], "biases": [0.1, -0.2],
         "activation": "tanh"},
        {"weights": [[1, -1], [2, 0.5], [-0.5, 3], [0.25, 0.25]],
         "biases": [0, 0.5, -0.5, 1], "activation": "logistic"},
        {"weights": [[1, 0, -1, 2], [0.5, 0.5, 0.5, 0.5]],
         "biases": [0.3, -0.3], "activation": "identity"}]})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 2u);
  std::vector<std::vector<double>> rows = {{1, 2, 3}, {-1, 0.5, 0}, {10, -10, 0.1}};
  std::vector<double> want;
  for (auto &r : rows) {
    double h0 = std::tanh(((0.5 * r[0] + -0.25 * r[1]) + 1 * r[2]) + 0.1);
    double h1 = std::tanh(((1.5 * r[0] + 0.75 * r[1]) + -2 * r[2]) + -0.2);
    double g0 = logistic((1 * h0 + -1 * h1) + 0.0);
    double g1 = logistic((2 * h0 + 0.5 * h1) + 0.5);
    double g2 = logistic((-0.5 * h0 + 3 * h1) + -0.5);
    double g3 = logistic((0.25 * h0 + 0.25 * h1) + 1.0);
    double m0 = (((1 * g0 + 0 * g1) + -1 * g2) + 2 * g3) + 0.3;
    double m1 = (((0.5 * g0 + 0.5 * g1) + 0.5 * g2) + 0.5 * g3) + -0.3;
    auto p = softmax({m0, m1});
    want.insert(want.end(), p.begin(), p.end());
  }
  Inputs in = columns(rows, 3);
  expectSame(run64(c, in, 3), want);
}

//===----------------------------------------------------------------------===//
// Preprocessing in front of the model
//===----------------------------------------------------------------------===//

const char *kPreInputs =
    R"([{"name": "age", "type": "f64"},
        {"name": "color", "type": "i64", "missing": -1},
        {"name": "income", "type": "f32"}])";
const char *kPreSteps =
    R"([{"op": "standardize", "column": "age", "mean": 40, "std": 10},
        {"op": "one_hot", "column": "color", "categories": [1, 2, 3],
         "unknown": "error"},
        {"op": "log1p", "column": "income"}])";

TEST(ModelInterpreter, PreprocessingLinear) {
  auto c = compile(doc(kPreInputs,
                       R"({"type": "linear", "weights": [[2, 3, 4]],
                           "intercepts": [1]})",
                       R"({"type": "f64"})", kPreSteps, R"(["income", "color=2", "age"])"));
  ASSERT_TRUE(c);
  auto f = [](double age, double c2, float income) {
    double x0 = std::log1p(static_cast<double>(income));
    double x2 = (age - 40) / 10;
    return ((2 * x0 + 3 * c2) + 4 * x2) + 1;
  };
  Inputs in;
  in.f64({50, 31, NaN}).i64({2, 1, 3}).f32({0.5f, 3.25f, 0.0f});
  expectSame(run64(c, in, 3), {f(50, 1, 0.5f), f(31, 0, 3.25f), f(NaN, 0, 0.0f)});

  // A data check failing in a later block: nothing is written, the row is
  // reported and described.
  int64_t n = 3 * kB + 5;
  Inputs bad;
  std::vector<double> age(n, 30);
  std::vector<int64_t> color(n, 3);
  std::vector<float> income(n, 1.0f);
  color[2 * kB + 7] = 7;
  color[2 * kB + 9] = -1;
  bad.f64(age).i64(color).f32(income);
  int64_t rc = 0;
  auto out = run64(c, bad, n, &rc);
  EXPECT_EQ(rc, 2 * kB + 8);
  for (double v : out)
    ASSERT_EQ(v, -777.0);
  std::string why = c.interp->describeFailure(bad.args(), 2 * kB + 7);
  EXPECT_NE(why.find("steps[1]"), std::string::npos) << why;
  EXPECT_NE(why.find("value 7"), std::string::npos) << why;
  why = c.interp->describeFailure(bad.args(), 2 * kB + 9);
  EXPECT_NE(why.find("missing"), std::string::npos) << why;
  why = c.interp->describeFailure(bad.args(), 0);
  EXPECT_NE(why.find("no data check fails"), std::string::npos) << why;
}

TEST(ModelInterpreter, PreprocessingTrees) {
  // Default features: every current column, in order (age, color=1,
  // color=2, color=3, income).
  auto c = compile(doc(kPreInputs,
                       R"({"type": "tree_ensemble", "num_outputs": 1,
                           "float32": true, "link": "logistic", "trees": [
        {"group": 0, "nodes": [
          {"feature": 2, "threshold": 0.5, "left": 1, "right": 2},
          {"feature": 0, "threshold": 0, "left": 3, "right": 4,
           "default_left": false},
          {"feature": 4, "threshold": 1, "left": 5, "right": 6},
          {"leaf": -1}, {"leaf": 1}, {"leaf": 0.5}, {"leaf": 1.5}]}]})",
                       R"({"type": "f32"})", kPreSteps));
  ASSERT_TRUE(c);
  Inputs in;
  // rows: color 1, age 30 -> age < 40 -> -1; color 1, age NaN -> right 1;
  // color 2, income e-1 (log1p < 1) -> 0.5; color 2, income 9 -> 1.5.
  in.f64({30, NaN, 50, 50}).i64({1, 1, 2, 2}).f32({0, 0, 1.0f, 9.0f});
  auto p = [](float m) { return static_cast<float>(logistic(double(m))); };
  expectSame(run32(c, in, 4), {p(-1.0f), p(1.0f), p(0.5f), p(1.5f)});
}

TEST(ModelInterpreter, IntBoolAndStringInputs) {
  // i32 with a missing sentinel and bool read directly as features (the
  // sentinel is NaN: default direction), a string through label_encode.
  auto c = compile(doc(
      R"([{"name": "n", "type": "i32", "missing": -1},
          {"name": "flag", "type": "bool"},
          {"name": "city", "type": "string"}])",
      R"({"type": "tree_ensemble", "num_outputs": 1, "trees": [
        {"group": 0, "nodes": [
          {"feature": 0, "threshold": 3, "left": 1, "right": 2,
           "default_left": false},
          {"leaf": 1}, {"leaf": 2}]},
        {"group": 0, "nodes": [
          {"feature": 1, "threshold": 0.5, "left": 1, "right": 2},
          {"leaf": 10}, {"leaf": 20}]},
        {"group": 0, "nodes": [
          {"feature": 2, "threshold": 0.5, "left": 1, "right": 2},
          {"leaf": 100}, {"leaf": 200}]}]})",
      R"({"type": "f32"})",
      R"([{"op": "label_encode", "column": "city",
           "mapping": ["paris", "rome"]}])"));
  ASSERT_TRUE(c);
  Inputs in;
  in.i32({2, 3, -1, 7}).boolean({0, 1, 1, 0}).str({"rome", "paris", "oslo", "rome"});
  // oslo -> default code -1 -> left.
  expectSame(run32(c, in, 4), {1 + 10 + 200.0f, 2 + 20 + 100.0f, 2 + 20 + 100.0f, 2 + 10 + 200.0f});
}

//===----------------------------------------------------------------------===//
// Random models against a per-row reference
//===----------------------------------------------------------------------===//

/// docs/model-semantics.md, row by row, from the parsed spec.
std::vector<double> reference(const jit::ModelSpec &m, const double *x, size_t cols) {
  int64_t K = m.numOutputs, F = m.numFeatures;
  std::vector<double> mg(K);
  switch (m.type) {
  case jit::ModelType::Linear:
    for (int64_t k = 0; k < K; ++k) {
      double s = F ? m.weights[k * F] * x[0] : 0.0;
      for (int64_t j = 1; j < F; ++j)
        s = s + m.weights[k * F + j] * x[j];
      mg[k] = F ? s + m.intercepts[k] : m.intercepts[k];
    }
    break;
  case jit::ModelType::Mlp: {
    std::vector<double> h(x, x + F);
    for (const jit::DenseLayer &L : m.layers) {
      std::vector<double> z(L.outputs);
      for (int o = 0; o < L.outputs; ++o) {
        double s = L.weights[o * L.inputs] * h[0];
        for (int j = 1; j < L.inputs; ++j)
          s = s + L.weights[o * L.inputs + j] * h[j];
        s = s + L.biases[o];
        switch (L.activation) {
        case jit::Activation::Identity:
          break;
        case jit::Activation::Relu:
          s = s > 0 ? s : 0.0;
          break;
        case jit::Activation::Tanh:
          s = std::tanh(s);
          break;
        case jit::Activation::Logistic:
          s = logistic(s);
          break;
        }
        z[o] = s;
      }
      h = z;
    }
    mg = h;
    break;
  }
  case jit::ModelType::TreeEnsemble: {
    auto leafOf = [&](const jit::Tree &t, auto cmp) {
      int i = 0;
      while (t.nodes[i].feature >= 0) {
        const jit::TreeNode &nd = t.nodes[i];
        double v = x[nd.feature];
        i = std::isnan(v) ? (nd.defaultLeft ? nd.left : nd.right)
                          : (cmp(v, nd.threshold) ? nd.left : nd.right);
      }
      return t.nodes[i].leaf;
    };
    auto base = [&](int64_t k) { return m.baseScore.empty() ? 0.0 : m.baseScore[k]; };
    if (m.float32) {
      auto lt32 = [](double v, double t) { return static_cast<float>(v) < static_cast<float>(t); };
      std::vector<float> acc(K), sum(K, 0.0f);
      std::vector<int> cnt(K, 0);
      for (int64_t k = 0; k < K; ++k)
        acc[k] = static_cast<float>(base(k));
      for (const jit::Tree &t : m.trees) {
        float v = static_cast<float>(leafOf(t, lt32));
        if (m.average)
          sum[t.group] = cnt[t.group]++ ? sum[t.group] + v : v;
        else
          acc[t.group] = acc[t.group] + v;
      }
      for (int64_t k = 0; k < K; ++k)
        mg[k] = m.average ? double(acc[k] + sum[k] / float(cnt[k])) : double(acc[k]);
    } else {
      auto lt = [](double v, double t) { return v < t; };
      std::vector<double> acc(K), sum(K, 0.0);
      std::vector<int> cnt(K, 0);
      for (int64_t k = 0; k < K; ++k)
        acc[k] = base(k);
      for (const jit::Tree &t : m.trees) {
        double v = leafOf(t, lt);
        if (m.average)
          sum[t.group] = cnt[t.group]++ ? sum[t.group] + v : v;
        else
          acc[t.group] = acc[t.group] + v;
      }
      for (int64_t k = 0; k < K; ++k)
        mg[k] = m.average ? acc[k] + sum[k] / double(cnt[k]) : acc[k];
    }
    break;
  }
  }
  if (m.margin || m.link == jit::Link::Identity)
    return mg;
  switch (m.link) {
  case jit::Link::Logistic:
    for (double &v : mg)
      v = logistic(v);
    return mg;
  case jit::Link::Softmax:
    return softmax(mg);
  case jit::Link::Argmax: {
    int64_t best = 0;
    for (int64_t k = 1; k < K; ++k)
      if (mg[k] > mg[best] || (std::isnan(mg[best]) && !std::isnan(mg[k])))
        best = k;
    return {double(best)};
  }
  default:
    break;
  }
  (void)cols;
  return mg;
}

/// Values that hit thresholds exactly, straddle them in f32, or are missing.
const double kGrid[] = {-2.0, -0.5, 0.0, 0.1, 0.3, 0.75, 1.0, 2.5, 1e39};

double randomValue(std::mt19937_64 &g) {
  int k = static_cast<int>(g() % 16);
  if (k == 0)
    return NaN;
  if (k < 8)
    return kGrid[g() % (sizeof kGrid / sizeof kGrid[0])];
  if (k == 8)
    return 0.09999999999; // 0.1 in f32
  return std::uniform_real_distribution<double>(-3.0, 3.0)(g);
}

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

/// A random tree of depth <= depth, nodes numbered depth-first (children
/// after their parent, right before left half of the time).
void randomTree(std::mt19937_64 &g, int F, int depth, bool full, std::vector<std::string> &nodes,
                int at) {
  if (depth == 0 || (!full && g() % 4 == 0)) {
    nodes[at] = R"({"leaf": )" + num(std::uniform_real_distribution<double>(-1, 1)(g)) + "}";
    return;
  }
  int a = static_cast<int>(nodes.size());
  nodes.emplace_back();
  int b = static_cast<int>(nodes.size());
  nodes.emplace_back();
  bool swap = g() % 2;
  int left = swap ? b : a, right = swap ? a : b;
  double t = g() % 2 ? kGrid[g() % 8] : std::uniform_real_distribution<double>(-2, 2)(g);
  nodes[at] = R"({"feature": )" + std::to_string(g() % F) + R"(, "threshold": )" + num(t) +
              R"(, "left": )" + std::to_string(left) + R"(, "right": )" + std::to_string(right) +
              R"(, "default_left": )" + (g() % 2 ? "true" : "false") + "}";
  randomTree(g, F, depth - 1, full, nodes, left);
  randomTree(g, F, depth - 1, full, nodes, right);
}

std::string randomEnsemble(std::mt19937_64 &g, int F, int K, int trees, int depth, bool f32,
                           bool average, const char *link, bool full = false) {
  std::string s = R"({"type": "tree_ensemble", "num_outputs": )" + std::to_string(K) +
                  R"(, "float32": )" + (f32 ? "true" : "false") + R"(, "average": )" +
                  (average ? "true" : "false") + R"(, "link": ")" + link + R"(", "base_score": [)";
  for (int k = 0; k < K; ++k)
    s += (k ? ", " : "") + num(0.1 * (k + 1));
  s += R"(], "trees": [)";
  for (int t = 0; t < trees; ++t) {
    std::vector<std::string> nodes(1);
    randomTree(g, F, depth, full, nodes, 0);
    s += (t ? ", " : "") + std::string(R"({"group": )") + std::to_string(t % K) + R"(, "nodes": [)";
    for (size_t i = 0; i < nodes.size(); ++i)
      s += (i ? ", " : "") + nodes[i];
    s += "]}";
  }
  return s + "]}";
}

std::string randomMatrix(std::mt19937_64 &g, int rows, int cols) {
  std::string s = "[";
  for (int o = 0; o < rows; ++o) {
    s += o ? ", [" : "[";
    for (int j = 0; j < cols; ++j)
      s += (j ? ", " : "") + num(std::uniform_real_distribution<double>(-1.5, 1.5)(g));
    s += "]";
  }
  return s + "]";
}

std::string randomVector(std::mt19937_64 &g, int n) {
  std::string s = "[";
  for (int o = 0; o < n; ++o)
    s += (o ? ", " : "") + num(std::uniform_real_distribution<double>(-0.5, 0.5)(g));
  return s + "]";
}

void checkAgainstReference(const std::string &model, int F, bool margin, uint64_t seed) {
  for (const char *type : {"f64", "f32"}) {
    auto c = compile(doc(f64Inputs(F), model,
                         std::string(R"({"type": ")") + type + R"(", "margin": )" +
                             (margin ? "true" : "false") + "}"));
    ASSERT_TRUE(c);
    const jit::ModelSpec &spec = c.desc->spec<jit::ModelSpec>();
    std::mt19937_64 g(seed);
    for (int64_t n :
         {int64_t(0), int64_t(1), int64_t(7), kB - 1, kB, kB + 1, 2 * kB + 3, 5 * kB + 17}) {
      std::vector<std::vector<double>> rows(n, std::vector<double>(F));
      for (auto &r : rows)
        for (double &v : r)
          v = randomValue(g);
      Inputs in = columns(rows, F);
      std::vector<double> want;
      for (auto &r : rows) {
        auto o = reference(spec, r.data(), c.cols);
        ASSERT_EQ(o.size(), c.cols);
        want.insert(want.end(), o.begin(), o.end());
      }
      std::string what = model.substr(0, 80) + " " + type + " rows " + std::to_string(n);
      if (std::string(type) == "f64") {
        expectSame(run64(c, in, n), want, what);
      } else {
        std::vector<float> w32(want.begin(), want.end());
        expectSame(run32(c, in, n), w32, what);
      }
      if (::testing::Test::HasFailure())
        return;
    }
  }
}

TEST(ModelInterpreter, RandomEnsemblesAroundBlockSize) {
  std::mt19937_64 g(42);
  struct Case {
    int K;
    bool f32, average;
    const char *link;
    bool margin;
  } cases[] = {
      {1, false, false, "identity", false}, {1, true, false, "logistic", false},
      {1, true, false, "logistic", true},   {3, true, false, "softmax", false},
      {3, false, false, "argmax", false},   {2, false, true, "identity", false},
      {4, true, true, "softmax", false},    {3, false, false, "softmax", true},
  };
  for (const Case &cs : cases) {
    std::string m = randomEnsemble(g, 5, cs.K, 4 * cs.K + 3, 5, cs.f32, cs.average, cs.link);
    checkAgainstReference(m, 5, cs.margin, g());
    if (HasFailure())
      return;
  }
}

TEST(ModelInterpreter, RandomLinearAndMlpAroundBlockSize) {
  std::mt19937_64 g(7);
  for (const char *link : {"identity", "logistic", "softmax", "argmax"}) {
    std::string lin = R"({"type": "linear", "weights": )" + randomMatrix(g, 3, 6) +
                      R"(, "intercepts": )" + randomVector(g, 3) + R"(, "link": ")" + link + "\"}";
    checkAgainstReference(lin, 6, false, g());
    std::string mlp = R"({"type": "mlp", "link": ")" + std::string(link) +
                      R"(", "layers": [{"weights": )" + randomMatrix(g, 8, 6) + R"(, "biases": )" +
                      randomVector(g, 8) + R"(, "activation": "relu"}, {"weights": )" +
                      randomMatrix(g, 5, 8) + R"(, "biases": )" + randomVector(g, 5) +
                      R"(, "activation": "tanh"}, {"weights": )" + randomMatrix(g, 4, 5) +
                      R"(, "biases": )" + randomVector(g, 4) +
                      R"(, "activation": "logistic"}, {"weights": )" + randomMatrix(g, 3, 4) +
                      R"(, "biases": )" + randomVector(g, 3) + R"(, "activation": "identity"}]})";
    checkAgainstReference(mlp, 6, false, g());
    if (HasFailure())
      return;
  }
}

TEST(ModelInterpreter, EightThreads) {
  std::mt19937_64 g(99);
  const int F = 8;
  auto c = compile(doc(f64Inputs(F), randomEnsemble(g, F, 3, 60, 6, true, false, "softmax"),
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  const int64_t n = 4 * kB + 123;
  std::vector<std::vector<double>> rows(n, std::vector<double>(F));
  for (auto &r : rows)
    for (double &v : r)
      v = randomValue(g);
  Inputs in = columns(rows, F);
  std::vector<double> want = run64(c, in, n);
  std::vector<std::vector<double>> outs(8);
  std::vector<int64_t> rcs(8, -5);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) {
        std::vector<double> o(static_cast<size_t>(n) * c.cols, -1.0);
        rcs[t] = c.interp->run(in.args(), o.data(), n);
        outs[t] = std::move(o);
        if (rcs[t] != 0)
          return;
      }
    });
  for (auto &th : threads)
    th.join();
  for (int t = 0; t < 8; ++t) {
    EXPECT_EQ(rcs[t], 0);
    expectSame(outs[t], want, "thread " + std::to_string(t));
  }
}

TEST(ModelInterpreter, ZeroRows) {
  auto c = compile(doc(f64Inputs(1),
                       R"({"type": "linear", "weights": [[1]],
                           "intercepts": [0]})",
                       R"({"type": "f64"})"));
  ASSERT_TRUE(c);
  double out = -777.0;
  const void *args[1] = {nullptr};
  EXPECT_EQ(c.interp->run(args, &out, 0), 0);
  EXPECT_EQ(out, -777.0);
}

//===----------------------------------------------------------------------===//
// Specs the parser would reject: create() fails cleanly
//===----------------------------------------------------------------------===//

/// A spec over `F` f64 inputs without steps.
jit::ModelSpec handSpec(int F) {
  jit::ModelSpec m;
  for (int j = 0; j < F; ++j) {
    std::string name = "x" + std::to_string(j);
    m.pipeline.inputs.push_back({name, jit::DType::F64, std::nullopt});
    m.pipeline.plan.values.push_back({jit::ValueKind::Float, std::nullopt, name});
    m.pipeline.plan.outputs.push_back(j);
    m.pipeline.plan.outputNames.push_back(name);
  }
  m.numFeatures = F;
  m.outputType = jit::DType::F64;
  return m;
}

jit::Tree stumpTree(int feature, int left, int right) {
  jit::Tree t;
  jit::TreeNode s;
  s.feature = feature;
  s.threshold = 0.5;
  s.left = left;
  s.right = right;
  jit::TreeNode a, b;
  a.leaf = 1;
  b.leaf = 2;
  t.nodes = {s, a, b};
  return t;
}

TEST(ModelInterpreter, HandBuiltSpecs) {
  // A valid one runs.
  jit::ModelSpec ok = handSpec(2);
  ok.type = jit::ModelType::TreeEnsemble;
  ok.trees = {stumpTree(1, 2, 1)};
  ok.outputNames = {"prediction"};
  auto ip = interp::createModelInterpreter(ok);
  ASSERT_TRUE(static_cast<bool>(ip)) << llvm::toString(ip.takeError());
  std::vector<double> a{0, 0, 0}, b{0, 1, NaN};
  const void *args[2] = {a.data(), b.data()};
  std::vector<double> out(3);
  EXPECT_EQ((*ip)->run(args, out.data(), 3), 0);
  expectSame(out, {2, 1, 2}); // left is node 2 (leaf 2), right node 1

  auto expectError = [](const jit::ModelSpec &m, const std::string &needle) {
    auto r = interp::createModelInterpreter(m);
    ASSERT_FALSE(static_cast<bool>(r));
    std::string msg = llvm::toString(r.takeError());
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  };
  jit::ModelSpec m = ok;
  m.trees = {stumpTree(2, 1, 2)};
  expectError(m, "feature 2 out of range");
  m.trees = {stumpTree(0, 0, 2)};
  expectError(m, "later nodes");
  m.trees = {stumpTree(0, 1, 3)};
  expectError(m, "later nodes");
  m.trees = {stumpTree(0, 1, 1)};
  expectError(m, "more than once");
  m.trees = {stumpTree(0, 1, 2)};
  m.trees[0].group = 1;
  expectError(m, "group 1");
  m = ok;
  m.numFeatures = 3;
  expectError(m, "3 features");
  m = ok;
  m.type = jit::ModelType::Linear;
  m.weights = {1, 2, 3};
  m.intercepts = {0};
  expectError(m, "weights");
  m = ok;
  m.type = jit::ModelType::Mlp;
  jit::DenseLayer L;
  L.inputs = 2;
  L.outputs = 2;
  L.weights = {1, 2, 3, 4};
  L.biases = {0, 0};
  m.layers = {L};
  expectError(m, "last layer has 2 outputs");
}

} // namespace
