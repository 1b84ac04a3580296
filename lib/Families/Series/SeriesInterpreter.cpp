//===- SeriesInterpreter.cpp - The generic interpreter of `series` --------===//
//
// docs/series-semantics.md. A call works its rows (time steps) a block at a
// time and, inside a block, column-at-a-time: one tight loop per indicator
// over the block writes that indicator's scratch column, which later
// indicators and the output read. Blocks inside a call and separate calls are
// the same thing to the kernel: everything an indicator needs from earlier
// rows lives in the streaming state, so any chunking gives the same bits.
//
// Window sums (sma, wma, lsma, hma's WMAs, kama's volatility) of periods
// below kExactWindowMinPeriod (128) are recomputed over the whole window at
// every row, adding from oldest to newest starting at 0.0; longer windows
// keep exact rolling sums (Runtime/ExactWindow.h, shared with the compiled
// kernels) and round them once per row. For the short ones, the block's
// source column is appended to the window history (the
// last n-1 values, kept in the state) in a contiguous buffer, and the sums of
// a tile of 16 rows are accumulated together in registers, one window
// position at a time: every row still adds its own values in window order,
// so this is the per-row definition exactly, but the rows' chains overlap.
//
// Per-row f64 operations, in this order (the compiled kernel performs the
// same ones; "sum" starts at 0.0 and adds oldest to newest):
//   sma           (sum x) / n
//   wma           (sum j*x_j, j = 1..n) / D,  D = n(n+1)/2
//   lsma          sy/n + (sc/S)*h,  sy = sum y_i, sc = sum (i - h)*y_i,
//                 i = 0..n-1, h = (n-1)/2, S = n(n^2-1)/12 (exact); n = 1: sy/n
//   ema           seed first: e = x; seed sma: e = (sum of n values)/n;
//                 then e = a*x + b*e, a = 2/(n+1), b = 1 - a
//   dema, tema    2*e1 - e2;  (3*e1 - 3*e2) + e3
//   hma           raw = 2*wma(x, max(1, n/2)) - wma(x, n);
//                 wma(raw, floor(sqrt(n)))
//   kama          vol = sum |x_i - x_{i-1}|; er = vol == 0 ? 0 : |x_t -
//                 x_{t-n}| / vol; sc = er*(f - s) + s with f = 2/(fast+1),
//                 s = 2/(slow+1), (f - s) computed once; sc = sc*sc;
//                 k = p + sc*(x - p), p = k (x_{t-1} at the seed)
//   weighted_sum  bias + ((w0*s0 + w1*s1) + ...)
//   crossover     NaN if any of f, s, f_{t-1}, s_{t-1} is NaN, else
//                 f > s && pf <= ps ? 1 : f < s && pf >= ps ? -1 : 0
//   trend         mix = (w0*a0 + w1*a1) + ...; NaN if p or mix is NaN, else
//                 p > mix*(1+upper) ? 1 : p < mix*(1-lower) ? -1 : 0
// NaN: windows propagate it through the sums. Recursive stages (ema, the
// stages of dema/tema, kama) output NaN and keep their state on a NaN
// observation (kama: on a window x[t-n..t] holding a NaN); before the seed a
// NaN restarts the count.
//
// State layout (all fields 8 bytes, native endianness, no alignment
// assumed), stateBytes() in total:
//
//   [0]  i64 t: rows consumed so far (0: a fresh stream; on the first row
//        every history below is filled with NaN and crossover's previous
//        values are NaN, so lookbacks fall out of the arithmetic)
//   then, per indicator that reaches the output, in indicator order:
//   sma, wma, lsma  f64 hist[n-1]: the last n-1 source values, oldest first
//                   (n >= 128: an exact window's state, ExactWindow.h)
//   ema             one stage {f64 e, f64 seedSum, i64 count}
//   dema, tema      2 or 3 stages (e1, e2, e3)
//   hma             f64 hist[n-1] (source), f64 rawHist[s-1] (2*wma(x, n/2)
//                   - wma(x, n)), s = floor(sqrt(n)); n >= 128: each of the
//                   three WMAs keeps its own window (f64 hist[p-1], or an
//                   exact window's state for p >= 128)
//   kama            f64 k, i64 run, i64 seeded, f64 hist[n] (n >= 128: an
//                   exact window's state after the three words)
//   crossover       f64 prevFast, f64 prevSlow
//   weighted_sum, trend: nothing
//
// An EMA stage is seeded when count reaches `need` (1 for seed "first", n
// for "sma"); count stops there. kama's `run` counts consecutive non-NaN
// observations (saturating at n+1): the window x[t-n..t] holds no NaN iff
// run == n+1.
//
//===----------------------------------------------------------------------===//

