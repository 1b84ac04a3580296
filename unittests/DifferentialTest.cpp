//===- DifferentialTest.cpp - JIT == interpreter for every op -------------===//
//
// Every op, every input type, on random data salted with the values that
// break code: NaN, +-inf, -0.0, missing sentinels, unknown categories,
// values equal to edges and categories. Compiled code must equal the
// interpreter bit for bit, except where a vector math library computes
// log/exp/pow (there: within a few ulp).
//
//===----------------------------------------------------------------------===//

#include "specjit/specjit.h"

#include "Families/Model/ModelToSpec.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <random>

using namespace specjit::jit;

namespace {

struct Case {
  const char *name;
  const char *json;
  /// Uses log/log1p/exp/pow: compare within a tolerance instead of bits.
  bool transcendental = false;
};

// Inputs shared by all cases: i (i64, missing -9), f (f64), g (f32),
// n (i32), b (bool), s (string); each case declares the ones it uses.
const Case kCases[] = {
    {"standardize_i64", R"J({"inputs": [{"name": "i", "type": "i64", "missing": -9}],
      "steps": [{"op": "standardize", "column": "i", "mean": 3.25, "std": 1.75}]})J"},
    {"standardize_f32", R"J({"inputs": [{"name": "g", "type": "f32"}],
      "steps": [{"op": "standardize", "column": "g", "mean": -0.5, "std": 3}]})J"},
    {"minmax", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "minmax", "column": "f", "min": -2.5, "max": 7.25}]})J"},
    {"log", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "log", "column": "f"}]})J",
     true},
    {"log1p", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "log1p", "column": "f"}]})J",
     true},
    {"clip_both", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "clip", "column": "f", "min": -1, "max": 1}]})J"},
    {"clip_min", R"J({"inputs": [{"name": "n", "type": "i32"}],
      "steps": [{"op": "clip", "column": "n", "min": 2}]})J"},
    {"impute_float", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "impute", "column": "f", "value": 0.5}]})J"},
    {"impute_int_stays_int", R"J({"inputs": [{"name": "i", "type": "i64", "missing": -9}],
      "steps": [{"op": "impute", "column": "i", "value": 4},
                {"op": "one_hot", "column": "i", "categories": [0, 4, 5]}]})J"},
    {"impute_int_to_float", R"J({"inputs": [{"name": "i", "type": "i64", "missing": -9}],
      "steps": [{"op": "impute", "column": "i", "value": 2.5}]})J"},
    {"one_hot_int", R"J({"inputs": [{"name": "i", "type": "i64", "missing": -9}],
      "steps": [{"op": "one_hot", "column": "i", "categories": [0, 1, 2, 3, 7]}]})J"},
    {"one_hot_float", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "one_hot", "column": "f", "categories": [0, 0.5, 1, -2]}]})J"},
    {"one_hot_bool", R"J({"inputs": [{"name": "b", "type": "bool"}],
      "steps": [{"op": "one_hot", "column": "b", "categories": [0, 1]}]})J"},
    {"one_hot_string", R"J({"inputs": [{"name": "s", "type": "string"}],
      "steps": [{"op": "one_hot", "column": "s", "categories": ["red", "green", "", "blue-ish"]}]})J"},
    {"label_encode_int", R"J({"inputs": [{"name": "i", "type": "i64", "missing": -9}],
      "steps": [{"op": "label_encode", "column": "i", "mapping": {"1": 10, "3": 30, "5": 50}, "default": -2}]})J"},
    {"label_encode_string", R"J({"inputs": [{"name": "s", "type": "string"}],
      "steps": [{"op": "label_encode", "column": "s", "mapping": ["red", "green", "blue-ish"]}]})J"},
    {"polynomial_deg2", R"J({"inputs": [{"name": "f", "type": "f64"}, {"name": "g", "type": "f32"}],
      "steps": [{"op": "polynomial", "columns": ["f", "g"], "degree": 2}]})J"},
    {"polynomial_deg3_interaction", R"J({"inputs": [{"name": "f", "type": "f64"},
      {"name": "g", "type": "f32"}, {"name": "n", "type": "i32"}],
      "steps": [{"op": "polynomial", "columns": ["f", "g", "n"], "degree": 3,
                 "interaction_only": true, "include_bias": false}]})J"},
    {"bucketize", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "bucketize", "column": "f", "edges": [-1, 0, 0.5, 1, 3]}]})J"},
    {"expr_arith", R"J({"inputs": [{"name": "f", "type": "f64"}, {"name": "n", "type": "i32"}],
      "steps": [{"op": "expr", "name": "e", "expr": "(f + n) * 2 - f / (n - 3) + -f"}]})J"},
    {"expr_logic",
     R"J({"inputs": [{"name": "f", "type": "f64"}, {"name": "i", "type": "i64", "missing": -9}],
      "steps": [{"op": "expr", "name": "e", "expr": "f < i and not (f >= 1) or i == 2 or f != i"},
                {"op": "expr", "name": "c", "expr": "f > 0 ? min(f, i) : max(f, abs(i))"},
                {"op": "expr", "name": "s", "expr": "select(f <= i, sqrt(abs(f)), i)"}]})J"},
    {"expr_transcendental", R"J({"inputs": [{"name": "f", "type": "f64"}],
      "steps": [{"op": "expr", "name": "e", "expr": "exp(f / 10) + log(abs(f) + 1) + pow(abs(f), 0.5) + f ** 2 + log1p(abs(f))"}]})J",
     true},
    {"chain",
     R"J({"inputs": [{"name": "i", "type": "i64", "missing": -9}, {"name": "f", "type": "f64"},
      {"name": "s", "type": "string"}],
      "steps": [{"op": "impute", "column": "f", "value": 1},
                {"op": "clip", "column": "f", "min": 0.001},
                {"op": "log", "column": "f"},
                {"op": "standardize", "column": "f", "mean": 0.2, "std": 1.3},
                {"op": "expr", "name": "ratio", "expr": "f / (i + 1)"},
                {"op": "one_hot", "column": "s", "categories": ["red", "green"]},
                {"op": "bucketize", "column": "i", "edges": [1, 3]}],
      "output": {"type": "f32", "columns": ["ratio", "s=green", "i", "f"]}})J",
     true},
};

