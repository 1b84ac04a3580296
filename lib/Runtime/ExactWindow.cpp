//===- ExactWindow.cpp - Long windows by exact rolling sums ---------------===//
//
// A window keeps, besides the ring of its values, the exact sums it needs
// (sum x; sum i*x for wma; sum (2i-(n-1))*x for lsma) as 128-bit integers
// in units of 2^unit, where unit is at most the lowest set bit of every
// finite value that entered since the last rebuild. Sliding by one row is
// then an exact update of each sum:
//
//   S' = S - old + new
//   W' = W - S + n*new                       (every weight drops by one)
//   C' = C - 2S + (n+1)*old + (n-1)*new      (every weight drops by two)
//
// and a row's result rounds the integer to f64 once. `guard` bits of
// headroom bound every sum and intermediate, so the integers cannot
// overflow while top - unit + guard <= 126 (top: an upper bound of the
// values' highest bit); a value that would break the bound makes the window
// rebuild its sums from the ring with a fresh unit, and a window whose
// values span more than that (say 1e-300 next to 1e300) is summed from
// scratch per row with a wide accumulator until it narrows again. Either
// way the result is the exact sum rounded once, so which path ran never
// shows in the bits.
//
// Non-finite values stay out of the integers: the window counts its NaN,
// +inf and -inf values, and a row's result combines them as IEEE
// arithmetic would (a NaN or +inf with -inf: NaN; one kind of infinity:
// that infinity; lsma's weighted sum of infinities is evaluated from the
// ring, which only happens while an infinity is in the window).
//
//===----------------------------------------------------------------------===//

#include "ExactWindow.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace specjit {
namespace {

using i128 = __int128;
using u128 = unsigned __int128;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
/// unit and top before any finite non-zero value entered.
constexpr int64_t kUnset = int64_t(1) << 40;

/// The header of a window's state (int64 words), followed by the ring.
enum Word : int64_t {
  kReady,
  kPos, // ring index of the oldest value
  kNaNs,
  kPosInfs,
  kNegInfs,
  kUnit,
  kTop,
  kFast, // 1: the integers hold the window's sums
  kSums, // S, W, C: three int128 (six words)
  kHeaderWords = kSums + 6,
};

int64_t ringLength(ExactWindowKind kind, int64_t n) {
  return kind == ExactWindowKind::Kama ? n + 1 : n;
}

/// x = m * 2^e; |x| < 2^top.
struct Parts {
  int64_t m = 0, e = 0, top = 0;
};

/// What a value is to a window: zero, a finite non-zero value (split into
/// Parts), NaN or an infinity.
enum Class { kZero, kFinite, kIsNaN, kPosInf, kNegInf };

inline Class classify(double x, Parts &p) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  uint64_t ex = (bits >> 52) & 0x7ff, m = bits & ((uint64_t(1) << 52) - 1);
  bool negative = (bits >> 63) != 0;
  if (ex == 0x7ff)
    return m ? kIsNaN : negative ? kNegInf : kPosInf;
  if (ex != 0) {
    m |= uint64_t(1) << 52;
    p.e = static_cast<int64_t>(ex) - 1075;
    p.top = p.e + 53;
  } else {
    if (m == 0)
      return kZero;
    p.e = -1074;
    p.top = p.e + (64 - __builtin_clzll(m));
  }
  p.m = negative ? -static_cast<int64_t>(m) : static_cast<int64_t>(m);
  return kFinite;
}

/// Splits a finite non-zero double; false for zero and non-finite values.
inline bool split(double x, Parts &p) { return classify(x, p) == kFinite; }

