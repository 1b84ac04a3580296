//===- Expr.h - The expression language of every family --------*- C++ -*-===//
//
// Internal: the parsed form of expression text (pipeline `expr` steps, rules'
// conditions and actions, eval's derived columns), its parser and its
// canonical printer (Expr.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_DESCRIPTOR_EXPR_H
#define SPECJIT_LIB_DESCRIPTOR_EXPR_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace specjit {
namespace jit {

/// A node of a parsed arithmetic expression. Values are f64; comparisons and
/// logical operators yield 1.0 or 0.0; a value is "true" when it is not equal
/// to 0.0 (so NaN is true, as in C).
struct Expr {
  enum class Kind : uint8_t { Const, Column, Op };
  enum class Op : uint8_t {
    Neg,
    Not, // unary: -x, not x
    Add,
    Sub,
    Mul,
    Div, // binary arithmetic
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne, // comparisons (ordered: NaN -> 0)
    And,
    Or, // logical
    Min,
    Max,
    Abs,
    Sqrt,
    Exp,
    Log,
    Log1p,
    Pow,    // functions
    Select, // select(cond, a, b)
  };
  Kind kind = Kind::Const;
  Op op = Op::Add;
  double value = 0.0;                            // Const
  std::string column;                            // Column: the name as written
  int arg = -1;                                  // Column: index into the owning node's args
  std::vector<std::shared_ptr<const Expr>> args; // Op operands
};
using ExprPtr = std::shared_ptr<const Expr>;

/// Spelling of an operator or function as in the expression grammar.
llvm::StringRef exprOpName(Expr::Op op);

/// Whether `e` (null: no expression) calls exp, log, log1p or pow.
bool callsTranscendental(const Expr *e);

/// Parses expression text. Column references are left unresolved (arg = -1).
/// Errors say where in the text parsing failed.
llvm::Expected<ExprPtr> parseExpr(llvm::StringRef text);

namespace detail {

/// One column reference in expression text, in text order.
struct ExprRef {
  std::string name;
  size_t offset = 0;
};

/// parseExpr() that also reports every column reference with its offset.
llvm::Expected<ExprPtr> parseExprWithRefs(llvm::StringRef text, std::vector<ExprRef> *refs);

/// Prints an expression in canonical form: single spaces around binary
/// operators, the fewest parentheses that keep the tree, `select(c, a, b)`
/// for the conditional, `and`/`or`/`not` for the logical operators, names in
/// backquotes only where needed. parseExpr(printExpr(e)) rebuilds e.
std::string printExpr(const Expr &e);

/// True if `name` can be written without backquotes in an expression.
bool isPlainExprName(llvm::StringRef name);

/// Copies `e` with every Column node's `arg` set from `argOf` (names absent
/// from the map get 0: resolve only after checking every reference)
/// (Expr.cpp).
ExprPtr resolveExpr(const ExprPtr &e, const llvm::StringMap<int> &argOf);

} // namespace detail
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_DESCRIPTOR_EXPR_H
