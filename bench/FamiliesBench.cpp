//===- FamiliesBench.cpp - Rules and indicators, side by side -------------===//
//
// (a) rules: examples/needs_rules.json (8 meters, 11 rules, 10 steps, f32
//     state, every meter clamped to [0, 1]) on 100k agents. Every run
//     starts from a fresh copy of the same initial state (the copy is not
//     timed).
//       Jit          jit::compile (specialize = true), run in place
//       Interpreter  specialization off
//       HandWritten  the same cascade written by hand with the constants: a
//                    loop per agent, meters in f64 locals, branch-free
//                    selects, one rounding to f32 at the end
// (b) indicators on 1M prices (f64 in, f64 out): sma(28), ema(28, seed
//     first), wma(28), dema(28), tema(28), hma(28), lsma(28), kama(10, 2, 30)
//     and the composite strategy of examples/strategy.json (18 indicators,
//     12 output columns), each as Jit / Interpreter / HandWritten. The
//     hand-written code implements docs/series-semantics.md exactly: window
//     sums recomputed oldest to newest at every row (blocked across rows so
//     the compiler can vectorize without reassociating), NaN skipped by the
//     recursive indicators, seeds restarted by NaN.
//
// Every hand-written variant is checked once against the interpreter before
// it is timed (rules: bit for bit; indicators: within 1e-9 relative, signals
// exactly); a mismatch skips the benchmark with an error.
//
// Counters: ns_per_row (per agent for rules, per price for indicators).
// Built with the project's flags (-O3 -march=native -ffp-contract=off): the
// bit-for-bit check of the hand-written rules relies on no FMA contraction,
// as the semantics do.
//
//===----------------------------------------------------------------------===//

#include "specjit/specjit.h"

#include "benchmark/benchmark.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace specjit::jit;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void setRate(benchmark::State &state, int64_t rows) {
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["ns_per_row"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(rows),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

/// Compiles `d`; on failure (or a JIT that fell back) skips the benchmark
/// and returns nullopt.
std::optional<Kernel> kernelFor(benchmark::State &state, const Descriptor &d, bool specialize) {
  CompileOptions o;
  o.specialize = specialize;
  auto k = compile(d, o);
  if (!k) {
    state.SkipWithError(llvm::toString(k.takeError()).c_str());
    return std::nullopt;
  }
  if (specialize && k->backend() != Backend::Jit) {
    state.SkipWithError(("fell back: " + k->fallbackReason()).c_str());
    return std::nullopt;
  }
  return std::move(*k);
}

//===----------------------------------------------------------------------===//
// (a) Rules
//===----------------------------------------------------------------------===//

constexpr int64_t kAgents = 100000;
constexpr int kMeters = 8;
constexpr int kSteps = 10;

/// examples/needs_rules.json.
const char *kNeeds = R"json({
  "specjit": 1, "kind": "rules", "name": "agent_needs",
  "meters": ["energy", "mood", "hunger", "thirst", "social", "hygiene", "fun", "comfort"],
  "type": "f32",
  "rules": [
    {"if": "mood < 0.2", "sub": {"energy": "0.01 * (0.2 - mood)"}},
    {"if": "hunger > 0.8", "sub": {"mood": "0.02 * (hunger - 0.8)", "energy": "0.005"}},
    {"if": "thirst > 0.7", "sub": {"mood": "0.03 * (thirst - 0.7)"}},
    {"if": "social < 0.3", "sub": {"mood": "0.015 * (0.3 - social)"}},
    {"if": "hygiene < 0.25", "sub": {"comfort": "0.02 * (0.25 - hygiene)", "social": "0.01"}},
    {"if": "fun < 0.15", "sub": {"mood": "0.01 * (0.15 - fun)"}},
    {"add": {"hunger": "0.004", "thirst": "0.006"}, "sub": {"hygiene": "0.003", "fun": "0.002"}},
    {"if": "energy < 0.1 or comfort < 0.1", "set": {"fun": "fun * 0.5", "mood": "min(mood, 0.3)"}},
    {"if": "hunger > 0.9 and thirst > 0.9", "set": {"energy": "max(energy - 0.05, 0)"},
     "add": {"comfort": "-0.02"}},
    {"if": "mood < 0.1", "mul": {"social": "0.98"}},
    {"if": "energy > 0.6 and mood > 0.5", "add": {"fun": "0.01 * energy"}, "mul": {"comfort": "1.01"}}
  ],
  "clamp": {
    "energy": [0, 1], "mood": [0, 1], "hunger": [0, 1], "thirst": [0, 1],
    "social": [0, 1], "hygiene": [0, 1], "fun": [0, 1], "comfort": [0, 1]
  },
  "steps": 10
})json";

