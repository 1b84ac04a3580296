//===- ExactWindow.h - Long windows by exact rolling sums -------*- C++ -*-===//
//
// Series windows of kExactWindowMinPeriod values or more (sma, wma, lsma,
// kama's volatility, hma's stages) are not recomputed per row: they
// keep exact sums of the window in fixed point, add the new value and
// remove the old one per row (O(1)), and round the exact sum to f64 once
// per row (to nearest, ties to even). The exact sum does not depend on the
// order of the additions, so any chunking of a stream gives the same bits,
// and the interpreter and compiled kernels (which both call
// specjit_rt_exact_window) agree by construction. docs/series-semantics.md
// ("Long windows") states the arithmetic.
//
// The routine is plain C++ without dependencies: it is linked into the
// interpreter and registered as an absolute symbol for JIT-compiled code
// (Engine/RuntimeSymbols.h), and ships as libspecjit_rt.a for kernels
// exported ahead of time.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_RUNTIME_EXACTWINDOW_H
#define SPECJIT_RUNTIME_EXACTWINDOW_H

#include <cstdint>

namespace specjit {

/// Windows of at least this period take exact sums; shorter ones are
/// recomputed per row in a fixed order (docs/series-semantics.md).
constexpr int64_t kExactWindowMinPeriod = 128;

/// What an exact window computes per row (the `kind` argument).
enum class ExactWindowKind : int64_t {
  /// sma: out = round(sum x) / n.
  Mean = 0,
  /// wma: out = round(sum i * x_i) / (n(n+1)/2), i = 1..n oldest first.
  Weighted = 1,
  /// lsma: out = round(sum x)/n + (round(sum (2i-(n-1)) x_i) / (n(n^2-1)/6))
  /// * (n-1)/2, i = 0..n-1 oldest first.
  Line = 2,
  /// kama: out = round(sum |x_i - x_{i-1}|) over the last n differences,
  /// first = x[t-n], before = x[t-1].
  Kama = 3,
};

/// Bytes of streaming state a window of this kind and period keeps (all
/// zero: a fresh window, whose history is NaN).
int64_t exactWindowStateBytes(ExactWindowKind kind, int64_t period);

} // namespace specjit

extern "C" {
/// Advances an exact window over `rows` values of `x`, writing one result
/// per row to `out` (and, for Kama, x[t-n] to `first` and x[t-1] to
/// `before`; null otherwise). `state` is exactWindowStateBytes() bytes,
/// 8-byte aligned. `period` >= 2.
void specjit_rt_exact_window(int64_t kind, int64_t period, void *state, const double *x,
                             int64_t rows, double *out, double *first, double *before);
}

#endif // SPECJIT_RUNTIME_EXACTWINDOW_H