/// Wraps a case's body into a full descriptor with the given output type.
std::string fullDescriptor(const Case &c, const char *outType) {
  std::string body = c.json;
  std::string head =
      R"({"specjit": 1, "kind": "pipeline", "name": ")" + std::string(c.name) + R"(", )";
  if (body.find("\"output\"") == std::string::npos)
    head += R"("output": {"type": ")" + std::string(outType) + R"("}, )";
  return head + body.substr(1);
}

/// Random column data with adversarial values mixed in.
struct Inputs {
  std::vector<int64_t> i;
  std::vector<double> f;
  std::vector<float> g;
  std::vector<int32_t> n;
  std::vector<uint8_t> b;
  std::vector<int64_t> offsets{0};
  std::string bytes;

  Inputs(int64_t rows, uint64_t seed) {
    std::mt19937_64 rng(seed);
    const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                               INFINITY,
                               -INFINITY,
                               -0.0,
                               0.0,
                               0.5,
                               1,
                               -1,
                               3,
                               -2.5,
                               7.25,
                               1e300,
                               -1e-300,
                               2,
                               4};
    const char *strings[] = {"red", "green", "", "blue-ish", "Red", "gree", "reds", "x"};
    std::uniform_real_distribution<double> u(-5, 5);
    for (int64_t r = 0; r < rows; ++r) {
      bool special = rng() % 4 == 0;
      double x = special ? specials[rng() % std::size(specials)] : u(rng);
      f.push_back(x);
      g.push_back(static_cast<float>(special ? specials[rng() % std::size(specials)] : u(rng)));
      int64_t k = static_cast<int64_t>(rng() % 10) - 1;
      i.push_back(rng() % 8 == 0 ? -9 : k);
      n.push_back(static_cast<int32_t>(rng() % 9) - 3);
      b.push_back(rng() & 1);
      bytes += strings[rng() % std::size(strings)];
      offsets.push_back(static_cast<int64_t>(bytes.size()));
    }
  }

  std::vector<Column> columnsFor(const Descriptor &d) const {
    std::vector<Column> cols;
    int64_t rows = f.size();
    for (const InputColumn &in : d.inputs()) {
      switch (in.name[0]) {
      case 'i':
        cols.push_back(Column::i64(i.data(), rows));
        break;
      case 'f':
        cols.push_back(Column::f64(f.data(), rows));
        break;
      case 'g':
        cols.push_back(Column::f32(g.data(), rows));
        break;
      case 'n':
        cols.push_back(Column::i32(n.data(), rows));
        break;
      case 'b':
        cols.push_back(Column::boolean(b.data(), rows));
        break;
      default:
        cols.push_back(Column::strings(offsets.data(), bytes.data(), rows));
        break;
      }
    }
    return cols;
  }
};