struct RulesData {
  Descriptor desc;
  std::vector<float> initial, work;

  RulesData() : desc(*Descriptor::parse(kNeeds)) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    initial.resize(static_cast<size_t>(kAgents * kMeters));
    for (float &v : initial)
      v = u(rng);
    work = initial;
  }
  void reset() { std::memcpy(work.data(), initial.data(), initial.size() * 4); }
  Output state() { return Output::f32(work.data(), kAgents, kMeters); }
};

RulesData &rulesData() {
  static RulesData d;
  return d;
}

inline double clamp01(double x) { return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x); }

/// The needs cascade by hand. Meter order: energy, mood, hunger, thirst,
/// social, hygiene, fun, comfort. Each rule computes its new values from the
/// meters before the rule, clamps them and selects them when it fires.
__attribute__((noinline)) void needsByHand(float *__restrict state, int64_t agents) {
  for (int64_t r = 0; r < agents; ++r) {
    float *row = state + r * kMeters;
    double energy = row[0], mood = row[1], hunger = row[2], thirst = row[3], social = row[4],
           hygiene = row[5], fun = row[6], comfort = row[7];
    for (int step = 0; step < kSteps; ++step) {
      { // if mood < 0.2: energy -= 0.01 * (0.2 - mood)
        bool c = mood < 0.2;
        double e = clamp01(energy - 0.01 * (0.2 - mood));
        energy = c ? e : energy;
      }
      { // if hunger > 0.8: mood -= 0.02 * (hunger - 0.8); energy -= 0.005
        bool c = hunger > 0.8;
        double e = clamp01(energy - 0.005);
        double m = clamp01(mood - 0.02 * (hunger - 0.8));
        energy = c ? e : energy;
        mood = c ? m : mood;
      }
      { // if thirst > 0.7: mood -= 0.03 * (thirst - 0.7)
        bool c = thirst > 0.7;
        double m = clamp01(mood - 0.03 * (thirst - 0.7));
        mood = c ? m : mood;
      }
      { // if social < 0.3: mood -= 0.015 * (0.3 - social)
        bool c = social < 0.3;
        double m = clamp01(mood - 0.015 * (0.3 - social));
        mood = c ? m : mood;
      }
      { // if hygiene < 0.25: comfort -= 0.02 * (0.25 - hygiene); social -= 0.01
        bool c = hygiene < 0.25;
        double s = clamp01(social - 0.01);
        double k = clamp01(comfort - 0.02 * (0.25 - hygiene));
        social = c ? s : social;
        comfort = c ? k : comfort;
      }
      { // if fun < 0.15: mood -= 0.01 * (0.15 - fun)
        bool c = fun < 0.15;
        double m = clamp01(mood - 0.01 * (0.15 - fun));
        mood = c ? m : mood;
      }
      // always: hunger += 0.004; thirst += 0.006; hygiene -= 0.003; fun -= 0.002
      hunger = clamp01(hunger + 0.004);
      thirst = clamp01(thirst + 0.006);
      hygiene = clamp01(hygiene - 0.003);
      fun = clamp01(fun - 0.002);
      { // if energy < 0.1 or comfort < 0.1: fun = fun * 0.5; mood = min(mood, 0.3)
        bool c = energy < 0.1 || comfort < 0.1;
        double m = clamp01(mood < 0.3 ? mood : 0.3);
        double f = clamp01(fun * 0.5);
        mood = c ? m : mood;
        fun = c ? f : fun;
      }
      { // if hunger > 0.9 and thirst > 0.9: energy = max(energy - 0.05, 0);
        //                                   comfort += -0.02
        bool c = hunger > 0.9 && thirst > 0.9;
        double d = energy - 0.05;
        double e = clamp01(d > 0.0 ? d : 0.0);
        double k = clamp01(comfort + -0.02);
        energy = c ? e : energy;
        comfort = c ? k : comfort;
      }
      { // if mood < 0.1: social *= 0.98
        bool c = mood < 0.1;
        double s = clamp01(social * 0.98);
        social = c ? s : social;
      }
      { // if energy > 0.6 and mood > 0.5: fun += 0.01 * energy; comfort *= 1.01
        bool c = energy > 0.6 && mood > 0.5;
        double f = clamp01(fun + 0.01 * energy);
        double k = clamp01(comfort * 1.01);
        fun = c ? f : fun;
        comfort = c ? k : comfort;
      }
    }
    row[0] = static_cast<float>(energy);
    row[1] = static_cast<float>(mood);
    row[2] = static_cast<float>(hunger);
    row[3] = static_cast<float>(thirst);
    row[4] = static_cast<float>(social);
    row[5] = static_cast<float>(hygiene);
    row[6] = static_cast<float>(fun);
    row[7] = static_cast<float>(comfort);
  }
}