#include "Families/Series/SeriesSpec.h"
#include "Interpreter/Interpreter.h"
#include "Runtime/ExactWindow.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace specjit {
namespace interp {

namespace {

using jit::DType;
using jit::IndicatorOp;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Largest period accepted (the parser allows 1..100000). Below it the
/// integer constants (n(n+1)/2, n(n^2-1)) fit in i64; up to 208063,
/// n(n^2-1) < 2^53, so lsma's n(n^2-1)/12 is exact.
constexpr int64_t kMaxPeriod = 1 << 20;

llvm::Error seriesError(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "interpreter: " + msg);
}

//===----------------------------------------------------------------------===//
// State access (no alignment assumed)
//===----------------------------------------------------------------------===//

inline double loadF(const unsigned char *p) {
  double v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline int64_t loadI(const unsigned char *p) {
  int64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void storeF(unsigned char *p, double v) { std::memcpy(p, &v, sizeof v); }
inline void storeI(unsigned char *p, int64_t v) { std::memcpy(p, &v, sizeof v); }
void fillNaN(unsigned char *p, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    storeF(p + 8 * i, kNaN);
}

/// One EMA stage's state.
struct EmaState {
  double e = 0.0, sum = 0.0;
  int64_t count = 0;
};
constexpr int64_t kEmaStateBytes = 24;

EmaState loadEma(const unsigned char *p) { return {loadF(p), loadF(p + 8), loadI(p + 16)}; }
void storeEma(unsigned char *p, const EmaState &s) {
  storeF(p, s.e);
  storeF(p + 8, s.sum);
  storeI(p + 16, s.count);
}

//===----------------------------------------------------------------------===//
// Column kernels
//===----------------------------------------------------------------------===//

/// Two f64 lanes (GCC/Clang vector extension): lane-wise IEEE operations,
/// exactly the scalar ones.
typedef double V2 __attribute__((vector_size(16)));

inline V2 loadV2(const double *p) {
  V2 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Window sums of a tile of 2*K consecutive rows, accumulated in registers:
/// acc[k] = ((0.0 + x[k]) + x[k+1]) + ... + x[k+n-1] (Weighted: the j-th
/// term, j = 1..n, is j * x[k+j-1]). Every row adds its own terms in window
/// order; the rows of the tile are independent chains, so the adds of
/// different rows overlap.
template <int K, bool Weighted> inline void windowTile(const double *x, int64_t n, double *acc) {
  V2 a[K];
  for (int k = 0; k < K; ++k)
    a[k] = V2{0.0, 0.0};
  for (int64_t i = 0; i < n; ++i) {
    const double *e = x + i;
    double wi = static_cast<double>(i + 1);
    V2 w = {wi, wi};
#pragma GCC unroll 16
    for (int k = 0; k < K; ++k) {
      if constexpr (Weighted)
        a[k] = a[k] + w * loadV2(e + 2 * k);
      else
        a[k] = a[k] + loadV2(e + 2 * k);
    }
  }
  std::memcpy(acc, a, sizeof a);
}

/// The scalar form of windowTile for one row.
template <bool Weighted> inline double windowRow(const double *x, int64_t n) {
  double a = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (Weighted)
      a = a + static_cast<double>(i + 1) * x[i];
    else
      a = a + x[i];
  }
  return a;
}

template <bool Weighted> void windowSums(const double *x, int64_t n, int64_t rows, double *acc) {
  constexpr int K = 8; // 16 rows per tile
  int64_t r = 0;
  for (; r + 2 * K <= rows; r += 2 * K)
    windowTile<K, Weighted>(x + r, n, acc + r);
  for (; r < rows; ++r)
    acc[r] = windowRow<Weighted>(x + r, n);
}

/// acc[r] = ((0.0 + x[r]) + x[r+1]) + ... + x[r+n-1], for r in [0, rows).
void windowSum(const double *x, int64_t n, int64_t rows, double *acc) {
  windowSums<false>(x, n, rows, acc);
}

/// acc[r] = ((0.0 + 1*x[r]) + 2*x[r+1]) + ... + n*x[r+n-1].
void windowWeightedSum(const double *x, int64_t n, int64_t rows, double *acc) {
  windowSums<true>(x, n, rows, acc);
}

/// lsma's sums over the windows of x, a tile of 2*K rows at a time (as
/// windowTile): sy[k] = sum of x[k+i], sc[k] = sum of (i - mid) * x[k+i],
/// i = 0..n-1 in order, both from 0.0.
template <int K>
inline void lsmaTile(const double *x, int64_t n, double mid, double *sy, double *sc) {
  V2 a[K], b[K];
  for (int k = 0; k < K; ++k) {
    a[k] = V2{0.0, 0.0};
    b[k] = V2{0.0, 0.0};
  }
  for (int64_t i = 0; i < n; ++i) {
    const double *e = x + i;
    double ci = static_cast<double>(i) - mid;
    V2 c = {ci, ci};
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) {
      V2 v = loadV2(e + 2 * k);
      a[k] = a[k] + v;
      b[k] = b[k] + c * v;
    }
  }
  std::memcpy(sy, a, sizeof a);
  std::memcpy(sc, b, sizeof b);
}

void lsmaSums(const double *x, int64_t n, double mid, int64_t rows, double *sy, double *sc) {
  constexpr int K = 4; // 8 rows per tile
  int64_t r = 0;
  for (; r + 2 * K <= rows; r += 2 * K)
    lsmaTile<K>(x + r, n, mid, sy + r, sc + r);
  for (; r < rows; ++r) {
    double a = 0.0, b = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double v = x[r + i];
      a = a + v;
      b = b + (static_cast<double>(i) - mid) * v;
    }
    sy[r] = a;
    sc[r] = b;
  }
}

/// wma over windows of x: out[r] = windowWeightedSum(x + r, n) / div.
void wmaColumn(const double *x, int64_t n, double div, int64_t rows, double *__restrict out) {
  windowWeightedSum(x, n, rows, out);
  for (int64_t r = 0; r < rows; ++r)
    out[r] = out[r] / div;
}

/// One EMA stage over a column (docs: skip NaN observations, NaN before the
/// seed restarts it).
void emaStage(const double *__restrict x, double *__restrict y, int64_t rows, EmaState &s,
              int64_t need, double nd, double a, double b) {
  int64_t r = 0;
  for (; r < rows && s.count < need; ++r) {
    double v = x[r];
    if (v != v) {
      s.count = 0;
      s.sum = 0.0;
      y[r] = kNaN;
    } else if (need == 1) {
      s.e = v;
      s.count = 1;
      y[r] = v;
    } else {
      s.sum = s.sum + v;
      if (++s.count == need) {
        s.e = s.sum / nd;
        y[r] = s.e;
      } else {
        y[r] = kNaN;
      }
    }
  }
  double e = s.e;
  for (; r < rows; ++r) {
    double v = x[r];
    if (v == v) {
      e = a * v + b * e;
      y[r] = e;
    } else {
      y[r] = kNaN;
    }
  }
  s.e = e;
}

/// A WMA over p values: exact rolling sums from kExactWindowMinPeriod on
/// (its state an exact window's), else recomputed per row over `ext` (its
/// state the last p-1 values).
int64_t wmaStageBytes(int64_t p) {
  return p >= kExactWindowMinPeriod ? exactWindowStateBytes(ExactWindowKind::Weighted, p)
                                    : 8 * (p - 1);
}
void wmaStage(int64_t p, unsigned char *st, const double *x, int64_t rows, double *y, double *ext) {
  if (p >= kExactWindowMinPeriod) {
    specjit_rt_exact_window(static_cast<int64_t>(ExactWindowKind::Weighted), p, st, x, rows, y,
                            nullptr, nullptr);
    return;
  }
  size_t h = static_cast<size_t>(p - 1);
  std::memcpy(ext, st, h * 8);
  std::memcpy(ext + h, x, static_cast<size_t>(rows) * 8);
  wmaColumn(ext, p, static_cast<double>(p * (p + 1) / 2), rows, y);
  std::memcpy(st, ext + rows, h * 8);
}

ExactWindowKind exactKind(IndicatorOp op) {
  switch (op) {
  case IndicatorOp::Wma:
    return ExactWindowKind::Weighted;
  case IndicatorOp::Lsma:
    return ExactWindowKind::Line;
  case IndicatorOp::Kama:
    return ExactWindowKind::Kama;
  default:
    return ExactWindowKind::Mean;
  }
}

//===----------------------------------------------------------------------===//
// The interpreter
//===----------------------------------------------------------------------===//

/// An indicator with its configuration resolved for execution.
struct Ind {
  IndicatorOp op = IndicatorOp::Sma;
  int index = 0;            // in SeriesSpec::indicators (messages)
  std::vector<int> sources; // value ids: inputs, then indicators
  int64_t n = 0;            // period
  // ema family
  int64_t need = 1; // observations to seed a stage
  double nd = 0.0, a = 0.0, b = 0.0;
  int stages = 0;
  // windows: history lengths in the state
  int64_t hist = 0, hist2 = 0;
  double div = 1.0; // wma: n(n+1)/2
  // hma
  int64_t half = 1, root = 1;
  double divHalf = 1.0, divRoot = 1.0;
  // lsma
  double scc = 0.0, mid = 0.0; // n(n^2-1)/12, (n-1)/2
  // period >= kExactWindowMinPeriod: exact rolling sums (the history is
  // then the exact window's state, hist = 0)
  bool exact = false;
  // hma of period >= kExactWindowMinPeriod: its three WMAs (x over half,
  // x over n, raw over root) as separate windows at these state offsets
  bool splitHma = false;
  int64_t stageOff[3] = {0, 0, 0};
  // kama
  double slowest = 0.0, span = 0.0; // 2/(slow+1), 2/(fast+1) - 2/(slow+1)
  // composites
  std::vector<double> weights;
  double bias = 0.0, up = 1.0, down = 1.0; // trend: 1+upper, 1-lower
  // layout
  int64_t stateOff = 0;
  int col = 0; // scratch column of the result
};

/// The period of an hma's k-th WMA: x over n/2, x over n, raw over root.
int64_t hmaPeriod(const Ind &d, int k) { return k == 0 ? d.half : k == 1 ? d.n : d.root; }

class SeriesInterpreter final : public Interpreter {
public:
  static llvm::Expected<std::unique_ptr<SeriesInterpreter>> build(const jit::SeriesSpec &spec);

