//===- SeriesInterpreterTest.cpp - The interpreter of `series` ------------===//
//
// Descriptors are JSON text parsed with Descriptor::parse; the interpreter is
// run through the kernel ABI (inputs, then the streaming state). Expected
// values are worked out by hand, or come from a straightforward per-row
// reference written here from docs/series-semantics.md (full columns, one
// row at a time, no streaming), compared bit for bit: the reference performs
// the same f64 operations in the same order.
//
//===----------------------------------------------------------------------===//

#include "Families/Series/SeriesSpec.h"
#include "Interpreter/Interpreter.h"
#include "specjit/Descriptor.h"

#include "ExactSum.h"

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
using jit::IndicatorOp;

namespace {

using Col = std::vector<double>;
using exactref::exactWindow;
using exactref::kExact;

const double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kB = interp::kSeriesBlockRows;

struct Series {
  std::unique_ptr<Descriptor> desc;
  std::unique_ptr<Interpreter> interp;
  size_t cols = 0;
  explicit operator bool() const { return interp != nullptr; }
  const jit::SeriesSpec &spec() const { return desc->spec<jit::SeriesSpec>(); }
};

Series compile(const std::string &json) {
  Series c;
  auto d = Descriptor::parse(json);
  if (!d) {
    ADD_FAILURE() << "parse failed: " << llvm::toString(d.takeError()) << "\n" << json;
    return c;
  }
  if (d->kind() != jit::Kind::Series) {
    ADD_FAILURE() << "not a series descriptor";
    return c;
  }
  c.desc = std::make_unique<Descriptor>(std::move(*d));
  c.cols = c.desc->numOutputs();
  auto ip = Interpreter::create(*c.desc);
  if (!ip) {
    ADD_FAILURE() << "create failed: " << llvm::toString(ip.takeError());
    return c;
  }
  c.interp = std::move(*ip);
  return c;
}

/// A document with f64 inputs `names` (or the given inputs JSON), the
/// indicators JSON array, and the output.
std::string doc(const std::string &inputs, const std::string &indicators,
                const std::string &output = R"({"type": "f64"})") {
  return R"({"specjit": 1, "kind": "series", "name": "t", "inputs": )" + inputs +
         R"(, "output": )" + output + R"(, "indicators": )" + indicators + "}";
}
const char *kClose = R"([{"name": "close", "type": "f64"}])";

/// One stream: its state, zeroed (fresh).
struct Stream {
  std::vector<unsigned char> state;
  explicit Stream(const Series &c) : state(c.interp->stateBytes() + 1, 0) {}
};

/// Runs `rows` rows starting at row `begin` of the f64 input columns on
/// `stream`, appending to `out`.
template <class T = double>
void feed(const Series &c, Stream &s, const std::vector<Col> &in, int64_t begin, int64_t rows,
          std::vector<T> &out) {
  std::vector<const void *> args;
  for (const Col &x : in)
    args.push_back(x.data() + begin);
  args.push_back(s.state.data());
  size_t at = out.size();
  out.resize(at + static_cast<size_t>(rows) * c.cols + 1, static_cast<T>(-7));
  EXPECT_EQ(c.interp->run(args.data(), out.data() + at, rows), 0);
  EXPECT_EQ(out.back(), static_cast<T>(-7)) << "wrote past the output";
  out.pop_back();
}

/// One call over everything on a fresh stream.
Col runAll(const Series &c, const std::vector<Col> &in) {
  Stream s(c);
  Col out;
  feed(c, s, in, 0, static_cast<int64_t>(in.at(0).size()), out);
  return out;
}

/// Column j of a row-major output.
Col column(const Col &out, size_t cols, size_t j) {
  Col r;
  for (size_t i = j; i < out.size(); i += cols)
    r.push_back(out[i]);
  return r;
}

bool same(double a, double b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

void expectSame(const Col &got, const Col &want, const std::string &what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (same(got[i], want[i]))
      continue;
    ADD_FAILURE() << what << " row " << i << ": got " << got[i] << ", want " << want[i];
    if (++bad == 10)
      return;
  }
}

/// Bit-for-bit equality, NaN payloads included (chunkings of one kernel).
void expectIdentical(const Col &got, const Col &want, const std::string &what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(double)) != 0) {
      ADD_FAILURE() << what << " element " << i << ": got " << got[i] << ", want " << want[i];
      return;
    }
}

//===----------------------------------------------------------------------===//
// The per-row reference (docs/series-semantics.md)
//===----------------------------------------------------------------------===//

bool anyNaN(const Col &x, int64_t from, int64_t to) {
  for (int64_t i = from; i <= to; ++i)
    if (std::isnan(x[i]))
      return true;
  return false;
}

Col refSma(const Col &x, int64_t n) {
  Col y(x.size(), NaN);
  for (int64_t t = n - 1; t < static_cast<int64_t>(x.size()); ++t) {
    if (n >= kExact) {
      y[t] = exactWindow(x, t - n + 1, n, 1, 0) / static_cast<double>(n);
      continue;
    }
    double s = 0.0;
    for (int64_t i = t - n + 1; i <= t; ++i)
      s += x[i];
    y[t] = s / static_cast<double>(n);
  }
  return y;
}