void runRulesKernel(benchmark::State &state, bool specialize) {
  RulesData &d = rulesData();
  auto k = kernelFor(state, d.desc, specialize);
  if (!k)
    return;
  for (auto _ : state) {
    state.PauseTiming();
    d.reset();
    state.ResumeTiming();
    if (auto err = k->run({}, d.state())) {
      state.SkipWithError(llvm::toString(std::move(err)).c_str());
      return;
    }
    benchmark::ClobberMemory();
  }
  setRate(state, kAgents);
}

void BM_Rules_Jit(benchmark::State &state) { runRulesKernel(state, true); }
void BM_Rules_Interpreter(benchmark::State &state) { runRulesKernel(state, false); }

/// The hand-written cascade must give the interpreter's bits.
std::string checkRulesByHand() {
  RulesData &d = rulesData();
  CompileOptions o;
  o.specialize = false;
  auto k = compile(d.desc, o);
  if (!k)
    return llvm::toString(k.takeError());
  d.reset();
  if (auto err = k->run({}, d.state()))
    return llvm::toString(std::move(err));
  std::vector<float> want = d.work;
  d.reset();
  needsByHand(d.work.data(), kAgents);
  for (size_t i = 0; i < want.size(); ++i)
    if (std::memcmp(&want[i], &d.work[i], sizeof(float)) != 0)
      return "hand-written rules differ from the interpreter at agent " +
             std::to_string(i / kMeters) + ", meter " + std::to_string(i % kMeters);
  return "";
}

void BM_Rules_HandWritten(benchmark::State &state) {
  static const std::string mismatch = checkRulesByHand();
  if (!mismatch.empty()) {
    state.SkipWithError(mismatch.c_str());
    return;
  }
  RulesData &d = rulesData();
  for (auto _ : state) {
    state.PauseTiming();
    d.reset();
    state.ResumeTiming();
    needsByHand(d.work.data(), kAgents);
    benchmark::ClobberMemory();
  }
  setRate(state, kAgents);
}

//===----------------------------------------------------------------------===//
// (b) Indicators, by hand
//===----------------------------------------------------------------------===//

constexpr int64_t kPrices = 1000000;
/// Outputs per block of the windowed sums: the accumulators of one block
/// stay in L1 and the inner loop runs across outputs (vectorizable with the
/// per-output summation order intact).
constexpr int64_t kBlock = 512;

/// out[t] = sum(x[t-n+1+j], j = 0..n-1) / n, oldest to newest.
void smaByHand(const double *__restrict x, int64_t rows, int n, double *__restrict out) {
  int64_t first = std::min<int64_t>(n - 1, rows);
  std::fill(out, out + first, kNaN);
  double acc[kBlock];
  for (int64_t t0 = n - 1; t0 < rows; t0 += kBlock) {
    int64_t m = std::min(kBlock, rows - t0);
    const double *base = x + t0 - (n - 1);
    for (int64_t b = 0; b < m; ++b)
      acc[b] = 0.0;
    for (int j = 0; j < n; ++j)
      for (int64_t b = 0; b < m; ++b)
        acc[b] += base[j + b];
    for (int64_t b = 0; b < m; ++b)
      out[t0 + b] = acc[b] / n;
  }
}

