//===- PolynomialTerms.cpp - The order of polynomial features -------------===//
//
// Enumerates the terms of scikit-learn's PolynomialFeatures in its output
// order (PolynomialTerms.h), one index vector advanced in place.
//
//===----------------------------------------------------------------------===//

#include "PolynomialTerms.h"

#include "llvm/ADT/SmallVector.h"

namespace specjit {
namespace jit {

void forEachPolynomialTerm(unsigned n, unsigned degree, bool interactionOnly, bool includeBias,
                           llvm::function_ref<bool(llvm::ArrayRef<unsigned>)> fn) {
  if (includeBias && !fn({}))
    return;
  llvm::SmallVector<unsigned, 8> idx;
  for (unsigned d = 1; d <= degree; ++d) {
    // Without repetition there is no term of more factors than inputs.
    if (interactionOnly && d > n)
      break;
    // The first combination: 0, 1, ..., d-1 (sets) or 0, 0, ..., 0.
    idx.resize(d);
    for (unsigned i = 0; i < d; ++i)
      idx[i] = interactionOnly ? i : 0;
    while (true) {
      if (!fn(idx))
        return;
      // Advance to the next combination in lexicographic order: bump the
      // last position below its limit, reset the ones after it to their
      // smallest values.
      int pos = static_cast<int>(d) - 1;
      while (pos >= 0 && idx[pos] == (interactionOnly ? n - d + pos : n - 1))
        --pos;
      if (pos < 0)
        break;
      ++idx[pos];
      for (unsigned i = pos + 1; i < d; ++i)
        idx[i] = interactionOnly ? idx[i - 1] + 1 : idx[pos];
    }
  }
}

} // namespace jit
} // namespace specjit