Col refWma(const Col &x, int64_t n) {
  Col y(x.size(), NaN);
  double div = static_cast<double>(n * (n + 1) / 2);
  for (int64_t t = n - 1; t < static_cast<int64_t>(x.size()); ++t) {
    if (n >= kExact) {
      y[t] = exactWindow(x, t - n + 1, n, 1, 1) / div;
      continue;
    }
    double s = 0.0;
    for (int64_t i = 1; i <= n; ++i)
      s += static_cast<double>(i) * x[t - n + i];
    y[t] = s / div;
  }
  return y;
}

/// The least-squares line through (i, y_i), i = 0..n-1, at i = n-1, centered:
/// mean(y) + slope * (n-1)/2, slope = sum((i - (n-1)/2) y_i) / (n(n^2-1)/12).
Col refLsma(const Col &x, int64_t n) {
  Col y(x.size(), NaN);
  double mid = static_cast<double>(n - 1) / 2.0;
  double scc = static_cast<double>(n * (n * n - 1)) / 12.0;
  for (int64_t t = n - 1; t < static_cast<int64_t>(x.size()); ++t) {
    if (n >= kExact) {
      // sy/n + (C / (n(n^2-1)/6)) * mid, C = sum (2i - (n-1)) y_i.
      double sy = exactWindow(x, t - n + 1, n, 1, 0);
      double c = exactWindow(x, t - n + 1, n, -(n - 1), 2);
      y[t] = sy / static_cast<double>(n) + (c / (2.0 * scc)) * mid;
      continue;
    }
    double sy = 0.0, sc = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double v = x[t - n + 1 + i];
      sy += v;
      sc += (static_cast<double>(i) - mid) * v;
    }
    y[t] = n == 1 ? sy / static_cast<double>(n) : sy / static_cast<double>(n) + (sc / scc) * mid;
  }
  return y;
}

Col refEma(const Col &x, int64_t n, bool smaSeed) {
  Col y(x.size(), NaN);
  double a = 2.0 / static_cast<double>(n + 1);
  bool seeded = false;
  double e = 0.0, sum = 0.0;
  int64_t count = 0;
  for (size_t t = 0; t < x.size(); ++t) {
    double v = x[t];
    if (std::isnan(v)) {
      if (!seeded) { // before the seed: restart counting
        count = 0;
        sum = 0.0;
      }
      continue; // skipped: NaN out, state kept
    }
    if (seeded) {
      e = a * v + (1.0 - a) * e;
    } else if (!smaSeed) {
      e = v;
      seeded = true;
    } else {
      sum += v;
      if (++count < n)
        continue;
      e = sum / static_cast<double>(n);
      seeded = true;
    }
    y[t] = e;
  }
  return y;
}

Col refKama(const Col &x, int64_t n, int fast, int slow) {
  Col y(x.size(), NaN);
  bool seeded = false;
  double k = 0.0;
  for (int64_t t = n; t < static_cast<int64_t>(x.size()); ++t) {
    if (anyNaN(x, t - n, t))
      continue; // the window holds a NaN: NaN out, state kept
    double vol = 0.0;
    if (n >= kExact) {
      Col d;
      for (int64_t i = t - n + 1; i <= t; ++i)
        d.push_back(std::fabs(x[i] - x[i - 1]));
      vol = exactWindow(d, 0, n, 1, 0);
    } else {
      for (int64_t i = t - n + 1; i <= t; ++i)
        vol += std::fabs(x[i] - x[i - 1]);
    }
    double er = vol == 0.0 ? 0.0 : std::fabs(x[t] - x[t - n]) / vol;
    double sc = er * (2.0 / (fast + 1) - 2.0 / (slow + 1)) + 2.0 / (slow + 1);
    sc = sc * sc;
    double prev = seeded ? k : x[t - 1];
    k = prev + sc * (x[t] - prev);
    seeded = true;
    y[t] = k;
  }
  return y;
}