/// out[t] = sum(i * x[t-n+i], i = 1..n) / (n(n+1)/2), oldest to newest.
void wmaByHand(const double *__restrict x, int64_t rows, int n, double *__restrict out) {
  int64_t first = std::min<int64_t>(n - 1, rows);
  std::fill(out, out + first, kNaN);
  const double den = static_cast<double>(int64_t(n) * (n + 1) / 2);
  double acc[kBlock];
  for (int64_t t0 = n - 1; t0 < rows; t0 += kBlock) {
    int64_t m = std::min(kBlock, rows - t0);
    const double *base = x + t0 - (n - 1);
    for (int64_t b = 0; b < m; ++b)
      acc[b] = 0.0;
    for (int j = 0; j < n; ++j) {
      const double w = j + 1;
      for (int64_t b = 0; b < m; ++b)
        acc[b] += w * base[j + b];
    }
    for (int64_t b = 0; b < m; ++b)
      out[t0 + b] = acc[b] / den;
  }
}

/// TA-Lib LINEARREG: i counts periods back (newest i = 0), summed from the
/// oldest; the line evaluated at the newest point.
void lsmaByHand(const double *__restrict x, int64_t rows, int n, double *__restrict out) {
  int64_t first = std::min<int64_t>(n - 1, rows);
  std::fill(out, out + first, kNaN);
  const double sumX = n * (n - 1) * 0.5;
  const double sumXSq = n * (n - 1) * (2.0 * n - 1) / 6.0;
  const double divisor = sumX * sumX - n * sumXSq;
  double sy[kBlock], sxy[kBlock];
  for (int64_t t0 = n - 1; t0 < rows; t0 += kBlock) {
    int64_t m = std::min(kBlock, rows - t0);
    const double *base = x + t0 - (n - 1);
    for (int64_t b = 0; b < m; ++b)
      sy[b] = sxy[b] = 0.0;
    for (int j = 0; j < n; ++j) {
      const double i = n - 1 - j;
      for (int64_t b = 0; b < m; ++b) {
        double v = base[j + b];
        sy[b] += v;
        sxy[b] += i * v;
      }
    }
    for (int64_t b = 0; b < m; ++b) {
      double slope = (n * sxy[b] - sumX * sy[b]) / divisor;
      double icpt = (sy[b] - slope * sumX) / n;
      out[t0 + b] = icpt + slope * (n - 1);
    }
  }
}

/// One EMA stage: a NaN input gives NaN and leaves the state alone; before
/// the seed it restarts the count (seed sma: the mean of n consecutive
/// inputs, summed oldest to newest).
struct EmaStage {
  double a, b;
  int n;
  bool seedSma;
  bool seeded = false;
  double e = 0.0;
  int count = 0;
  std::vector<double> pending; // the inputs counted towards the sma seed

  EmaStage(int period, bool sma)
      : a(2.0 / (period + 1)), b(1.0 - 2.0 / (period + 1)), n(period), seedSma(sma),
        pending(sma ? period : 0) {}

  double step(double v) {
    if (v != v) {
      count = 0;
      return kNaN;
    }
    if (seeded) {
      e = a * v + b * e;
      return e;
    }
    if (!seedSma) {
      e = v;
      seeded = true;
      return e;
    }
    pending[count++] = v;
    if (count < n)
      return kNaN;
    double s = 0.0;
    for (int i = 0; i < n; ++i)
      s += pending[i];
    e = s / n;
    seeded = true;
    return e;
  }
};

void emaByHand(const double *__restrict x, int64_t rows, int n, bool seedSma,
               double *__restrict out) {
  EmaStage s(n, seedSma);
  for (int64_t t = 0; t < rows; ++t)
    out[t] = s.step(x[t]);
}

void demaByHand(const double *__restrict x, int64_t rows, int n, bool seedSma,
                double *__restrict out) {
  EmaStage s1(n, seedSma), s2(n, seedSma);
  for (int64_t t = 0; t < rows; ++t) {
    double e1 = s1.step(x[t]);
    double e2 = s2.step(e1);
    out[t] = 2.0 * e1 - e2;
  }
}

void temaByHand(const double *__restrict x, int64_t rows, int n, bool seedSma,
                double *__restrict out) {
  EmaStage s1(n, seedSma), s2(n, seedSma), s3(n, seedSma);
  for (int64_t t = 0; t < rows; ++t) {
    double e1 = s1.step(x[t]);
    double e2 = s2.step(e1);
    double e3 = s3.step(e2);
    out[t] = 3.0 * e1 - 3.0 * e2 + e3;
  }
}

int64_t isqrt(int64_t n) {
  int64_t s = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
  while (s * s > n)
    --s;
  while ((s + 1) * (s + 1) <= n)
    ++s;
  return s;
}

