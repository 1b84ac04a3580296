//===- PolynomialTerms.h - The order of polynomial features ----*- C++ -*-===//
//
// The terms of a `polynomial` step in scikit-learn's PolynomialFeatures
// output order, defined once for everything that depends on it: the
// descriptor (output column names), the interpreter (result positions) and
// the spec dialect (op verification and lowering). No MLIR here.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_DESCRIPTOR_POLYNOMIALTERMS_H
#define SPECJIT_LIB_DESCRIPTOR_POLYNOMIALTERMS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace specjit {
namespace jit {

/// Calls `fn` with each term over `n` inputs in scikit-learn's order: the
/// bias (the empty term) when `includeBias`, then for each degree d = 1 ..
/// `degree` the multisets (sets when `interactionOnly`) of d input indices
/// in lexicographic order, as itertools' combinations_with_replacement
/// (combinations) yields them. A term lists the indices multiplied,
/// nondecreasing, and is valid during the call only. Stops early when `fn`
/// returns false.
void forEachPolynomialTerm(unsigned n, unsigned degree, bool interactionOnly, bool includeBias,
                           llvm::function_ref<bool(llvm::ArrayRef<unsigned>)> fn);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_DESCRIPTOR_POLYNOMIALTERMS_H
