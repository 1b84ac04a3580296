//===- ExprTest.cpp - The expression language -----------------------------===//
//
// parseExpr, the expression language of expr steps and of rules: atoms and
// numbers, precedence and associativity, the functions, every error with its
// offset, and the nesting limit.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/Expr.h"
#include "DescriptorTestSupport.h"

#include "specjit/Descriptor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <string>

using namespace specjit::jit;
using namespace specjit_test;
using llvm::StringRef;

namespace {

std::string parseToSexpr(StringRef text) {
  llvm::Expected<ExprPtr> e = parseExpr(text);
  if (!e)
    return "error: " + llvm::toString(e.takeError());
  return sexpr(**e);
}

std::string exprError(StringRef text) {
  llvm::Expected<ExprPtr> e = parseExpr(text);
  if (e)
    return "<no error: " + sexpr(**e) + ">";
  return llvm::toString(e.takeError());
}

TEST(ExprParse, AtomsAndNumbers) {
  EXPECT_EQ(parseToSexpr("x"), "x");
  EXPECT_EQ(parseToSexpr("  x  "), "x");
  EXPECT_EQ(parseToSexpr("a.b_c9"), "a.b_c9");
  EXPECT_EQ(parseToSexpr("_x"), "_x");
  EXPECT_EQ(parseToSexpr("1"), "1");
  EXPECT_EQ(parseToSexpr("0.5"), "0.5");
  EXPECT_EQ(parseToSexpr("2e-3"), "0.002");
  EXPECT_EQ(parseToSexpr("1E+2"), "100");
  EXPECT_EQ(parseToSexpr("`col=a`"), "col=a");
  EXPECT_EQ(parseToSexpr("`a b` + `and`"), "(+ a b and)");
  // inf and nan are names, not literals.
  EXPECT_EQ(parseToSexpr("inf"), "inf");
  EXPECT_EQ(parseToSexpr("nan"), "nan");
  // A function name without a call is a column.
  EXPECT_EQ(parseToSexpr("min + log"), "(+ min log)");
  llvm::Expected<ExprPtr> c = parseExpr("x");
  ASSERT_TRUE(static_cast<bool>(c));
  EXPECT_EQ((*c)->kind, Expr::Kind::Column);
  EXPECT_EQ((*c)->arg, -1); // unresolved
}

TEST(ExprParse, PrecedenceAndAssociativity) {
  EXPECT_EQ(parseToSexpr("a + b * c"), "(+ a (* b c))");
  EXPECT_EQ(parseToSexpr("(a + b) * c"), "(* (+ a b) c)");
  EXPECT_EQ(parseToSexpr("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(parseToSexpr("a / b / c"), "(/ (/ a b) c)");
  EXPECT_EQ(parseToSexpr("a - b + c"), "(+ (- a b) c)");
  EXPECT_EQ(parseToSexpr("a * b / c * d"), "(* (/ (* a b) c) d)");
  // ** is right-associative and binds tighter than unary minus on its left.
  EXPECT_EQ(parseToSexpr("a ** b ** c"), "(pow a (pow b c))");
  EXPECT_EQ(parseToSexpr("-a ** b"), "(neg (pow a b))");
  EXPECT_EQ(parseToSexpr("a ** -b"), "(pow a (neg b))");
  EXPECT_EQ(parseToSexpr("2 * a ** 2"), "(* 2 (pow a 2))");
  EXPECT_EQ(parseToSexpr("--a"), "(neg (neg a))");
  EXPECT_EQ(parseToSexpr("a - -b"), "(- a (neg b))");
  EXPECT_EQ(parseToSexpr("-a * b"), "(* (neg a) b)");
  // Comparisons below arithmetic, not below comparisons, and below not.
  EXPECT_EQ(parseToSexpr("a + 1 < b * 2"), "(< (+ a 1) (* b 2))");
  EXPECT_EQ(parseToSexpr("a < b and c >= d"), "(and (< a b) (>= c d))");
  EXPECT_EQ(parseToSexpr("a or b and c"), "(or a (and b c))");
  EXPECT_EQ(parseToSexpr("a and b or c"), "(or (and a b) c)");
  EXPECT_EQ(parseToSexpr("a or b or c"), "(or (or a b) c)");
  EXPECT_EQ(parseToSexpr("not a < b"), "(not (< a b))");
  EXPECT_EQ(parseToSexpr("not a and b"), "(and (not a) b)");
  EXPECT_EQ(parseToSexpr("not not a"), "(not (not a))");
  EXPECT_EQ(parseToSexpr("a and not b"), "(and a (not b))");
  EXPECT_EQ(parseToSexpr("!a && b || c"), "(or (and (not a) b) c)");
  EXPECT_EQ(parseToSexpr("a == b"), "(== a b)");
  EXPECT_EQ(parseToSexpr("a != b"), "(!= a b)");
  EXPECT_EQ(parseToSexpr("a <= b"), "(<= a b)");
  EXPECT_EQ(parseToSexpr("a > b"), "(> a b)");
  // The conditional is select, lowest precedence, right-nested.
  EXPECT_EQ(parseToSexpr("a < 0 ? b : c + 1"), "(select (< a 0) b (+ c 1))");
  EXPECT_EQ(parseToSexpr("a ? b : c ? d : e"), "(select a b (select c d e))");
  EXPECT_EQ(parseToSexpr("a ? b ? c : d : e"), "(select a (select b c d) e)");
  EXPECT_EQ(parseToSexpr("a or b ? c : d"), "(select (or a b) c d)");
}

TEST(ExprParse, Functions) {
  EXPECT_EQ(parseToSexpr("min(a, b)"), "(min a b)");
  EXPECT_EQ(parseToSexpr("max(a,b)"), "(max a b)");
  EXPECT_EQ(parseToSexpr("abs(x)"), "(abs x)");
  EXPECT_EQ(parseToSexpr("sqrt(x)"), "(sqrt x)");
  EXPECT_EQ(parseToSexpr("exp(x)"), "(exp x)");
  EXPECT_EQ(parseToSexpr("log(x)"), "(log x)");
  EXPECT_EQ(parseToSexpr("log1p(x)"), "(log1p x)");
  EXPECT_EQ(parseToSexpr("pow(a, 2)"), "(pow a 2)");
  EXPECT_EQ(parseToSexpr("select(c, a, b)"), "(select c a b)");
  EXPECT_EQ(parseToSexpr("min (a, max(b, c ? 1 : 2))"), "(min a (max b (select c 1 2)))");
  // pow() and ** are the same node; so are select() and ?:.
  EXPECT_EQ(parseToSexpr("pow(a, b)"), parseToSexpr("a ** b"));
  EXPECT_EQ(parseToSexpr("select(a, b, c)"), parseToSexpr("a ? b : c"));
}

TEST(ExprParse, Errors) {
  auto has = [](StringRef text, StringRef what) {
    std::string err = exprError(text);
    EXPECT_NE(err.find(what.str()), std::string::npos)
        << "text: " << text.str() << "\nerror: " << err;
  };
  has("", "expected an expression at offset 0");
  has("   ", "expected an expression at offset 0");
  has("a +", "expected a number, a column name, a function call or '(', got "
             "end of expression at offset 3");
  has("(a + b", "expected ')' (to close the '(' at offset 0)");
  has("(a + b", "at offset 6");
  has("a + b)", "unmatched ')' at offset 5");
  has("a b", "unexpected 'b' (expected an operator or the end of the "
             "expression) at offset 2");
  has("min(a)", "'min' takes 2 arguments, got 1 at offset 0");
  has("abs(a, b)", "'abs' takes 1 argument, got 2");
  has("select(a, b)", "'select' takes 3 arguments, got 2");
  has("foo(a)", "unknown function 'foo'");
  has("foo(a)", "at offset 0");
  has("min(a b)", "expected ',' or ')' in the arguments of 'min'");
  has("a = b", "unexpected '=' (did you mean '=='?) at offset 2");
  has("a & b", "did you mean '&&'?");
  has("a | b", "did you mean '||'?");
  has("1.", "expected a digit after '.' at offset 2");
  has("1e", "expected the digits of an exponent at offset 2");
  has("2x", "unexpected 'x' after a number at offset 1");
  has("1e999", "out of range at offset 0");
  has("`abc", "unterminated backquoted name");
  has("a + ``", "empty backquoted name at offset 4");
  has("a < b < c", "comparisons do not chain");
  has("a + not b", "'not' needs parentheses here at offset 4");
  has("a < !b", "'!' needs parentheses here");
  has("a ? b", "expected ':' (for the '?' at offset 2)");
  has("a $ b", "unexpected character '$' at offset 2");
  has("a\x01", "unexpected control character 1 at offset 1");
  has("a \xc3\xa9", "non-ASCII");
  has("`min`(a, b)", "unexpected '(' (only function names can be called)");
  has("and", "got 'and'");
  has(".5", "unexpected character '.'");
}

TEST(ExprParse, DepthLimit) {
  // Deep nesting of every recursive form errors cleanly (no stack overflow).
  std::string parens = std::string(100000, '(') + "x" + std::string(100000, ')');
  EXPECT_NE(exprError(parens).find("nested deeper than 256 levels"), std::string::npos);
  EXPECT_NE(exprError(std::string(100000, '-') + "x").find("nested deeper"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100000; ++i)
    nots += "not ";
  EXPECT_NE(exprError(nots + "x").find("nested deeper"), std::string::npos);
  std::string pows = "x";
  for (int i = 0; i < 100000; ++i)
    pows += "**x";
  EXPECT_NE(exprError(pows).find("nested deeper"), std::string::npos);
  std::string calls;
  for (int i = 0; i < 100000; ++i)
    calls += "abs(";
  calls += "x" + std::string(100000, ')');
  EXPECT_NE(exprError(calls).find("nested deeper"), std::string::npos);
  // A long left-associative chain makes a deep tree: also bounded.
  std::string sum = "x";
  for (int i = 0; i < 100000; ++i)
    sum += "+x";
  EXPECT_NE(exprError(sum).find("nested deeper"), std::string::npos);
  // Within the limit is fine.
  std::string ok = std::string(100, '(') + "x" + std::string(100, ')');
  EXPECT_EQ(parseToSexpr(ok), "x");
  std::string chain = "x";
  for (int i = 0; i < 200; ++i)
    chain += "+x";
  EXPECT_TRUE(static_cast<bool>(parseExpr(chain)));
}

} // namespace
