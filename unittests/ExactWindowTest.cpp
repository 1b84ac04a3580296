//===- ExactWindowTest.cpp - specjit_rt_exact_window against exact sums ---===//
//
// The routine behind every series window of period 128 and more, checked
// per row against an independent exact sum (ExactSum.h: Shewchuk's partials
// with fma-split products) on data built to reach its every path: prices
// (the 128-bit fast path), magnitudes from 1e-14 to 1e14 of both signs
// (rescaling and rebuilds), windows spanning 1e-300 to 1e300 (the wide
// accumulator), zeros, subnormals, infinities and NaN; and in chunks of
// every size, which must not change a bit.
//
//===----------------------------------------------------------------------===//

#include "Runtime/ExactWindow.h"

#include "ExactSum.h"

#include "gtest/gtest.h"

#include <cstring>
#include <limits>
#include <random>
#include <string>

using namespace specjit;
using specjit::exactref::Col;
using specjit::exactref::exactWindow;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

struct Result {
  Col out, first, before;
};

Result run(ExactWindowKind kind, int64_t n, const Col &x, int64_t chunk) {
  std::vector<int64_t> state(static_cast<size_t>(exactWindowStateBytes(kind, n) / 8), 0);
  Result r{Col(x.size()), Col(x.size()), Col(x.size())};
  bool kama = kind == ExactWindowKind::Kama;
  for (size_t s = 0; s < x.size(); s += static_cast<size_t>(chunk)) {
    int64_t c = std::min<int64_t>(chunk, static_cast<int64_t>(x.size() - s));
    specjit_rt_exact_window(static_cast<int64_t>(kind), n, state.data(), x.data() + s, c,
                            r.out.data() + s, kama ? r.first.data() + s : nullptr,
                            kama ? r.before.data() + s : nullptr);
  }
  return r;
}

/// The definition per row (docs/series-semantics.md, "Long windows"); the
/// history before the first row is NaN.
double reference(ExactWindowKind kind, int64_t n, const Col &x, int64_t t) {
  double nd = static_cast<double>(n);
  if (kind == ExactWindowKind::Kama) {
    if (t < n)
      return kNaN;
    Col d;
    for (int64_t i = t - n + 1; i <= t; ++i)
      d.push_back(std::fabs(x[i] - x[i - 1]));
    return exactWindow(d, 0, n, 1, 0);
  }
  if (t < n - 1)
    return kNaN;
  int64_t from = t - n + 1;
  switch (kind) {
  case ExactWindowKind::Mean:
    return exactWindow(x, from, n, 1, 0) / nd;
  case ExactWindowKind::Weighted:
    return exactWindow(x, from, n, 1, 1) / static_cast<double>(n * (n + 1) / 2);
  default:
    return exactWindow(x, from, n, 1, 0) / nd +
           (exactWindow(x, from, n, -(n - 1), 2) / static_cast<double>(n * (n * n - 1) / 6)) *
               (static_cast<double>(n - 1) / 2.0);
  }
}

void expectExact(ExactWindowKind kind, int64_t n, const Col &x, const std::string &what) {
  Result whole = run(kind, n, x, static_cast<int64_t>(x.size()));
  int bad = 0;
  for (int64_t t = 0; t < static_cast<int64_t>(x.size()) && bad < 5; ++t) {
    double want = reference(kind, n, x, t);
    if (!same(whole.out[t], want)) {
      ADD_FAILURE() << what << " kind " << static_cast<int>(kind) << " n " << n << " row " << t
                    << ": got " << whole.out[t] << ", want " << want;
      ++bad;
    }
    if (kind == ExactWindowKind::Kama) {
      double first = t >= n ? x[t - n] : kNaN, before = t >= 1 ? x[t - 1] : kNaN;
      EXPECT_TRUE(same(whole.first[t], first)) << what << " row " << t << ": x[t-n]";
      EXPECT_TRUE(same(whole.before[t], before)) << what << " row " << t << ": x[t-1]";
    }
  }
  for (int64_t chunk : {1, 7, 64, 300}) {
    Result part = run(kind, n, x, chunk);
    for (size_t t = 0; t < x.size(); ++t)
      if (!same(part.out[t], whole.out[t])) {
        ADD_FAILURE() << what << " kind " << static_cast<int>(kind) << " n " << n << ": chunks of "
                      << chunk << " differ at row " << t;
        break;
      }
  }
}

constexpr ExactWindowKind kKinds[] = {ExactWindowKind::Mean, ExactWindowKind::Weighted,
                                      ExactWindowKind::Line, ExactWindowKind::Kama};

