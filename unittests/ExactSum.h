//===- ExactSum.h - Exact window sums for the tests' references -*- C++ -*-===//
//
// The references of long series windows (docs/series-semantics.md, "Long
// windows"): exact sums rounded once, by an algorithm independent of
// Runtime/ExactWindow.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_UNITTESTS_EXACTSUM_H
#define SPECJIT_UNITTESTS_EXACTSUM_H

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace specjit {
namespace exactref {

using Col = std::vector<double>;

/// The exact sum of `terms` rounded once to nearest: Shewchuk's
/// non-overlapping partials with the final correction of Python's
/// math.fsum (an algorithm independent of Runtime/ExactWindow.cpp).
inline double fsum(const Col &terms) {
  Col partials;
  for (double x : terms) {
    size_t i = 0;
    for (size_t j = 0; j < partials.size(); ++j) { // i <= j: in place
      double y = partials[j];
      if (std::fabs(x) < std::fabs(y))
        std::swap(x, y);
      double hi = x + y, lo = y - (hi - x);
      if (lo != 0.0)
        partials[i++] = lo;
      x = hi;
    }
    partials.resize(i);
    partials.push_back(x);
  }
  size_t n = partials.size();
  if (n == 0)
    return 0.0;
  double hi = partials[--n], lo = 0.0;
  while (n > 0) {
    double x = hi, y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0.0)
      break;
  }
  if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
    double y = lo * 2.0, x = hi + y;
    if (y == x - hi)
      hi = x;
  }
  return hi;
}

/// Windows of period 128 and more take the exact sum (docs/series-semantics.md).
constexpr int64_t kExact = 128;

/// sum(w_i * x_i) over x[from..from+n) with w_i = w0 + i*dw, exactly and
/// rounded once: every product split into two doubles (fma), then fsum.
/// A window holding a non-finite value sums as IEEE does (finite values
/// then do not matter).
inline double exactWindow(const Col &x, int64_t from, int64_t n, int64_t w0, int64_t dw) {
  Col terms;
  double naive = 0.0;
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) {
    double w = static_cast<double>(w0 + i * dw), v = x[from + i];
    finite &= std::isfinite(v);
    naive += w * v;
    double p = w * v;
    terms.push_back(p);
    terms.push_back(std::fma(w, v, -p));
  }
  return finite ? fsum(terms) : naive;
}

} // namespace exactref
} // namespace specjit

#endif // SPECJIT_UNITTESTS_EXACTSUM_H