/// wma(2*wma(x, n/2) - wma(x, n), floor(sqrt(n))).
void hmaByHand(const double *__restrict x, int64_t rows, int n, double *__restrict out,
               std::vector<double> &scratch) {
  scratch.resize(static_cast<size_t>(2 * rows));
  double *half = scratch.data(), *full = scratch.data() + rows;
  wmaByHand(x, rows, std::max(1, n / 2), half);
  wmaByHand(x, rows, n, full);
  for (int64_t t = 0; t < rows; ++t)
    half[t] = 2.0 * half[t] - full[t];
  wmaByHand(half, rows, static_cast<int>(std::max<int64_t>(1, isqrt(n))), out);
}

/// KAMA: volatility recomputed over each window oldest to newest (blocked);
/// a window holding a NaN gives NaN and leaves the state alone; the first
/// value starts from x[t-1].
void kamaByHand(const double *__restrict x, int64_t rows, int n, int fast, int slow,
                double *__restrict out) {
  const double fastc = 2.0 / (fast + 1), slowc = 2.0 / (slow + 1);
  const double diff = fastc - slowc;
  std::fill(out, out + std::min<int64_t>(n, rows), kNaN);
  bool seeded = false;
  double k = 0.0;
  double vol[kBlock];
  for (int64_t t0 = n; t0 < rows; t0 += kBlock) {
    int64_t m = std::min(kBlock, rows - t0);
    const double *base = x + t0 - n; // x[t-n] for b = 0
    for (int64_t b = 0; b < m; ++b)
      vol[b] = 0.0;
    for (int j = 1; j <= n; ++j)
      for (int64_t b = 0; b < m; ++b)
        vol[b] += std::fabs(base[j + b] - base[j - 1 + b]);
    for (int64_t b = 0; b < m; ++b) {
      int64_t t = t0 + b;
      double change = std::fabs(x[t] - x[t - n]);
      if (std::isnan(vol[b]) || std::isnan(change)) {
        out[t] = kNaN;
        continue;
      }
      double er = vol[b] != 0.0 ? change / vol[b] : 0.0;
      double c = er * diff + slowc;
      double sc = c * c;
      if (!seeded) {
        k = x[t - 1] + sc * (x[t] - x[t - 1]);
        seeded = true;
      } else {
        k = k + sc * (x[t] - k);
      }
      out[t] = k;
    }
  }
}

inline double crossoverAt(const double *f, const double *s, int64_t t) {
  if (t == 0 || std::isnan(f[t]) || std::isnan(s[t]) || std::isnan(f[t - 1]) ||
      std::isnan(s[t - 1]))
    return kNaN;
  if (f[t] > s[t] && f[t - 1] <= s[t - 1])
    return 1.0;
  if (f[t] < s[t] && f[t - 1] >= s[t - 1])
    return -1.0;
  return 0.0;
}

inline double trendAt(double p, double mix, double upper, double lower) {
  if (std::isnan(p) || std::isnan(mix))
    return kNaN;
  if (p > mix * (1.0 + upper))
    return 1.0;
  if (p < mix * (1.0 - lower))
    return -1.0;
  return 0.0;
}