Col prices(size_t rows, unsigned seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> step(0.0, 0.01);
  Col x(rows);
  double p = 100.0;
  for (double &v : x) {
    p *= std::exp(step(g));
    v = std::round(p * 100.0) / 100.0;
  }
  return x;
}

TEST(ExactWindow, PricesWithNaN) {
  Col x = prices(1500, 1);
  for (size_t i : {0u, 200u, 201u, 777u, 1499u})
    x[i] = kNaN;
  for (ExactWindowKind kind : kKinds)
    for (int64_t n : {65, 100, 257})
      expectExact(kind, n, x, "prices");
}

TEST(ExactWindow, WideMagnitudesBothSigns) {
  // 1e-14 .. 1e14: the unit drops and the 128-bit sums rebuild.
  std::mt19937_64 g(2);
  std::lognormal_distribution<double> mag(0.0, 8.0);
  Col x(1200);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = mag(g) * (i % 5 == 2 ? -1.0 : 1.0);
  for (ExactWindowKind kind : kKinds)
    for (int64_t n : {65, 130})
      expectExact(kind, n, x, "wide magnitudes");
}

TEST(ExactWindow, ExtremeSpansZerosAndSubnormals) {
  // Windows holding 1e300 beside 1e-300 need the wide accumulator; zeros,
  // -0.0 and subnormals join; the finite sums stay in range.
  std::mt19937_64 g(3);
  const double pool[] = {1e300, -1e300, 1e-300, -3e-310, 5e-324, 0.0,
                         -0.0,  1.0,    -2.5,   1e-20,   7e200,  123.456};
  std::uniform_int_distribution<int> pick(0, 11);
  Col x(900);
  for (double &v : x)
    v = pool[pick(g)];
  for (ExactWindowKind kind : kKinds)
    expectExact(kind, 65, x, "extreme spans");
  // The wide path ends when the window narrows again.
  Col y = prices(600, 4);
  for (size_t i = 100; i < 110; ++i)
    y[i] = 1e-300 * static_cast<double>(i);
  for (ExactWindowKind kind : kKinds)
    expectExact(kind, 80, y, "a narrow window after a wide one");
}

TEST(ExactWindow, CancellationIsExact) {
  // 1e16 + 1 - 1e16 summed in order loses the 1; the exact sum keeps it.
  Col x;
  for (int i = 0; i < 400; ++i)
    x.push_back(i % 3 == 0 ? 1e16 : i % 3 == 1 ? 1.0 : -1e16);
  Result r = run(ExactWindowKind::Mean, 66, x, 400);
  // Window ending at row t: 22 triples (1e16, 1, -1e16) in some rotation.
  for (int t = 65; t < 400; ++t)
    EXPECT_EQ(r.out[t], 22.0 / 66.0) << "row " << t;
}

TEST(ExactWindow, NonFiniteValuesFollowIEEE) {
  Col x = prices(300, 5);
  x[100] = kInf;
  Col m = run(ExactWindowKind::Mean, 65, x, 300).out;
  EXPECT_EQ(m[99], m[99]);
  for (int t = 100; t < 165; ++t)
    EXPECT_EQ(m[t], kInf) << t;
  EXPECT_TRUE(std::isfinite(m[165]));
  x[120] = -kInf;
  m = run(ExactWindowKind::Mean, 65, x, 300).out;
  EXPECT_EQ(m[119], kInf);
  EXPECT_TRUE(std::isnan(m[120]));
  EXPECT_EQ(m[165], -kInf);
  EXPECT_TRUE(std::isfinite(m[185]));
  // lsma: an infinity's weight 2i - (n-1) is zero at the middle of an odd
  // window (NaN), negative in the older half, positive in the newer.
  Col y = prices(300, 6);
  y[150] = kInf;
  Col l = run(ExactWindowKind::Line, 65, y, 300).out;
  EXPECT_EQ(l[150], kInf);         // newest: weight +64
  EXPECT_TRUE(std::isnan(l[182])); // the middle: weight 0
  EXPECT_TRUE(std::isnan(l[200])); // older half: inf - inf
  // Overflow: the exact sum rounds to inf before the division.
  Col big(70, 1e308);
  EXPECT_EQ(run(ExactWindowKind::Mean, 65, big, 70).out[64], kInf);
  // A window of -0.0 sums to +0.0, as the in-order sum from 0.0 does.
  Col zeros(70, -0.0);
  double z = run(ExactWindowKind::Mean, 65, zeros, 70).out[69];
  EXPECT_EQ(z, 0.0);
  EXPECT_FALSE(std::signbit(z));
}

} // namespace