/// Every indicator of `spec` over full input columns (value ids as in the
/// spec: inputs, then indicators).
std::vector<Col> reference(const jit::SeriesSpec &spec, const std::vector<Col> &inputs) {
  std::vector<Col> v = inputs;
  size_t T = inputs.at(0).size();
  for (const jit::Indicator &ind : spec.indicators) {
    auto src = [&](size_t i) -> const Col & { return v[ind.sources[i]]; };
    int64_t n = ind.period;
    bool sma = ind.seed == jit::EmaSeed::Sma;
    Col y(T, NaN);
    switch (ind.op) {
    case IndicatorOp::Sma:
      y = refSma(src(0), n);
      break;
    case IndicatorOp::Wma:
      y = refWma(src(0), n);
      break;
    case IndicatorOp::Lsma:
      y = refLsma(src(0), n);
      break;
    case IndicatorOp::Ema:
      y = refEma(src(0), n, sma);
      break;
    case IndicatorOp::Dema: {
      Col e1 = refEma(src(0), n, sma), e2 = refEma(e1, n, sma);
      for (size_t t = 0; t < T; ++t)
        y[t] = 2.0 * e1[t] - e2[t];
      break;
    }
    case IndicatorOp::Tema: {
      Col e1 = refEma(src(0), n, sma), e2 = refEma(e1, n, sma), e3 = refEma(e2, n, sma);
      for (size_t t = 0; t < T; ++t)
        y[t] = 3.0 * e1[t] - 3.0 * e2[t] + e3[t];
      break;
    }
    case IndicatorOp::Hma: {
      int64_t half = std::max<int64_t>(1, n / 2);
      int64_t root = static_cast<int64_t>(std::floor(std::sqrt(double(n))));
      Col w1 = refWma(src(0), half), w2 = refWma(src(0), n), h(T);
      for (size_t t = 0; t < T; ++t)
        h[t] = 2.0 * w1[t] - w2[t];
      y = refWma(h, root);
      break;
    }
    case IndicatorOp::Kama:
      y = refKama(src(0), n, ind.fast, ind.slow);
      break;
    case IndicatorOp::WeightedSum:
      for (size_t t = 0; t < T; ++t) {
        double s = ind.weights[0] * src(0)[t];
        for (size_t i = 1; i < ind.sources.size(); ++i)
          s += ind.weights[i] * src(i)[t];
        y[t] = ind.bias + s;
      }
      break;
    case IndicatorOp::Crossover:
      for (size_t t = 1; t < T; ++t) {
        double f = src(0)[t], s = src(1)[t], pf = src(0)[t - 1], ps = src(1)[t - 1];
        if (std::isnan(f) || std::isnan(s) || std::isnan(pf) || std::isnan(ps))
          continue;
        y[t] = f > s && pf <= ps ? 1.0 : (f < s && pf >= ps ? -1.0 : 0.0);
      }
      break;
    case IndicatorOp::Trend:
      for (size_t t = 0; t < T; ++t) {
        double p = src(0)[t];
        double mix = ind.weights[0] * src(1)[t];
        for (size_t i = 2; i < ind.sources.size(); ++i)
          mix += ind.weights[i - 1] * src(i)[t];
        if (std::isnan(p) || std::isnan(mix))
          continue;
        y[t] = p > mix * (1.0 + ind.upper) ? 1.0 : (p < mix * (1.0 - ind.lower) ? -1.0 : 0.0);
      }
      break;
    }
    v.push_back(std::move(y));
  }
  return v;
}

/// The reference output matrix (row-major, output column order).
Col referenceOut(const Series &c, const std::vector<Col> &in) {
  const jit::SeriesSpec &spec = c.spec();
  std::vector<Col> v = reference(spec, in);
  Col out;
  for (size_t t = 0; t < in[0].size(); ++t)
    for (int o : spec.outputs)
      out.push_back(v[in.size() + o][t]);
  return out;
}

/// A random walk around 100 (finite), seeded.
Col prices(size_t n, unsigned seed, double start = 100.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 1.0);
  Col x(n);
  double p = start;
  for (size_t i = 0; i < n; ++i) {
    p += step(rng);
    x[i] = p;
  }
  return x;
}

/// `x` with NaN at about `fraction` of the rows, plus a run of NaNs.
Col withNaNs(Col x, double fraction, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (double &v : x)
    if (u(rng) < fraction)
      v = NaN;
  for (size_t i = x.size() / 3; i < x.size() / 3 + 40 && i < x.size(); ++i)
    x[i] = NaN;
  return x;
}

/// One indicator over `close`, output f64.
std::string single(const std::string &indicator) { return doc(kClose, "[" + indicator + "]"); }

/// Every moving average and composite, both seeds, several periods; MAs of
/// indicators too.
std::string everything(const std::string &input = kClose,
                       const std::string &output = R"({"type": "f64"})") {
  return doc(input, R"([
    {"name": "sma1", "op": "sma", "input": "close", "period": 1},
    {"name": "sma5", "op": "sma", "input": "close", "period": 5},
    {"name": "sma28", "op": "sma", "input": "close", "period": 28},
    {"name": "ema1", "op": "ema", "input": "close", "period": 1},
    {"name": "ema12", "op": "ema", "input": "close", "period": 12},
    {"name": "ema26s", "op": "ema", "input": "close", "period": 26, "seed": "sma"},
    {"name": "ema1s", "op": "ema", "input": "close", "period": 1, "seed": "sma"},
    {"name": "wma1", "op": "wma", "input": "close", "period": 1},
    {"name": "wma9", "op": "wma", "input": "close", "period": 9},
    {"name": "dema7", "op": "dema", "input": "close", "period": 7},
    {"name": "dema7s", "op": "dema", "input": "close", "period": 7, "seed": "sma"},
    {"name": "tema5", "op": "tema", "input": "close", "period": 5},
    {"name": "tema5s", "op": "tema", "input": "close", "period": 5, "seed": "sma"},
    {"name": "hma1", "op": "hma", "input": "close", "period": 1},
    {"name": "hma2", "op": "hma", "input": "close", "period": 2},
    {"name": "hma16", "op": "hma", "input": "close", "period": 16},
    {"name": "hma9", "op": "hma", "input": "close", "period": 9},
    {"name": "hma20", "op": "hma", "input": "close", "period": 20},
    {"name": "lsma1", "op": "lsma", "input": "close", "period": 1},
    {"name": "lsma2", "op": "lsma", "input": "close", "period": 2},
    {"name": "lsma14", "op": "lsma", "input": "close", "period": 14},
    {"name": "kama1", "op": "kama", "input": "close", "period": 1},
    {"name": "kama10", "op": "kama", "input": "close", "period": 10},
    {"name": "kama6", "op": "kama", "input": "close", "period": 6, "fast": 3, "slow": 20},
    {"name": "ema_of_sma", "op": "ema", "input": "sma5", "period": 4, "seed": "sma"},
    {"name": "sma_of_kama", "op": "sma", "input": "kama10", "period": 3},
    {"name": "mix", "op": "weighted_sum", "bias": 0.25,
     "terms": [{"input": "ema12", "weight": 0.5}, {"input": "kama10", "weight": 0.3},
               {"input": "close", "weight": 0.2}]},
    {"name": "cross", "op": "crossover", "fast": "ema12", "slow": "ema26s"},
    {"name": "cross2", "op": "crossover", "fast": "close", "slow": "sma5"},
    {"name": "trend", "op": "trend", "input": "close", "against": ["ema26s", "kama10"],
     "weights": [0.4, 0.6], "upper": 0.002, "lower": 0.003},
    {"name": "trend1", "op": "trend", "input": "close", "against": ["sma28"]}
  ])",
             output);
}

