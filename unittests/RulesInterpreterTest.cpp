//===- RulesInterpreterTest.cpp - The interpreter of `rules` --------------===//
//
// Descriptors are JSON text parsed with Descriptor::parse; the interpreter
// updates a caller-owned state matrix in place through the kernel ABI.
// Expected values are worked out by hand, or come from a straightforward
// per-row reference written here from docs/rules-semantics.md (it walks the
// parsed expression trees one row at a time), compared bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Families/Rules/RulesSpec.h"
#include "Interpreter/Interpreter.h"
#include "specjit/Descriptor.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace specjit;
using interp::Interpreter;
using jit::Descriptor;

namespace {

const double NaN = std::numeric_limits<double>::quiet_NaN();
const double Inf = std::numeric_limits<double>::infinity();
constexpr int64_t kB = interp::kRulesBlockRows;

struct Rules {
  std::unique_ptr<Descriptor> desc;
  std::unique_ptr<Interpreter> interp;
  size_t meters = 0;
  explicit operator bool() const { return interp != nullptr; }
  const jit::RulesSpec &spec() const { return desc->spec<jit::RulesSpec>(); }
};

Rules compile(const std::string &json) {
  Rules c;
  auto d = Descriptor::parse(json);
  if (!d) {
    ADD_FAILURE() << "parse failed: " << llvm::toString(d.takeError()) << "\n" << json;
    return c;
  }
  if (d->kind() != jit::Kind::Rules) {
    ADD_FAILURE() << "not a rules descriptor";
    return c;
  }
  c.desc = std::make_unique<Descriptor>(std::move(*d));
  c.meters = c.desc->numOutputs();
  auto ip = Interpreter::create(*c.desc);
  if (!ip) {
    ADD_FAILURE() << "create failed: " << llvm::toString(ip.takeError());
    return c;
  }
  c.interp = std::move(*ip);
  return c;
}

/// A rules document: meters and rules JSON, then optional extra members
/// (e.g. `"clamp": {...}, "steps": 3`).
std::string doc(const std::string &meters, const std::string &rules,
                const std::string &extra = "") {
  return R"({"specjit": 1, "kind": "rules", "name": "t", "meters": )" + meters + R"(, "rules": )" +
         rules + (extra.empty() ? "" : ", " + extra) + "}";
}

/// Runs in place over `rows` rows of `m` (row-major).
template <class T> void runOn(const Rules &c, std::vector<T> &m, int64_t rows) {
  EXPECT_EQ(c.interp->run(nullptr, m.data(), rows), 0);
}

template <class T> bool same(T a, T b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

template <class T>
void expectSame(const std::vector<T> &got, const std::vector<T> &want,
                const std::string &what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (same(got[i], want[i]))
      continue;
    ADD_FAILURE() << what << " element " << i << ": got " << got[i] << ", want " << want[i];
    if (++bad == 10)
      return;
  }
}

//===----------------------------------------------------------------------===//
// The per-row reference (docs/rules-semantics.md)
//===----------------------------------------------------------------------===//

bool truth(double x) { return x != 0.0; }
double b2d(bool b) { return b ? 1.0 : 0.0; }

double eval(const jit::Expr &e, const std::vector<double> &m) {
  using Op = jit::Expr::Op;
  switch (e.kind) {
  case jit::Expr::Kind::Const:
    return e.value;
  case jit::Expr::Kind::Column:
    return m.at(e.arg);
  case jit::Expr::Kind::Op:
    break;
  }
  auto a = [&](size_t i) { return eval(*e.args.at(i), m); };
  switch (e.op) {
  case Op::Neg:
    return -a(0);
  case Op::Not:
    return b2d(!truth(a(0)));
  case Op::Add:
    return a(0) + a(1);
  case Op::Sub:
    return a(0) - a(1);
  case Op::Mul:
    return a(0) * a(1);
  case Op::Div:
    return a(0) / a(1);
  case Op::Lt:
    return b2d(a(0) < a(1));
  case Op::Le:
    return b2d(a(0) <= a(1));
  case Op::Gt:
    return b2d(a(0) > a(1));
  case Op::Ge:
    return b2d(a(0) >= a(1));
  case Op::Eq:
    return b2d(a(0) == a(1));
  case Op::Ne: {
    double x = a(0), y = a(1);
    return b2d(x < y || x > y); // ordered
  }
  case Op::And:
    return b2d(truth(a(0)) && truth(a(1)));
  case Op::Or:
    return b2d(truth(a(0)) || truth(a(1)));
  case Op::Min: {
    double x = a(0), y = a(1);
    return x < y ? x : y;
  }
  case Op::Max: {
    double x = a(0), y = a(1);
    return x > y ? x : y;
  }
  case Op::Abs:
    return std::fabs(a(0));
  case Op::Sqrt:
    return std::sqrt(a(0));
  case Op::Exp:
    return std::exp(a(0));
  case Op::Log:
    return std::log(a(0));
  case Op::Log1p:
    return std::log1p(a(0));
  case Op::Pow:
    return std::pow(a(0), a(1));
  case Op::Select:
    return truth(a(0)) ? a(1) : a(2);
  }
  return NaN;
}

/// The semantics page, one row at a time.
template <class T> void reference(const jit::RulesSpec &spec, std::vector<T> &mat, int64_t rows) {
  size_t M = spec.meters.size();
  std::vector<double> m(M), values;
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < M; ++j)
      m[j] = static_cast<double>(mat[r * M + j]);
    for (int64_t step = 0; step < spec.steps; ++step) {
      for (const jit::Rule &rule : spec.rules) {
        if (rule.cond && !truth(eval(*rule.cond, m)))
          continue;
        values.clear();
        for (const jit::RuleAction &a : rule.actions)
          values.push_back(eval(*a.expr, m));
        for (size_t i = 0; i < rule.actions.size(); ++i) {
          const jit::RuleAction &a = rule.actions[i];
          double &x = m[a.meter];
          switch (a.kind) {
          case jit::RuleAction::Kind::Set:
            x = values[i];
            break;
          case jit::RuleAction::Kind::Add:
            x = x + values[i];
            break;
          case jit::RuleAction::Kind::Sub:
            x = x - values[i];
            break;
          case jit::RuleAction::Kind::Mul:
            x = x * values[i];
            break;
          }
          if (a.meter < static_cast<int>(spec.clamp.size()) && spec.clamp[a.meter]) {
            double lo = spec.clamp[a.meter]->first, hi = spec.clamp[a.meter]->second;
            x = x < lo ? lo : (x > hi ? hi : x);
          }
        }
      }
    }
    for (size_t j = 0; j < M; ++j)
      mat[r * M + j] = static_cast<T>(m[j]);
  }
}