template <typename T> bool agree(T jit, T ref, bool approx) {
  if (std::isnan(jit) || std::isnan(ref))
    return std::isnan(jit) && std::isnan(ref);
  if (!approx)
    return std::memcmp(&jit, &ref, sizeof(T)) == 0;
  if (std::isinf(jit) || std::isinf(ref))
    return jit == ref;
  // A few ulp of f64 (and one ulp of f32 after rounding).
  double tol = std::is_same_v<T, float> ? 2e-7 : 1e-14;
  return std::fabs(double(jit) - double(ref)) <= tol * std::max(1.0, std::fabs(double(ref)));
}

struct DiffParam {
  const Case *c;
  const char *outType;
  int64_t rows;
};

class Differential : public ::testing::TestWithParam<DiffParam> {};

template <typename T>
void compareRun(const Kernel &jit, const Kernel &ref, const std::vector<Column> &in, int64_t rows,
                bool approx) {
  size_t cols = jit.numOutputs();
  std::vector<T> a(rows * cols, T(-123)), b(rows * cols, T(-123));
  auto makeOut = [&](std::vector<T> &v) {
    if constexpr (std::is_same_v<T, float>)
      return Output::f32(v.data(), rows, cols);
    else
      return Output::f64(v.data(), rows, cols);
  };
  ASSERT_FALSE(jit.run(in, makeOut(a)));
  ASSERT_FALSE(ref.run(in, makeOut(b)));
  int bad = 0;
  for (size_t k = 0; k < a.size() && bad < 5; ++k)
    if (!agree(a[k], b[k], approx)) {
      ++bad;
      ADD_FAILURE() << "row " << k / cols << " column '" << jit.outputNames()[k % cols] << "': jit "
                    << a[k] << " interpreter " << b[k];
    }
}

TEST_P(Differential, JitEqualsInterpreter) {
  const DiffParam &p = GetParam();
  auto d = Descriptor::parse(fullDescriptor(*p.c, p.outType));
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  CompileOptions jo, io;
  jo.specialize = true;
  jo.useCache = false;
  io.specialize = false;
  auto jit = compile(*d, jo);
  auto ref = compile(*d, io);
  ASSERT_TRUE(jit && ref);
  ASSERT_EQ(jit->backend(), Backend::Jit) << jit->fallbackReason();
  Inputs data(p.rows, 1000 + p.rows);
  std::vector<Column> in = data.columnsFor(*d);
  if (d->outputType() == DType::F32)
    compareRun<float>(*jit, *ref, in, p.rows, p.c->transcendental);
  else
    compareRun<double>(*jit, *ref, in, p.rows, p.c->transcendental);
}

std::vector<DiffParam> allParams() {
  std::vector<DiffParam> ps;
  for (const Case &c : kCases)
    for (const char *t : {"f64", "f32"})
      for (int64_t rows : {1, 7, 4099})
        ps.push_back({&c, t, rows});
  return ps;
}

INSTANTIATE_TEST_SUITE_P(AllOps, Differential, ::testing::ValuesIn(allParams()),
                         [](const auto &info) {
                           return std::string(info.param.c->name) + "_" + info.param.outType + "_" +
                                  std::to_string(info.param.rows);
                         });

} // namespace

//===----------------------------------------------------------------------===//
// Rules: random rule sets, JIT == interpreter bit for bit
//===----------------------------------------------------------------------===//