//===----------------------------------------------------------------------===//
// Hand-checked values
//===----------------------------------------------------------------------===//

TEST(SeriesInterpreter, SmaByHand) {
  auto c = compile(single(R"({"name": "s", "op": "sma", "input": "close", "period": 3})"));
  ASSERT_TRUE(c);
  EXPECT_GT(c.interp->stateBytes(), 0u);
  expectSame(runAll(c, {{1, 2, 3, 4, 5, 9}}), {NaN, NaN, 2, 3, 4, 6});
}

TEST(SeriesInterpreter, EmaFirstByHand) {
  // a = 2/(3+1) = 0.5: every value below is exact.
  auto c = compile(single(R"({"name": "e", "op": "ema", "input": "close", "period": 3})"));
  ASSERT_TRUE(c);
  expectSame(runAll(c, {{1, 2, 3, 5}}), {1, 1.5, 2.25, 3.625});
  // NaN: skipped (NaN out, state kept).
  expectSame(runAll(c, {{NaN, 1, NaN, 3}}), {NaN, 1, NaN, 2});
}

TEST(SeriesInterpreter, EmaSmaSeedByHand) {
  auto c = compile(
      single(R"({"name": "e", "op": "ema", "input": "close", "period": 3, "seed": "sma"})"));
  ASSERT_TRUE(c);
  expectSame(runAll(c, {{1, 2, 3, 5, 1}}), {NaN, NaN, 2, 3.5, 2.25});
  // A NaN before the seed completes restarts the count.
  expectSame(runAll(c, {{1, 2, NaN, 4, 6, 8, 10}}), {NaN, NaN, NaN, NaN, NaN, 6, 8});
  // After the seed it is skipped.
  expectSame(runAll(c, {{1, 2, 3, NaN, 5}}), {NaN, NaN, 2, NaN, 3.5});
}

TEST(SeriesInterpreter, SmaSeedIsTheSma) {
  // The seed sums the same values in the same order as the window sum.
  auto c = compile(doc(kClose, R"([
    {"name": "s", "op": "sma", "input": "close", "period": 7},
    {"name": "e", "op": "ema", "input": "close", "period": 7, "seed": "sma"}])"));
  ASSERT_TRUE(c);
  Col x = prices(50, 3);
  x[3] = NaN; // the seed restarts after it and completes at row 4 + 7 - 1
  Col out = runAll(c, {x});
  Col s = column(out, 2, 0), e = column(out, 2, 1);
  for (size_t t = 0; t < 10; ++t)
    EXPECT_TRUE(std::isnan(e[t])) << t;
  EXPECT_EQ(std::memcmp(&s[10], &e[10], sizeof(double)), 0);
  EXPECT_NE(e[11], s[11]);
}

TEST(SeriesInterpreter, WmaByHand) {
  auto c = compile(single(R"({"name": "w", "op": "wma", "input": "close", "period": 3})"));
  ASSERT_TRUE(c);
  // (1*1 + 2*2 + 3*3)/6, (1*2 + 2*3 + 3*7)/6
  expectSame(runAll(c, {{1, 2, 3, 7}}), {NaN, NaN, 14.0 / 6.0, 29.0 / 6.0});
}

TEST(SeriesInterpreter, LsmaByHand) {
  auto c = compile(single(R"({"name": "l", "op": "lsma", "input": "close", "period": 3})"));
  ASSERT_TRUE(c);
  // On a line the fit is exact. Through (0,2), (1,3), (2,1): slope -0.5,
  // mean 2, at i = 2: 1.5. Through (0,3), (1,1), (2,3): flat at 7/3.
  // Through (0,1), (1,3), (2,2): slope 0.5, mean 2, at i = 2: 2.5.
  expectSame(runAll(c, {{1, 2, 3, 1, 3, 2}}), {NaN, NaN, 3, 1.5, 7.0 / 3.0, 2.5});
}