/// The `needs` example of the semantics page, grown to exercise every
/// operator, conditions, clamps and steps.
std::string rich(const char *type = "f64", int steps = 3) {
  return doc(R"(["energy", "mood", "hunger", "cash", "x"])", R"J([
    {"if": "mood < 0.2", "sub": {"energy": "0.01 * (0.2 - mood)"}},
    {"if": "hunger > 0.8 and energy > 0.1", "set": {"mood": "mood - 0.05"},
     "add": {"hunger": "0.01"}},
    {"mul": {"energy": "0.999"}},
    {"if": "not (cash >= 10) or x != x",
     "add": {"cash": "sqrt(abs(x)) + log1p(abs(hunger))"},
     "set": {"x": "select(x > 0, min(x, cash), max(-x, energy))"}},
    {"if": "x", "mul": {"mood": "exp(-abs(x) / 100)"},
     "sub": {"hunger": "pow(abs(energy), 1.5) / 10"}},
    {"if": "energy <= 0.5 || mood == 1",
     "set": {"x": "x > 5 ? x / 2 : -x - 1", "energy": "log(abs(energy) + 1) * 2"}},
    {"if": "hunger >= 1.5", "set": {"hunger": "cash / (energy - energy)"}}
  ])J",
             std::string(R"("type": ")") + type +
                 R"(", "clamp": {"energy": [0, 1], "mood": [0, 1], "hunger": [-1, 2]},
      "steps": )" +
                 std::to_string(steps));
}

/// A random state matrix for rich(): mostly in range, some out of range,
/// some NaN and infinities.
std::vector<double> randomMatrix(int64_t rows, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-0.5, 1.5);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<double> m(static_cast<size_t>(rows) * 5);
  for (size_t i = 0; i < m.size(); ++i) {
    int p = pick(rng);
    m[i] = p == 0 ? NaN : p == 1 ? Inf : p == 2 ? -Inf : u(rng) * (i % 5 == 3 ? 20 : 1);
  }
  return m;
}

//===----------------------------------------------------------------------===//
// Hand-checked cascades
//===----------------------------------------------------------------------===//

TEST(RulesInterpreter, ThresholdCascade) {
  auto c = compile(doc(R"(["score", "tier"])", R"([
    {"if": "score >= 90", "set": {"tier": "3"}},
    {"if": "score >= 70 and tier == 0", "set": {"tier": "2"}},
    {"if": "score >= 50 and tier == 0", "set": {"tier": "1"}}])"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c.interp->stateBytes(), 0u);
  std::vector<double> m = {95, 0, 75, 0, 55, 0, 10, 0, NaN, 0, 70, 0, 50, 7};
  runOn(c, m, 7);
  expectSame(m, {95, 3, 75, 2, 55, 1, 10, 0, NaN, 0, 70, 2, 50, 7});
}