namespace {

/// A random rules descriptor over meters m0..m5: conditions mixing
/// comparisons with and/or/not, every action kind, clamps on some meters,
/// expressions reading meters that earlier rules wrote.
std::string randomRules(std::mt19937_64 &rng, const char *type, int steps) {
  auto meter = [&] { return "m" + std::to_string(rng() % 6); };
  auto constant = [&] {
    std::uniform_real_distribution<double> u(-1, 1);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", u(rng));
    return std::string(buf);
  };
  auto expr = [&] {
    switch (rng() % 5) {
    case 0:
      return meter() + " * " + constant();
    case 1:
      return constant();
    case 2:
      return "min(" + meter() + ", " + meter() + ") - " + constant();
    case 3:
      return "(" + meter() + " + " + meter() + ") / 2";
    default:
      return "abs(" + meter() + ") * 0.5 + " + meter();
    }
  };
  auto cond = [&] {
    const char *cmp[] = {"<", "<=", ">", ">=", "!="};
    std::string c = meter() + " " + cmp[rng() % 5] + " " + constant();
    if (rng() % 3 == 0)
      c += (rng() % 2 ? " and " : " or ") + meter() + " > " + constant();
    if (rng() % 5 == 0)
      c = "not (" + c + ")";
    return c;
  };
  std::string json =
      R"({"specjit": 1, "kind": "rules", "meters": ["m0", "m1", "m2", "m3", "m4", "m5"], "type": ")" +
      std::string(type) + R"(", "steps": )" + std::to_string(steps) +
      R"(, "clamp": {"m0": [-1, 1], "m3": [0, 2]}, "rules": [)";
  int rules = 1 + rng() % 10;
  const char *kinds[] = {"set", "add", "sub", "mul"};
  for (int r = 0; r < rules; ++r) {
    json += r ? ", {" : "{";
    bool first = true;
    if (rng() % 4) {
      json += "\"if\": \"" + cond() + "\"";
      first = false;
    }
    // Distinct targets per rule, grouped by action kind.
    std::vector<int> targets = {0, 1, 2, 3, 4, 5};
    std::shuffle(targets.begin(), targets.end(), rng);
    // Up to three actions on distinct meters, one JSON key per kind.
    std::map<std::string, std::string> byKind;
    int count = 1 + rng() % 3;
    for (int a = 0; a < count; ++a) {
      std::string &obj = byKind[kinds[rng() % 4]];
      obj += (obj.empty() ? "" : ", ") + std::string("\"m") + std::to_string(targets[a]) +
             "\": \"" + expr() + "\"";
    }
    for (auto &[kind, obj] : byKind) {
      json += first ? "" : ", ";
      first = false;
      json += "\"" + kind + "\": {" + obj + "}";
    }
    json += "}";
  }
  return json + "]}";
}

} // namespace

TEST(RulesDifferential, RandomRuleSetsJitEqualsInterpreter) {
  std::mt19937_64 rng(2026);
  int compared = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const char *type = trial % 2 ? "f32" : "f64";
    std::string text = randomRules(rng, type, 1 + trial % 4);
    auto d = Descriptor::parse(text);
    ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError()) << "\n" << text;
    CompileOptions jo, io;
    jo.specialize = true;
    jo.useCache = false;
    io.specialize = false;
    auto jit = compile(*d, jo);
    auto ref = compile(*d, io);
    ASSERT_TRUE(jit && ref);
    ASSERT_EQ(jit->backend(), Backend::Jit) << jit->fallbackReason() << "\n" << text;
    for (int64_t rows : {1, 7, 8, 9, 1001}) {
      std::uniform_real_distribution<double> u(-2, 2);
      std::vector<double> s64(rows * 6);
      for (double &v : s64)
        v = rng() % 50 == 0 ? NAN : u(rng);
      if (d->outputType() == DType::F32) {
        std::vector<float> a(s64.begin(), s64.end()), b = a;
        ASSERT_FALSE(jit->run({}, Output::f32(a.data(), rows, 6)));
        ASSERT_FALSE(ref->run({}, Output::f32(b.data(), rows, 6)));
        for (size_t i = 0; i < a.size(); ++i)
          ASSERT_TRUE(agree(a[i], b[i], false)) << text << "\nrow " << i / 6;
      } else {
        std::vector<double> a = s64, b = s64;
        ASSERT_FALSE(jit->run({}, Output::f64(a.data(), rows, 6)));
        ASSERT_FALSE(ref->run({}, Output::f64(b.data(), rows, 6)));
        for (size_t i = 0; i < a.size(); ++i)
          ASSERT_TRUE(agree(a[i], b[i], false)) << text << "\nrow " << i / 6;
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, 200);
}