TEST(SeriesInterpreter, DemaTemaByHand) {
  auto c = compile(doc(kClose, R"([
    {"name": "d", "op": "dema", "input": "close", "period": 3},
    {"name": "t", "op": "tema", "input": "close", "period": 3},
    {"name": "ds", "op": "dema", "input": "close", "period": 3, "seed": "sma"}])"));
  ASSERT_TRUE(c);
  // e1 = 1, 1.5, 2.25; e2 = 1, 1.25, 1.75; e3 = 1, 1.125, 1.4375
  Col out = runAll(c, {{1, 2, 3}});
  expectSame(column(out, 3, 0), {1, 1.75, 2.75});
  expectSame(column(out, 3, 1), {1, 1.875, 2.9375});
  // sma seed: e1 starts at row 2, e2 (an ema of e1) at row 4.
  out = runAll(c, {{1, 2, 3, 5, 1, 3}});
  // e1: -, -, 2, 3.5, 2.25, 2.625; e2: -, -, -, -, 2.583333.., 2.6041666..
  double e2 = (2.0 + 3.5 + 2.25) / 3.0;
  double e2b = 0.5 * 2.625 + 0.5 * e2;
  expectSame(column(out, 3, 2), {NaN, NaN, NaN, NaN, 2.0 * 2.25 - e2, 2.0 * 2.625 - e2b});
}