  int64_t run(const void *const *args, void *out, int64_t rows) const override;
  size_t stateBytes() const override { return static_cast<size_t>(stateBytes_); }
  std::string describeFailure(const void *const *args, int64_t row) const override {
    (void)args;
    return "row " + std::to_string(row) + ": no data check fails";
  }

private:
  /// Per-call scratch views.
  struct Frame {
    int64_t B = 0;
    /// Per value id: its f64 column for the current block.
    const double **cols = nullptr;
    double *indCols = nullptr; // one block column per live indicator
    double *temps[3] = {nullptr, nullptr, nullptr};
    double *ext = nullptr, *ext2 = nullptr; // maxHist_ + B each
    double *widen = nullptr;                // one block column per f32 input read
  };

  void compute(const Ind &ind, Frame &fr, unsigned char *st, int64_t n) const;
  /// ext = hist (from the state) ++ x[0..rows); then hist = last `h` of ext.
  static void loadWindow(double *ext, const unsigned char *hist, int64_t h, const double *x,
                         int64_t rows) {
    if (h > 0)
      std::memcpy(ext, hist, static_cast<size_t>(h) * 8);
    std::memcpy(ext + h, x, static_cast<size_t>(rows) * 8);
  }
  static void saveWindow(const double *ext, unsigned char *hist, int64_t h, int64_t rows) {
    if (h > 0)
      std::memcpy(hist, ext + rows, static_cast<size_t>(h) * 8);
  }
  template <class T> void scatter(const Frame &fr, T *out, int64_t base, int64_t n) const;