/// examples/strategy.json.
const char *kStrategy = R"json({
  "specjit": 1, "kind": "series", "name": "trend_following_strategy",
  "inputs": [{"name": "close", "type": "f64"}],
  "output": {"type": "f64",
    "columns": ["ema_fast", "ema_slow", "sma_long", "kama10", "macd", "macd_signal",
                "blend", "golden_cross", "macd_cross", "fast_cross", "regime", "short_trend"]},
  "indicators": [
    {"name": "ema_fast", "op": "ema", "input": "close", "period": 12, "seed": "first"},
    {"name": "ema_slow", "op": "ema", "input": "close", "period": 26, "seed": "sma"},
    {"name": "sma_mid", "op": "sma", "input": "close", "period": 50},
    {"name": "sma_long", "op": "sma", "input": "close", "period": 200},
    {"name": "wma20", "op": "wma", "input": "close", "period": 20},
    {"name": "dema21", "op": "dema", "input": "close", "period": 21, "seed": "first"},
    {"name": "tema15", "op": "tema", "input": "close", "period": 15, "seed": "sma"},
    {"name": "hma16", "op": "hma", "input": "close", "period": 16},
    {"name": "lsma25", "op": "lsma", "input": "close", "period": 25},
    {"name": "kama10", "op": "kama", "input": "close", "period": 10, "fast": 2, "slow": 30},
    {"name": "macd", "op": "weighted_sum",
     "terms": [{"input": "ema_fast", "weight": 1.0}, {"input": "ema_slow", "weight": -1.0}]},
    {"name": "macd_signal", "op": "ema", "input": "macd", "period": 9, "seed": "sma"},
    {"name": "blend", "op": "weighted_sum",
     "terms": [{"input": "hma16", "weight": 0.4}, {"input": "kama10", "weight": 0.35},
               {"input": "lsma25", "weight": 0.25}],
     "bias": 0.0},
    {"name": "golden_cross", "op": "crossover", "fast": "sma_mid", "slow": "sma_long"},
    {"name": "macd_cross", "op": "crossover", "fast": "macd", "slow": "macd_signal"},
    {"name": "fast_cross", "op": "crossover", "fast": "dema21", "slow": "tema15"},
    {"name": "regime", "op": "trend", "input": "close", "against": ["sma_mid", "sma_long", "kama10"],
     "weights": [0.5, 0.3, 0.2], "upper": 0.01, "lower": 0.015},
    {"name": "short_trend", "op": "trend", "input": "blend", "against": ["wma20", "hma16"],
     "upper": 0.002, "lower": 0.002}
  ]
})json";
constexpr int kStrategyCols = 12;

/// Scratch columns of the hand-written strategy (allocated once).
struct StrategyScratch {
  std::vector<double> emaFast, emaSlow, smaMid, smaLong, wma20, dema21, tema15, hma16, lsma25,
      kama10, macd, macdSignal, blend, hmaTmp;
  explicit StrategyScratch(int64_t rows) {
    for (auto *v : {&emaFast, &emaSlow, &smaMid, &smaLong, &wma20, &dema21, &tema15, &hma16,
                    &lsma25, &kama10, &macd, &macdSignal, &blend})
      v->resize(static_cast<size_t>(rows));
  }
};

/// The strategy by hand: the moving averages into columns, then one pass for
/// the composites writing the 12 output columns row by row.
void strategyByHand(const double *__restrict x, int64_t rows, double *__restrict out,
                    StrategyScratch &s) {
  emaByHand(x, rows, 12, false, s.emaFast.data());
  emaByHand(x, rows, 26, true, s.emaSlow.data());
  smaByHand(x, rows, 50, s.smaMid.data());
  smaByHand(x, rows, 200, s.smaLong.data());
  wmaByHand(x, rows, 20, s.wma20.data());
  demaByHand(x, rows, 21, false, s.dema21.data());
  temaByHand(x, rows, 15, true, s.tema15.data());
  hmaByHand(x, rows, 16, s.hma16.data(), s.hmaTmp);
  lsmaByHand(x, rows, 25, s.lsma25.data());
  kamaByHand(x, rows, 10, 2, 30, s.kama10.data());
  for (int64_t t = 0; t < rows; ++t) {
    s.macd[t] = (0.0 + 1.0 * s.emaFast[t]) + -1.0 * s.emaSlow[t];
    s.blend[t] = ((0.0 + 0.4 * s.hma16[t]) + 0.35 * s.kama10[t]) + 0.25 * s.lsma25[t];
  }
  emaByHand(s.macd.data(), rows, 9, true, s.macdSignal.data());
  const double half = 1.0 / 2; // trend's default weights: 1/len(against)
  for (int64_t t = 0; t < rows; ++t) {
    double *o = out + t * kStrategyCols;
    o[0] = s.emaFast[t];
    o[1] = s.emaSlow[t];
    o[2] = s.smaLong[t];
    o[3] = s.kama10[t];
    o[4] = s.macd[t];
    o[5] = s.macdSignal[t];
    o[6] = s.blend[t];
    o[7] = crossoverAt(s.smaMid.data(), s.smaLong.data(), t);
    o[8] = crossoverAt(s.macd.data(), s.macdSignal.data(), t);
    o[9] = crossoverAt(s.dema21.data(), s.tema15.data(), t);
    double regimeMix = ((0.0 + 0.5 * s.smaMid[t]) + 0.3 * s.smaLong[t]) + 0.2 * s.kama10[t];
    o[10] = trendAt(x[t], regimeMix, 0.01, 0.015);
    double shortMix = (0.0 + half * s.wma20[t]) + half * s.hma16[t];
    o[11] = trendAt(s.blend[t], shortMix, 0.002, 0.002);
  }
}