TEST(SeriesInterpreter, HmaByHand) {
  // n = 4: wma(2*wma(x,2) - wma(x,4), 2); lookback 3 + 1 = 4.
  auto c = compile(single(R"({"name": "h", "op": "hma", "input": "close", "period": 4})"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c.spec().indicators[0].lookback, 4);
  Col x = {1, 2, 3, 4, 5, 6};
  // On a line wma lags by (n-1)/3: wma2 = x - 1/3, wma4 = x - 1; the raw
  // series 2*wma2 - wma4 = x + 1/3; wma of it over 2 = x + 1/3 - 1/3.
  auto w = [](std::vector<double> v) {
    double s = 0.0, div = 0.0;
    for (size_t i = 0; i < v.size(); ++i) {
      s += static_cast<double>(i + 1) * v[i];
      div += static_cast<double>(i + 1);
    }
    return s / div;
  };
  double h3 = 2.0 * w({3, 4}) - w({1, 2, 3, 4});
  double h4 = 2.0 * w({4, 5}) - w({2, 3, 4, 5});
  double h5 = 2.0 * w({5, 6}) - w({3, 4, 5, 6});
  expectSame(runAll(c, {x}), {NaN, NaN, NaN, NaN, w({h3, h4}), w({h4, h5})});
  EXPECT_NEAR(w({h3, h4}), 5.0, 1e-12);
}

TEST(SeriesInterpreter, KamaByHand) {
  auto c = compile(single(
      R"({"name": "k", "op": "kama", "input": "close", "period": 2, "fast": 1, "slow": 3})"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c.spec().indicators[0].lookback, 2);
  // fast 1: 2/2 = 1; slow 3: 2/4 = 0.5; sc = (er*0.5 + 0.5)^2.
  // Row 2: window 1,2,3: er = |3-1|/(1+1) = 1, sc = 1, k = x[1] + 1*(3-2)
  // = 3. Row 3: window 2,3,2: er = 0, sc = 0.25, k = 3 + 0.25*(2-3) = 2.75.
  // Row 4: window 3,2,2: er = 1/1, sc = 1, k = 2. Row 5: flat: er = 0
  // (zero volatility), k = 2 + 0.25*0.
  expectSame(runAll(c, {{1, 2, 3, 2, 2, 2}}), {NaN, NaN, 3, 2.75, 2, 2});
  // A NaN: NaN for the rows whose window holds it, state kept; row 7:
  // window 2,2,2: k = 2.75 + 0.25*(2-2.75).
  expectSame(runAll(c, {{1, 2, 3, 2, NaN, 2, 2, 2}}), {NaN, NaN, 3, 2.75, NaN, NaN, NaN, 2.5625});
  // Before the seed a NaN restarts the count: 3 clean rows are needed.
  expectSame(runAll(c, {{1, NaN, 1, 2, 3}}), {NaN, NaN, NaN, NaN, 3.0});
}

TEST(SeriesInterpreter, CompositesByHand) {
  auto c = compile(doc(R"([{"name": "f", "type": "f64"}, {"name": "s", "type": "f64"}])",
                       R"([
    {"name": "x", "op": "crossover", "fast": "f", "slow": "s"},
    {"name": "w", "op": "weighted_sum", "bias": 1,
     "terms": [{"input": "f", "weight": 0.5}, {"input": "s", "weight": 0.25}]},
    {"name": "tr", "op": "trend", "input": "f", "against": ["s"], "upper": 0.25, "lower": 0.5}])"));
  ASSERT_TRUE(c);
  Col f = {1, 2, 3, 2, 1, NaN, 1, 3};
  Col s = {2, 2, 2, 2, 2, 2, 2, 2};
  Col out = runAll(c, {f, s});
  expectSame(column(out, 3, 0), {NaN, 0, 1, 0, -1, NaN, NaN, 1});
  expectSame(column(out, 3, 1), {2, 2.5, 3, 2.5, 2, NaN, 2, 3});
  // bands: up when f > 2.5, down when f < 1
  expectSame(column(out, 3, 2), {0, 0, 1, 0, 0, NaN, 0, 1});
  out = runAll(c, {{0.5, 2.5, 2.51}, {2, 2, 2}});
  expectSame(column(out, 3, 2), {-1, 0, 1});
}

TEST(SeriesInterpreter, PeriodOneIsTheInput) {
  auto c = compile(doc(kClose, R"([
    {"name": "a", "op": "sma", "input": "close", "period": 1},
    {"name": "b", "op": "wma", "input": "close", "period": 1},
    {"name": "c", "op": "lsma", "input": "close", "period": 1},
    {"name": "d", "op": "ema", "input": "close", "period": 1},
    {"name": "e", "op": "hma", "input": "close", "period": 1}])"));
  ASSERT_TRUE(c);
  Col x = {3.5, -1.25, 7, NaN, 2};
  Col out = runAll(c, {x});
  for (size_t j = 0; j < 5; ++j)
    expectSame(column(out, 5, j), x, "column " + std::to_string(j));
}

//===----------------------------------------------------------------------===//
// Against the per-row reference
//===----------------------------------------------------------------------===//

TEST(SeriesInterpreter, EverythingAgainstReference) {
  auto c = compile(everything());
  ASSERT_TRUE(c);
  for (size_t T : {size_t(1), size_t(3), size_t(30), size_t(kB - 1), size_t(kB), size_t(kB + 1),
                   size_t(3 * kB + 17)}) {
    Col x = prices(T, 1 + static_cast<unsigned>(T));
    Col got = runAll(c, {x}), want = referenceOut(c, {x});
    for (size_t j = 0; j < c.cols; ++j)
      expectSame(column(got, c.cols, j), column(want, c.cols, j),
                 c.spec().outputNames[j] + " T=" + std::to_string(T));
  }
}

TEST(SeriesInterpreter, NaNInputsAgainstReference) {
  auto c = compile(everything());
  ASSERT_TRUE(c);
  for (double frac : {0.01, 0.1, 0.5}) {
    Col x = withNaNs(prices(3000, 7), frac, 11);
    Col got = runAll(c, {x}), want = referenceOut(c, {x});
    for (size_t j = 0; j < c.cols; ++j)
      expectSame(column(got, c.cols, j), column(want, c.cols, j), c.spec().outputNames[j]);
  }
  // All NaN.
  Col x(100, NaN);
  Col got = runAll(c, {x});
  for (double v : got)
    EXPECT_TRUE(std::isnan(v));
}

TEST(SeriesInterpreter, NaNBlocksOnlyItsWindow) {
  auto c = compile(doc(kClose, R"([
    {"name": "s", "op": "sma", "input": "close", "period": 4},
    {"name": "w", "op": "wma", "input": "close", "period": 4},
    {"name": "l", "op": "lsma", "input": "close", "period": 4},
    {"name": "e", "op": "ema", "input": "close", "period": 4},
    {"name": "k", "op": "kama", "input": "close", "period": 4}])"));
  ASSERT_TRUE(c);
  Col x = prices(40, 3);
  x[20] = NaN;
  Col out = runAll(c, {x});
  for (size_t j = 0; j < 5; ++j) {
    Col y = column(out, 5, j);
    // sma/wma/lsma: rows 20..23; ema: row 20; kama: rows 20..24.
    size_t last = j < 3 ? 23 : j == 3 ? 20 : 24;
    for (size_t t = 15; t < 40; ++t)
      EXPECT_EQ(std::isnan(y[t]), t >= 20 && t <= last) << c.spec().outputNames[j] << " row " << t;
  }
}

TEST(SeriesInterpreter, Lookbacks) {
  auto c = compile(everything());
  ASSERT_TRUE(c);
  Col x = prices(400, 5);
  Col out = runAll(c, {x});
  const jit::SeriesSpec &spec = c.spec();
  ASSERT_EQ(spec.outputs.size(), spec.indicators.size());
  for (size_t j = 0; j < spec.outputs.size(); ++j) {
    const jit::Indicator &ind = spec.indicators[spec.outputs[j]];
    Col y = column(out, c.cols, j);
    for (size_t t = 0; t < y.size(); ++t)
      EXPECT_EQ(std::isnan(y[t]), static_cast<int64_t>(t) < ind.lookback)
          << ind.name << " (lookback " << ind.lookback << ") row " << t;
  }
  // The page's lookbacks.
  auto lb = [&](const char *name) {
    for (const jit::Indicator &ind : spec.indicators)
      if (ind.name == name)
        return ind.lookback;
    return int64_t(-1);
  };
  EXPECT_EQ(lb("sma28"), 27);
  EXPECT_EQ(lb("ema12"), 0);
  EXPECT_EQ(lb("ema26s"), 25);
  EXPECT_EQ(lb("dema7s"), 12);
  EXPECT_EQ(lb("tema5s"), 12);
  EXPECT_EQ(lb("hma16"), 15 + 3);
  EXPECT_EQ(lb("hma20"), 19 + 3);
  EXPECT_EQ(lb("hma9"), 8 + 2);
  EXPECT_EQ(lb("kama10"), 10);
  EXPECT_EQ(lb("ema_of_sma"), 4 + 3);
  EXPECT_EQ(lb("cross"), 26);
  EXPECT_EQ(lb("trend"), 25);
}

TEST(SeriesInterpreter, LongPeriods) {
  auto c = compile(doc(kClose, R"([
    {"name": "s", "op": "sma", "input": "close", "period": 1500},
    {"name": "w", "op": "wma", "input": "close", "period": 700},
    {"name": "l", "op": "lsma", "input": "close", "period": 999},
    {"name": "h", "op": "hma", "input": "close", "period": 1000},
    {"name": "k", "op": "kama", "input": "close", "period": 1200},
    {"name": "e", "op": "tema", "input": "close", "period": 600, "seed": "sma"}])"));
  ASSERT_TRUE(c);
  Col x = prices(4000, 9);
  Col got = runAll(c, {x}), want = referenceOut(c, {x});
  for (size_t j = 0; j < c.cols; ++j)
    expectSame(column(got, c.cols, j), column(want, c.cols, j), c.spec().outputNames[j]);
  // Streamed in small chunks (shorter than the windows).
  Stream s(c);
  Col chunked;
  for (int64_t b = 0; b < 4000; b += 333)
    feed(c, s, {x}, b, std::min<int64_t>(333, 4000 - b), chunked);
  expectIdentical(chunked, got);
}

TEST(SeriesInterpreter, LsmaNearTheLeastSquaresFit) {
  // The centered formula against the normal equations in long double.
  auto c = compile(single(R"({"name": "l", "op": "lsma", "input": "close", "period": 50})"));
  ASSERT_TRUE(c);
  Col x = prices(300, 13, 1000.0);
  Col y = runAll(c, {x});
  for (size_t t = 49; t < x.size(); ++t) {
    long double n = 50, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < 50; ++i) {
      long double v = x[t - 49 + i];
      sx += i;
      sy += v;
      sxx += (long double)i * i;
      sxy += i * v;
    }
    long double m = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    long double b = (sy - m * sx) / n;
    long double want = b + m * 49;
    EXPECT_NEAR(y[t], (double)want, 1e-9 * std::fabs((double)want)) << t;
  }
}

//===----------------------------------------------------------------------===//
// Types and layout
//===----------------------------------------------------------------------===//

TEST(SeriesInterpreter, F32InputsAndOutput) {
  auto c32 = compile(everything(R"([{"name": "close", "type": "f32"}])", R"({"type": "f32"})"));
  auto c64 = compile(everything());
  ASSERT_TRUE(c32);
  ASSERT_TRUE(c64);
  Col x = withNaNs(prices(2000, 17), 0.02, 3);
  std::vector<float> xf(x.size());
  Col widened(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    xf[i] = static_cast<float>(x[i]);
    widened[i] = xf[i];
  }
  Col want = runAll(c64, {widened});
  std::vector<unsigned char> state(c32.interp->stateBytes(), 0);
  const void *args[] = {xf.data(), state.data()};
  std::vector<float> got(want.size());
  ASSERT_EQ(c32.interp->run(args, got.data(), static_cast<int64_t>(x.size())), 0);
  for (size_t i = 0; i < got.size(); ++i) {
    float w = static_cast<float>(want[i]);
    EXPECT_TRUE((std::isnan(got[i]) && std::isnan(w)) || std::memcmp(&got[i], &w, sizeof w) == 0)
        << i << ": " << got[i] << " vs " << w;
  }
}

TEST(SeriesInterpreter, MixedInputTypesAndOutputSubset) {
  auto c = compile(doc(
      R"([{"name": "hi", "type": "f32"}, {"name": "lo", "type": "f64"},
          {"name": "unused", "type": "f32"}])",
      R"([
    {"name": "a", "op": "sma", "input": "hi", "period": 3},
    {"name": "b", "op": "ema", "input": "lo", "period": 5},
    {"name": "dead", "op": "kama", "input": "lo", "period": 4},
    {"name": "c", "op": "weighted_sum", "terms": [{"input": "a", "weight": 0.5},
                                                 {"input": "b", "weight": 0.5}]}])",
      R"({"type": "f64", "columns": ["c", "a"]})"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c.cols, 2u);
  Col hi = prices(100, 1), lo = prices(100, 2);
  std::vector<float> hif(100);
  for (size_t i = 0; i < 100; ++i) {
    hif[i] = static_cast<float>(hi[i]);
    hi[i] = hif[i];
  }
  std::vector<unsigned char> state(c.interp->stateBytes(), 0);
  const void *args[] = {hif.data(), lo.data(), nullptr, state.data()};
  Col got(200);
  ASSERT_EQ(c.interp->run(args, got.data(), 100), 0);
  Col unused(100, 0.0);
  Col want = referenceOut(c, {hi, lo, unused});
  expectSame(got, want);
}