  std::vector<DType> inputTypes_;
  std::vector<Ind> inds_;    // live indicators, in order
  std::vector<int> outputs_; // value ids of the output columns
  /// Inputs read by live indicators: f32 (widened per block) and f64 (read
  /// in place).
  std::vector<int> widened_, direct_;
  int numValues_ = 0;
  DType outType_ = DType::F64;
  int64_t maxHist_ = 0;
  int64_t stateBytes_ = 8;
};

llvm::Expected<std::unique_ptr<SeriesInterpreter>>
SeriesInterpreter::build(const jit::SeriesSpec &spec) {
  auto ip = std::make_unique<SeriesInterpreter>();
  SeriesInterpreter &I = *ip;
  if (spec.outputType != DType::F32 && spec.outputType != DType::F64)
    return seriesError("series: output type must be f32 or f64");
  I.outType_ = spec.outputType;
  int numInputs = static_cast<int>(spec.inputs.size());
  int numInds = static_cast<int>(spec.indicators.size());
  for (const jit::InputColumn &in : spec.inputs) {
    if (in.type != DType::F64 && in.type != DType::F32)
      return seriesError("series: input '" + in.name + "' must be f64 or f32");
    I.inputTypes_.push_back(in.type);
  }
  if (spec.outputs.empty())
    return seriesError("series: no output columns");

  // Liveness: an indicator is computed only when an output depends on it.
  std::vector<bool> live(spec.indicators.size(), false);
  for (int o : spec.outputs) {
    if (o < 0 || o >= numInds)
      return seriesError("series: output refers to no indicator");
    live[o] = true;
  }
  for (int k = numInds - 1; k >= 0; --k) {
    if (!live[k])
      continue;
    for (int s : spec.indicators[k].sources) {
      if (s < 0 || s >= numInputs + k)
        return seriesError("series: indicators[" + std::to_string(k) +
                           "] reads neither an input nor an earlier "
                           "indicator");
      if (s >= numInputs)
        live[s - numInputs] = true;
    }
  }

  int col = 0;
  std::vector<bool> inputRead(spec.inputs.size(), false);
  for (int k = 0; k < numInds; ++k) {
    if (!live[k])
      continue;
    const jit::Indicator &in = spec.indicators[k];
    std::string path = "series: indicators[" + std::to_string(k) + "] (" +
                       jit::indicatorOpName(in.op).str() + "): ";
    Ind d;
    d.op = in.op;
    d.index = k;
    d.sources = in.sources;
    for (int s : d.sources)
      if (s < numInputs)
        inputRead[s] = true;
    bool movingAverage = true;
    switch (in.op) {
    case IndicatorOp::WeightedSum:
    case IndicatorOp::Crossover:
    case IndicatorOp::Trend:
      movingAverage = false;
      break;
    default:
      break;
    }
    if (movingAverage) {
      if (d.sources.size() != 1)
        return seriesError(path + "expected one source");
      if (in.period < 1 || in.period > kMaxPeriod)
        return seriesError(path + "period out of range");
      d.n = in.period;
    }
    int64_t n = d.n;
    switch (in.op) {
    case IndicatorOp::Sma:
      d.hist = n - 1;
      d.nd = static_cast<double>(n);
      break;
    case IndicatorOp::Lsma:
      d.hist = n - 1;
      d.nd = static_cast<double>(n);
      d.mid = static_cast<double>(n - 1) / 2.0;
      // n(n^2-1) is a multiple of 6 below 2^53: the quotient is exact.
      d.scc = static_cast<double>(n * (n * n - 1)) / 12.0;
      break;
    case IndicatorOp::Wma:
      d.hist = n - 1;
      d.div = static_cast<double>(n * (n + 1) / 2);
      break;
    case IndicatorOp::Ema:
    case IndicatorOp::Dema:
    case IndicatorOp::Tema:
      d.stages = in.op == IndicatorOp::Ema ? 1 : in.op == IndicatorOp::Dema ? 2 : 3;
      d.need = in.seed == jit::EmaSeed::Sma ? n : 1;
      d.nd = static_cast<double>(n);
      d.a = 2.0 / static_cast<double>(n + 1);
      d.b = 1.0 - d.a;
      break;
    case IndicatorOp::Hma: {
      d.hist = n - 1;
      d.div = static_cast<double>(n * (n + 1) / 2);
      d.half = std::max<int64_t>(1, n / 2);
      d.divHalf = static_cast<double>(d.half * (d.half + 1) / 2);
      int64_t s = 1;
      while ((s + 1) * (s + 1) <= n)
        ++s;
      d.root = s;
      d.divRoot = static_cast<double>(s * (s + 1) / 2);
      d.hist2 = s - 1;
      break;
    }
    case IndicatorOp::Kama:
      if (in.fast < 1 || in.slow <= in.fast || in.slow > kMaxPeriod)
        return seriesError(path + "expected 1 <= fast < slow");
      d.hist = n;
      d.slowest = 2.0 / static_cast<double>(in.slow + 1);
      d.span = 2.0 / static_cast<double>(in.fast + 1) - d.slowest;
      break;
    case IndicatorOp::WeightedSum:
      if (d.sources.empty() || in.weights.size() != d.sources.size())
        return seriesError(path + "expected one weight per term");
      d.weights = in.weights;
      d.bias = in.bias;
      break;
    case IndicatorOp::Crossover:
      if (d.sources.size() != 2)
        return seriesError(path + "expected a fast and a slow source");
      break;
    case IndicatorOp::Trend: {
      if (d.sources.size() < 2)
        return seriesError(path + "expected a price and sources to compare");
      size_t m = d.sources.size() - 1;
      if (in.weights.empty())
        d.weights.assign(m, 1.0 / static_cast<double>(m));
      else if (in.weights.size() == m)
        d.weights = in.weights;
      else
        return seriesError(path + "expected one weight per source");
      d.up = 1.0 + in.upper;
      d.down = 1.0 - in.lower;
      break;
    }
    }
    bool window = in.op == IndicatorOp::Sma || in.op == IndicatorOp::Wma ||
                  in.op == IndicatorOp::Lsma || in.op == IndicatorOp::Kama;
    if (window && n >= kExactWindowMinPeriod) {
      d.exact = true;
      d.hist = 0;
    }
    if (in.op == IndicatorOp::Hma && n >= kExactWindowMinPeriod) {
      d.splitHma = true;
      d.hist = 0;
      d.hist2 = 0;
      for (int64_t p : {d.half, d.root})
        if (p < kExactWindowMinPeriod)
          d.hist = std::max(d.hist, p - 1);
    }
    I.maxHist_ = std::max({I.maxHist_, d.hist, d.hist2});
    d.col = col++;
    I.inds_.push_back(std::move(d));
  }
  // The state layout (see the top of this file).
  int64_t off = 8;
  for (Ind &d : I.inds_) {
    d.stateOff = off;
    switch (d.op) {
    case IndicatorOp::Sma:
    case IndicatorOp::Lsma:
    case IndicatorOp::Wma:
      off += d.exact ? exactWindowStateBytes(exactKind(d.op), d.n) : 8 * d.hist;
      break;
    case IndicatorOp::Ema:
    case IndicatorOp::Dema:
    case IndicatorOp::Tema:
      off += kEmaStateBytes * d.stages;
      break;
    case IndicatorOp::Hma:
      if (d.splitHma) {
        int64_t at = 0;
        for (int k = 0; k < 3; ++k) {
          d.stageOff[k] = at;
          at += wmaStageBytes(hmaPeriod(d, k));
        }
        off += at;
      } else {
        off += 8 * (d.hist + d.hist2);
      }
      break;
    case IndicatorOp::Kama:
      off += 24 + (d.exact ? exactWindowStateBytes(ExactWindowKind::Kama, d.n) : 8 * d.hist);
      break;
    case IndicatorOp::Crossover:
      off += 16;
      break;
    case IndicatorOp::WeightedSum:
    case IndicatorOp::Trend:
      break;
    }
  }
  I.stateBytes_ = off;
  // Output columns refer to value ids (indicator k is numInputs + k).
  for (int o : spec.outputs)
    I.outputs_.push_back(numInputs + o);
  for (int k = 0; k < numInputs; ++k) {
    if (!inputRead[k])
      continue;
    if (spec.inputs[k].type == DType::F32)
      I.widened_.push_back(k);
    else
      I.direct_.push_back(k);
  }
  I.numValues_ = numInputs + numInds;
  return ip;
}

void SeriesInterpreter::compute(const Ind &d, Frame &fr, unsigned char *st, int64_t rows) const {
  double *y = fr.indCols + static_cast<int64_t>(d.col) * fr.B;
  auto src = [&](size_t i) { return fr.cols[d.sources[i]]; };
  double *ext = fr.ext;
  const int64_t n = d.n;
  switch (d.op) {
  case IndicatorOp::Sma:
  case IndicatorOp::Wma:
  case IndicatorOp::Lsma:
    if (d.exact) {
      specjit_rt_exact_window(static_cast<int64_t>(exactKind(d.op)), n, st, src(0), rows, y,
                              nullptr, nullptr);
      return;
    }
    break;
  default:
    break;
  }
  switch (d.op) {
  case IndicatorOp::Sma: {
    loadWindow(ext, st, d.hist, src(0), rows);
    windowSum(ext, n, rows, y);
    for (int64_t r = 0; r < rows; ++r)
      y[r] = y[r] / d.nd;
    saveWindow(ext, st, d.hist, rows);
    return;
  }
  case IndicatorOp::Wma: {
    loadWindow(ext, st, d.hist, src(0), rows);
    wmaColumn(ext, n, d.div, rows, y);
    saveWindow(ext, st, d.hist, rows);
    return;
  }
  case IndicatorOp::Lsma: {
    loadWindow(ext, st, d.hist, src(0), rows);
    // sy = sum of y_i, sc = sum of (i - (n-1)/2) * y_i, oldest first.
    double *sy = fr.temps[0];
    double *sc = fr.temps[1];
    lsmaSums(ext, n, d.mid, rows, sy, sc);
    if (n == 1) {
      for (int64_t r = 0; r < rows; ++r)
        y[r] = sy[r] / d.nd;
    } else {
      for (int64_t r = 0; r < rows; ++r)
        y[r] = sy[r] / d.nd + (sc[r] / d.scc) * d.mid;
    }
    saveWindow(ext, st, d.hist, rows);
    return;
  }
  case IndicatorOp::Ema:
  case IndicatorOp::Dema:
  case IndicatorOp::Tema: {
    const double *x = src(0);
    double *e[3] = {d.stages == 1 ? y : fr.temps[0], fr.temps[1], fr.temps[2]};
    for (int s = 0; s < d.stages; ++s) {
      unsigned char *p = st + kEmaStateBytes * s;
      EmaState es = loadEma(p);
      emaStage(s == 0 ? x : e[s - 1], e[s], rows, es, d.need, d.nd, d.a, d.b);
      storeEma(p, es);
    }
    if (d.stages == 2) {
      const double *__restrict e1 = e[0], *__restrict e2 = e[1];
      for (int64_t r = 0; r < rows; ++r)
        y[r] = 2.0 * e1[r] - e2[r];
    } else if (d.stages == 3) {
      const double *__restrict e1 = e[0], *__restrict e2 = e[1], *__restrict e3 = e[2];
      for (int64_t r = 0; r < rows; ++r)
        y[r] = 3.0 * e1[r] - 3.0 * e2[r] + e3[r];
    }
    return;
  }
  case IndicatorOp::Hma: {
    if (d.splitHma) {
      double *__restrict w1 = fr.temps[0];
      double *__restrict w2 = fr.temps[1];
      double *__restrict hv = fr.temps[2];
      wmaStage(hmaPeriod(d, 0), st + d.stageOff[0], src(0), rows, w1, ext);
      wmaStage(n, st + d.stageOff[1], src(0), rows, w2, ext);
      for (int64_t r = 0; r < rows; ++r)
        hv[r] = 2.0 * w1[r] - w2[r];
      wmaStage(d.root, st + d.stageOff[2], hv, rows, y, ext);
      return;
    }
    unsigned char *hist2 = st + 8 * d.hist;
    double *__restrict w1 = fr.temps[0];
    double *__restrict w2 = fr.temps[1];
    double *__restrict hv = fr.temps[2];
    loadWindow(ext, st, d.hist, src(0), rows);
    // The n/2 window ending at row r is the tail of the n window.
    wmaColumn(ext + (n - d.half), d.half, d.divHalf, rows, w1);
    wmaColumn(ext, n, d.div, rows, w2);
    saveWindow(ext, st, d.hist, rows);
    for (int64_t r = 0; r < rows; ++r)
      hv[r] = 2.0 * w1[r] - w2[r];
    double *ext2 = fr.ext2;
    loadWindow(ext2, hist2, d.hist2, hv, rows);
    wmaColumn(ext2, d.root, d.divRoot, rows, y);
    saveWindow(ext2, hist2, d.hist2, rows);
    return;
  }
  case IndicatorOp::Kama: {
    double k = loadF(st);
    int64_t run = loadI(st + 8);
    bool seeded = loadI(st + 16) != 0;
    unsigned char *hist = st + 24;
    double *__restrict vol = fr.temps[0];
    // Per row r: x[t-n] at xFirst[r], x[t-1] at xBefore[r], x[t] at xNow[r].
    const double *xFirst, *xBefore, *xNow;
    if (d.exact) {
      specjit_rt_exact_window(static_cast<int64_t>(ExactWindowKind::Kama), n, hist, src(0), rows,
                              vol, ext, fr.ext2);
      xFirst = ext, xBefore = fr.ext2, xNow = src(0);
    } else {
      loadWindow(ext, hist, d.hist, src(0), rows);
      // Window of row r: ext[r .. r+n] = x[t-n .. t].
      double *__restrict dif = fr.ext2;
      int64_t m = n + rows - 1;
      for (int64_t j = 0; j < m; ++j)
        dif[j] = std::fabs(ext[j + 1] - ext[j]);
      windowSum(dif, n, rows, vol);
      xFirst = ext, xBefore = ext + n - 1, xNow = ext + n;
    }
    for (int64_t r = 0; r < rows; ++r) {
      double x = xNow[r];
      run = x != x ? 0 : std::min(run + 1, n + 1);
      if (run <= n) {
        y[r] = kNaN;
        continue;
      }
      double v = vol[r];
      double er = v == 0.0 ? 0.0 : std::fabs(x - xFirst[r]) / v;
      double sc = er * d.span + d.slowest;
      sc = sc * sc;
      double prev = seeded ? k : xBefore[r];
      k = prev + sc * (x - prev);
      seeded = true;
      y[r] = k;
    }
    if (!d.exact)
      saveWindow(ext, hist, d.hist, rows);
    storeF(st, k);
    storeI(st + 8, run);
    storeI(st + 16, seeded ? 1 : 0);
    return;
  }
  case IndicatorOp::WeightedSum: {
    const double *__restrict s0 = src(0);
    double w0 = d.weights[0];
    for (int64_t r = 0; r < rows; ++r)
      y[r] = w0 * s0[r];
    for (size_t i = 1; i < d.sources.size(); ++i) {
      const double *__restrict s = src(i);
      double w = d.weights[i];
      for (int64_t r = 0; r < rows; ++r)
        y[r] = y[r] + w * s[r];
    }
    double bias = d.bias;
    for (int64_t r = 0; r < rows; ++r)
      y[r] = bias + y[r];
    return;
  }
  case IndicatorOp::Crossover: {
    const double *__restrict f = src(0);
    const double *__restrict s = src(1);
    double pf = loadF(st), ps = loadF(st + 8);
    for (int64_t r = 0; r < rows; ++r) {
      double cf = f[r], cs = s[r];
      double v;
      if (cf != cf || cs != cs || pf != pf || ps != ps)
        v = kNaN;
      else if (cf > cs && pf <= ps)
        v = 1.0;
      else if (cf < cs && pf >= ps)
        v = -1.0;
      else
        v = 0.0;
      y[r] = v;
      pf = cf;
      ps = cs;
    }
    storeF(st, pf);
    storeF(st + 8, ps);
    return;
  }
  case IndicatorOp::Trend: {
    double *__restrict mix = fr.temps[0];
    const double *__restrict a0 = src(1);
    double w0 = d.weights[0];
    for (int64_t r = 0; r < rows; ++r)
      mix[r] = w0 * a0[r];
    for (size_t i = 2; i < d.sources.size(); ++i) {
      const double *__restrict a = src(i);
      double w = d.weights[i - 1];
      for (int64_t r = 0; r < rows; ++r)
        mix[r] = mix[r] + w * a[r];
    }
    const double *__restrict p = src(0);
    double up = d.up, down = d.down;
    for (int64_t r = 0; r < rows; ++r) {
      double pr = p[r], mx = mix[r];
      double v;
      if (pr != pr || mx != mx)
        v = kNaN;
      else if (pr > mx * up)
        v = 1.0;
      else if (pr < mx * down)
        v = -1.0;
      else
        v = 0.0;
      y[r] = v;
    }
    return;
  }
  }
}

template <class T>
void SeriesInterpreter::scatter(const Frame &fr, T *out, int64_t base, int64_t n) const {
  int64_t m = static_cast<int64_t>(outputs_.size());
  T *o = out + base * m;
  for (int64_t j = 0; j < m; ++j) {
    const double *__restrict c = fr.cols[outputs_[j]];
    T *__restrict p = o + j;
    for (int64_t r = 0; r < n; ++r)
      p[r * m] = static_cast<T>(c[r]);
  }
}

int64_t SeriesInterpreter::run(const void *const *args, void *out, int64_t rows) const {
  if (rows <= 0)
    return 0;
  size_t numInputs = inputTypes_.size();
  unsigned char *state = static_cast<unsigned char *>(const_cast<void *>(args[numInputs]));
  if (!state || !out)
    return -1;

  // Scratch: indicator columns, 3 temporaries, two window buffers, widened
  // inputs. Everything is allocated before anything is written.
  Frame fr;
  fr.B = std::min<int64_t>(kSeriesBlockRows, rows);
  int64_t B = fr.B;
  int64_t extLen = maxHist_ + B;
  size_t total = static_cast<size_t>(
      (static_cast<int64_t>(inds_.size()) + 3 + static_cast<int64_t>(widened_.size())) * B +
      2 * extLen);
  std::unique_ptr<double[]> buf(new (std::nothrow) double[total]);
  std::unique_ptr<const double *[]> cols(new (std::nothrow)
                                             const double *[static_cast<size_t>(numValues_)]());
  if (!buf || !cols)
    return -1;
  fr.cols = cols.get();
  double *p = buf.get();
  fr.indCols = p;
  p += static_cast<int64_t>(inds_.size()) * B;
  for (double *&t : fr.temps) {
    t = p;
    p += B;
  }
  fr.widen = p;
  p += static_cast<int64_t>(widened_.size()) * B;
  fr.ext = p;
  fr.ext2 = p + extLen;
  for (const Ind &d : inds_)
    fr.cols[numInputs + d.index] = fr.indCols + static_cast<int64_t>(d.col) * B;

  int64_t t = loadI(state);
  if (t == 0) {
    // A fresh stream: no history yet.
    for (const Ind &d : inds_) {
      unsigned char *st = state + d.stateOff;
      switch (d.op) {
      case IndicatorOp::Sma:
      case IndicatorOp::Wma:
      case IndicatorOp::Lsma:
        fillNaN(st, d.hist);
        break;
      case IndicatorOp::Hma:
        if (d.splitHma) {
          for (int k = 0; k < 3; ++k)
            if (hmaPeriod(d, k) < kExactWindowMinPeriod)
              fillNaN(st + d.stageOff[k], hmaPeriod(d, k) - 1);
        } else {
          fillNaN(st, d.hist + d.hist2);
        }
        break;
      case IndicatorOp::Kama:
        fillNaN(st + 24, d.hist);
        break;
      case IndicatorOp::Crossover:
        fillNaN(st, 2);
        break;
      default:
        break;
      }
    }
  }

  for (int64_t base = 0; base < rows; base += B) {
    int64_t n = std::min(B, rows - base);
    for (int k : direct_)
      fr.cols[k] = static_cast<const double *>(args[k]) + base;
    for (size_t w = 0; w < widened_.size(); ++w) {
      int k = widened_[w];
      const float *__restrict s = static_cast<const float *>(args[k]) + base;
      double *__restrict d = fr.widen + static_cast<int64_t>(w) * B;
      for (int64_t r = 0; r < n; ++r)
        d[r] = static_cast<double>(s[r]);
      fr.cols[k] = d;
    }
    for (const Ind &d : inds_)
      compute(d, fr, state + d.stateOff, n);
    if (outType_ == DType::F32)
      scatter(fr, static_cast<float *>(out), base, n);
    else
      scatter(fr, static_cast<double *>(out), base, n);
    t += n;
  }
  storeI(state, t);
  return 0;
}

} // namespace

llvm::Expected<std::unique_ptr<Interpreter>> createSeriesInterpreter(const jit::SeriesSpec &spec) {
  auto ip = SeriesInterpreter::build(spec);
  if (!ip)
    return ip.takeError();
  return std::unique_ptr<Interpreter>(std::move(*ip));
}

} // namespace interp
} // namespace specjit
