//===- DescriptorInternal.h - Shared helpers of the descriptor library ----===//
//
// Not installed: helpers shared by the files of lib/Descriptor.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_DESCRIPTOR_DESCRIPTORINTERNAL_H
#define SPECJIT_LIB_DESCRIPTOR_DESCRIPTORINTERNAL_H

#include "specjit/Descriptor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace specjit {
namespace jit {
namespace detail {

/// Deepest nesting accepted in JSON text and in expressions.
constexpr int kMaxNesting = 256;

/// An llvm::StringError with inconvertibleErrorCode().
llvm::Error makeError(const llvm::Twine &message);

/// The canonical spelling of a finite double: integral values within +-2^53
/// as integers ("3", "-12"), -0.0 as "-0.0", anything else in shortest
/// round-trip form ("0.5", "1e+20", "1.5e-07"). Locale independent; the
/// result is valid JSON and a valid expression literal (if not negative).
std::string formatNumber(double v);

/// One column reference in expression text, in text order.
struct ExprRef {
  std::string name;
  size_t offset = 0;
};

/// parseExpr() that also reports every column reference with its offset.
llvm::Expected<ExprPtr> parseExprWithRefs(llvm::StringRef text,
                                          std::vector<ExprRef> *refs);

/// Prints an expression in canonical form: single spaces around binary
/// operators, the fewest parentheses that keep the tree, `select(c, a, b)`
/// for the conditional, `and`/`or`/`not` for the logical operators, names in
/// backquotes only where needed. parseExpr(printExpr(e)) rebuilds e.
std::string printExpr(const Expr &e);

/// True if `name` can be written without backquotes in an expression.
bool isPlainExprName(llvm::StringRef name);

} // namespace detail
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_DESCRIPTOR_DESCRIPTORINTERNAL_H