TEST(SeriesInterpreter, OutputInDeclaredOrder) {
  auto c = compile(doc(kClose, R"([
    {"name": "a", "op": "sma", "input": "close", "period": 2},
    {"name": "b", "op": "ema", "input": "close", "period": 3}])",
                       R"({"type": "f64", "columns": ["b", "a"]})"));
  ASSERT_TRUE(c);
  Col x = {1, 2, 3};
  Col out = runAll(c, {x});
  expectSame(out, {1, NaN, 1.5, 1.5, 2.25, 2.5});
}

//===----------------------------------------------------------------------===//
// Streaming
//===----------------------------------------------------------------------===//

TEST(SeriesInterpreter, RandomChunkingsAreBitIdentical) {
  auto c = compile(everything());
  ASSERT_TRUE(c);
  const size_t T = 2500;
  Col x = withNaNs(prices(T, 23), 0.03, 29);
  Col whole = runAll(c, {x});
  std::mt19937 rng(99);
  for (int trial = 0; trial < 12; ++trial) {
    Stream s(c);
    Col got;
    int64_t at = 0;
    // Mostly tiny chunks (0, 1, 2 rows), sometimes more than a block.
    while (at < static_cast<int64_t>(T)) {
      int64_t pick = rng() % 10;
      int64_t len = pick < 2   ? 0
                    : pick < 5 ? 1
                    : pick < 7 ? 2 + rng() % 7
                    : pick < 9 ? rng() % 300
                               : rng() % (2 * kB + 3);
      if (trial == 0)
        len = 1; // row by row
      len = std::min<int64_t>(len, static_cast<int64_t>(T) - at);
      feed(c, s, {x}, at, len, got);
      at += len;
    }
    expectIdentical(got, whole, "trial " + std::to_string(trial));
  }
}