/// 2^k for k in [-1074, 1023], exactly.
inline double pow2(int64_t k) {
  uint64_t bits = k >= -1022 ? static_cast<uint64_t>(k + 1023) << 52 : uint64_t(1) << (k + 1074);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

inline int bitLength(u128 v) {
  uint64_t hi = static_cast<uint64_t>(v >> 64), lo = static_cast<uint64_t>(v);
  if (hi)
    return 128 - __builtin_clzll(hi);
  return lo ? 64 - __builtin_clzll(lo) : 0;
}

inline i128 shiftLeft(i128 v, int64_t s) { return static_cast<i128>(static_cast<u128>(v) << s); }

/// a * 2^unit rounded to f64 once (unit >= -1074).
double roundFixed(i128 a, int64_t unit) {
  if (a == 0)
    return 0.0;
  int bits = bitLength(a < 0 ? -static_cast<u128>(a) : static_cast<u128>(a));
  if (unit + bits <= -1022) {
    // Below the normal range: a multiple of 2^-1074 under 2^-1022, which a
    // subnormal holds exactly.
    int64_t units = static_cast<int64_t>(shiftLeft(a, unit + 1074));
    return static_cast<double>(units) * pow2(-1074);
  }
  if (unit + bits > 1025)
    return a < 0 ? -kInf : kInf;
  // One rounding: at most 63 significant bits convert in hardware; wider
  // values keep their top 63 bits with the rest folded into a sticky low
  // bit, which rounds the same (the rounding position is 10 bits higher).
  // The power of two then scales exactly in the normal range and
  // overflows to inf as IEEE does.
  double d;
  if (bits <= 63) {
    d = static_cast<double>(static_cast<int64_t>(a));
  } else {
    int k = bits - 63;
    u128 mag = a < 0 ? -static_cast<u128>(a) : static_cast<u128>(a);
    uint64_t m = static_cast<uint64_t>(mag >> k);
    m |= (mag & ((u128(1) << k) - 1)) != 0 ? 1 : 0;
    d = static_cast<double>(static_cast<int64_t>(m));
    if (a < 0)
      d = -d;
    unit += k;
  }
  if (unit > 1023)
    return d * pow2(1023) * pow2(unit - 1023);
  return d * pow2(unit);
}

/// Any exact sum of weighted doubles (the slow path): 32-bit digits in
/// int64 limbs, each weighing 2^(32k - 1074), normalized only to round.
class WideSum {
public:
  void add(const Parts &p, int64_t w) {
    if (w == 0)
      return;
    int64_t pos = p.e + 1074;
    i128 v = shiftLeft(static_cast<i128>(p.m) * w, pos & 31);
    int64_t k = pos >> 5;
    for (int j = 0; j < 3; ++j) {
      limb_[k + j] += static_cast<int64_t>(static_cast<uint32_t>(v));
      v >>= 32;
    }
    limb_[k + 3] += static_cast<int64_t>(v);
  }

  double round() const {
    int64_t L[kLimbs];
    std::memcpy(L, limb_, sizeof L);
    for (int k = 0; k + 1 < kLimbs; ++k) {
      int64_t c = L[k] >> 32;
      L[k] -= c * (int64_t(1) << 32);
      L[k + 1] += c;
    }
    int hi = kLimbs - 1;
    while (hi >= 0 && L[hi] == 0)
      --hi;
    if (hi < 0)
      return 0.0;
    // A top digit of -1 over non-negative digits: fold it down, so that the
    // top three digits carry at least 65 significant bits.
    while (hi > 0 && L[hi] == -1) {
      L[hi] = 0;
      L[--hi] -= int64_t(1) << 32;
    }
    if (hi <= 2) {
      i128 h = 0;
      for (int k = hi; k >= 0; --k)
        h = h * (i128(1) << 32) + L[k];
      return roundFixed(h, -1074);
    }
    i128 h = static_cast<i128>(L[hi]) * (i128(1) << 64) +
             static_cast<i128>(L[hi - 1]) * (i128(1) << 32) + L[hi - 2];
    bool sticky = false;
    for (int k = 0; k <= hi - 3; ++k)
      sticky |= L[k] != 0;
    // The value lies in [h, h+1) units of 2^(32(hi-2) - 1074) with no
    // rounding boundary strictly inside: h + 1/2 rounds as it does.
    return roundFixed(2 * h + (sticky ? 1 : 0), 32 * (hi - 2) - 1075);
  }

private:
  static constexpr int kLimbs = 80;
  int64_t limb_[kLimbs] = {};
};

/// One window, its header in locals for the duration of a call; the kind
/// a template argument, so the per-row loop carries only its own sums.
template <ExactWindowKind K> class Window {
public:
  Window(int64_t n, void *state)
      : n_(n), len_(ringLength(K, n)), words_(static_cast<int64_t *>(state)),
        ring_(reinterpret_cast<double *>(words_ + kHeaderWords)) {
    int nbits = 64 - __builtin_clzll(static_cast<uint64_t>(n + 1));
    bool weighted = K == ExactWindowKind::Weighted || K == ExactWindowKind::Line;
    guard_ = weighted ? 2 * nbits + 2 : nbits + 1;
    nd_ = static_cast<double>(n);
    div_ = static_cast<double>(n * (n + 1) / 2);
    twoScc_ = static_cast<double>(n * (n * n - 1) / 6);
    mid_ = static_cast<double>(n - 1) / 2.0;
    if (words_[kReady] == 0)
      reset();
    pos_ = words_[kPos];
    nan_ = words_[kNaNs];
    pinf_ = words_[kPosInfs];
    ninf_ = words_[kNegInfs];
    unit_ = words_[kUnit];
    top_ = words_[kTop];
    fast_ = words_[kFast] != 0;
    std::memcpy(sums_, words_ + kSums, sizeof sums_);
  }
  ~Window() {
    words_[kPos] = pos_;
    words_[kNaNs] = nan_;
    words_[kPosInfs] = pinf_;
    words_[kNegInfs] = ninf_;
    words_[kUnit] = unit_;
    words_[kTop] = top_;
    words_[kFast] = fast_ ? 1 : 0;
    std::memcpy(words_ + kSums, sums_, sizeof sums_);
  }

  void run(const double *x, int64_t rows, double *out, double *first, double *before) {
    for (int64_t r = 0; r < rows; ++r) {
      double v = x[r], leaving, entering;
      if constexpr (K == ExactWindowKind::Kama) {
        // The ring holds x[t-n-1 .. t-1]; the window's values are the n
        // differences between neighbours.
        int64_t second = pos_ + 1 == len_ ? 0 : pos_ + 1;
        int64_t last = pos_ == 0 ? len_ - 1 : pos_ - 1;
        double prev = ring_[last];
        leaving = std::fabs(ring_[second] - ring_[pos_]);
        entering = std::fabs(v - prev);
        ring_[pos_] = v;
        pos_ = second;
        first[r] = ring_[pos_];
        before[r] = prev;
      } else {
        leaving = ring_[pos_];
        entering = v;
        ring_[pos_] = v;
        pos_ = pos_ + 1 == len_ ? 0 : pos_ + 1;
      }
      Parts po, pv;
      Class co = classify(leaving, po), cv = classify(entering, pv);
      count(co, -1);
      count(cv, +1);
      if (fast_)
        fast_ = slide(co == kFinite ? &po : nullptr, cv == kFinite ? &pv : nullptr);
      if (!fast_)
        fast_ = rebuild();
      out[r] = fast_ ? result() : slowResult();
    }
  }

private:
  i128 &S() { return sums_[0]; }
  i128 &W() { return sums_[1]; }
  i128 &C() { return sums_[2]; }

  void reset() {
    std::memset(words_, 0, kHeaderWords * sizeof(int64_t));
    for (int64_t i = 0; i < len_; ++i)
      ring_[i] = kNaN;
    words_[kReady] = 1;
    words_[kNaNs] = n_; // n NaN values (kama: n NaN differences)
    words_[kUnit] = kUnset;
    words_[kTop] = -kUnset;
    words_[kFast] = 1;
  }

  void count(Class c, int64_t d) {
    if (c == kIsNaN)
      nan_ += d;
    else if (c == kPosInf)
      pinf_ += d;
    else if (c == kNegInf)
      ninf_ += d;
  }

  i128 term(const Parts &p) const { return shiftLeft(p.m, p.e - unit_); }

  /// Lowers the unit / raises the top for a new value; false when the
  /// integers could then overflow.
  bool admit(const Parts &p) {
    int64_t unit = unit_ == kUnset ? p.e : std::min(unit_, p.e);
    int64_t top = std::max(top_, p.top);
    if (top - unit + guard_ > 126)
      return false;
    if (unit_ != kUnset && unit < unit_)
      for (i128 &s : sums_)
        s = shiftLeft(s, unit_ - unit);
    unit_ = unit;
    top_ = top;
    return true;
  }

  /// Moves the sums by one row: `po` leaves (null: zero or non-finite),
  /// `pv` enters.
  bool slide(const Parts *po, const Parts *pv) {
    if (pv && (pv->e < unit_ || pv->top > top_) && !admit(*pv))
      return false;
    if constexpr (K == ExactWindowKind::Weighted)
      W() -= S();
    else if constexpr (K == ExactWindowKind::Line)
      C() -= 2 * S();
    if (po) {
      i128 t = term(*po);
      S() -= t;
      if constexpr (K == ExactWindowKind::Line)
        C() += static_cast<i128>(n_ + 1) * t;
    }
    if (pv) {
      i128 t = term(*pv);
      S() += t;
      if constexpr (K == ExactWindowKind::Weighted)
        W() += static_cast<i128>(n_) * t;
      else if constexpr (K == ExactWindowKind::Line)
        C() += static_cast<i128>(n_ - 1) * t;
    }
    return true;
  }

  /// The window's i-th value, oldest first (kama: its differences).
  double value(int64_t i) const {
    int64_t k = pos_ + i;
    if (k >= len_)
      k -= len_;
    if (K != ExactWindowKind::Kama)
      return ring_[k];
    int64_t k1 = k + 1 == len_ ? 0 : k + 1;
    return std::fabs(ring_[k1] - ring_[k]);
  }

  /// Recomputes the sums from the ring; false when its values span too
  /// many bits for the integers.
  bool rebuild() {
    int64_t unit = kUnset, top = -kUnset;
    Parts p;
    for (int64_t i = 0; i < n_; ++i) {
      double v = value(i);
      if (split(v, p)) {
        unit = std::min(unit, p.e);
        top = std::max(top, p.top);
      }
    }
    unit_ = kUnset;
    top_ = -kUnset;
    for (i128 &s : sums_)
      s = 0;
    if (unit != kUnset && top - unit + guard_ > 126)
      return false;
    unit_ = unit;
    top_ = top;
    for (int64_t i = 0; i < n_; ++i) {
      double v = value(i);
      if (!split(v, p))
        continue;
      i128 t = term(p);
      S() += t;
      W() += static_cast<i128>(i + 1) * t;
      C() += static_cast<i128>(2 * i - (n_ - 1)) * t;
    }
    return true;
  }

  /// The IEEE sum of a window's infinities (and NaN), if it has any.
  bool nonFiniteSum(double &s) const {
    if (nan_ > 0 || (pinf_ > 0 && ninf_ > 0))
      s = kNaN;
    else if (pinf_ > 0)
      s = kInf;
    else if (ninf_ > 0)
      s = -kInf;
    else
      return false;
    return true;
  }

  double finish(double sum, double weighted, double line) const {
    double inf;
    switch (K) {
    case ExactWindowKind::Mean:
      return nonFiniteSum(inf) ? inf / nd_ : sum / nd_;
    case ExactWindowKind::Weighted:
      return nonFiniteSum(inf) ? inf / div_ : weighted / div_;
    case ExactWindowKind::Kama:
      return nonFiniteSum(inf) ? inf : sum;
    case ExactWindowKind::Line:
      break;
    }
    if (!nonFiniteSum(inf))
      return sum / nd_ + (line / twoScc_) * mid_;
    if (nan_ > 0)
      return kNaN;
    // Infinities only: the weighted sum over them, as IEEE evaluates it
    // (a zero weight times an infinity is NaN).
    double c = 0.0;
    for (int64_t i = 0; i < n_; ++i) {
      double v = value(i);
      if (std::isinf(v))
        c += static_cast<double>(2 * i - (n_ - 1)) * v;
    }
    return inf / nd_ + (c / twoScc_) * mid_;
  }

  double result() {
    if (nan_ > 0)
      return kNaN;
    // Round only the sums this kind reads.
    bool weighted = K == ExactWindowKind::Weighted;
    double s = weighted ? 0.0 : roundFixed(S(), unit_);
    double w = weighted ? roundFixed(W(), unit_) : 0.0;
    double c = K == ExactWindowKind::Line ? roundFixed(C(), unit_) : 0.0;
    return finish(s, w, c);
  }

  double slowResult() const {
    WideSum s, w, c;
    Parts p;
    for (int64_t i = 0; i < n_; ++i) {
      double v = value(i);
      if (!split(v, p))
        continue;
      s.add(p, 1);
      if (K == ExactWindowKind::Weighted)
        w.add(p, i + 1);
      else if (K == ExactWindowKind::Line)
        c.add(p, 2 * i - (n_ - 1));
    }
    return finish(s.round(), w.round(), c.round());
  }

  int64_t n_, len_;
  int64_t *words_;
  double *ring_;
  int guard_ = 0;
  double nd_ = 1.0, div_ = 1.0, twoScc_ = 1.0, mid_ = 0.0;
  int64_t pos_ = 0, nan_ = 0, pinf_ = 0, ninf_ = 0, unit_ = kUnset, top_ = -kUnset;
  bool fast_ = true;
  i128 sums_[3] = {0, 0, 0};
};

} // namespace

int64_t exactWindowStateBytes(ExactWindowKind kind, int64_t period) {
  return 8 * (kHeaderWords + ringLength(kind, period));
}

} // namespace specjit

extern "C" void specjit_rt_exact_window(int64_t kind, int64_t period, void *state, const double *x,
                                        int64_t rows, double *out, double *first, double *before) {
  using namespace specjit;
  switch (static_cast<ExactWindowKind>(kind)) {
  case ExactWindowKind::Mean:
    Window<ExactWindowKind::Mean>(period, state).run(x, rows, out, first, before);
    return;
  case ExactWindowKind::Weighted:
    Window<ExactWindowKind::Weighted>(period, state).run(x, rows, out, first, before);
    return;
  case ExactWindowKind::Line:
    Window<ExactWindowKind::Line>(period, state).run(x, rows, out, first, before);
    return;
  case ExactWindowKind::Kama:
    Window<ExactWindowKind::Kama>(period, state).run(x, rows, out, first, before);
    return;
  }
}