//===----------------------------------------------------------------------===//
// (b) Indicators, the benchmarks
//===----------------------------------------------------------------------===//

struct SeriesCase {
  const char *name;
  std::string json;
  int cols;
  /// The hand-written version: writes rows x cols into out.
  void (*byHand)(const double *x, int64_t rows, double *out);
};

std::string single(const std::string &indicator) {
  return R"({"specjit": 1, "kind": "series", "name": "bench",
  "inputs": [{"name": "close", "type": "f64"}], "output": {"type": "f64"},
  "indicators": [)" +
         indicator + "]}";
}

void smaCase(const double *x, int64_t n, double *o) { smaByHand(x, n, 28, o); }
void emaCase(const double *x, int64_t n, double *o) { emaByHand(x, n, 28, false, o); }
void wmaCase(const double *x, int64_t n, double *o) { wmaByHand(x, n, 28, o); }
void demaCase(const double *x, int64_t n, double *o) { demaByHand(x, n, 28, false, o); }
void temaCase(const double *x, int64_t n, double *o) { temaByHand(x, n, 28, false, o); }
void hmaCase(const double *x, int64_t n, double *o) {
  static std::vector<double> scratch;
  hmaByHand(x, n, 28, o, scratch);
}
void lsmaCase(const double *x, int64_t n, double *o) { lsmaByHand(x, n, 28, o); }
void kamaCase(const double *x, int64_t n, double *o) { kamaByHand(x, n, 10, 2, 30, o); }
void strategyCase(const double *x, int64_t n, double *o) {
  static StrategyScratch scratch(kPrices);
  strategyByHand(x, n, o, scratch);
}

const SeriesCase sma28{"sma28",
                       single(R"({"name": "sma28", "op": "sma", "input": "close", "period": 28})"),
                       1, smaCase};
const SeriesCase ema28{
    "ema28",
    single(R"({"name": "ema28", "op": "ema", "input": "close", "period": 28, "seed": "first"})"), 1,
    emaCase};
const SeriesCase wma28{"wma28",
                       single(R"({"name": "wma28", "op": "wma", "input": "close", "period": 28})"),
                       1, wmaCase};
const SeriesCase dema28{
    "dema28",
    single(R"({"name": "dema28", "op": "dema", "input": "close", "period": 28, "seed": "first"})"),
    1, demaCase};
const SeriesCase tema28{
    "tema28",
    single(R"({"name": "tema28", "op": "tema", "input": "close", "period": 28, "seed": "first"})"),
    1, temaCase};
const SeriesCase hma28{"hma28",
                       single(R"({"name": "hma28", "op": "hma", "input": "close", "period": 28})"),
                       1, hmaCase};
const SeriesCase lsma28{
    "lsma28", single(R"({"name": "lsma28", "op": "lsma", "input": "close", "period": 28})"), 1,
    lsmaCase};
const SeriesCase kama10{
    "kama10",
    single(
        R"({"name": "kama10", "op": "kama", "input": "close", "period": 10, "fast": 2, "slow": 30})"),
    1, kamaCase};
const SeriesCase strategy{"strategy", kStrategy, kStrategyCols, strategyCase};

struct Prices {
  std::vector<double> close;
  Prices() {
    std::mt19937_64 rng(42);
    std::normal_distribution<double> step(0.0, 0.01);
    close.resize(kPrices);
    double logp = std::log(100.0);
    for (double &c : close) {
      logp += step(rng);
      c = std::round(std::exp(logp) * 100.0) / 100.0;
    }
  }
};

const Prices &prices() {
  static Prices p;
  return p;
}

/// Parsed descriptors and output buffers per case.
struct SeriesRun {
  std::optional<Descriptor> desc;
  std::vector<double> out;
};

SeriesRun &seriesRun(const SeriesCase &c) {
  static std::map<std::string, std::unique_ptr<SeriesRun>> runs;
  auto &slot = runs[c.name];
  if (!slot) {
    slot = std::make_unique<SeriesRun>();
    auto d = Descriptor::parse(c.json);
    if (d)
      slot->desc.emplace(std::move(*d));
    else
      llvm::consumeError(d.takeError());
    slot->out.assign(static_cast<size_t>(kPrices * c.cols), 0.0);
  }
  return *slot;
}