//===----------------------------------------------------------------------===//
// Tree ensembles: both code shapes against the interpreter
//===----------------------------------------------------------------------===//

namespace {

std::string numText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// A random tree of depth <= `depth` in object form; some subtrees stop
/// early (a tree may be a single leaf), leaves may be -0.0, thresholds are
/// often values the inputs also take.
void randomTreeNodes(std::mt19937_64 &g, int features, int depth, std::vector<std::string> &nodes,
                     size_t at) {
  if (depth == 0 || g() % 5 == 0) {
    double leaf = g() % 7 == 0 ? -0.0 : std::uniform_real_distribution<double>(-1, 1)(g);
    nodes[at] = "{\"leaf\": " + numText(leaf) + "}";
    return;
  }
  size_t left = nodes.size(), right = left + 1;
  nodes.emplace_back();
  nodes.emplace_back();
  if (g() % 2)
    std::swap(left, right);
  const double grid[] = {-1.0, 0.0, 0.1, 0.5, 2.0};
  double t = g() % 2 ? grid[g() % 5] : std::uniform_real_distribution<double>(-2, 2)(g);
  nodes[at] = "{\"feature\": " + std::to_string(g() % features) + ", \"threshold\": " + numText(t) +
              ", \"left\": " + std::to_string(left) + ", \"right\": " + std::to_string(right) +
              ", \"default_left\": " + (g() % 2 ? "true" : "false") + "}";
  randomTreeNodes(g, features, depth - 1, nodes, left);
  randomTreeNodes(g, features, depth - 1, nodes, right);
}

std::string randomTreeModel(std::mt19937_64 &g, int features, int outputs, int trees, int depth,
                            bool f32, bool average, const char *link, bool margin) {
  std::string s = "{\"specjit\": 1, \"kind\": \"model\", \"inputs\": [";
  for (int f = 0; f < features; ++f)
    s += (f ? ", " : "") + std::string("{\"name\": \"x") + std::to_string(f) +
         "\", \"type\": \"f64\"}";
  s += "], \"model\": {\"type\": \"tree_ensemble\", \"num_outputs\": " + std::to_string(outputs) +
       ", \"float32\": " + (f32 ? "true" : "false") +
       ", \"average\": " + (average ? "true" : "false") + ", \"link\": \"" + link +
       "\", \"base_score\": [";
  for (int k = 0; k < outputs; ++k)
    s += (k ? ", " : "") + numText(0.25 * (k + 1));
  s += "], \"trees\": [";
  for (int t = 0; t < trees; ++t) {
    std::vector<std::string> nodes(1);
    randomTreeNodes(g, features, 1 + static_cast<int>(g() % depth), nodes, 0);
    s += (t ? ", " : "") + std::string("{\"group\": ") + std::to_string(g() % outputs) +
         ", \"nodes\": [";
    for (size_t i = 0; i < nodes.size(); ++i)
      s += (i ? ", " : "") + nodes[i];
    s += "]}";
  }
  // Every output needs at least one tree.
  for (int k = 0; k < outputs; ++k)
    s += ", {\"group\": " + std::to_string(k) + ", \"nodes\": [{\"leaf\": 0.5}]}";
  return s + "]}, \"output\": {\"type\": \"f64\", \"margin\": " + (margin ? "true" : "false") +
         "}}";
}

/// Inputs around the thresholds, with NaN, infinities and -0.0.
std::vector<std::vector<double>> treeInputs(std::mt19937_64 &g, int features, int64_t rows) {
  const double special[] = {std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(),
                            -0.0,
                            0.0,
                            0.1,
                            0.5,
                            2.0,
                            0.09999999999,
                            1e39};
  std::vector<std::vector<double>> cols(features, std::vector<double>(rows));
  for (auto &c : cols)
    for (double &v : c)
      v = g() % 3 == 0 ? special[g() % 10] : std::uniform_real_distribution<double>(-3, 3)(g);
  return cols;
}

} // namespace