TEST(RulesInterpreter, LaterRulesSeeEarlierWrites) {
  auto c = compile(doc(R"(["a", "b"])", R"([
    {"add": {"a": "1"}},
    {"if": "a > 1", "set": {"b": "a * 10"}},
    {"if": "b > 100", "set": {"a": "0"}}])"));
  ASSERT_TRUE(c);
  std::vector<double> m = {0.5, -1, 0, -1, 20, 0};
  runOn(c, m, 3);
  expectSame(m, {1.5, 15, 1, -1, 0, 210});
}

TEST(RulesInterpreter, ActionsOfOneRuleAreSimultaneous) {
  auto c = compile(doc(R"(["a", "b", "c"])", R"([
    {"set": {"a": "b", "b": "a"}},
    {"set": {"c": "a + b"}, "add": {"a": "c"}, "mul": {"b": "c"}}])"));
  ASSERT_TRUE(c);
  // Rule 1 swaps a and b. Rule 2 reads a=2, b=1, c=10: c = 3, a = 2 + 10,
  // b = 1 * 10 (all from the values before the rule).
  std::vector<double> m = {1, 2, 10};
  runOn(c, m, 1);
  expectSame(m, {12, 10, 3});
}

TEST(RulesInterpreter, Clamp) {
  auto c = compile(doc(R"(["a", "b", "c"])", R"J([
    {"if": "c == 1", "add": {"a": "0.5"}},
    {"if": "c == 2", "mul": {"a": "1"}},
    {"if": "c == 3", "set": {"a": "sqrt(a)"}},
    {"if": "c == 4", "add": {"b": "0"}}])J",
                       R"("clamp": {"a": [0, 1], "b": [-1, 1]})"));
  ASSERT_TRUE(c);
  std::vector<double> m = {
      0.8, 5,    1, // a: 1.3 -> 1; b not written: stays out of range
      -5,  5,    2, // a: clamped after the (identity) write -> 0
      -1,  5,    3, // a: sqrt(-1) = NaN passes the clamp
      0.5, 5,    4, // b: 5 + 0 -> 1
      0.5, -Inf, 4, // b: -inf -> -1
      NaN, NaN,  1, // a: NaN + 0.5 = NaN passes
      -7,  9,    0, // nothing fires: nothing is clamped
  };
  runOn(c, m, 7);
  expectSame(m, {1, 5, 1, 0, 5, 2, NaN, 5, 3, 0.5, 1, 4, 0.5, -1, 4, NaN, NaN, 1, -7, 9, 0});
}

TEST(RulesInterpreter, NaNConditionIsTrue) {
  auto c = compile(doc(R"(["a", "b"])", R"([
    {"if": "a", "add": {"b": "1"}},
    {"if": "a > 0", "add": {"b": "10"}},
    {"if": "not a", "add": {"b": "100"}}])"));
  ASSERT_TRUE(c);
  std::vector<double> m = {NaN, 0, 0, 0, 2, 0, -0.0, 0};
  runOn(c, m, 4);
  expectSame(m, {NaN, 1, 0, 100, 2, 11, -0.0, 100});
}

TEST(RulesInterpreter, ConstantConditions) {
  auto c = compile(doc(R"(["a"])", R"([
    {"if": "0", "add": {"a": "1"}},
    {"if": "1 > 0", "add": {"a": "10"}},
    {"if": "2", "add": {"a": "100"}}])"));
  ASSERT_TRUE(c);
  std::vector<double> m = {0, NaN, -110};
  runOn(c, m, 3);
  expectSame(m, {110, NaN, 0});
}

TEST(RulesInterpreter, Steps) {
  auto c = compile(doc(R"(["a", "b", "n"])", R"([
    {"if": "a < 5", "add": {"a": "1"}},
    {"mul": {"b": "2"}},
    {"add": {"n": "1"}}])",
                       R"("steps": 10)"));
  ASSERT_TRUE(c);
  std::vector<double> m = {0, 1, 0, 7, -3, 100};
  runOn(c, m, 2);
  expectSame(m, {5, 1024, 10, 7, -3072, 110});
}

TEST(RulesInterpreter, RoundingOnlyAtTheEnds) {
  // f32: the meters stay in f64 through every step; 1 + 4e-8 + 4e-8 rounds
  // up to the next float, while rounding per step would keep 1.
  auto c =
      compile(doc(R"(["a"])", R"([{"add": {"a": "0.00000004"}}])", R"("type": "f32", "steps": 2)"));
  ASSERT_TRUE(c);
  std::vector<float> m = {1.0f};
  runOn(c, m, 1);
  EXPECT_EQ(m[0], std::nextafter(1.0f, 2.0f));
  EXPECT_EQ(static_cast<float>(1.0 + 0.00000004), 1.0f);
}