TEST(SeriesInterpreter, ZeroRowsTouchNothing) {
  auto c = compile(everything());
  ASSERT_TRUE(c);
  Col x = prices(10, 1);
  Stream s(c);
  Col out;
  feed(c, s, {x}, 0, 10, out);
  std::vector<unsigned char> before = s.state;
  double sentinel = -5.0;
  const void *args[] = {x.data(), s.state.data()};
  EXPECT_EQ(c.interp->run(args, &sentinel, 0), 0);
  EXPECT_EQ(sentinel, -5.0);
  EXPECT_EQ(s.state, before);
  // Fresh state with zero rows, then data: as a fresh stream.
  Stream f(c);
  const void *fresh[] = {x.data(), f.state.data()};
  EXPECT_EQ(c.interp->run(fresh, &sentinel, 0), 0);
  EXPECT_EQ(f.state, std::vector<unsigned char>(f.state.size(), 0));
  Col got;
  feed(c, f, {x}, 0, 10, got);
  expectIdentical(got, out);
}

TEST(SeriesInterpreter, StreamsAreIndependent) {
  auto c = compile(everything());
  ASSERT_TRUE(c);
  Col x = prices(1500, 31), y = withNaNs(prices(1500, 37, 50.0), 0.05, 41);
  Col wantX = runAll(c, {x}), wantY = runAll(c, {y});
  Stream sx(c), sy(c);
  Col gotX, gotY;
  std::mt19937 rng(5);
  int64_t ax = 0, ay = 0;
  while (ax < 1500 || ay < 1500) {
    int64_t lx = std::min<int64_t>(rng() % 200, 1500 - ax);
    int64_t ly = std::min<int64_t>(rng() % 700, 1500 - ay);
    feed(c, sx, {x}, ax, lx, gotX);
    feed(c, sy, {y}, ay, ly, gotY);
    ax += lx;
    ay += ly;
  }
  expectIdentical(gotX, wantX, "x");
  expectIdentical(gotY, wantY, "y");
}

TEST(SeriesInterpreter, ConcurrentStreams) {
  auto c = compile(everything());
  ASSERT_TRUE(c);
  constexpr int kThreads = 4;
  std::vector<Col> in(kThreads), want(kThreads), got(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    in[t] = prices(3000, 100 + t);
    want[t] = runAll(c, {in[t]});
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Stream s(c);
      for (int64_t b = 0; b < 3000; b += 100 + 37 * t)
        feed(c, s, {in[t]}, b, std::min<int64_t>(100 + 37 * t, 3000 - b), got[t]);
    });
  for (auto &th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t)
    expectIdentical(got[t], want[t], "thread " + std::to_string(t));
}

TEST(SeriesInterpreter, OutlivesDescriptor) {
  std::unique_ptr<Interpreter> ip;
  size_t bytes = 0;
  {
    auto c = compile(single(R"({"name": "s", "op": "sma", "input": "close", "period": 2})"));
    ASSERT_TRUE(c);
    ip = std::move(c.interp);
    bytes = ip->stateBytes();
  }
  std::vector<unsigned char> state(bytes, 0);
  Col x = {1, 3, 5}, out(3);
  const void *args[] = {x.data(), state.data()};
  ASSERT_EQ(ip->run(args, out.data(), 3), 0);
  expectSame(out, {NaN, 2, 4});
  EXPECT_EQ(ip->describeFailure(args, 1), "row 1: no data check fails");
}

} // namespace