TEST(TreeLayoutDifferential, BranchesWalkAndInterpreterAgree) {
  std::mt19937_64 g(2026);
  struct Shape {
    int features, outputs, trees, depth;
    bool f32, average;
    const char *link;
    bool margin;
  } shapes[] = {
      {5, 1, 1, 4, true, false, "logistic", true},
      {5, 1, 20, 6, true, false, "logistic", true},  // three groups of trees
      {7, 3, 30, 5, true, false, "softmax", true},   // trees of several outputs
      {4, 2, 17, 7, false, true, "identity", false}, // averaged forest, f64
      {6, 1, 9, 3, false, false, "identity", false},
      {3, 3, 12, 4, true, false, "argmax", false},
  };
  for (const Shape &sh : shapes) {
    std::string json = randomTreeModel(g, sh.features, sh.outputs, sh.trees, sh.depth, sh.f32,
                                       sh.average, sh.link, sh.margin);
    auto d = Descriptor::parse(json);
    ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
    CompileOptions io;
    io.specialize = false;
    auto ref = compile(*d, io);
    ASSERT_TRUE(static_cast<bool>(ref));
    for (TreeLayout layout : {TreeLayout::Branches, TreeLayout::Walk}) {
      SCOPED_TRACE(std::string(treeLayoutName(layout)) + ": " + json.substr(0, 200));
      CompileOptions jo;
      jo.specialize = true;
      jo.useCache = false;
      jo.treeLayout = layout;
      auto jit = compile(*d, jo);
      ASSERT_TRUE(static_cast<bool>(jit));
      ASSERT_EQ(jit->backend(), Backend::Jit) << jit->fallbackReason();
      // Around the walk's block of rows (at most 256) and the vector width.
      for (int64_t rows : {0, 1, 3, 8, 255, 256, 257, 1000}) {
        auto data = treeInputs(g, sh.features, rows);
        std::vector<Column> in;
        for (auto &c : data)
          in.push_back(Column::f64(c.data(), rows));
        // Margins and identity outputs are exact; links may use vector exp.
        bool approx =
            !sh.margin && std::string(sh.link) != "identity" && std::string(sh.link) != "argmax";
        compareRun<double>(*jit, *ref, in, rows, approx);
        if (::testing::Test::HasFailure())
          return;
      }
    }
  }
}

/// One tree of `depth` splits in a chain (each left child a leaf).
std::string chainTreeModel(int depth) {
  std::string nodes;
  for (int i = 0; i < depth; ++i)
    nodes += "{\"feature\": 0, \"threshold\": " + std::to_string(i) +
             ", \"left\": " + std::to_string(2 * i + 1) +
             ", \"right\": " + std::to_string(2 * i + 2) +
             ", \"default_left\": true}, {\"leaf\": " + std::to_string(i) + "}, ";
  nodes += "{\"leaf\": -1}";
  return "{\"specjit\": 1, \"kind\": \"model\", \"inputs\": [{\"name\": \"x\", "
         "\"type\": \"f32\"}], \"model\": {\"type\": \"tree_ensemble\", "
         "\"num_outputs\": 1, \"trees\": [{\"group\": 0, \"nodes\": [" +
         nodes + "]}]}, \"output\": {\"type\": \"f32\"}}";
}

TEST(TreeLayoutDifferential, AutoPicksByDepthAndSize) {
  // Shallow and small: branches; large, or deeper than 5: the walk.
  std::mt19937_64 g(7);
  struct Case {
    std::string json;
    bool walks;
  } cases[] = {
      {randomTreeModel(g, 4, 1, 2, 3, true, false, "logistic", true), false},
      {randomTreeModel(g, 4, 1, 300, 6, true, false, "logistic", true), true},
      {chainTreeModel(5), false},
      {chainTreeModel(6), true},
  };
  for (auto &[json, walks] : cases) {
    auto d = Descriptor::parse(json);
    ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
    auto text = emitStage(*d, Stage::Lowered);
    ASSERT_TRUE(static_cast<bool>(text)) << llvm::toString(text.takeError());
    // The walk layout's node arrays are module globals.
    EXPECT_EQ(text->find("specjit_tree_value") != std::string::npos, walks) << json.substr(0, 300);
  }
}