TEST(RulesInterpreter, NoRulesKeepsTheMatrix) {
  auto c = compile(doc(R"(["a", "b"])", "[]", R"("type": "f32")"));
  ASSERT_TRUE(c);
  std::vector<float> m = {1.5f, -0.0f, static_cast<float>(NaN), 3e38f};
  std::vector<float> want = m;
  runOn(c, m, 2);
  expectSame(m, want);
}

//===----------------------------------------------------------------------===//
// Against the per-row reference
//===----------------------------------------------------------------------===//

TEST(RulesInterpreter, RowCountsAgainstReference) {
  auto c = compile(rich());
  ASSERT_TRUE(c);
  for (int64_t rows : {int64_t(0), int64_t(1), kB - 1, kB, kB + 1, int64_t(10000)}) {
    std::vector<double> m = randomMatrix(rows, 3 + static_cast<unsigned>(rows));
    m.push_back(-12345.0); // past the end: untouched
    std::vector<double> want = m;
    reference(c.spec(), want, rows);
    runOn(c, m, rows);
    EXPECT_EQ(m.back(), -12345.0);
    expectSame(m, want, "rows " + std::to_string(rows));
  }
}

TEST(RulesInterpreter, F32AgainstReferenceAndF64) {
  auto c32 = compile(rich("f32", 4));
  auto c64 = compile(rich("f64", 4));
  ASSERT_TRUE(c32);
  ASSERT_TRUE(c64);
  const int64_t rows = 3 * kB + 5;
  std::vector<double> d = randomMatrix(rows, 77);
  std::vector<float> f(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    f[i] = static_cast<float>(d[i]);
    d[i] = f[i]; // the f64 run starts from the same (widened) values
  }
  std::vector<float> want32 = f;
  reference(c32.spec(), want32, rows);
  runOn(c32, f, rows);
  expectSame(f, want32, "f32 vs reference");
  runOn(c64, d, rows);
  // f32 rounds once, at the end, the f64 result.
  std::vector<float> rounded(d.size());
  for (size_t i = 0; i < d.size(); ++i)
    rounded[i] = static_cast<float>(d[i]);
  expectSame(f, rounded, "f32 vs rounded f64");
}

TEST(RulesInterpreter, ManyMetersSmallerBlocks) {
  // Enough meters that a full block would exceed the scratch budget.
  const int M = 3000;
  std::string meters = "[";
  for (int j = 0; j < M; ++j)
    meters += (j ? ", \"m" : "\"m") + std::to_string(j) + "\"";
  meters += "]";
  auto c = compile(doc(meters, R"([
    {"if": "m0 > m2999", "set": {"m2999": "m0 + m1", "m1500": "m2999"}},
    {"add": {"m0": "m1500 * 0.5"}}])",
                       R"("type": "f32", "steps": 2, "clamp": {"m0": [-1, 1]})"));
  ASSERT_TRUE(c);
  const int64_t rows = 2 * kB + 3;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> m(static_cast<size_t>(rows) * M);
  for (float &v : m)
    v = u(rng);
  std::vector<float> want = m;
  reference(c.spec(), want, rows);
  runOn(c, m, rows);
  expectSame(m, want);
}

TEST(RulesInterpreter, ConcurrentDisjointRowRanges) {
  auto c = compile(rich("f64", 5));
  ASSERT_TRUE(c);
  const int64_t rows = 20011;
  std::vector<double> m = randomMatrix(rows, 123);
  std::vector<double> want = m;
  reference(c.spec(), want, rows);
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<int64_t> rc(kThreads, -9);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      int64_t begin = rows * t / kThreads, end = rows * (t + 1) / kThreads;
      rc[t] = c.interp->run(nullptr, m.data() + begin * 5, end - begin);
    });
  for (auto &th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(rc[t], 0);
  expectSame(m, want);
}

TEST(RulesInterpreter, OutlivesDescriptorAndDescribesNoFailure) {
  std::unique_ptr<Interpreter> ip;
  {
    auto c = compile(doc(R"(["a"])", R"([{"mul": {"a": "a"}}])"));
    ASSERT_TRUE(c);
    ip = std::move(c.interp);
  }
  std::vector<double> m = {3, -2};
  ASSERT_EQ(ip->run(nullptr, m.data(), 2), 0);
  expectSame(m, {9.0, 4.0});
  EXPECT_EQ(ip->describeFailure(nullptr, 0), "row 0: no data check fails");
}

} // namespace