void runSeriesKernel(benchmark::State &state, const SeriesCase *c, bool specialize) {
  SeriesRun &r = seriesRun(*c);
  if (!r.desc) {
    state.SkipWithError("the descriptor does not parse");
    return;
  }
  auto k = kernelFor(state, *r.desc, specialize);
  if (!k)
    return;
  const Prices &p = prices();
  Column in = Column::f64(p.close.data(), kPrices);
  Output out = Output::f64(r.out.data(), kPrices, c->cols);
  for (auto _ : state) {
    if (auto err = k->run({in}, out)) {
      state.SkipWithError(llvm::toString(std::move(err)).c_str());
      return;
    }
    benchmark::ClobberMemory();
  }
  setRate(state, kPrices);
}

void BM_Series_Jit(benchmark::State &state, const SeriesCase *c) {
  runSeriesKernel(state, c, true);
}
void BM_Series_Interpreter(benchmark::State &state, const SeriesCase *c) {
  runSeriesKernel(state, c, false);
}

/// The hand-written version must match the interpreter: 1e-9 relative on
/// values (the lsma formula and summation details are not fixed by the
/// page), exactly on signals and NaN positions.
std::string checkSeriesByHand(const SeriesCase &c) {
  SeriesRun &r = seriesRun(c);
  if (!r.desc)
    return "the descriptor does not parse";
  CompileOptions o;
  o.specialize = false;
  auto k = compile(*r.desc, o);
  if (!k)
    return llvm::toString(k.takeError());
  const Prices &p = prices();
  std::vector<double> want(static_cast<size_t>(kPrices * c.cols));
  if (auto err =
          k->run({Column::f64(p.close.data(), kPrices)}, Output::f64(want.data(), kPrices, c.cols)))
    return llvm::toString(std::move(err));
  std::vector<double> got(want.size());
  c.byHand(p.close.data(), kPrices, got.data());
  for (size_t i = 0; i < want.size(); ++i) {
    double a = got[i], b = want[i];
    bool ok = (std::isnan(a) && std::isnan(b)) ||
              (!std::isnan(a) && !std::isnan(b) && std::fabs(a - b) <= 1e-9 * std::fabs(b));
    if (!ok)
      return std::string("hand-written ") + c.name + " differs from the interpreter at row " +
             std::to_string(i / c.cols) + ", column " + std::to_string(i % c.cols) + ": " +
             std::to_string(a) + " vs " + std::to_string(b);
  }
  return "";
}

void BM_Series_HandWritten(benchmark::State &state, const SeriesCase *c) {
  static std::map<std::string, std::string> checked;
  auto it = checked.find(c->name);
  if (it == checked.end())
    it = checked.emplace(c->name, checkSeriesByHand(*c)).first;
  if (!it->second.empty()) {
    state.SkipWithError(it->second.c_str());
    return;
  }
  SeriesRun &r = seriesRun(*c);
  const Prices &p = prices();
  for (auto _ : state) {
    c->byHand(p.close.data(), kPrices, r.out.data());
    benchmark::ClobberMemory();
  }
  setRate(state, kPrices);
}

} // namespace

BENCHMARK(BM_Rules_HandWritten)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Rules_Jit)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Rules_Interpreter)->Unit(benchmark::kMillisecond)->MinTime(0.5);

#define SERIES_BENCHMARKS(CASE)                                                                    \
  BENCHMARK_CAPTURE(BM_Series_HandWritten, CASE, &CASE)                                            \
      ->Unit(benchmark::kMillisecond)                                                              \
      ->MinTime(0.5);                                                                              \
  BENCHMARK_CAPTURE(BM_Series_Jit, CASE, &CASE)->Unit(benchmark::kMillisecond)->MinTime(0.5);      \
  BENCHMARK_CAPTURE(BM_Series_Interpreter, CASE, &CASE)->Unit(benchmark::kMillisecond)->MinTime(0.5)

SERIES_BENCHMARKS(sma28);
SERIES_BENCHMARKS(ema28);
SERIES_BENCHMARKS(wma28);
SERIES_BENCHMARKS(dema28);
SERIES_BENCHMARKS(tema28);
SERIES_BENCHMARKS(hma28);
SERIES_BENCHMARKS(lsma28);
SERIES_BENCHMARKS(kama10);
SERIES_BENCHMARKS(strategy);

BENCHMARK_MAIN();