TEST(TreeLayoutDifferential, DeepTreesNeverTakeBranches) {
  // A chain 10,000 deep as branches used to overflow the stack in MLIR's
  // liveness analysis after ~45 s. The layout is now decided from the
  // descriptor, in milliseconds: `branches` takes trees up to 64 deep, so
  // an explicit `branches` builds the walk and still computes the same.
  for (int depth : {64, 65, 10000}) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    auto d = Descriptor::parse(chainTreeModel(depth));
    ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
    auto t0 = std::chrono::steady_clock::now();
    TreeLayout layout = specjit::jit::resolveTreeLayout(d->spec<ModelSpec>(), TreeLayout::Branches);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(layout, depth <= 64 ? TreeLayout::Branches : TreeLayout::Walk);
    EXPECT_LT(ms, 100.0);
    EXPECT_EQ(specjit::jit::resolveTreeLayout(d->spec<ModelSpec>(), TreeLayout::Auto),
              TreeLayout::Walk);

    CompileOptions jo;
    jo.specialize = true;
    jo.useCache = false;
    jo.treeLayout = TreeLayout::Branches;
    auto jit = compile(*d, jo);
    ASSERT_TRUE(static_cast<bool>(jit));
    ASSERT_EQ(jit->backend(), Backend::Jit) << jit->fallbackReason();
    CompileOptions io;
    io.specialize = false;
    auto ref = compile(*d, io);
    ASSERT_TRUE(static_cast<bool>(ref));
    // Every exit of the chain, NaN (default left: the first leaf) and past
    // the end.
    std::vector<float> x;
    for (int i = -1; i <= depth + 1; i += std::max(1, depth / 500))
      x.push_back(static_cast<float>(i) + 0.5f);
    x.push_back(std::numeric_limits<float>::quiet_NaN());
    x.push_back(static_cast<float>(depth) + 10);
    std::vector<Column> in = {Column::f32(x.data(), static_cast<int64_t>(x.size()))};
    compareRun<float>(*jit, *ref, in, static_cast<int64_t>(x.size()), false);
  }
}

TEST(TreeLayoutDifferential, DeepAndWideTreesNeverTakeBranches) {
  // Beyond 1,024 features auto prefers branches, but not for a tree deeper
  // than 64: the walk is built (here too large a kernel: the interpreter
  // runs it, with the reason recorded), quickly, and the result is right.
  std::string json = chainTreeModel(100);
  std::string one = R"("inputs": [{"name": "x", "type": "f32"}])";
  std::string many = R"("inputs": [{"name": "x", "type": "f32"})";
  for (int i = 1; i < 1100; ++i)
    many += R"(, {"name": "y)" + std::to_string(i) + R"(", "type": "f32"})";
  many += "]";
  size_t at = json.find(one);
  ASSERT_NE(at, std::string::npos);
  json.replace(at, one.size(), many);
  auto d = Descriptor::parse(json);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  CompileOptions io;
  io.specialize = false;
  auto ref = compile(*d, io);
  ASSERT_TRUE(static_cast<bool>(ref));
  std::vector<std::vector<float>> cols(1100, std::vector<float>(300, 0.0f));
  for (int r = 0; r < 300; ++r)
    cols[0][r] = static_cast<float>(r) / 2 - 10;
  std::vector<Column> in;
  for (auto &c : cols)
    in.push_back(Column::f32(c.data(), 300));
  for (TreeLayout requested : {TreeLayout::Auto, TreeLayout::Branches}) {
    EXPECT_EQ(specjit::jit::resolveTreeLayout(d->spec<ModelSpec>(), requested), TreeLayout::Walk);
    CompileOptions jo;
    jo.specialize = true;
    jo.useCache = false;
    jo.treeLayout = requested;
    auto k = compile(*d, jo);
    ASSERT_TRUE(static_cast<bool>(k));
    if (k->backend() == Backend::Interpreter)
      EXPECT_NE(k->fallbackReason().find("too large"), std::string::npos) << k->fallbackReason();
    compareRun<float>(*k, *ref, in, 300, false);
  }
}
