//===- DescriptorTest.cpp - Parsing, validation, plan and hashing ---------===//

#include "specjit/Descriptor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <regex>
#include <set>

using namespace specjit::jit;
using llvm::StringRef;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A pipeline document from its parts (JSON fragments).
std::string doc(const std::string &inputs, const std::string &steps,
                const std::string &output = R"({"type":"f32"})") {
  return R"({"specjit":1,"kind":"pipeline","inputs":)" + inputs +
         R"(,"output":)" + output + R"(,"steps":)" + steps + "}";
}

const char *kABC = R"([{"name":"a","type":"f64"},{"name":"b","type":"f64"},)"
                   R"({"name":"c","type":"f64"}])";

std::string errorOf(StringRef text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (d)
    return "<no error>";
  return llvm::toString(d.takeError());
}

/// Expects an error whose message starts with "<path>: " and contains `what`.
#define EXPECT_PARSE_ERROR(text, path, what)                                   \
  do {                                                                         \
    std::string err_ = errorOf(text);                                          \
    EXPECT_TRUE(StringRef(err_).starts_with(std::string(path) + ": "))         \
        << "error: " << err_ << "\nexpected path: " << (path);                 \
    EXPECT_NE(err_.find(what), std::string::npos)                              \
        << "error: " << err_ << "\nexpected to contain: " << (what);           \
  } while (0)

/// Parses text that must be valid.
Descriptor parseOk(StringRef text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError()) << "\nin: " << text.str();
    return Descriptor();
  }
  return std::move(*d);
}

#define ASSERT_PARSES(var, text)                                               \
  llvm::Expected<Descriptor> var##OrErr = Descriptor::parse(text);             \
  ASSERT_TRUE(static_cast<bool>(var##OrErr))                                   \
      << llvm::toString(var##OrErr.takeError());                               \
  const Descriptor &var = *var##OrErr

/// Expression tree as an S-expression: (+ a (* b 2)), $0 for resolved args.
std::string sexpr(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Const: {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), e.value);
    return std::string(buf, r.ptr);
  }
  case Expr::Kind::Column:
    return e.arg < 0 ? e.column : e.column + "$" + std::to_string(e.arg);
  case Expr::Kind::Op: {
    std::string s = "(" + exprOpName(e.op).str();
    if (e.op == Expr::Op::Neg)
      s = "(neg";
    for (const ExprPtr &a : e.args)
      s += " " + sexpr(*a);
    return s + ")";
  }
  }
  return "?";
}

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

std::vector<std::string> names(const Descriptor &d) { return d.outputNames(); }

//===----------------------------------------------------------------------===//
// Names of enums
//===----------------------------------------------------------------------===//

TEST(DescriptorNames, OpsAndKinds) {
  EXPECT_EQ(kindName(Kind::Pipeline), "pipeline");
  EXPECT_EQ(stepOpName(StepOp::Standardize), "standardize");
  EXPECT_EQ(stepOpName(StepOp::MinMax), "minmax");
  EXPECT_EQ(stepOpName(StepOp::Log), "log");
  EXPECT_EQ(stepOpName(StepOp::Log1p), "log1p");
  EXPECT_EQ(stepOpName(StepOp::Clip), "clip");
  EXPECT_EQ(stepOpName(StepOp::Impute), "impute");
  EXPECT_EQ(stepOpName(StepOp::OneHot), "one_hot");
  EXPECT_EQ(stepOpName(StepOp::LabelEncode), "label_encode");
  EXPECT_EQ(stepOpName(StepOp::Polynomial), "polynomial");
  EXPECT_EQ(stepOpName(StepOp::Bucketize), "bucketize");
  EXPECT_EQ(stepOpName(StepOp::Expr), "expr");
  EXPECT_EQ(exprOpName(Expr::Op::Add), "+");
  EXPECT_EQ(exprOpName(Expr::Op::Le), "<=");
  EXPECT_EQ(exprOpName(Expr::Op::Ne), "!=");
  EXPECT_EQ(exprOpName(Expr::Op::And), "and");
  EXPECT_EQ(exprOpName(Expr::Op::Not), "not");
  EXPECT_EQ(exprOpName(Expr::Op::Log1p), "log1p");
  EXPECT_EQ(exprOpName(Expr::Op::Select), "select");
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

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
  EXPECT_EQ(parseToSexpr("a < 0 ? b : c + 1"),
            "(select (< a 0) b (+ c 1))");
  EXPECT_EQ(parseToSexpr("a ? b : c ? d : e"),
            "(select a b (select c d e))");
  EXPECT_EQ(parseToSexpr("a ? b ? c : d : e"),
            "(select a (select b c d) e)");
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
  EXPECT_EQ(parseToSexpr("min (a, max(b, c ? 1 : 2))"),
            "(min a (max b (select c 1 2)))");
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
  std::string parens = std::string(100000, '(') + "x" +
                       std::string(100000, ')');
  EXPECT_NE(exprError(parens).find("nested deeper than 256 levels"),
            std::string::npos);
  EXPECT_NE(exprError(std::string(100000, '-') + "x").find("nested deeper"),
            std::string::npos);
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

//===----------------------------------------------------------------------===//
// Errors: JSON path and what was expected
//===----------------------------------------------------------------------===//

TEST(DescriptorErrors, JsonSyntax) {
  std::string err = errorOf("{\"specjit\": 1,\n  \"kind\": }");
  EXPECT_TRUE(StringRef(err).starts_with("descriptor: invalid JSON at line 2"))
      << err;
  EXPECT_NE(err.find("column"), std::string::npos) << err;
  EXPECT_TRUE(StringRef(errorOf("")).starts_with("descriptor: invalid JSON"));
  EXPECT_TRUE(StringRef(errorOf("{\"a\":\"\xff\"}"))
                  .starts_with("descriptor: invalid JSON"));
  EXPECT_PARSE_ERROR("[1, 2]", "descriptor", "expected a JSON object");
  EXPECT_PARSE_ERROR("42", "descriptor", "expected a JSON object (a descriptor), got 42");
}

TEST(DescriptorErrors, DuplicateKeys) {
  EXPECT_PARSE_ERROR(R"({"specjit":1,"specjit":1,"kind":"pipeline"})",
                     "descriptor", "duplicate key 'specjit' (line 1, column 14)");
  EXPECT_PARSE_ERROR(
      doc(kABC, R"([{"op":"log","column":"a"},)"
                R"({"op":"standardize","column":"a","mean":1,"mean":2,"std":1}])"),
      "steps[1]", "duplicate key 'mean'");
  // Escaped spellings of the same key are the same key.
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"a","type":"f64","n\u0061me":"b"}])", "[]"),
      "inputs[0]", "duplicate key 'name'");
}

TEST(DescriptorErrors, Header) {
  EXPECT_PARSE_ERROR(R"({"kind":"pipeline"})", "descriptor",
                     "missing required key 'specjit'");
  EXPECT_PARSE_ERROR(R"({"specjit":2,"kind":"pipeline"})", "specjit",
                     "unsupported format version 2");
  EXPECT_PARSE_ERROR(R"({"specjit":"1","kind":"pipeline"})", "specjit",
                     "expected the format version 1, got the string '1'");
  EXPECT_PARSE_ERROR(R"({"specjit":1.5,"kind":"pipeline"})", "specjit",
                     "expected the format version 1");
  EXPECT_PARSE_ERROR(R"({"specjit":1})", "descriptor",
                     "missing required key 'kind'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"knd":"pipeline"})", "descriptor",
                     "found 'knd', a misspelling?");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"classifier"})", "kind",
                     "unknown kind 'classifier' (expected one of pipeline, "
                     "series, rules, model, train, eval)");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"serie"})", "kind",
                     "did you mean 'series'?");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":3})", "kind", "expected a string");
  EXPECT_PARSE_ERROR(doc(kABC, "[]").insert(1, R"("extra":1,)"), "descriptor",
                     "unknown key 'extra'");
  EXPECT_PARSE_ERROR(doc(kABC, "[]").insert(1, R"("stesp":[],)"), "descriptor",
                     "unknown key 'stesp' (did you mean 'steps'?)");
  EXPECT_PARSE_ERROR(doc(kABC, "[]").insert(1, R"("name":7,)"), "name",
                     "expected a string, got 7");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"pipeline","output":{"type":"f32"}})",
                     "descriptor", "missing required key 'inputs'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"a","type":"f64"}]})",
                     "descriptor", "missing required key 'output'");
  EXPECT_PARSE_ERROR(doc(kABC, "{}"), "steps", "expected an array of steps");
}

TEST(DescriptorErrors, Inputs) {
  EXPECT_PARSE_ERROR(doc("[]", "[]"), "inputs",
                     "expected a non-empty array of input columns");
  EXPECT_PARSE_ERROR(doc("{}", "[]"), "inputs",
                     "expected a non-empty array of input columns, got an "
                     "object");
  EXPECT_PARSE_ERROR(doc(R"(["a"])", "[]"), "inputs[0]",
                     "expected an input column object");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"nme":"b","type":"f64"}])",
                         "[]"),
                     "inputs[1]", "unknown key 'nme' (did you mean 'name'?)");
  EXPECT_PARSE_ERROR(doc(R"([{"type":"f64"}])", "[]"), "inputs[0]",
                     "missing required key 'name'");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"","type":"f64"}])", "[]"),
                     "inputs[0].name", "expected a non-empty string");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"name":"a","type":"i64"}])",
                         "[]"),
                     "inputs[1].name", "duplicate input name 'a' (also inputs[0])");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a"}])", "[]"), "inputs[0]",
                     "missing required key 'type'");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"name":"b","type":"int64"}])",
                         "[]"),
                     "inputs[1].type",
                     "expected one of bool, i32, i64, f32, f64, string");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64","missing":-1}])", "[]"),
                     "inputs[0].missing",
                     "only bool, i32 and i64 inputs take a 'missing' sentinel");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"string","missing":0}])", "[]"),
                     "inputs[0].missing", "string columns have no missing value");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"i64","missing":1.5}])", "[]"),
                     "inputs[0].missing", "expected an integer");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"i64","missing":"x"}])", "[]"),
                     "inputs[0].missing", "expected an integer");
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"a","type":"i32","missing":3000000000}])", "[]"),
      "inputs[0].missing", "within the range of i32");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"bool","missing":2}])", "[]"),
                     "inputs[0].missing", "within the range of bool ([0, 1])");
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"a","type":"i64","missing":9223372036854775808}])", "[]"),
      "inputs[0].missing", "within the range of i64");
}

TEST(DescriptorErrors, Output) {
  std::string in = R"([{"name":"a","type":"f64"},{"name":"s","type":"string"}])";
  EXPECT_PARSE_ERROR(doc(kABC, "[]", "[]"), "output", "expected an object");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({})"), "output",
                     "missing required key 'type'");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"i32"})"), "output.type",
                     "expected one of f32, f64");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","colums":["a"]})"),
                     "output", "unknown key 'colums' (did you mean 'columns'?)");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":[]})"),
                     "output.columns", "expected a non-empty array");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":["a",3]})"),
                     "output.columns[1]", "expected a column name");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":["a","b","a"]})"),
                     "output.columns[2]", "duplicate output column 'a'");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":["a","x"]})"),
                     "output.columns[1]", "unknown column 'x'");
  // A string column may not reach the output, listed or implied.
  EXPECT_PARSE_ERROR(doc(in, "[]"), "output",
                     "column 's' is a string column and cannot be written");
  EXPECT_PARSE_ERROR(doc(in, "[]", R"({"type":"f32","columns":["s"]})"),
                     "output.columns[0]", "'s' is a string column");
  // Dropping it with output.columns is fine.
  parseOk(doc(in, "[]", R"({"type":"f32","columns":["a"]})"));
}

TEST(DescriptorErrors, StepShape) {
  EXPECT_PARSE_ERROR(doc(kABC, "[1]"), "steps[0]", "expected a step object");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"column":"a"}])"), "steps[0]",
                     "missing required key 'op' (one of standardize, minmax,");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":7}])"), "steps[0].op",
                     "expected one of standardize");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"standardise","column":"a"}])"),
                     "steps[0].op",
                     "unknown op 'standardise' (expected one of standardize, "
                     "minmax, log, log1p, clip, impute, one_hot, label_encode, "
                     "polynomial, bucketize, expr)");
  EXPECT_PARSE_ERROR(
      doc(kABC, R"([{"op":"log","column":"a"},)"
                R"({"op":"standardize","colum":"a","mean":0,"std":1}])"),
      "steps[1]", "unknown key 'colum'");
  EXPECT_PARSE_ERROR(
      doc(kABC, R"([{"op":"log","column":"a","mean":0}])"), "steps[0]",
      "unknown key 'mean'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log"}])"), "steps[0]",
                     "missing required key 'column'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log","column":""}])"),
                     "steps[0].column", "expected a column name");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log","column":["a"]}])"),
                     "steps[0].column", "expected a column name");
}

TEST(DescriptorErrors, UnknownColumns) {
  std::string steps = R"([{"op":"log","column":"a"},{"op":"log","column":"b"},)"
                      R"({"op":"log","column":"c"},{"op":"log","column":"foo"}])";
  EXPECT_PARSE_ERROR(doc(kABC, steps), "steps[3].column",
                     "unknown column 'foo' (current columns: a, b, c)");
  // A column consumed by an earlier step is gone.
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"c","type":"i64"}])",
          R"([{"op":"one_hot","column":"c","categories":[1,2]},)"
          R"({"op":"log","column":"c"}])"),
      "steps[1].column", "unknown column 'c' (current columns: c=1, c=2)");
}

TEST(DescriptorErrors, NumericParameters) {
  auto step = [](const std::string &s) { return doc(kABC, "[" + s + "]"); };
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":0,"std":0})"),
                     "steps[0].std", "expected a finite number > 0, got 0");
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":0,"std":-2})"),
                     "steps[0].std", "expected a finite number > 0");
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","std":1})"),
                     "steps[0]", "missing required key 'mean'");
  EXPECT_PARSE_ERROR(
      step(R"({"op":"standardize","column":"a","mean":"0","std":1})"),
      "steps[0].mean", "expected a finite number, got the string '0'");
  EXPECT_PARSE_ERROR(
      step(R"({"op":"standardize","column":"a","mean":null,"std":1})"),
      "steps[0].mean", "expected a finite number, got null");
  // 1e999 parses to infinity: rejected.
  EXPECT_PARSE_ERROR(
      step(R"({"op":"standardize","column":"a","mean":1e999,"std":1})"),
      "steps[0].mean", "expected a finite number");
  EXPECT_PARSE_ERROR(
      step(R"({"op":"standardize","column":"a","mean":0,"std":1e999})"),
      "steps[0].std", "expected a finite number > 0");
  EXPECT_PARSE_ERROR(step(R"({"op":"minmax","column":"a","min":1,"max":1})"),
                     "steps[0].max", "expected a finite number > min (1)");
  EXPECT_PARSE_ERROR(step(R"({"op":"minmax","column":"a","min":2,"max":1})"),
                     "steps[0].max", "> min");
  EXPECT_PARSE_ERROR(step(R"({"op":"minmax","column":"a","min":0})"),
                     "steps[0]", "missing required key 'max'");
  EXPECT_PARSE_ERROR(
      step(R"({"op":"minmax","column":"a","min":-1e308,"max":1e308})"),
      "steps[0].max", "max - min overflows");
  EXPECT_PARSE_ERROR(step(R"({"op":"clip","column":"a"})"), "steps[0]",
                     "clip needs a bound");
  EXPECT_PARSE_ERROR(step(R"({"op":"clip","column":"a","min":3,"max":1})"),
                     "steps[0].max", "expected a finite number >= min (3)");
  EXPECT_PARSE_ERROR(step(R"({"op":"clip","column":"a","min":-1e999})"),
                     "steps[0].min", "expected a finite number");
  EXPECT_PARSE_ERROR(step(R"({"op":"impute","column":"a","value":1e999})"),
                     "steps[0].value", "expected a finite number");
  EXPECT_PARSE_ERROR(step(R"({"op":"impute","column":"a"})"), "steps[0]",
                     "missing required key 'value'");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[]})"),
                     "steps[0].edges", "expected a non-empty array");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[1,3,2]})"),
                     "steps[0].edges[2]",
                     "expected edges in strictly increasing order, got 2 "
                     "after 3");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[1,1]})"),
                     "steps[0].edges[1]", "strictly increasing");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[1,"2"]})"),
                     "steps[0].edges[1]", "expected a finite number");
}

TEST(DescriptorErrors, StringColumns) {
  std::string in = R"([{"name":"s","type":"string"},{"name":"x","type":"f64"}])";
  for (const char *op : {"log", "log1p"})
    EXPECT_PARSE_ERROR(
        doc(in, std::string(R"([{"op":")") + op + R"(","column":"s"}])"),
        "steps[0].column",
        "column 's' is a string column, but " + std::string(op) +
            " needs a numeric column");
  EXPECT_PARSE_ERROR(
      doc(in, R"([{"op":"standardize","column":"s","mean":0,"std":1}])"),
      "steps[0].column", "string column");
  EXPECT_PARSE_ERROR(doc(in, R"([{"op":"impute","column":"s","value":0}])"),
                     "steps[0].column",
                     "is a string column, which has no missing values");
  EXPECT_PARSE_ERROR(
      doc(in, R"([{"op":"polynomial","columns":["x","s"],"degree":2}])"),
      "steps[0].columns[1]", "string column");
  EXPECT_PARSE_ERROR(doc(in, R"([{"op":"expr","name":"y","expr":"x + s"}])"),
                     "steps[0].expr",
                     "column 's' at offset 4 is a string column");
}

TEST(DescriptorErrors, Impute) {
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"n","type":"i64"}])",
          R"([{"op":"impute","column":"n","value":0}])"),
      "steps[0].column",
      "integer column without a 'missing' sentinel");
  // After an impute the column has no sentinel any more.
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"n","type":"i64","missing":-1}])",
          R"([{"op":"impute","column":"n","value":0},)"
          R"({"op":"impute","column":"n","value":0}])"),
      "steps[1].column", "without a 'missing' sentinel");
}

TEST(DescriptorErrors, OneHot) {
  std::string ints = R"([{"name":"c","type":"i64","missing":-1}])";
  std::string floats = R"([{"name":"f","type":"f64"}])";
  std::string strs = R"([{"name":"s","type":"string"}])";
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"log","column":"c"},{"op":"log","column":"c"},)"
                R"({"op":"one_hot","column":"c","categories":[]}])"),
      "steps[2].categories", "expected a non-empty array of numbers");
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"one_hot","column":"c","categories":[]}])"),
      "steps[0].categories", "expected a non-empty array of integers");
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"one_hot","column":"c","categories":"0,1"}])"),
      "steps[0].categories", "expected a non-empty array of integers");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c"}])"),
                     "steps[0]", "missing required key 'categories'");
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"one_hot","column":"c","categories":[1,1.5]}])"),
      "steps[0].categories[1]",
      "expected an integer (column 'c' is an integer column), got 1.5");
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"one_hot","column":"c","categories":[1,"a"]}])"),
      "steps[0].categories[1]", "expected an integer");
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"one_hot","column":"c","categories":[1,2,1]}])"),
      "steps[0].categories[2]", "duplicate category '1' (also at index 0)");
  // 2 and 2.0 are the same integer.
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"one_hot","column":"c","categories":[2,2.0]}])"),
      "steps[0].categories[1]", "duplicate category '2'");
  EXPECT_PARSE_ERROR(
      doc(ints, R"([{"op":"one_hot","column":"c","categories":[0,-1]}])"),
      "steps[0].categories[1]",
      "category -1 is the missing sentinel of column 'c'");
  EXPECT_PARSE_ERROR(
      doc(floats, R"([{"op":"one_hot","column":"f","categories":[0.5,5e-1]}])"),
      "steps[0].categories[1]", "duplicate category '0.5'");
  EXPECT_PARSE_ERROR(
      doc(floats, R"([{"op":"one_hot","column":"f","categories":[0,-0.0]}])"),
      "steps[0].categories[1]", "duplicate category");
  EXPECT_PARSE_ERROR(
      doc(floats, R"([{"op":"one_hot","column":"f","categories":["a"]}])"),
      "steps[0].categories[0]", "expected a finite number (column 'f' is a "
                                "float column)");
  EXPECT_PARSE_ERROR(
      doc(strs, R"([{"op":"one_hot","column":"s","categories":[1]}])"),
      "steps[0].categories[0]", "expected a string");
  EXPECT_PARSE_ERROR(
      doc(strs, R"([{"op":"one_hot","column":"s","categories":["x","x"]}])"),
      "steps[0].categories[1]", "duplicate category 'x'");
  EXPECT_PARSE_ERROR(
      doc(strs, R"([{"op":"one_hot","column":"s","categories":["x"],)"
                R"("unknown":"ignore"}])"),
      "steps[0].unknown", "expected one of zeros, error");
}

TEST(DescriptorErrors, LabelEncode) {
  std::string ints = R"([{"name":"c","type":"i64","missing":-1}])";
  std::string floats = R"([{"name":"f","type":"f64"}])";
  std::string strs = R"([{"name":"s","type":"string"}])";
  auto le = [](const std::string &col, const std::string &rest) {
    return R"([{"op":"label_encode","column":")" + col + "\"," + rest + "}]";
  };
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{})")), "steps[0].mapping",
                     "expected a non-empty object {category: code} or a "
                     "non-empty array of strings");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":[])")), "steps[0].mapping",
                     "non-empty");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":3)")), "steps[0].mapping",
                     "got 3");
  EXPECT_PARSE_ERROR(doc(strs, "[{\"op\":\"label_encode\",\"column\":\"s\"}]"),
                     "steps[0]", "missing required key 'mapping'");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{"a":"x"})")),
                     "steps[0].mapping.a", "expected a finite number (the code)");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{"a":1e999})")),
                     "steps[0].mapping.a", "expected a finite number");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{"a":1},"default":"z")")),
                     "steps[0].default", "expected a finite number");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":["a","b","a"])")),
                     "steps[0].mapping[2]", "duplicate category 'a'");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":["a",1])")),
                     "steps[0].mapping[1]", "expected a string");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"1.5":0})")),
                     "steps[0].mapping[\"1.5\"]",
                     "expected a decimal integer key");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"abc":0})")),
                     "steps[0].mapping.abc", "expected a decimal integer key");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"1":0,"01":1})")),
                     "steps[0].mapping.1", "duplicate category '1'");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"-1":0})")),
                     "steps[0].mapping[\"-1\"]",
                     "category -1 is the missing sentinel");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":[1,-1])")),
                     "steps[0].mapping[1]", "missing sentinel");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":[1,2.5])")),
                     "steps[0].mapping[1]", "expected an integer");
  EXPECT_PARSE_ERROR(doc(floats, le("f", R"("mapping":{"x":0})")),
                     "steps[0].mapping.x",
                     "expected a key that is a finite JSON number");
  EXPECT_PARSE_ERROR(doc(floats, le("f", R"("mapping":{"1":0,"1.0":1})")),
                     "steps[0].mapping[\"1.0\"]", "duplicate category '1'");
  EXPECT_PARSE_ERROR(doc(floats, le("f", R"("mapping":{"1e999":0})")),
                     "steps[0].mapping.1e999", "finite JSON number");
}

TEST(DescriptorErrors, Polynomial) {
  auto poly = [](const std::string &rest) {
    return doc(kABC, R"([{"op":"polynomial",)" + rest + "}]");
  };
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":0)"),
                     "steps[0].degree", "expected an integer in 1..8, got 0");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":9)"),
                     "steps[0].degree", "expected an integer in 1..8, got 9");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":2.5)"),
                     "steps[0].degree", "expected an integer in 1..8");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":"2")"),
                     "steps[0].degree", "expected an integer in 1..8");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"])"), "steps[0]",
                     "missing required key 'degree'");
  EXPECT_PARSE_ERROR(poly(R"("columns":[],"degree":2)"), "steps[0].columns",
                     "expected a non-empty array of numeric column names");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b","a"],"degree":2)"),
                     "steps[0].columns[2]", "duplicate column 'a'");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","z"],"degree":2)"),
                     "steps[0].columns[1]", "unknown column 'z'");
  EXPECT_PARSE_ERROR(
      poly(R"("columns":["a","b"],"degree":2,"interaction_only":"yes")"),
      "steps[0].interaction_only", "expected true or false");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":2,"include_bias":1)"),
                     "steps[0].include_bias", "expected true or false");
  EXPECT_PARSE_ERROR(poly(R"("column":"a","degree":2)"), "steps[0]",
                     "unknown key 'column' (did you mean 'columns'?)");
  // A produced name may not collide with a column that stays.
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"a","type":"f64"},{"name":"b","type":"f64"},)"
          R"({"name":"a b","type":"f64"}])",
          R"([{"op":"polynomial","columns":["a","b"],"degree":2}])"),
      "steps[0]",
      "polynomial produces the column 'a b', which collides with the current "
      "column 'a b' (from inputs[2])");
}

TEST(DescriptorErrors, Expr) {
  std::string steps = R"([{"op":"log","column":"a"},{"op":"log","column":"a"},)"
                      R"({"op":"log","column":"a"},{"op":"log","column":"a"},)"
                      R"({"op":"expr","name":"y","expr":"a + b * z"}])";
  EXPECT_PARSE_ERROR(doc(kABC, steps), "steps[4].expr",
                     "unknown column 'z' at offset 8 (current columns: a, b, c)");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":"a + (b"}])"),
                     "steps[0].expr", "expected ')'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":""}])"),
                     "steps[0].expr", "expected an expression at offset 0");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":3}])"),
                     "steps[0].expr", "expected the expression text");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","expr":"a"}])"), "steps[0]",
                     "missing required key 'name'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"","expr":"a"}])"),
                     "steps[0].name", "expected a column name");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":"`a b`"}])"),
                     "steps[0].expr", "unknown column 'a b' at offset 0");
}

TEST(DescriptorErrors, NameCollisions) {
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"c","type":"i64"},{"name":"c=1","type":"f64"}])",
          R"([{"op":"one_hot","column":"c","categories":[0,1]}])"),
      "steps[0]",
      "one_hot produces the column 'c=1', which collides with the current "
      "column 'c=1' (from inputs[1])");
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"c","type":"i64"},{"name":"d","type":"f64"}])",
          R"([{"op":"expr","name":"c=1","expr":"d"},)"
          R"({"op":"one_hot","column":"c","categories":[0,1]}])"),
      "steps[1]", "(from steps[0])");
  // Polynomial names can repeat with unusual column names.
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"a","type":"f64"},{"name":"a^2","type":"f64"}])",
          R"([{"op":"polynomial","columns":["a","a^2"],"degree":2}])"),
      "steps[0]", "would produce the column 'a^2' twice");
}

TEST(DescriptorErrors, Limits) {
  // Text larger than the limit.
  std::string big(kMaxDescriptorBytes + 1, ' ');
  EXPECT_PARSE_ERROR(big, "descriptor", "more than the limit of 67108864 bytes");
  // Deep JSON is rejected before llvm::json recurses into it.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_PARSE_ERROR(deep, "descriptor", "JSON nested deeper than 256 levels");
  std::string deepObj;
  for (int i = 0; i < 100000; ++i)
    deepObj += "{\"a\":";
  deepObj += "1" + std::string(100000, '}');
  EXPECT_PARSE_ERROR(deepObj, "descriptor", "nested deeper than 256");
  // Bounds on what llvm::json would allocate, checked before it runs.
  std::string objects = "[";
  for (int i = 0; i < 140000; ++i)
    objects += i ? ",{}" : "{}";
  objects += "]";
  EXPECT_PARSE_ERROR(objects, "descriptor",
                     "more than 131072 JSON objects");
  std::string values = "[0";
  values.reserve(2 * 8400000);
  for (int i = 0; i < 8400000; ++i)
    values += ",0";
  values += "]";
  EXPECT_PARSE_ERROR(values, "descriptor", "more than 8388608 JSON values");
  // Unbalanced deep text also errors cleanly.
  EXPECT_PARSE_ERROR(std::string(100000, '{'), "descriptor", "nested deeper");
  // Inside a descriptor, too.
  std::string nested = doc(kABC, std::string(300, '[') + std::string(300, ']'));
  EXPECT_PARSE_ERROR(nested, "descriptor", "nested deeper");
  // Brackets inside strings do not count.
  std::string inString =
      doc(R"([{"name":")" + std::string(1000, '[') + R"(","type":"f64"}])",
          "[]");
  parseOk(inString);
  // Polynomial expansion counted before it is built.
  std::string inputs = "[";
  std::string cols = "[";
  for (int i = 0; i < 20; ++i) {
    inputs += std::string(i ? "," : "") + R"({"name":"x)" + std::to_string(i) +
              R"(","type":"f64"})";
    cols += (i ? "," : "") + std::string("\"x") + std::to_string(i) + "\"";
  }
  inputs += "]";
  cols += "]";
  EXPECT_PARSE_ERROR(
      doc(inputs, R"([{"op":"polynomial","columns":)" + cols +
                      R"(,"degree":8}])"),
      "steps[0]", "more than 1048576 columns");
  // Degree 3 over 20 columns is 1771 columns: fine.
  Descriptor ok = parseOk(doc(inputs, R"([{"op":"polynomial","columns":)" +
                                          cols + R"(,"degree":3}])"));
  EXPECT_EQ(ok.numOutputs(), 1771u);
  // Expression depth inside a descriptor.
  std::string expr = std::string(1000, '(') + "a" + std::string(1000, ')');
  EXPECT_PARSE_ERROR(
      doc(kABC, R"([{"op":"expr","name":"y","expr":")" + expr + "\"}]"),
      "steps[0].expr", "nested deeper than 256 levels");
}

//===----------------------------------------------------------------------===//
// Plans
//===----------------------------------------------------------------------===//

TEST(DescriptorPlan, InputKinds) {
  ASSERT_PARSES(d, doc(R"([{"name":"b","type":"bool","missing":0},)"
                       R"({"name":"i","type":"i32"},)"
                       R"({"name":"l","type":"i64","missing":-9},)"
                       R"({"name":"f","type":"f32"},{"name":"g","type":"f64"},)"
                       R"({"name":"s","type":"string"}])",
                       "[]", R"({"type":"f64","columns":["g","b"]})"));
  const PipelineSpec &p = d.pipeline();
  ASSERT_EQ(p.inputs.size(), 6u);
  EXPECT_EQ(p.inputs[0].type, DType::Bool);
  EXPECT_EQ(p.inputs[0].missing, std::optional<int64_t>(0));
  EXPECT_EQ(p.inputs[1].missing, std::nullopt);
  EXPECT_EQ(p.inputs[5].type, DType::String);
  ASSERT_EQ(p.plan.values.size(), 6u);
  ValueKind kinds[] = {ValueKind::Int,   ValueKind::Int,   ValueKind::Int,
                       ValueKind::Float, ValueKind::Float, ValueKind::String};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(p.plan.values[i].kind, kinds[i]) << i;
    EXPECT_EQ(p.plan.values[i].name, p.inputs[i].name);
  }
  EXPECT_EQ(p.plan.values[0].missing, std::optional<int64_t>(0));
  EXPECT_EQ(p.plan.values[2].missing, std::optional<int64_t>(-9));
  EXPECT_EQ(p.plan.values[3].missing, std::nullopt);
  EXPECT_TRUE(p.plan.nodes.empty());
  EXPECT_EQ(p.plan.outputs, (std::vector<int>{4, 0}));
  EXPECT_EQ(d.outputNames(), (std::vector<std::string>{"g", "b"}));
  EXPECT_EQ(d.outputType(), DType::F64);
  EXPECT_EQ(d.numOutputs(), 2u);
  EXPECT_EQ(p.outputColumns, (std::vector<std::string>{"g", "b"}));
}

TEST(DescriptorPlan, ElementwiseOps) {
  ASSERT_PARSES(
      d, doc(R"([{"name":"a","type":"i64"},{"name":"b","type":"f32"}])",
             R"([{"op":"standardize","column":"a","mean":35,"std":15},)"
             R"({"op":"minmax","column":"b","min":-1,"max":3},)"
             R"({"op":"log","column":"a"},{"op":"log1p","column":"b"},)"
             R"({"op":"clip","column":"a","min":0},)"
             R"({"op":"clip","column":"b","max":2.5},)"
             R"({"op":"clip","column":"b","min":-1,"max":1},)"
             R"({"op":"bucketize","column":"a","edges":[0,1.5,3]}])"));
  const PipelineSpec &p = d.pipeline();
  ASSERT_EQ(p.steps.size(), 8u);
  ASSERT_EQ(p.plan.nodes.size(), 8u);
  EXPECT_EQ(p.steps[0].mean, 35.0);
  EXPECT_EQ(p.steps[0].std, 15.0);
  EXPECT_EQ(p.steps[0].column, "a");
  EXPECT_EQ(p.steps[1].min, -1.0);
  EXPECT_EQ(p.steps[1].max, 3.0);
  EXPECT_EQ(p.steps[4].min, 0.0);
  EXPECT_EQ(p.steps[4].max, INFINITY);
  EXPECT_EQ(p.steps[5].min, -INFINITY);
  EXPECT_EQ(p.steps[5].max, 2.5);
  EXPECT_EQ(p.steps[7].edges, (std::vector<double>{0, 1.5, 3}));
  // SSA: each step reads the current value and appends one Float value.
  int expectArgs[] = {0, 1, 2, 3, 4, 5, 7, 6};
  for (int i = 0; i < 8; ++i) {
    const PlanNode &n = p.plan.nodes[i];
    EXPECT_EQ(n.op, p.steps[i].op);
    EXPECT_EQ(n.step, i);
    EXPECT_EQ(n.args, std::vector<int>{expectArgs[i]}) << i;
    EXPECT_EQ(n.results, std::vector<int>{2 + i}) << i;
    EXPECT_EQ(p.plan.values[2 + i].kind, ValueKind::Float);
    EXPECT_EQ(p.plan.values[2 + i].missing, std::nullopt);
  }
  EXPECT_EQ(p.plan.values[9].name, "a");
  EXPECT_EQ(p.plan.outputs, (std::vector<int>{9, 8}));
  EXPECT_EQ(names(d), (std::vector<std::string>{"a", "b"}));
}

TEST(DescriptorPlan, Impute) {
  ASSERT_PARSES(
      d, doc(R"([{"name":"a","type":"i64","missing":-1},)"
             R"({"name":"b","type":"i32","missing":0},)"
             R"({"name":"c","type":"i64","missing":-1},)"
             R"({"name":"f","type":"f64"}])",
             R"([{"op":"impute","column":"a","value":7},)"
             R"({"op":"impute","column":"b","value":0.5},)"
             R"({"op":"impute","column":"c","value":1e19},)"
             R"({"op":"impute","column":"f","value":2}])"));
  const Plan &plan = d.pipeline().plan;
  ASSERT_EQ(plan.values.size(), 8u);
  // Int with sentinel and integral value: stays Int, without sentinel.
  EXPECT_EQ(plan.values[4].kind, ValueKind::Int);
  EXPECT_EQ(plan.values[4].missing, std::nullopt);
  // Non-integral value, or integral beyond i64: becomes Float.
  EXPECT_EQ(plan.values[5].kind, ValueKind::Float);
  EXPECT_EQ(plan.values[6].kind, ValueKind::Float);
  EXPECT_EQ(plan.values[7].kind, ValueKind::Float);
  EXPECT_EQ(d.pipeline().steps[0].value, 7.0);
  // The imputed Int column can then be one-hot encoded with integers.
  ASSERT_PARSES(
      e, doc(R"([{"name":"a","type":"i64","missing":-1}])",
             R"([{"op":"impute","column":"a","value":-1},)"
             R"({"op":"one_hot","column":"a","categories":[-1,0]}])"));
  EXPECT_EQ(e.pipeline().steps[1].intCategories,
            (std::vector<int64_t>{-1, 0}));
}

TEST(DescriptorPlan, OneHot) {
  ASSERT_PARSES(
      d, doc(R"([{"name":"x","type":"f64"},{"name":"c","type":"i64","missing":-1},)"
             R"({"name":"f","type":"f32"},{"name":"s","type":"string"},)"
             R"({"name":"y","type":"f64"}])",
             R"([{"op":"one_hot","column":"c","categories":[2,0,10]},)"
             R"({"op":"one_hot","column":"f","categories":[0.5,1.0,-2.5,1e20],)"
             R"("unknown":"error"},)"
             R"({"op":"one_hot","column":"s","categories":["red","a b",""]}])"));
  const PipelineSpec &p = d.pipeline();
  EXPECT_EQ(p.steps[0].intCategories, (std::vector<int64_t>{2, 0, 10}));
  EXPECT_TRUE(p.steps[0].floatCategories.empty());
  EXPECT_EQ(p.steps[0].unknown, UnknownPolicy::Zeros);
  EXPECT_EQ(p.steps[1].floatCategories,
            (std::vector<double>{0.5, 1.0, -2.5, 1e20}));
  EXPECT_EQ(p.steps[1].unknown, UnknownPolicy::Error);
  EXPECT_EQ(p.steps[2].stringCategories,
            (std::vector<std::string>{"red", "a b", ""}));
  // Expanded in place, in category order.
  EXPECT_EQ(names(d),
            (std::vector<std::string>{"x", "c=2", "c=0", "c=10", "f=0.5",
                                      "f=1", "f=-2.5", "f=1e+20", "s=red",
                                      "s=a b", "s=", "y"}));
  const PlanNode &n0 = p.plan.nodes[0];
  EXPECT_EQ(n0.args, std::vector<int>{1});
  EXPECT_EQ(n0.results, (std::vector<int>{5, 6, 7}));
  for (int v : n0.results)
    EXPECT_EQ(p.plan.values[v].kind, ValueKind::Float);
  EXPECT_EQ(p.plan.nodes[2].args, std::vector<int>{3});
  EXPECT_EQ(p.plan.outputs.front(), 0);
  EXPECT_EQ(p.plan.outputs.back(), 4);
}

TEST(DescriptorPlan, LabelEncode) {
  ASSERT_PARSES(
      d, doc(R"([{"name":"s","type":"string"},{"name":"i","type":"i64","missing":-1},)"
             R"({"name":"f","type":"f64"},{"name":"t","type":"string"}])",
             R"([{"op":"label_encode","column":"s","mapping":{"b":1,"a":0.5,"c":7}},)"
             R"({"op":"label_encode","column":"i","mapping":{"10":1,"-3":2,"2":3},)"
             R"("default":99},)"
             R"({"op":"label_encode","column":"f","mapping":{"0.5":1,"-1e0":2}},)"
             R"({"op":"label_encode","column":"t","mapping":["z","x","y"]}])"));
  const PipelineSpec &p = d.pipeline();
  // Categories are kept sorted by value; codes follow their category.
  EXPECT_EQ(p.steps[0].stringCategories,
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(p.steps[0].codes, (std::vector<double>{0.5, 1, 7}));
  EXPECT_EQ(p.steps[0].defaultCode, -1.0);
  EXPECT_EQ(p.steps[1].intCategories, (std::vector<int64_t>{-3, 2, 10}));
  EXPECT_EQ(p.steps[1].codes, (std::vector<double>{2, 3, 1}));
  EXPECT_EQ(p.steps[1].defaultCode, 99.0);
  EXPECT_EQ(p.steps[2].floatCategories, (std::vector<double>{-1, 0.5}));
  EXPECT_EQ(p.steps[2].codes, (std::vector<double>{2, 1}));
  // Array form: the code is the position.
  EXPECT_EQ(p.steps[3].stringCategories,
            (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(p.steps[3].codes, (std::vector<double>{1, 2, 0}));
  for (const PlanNode &n : p.plan.nodes) {
    ASSERT_EQ(n.results.size(), 1u);
    EXPECT_EQ(p.plan.values[n.results[0]].kind, ValueKind::Float);
  }
  EXPECT_EQ(names(d), (std::vector<std::string>{"s", "i", "f", "t"}));
}

std::vector<std::string> polyNames(const std::string &cols, int degree,
                                   bool interactionOnly, bool includeBias) {
  std::string step = R"([{"op":"polynomial","columns":)" + cols +
                     R"(,"degree":)" + std::to_string(degree) +
                     R"(,"interaction_only":)" +
                     (interactionOnly ? "true" : "false") +
                     R"(,"include_bias":)" + (includeBias ? "true" : "false") +
                     "}]";
  Descriptor d = parseOk(doc(kABC, step));
  return d.outputNames();
}

TEST(DescriptorPlan, PolynomialNamesMatchScikitLearn) {
  using V = std::vector<std::string>;
  // Expected lists are PolynomialFeatures(...).get_feature_names_out(["a",
  // "b", "c"]) from scikit-learn.
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, false, true),
            (V{"1", "a", "b", "c", "a^2", "a b", "a c", "b^2", "b c", "c^2"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, false, false),
            (V{"a", "b", "c", "a^2", "a b", "a c", "b^2", "b c", "c^2"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, true, true),
            (V{"1", "a", "b", "c", "a b", "a c", "b c"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, true, false),
            (V{"a", "b", "c", "a b", "a c", "b c"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 3, false, true),
            (V{"1", "a", "b", "c", "a^2", "a b", "a c", "b^2", "b c", "c^2",
               "a^3", "a^2 b", "a^2 c", "a b^2", "a b c", "a c^2", "b^3",
               "b^2 c", "b c^2", "c^3"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 3, true, false),
            (V{"a", "b", "c", "a b", "a c", "b c", "a b c"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 3, true, true),
            (V{"1", "a", "b", "c", "a b", "a c", "b c", "a b c"}));
  // Interaction-only beyond the column count stops at all columns.
  EXPECT_EQ(polyNames(R"(["a","b"])", 5, true, false),
            (V{"a", "b", "a b", "c"}));
  // Degree 1, and the listed order (not the input order) is feature order.
  EXPECT_EQ(polyNames(R"(["c","a"])", 1, false, true), (V{"b", "1", "c", "a"}));
  EXPECT_EQ(polyNames(R"(["b"])", 3, false, false),
            (V{"a", "b", "b^2", "b^3", "c"}));
  EXPECT_EQ(polyNames(R"(["c","a"])", 2, false, false),
            (V{"b", "c", "a", "c^2", "c a", "a^2"}));
}

TEST(DescriptorPlan, PolynomialPositionAndValues) {
  ASSERT_PARSES(
      d, doc(R"([{"name":"p","type":"f64"},{"name":"x","type":"i64"},)"
             R"({"name":"q","type":"f64"},{"name":"y","type":"f32"},)"
             R"({"name":"r","type":"f64"}])",
             R"([{"op":"polynomial","columns":["x","y"],"degree":2,)"
             R"("include_bias":false}])"));
  // The new columns take the place of the first listed column; the others
  // listed are removed.
  EXPECT_EQ(names(d), (std::vector<std::string>{"p", "x", "y", "x^2", "x y",
                                                "y^2", "q", "r"}));
  const PipelineSpec &p = d.pipeline();
  const PlanNode &n = p.plan.nodes[0];
  EXPECT_EQ(n.op, StepOp::Polynomial);
  EXPECT_EQ(n.args, (std::vector<int>{1, 3}));
  EXPECT_EQ(n.results, (std::vector<int>{5, 6, 7, 8, 9}));
  for (int v : n.results)
    EXPECT_EQ(p.plan.values[v].kind, ValueKind::Float);
  EXPECT_EQ(p.steps[0].columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(p.steps[0].degree, 2);
  EXPECT_FALSE(p.steps[0].includeBias);
  EXPECT_FALSE(p.steps[0].interactionOnly);
  EXPECT_TRUE(p.steps[0].column.empty());
}

TEST(DescriptorPlan, Expr) {
  ASSERT_PARSES(
      d, doc(kABC,
             R"([{"op":"expr","name":"y","expr":"b * 2 + a - b / `c`"},)"
             R"({"op":"expr","name":"a","expr":"-a"},)"
             R"({"op":"expr","name":"k","expr":"1"}])"));
  const PipelineSpec &p = d.pipeline();
  // Appended at the end when new; replaced in place when existing.
  EXPECT_EQ(names(d), (std::vector<std::string>{"a", "b", "c", "y", "k"}));
  const PlanNode &n0 = p.plan.nodes[0];
  // Distinct columns, in order of first appearance.
  EXPECT_EQ(n0.args, (std::vector<int>{1, 0, 2}));
  EXPECT_EQ(n0.results, std::vector<int>{3});
  EXPECT_EQ(sexpr(*p.steps[0].expr), "(- (+ (* b$0 2) a$1) (/ b$0 c$2))");
  EXPECT_EQ(p.steps[0].exprText, "b * 2 + a - b / `c`");
  EXPECT_EQ(p.steps[0].name, "y");
  EXPECT_EQ(p.plan.values[3].kind, ValueKind::Float);
  EXPECT_EQ(p.plan.nodes[1].args, std::vector<int>{0});
  EXPECT_EQ(p.plan.nodes[1].results, std::vector<int>{4});
  EXPECT_TRUE(p.plan.nodes[2].args.empty());
  EXPECT_EQ(p.plan.outputs, (std::vector<int>{4, 1, 2, 3, 5}));
  // Expressions see columns produced by earlier steps, by backquoted name.
  ASSERT_PARSES(
      e, doc(R"([{"name":"c","type":"i64"}])",
             R"([{"op":"one_hot","column":"c","categories":[1,2]},)"
             R"({"op":"expr","name":"any","expr":"`c=1` or `c=2`"}])",
             R"({"type":"f32","columns":["any"]})"));
  EXPECT_EQ(e.pipeline().plan.nodes[1].args, (std::vector<int>{1, 2}));
  EXPECT_EQ(e.outputNames(), std::vector<std::string>{"any"});
  // The Int input converts: reading it in an expression is fine.
  ASSERT_PARSES(f, doc(R"([{"name":"n","type":"i64","missing":0}])",
                       R"([{"op":"expr","name":"n","expr":"n * 2"}])"));
  EXPECT_EQ(f.pipeline().plan.values[1].kind, ValueKind::Float);
}

//===----------------------------------------------------------------------===//
// Canonical form and hash
//===----------------------------------------------------------------------===//

const char *kFull = R"({
  "specjit": 1, "kind": "pipeline", "name": "everything",
  "inputs": [{"name": "age", "type": "i64"},
             {"name": "income", "type": "f64"},
             {"name": "category", "type": "i64", "missing": -1},
             {"name": "city", "type": "string"},
             {"name": "flag", "type": "bool"},
             {"name": "h", "type": "f32"},
             {"name": "w", "type": "i32", "missing": -7}],
  "output": {"type": "f32"},
  "steps": [
    {"op": "standardize", "column": "age", "mean": 35.0, "std": 15.0},
    {"op": "log1p", "column": "income"},
    {"op": "one_hot", "column": "category", "categories": [0, 1, 2]},
    {"op": "label_encode", "column": "city", "mapping": {"paris": 0, "oslo": 1}},
    {"op": "clip", "column": "h", "min": 0.25},
    {"op": "minmax", "column": "flag", "min": 0, "max": 1},
    {"op": "impute", "column": "w", "value": 3},
    {"op": "bucketize", "column": "w", "edges": [0, 2.5, 10]},
    {"op": "log", "column": "age"},
    {"op": "polynomial", "columns": ["income", "h"], "degree": 2},
    {"op": "expr", "name": "ratio", "expr": "income / max(h, 1e-3) > 2 ? 1 : 0"}
  ]})";

TEST(DescriptorCanonical, ExactText) {
  ASSERT_PARSES(e, R"({"name":"ignored","steps":[
      {"op":"clip","column":"a","max":1e20},
      {"op":"label_encode","column":"s","mapping":["y","x"]},
      {"op":"expr","name":"z","expr":"(a+s)*-2"},
      {"op":"polynomial","columns":["a","z"],"degree":1}],
      "output":{"columns":["z","1"],"type":"f64"},
      "kind":"pipeline","specjit":1.0,
      "inputs":[{"type":"i64","name":"a","missing":-1},{"name":"s","type":"string"}]})");
  EXPECT_EQ(
      e.canonical(),
      R"({"inputs":[{"missing":-1,"name":"a","type":"i64"},{"name":"s","type":"string"}],)"
      R"("kind":"pipeline","output":{"columns":["z","1"],"type":"f64"},"specjit":1,)"
      R"("steps":[{"column":"a","max":1e+20,"op":"clip"},)"
      R"({"column":"s","default":-1,"mapping":{"x":1,"y":0},"op":"label_encode"},)"
      R"({"expr":"(a + s) * -2","name":"z","op":"expr"},)"
      R"({"columns":["a","z"],"degree":1,"include_bias":true,"interaction_only":false,"op":"polynomial"}]})");
}

TEST(DescriptorCanonical, RoundTrip) {
  std::vector<std::string> texts = {
      kFull,
      doc(kABC, "[]"),
      doc(R"([{"name":"f","type":"f64"}])",
          R"([{"op":"one_hot","column":"f","categories":[0.1,-0.0,1e300,)"
          R"(123456789012345678,2.5e-8]},)"
          R"({"op":"expr","name":"q","expr":"`f=0.1` ** -`f=-0.0` ** 2"}])"),
      doc(R"([{"name":"f","type":"f64"}])",
          R"([{"op":"label_encode","column":"f","mapping":{"1e-7":1,"-0.0":2.5,)"
          R"("123456789012345678":3}}])"),
      doc(kABC, R"([{"op":"expr","name":"y","expr":)"
                R"("not a < b and (c or not not a) ? -(a ** b) ** -c : )"
                R"x(select(a, b, min(a, (b - c) - (a - b))) / (a * (b / c))"}])x"),
      doc(kABC, R"([{"op":"expr","name":"and","expr":"a"},)"
                R"x({"op":"expr","name":"y","expr":"`and` + (-a) * -(b + c)"}])x"),
      doc(R"([{"name":"big","type":"i64","missing":-9223372036854775808}])",
          R"([{"op":"one_hot","column":"big","categories":)"
          R"([9223372036854775807,-9223372036854775807]}])"),
  };
  for (const std::string &text : texts) {
    ASSERT_PARSES(d, text);
    ASSERT_PARSES(again, d.canonical());
    EXPECT_EQ(again.canonical(), d.canonical()) << text;
    EXPECT_EQ(again.hash(), d.hash());
    EXPECT_EQ(again.outputNames(), d.outputNames());
    // The canonical text is compact JSON that llvm::json reads back.
    EXPECT_TRUE(static_cast<bool>(llvm::json::parse(d.canonical())));
    EXPECT_EQ(d.canonical().find('\n'), std::string::npos);
    EXPECT_EQ(d.canonical().find("\"name\":\"everything\""), std::string::npos);
  }
}

TEST(DescriptorHash, Invariance) {
  ASSERT_PARSES(base, kFull);
  // Key order permuted, whitespace, number spellings, name changed.
  std::string permuted = R"json({"steps": [
    {"std": 15, "mean": 3.5e1, "column": "age", "op": "standardize"},
    {"column": "income", "op": "log1p"},
    {"unknown": "zeros", "categories": [0e0, 1.0, 2], "op": "one_hot", "column": "category"},
    {"op": "label_encode", "default": -1.0, "mapping": ["paris", "oslo"], "column": "city"},
    {"min": 25e-2, "op": "clip", "column": "h"},
    {"max": 1.0, "op": "minmax", "column": "flag", "min": -0},
    {"value": 3.0, "column": "w", "op": "impute"},
    {"edges": [0.0, 25e-1, 1e1], "column": "w", "op": "bucketize"},
    {"op": "log", "column": "age"},
    {"interaction_only": false, "include_bias": true, "op": "polynomial", "degree": 2.0,
     "columns": ["income", "h"]},
    {"expr": "select(income/max(h,0.001)>2,1,0)", "name": "ratio", "op": "expr"}],
  "name": "another name", "output": {"type": "f32"},
  "inputs": [{"type": "i64", "name": "age"}, {"name": "income", "type": "f64"},
             {"missing": -1.0, "type": "i64", "name": "category"},
             {"name": "city", "type": "string"}, {"name": "flag", "type": "bool"},
             {"name": "h", "type": "f32"}, {"type": "i32", "missing": -7, "name": "w"}],
  "kind": "pipeline", "specjit": 1e0})json";
  ASSERT_PARSES(same, permuted);
  EXPECT_EQ(same.canonical(), base.canonical());
  EXPECT_EQ(same.hash(), base.hash());
  // The name is not part of the hash; removing it changes nothing.
  std::string noName = kFull;
  noName.replace(noName.find(R"("name": "everything",)"),
                 strlen(R"("name": "everything",)"), "");
  ASSERT_PARSES(unnamed, noName);
  EXPECT_EQ(unnamed.hash(), base.hash());
  EXPECT_EQ(unnamed.pipeline().name, "");
  EXPECT_EQ(base.pipeline().name, "everything");
  // Number spellings: 1, 1.0, 1e0 and 0.5, 5e-1.
  auto one = [](const std::string &mean, const std::string &std) {
    return doc(kABC, R"([{"op":"standardize","column":"a","mean":)" + mean +
                         R"(,"std":)" + std + "}]");
  };
  ASSERT_PARSES(n1, one("1", "0.5"));
  for (auto [m, s] : std::vector<std::pair<const char *, const char *>>{
           {"1.0", "5e-1"}, {"1e0", "0.50"}, {"10e-1", "5E-1"},
           {"0.1e1", "0.5e0"}}) {
    ASSERT_PARSES(n2, one(m, s));
    EXPECT_EQ(n2.hash(), n1.hash()) << m << " " << s;
  }
  // Label-encode mapping: object or array, key spellings.
  auto le = [](const std::string &mapping) {
    return doc(R"([{"name":"i","type":"i64"}])",
               R"([{"op":"label_encode","column":"i","mapping":)" + mapping +
                   "}]");
  };
  ASSERT_PARSES(l1, le(R"([5, -2, 30])"));
  ASSERT_PARSES(l2, le(R"({"30":2,"5":0,"-2":1})"));
  ASSERT_PARSES(l3, le(R"({"030":2.0,"5":0,"-2":1e0})"));
  EXPECT_EQ(l1.hash(), l2.hash());
  EXPECT_EQ(l1.hash(), l3.hash());
  // Defaults written or not.
  ASSERT_PARSES(s1, R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"a","type":"f64"}],"output":{"type":"f32"}})");
  ASSERT_PARSES(s2, doc(R"([{"name":"a","type":"f64"}])", "[]"));
  EXPECT_EQ(s1.hash(), s2.hash());
  // Expression spacing and spelling.
  auto ex = [](const std::string &e) {
    return doc(kABC, R"([{"op":"expr","name":"y","expr":")" + e + "\"}]");
  };
  ASSERT_PARSES(e1, ex("a+b*c"));
  ASSERT_PARSES(e2, ex(" a + (b * c) "));
  ASSERT_PARSES(e3, ex("`a` + b*`c`"));
  EXPECT_EQ(e1.hash(), e2.hash());
  EXPECT_EQ(e1.hash(), e3.hash());
  ASSERT_PARSES(e4, ex("a < b && !c || a"));
  ASSERT_PARSES(e5, ex("(a < b and not c) or a"));
  EXPECT_EQ(e4.hash(), e5.hash());
  ASSERT_PARSES(e6, ex("a ** 2"));
  ASSERT_PARSES(e7, ex("pow(a, 2.0)"));
  EXPECT_EQ(e6.hash(), e7.hash());
}

TEST(DescriptorHash, Sensitivity) {
  // Every variant differs from the base in one parameter: all hashes differ.
  std::vector<std::string> variants = {
      kFull,
  };
  auto replace = [](std::string s, const std::string &from,
                    const std::string &to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::pair<std::string, std::string>> edits = {
      {R"("mean": 35.0)", R"("mean": 35.5)"},
      {R"("std": 15.0)", R"("std": 16)"},
      {R"("output": {"type": "f32"})", R"("output": {"type": "f64"})"},
      {R"("output": {"type": "f32"})",
       R"("output": {"type": "f32", "columns": ["ratio"]})"},
      {R"({"name": "age", "type": "i64"})", R"({"name": "age", "type": "i32"})"},
      {R"({"name": "age", "type": "i64"})",
       R"({"name": "age", "type": "i64", "missing": 0})"},
      {R"("missing": -1})", R"("missing": -2})"},
      {R"("categories": [0, 1, 2])", R"("categories": [0, 2, 1])"},
      {R"("categories": [0, 1, 2])", R"("categories": [0, 1, 2, 3])"},
      {R"("categories": [0, 1, 2])",
       R"("categories": [0, 1, 2], "unknown": "error")"},
      {R"({"paris": 0, "oslo": 1})", R"({"paris": 1, "oslo": 0})"},
      {R"({"paris": 0, "oslo": 1})", R"({"paris": 0, "oslo": 1, "rome": 2})"},
      {R"({"paris": 0, "oslo": 1})", R"({"paris": 0, "oslo": 1}, "default": 5)"},
      {R"("min": 0.25})", R"("min": 0.26})"},
      {R"("min": 0.25})", R"("max": 0.25})"},
      {R"("min": 0.25})", R"("min": 0.25, "max": 9})"},
      {R"("min": 0, "max": 1})", R"("min": 0, "max": 2})"},
      {R"("value": 3})", R"("value": 3.5})"},
      {R"([0, 2.5, 10])", R"([0, 2.5, 11])"},
      {R"({"op": "log", "column": "age"})", R"({"op": "log1p", "column": "age"})"},
      {R"("degree": 2})", R"("degree": 3})"},
      {R"("degree": 2})", R"("degree": 2, "interaction_only": true})"},
      {R"("degree": 2})", R"("degree": 2, "include_bias": false})"},
      {R"(["income", "h"])", R"(["h", "income"])"},
      {R"("name": "ratio")", R"("name": "ratio2")"},
      {R"(1e-3)", R"(1e-4)"},
      {R"(> 2 ?)", R"(>= 2 ?)"},
      {R"({"name": "h", "type": "f32"})", R"({"name": "h", "type": "f64"})"},
  };
  for (const auto &[from, to] : edits)
    variants.push_back(replace(kFull, from, to));
  // Step order matters.
  variants.push_back(replace(
      replace(kFull, R"({"op": "log1p", "column": "income"},)", ""),
      R"({"op": "log", "column": "age"},)",
      R"({"op": "log", "column": "age"},{"op": "log1p", "column": "income"},)"));
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  std::set<std::string> canon;
  for (const std::string &v : variants) {
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
    canon.insert(d.canonical());
  }
  EXPECT_EQ(hashes.size(), variants.size());
  EXPECT_EQ(canon.size(), variants.size());
}

TEST(DescriptorHash, HashIsXxh3OfCanonical) {
  ASSERT_PARSES(d, kFull);
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(d.canonical().data()),
      d.canonical().size()));
  EXPECT_EQ(d.hash().hi, h.high64);
  EXPECT_EQ(d.hash().lo, h.low64);
  EXPECT_EQ(d.hash().hex().size(), 32u);
  EXPECT_NE(d.hash(), Hash128());
  ASSERT_PARSES(d2, kFull);
  EXPECT_EQ(d.hash(), d2.hash());
}

TEST(DescriptorHash, GoldenValue) {
  // The hash is a persistent cache key: it must be the same in every process
  // and on every machine. This value was computed once; if it changes, the
  // canonical form or the hash function changed, which invalidates every
  // stored kernel cache (bump the format deliberately, do not just update
  // the constant).
  ASSERT_PARSES(
      d, R"({"specjit":1,"kind":"pipeline","name":"churn_features",
 "inputs":[{"name":"age","type":"i64"},{"name":"category","type":"i64","missing":-1}],
 "output":{"type":"f32","columns":["age","category=0"]},
 "steps":[{"op":"standardize","column":"age","mean":35.0,"std":15.0},
          {"op":"one_hot","column":"category","categories":[0,1,2]}]})");
  EXPECT_EQ(
      d.canonical(),
      R"({"inputs":[{"name":"age","type":"i64"},{"missing":-1,"name":"category","type":"i64"}],)"
      R"("kind":"pipeline","output":{"columns":["age","category=0"],"type":"f32"},"specjit":1,)"
      R"("steps":[{"column":"age","mean":35,"op":"standardize","std":15},)"
      R"({"categories":[0,1,2],"column":"category","op":"one_hot","unknown":"zeros"}]})");
  EXPECT_EQ(d.hash().hex(), "8e30fe970e267b6b6a27b0f98aa81044");
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

TEST(PipelineBuilder, SameAsJsonText) {
  PipelineBuilder b("everything");
  b.input("age", DType::I64)
      .input("income", DType::F64)
      .input("category", DType::I64, -1)
      .input("city", DType::String)
      .input("flag", DType::Bool)
      .input("h", DType::F32)
      .input("w", DType::I32, -7)
      .output(DType::F32)
      .standardize("age", 35, 15)
      .log1p("income")
      .oneHot("category", std::vector<int64_t>{0, 1, 2})
      .labelEncode("city",
                   std::vector<std::pair<std::string, double>>{{"paris", 0},
                                                               {"oslo", 1}})
      .clip("h", 0.25, std::nullopt)
      .minmax("flag", 0, 1)
      .impute("w", 3)
      .bucketize("w", {0, 2.5, 10})
      .log("age")
      .polynomial({"income", "h"}, 2)
      .expr("ratio", "income / max(h, 1e-3) > 2 ? 1 : 0");
  llvm::Expected<Descriptor> built = b.build();
  ASSERT_TRUE(static_cast<bool>(built)) << llvm::toString(built.takeError());
  ASSERT_PARSES(text, kFull);
  EXPECT_EQ(built->canonical(), text.canonical());
  EXPECT_EQ(built->hash(), text.hash());
  EXPECT_EQ(built->pipeline().name, "everything");
  // json() is the text a user would write; it parses to the same thing.
  ASSERT_PARSES(fromJson, b.json());
  EXPECT_EQ(fromJson.hash(), text.hash());
  EXPECT_NE(b.json().find("\"name\":\"everything\""), std::string::npos);
}

TEST(PipelineBuilder, AllOps) {
  PipelineBuilder b("x");
  b.input("i", DType::I64, 0)
      .input("s", DType::String)
      .input("f", DType::F64)
      .output(DType::F64, {"s", "i=1", "f", "g"})
      .labelEncode("s", std::vector<std::pair<std::string, double>>{{"a", 2}},
                   7)
      .oneHot("i", std::vector<int64_t>{1, 2}, UnknownPolicy::Error)
      .clip("f", -1, 1)
      .polynomial({"f"}, 3, true, false)
      .expr("g", "f * 2")
      .labelEncode("f", std::vector<std::pair<int64_t, double>>{{1, 2}});
  // f is a Float column: integer keys are numbers, fine.
  llvm::Expected<Descriptor> d = b.build();
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->outputNames(),
            (std::vector<std::string>{"s", "i=1", "f", "g"}));
  EXPECT_EQ(d->pipeline().steps[0].defaultCode, 7.0);
  EXPECT_EQ(d->pipeline().steps[1].unknown, UnknownPolicy::Error);
  std::string text = b.json();
  ASSERT_PARSES(t, text);
  EXPECT_EQ(t.hash(), d->hash());
}

TEST(PipelineBuilder, Errors) {
  // Errors are those of the JSON text, with the same paths.
  PipelineBuilder b("e");
  b.input("a", DType::F64).output(DType::F32).standardize("a", 0, 0);
  llvm::Expected<Descriptor> d = b.build();
  ASSERT_FALSE(static_cast<bool>(d));
  EXPECT_EQ(llvm::toString(d.takeError()),
            errorOf(b.json()));
  PipelineBuilder c("e");
  c.input("a", DType::F64).output(DType::F32).clip("a", std::nullopt,
                                                   std::nullopt);
  EXPECT_NE(llvm::toString(c.build().takeError()).find("steps[0]: clip needs"),
            std::string::npos);
  PipelineBuilder n("e");
  n.input("a", DType::F64).output(DType::F32).standardize("a", NAN, 1);
  EXPECT_NE(llvm::toString(n.build().takeError())
                .find("steps[0].mean: expected a finite number"),
            std::string::npos);
  PipelineBuilder m("e");
  m.input("s", DType::String)
      .output(DType::F32)
      .labelEncode("s", std::vector<std::pair<std::string, double>>{{"a", 1},
                                                                    {"a", 2}});
  EXPECT_NE(llvm::toString(m.build().takeError())
                .find("steps[0].mapping: duplicate category 'a'"),
            std::string::npos);
  PipelineBuilder o("no output");
  o.input("a", DType::F64);
  EXPECT_NE(llvm::toString(o.build().takeError())
                .find("missing required key 'output'"),
            std::string::npos);
  // Moves keep the state.
  PipelineBuilder moved = std::move(b);
  EXPECT_FALSE(static_cast<bool>(moved.build()));
}

//===----------------------------------------------------------------------===//
// Robustness
//===----------------------------------------------------------------------===//

TEST(DescriptorRobustness, EveryPrefixIsAnError) {
  std::string text = kFull;
  for (size_t n = 0; n < text.size(); ++n) {
    llvm::Expected<Descriptor> d = Descriptor::parse(StringRef(text).take_front(n));
    EXPECT_FALSE(static_cast<bool>(d)) << n;
    if (!d)
      llvm::consumeError(d.takeError());
  }
}

TEST(DescriptorRobustness, MutationsNeverCrash) {
  // Deterministic byte-level mutations: each either parses or errors, and a
  // parse always has a canonical form that parses back to itself.
  std::string text = kFull;
  std::mt19937 rng(12345);
  const char alphabet[] = "{}[]\",:01-.eE aZ\\u";
  int parsed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string m = text;
    int edits = 1 + rng() % 3;
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % m.size();
      switch (rng() % 3) {
      case 0: m[at] = alphabet[rng() % (sizeof(alphabet) - 1)]; break;
      case 1: m.erase(at, 1); break;
      default: m.insert(at, 1, alphabet[rng() % (sizeof(alphabet) - 1)]);
      }
    }
    llvm::Expected<Descriptor> d = Descriptor::parse(m);
    if (!d) {
      std::string err = llvm::toString(d.takeError());
      EXPECT_FALSE(err.empty());
      continue;
    }
    ++parsed;
    ASSERT_PARSES(again, d->canonical());
    EXPECT_EQ(again.canonical(), d->canonical()) << m;
  }
  EXPECT_GT(parsed, 0);
}

TEST(DescriptorRobustness, HugeValidDescriptor) {
  std::string cats = "[";
  for (int i = 0; i < 20000; ++i)
    cats += (i ? "," : "") + std::to_string(i * 3);
  cats += "]";
  std::string strs = "[";
  for (int i = 0; i < 20000; ++i)
    strs += (i ? ",\"v" : "\"v") + std::to_string(i) + "\"";
  strs += "]";
  std::string mapping = "{";
  for (int i = 0; i < 20000; ++i)
    mapping += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" +
               std::to_string(i);
  mapping += "}";
  std::string text =
      doc(R"([{"name":"c","type":"i64"},{"name":"s","type":"string"},)"
          R"({"name":"t","type":"string"}])",
          R"([{"op":"one_hot","column":"c","categories":)" + cats + "},"
          R"({"op":"one_hot","column":"s","categories":)" + strs + "},"
          R"({"op":"label_encode","column":"t","mapping":)" + mapping + "}]");
  auto start = std::chrono::steady_clock::now();
  ASSERT_PARSES(d, text);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  EXPECT_EQ(d.numOutputs(), 40001u);
  EXPECT_EQ(d.outputNames()[1], "c=3");
  EXPECT_EQ(d.pipeline().steps[2].codes.size(), 20000u);
  EXPECT_LT(seconds, 5.0);
  // The canonical form of a big descriptor round-trips too.
  ASSERT_PARSES(again, d.canonical());
  EXPECT_EQ(again.hash(), d.hash());
}

TEST(DescriptorRobustness, FromFile) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("desc", "json", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << kFull;
  }
  llvm::Expected<Descriptor> d = Descriptor::fromFile(path);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  ASSERT_PARSES(text, kFull);
  EXPECT_EQ(d->hash(), text.hash());
  llvm::sys::fs::remove(path);
  llvm::Expected<Descriptor> missing =
      Descriptor::fromFile("/nonexistent/specjit/desc.json");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot read"),
            std::string::npos);
}

TEST(DescriptorRobustness, FromJsonValue) {
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(kFull);
  ASSERT_TRUE(static_cast<bool>(v));
  llvm::Expected<Descriptor> d = Descriptor::fromJSON(*v);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  ASSERT_PARSES(text, kFull);
  EXPECT_EQ(d->hash(), text.hash());
  // NaN and infinity can only come from C++ values: rejected.
  llvm::json::Value bad = llvm::json::Object{
      {"specjit", 1},
      {"kind", "pipeline"},
      {"inputs", llvm::json::Array{llvm::json::Object{{"name", "a"},
                                                      {"type", "f64"}}}},
      {"output", llvm::json::Object{{"type", "f32"}}},
      {"steps", llvm::json::Array{llvm::json::Object{
                    {"op", "impute"}, {"column", "a"}, {"value", NAN}}}}};
  llvm::Expected<Descriptor> e = Descriptor::fromJSON(bad);
  ASSERT_FALSE(static_cast<bool>(e));
  EXPECT_NE(llvm::toString(e.takeError())
                .find("steps[0].value: expected a finite number, got NaN"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Repository files
//===----------------------------------------------------------------------===//

TEST(DescriptorFiles, ExamplesParse) {
  std::error_code ec;
  std::string dir = std::string(SPECJIT_SOURCE_DIR) + "/examples";
  int count = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    StringRef path = it->path();
    if (!path.ends_with(".json"))
      continue;
    ++count;
    llvm::Expected<Descriptor> d = Descriptor::fromFile(path);
    EXPECT_TRUE(static_cast<bool>(d))
        << path.str() << ": " << (d ? "" : llvm::toString(d.takeError()));
    if (d) {
      ASSERT_PARSES(again, d->canonical());
      EXPECT_EQ(again.hash(), d->hash()) << path.str();
    }
  }
  if (count == 0)
    GTEST_SKIP() << "no examples/*.json";
}

TEST(DescriptorFiles, SchemaDescribesEveryProperty) {
  std::string path =
      std::string(SPECJIT_SOURCE_DIR) + "/schemas/pipeline.schema.json";
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(static_cast<bool>(buffer)) << path;
  llvm::Expected<llvm::json::Value> schema =
      llvm::json::parse((*buffer)->getBuffer());
  ASSERT_TRUE(static_cast<bool>(schema)) << llvm::toString(schema.takeError());
  const llvm::json::Object *root = schema->getAsObject();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->getString("$schema").value_or(""),
            "https://json-schema.org/draft/2020-12/schema");
  // Every object with "properties" is closed, and every property documented.
  std::vector<std::pair<std::string, const llvm::json::Value *>> work = {
      {"", &*schema}};
  int objects = 0;
  while (!work.empty()) {
    auto [where, v] = work.back();
    work.pop_back();
    if (const llvm::json::Object *o = v->getAsObject()) {
      if (const llvm::json::Object *props = o->getObject("properties")) {
        bool conditional = StringRef(where).ends_with("/if") ||
                           StringRef(where).ends_with("/then");
        if (!conditional) {
          ++objects;
          const llvm::json::Value *ap = o->get("additionalProperties");
          EXPECT_TRUE(ap && ap->getAsBoolean() == false) << where;
          for (const auto &kv : *props) {
            const llvm::json::Object *p = kv.second.getAsObject();
            EXPECT_TRUE(p && p->getString("description"))
                << where << "/" << kv.first.str();
          }
        }
      }
      for (const auto &kv : *o)
        work.push_back({where + "/" + kv.first.str(), &kv.second});
    } else if (const llvm::json::Array *a = v->getAsArray()) {
      for (size_t i = 0; i < a->size(); ++i)
        work.push_back({where + "/" + std::to_string(i), &(*a)[i]});
    }
  }
  EXPECT_GE(objects, 14);
  // Every op has a oneOf branch keyed on its const.
  const llvm::json::Object *defs = root->getObject("$defs");
  ASSERT_TRUE(defs);
  for (StepOp op : {StepOp::Standardize, StepOp::MinMax, StepOp::Log,
                    StepOp::Log1p, StepOp::Clip, StepOp::Impute,
                    StepOp::OneHot, StepOp::LabelEncode, StepOp::Polynomial,
                    StepOp::Bucketize, StepOp::Expr}) {
    const llvm::json::Object *def = defs->getObject(stepOpName(op));
    ASSERT_TRUE(def) << stepOpName(op).str();
    const llvm::json::Object *props = def->getObject("properties");
    ASSERT_TRUE(props);
    const llvm::json::Object *opProp = props->getObject("op");
    ASSERT_TRUE(opProp);
    EXPECT_EQ(opProp->getString("const").value_or(""), stepOpName(op));
  }
  // The schema's own example is a valid descriptor.
  const llvm::json::Array *examples = root->getArray("examples");
  ASSERT_TRUE(examples && !examples->empty());
  for (const llvm::json::Value &ex : *examples) {
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(ex);
    EXPECT_TRUE(static_cast<bool>(d)) << (d ? "" : llvm::toString(d.takeError()));
  }
}



//===----------------------------------------------------------------------===//
// The series family
//===----------------------------------------------------------------------===//

const char *kClose = R"([{"name":"close","type":"f64"}])";

/// A series document from its parts (JSON fragments).
std::string sdoc(const std::string &indicators,
                 const std::string &inputs = kClose,
                 const std::string &output = R"({"type":"f64"})") {
  return R"({"specjit":1,"kind":"series","inputs":)" + inputs +
         R"(,"output":)" + output + R"(,"indicators":)" + indicators + "}";
}

/// One indicator over `close` with extra JSON members.
std::string sind(const std::string &name, const std::string &op,
                 const std::string &extra) {
  return R"({"name":")" + name + R"(","op":")" + op + "\"" +
         (extra.empty() ? "" : "," + extra) + "}";
}

/// The lookback of the last indicator of a document.
int64_t lastLookback(const std::string &text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError()) << "\nin: " << text;
    return -1;
  }
  return d->series().indicators.back().lookback;
}

std::string readSourceFile(const std::string &rel) {
  std::string path = std::string(SPECJIT_SOURCE_DIR) + "/" + rel;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  return (*buffer)->getBuffer().str();
}

TEST(DescriptorNames, IndicatorOps) {
  EXPECT_EQ(kindName(Kind::Series), "series");
  EXPECT_EQ(kindName(Kind::Rules), "rules");
  const std::pair<IndicatorOp, const char *> ops[] = {
      {IndicatorOp::Sma, "sma"},        {IndicatorOp::Ema, "ema"},
      {IndicatorOp::Wma, "wma"},        {IndicatorOp::Dema, "dema"},
      {IndicatorOp::Tema, "tema"},      {IndicatorOp::Hma, "hma"},
      {IndicatorOp::Lsma, "lsma"},      {IndicatorOp::Kama, "kama"},
      {IndicatorOp::WeightedSum, "weighted_sum"},
      {IndicatorOp::Crossover, "crossover"},
      {IndicatorOp::Trend, "trend"}};
  for (auto [op, name] : ops)
    EXPECT_EQ(indicatorOpName(op), name);
}

TEST(SeriesErrors, Document) {
  const std::string sma = "[" + sind("s", "sma", R"("input":"close","period":3)") + "]";
  ASSERT_PARSES(ok, sdoc(sma));
  EXPECT_EQ(ok.kind(), Kind::Series);
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"series","output":{"type":"f64"},"indicators":[]})",
                     "descriptor", "missing required key 'inputs'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"series","inputs":[{"name":"a","type":"f64"}],"indicators":[]})",
                     "descriptor", "missing required key 'output'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"series","inputs":[{"name":"a","type":"f64"}],"output":{"type":"f64"}})",
                     "descriptor", "missing required key 'indicators'");
  EXPECT_PARSE_ERROR(sdoc("[]"), "indicators",
                     "expected a non-empty array of indicators, got an array");
  EXPECT_PARSE_ERROR(sdoc("{}"), "indicators",
                     "expected a non-empty array of indicators, got an object");
  EXPECT_PARSE_ERROR(sdoc(sma).insert(1, R"("indicator":[],)"), "descriptor",
                     "unknown key 'indicator' (did you mean 'indicators'?); a "
                     "series descriptor takes");
  // Keys of another family are unknown keys.
  EXPECT_PARSE_ERROR(sdoc(sma).insert(1, R"("steps":[],)"), "descriptor",
                     "unknown key 'steps'");
  EXPECT_PARSE_ERROR(sdoc(sma).insert(1, R"("name":["x"],)"), "name",
                     "expected a string, got an array");
  EXPECT_PARSE_ERROR(sdoc(sma, "[]"), "inputs", "expected a non-empty array");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"i64"}])"),
                     "inputs[0].type", "expected one of f64, f32");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"f64","missing":0}])"),
                     "inputs[0].missing", "series inputs take no 'missing'");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"f64","nmae":"x"}])"),
                     "inputs[0]", "unknown key 'nmae' (did you mean 'name'?)");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"f64"},{"name":"close","type":"f32"}])"),
                     "inputs[1].name", "duplicate input name 'close' (also inputs[0])");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"","type":"f64"}])"),
                     "inputs[0].name", "expected a non-empty string");
  EXPECT_PARSE_ERROR(sdoc(sma, kClose, R"({"type":"i32"})"), "output.type",
                     "expected one of f32, f64, got the string 'i32'");
  EXPECT_PARSE_ERROR(sdoc(sma, kClose, R"({"type":"f64","cols":[]})"), "output",
                     "unknown key 'cols'");
}

TEST(SeriesErrors, IndicatorShape) {
  auto one = [](const std::string &ind) { return sdoc("[" + ind + "]"); };
  EXPECT_PARSE_ERROR(one("3"), "indicators[0]", "expected an indicator object");
  EXPECT_PARSE_ERROR(one(R"({"name":"x","input":"close","period":3})"),
                     "indicators[0]", "missing required key 'op' (one of sma, "
                     "ema, wma, dema, tema, hma, lsma, kama, weighted_sum, "
                     "crossover, trend)");
  EXPECT_PARSE_ERROR(one(sind("x", "emaa", R"("input":"close","period":3)")),
                     "indicators[0].op",
                     "unknown op 'emaa' (expected one of sma, ema");
  EXPECT_PARSE_ERROR(one(sind("x", "emaa", R"("input":"close","period":3)")),
                     "indicators[0].op", "did you mean 'ema'?");
  EXPECT_PARSE_ERROR(one(R"({"name":"x","op":7,"input":"close","period":3})"),
                     "indicators[0].op", "got 7");
  EXPECT_PARSE_ERROR(one(R"({"op":"sma","input":"close","period":3})"),
                     "indicators[0]", "missing required key 'name'");
  EXPECT_PARSE_ERROR(one(R"({"name":"","op":"sma","input":"close","period":3})"),
                     "indicators[0].name", "expected a non-empty string");
  EXPECT_PARSE_ERROR(one(R"({"name":5,"op":"sma","input":"close","period":3})"),
                     "indicators[0].name", "expected a non-empty string, got 5");
  // Unknown keys, per op: a key of another op is unknown too.
  EXPECT_PARSE_ERROR(one(sind("x", "sma", R"("input":"close","period":3,"seed":"sma")")),
                     "indicators[0]", "unknown key 'seed'; a sma indicator takes "
                                      "input, name, op, period");
  EXPECT_PARSE_ERROR(one(sind("x", "ema", R"("input":"close","period":3,"sed":"sma")")),
                     "indicators[0]", "unknown key 'sed' (did you mean 'seed'?)");
  EXPECT_PARSE_ERROR(one(sind("x", "kama", R"("input":"close","period":3,"weights":[1])")),
                     "indicators[0]", "unknown key 'weights'");
  EXPECT_PARSE_ERROR(one(sind("x", "crossover", R"("fast":"close","slow":"close","period":3)")),
                     "indicators[0]", "unknown key 'period'");
  EXPECT_PARSE_ERROR(one(sind("x", "weighted_sum", R"("terms":[{"input":"close","weight":1}],"input":"close")")),
                     "indicators[0]", "unknown key 'input'");
  EXPECT_PARSE_ERROR(one(sind("x", "trend", R"("input":"close","against":["close"],"bias":1)")),
                     "indicators[0]", "unknown key 'bias'");
  EXPECT_PARSE_ERROR(one(sind("x", "weighted_sum", R"("terms":[{"input":"close","weight":1,"w":2}])")),
                     "indicators[0].terms[0]", "unknown key 'w'");
}

TEST(SeriesErrors, Periods) {
  auto ma = [](const std::string &op, const std::string &extra) {
    return sdoc("[" + sind("x", op, R"("input":"close",)" + extra) + "]");
  };
  for (const char *op : {"sma", "ema", "wma", "dema", "tema", "hma", "lsma", "kama"}) {
    EXPECT_PARSE_ERROR(ma(op, R"("period":0)"), "indicators[0].period",
                       "expected an integer in 1..100000, got 0");
    EXPECT_PARSE_ERROR(ma(op, R"("period":-3)"), "indicators[0].period",
                       "expected an integer in 1..100000, got -3");
    EXPECT_PARSE_ERROR(ma(op, R"("period":2.5)"), "indicators[0].period",
                       "expected an integer in 1..100000, got 2.5");
    EXPECT_PARSE_ERROR(ma(op, R"("period":"12")"), "indicators[0].period",
                       "got the string '12'");
    EXPECT_PARSE_ERROR(ma(op, R"("period":100001)"), "indicators[0].period",
                       "expected an integer in 1..100000");
    EXPECT_PARSE_ERROR(ma(op, R"("period":1e999)"), "indicators[0].period",
                       "too large for f64");
    EXPECT_PARSE_ERROR(ma(op, R"("period":null)"), "indicators[0].period",
                       "got null");
    EXPECT_PARSE_ERROR(ma(op, R"("perio":3)"), "indicators[0]",
                       "unknown key 'perio' (did you mean 'period'?)");
    std::string noPeriod = sdoc("[" + sind("x", op, R"("input":"close")") + "]");
    EXPECT_PARSE_ERROR(noPeriod, "indicators[0]",
                       "missing required key 'period' (an integer in 1..100000)");
    // Integral spellings are integers.
    EXPECT_EQ(parseOk(ma(op, R"("period":1.2e1)")).series().indicators[0].period, 12);
  }
  EXPECT_PARSE_ERROR(ma("ema", R"("period":3,"seed":"last")"),
                     "indicators[0].seed", "expected one of first, sma, got the string 'last'");
  EXPECT_PARSE_ERROR(ma("tema", R"("period":3,"seed":1)"),
                     "indicators[0].seed", "expected one of first, sma, got 1");
  // kama: 1 <= fast < slow.
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":30,"slow":30)"),
                     "indicators[0].slow", "kama needs fast < slow, got fast 30 and slow 30");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":40)"),
                     "indicators[0].fast",
                     "kama needs fast < slow, got fast 40 and slow 30 (the default)");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"slow":2)"),
                     "indicators[0].slow",
                     "got fast 2 (the default) and slow 2");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":0)"),
                     "indicators[0].fast", "expected an integer in 1..100000, got 0");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"slow":2.5)"),
                     "indicators[0].slow", "expected an integer in 1..100000, got 2.5");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":"2")"),
                     "indicators[0].fast", "got the string '2'");
}

TEST(SeriesErrors, Sources) {
  const std::string e = sind("e", "ema", R"("input":"close","period":3)");
  const std::string s = sind("s", "sma", R"("input":"close","period":5)");
  // Unknown: the path, the indicator and the name.
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("x", "sma", R"("input":"clos","period":3)") + "]"),
                     "indicators[1].input",
                     "unknown source 'clos' for indicator 'x' (inputs: close; "
                     "earlier indicators: e); did you mean 'close'?");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":"volume","period":3)") + "]"),
                     "indicators[0].input",
                     "unknown source 'volume' for indicator 'x' (inputs: close; "
                     "earlier indicators: none)");
  // A later indicator: a forward reference, named with its index.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":"e","period":3)") + "," + e + "]"),
                     "indicators[0].input",
                     "indicator 'x' reads 'e', a later indicator (indicators[1])");
  // Itself: a cycle.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "ema", R"("input":"x","period":3)") + "]"),
                     "indicators[0].input", "indicator 'x' reads itself (a cycle)");
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"c","slow":"e")") + "]"),
                     "indicators[1].fast", "indicator 'c' reads itself");
  // A two-indicator cycle is a forward reference.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("a", "sma", R"("input":"b","period":3)") + "," +
                          sind("b", "sma", R"("input":"a","period":3)") + "]"),
                     "indicators[0].input", "'b', a later indicator (indicators[1])");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":"","period":3)") + "]"),
                     "indicators[0].input", "expected the name of an input or an earlier indicator");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":["close"],"period":3)") + "]"),
                     "indicators[0].input", "got an array");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("period":3)") + "]"),
                     "indicators[0]", "missing required key 'input'");
  // Duplicate names: indicator vs indicator, indicator vs input.
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("e", "sma", R"("input":"close","period":3)") + "]"),
                     "indicators[1].name", "duplicate indicator name 'e' (also indicators[0])");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("close", "sma", R"("input":"close","period":3)") + "]"),
                     "indicators[0].name",
                     "indicator name 'close' is also the name of inputs[0]");
  // crossover: two different sources.
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"e","slow":"e")") + "]"),
                     "indicators[1].slow",
                     "crossover needs two different sources, got 'e' for both");
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"e")") + "]"),
                     "indicators[1]", "missing required key 'slow'");
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"e","slow":"q")") + "]"),
                     "indicators[1].slow", "unknown source 'q' for indicator 'c'");
  // weighted_sum.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[])") + "]"),
                     "indicators[0].terms", "expected a non-empty array of terms");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", "") + "]"),
                     "indicators[0]", "missing required key 'terms'");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":["close"])") + "]"),
                     "indicators[0].terms[0]", "expected a term object");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close"}])") + "]"),
                     "indicators[0].terms[0]", "missing required key 'weight'");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1e999}])") + "]"),
                     "indicators[0].terms[0].weight",
                     "expected a finite number, got a number too large for f64 (infinity)");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":"1"}])") + "]"),
                     "indicators[0].terms[0].weight", "got the string '1'");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1},{"input":"w","weight":1}])") + "]"),
                     "indicators[0].terms[1].input", "indicator 'w' reads itself");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1}],"bias":-1e999)") + "]"),
                     "indicators[0].bias", "(-infinity)");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1}],"bias":true)") + "]"),
                     "indicators[0].bias", "expected a finite number, got true");
  // trend.
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":[])") + "]"),
                     "indicators[1].against", "expected a non-empty array of sources");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":"s")") + "]"),
                     "indicators[1].against", "got the string 's'");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close")") + "]"),
                     "indicators[1]", "missing required key 'against'");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s","z"])") + "]"),
                     "indicators[1].against[1]", "unknown source 'z' for indicator 't'");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s","close"],"weights":[1])") + "]"),
                     "indicators[1].weights",
                     "expected 2 weights (one per 'against' source), got 1");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s"],"weights":[1,2,3])") + "]"),
                     "indicators[1].weights",
                     "expected 1 weight (one per 'against' source), got 3");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s"],"weights":[1e999])") + "]"),
                     "indicators[1].weights[0]", "expected a finite number");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s"],"weights":0.5)") + "]"),
                     "indicators[1].weights", "expected an array of 1 finite numbers");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s"],"upper":-0.01)") + "]"),
                     "indicators[1].upper", "expected a finite number >= 0, got -0.01");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s"],"lower":"0.1")") + "]"),
                     "indicators[1].lower", "expected a finite number >= 0, got the string '0.1'");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s"],"lower":1e999)") + "]"),
                     "indicators[1].lower", "infinity");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"nope","against":["s"])") + "]"),
                     "indicators[1].input", "unknown source 'nope' for indicator 't'");
}

TEST(SeriesErrors, Output) {
  const std::string inds = "[" + sind("e", "ema", R"("input":"close","period":3)") + "," +
                           sind("s", "sma", R"("input":"close","period":3)") + "]";
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["e","x"]})"),
                     "output.columns[1]", "unknown indicator 'x' (indicators: e, s)");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["ee"]})"),
                     "output.columns[0]", "did you mean 'e'?");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["close"]})"),
                     "output.columns[0]", "'close' is an input column; the output holds indicators");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["e","e"]})"),
                     "output.columns[1]", "duplicate output column 'e' (also output.columns[0])");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":[]})"),
                     "output.columns", "expected a non-empty array of indicator names");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":[3]})"),
                     "output.columns[0]", "expected an indicator name");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"columns":["e"]})"),
                     "output", "missing required key 'type'");
}

TEST(SeriesAnalysis, LookbackOfEveryOpAndSeed) {
  auto lb = [](const std::string &op, int n, const std::string &extra = "") {
    return lastLookback(sdoc("[" + sind("x", op, R"("input":"close","period":)" +
                                                    std::to_string(n) + extra) +
                             "]"));
  };
  for (int n : {1, 2, 3, 4, 9, 10, 16, 17, 24, 25, 26, 100, 100000}) {
    int64_t sq = static_cast<int64_t>(std::floor(std::sqrt(static_cast<double>(n))));
    EXPECT_EQ(lb("sma", n), n - 1) << n;
    EXPECT_EQ(lb("wma", n), n - 1) << n;
    EXPECT_EQ(lb("lsma", n), n - 1) << n;
    EXPECT_EQ(lb("ema", n), 0) << n;
    EXPECT_EQ(lb("ema", n, R"(,"seed":"first")"), 0) << n;
    EXPECT_EQ(lb("ema", n, R"(,"seed":"sma")"), n - 1) << n;
    EXPECT_EQ(lb("dema", n), 0) << n;
    EXPECT_EQ(lb("dema", n, R"(,"seed":"sma")"), 2 * (n - 1)) << n;
    EXPECT_EQ(lb("tema", n), 0) << n;
    EXPECT_EQ(lb("tema", n, R"(,"seed":"sma")"), 3 * (n - 1)) << n;
    EXPECT_EQ(lb("hma", n), n - 1 + sq - 1) << n;
    EXPECT_EQ(lb("kama", n), n) << n;
    EXPECT_EQ(lb("kama", n, R"(,"fast":5,"slow":50)"), n) << n;
  }
  // Spot values from the table.
  EXPECT_EQ(lb("hma", 16), 15 + 3);
  EXPECT_EQ(lb("hma", 15), 14 + 2);
  EXPECT_EQ(lb("hma", 1), 0);
  EXPECT_EQ(lb("kama", 10), 10);
  EXPECT_EQ(lb("tema", 15, R"(,"seed":"sma")"), 42);
}

TEST(SeriesAnalysis, LookbackOfComposites) {
  const std::string base =
      sind("s10", "sma", R"("input":"close","period":10)") + "," +   // 9
      sind("e5", "ema", R"("input":"close","period":5,"seed":"sma")") + "," + // 4
      sind("k", "kama", R"("input":"close","period":7)") + "," +    // 7
      sind("f", "ema", R"("input":"close","period":3)");             // 0
  auto last = [&](const std::string &ind) {
    return lastLookback(sdoc("[" + base + "," + ind + "]",
                             R"([{"name":"close","type":"f64"},{"name":"open","type":"f32"}])"));
  };
  EXPECT_EQ(last(sind("w", "weighted_sum", R"("terms":[{"input":"s10","weight":1},{"input":"e5","weight":-1}])")), 9);
  EXPECT_EQ(last(sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1}])")), 0);
  EXPECT_EQ(last(sind("w", "weighted_sum", R"("terms":[{"input":"open","weight":1},{"input":"f","weight":1}])")), 0);
  EXPECT_EQ(last(sind("w", "weighted_sum", R"("terms":[{"input":"k","weight":1},{"input":"close","weight":1}])")), 7);
  EXPECT_EQ(last(sind("c", "crossover", R"("fast":"e5","slow":"s10")")), 10);
  EXPECT_EQ(last(sind("c", "crossover", R"("fast":"close","slow":"open")")), 1);
  EXPECT_EQ(last(sind("c", "crossover", R"("fast":"f","slow":"close")")), 1);
  EXPECT_EQ(last(sind("t", "trend", R"("input":"close","against":["e5","k"])")), 7);
  EXPECT_EQ(last(sind("t", "trend", R"("input":"s10","against":["f"])")), 9);
  EXPECT_EQ(last(sind("t", "trend", R"("input":"close","against":["open"])")), 0);
  // A moving average of an indicator starts where its source does.
  EXPECT_EQ(last(sind("m", "sma", R"("input":"s10","period":4)")), 9 + 3);
  EXPECT_EQ(last(sind("m", "ema", R"("input":"s10","period":4)")), 9);
  EXPECT_EQ(last(sind("m", "ema", R"("input":"k","period":4,"seed":"sma")")), 7 + 3);
  EXPECT_EQ(last(sind("m", "kama", R"("input":"e5","period":6)")), 4 + 6);
  // Chains of composites accumulate (+1 per crossover).
  ASSERT_PARSES(d, sdoc("[" + base + "," +
                        sind("c", "crossover", R"("fast":"e5","slow":"s10")") + "," +
                        sind("w", "weighted_sum", R"("terms":[{"input":"c","weight":1}])") + "," +
                        sind("c2", "crossover", R"("fast":"w","slow":"k")") + "]"));
  const auto &inds = d.series().indicators;
  EXPECT_EQ(inds[4].lookback, 10);
  EXPECT_EQ(inds[5].lookback, 10);
  EXPECT_EQ(inds[6].lookback, 11);
}

TEST(SeriesAnalysis, SourcesAndDefaults) {
  ASSERT_PARSES(d, sdoc(
      "[" + sind("e", "ema", R"("input":"open","period":12)") + "," +
      sind("k", "kama", R"("input":"close","period":10)") + "," +
      sind("w", "weighted_sum", R"("terms":[{"input":"e","weight":0.5},{"input":"close","weight":2},{"input":"e","weight":-1}])") + "," +
      sind("c", "crossover", R"("fast":"k","slow":"e")") + "," +
      sind("t", "trend", R"("input":"w","against":["e","k","open"])") + "," +
      sind("t2", "trend", R"("input":"close","against":["c"],"weights":[3],"upper":0.5,"lower":0.25)") + "]",
      R"([{"name":"close","type":"f64"},{"name":"open","type":"f32"}])"));
  const SeriesSpec &s = d.series();
  ASSERT_EQ(s.indicators.size(), 6u);
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_EQ(s.inputs[1].type, DType::F32);
  // Ids: 0 close, 1 open, 2 e, 3 k, 4 w, 5 c, 6 t, 7 t2.
  EXPECT_EQ(s.indicators[0].sources, std::vector<int>{1});
  EXPECT_EQ(s.indicators[1].sources, std::vector<int>{0});
  EXPECT_EQ(s.indicators[2].sources, (std::vector<int>{2, 0, 2}));
  EXPECT_EQ(s.indicators[3].sources, (std::vector<int>{3, 2}));
  EXPECT_EQ(s.indicators[4].sources, (std::vector<int>{4, 2, 3, 1}));
  EXPECT_EQ(s.indicators[5].sources, (std::vector<int>{0, 5}));
  // Defaults.
  EXPECT_EQ(s.indicators[0].seed, EmaSeed::First);
  EXPECT_EQ(s.indicators[0].period, 12);
  EXPECT_EQ(s.indicators[1].fast, 2);
  EXPECT_EQ(s.indicators[1].slow, 30);
  EXPECT_EQ(s.indicators[2].weights, (std::vector<double>{0.5, 2, -1}));
  EXPECT_EQ(s.indicators[2].bias, 0.0);
  EXPECT_EQ(s.indicators[4].weights, (std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3}));
  EXPECT_EQ(s.indicators[4].upper, 0.0);
  EXPECT_EQ(s.indicators[4].lower, 0.0);
  EXPECT_EQ(s.indicators[5].weights, std::vector<double>{3});
  EXPECT_EQ(s.indicators[5].upper, 0.5);
  EXPECT_EQ(s.indicators[5].lower, 0.25);
  EXPECT_EQ(s.indicators[3].op, IndicatorOp::Crossover);
  // Output: every indicator in order.
  EXPECT_EQ(s.outputs, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(d.outputNames(), (std::vector<std::string>{"e", "k", "w", "c", "t", "t2"}));
  EXPECT_EQ(d.numOutputs(), 6u);
  EXPECT_EQ(d.outputType(), DType::F64);
  EXPECT_EQ(d.inputs().size(), 2u);
  EXPECT_EQ(d.inputs()[0].name, "close");
  // Selected output columns: indicator indices in the listed order.
  ASSERT_PARSES(sel, sdoc(
      "[" + sind("a", "sma", R"("input":"close","period":2)") + "," +
      sind("b", "wma", R"("input":"close","period":3)") + "," +
      sind("c", "lsma", R"("input":"close","period":4)") + "]",
      kClose, R"({"type":"f32","columns":["c","a"]})"));
  EXPECT_EQ(sel.series().outputs, (std::vector<int>{2, 0}));
  EXPECT_EQ(sel.outputNames(), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(sel.outputType(), DType::F32);
  EXPECT_EQ(sel.series().outputType, DType::F32);
  // Seeds and kama parameters as given.
  ASSERT_PARSES(g, sdoc("[" + sind("d", "dema", R"("input":"close","period":4,"seed":"sma")") + "," +
                        sind("k", "kama", R"("input":"d","period":3,"fast":4,"slow":5)") + "]"));
  EXPECT_EQ(g.series().indicators[0].seed, EmaSeed::Sma);
  EXPECT_EQ(g.series().indicators[1].fast, 4);
  EXPECT_EQ(g.series().indicators[1].slow, 5);
  EXPECT_EQ(g.series().indicators[1].sources, std::vector<int>{1});
  EXPECT_EQ(g.series().indicators[1].lookback, 6 + 3);
}

const char *kSeriesFull = R"({
  "specjit": 1, "kind": "series", "name": "full",
  "inputs": [{"name": "close", "type": "f64"}, {"name": "vol", "type": "f32"}],
  "output": {"type": "f32"},
  "indicators": [
    {"name": "e", "op": "ema", "input": "close", "period": 12},
    {"name": "k", "op": "kama", "input": "close", "period": 10},
    {"name": "w", "op": "weighted_sum", "terms": [{"input": "e", "weight": 0.5}, {"input": "vol", "weight": 2e0}]},
    {"name": "c", "op": "crossover", "fast": "e", "slow": "k"},
    {"name": "t", "op": "trend", "input": "close", "against": ["e", "k", "w"], "upper": 1e-2},
    {"name": "h", "op": "hma", "input": "w", "period": 9},
    {"name": "s", "op": "tema", "input": "close", "period": 5, "seed": "sma"}
  ]})";

TEST(SeriesCanonical, ExactText) {
  ASSERT_PARSES(d, kSeriesFull);
  EXPECT_EQ(
      d.canonical(),
      R"({"indicators":[{"input":"close","name":"e","op":"ema","period":12,"seed":"first"},)"
      R"({"fast":2,"input":"close","name":"k","op":"kama","period":10,"slow":30},)"
      R"({"bias":0,"name":"w","op":"weighted_sum","terms":[{"input":"e","weight":0.5},{"input":"vol","weight":2}]},)"
      R"({"fast":"e","name":"c","op":"crossover","slow":"k"},)"
      R"({"against":["e","k","w"],"input":"close","lower":0,"name":"t","op":"trend","upper":0.01,)"
      R"("weights":[0.3333333333333333,0.3333333333333333,0.3333333333333333]},)"
      R"({"input":"w","name":"h","op":"hma","period":9},)"
      R"({"input":"close","name":"s","op":"tema","period":5,"seed":"sma"}],)"
      R"("inputs":[{"name":"close","type":"f64"},{"name":"vol","type":"f32"}],"kind":"series",)"
      R"("output":{"columns":["e","k","w","c","t","h","s"],"type":"f32"},"specjit":1})");
  EXPECT_EQ(d.series().name, "full");
}

TEST(SeriesHash, Invariance) {
  ASSERT_PARSES(base, kSeriesFull);
  // Keys permuted, numbers respelled, defaults written out, output columns
  // spelled out as the default, another name.
  ASSERT_PARSES(same, R"({"indicators": [
    {"seed": "first", "period": 12.0, "input": "close", "op": "ema", "name": "e"},
    {"slow": 3e1, "fast": 2, "period": 10, "op": "kama", "input": "close", "name": "k"},
    {"bias": 0.0e0, "terms": [{"weight": 5e-1, "input": "e"}, {"weight": 2.0, "input": "vol"}], "op": "weighted_sum", "name": "w"},
    {"slow": "k", "fast": "e", "op": "crossover", "name": "c"},
    {"weights": [0.3333333333333333, 0.33333333333333333, 3.333333333333333e-1], "lower": 0, "upper": 0.010, "against": ["e", "k", "w"], "input": "close", "op": "trend", "name": "t"},
    {"period": 9, "input": "w", "op": "hma", "name": "h"},
    {"seed": "sma", "period": 5, "input": "close", "op": "tema", "name": "s"}],
  "output": {"columns": ["e", "k", "w", "c", "t", "h", "s"], "type": "f32"},
  "inputs": [{"type": "f64", "name": "close"}, {"type": "f32", "name": "vol"}],
  "kind": "series", "specjit": 1.0, "name": "other"})");
  EXPECT_EQ(same.canonical(), base.canonical());
  EXPECT_EQ(same.hash(), base.hash());
  // Equal weights written out are the default.
  auto trend = [](const std::string &extra) {
    return sdoc("[" + sind("a", "sma", R"("input":"close","period":3)") + "," +
                sind("b", "sma", R"("input":"close","period":4)") + "," +
                sind("t", "trend", R"("input":"close","against":["a","b"])" + extra) + "]");
  };
  ASSERT_PARSES(t1, trend(""));
  ASSERT_PARSES(t2, trend(R"(,"weights":[0.5,0.5],"upper":0,"lower":0.0)"));
  EXPECT_EQ(t1.hash(), t2.hash());
  // The name is not hashed.
  ASSERT_PARSES(n1, sdoc("[" + sind("a", "sma", R"("input":"close","period":3)") + "]"));
  std::string named = sdoc("[" + sind("a", "sma", R"("input":"close","period":3)") + "]");
  named.insert(1, R"("name":"whatever",)");
  ASSERT_PARSES(n2, named);
  EXPECT_EQ(n1.hash(), n2.hash());
  EXPECT_EQ(n2.series().name, "whatever");
}

TEST(SeriesHash, Sensitivity) {
  auto replace = [](std::string s, const std::string &from,
                    const std::string &to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::string> variants = {kSeriesFull};
  std::vector<std::pair<std::string, std::string>> edits = {
      {R"("period": 12})", R"("period": 13})"},
      {R"("period": 12})", R"("period": 12, "seed": "sma"})"},
      {R"("op": "ema")", R"("op": "sma")"},
      {R"("op": "ema")", R"("op": "dema")"},
      {R"("op": "ema")", R"("op": "tema")"},
      {R"("op": "ema")", R"("op": "wma")"},
      {R"("op": "ema")", R"("op": "lsma")"},
      {R"("op": "ema")", R"("op": "hma")"},
      {R"("period": 10})", R"("period": 10, "fast": 3})"},
      {R"("period": 10})", R"("period": 10, "slow": 31})"},
      {R"("period": 10})", R"("period": 11})"},
      {R"("weight": 0.5})", R"("weight": 0.25})"},
      {R"("weight": 2e0}])", R"("weight": 2e0}], "bias": 1)"},
      {R"({"input": "vol", "weight": 2e0})", R"({"input": "close", "weight": 2e0})"},
      {R"("fast": "e", "slow": "k")", R"("fast": "k", "slow": "e")"},
      {R"("upper": 1e-2)", R"("upper": 2e-2)"},
      {R"("upper": 1e-2)", R"("upper": 1e-2, "lower": 1e-2)"},
      {R"("upper": 1e-2)", R"("upper": 1e-2, "weights": [0.5, 0.25, 0.25])"},
      {R"(["e", "k", "w"])", R"(["e", "k"])"},
      {R"(["e", "k", "w"])", R"(["k", "e", "w"])"},
      {R"("input": "close", "against")", R"("input": "vol", "against")"},
      {R"("input": "w", "period": 9)", R"("input": "close", "period": 9)"},
      {R"("seed": "sma"})", R"("seed": "first"})"},
      {R"({"name": "vol", "type": "f32"})", R"({"name": "vol", "type": "f64"})"},
      {R"("output": {"type": "f32"})", R"("output": {"type": "f64"})"},
      {R"("output": {"type": "f32"})", R"("output": {"type": "f32", "columns": ["t", "c"]})"},
      {R"({"name": "s", "op")", R"({"name": "s2", "op")"},
  };
  for (const auto &[from, to] : edits)
    variants.push_back(replace(kSeriesFull, from, to));
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  for (const std::string &v : variants) {
    SCOPED_TRACE(v);
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
  }
  EXPECT_EQ(hashes.size(), variants.size());
}

//===----------------------------------------------------------------------===//
// The rules family
//===----------------------------------------------------------------------===//

/// A rules document over the meters energy, mood, hunger.
std::string rdoc(const std::string &rules, const std::string &extra = "") {
  return R"({"specjit":1,"kind":"rules","meters":["energy","mood","hunger"],"rules":)" +
         rules + (extra.empty() ? "" : "," + extra) + "}";
}

TEST(RulesErrors, Document) {
  ASSERT_PARSES(ok, rdoc("[]"));
  EXPECT_EQ(ok.kind(), Kind::Rules);
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","rules":[]})", "descriptor",
                     "missing required key 'meters'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a"]})", "descriptor",
                     "missing required key 'rules'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":[],"rules":[]})", "meters",
                     "expected a non-empty array of unique meter names, got an array");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":"a","rules":[]})", "meters",
                     "got the string 'a'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a",""],"rules":[]})", "meters[1]",
                     "expected a meter name (a non-empty string)");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a",1],"rules":[]})", "meters[1]",
                     "got 1");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a","b","a"],"rules":[]})", "meters[2]",
                     "duplicate meter 'a' (also meters[0])");
  EXPECT_PARSE_ERROR(rdoc("{}"), "rules", "expected an array of rules (may be empty), got an object");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("typ":"f32")"), "descriptor",
                     "unknown key 'typ' (did you mean 'type'?); a rules descriptor takes "
                     "clamp, kind, meters, name, rules, specjit, steps, type");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("inputs":[])"), "descriptor", "unknown key 'inputs'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("name":1)"), "name", "expected a string, got 1");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("type":"i32")"), "type",
                     "expected one of f32, f64 (the state matrix's element type), got the string 'i32'");
  // steps: 1..1000000.
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":0)"), "steps", "expected an integer in 1..1000000, got 0");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":-1)"), "steps", "expected an integer in 1..1000000, got -1");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":1000001)"), "steps", "got 1000001");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":2.5)"), "steps", "got 2.5");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":"10")"), "steps", "got the string '10'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":1e999)"), "steps", "infinity");
  EXPECT_EQ(parseOk(rdoc("[]", R"("steps":1000000)")).rules().steps, 1000000);
  EXPECT_EQ(parseOk(rdoc("[]", R"("steps":1e1)")).rules().steps, 10);
}

TEST(RulesErrors, Clamp) {
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[1,0]})"), "clamp.energy",
                     "expected lo <= hi, got [1, 0]");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0.5,0.25]})"), "clamp.energy",
                     "expected lo <= hi, got [0.5, 0.25]");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0,1e999]})"), "clamp.energy[1]",
                     "expected a finite number, got a number too large for f64 (infinity)");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[-1e999,0]})"), "clamp.energy[0]",
                     "(-infinity)");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0,"1"]})"), "clamp.energy[1]",
                     "got the string '1'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0]})"), "clamp.energy",
                     "expected [lo, hi], an array of two finite numbers, got an array");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0,1,2]})"), "clamp.energy",
                     "expected [lo, hi]");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":1})"), "clamp.energy",
                     "expected [lo, hi], an array of two finite numbers, got 1");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"enrgy":[0,1]})"), "clamp.enrgy",
                     "unknown meter 'enrgy' (meters: energy, mood, hunger); did you mean 'energy'?");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"a b":[0,1]})"), R"(clamp["a b"])",
                     "unknown meter 'a b'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":[[0,1]])"), "clamp",
                     "expected an object {meter: [lo, hi]}, got an array");
  // lo == hi is fine; so is an empty object (no clamps).
  ASSERT_PARSES(eq, rdoc("[]", R"("clamp":{"mood":[0.5,0.5]})"));
  EXPECT_EQ(eq.rules().clamp[1], std::make_pair(0.5, 0.5));
  ASSERT_PARSES(none, rdoc("[]", R"("clamp":{})"));
  EXPECT_EQ(none.rules().clamp.size(), 3u);
  EXPECT_FALSE(none.rules().clamp[0].has_value());
}

TEST(RulesErrors, Rules) {
  EXPECT_PARSE_ERROR(rdoc("[3]"), "rules[0]", "expected a rule object");
  // A rule with no action.
  EXPECT_PARSE_ERROR(rdoc(R"([{"mul":{"mood":"2"}},{"if":"mood < 1"}])"), "rules[1]",
                     "a rule needs at least one action: set, add, sub or mul");
  EXPECT_PARSE_ERROR(rdoc(R"([{}])"), "rules[0]", "a rule needs at least one action");
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{}}])"), "rules[0].set",
                     "expected a non-empty object {meter: expression}, got an object");
  EXPECT_PARSE_ERROR(rdoc(R"([{"add":["mood"]}])"), "rules[0].add",
                     "expected a non-empty object {meter: expression}, got an array");
  // Unknown keys.
  EXPECT_PARSE_ERROR(rdoc(R"([{"sett":{"mood":"1"}}])"), "rules[0]",
                     "unknown key 'sett' (did you mean 'set'?); a rule takes add, if, mul, set, sub");
  EXPECT_PARSE_ERROR(rdoc(R"([{"when":"mood","set":{"mood":"1"}}])"), "rules[0]",
                     "unknown key 'when'");
  // Unknown target meters.
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mod":"1"}}])"), "rules[0].set.mod",
                     "unknown meter 'mod' (meters: energy, mood, hunger); did you mean 'mood'?");
  EXPECT_PARSE_ERROR(rdoc(R"([{"sub":{"x y":"1"}}])"), R"(rules[0].sub["x y"])",
                     "unknown meter 'x y'");
  // A meter targeted twice in one rule (named with the first action).
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"1"},"add":{"mood":"2"}}])"), "rules[0].add.mood",
                     "meter 'mood' is already the target of rules[0].set (a meter may be the "
                     "target of at most one action per rule)");
  EXPECT_PARSE_ERROR(rdoc(R"([{"sub":{"energy":"1"},"mul":{"mood":"2","energy":"3"}}])"),
                     "rules[0].mul.energy", "already the target of rules[0].sub");
  // ... but across rules it is fine.
  ASSERT_PARSES(twice, rdoc(R"([{"set":{"mood":"1"}},{"add":{"mood":"2"}}])"));
  // Expressions naming unknown meters: the path, the name, the offset.
  EXPECT_PARSE_ERROR(
      rdoc(R"([{"mul":{"mood":"2"}},{"add":{"mood":"1"}},{"set":{"mood":"1 + x"}}])"),
      "rules[2].set.mood", "unknown meter 'x' at offset 4 (meters: energy, mood, hunger)");
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"mod * 2"}}])"), "rules[0].set.mood",
                     "unknown meter 'mod' at offset 0 (meters: energy, mood, hunger); did you "
                     "mean 'mood'?");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"hunger > 0.5 and thirst > 0.5","set":{"mood":"0"}}])"),
                     "rules[0].if", "unknown meter 'thirst' at offset 17");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"`energy ` > 1","set":{"mood":"0"}}])"),
                     "rules[0].if", "unknown meter 'energy ' at offset 0");
  // Syntax errors and constants out of range.
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"1 +"}}])"), "rules[0].set.mood",
                     "at offset 3");
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"mood * 1e999"}}])"), "rules[0].set.mood",
                     "number '1e999' is out of range at offset 7");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"","set":{"mood":"1"}}])"), "rules[0].if",
                     "expected an expression at offset 0");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"mood = 1","set":{"mood":"1"}}])"), "rules[0].if",
                     "did you mean '=='?");
  // Wrong types.
  EXPECT_PARSE_ERROR(rdoc(R"([{"mul":{"energy":0.999}}])"), "rules[0].mul.energy",
                     "expected an expression over the meters (a string), got 0.999; write it "
                     "as \"0.999\"");
  EXPECT_PARSE_ERROR(rdoc(R"([{"mul":{"energy":null}}])"), "rules[0].mul.energy",
                     "expected an expression over the meters (a string), got null");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":true,"mul":{"energy":"1"}}])"), "rules[0].if",
                     "expected a condition over the meters (a string), got true");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":1,"mul":{"energy":"1"}}])"), "rules[0].if",
                     "write it as \"1\"");
}

/// A rules document over the meters energy, mood, hunger, fun.
std::string rdoc4(const std::string &rules, const std::string &extra = "") {
  return R"({"specjit":1,"kind":"rules","meters":["energy","mood","hunger","fun"],"rules":)" +
         rules + (extra.empty() ? "" : "," + extra) + "}";
}

std::string actionsOf(const Rule &r) {
  static const char *kinds[] = {"set", "add", "sub", "mul"};
  std::string out;
  for (const RuleAction &a : r.actions)
    out += std::string(out.empty() ? "" : " ") + kinds[static_cast<int>(a.kind)] +
           ":" + std::to_string(a.meter);
  return out;
}

TEST(RulesAnalysis, ActionOrderAndResolution) {
  ASSERT_PARSES(d, rdoc4(
      R"([{"mul":{"fun":"2","energy":"mood"},"sub":{"mood":"hunger"},)"
      R"("set":{"hunger":"energy + hunger * `mood`"},"if":"hunger > 0.5 or not energy"},)"
      R"({"add":{"fun":"0.01","energy":"0.02","mood":"0.03"}},)"
      R"({"mul":{"mood":"1"},"add":{"fun":"1"},"sub":{"energy":"1"},"set":{"hunger":"1"}}])",
      R"("clamp":{"hunger":[0,1],"energy":[-1,2.5]},"type":"f32","steps":7)"));
  const RulesSpec &r = d.rules();
  EXPECT_EQ(r.meters, (std::vector<std::string>{"energy", "mood", "hunger", "fun"}));
  ASSERT_EQ(r.rules.size(), 3u);
  // set, add, sub, mul; by meter index within a kind.
  EXPECT_EQ(actionsOf(r.rules[0]), "set:2 sub:1 mul:0 mul:3");
  EXPECT_EQ(actionsOf(r.rules[1]), "add:0 add:1 add:3");
  EXPECT_EQ(actionsOf(r.rules[2]), "set:2 add:3 sub:0 mul:1");
  // Column nodes carry the meter index.
  const Rule &r0 = r.rules[0];
  ASSERT_TRUE(r0.cond);
  EXPECT_EQ(r0.condText, "hunger > 0.5 or not energy");
  EXPECT_EQ(sexpr(*r0.cond), "(or (> hunger$2 0.5) (not energy$0))");
  EXPECT_EQ(r0.actions[0].text, "energy + hunger * `mood`");
  EXPECT_EQ(sexpr(*r0.actions[0].expr), "(+ energy$0 (* hunger$2 mood$1))");
  EXPECT_EQ(sexpr(*r0.actions[1].expr), "hunger$2");
  EXPECT_EQ(sexpr(*r0.actions[2].expr), "mood$1");
  EXPECT_EQ(sexpr(*r0.actions[3].expr), "2");
  EXPECT_EQ(r0.actions[0].kind, RuleAction::Kind::Set);
  EXPECT_EQ(r0.actions[3].kind, RuleAction::Kind::Mul);
  // No condition: always.
  EXPECT_FALSE(r.rules[1].cond);
  EXPECT_TRUE(r.rules[1].condText.empty());
  // Clamps, per meter.
  ASSERT_EQ(r.clamp.size(), 4u);
  EXPECT_EQ(r.clamp[0], std::make_pair(-1.0, 2.5));
  EXPECT_FALSE(r.clamp[1].has_value());
  EXPECT_EQ(r.clamp[2], std::make_pair(0.0, 1.0));
  EXPECT_FALSE(r.clamp[3].has_value());
  EXPECT_EQ(r.type, DType::F32);
  EXPECT_EQ(r.steps, 7);
  // The state matrix is the output; there are no inputs.
  EXPECT_EQ(d.outputNames(), r.meters);
  EXPECT_EQ(d.numOutputs(), 4u);
  EXPECT_EQ(d.outputType(), DType::F32);
  EXPECT_TRUE(d.inputs().empty());
  // Defaults.
  ASSERT_PARSES(e, rdoc("[]"));
  EXPECT_EQ(e.rules().type, DType::F64);
  EXPECT_EQ(e.rules().steps, 1);
  EXPECT_TRUE(e.rules().rules.empty());
  EXPECT_EQ(e.rules().clamp.size(), 3u);
  // Meter names that need backquotes in expressions.
  ASSERT_PARSES(q, R"({"specjit":1,"kind":"rules","meters":["a b","and"],)"
                   R"("rules":[{"set":{"a b":"`and` + 1"}}]})");
  EXPECT_EQ(sexpr(*q.rules().rules[0].actions[0].expr), "(+ and$1 1)");
}

const char *kRulesFull = R"json({"specjit":1,"kind":"rules","name":"n",
 "meters":["energy","mood","hunger"],"type":"f32",
 "rules":[{"if":"mood<0.2","sub":{"energy":"0.01*(0.2-mood)"}},
          {"if":"hunger > 0.8 && energy > 0.1","set":{"mood":"mood - 0.05"},"add":{"hunger":"1e-2"}},
          {"mul":{"mood":"(mood)","energy":"0.999"}}],
 "clamp":{"mood":[0,1.0],"energy":[0,1]},"steps":10})json";

TEST(RulesCanonical, ExactText) {
  ASSERT_PARSES(d, kRulesFull);
  EXPECT_EQ(
      d.canonical(),
      R"({"clamp":{"energy":[0,1],"mood":[0,1]},"kind":"rules","meters":["energy","mood","hunger"],)"
      R"j("rules":[{"if":"mood < 0.2","sub":{"energy":"0.01 * (0.2 - mood)"}},)j"
      R"({"add":{"hunger":"0.01"},"if":"hunger > 0.8 and energy > 0.1","set":{"mood":"mood - 0.05"}},)"
      R"({"mul":{"energy":"0.999","mood":"mood"}}],"specjit":1,"steps":10,"type":"f32"})");
  EXPECT_EQ(d.rules().name, "n");
  // Defaults written out; meter keys sorted bytewise, not in meter order.
  ASSERT_PARSES(e, R"({"specjit":1,"kind":"rules","meters":["zeta","alpha"],)"
                   R"("rules":[{"add":{"zeta":"1","alpha":"alpha"}}]})");
  EXPECT_EQ(e.canonical(),
            R"({"kind":"rules","meters":["zeta","alpha"],"rules":[{"add":{"alpha":"alpha","zeta":"1"}}],)"
            R"("specjit":1,"steps":1,"type":"f64"})");
  EXPECT_EQ(actionsOf(e.rules().rules[0]), "add:0 add:1");
}

TEST(RulesHash, Invariance) {
  ASSERT_PARSES(base, kRulesFull);
  ASSERT_PARSES(same, R"json({"steps":1e1,"clamp":{"energy":[0.0,1e0],"mood":[-0,1]},
   "rules":[{"sub":{"energy":"0.010 * ((0.2) - `mood`)"},"if":"(mood < 2e-1)"},
            {"add":{"hunger":"0.01"},"set":{"mood":"mood-0.05"},"if":"(hunger > 0.8) and (energy > 0.1)"},
            {"mul":{"energy":"999e-3","mood":"mood"}}],
   "type":"f32","meters":["energy","mood","hunger"],"kind":"rules","specjit":1.0,"name":"other"})json");
  EXPECT_EQ(same.canonical(), base.canonical());
  EXPECT_EQ(same.hash(), base.hash());
  // Defaults written or not; an empty clamp is no clamp.
  ASSERT_PARSES(d1, rdoc(R"([{"mul":{"mood":"2"}}])"));
  ASSERT_PARSES(d2, rdoc(R"([{"mul":{"mood":"2"}}])", R"("type":"f64","steps":1,"clamp":{})"));
  EXPECT_EQ(d1.hash(), d2.hash());
  // Expression spellings.
  ASSERT_PARSES(x1, rdoc(R"j([{"if":"not (mood < 1) || hunger","set":{"mood":"pow(mood, 2)"}}])j"));
  ASSERT_PARSES(x2, rdoc(R"([{"if":"!(mood<1) or hunger","set":{"mood":"mood ** 2.0"}}])"));
  EXPECT_EQ(x1.hash(), x2.hash());
}

TEST(RulesHash, Sensitivity) {
  auto replace = [](std::string s, const std::string &from,
                    const std::string &to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::string> variants = {kRulesFull};
  std::vector<std::pair<std::string, std::string>> edits = {
      {R"("type":"f32")", R"("type":"f64")"},
      {R"("steps":10)", R"("steps":11)"},
      {R"(,"steps":10)", ""},
      {R"("mood":[0,1.0],)", ""},
      {R"("mood":[0,1.0])", R"("mood":[0,0.9])"},
      {R"("mood":[0,1.0])", R"("hunger":[0,1.0])"},
      {R"("mood<0.2")", R"("mood<=0.2")"},
      {R"("if":"mood<0.2",)", ""},
      {R"("sub":{"energy")", R"("add":{"energy")"},
      {R"("sub":{"energy")", R"("set":{"energy")"},
      {R"("sub":{"energy")", R"("mul":{"energy")"},
      {R"("sub":{"energy")", R"("sub":{"hunger")"},
      {R"("1e-2")", R"("2e-2")"},
      {R"j("(mood)")j", R"("energy")"},
      {R"(["energy","mood","hunger"])", R"(["energy","mood","hunger","fun"])"},
      {R"(["energy","mood","hunger"])", R"(["mood","energy","hunger"])"},
      {R"j({"mul":{"mood":"(mood)","energy":"0.999"}})j", R"({"mul":{"energy":"0.999"}})"},
  };
  for (const auto &[from, to] : edits)
    variants.push_back(replace(kRulesFull, from, to));
  // Rule order matters.
  variants.push_back(replace(
      replace(kRulesFull, R"j({"if":"mood<0.2","sub":{"energy":"0.01*(0.2-mood)"}},)j", ""),
      R"j({"mul":{"mood":"(mood)","energy":"0.999"}}])j",
      R"j({"mul":{"mood":"(mood)","energy":"0.999"}},{"if":"mood<0.2","sub":{"energy":"0.01*(0.2-mood)"}}])j"));
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  for (const std::string &v : variants) {
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
  }
  EXPECT_EQ(hashes.size(), variants.size());
}

TEST(FamiliesHash, GoldenValues) {
  // Persistent cache keys, as for the pipeline family (see
  // DescriptorHash.GoldenValue): a change here invalidates stored kernels.
  ASSERT_PARSES(s, R"({"specjit":1,"kind":"series","inputs":[{"name":"close","type":"f64"}],)"
                   R"("output":{"type":"f64"},"indicators":[)"
                   R"({"name":"ema12","op":"ema","input":"close","period":12},)"
                   R"({"name":"sig","op":"trend","input":"close","against":["ema12"],"upper":0.01}]})");
  EXPECT_EQ(s.canonical(),
            R"({"indicators":[{"input":"close","name":"ema12","op":"ema","period":12,"seed":"first"},)"
            R"({"against":["ema12"],"input":"close","lower":0,"name":"sig","op":"trend","upper":0.01,)"
            R"("weights":[1]}],"inputs":[{"name":"close","type":"f64"}],"kind":"series",)"
            R"("output":{"columns":["ema12","sig"],"type":"f64"},"specjit":1})");
  EXPECT_EQ(s.hash().hex(), "ed0d8d86aab672c334b8661123393421");
  ASSERT_PARSES(r, R"j({"specjit":1,"kind":"rules","meters":["energy","mood"],"type":"f32",)j"
                   R"j("rules":[{"if":"mood < 0.2","sub":{"energy":"0.01 * (0.2 - mood)"}}],)j"
                   R"j("clamp":{"energy":[0,1]},"steps":10})j");
  EXPECT_EQ(r.canonical(),
            R"j({"clamp":{"energy":[0,1]},"kind":"rules","meters":["energy","mood"],)j"
            R"j("rules":[{"if":"mood < 0.2","sub":{"energy":"0.01 * (0.2 - mood)"}}],)j"
            R"j("specjit":1,"steps":10,"type":"f32"})j");
  EXPECT_EQ(r.hash().hex(), "8cb8795e6cc84cc2f924636361f8e91d");
}

//===----------------------------------------------------------------------===//
// Both new families: round trip, dispatch, files, robustness
//===----------------------------------------------------------------------===//

TEST(FamiliesCanonical, RoundTrip) {
  std::vector<std::string> texts = {
      kSeriesFull,
      kRulesFull,
      readSourceFile("examples/strategy.json"),
      readSourceFile("examples/needs_rules.json"),
      sdoc("[" + sind("a b", "sma", R"("input":"c\"d","period":1)") + "," +
           sind("x", "weighted_sum", R"("terms":[{"input":"a b","weight":-0.0}],"bias":1e300)") + "]",
           R"([{"name":"c\"d","type":"f32"}])", R"({"type":"f64","columns":["x"]})"),
      R"({"specjit":1,"kind":"rules","meters":["a b","and","é"],"rules":[)"
      R"j({"if":"-`a b` ** 2 > 3 ? 1 : select(`and`, 0, 1)","set":{"é":"`é` / 3"}},)j"
      R"j({"mul":{"and":"1.5e-7"},"sub":{"a b":"-(-`and`)"}}],"clamp":{"é":[-0.0,0]}})j",
  };
  for (const std::string &text : texts) {
    ASSERT_PARSES(d, text);
    ASSERT_PARSES(again, d.canonical());
    EXPECT_EQ(again.canonical(), d.canonical()) << text;
    EXPECT_EQ(again.hash(), d.hash());
    EXPECT_EQ(again.kind(), d.kind());
    EXPECT_EQ(again.outputNames(), d.outputNames());
    EXPECT_TRUE(static_cast<bool>(llvm::json::parse(d.canonical())));
    EXPECT_EQ(d.canonical().find('\n'), std::string::npos);
    if (d.kind() == Kind::Series) {
      ASSERT_EQ(again.series().indicators.size(), d.series().indicators.size());
      for (size_t i = 0; i < d.series().indicators.size(); ++i) {
        EXPECT_EQ(again.series().indicators[i].sources, d.series().indicators[i].sources);
        EXPECT_EQ(again.series().indicators[i].lookback, d.series().indicators[i].lookback);
        EXPECT_EQ(again.series().indicators[i].weights, d.series().indicators[i].weights);
      }
    }
  }
}

TEST(FamiliesDispatch, KindAndFromJson) {
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rule","meters":["a"],"rules":[]})", "kind",
                     "unknown kind 'rule' (expected one of pipeline, series, rules, model, train, eval); did you "
                     "mean 'rules'?");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":["series"]})", "kind",
                     "expected a string naming the family (one of pipeline, series, rules, model, train, eval)");
  EXPECT_PARSE_ERROR(R"({"specjit":2,"kind":"series"})", "specjit", "unsupported format version 2");
  EXPECT_PARSE_ERROR(R"({"specjit":1})", "descriptor",
                     "missing required key 'kind' (the descriptor family: one of pipeline, "
                     "series, rules, model, train, eval)");
  // A pipeline document with another kind: its keys are unknown there.
  EXPECT_PARSE_ERROR(doc(kABC, "[]").replace(doc(kABC, "[]").find("pipeline"), 8, "rules"),
                     "descriptor", "unknown key 'inputs'");
  // fromJSON on values built in C++: NaN and infinity are rejected.
  llvm::json::Value series = llvm::json::Object{
      {"specjit", 1},
      {"kind", "series"},
      {"inputs", llvm::json::Array{llvm::json::Object{{"name", "p"}, {"type", "f64"}}}},
      {"output", llvm::json::Object{{"type", "f64"}}},
      {"indicators", llvm::json::Array{llvm::json::Object{
                         {"name", "w"}, {"op", "weighted_sum"},
                         {"terms", llvm::json::Array{llvm::json::Object{
                                       {"input", "p"}, {"weight", NAN}}}}}}}};
  llvm::Expected<Descriptor> s = Descriptor::fromJSON(series);
  ASSERT_FALSE(static_cast<bool>(s));
  EXPECT_NE(llvm::toString(s.takeError())
                .find("indicators[0].terms[0].weight: expected a finite number, got NaN"),
            std::string::npos);
  llvm::json::Value rules = llvm::json::Object{
      {"specjit", 1},
      {"kind", "rules"},
      {"meters", llvm::json::Array{"m"}},
      {"rules", llvm::json::Array{}},
      {"clamp", llvm::json::Object{{"m", llvm::json::Array{0.0, INFINITY}}}}};
  llvm::Expected<Descriptor> r = Descriptor::fromJSON(rules);
  ASSERT_FALSE(static_cast<bool>(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("clamp.m[1]: expected a finite number"),
            std::string::npos);
  llvm::json::Value good = llvm::json::Object{
      {"specjit", 1}, {"kind", "rules"}, {"meters", llvm::json::Array{"m"}},
      {"rules", llvm::json::Array{llvm::json::Object{
                    {"add", llvm::json::Object{{"m", "1"}}}}}}};
  llvm::Expected<Descriptor> g = Descriptor::fromJSON(good);
  ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
  ASSERT_PARSES(gt, R"({"specjit":1,"kind":"rules","meters":["m"],"rules":[{"add":{"m":"1"}}]})");
  EXPECT_EQ(g->hash(), gt.hash());
}

TEST(FamiliesFiles, NewExamplesParse) {
  llvm::Expected<Descriptor> s = Descriptor::fromFile(
      std::string(SPECJIT_SOURCE_DIR) + "/examples/strategy.json");
  ASSERT_TRUE(static_cast<bool>(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->kind(), Kind::Series);
  const SeriesSpec &ss = s->series();
  EXPECT_EQ(ss.inputs.size(), 1u);
  EXPECT_EQ(ss.inputs[0].name, "close");
  EXPECT_EQ(ss.outputType, DType::F64);
  EXPECT_GE(ss.indicators.size(), 12u);
  std::set<IndicatorOp> ops;
  std::set<EmaSeed> emaSeeds;
  for (const Indicator &ind : ss.indicators) {
    ops.insert(ind.op);
    if (ind.op == IndicatorOp::Ema)
      emaSeeds.insert(ind.seed);
  }
  EXPECT_EQ(ops.size(), 11u) << "every op";
  EXPECT_EQ(emaSeeds.size(), 2u) << "EMAs with both seeds";
  llvm::Expected<Descriptor> r = Descriptor::fromFile(
      std::string(SPECJIT_SOURCE_DIR) + "/examples/needs_rules.json");
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  const RulesSpec &rs = r->rules();
  EXPECT_EQ(rs.meters.size(), 8u);
  EXPECT_EQ(rs.rules.size(), 11u);
  EXPECT_EQ(rs.steps, 10);
  EXPECT_EQ(rs.type, DType::F32);
  std::set<RuleAction::Kind> kinds;
  for (const Rule &rule : rs.rules)
    for (const RuleAction &a : rule.actions)
      kinds.insert(a.kind);
  EXPECT_EQ(kinds.size(), 4u) << "set, add, sub and mul";
  EXPECT_TRUE(llvm::all_of(rs.clamp, [](const auto &c) { return c.has_value(); }));
}

TEST(FamiliesRobustness, EveryPrefixOfTheNewExamplesIsAnError) {
  for (const char *file : {"examples/strategy.json", "examples/needs_rules.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    // The closing brace is the last non-space byte: every shorter prefix is
    // cut JSON.
    size_t end = text.find_last_not_of(" \n\r\t");
    ASSERT_EQ(text[end], '}');
    for (size_t n = 0; n <= end; ++n) {
      llvm::Expected<Descriptor> d = Descriptor::parse(StringRef(text).take_front(n));
      EXPECT_FALSE(static_cast<bool>(d)) << file << " " << n;
      if (!d)
        EXPECT_FALSE(llvm::toString(d.takeError()).empty());
    }
  }
}

TEST(FamiliesRobustness, MutationsNeverCrash) {
  std::mt19937 rng(777);
  const char alphabet[] = "{}[]\",:01-.eE aZ\\u`<>()*+";
  for (const char *file : {"examples/strategy.json", "examples/needs_rules.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    int parsed = 0;
    for (int iter = 0; iter < 1500; ++iter) {
      std::string m = text;
      int edits = 1 + rng() % 3;
      for (int e = 0; e < edits; ++e) {
        size_t at = rng() % m.size();
        switch (rng() % 3) {
        case 0: m[at] = alphabet[rng() % (sizeof(alphabet) - 1)]; break;
        case 1: m.erase(at, 1); break;
        default: m.insert(at, 1, alphabet[rng() % (sizeof(alphabet) - 1)]);
        }
      }
      llvm::Expected<Descriptor> d = Descriptor::parse(m);
      if (!d) {
        EXPECT_FALSE(llvm::toString(d.takeError()).empty());
        continue;
      }
      ++parsed;
      ASSERT_PARSES(again, d->canonical());
      EXPECT_EQ(again.canonical(), d->canonical()) << m;
    }
    EXPECT_GT(parsed, 0) << file;
  }
}

TEST(FamiliesFiles, SchemasDescribeEveryProperty) {
  for (const char *family : {"series", "rules"}) {
    std::string text = readSourceFile(std::string("schemas/") + family + ".schema.json");
    llvm::Expected<llvm::json::Value> schema = llvm::json::parse(text);
    ASSERT_TRUE(static_cast<bool>(schema)) << llvm::toString(schema.takeError());
    const llvm::json::Object *root = schema->getAsObject();
    ASSERT_TRUE(root);
    EXPECT_EQ(root->getString("$schema").value_or(""),
              "https://json-schema.org/draft/2020-12/schema");
    std::vector<std::pair<std::string, const llvm::json::Value *>> work = {{"", &*schema}};
    int objects = 0;
    while (!work.empty()) {
      auto [where, v] = work.back();
      work.pop_back();
      if (const llvm::json::Object *o = v->getAsObject()) {
        if (const llvm::json::Object *props = o->getObject("properties")) {
          ++objects;
          const llvm::json::Value *ap = o->get("additionalProperties");
          EXPECT_TRUE(ap && ap->getAsBoolean() == false) << family << where;
          for (const auto &kv : *props) {
            const llvm::json::Object *p = kv.second.getAsObject();
            EXPECT_TRUE(p && p->getString("description"))
                << family << where << "/" << kv.first.str();
          }
        }
        for (const auto &kv : *o)
          work.push_back({where + "/" + kv.first.str(), &kv.second});
      } else if (const llvm::json::Array *a = v->getAsArray()) {
        for (size_t i = 0; i < a->size(); ++i)
          work.push_back({where + "/" + std::to_string(i), &(*a)[i]});
      }
    }
    EXPECT_GE(objects, StringRef(family) == "series" ? 15 : 2) << family;
    const llvm::json::Array *examples = root->getArray("examples");
    ASSERT_TRUE(examples && !examples->empty());
    for (const llvm::json::Value &ex : *examples) {
      llvm::Expected<Descriptor> d = Descriptor::fromJSON(ex);
      EXPECT_TRUE(static_cast<bool>(d)) << (d ? "" : llvm::toString(d.takeError()));
    }
  }
  // Every indicator op has a oneOf branch keyed on its const.
  std::string text = readSourceFile("schemas/series.schema.json");
  llvm::Expected<llvm::json::Value> schema = llvm::json::parse(text);
  ASSERT_TRUE(static_cast<bool>(schema));
  const llvm::json::Object *defs = schema->getAsObject()->getObject("$defs");
  ASSERT_TRUE(defs);
  const llvm::json::Array *oneOf = defs->getObject("indicator")->getArray("oneOf");
  ASSERT_TRUE(oneOf);
  EXPECT_EQ(oneOf->size(), 11u);
  for (IndicatorOp op : {IndicatorOp::Sma, IndicatorOp::Ema, IndicatorOp::Wma,
                         IndicatorOp::Dema, IndicatorOp::Tema, IndicatorOp::Hma,
                         IndicatorOp::Lsma, IndicatorOp::Kama,
                         IndicatorOp::WeightedSum, IndicatorOp::Crossover,
                         IndicatorOp::Trend}) {
    const llvm::json::Object *def = defs->getObject(indicatorOpName(op));
    ASSERT_TRUE(def) << indicatorOpName(op).str();
    const llvm::json::Object *op_ = def->getObject("properties")->getObject("op");
    ASSERT_TRUE(op_);
    EXPECT_EQ(op_->getString("const").value_or(""), indicatorOpName(op));
  }
}

//===----------------------------------------------------------------------===//
// The model family
//===----------------------------------------------------------------------===//

const char *kXY = R"([{"name":"x","type":"f64"},{"name":"y","type":"f64"}])";

/// A model document from its parts (JSON fragments). `extra` holds members
/// such as "steps" and "features", each followed by a comma.
std::string mdoc(const std::string &model, const std::string &extra = "",
                 const std::string &inputs = kXY,
                 const std::string &output = R"({"type":"f64"})") {
  return R"({"specjit":1,"kind":"model","inputs":)" + inputs + "," + extra +
         R"("model":)" + model + R"(,"output":)" + output + "}";
}

/// A split node and a leaf as JSON text.
std::string split(int feature, const std::string &threshold, int left,
                  int right, const std::string &extra = "") {
  return R"({"feature":)" + std::to_string(feature) + R"(,"threshold":)" +
         threshold + R"(,"left":)" + std::to_string(left) + R"(,"right":)" +
         std::to_string(right) + extra + "}";
}
std::string leaf(const std::string &v) { return R"({"leaf":)" + v + "}"; }

/// A tree of `group` from node texts.
std::string tree(int group, const std::vector<std::string> &nodes) {
  std::string out = R"({"group":)" + std::to_string(group) + R"(,"nodes":[)";
  for (size_t i = 0; i < nodes.size(); ++i)
    out += (i ? "," : "") + nodes[i];
  return out + "]}";
}

/// A tree ensemble over `trees` with extra model members.
std::string ensemble(const std::vector<std::string> &trees,
                     const std::string &extra = "", int outputs = 1) {
  std::string out = R"({"type":"tree_ensemble","num_outputs":)" +
                    std::to_string(outputs) + extra + R"(,"trees":[)";
  for (size_t i = 0; i < trees.size(); ++i)
    out += (i ? "," : "") + trees[i];
  return out + "]}";
}

/// The stump x < 0.5 ? -1 : 1.
std::string stump() { return tree(0, {split(0, "0.5", 1, 2), leaf("-1"), leaf("1")}); }

/// A tree of `group` in the columnar form, from its columns (JSON texts).
std::string columns(int group, const std::string &feature, const std::string &threshold,
                    const std::string &left, const std::string &right,
                    const std::string &defaultLeft, const std::string &leaf) {
  return R"({"group":)" + std::to_string(group) + R"(,"feature":)" + feature +
         R"(,"threshold":)" + threshold + R"(,"left":)" + left + R"(,"right":)" + right +
         R"(,"default_left":)" + defaultLeft + R"(,"leaf":)" + leaf + "}";
}

/// tree(group, nodes) in the columnar form: the same nodes, a leaf's
/// feature, left and right -1, unused entries 0, default_left 1/0 (absent:
/// 1). Node texts must be JSON objects with finite numbers.
std::string asColumns(int group, const std::vector<std::string> &nodes) {
  std::string cols[6];
  for (size_t i = 0; i < nodes.size(); ++i) {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(nodes[i]);
    EXPECT_TRUE(v && v->getAsObject()) << nodes[i];
    if (!v || !v->getAsObject())
      return "";
    const llvm::json::Object &o = *v->getAsObject();
    auto text = [&](StringRef key, const char *absent) {
      const llvm::json::Value *x = o.get(key);
      if (!x)
        return std::string(absent);
      std::string out;
      llvm::raw_string_ostream os(out);
      std::optional<double> d = x->getAsNumber();
      if (d && *d == 0 && std::signbit(*d))
        os << "-0.0"; // llvm::json would write -0, which reads back as 0
      else
        os << *x;
      return out;
    };
    bool isLeaf = o.get("leaf") != nullptr;
    std::string row[6] = {text("feature", "-1"),
                          text("threshold", "0"),
                          text("left", "-1"),
                          text("right", "-1"),
                          isLeaf ? "0" : (o.getBoolean("default_left").value_or(true) ? "1" : "0"),
                          text("leaf", "0")};
    for (int k = 0; k < 6; ++k)
      cols[k] += (i ? "," : "") + row[k];
  }
  for (std::string &c : cols)
    c = "[" + c + "]";
  return columns(group, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]);
}

/// Two trees are the same in memory: every field of every node.
void expectSameTree(const Tree &a, const Tree &b) {
  EXPECT_EQ(a.group, b.group);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t n = 0; n < a.nodes.size(); ++n) {
    SCOPED_TRACE("node " + std::to_string(n));
    const TreeNode &x = a.nodes[n], &y = b.nodes[n];
    EXPECT_EQ(x.feature, y.feature);
    EXPECT_EQ(x.left, y.left);
    EXPECT_EQ(x.right, y.right);
    EXPECT_EQ(x.defaultLeft, y.defaultLeft);
    EXPECT_EQ(std::signbit(x.threshold), std::signbit(y.threshold));
    EXPECT_EQ(x.threshold, y.threshold);
    EXPECT_EQ(std::signbit(x.leaf), std::signbit(y.leaf));
    EXPECT_EQ(x.leaf, y.leaf);
  }
}

/// `n` features named f0..f{n-1} (f64).
std::string features(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i)
    out += (i ? "," : "") + (R"({"name":"f)" + std::to_string(i) + R"(","type":"f64"})");
  return out + "]";
}

/// A JSON array of `n` copies of `v`.
std::string row(int n, const std::string &v = "0.5") {
  std::string out = "[";
  for (int i = 0; i < n; ++i)
    out += (i ? "," : "") + v;
  return out + "]";
}

TEST(ModelNames, Spellings) {
  EXPECT_EQ(kindName(Kind::Model), "model");
  EXPECT_EQ(modelTypeName(ModelType::Linear), "linear");
  EXPECT_EQ(modelTypeName(ModelType::TreeEnsemble), "tree_ensemble");
  EXPECT_EQ(modelTypeName(ModelType::Mlp), "mlp");
  EXPECT_EQ(linkName(Link::Identity), "identity");
  EXPECT_EQ(linkName(Link::Logistic), "logistic");
  EXPECT_EQ(linkName(Link::Softmax), "softmax");
  EXPECT_EQ(linkName(Link::Argmax), "argmax");
  EXPECT_EQ(activationName(Activation::Identity), "identity");
  EXPECT_EQ(activationName(Activation::Relu), "relu");
  EXPECT_EQ(activationName(Activation::Tanh), "tanh");
  EXPECT_EQ(activationName(Activation::Logistic), "logistic");
}

TEST(ModelErrors, Document) {
  const std::string lin = R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})";
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                     R"("output":{"type":"f64"}})",
                     "descriptor", "missing required key 'model' (the model object");
  EXPECT_PARSE_ERROR(mdoc(lin, R"("featurs":["x"],)"), "descriptor",
                     "unknown key 'featurs' (did you mean 'features'?); a model descriptor "
                     "takes features, inputs, kind, model, name, output, specjit, steps");
  EXPECT_PARSE_ERROR(mdoc(lin, R"("name":3,)"), "name", "expected a string, got 3");
  EXPECT_PARSE_ERROR(mdoc("[1]"), "model", "expected a model object");
  EXPECT_PARSE_ERROR(mdoc("{}"), "model",
                     "missing required key 'type' (one of linear, tree_ensemble, mlp)");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"tree-ensemble"})"), "model.type",
                     "unknown value 'tree-ensemble' (expected one of linear, tree_ensemble, "
                     "mlp); did you mean 'tree_ensemble'?");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":1})"), "model.type",
                     "expected one of linear, tree_ensemble, mlp, got 1");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0],"link":"sigmoid"})"),
                     "model.link",
                     "unknown value 'sigmoid' (expected one of identity, logistic, softmax, argmax)");
  // Keys of another model type are unknown.
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0],"float32":true})"),
                     "model", "unknown key 'float32'; a linear model takes intercepts, link, "
                              "type, weights");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"mlp","layers":[],"trees":[]})"), "model",
                     "unknown key 'trees'; an mlp model takes layers, link, type");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"layers":[])")), "model",
                     "unknown key 'layers'; a tree_ensemble model takes average, base_score, "
                     "float32, link, num_outputs, trees, type");
  // A model document is not a pipeline document.
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"x","type":"f64"}],)"
                     R"("output":{"type":"f64"},"model":{}})",
                     "descriptor", "unknown key 'model'");
}

TEST(ModelErrors, InputsAndStepsAreThePipelineFamilys) {
  // The same faults in the inputs and steps give the same errors, with the
  // same paths, in both families.
  const std::string lin = R"({"type":"linear","weights":[[1]],"intercepts":[0]})";
  struct Case {
    std::string inputs, steps;
  };
  std::vector<Case> cases = {
      {"[]", "[]"},
      {R"([{"name":"x","type":"f16"}])", "[]"},
      {R"([{"name":"x","type":"f64"},{"name":"x","type":"f64"}])", "[]"},
      {R"([{"name":"x","type":"f64","missing":-1}])", "[]"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"standardise","column":"x"}])"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"standardize","column":"x","mean":0,"std":0}])"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"log","column":"z"}])"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"expr","name":"y","expr":"x +"}])"},
      {R"([{"name":"x","type":"f64"}])", R"({"op":"log","column":"x"})"},
      {R"([{"name":"s","type":"string"}])", R"([{"op":"log","column":"s"}])"},
  };
  for (const Case &c : cases) {
    std::string pipe = doc(c.inputs, c.steps);
    std::string model = mdoc(lin, R"("steps":)" + c.steps + ",", c.inputs);
    std::string pe = errorOf(pipe), me = errorOf(model);
    EXPECT_NE(pe, "<no error>") << pipe;
    EXPECT_EQ(me, pe) << model;
  }
  // Steps are optional; "steps": [] is the same model.
  ASSERT_PARSES(a, mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})"));
  ASSERT_PARSES(b, mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})", R"("steps":[],)"));
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_TRUE(a.model().pipeline.steps.empty());
}

TEST(ModelErrors, Features) {
  const std::string lin1 = R"({"type":"linear","weights":[[1]],"intercepts":[0]})";
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":["z"],)"), "features[0]",
                     "unknown column 'z' (columns after the last step: x, y)");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":["xx"],)"), "features[0]",
                     "unknown column 'xx' (columns after the last step: x, y); did you mean 'x'?");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,1]],"intercepts":[0]})",
                          R"("features":["x","x"],)"),
                     "features[1]", "duplicate feature 'x' (also features[0])");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":[],)"), "features",
                     "expected a non-empty array of column names, got an array");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":"x",)"), "features",
                     "expected a non-empty array of column names, got the string 'x'");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":[""],)"), "features[0]",
                     "expected a column name (a non-empty string)");
  // A column consumed by a step is gone.
  const std::string xc = R"([{"name":"x","type":"f64"},{"name":"c","type":"i64"}])";
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("steps":[{"op":"one_hot","column":"c","categories":[1,2]}],)"
                                R"("features":["c"],)", xc),
                     "features[0]", "unknown column 'c' (columns after the last step: x, c=1, c=2)");
  // String columns are not features: listed, or by default.
  const std::string xs = R"([{"name":"x","type":"f64"},{"name":"s","type":"string"}])";
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":["s"],)", xs), "features[0]",
                     "column 's' is a string column, but the model's features must be numeric "
                     "(encode it with one_hot or label_encode)");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,1]],"intercepts":[0]})", "", xs),
                     "features",
                     "column 's' is a string column, but the model's features must be numeric "
                     "(encode it with one_hot or label_encode, or list the numeric features in "
                     "'features')");
  // Listing only the numeric ones works; so does encoding the string.
  ASSERT_PARSES(only, mdoc(lin1, R"("features":["x"],)", xs));
  EXPECT_EQ(only.model().numFeatures, 1);
  ASSERT_PARSES(enc, mdoc(R"({"type":"linear","weights":[[1,1]],"intercepts":[0]})",
                          R"("steps":[{"op":"label_encode","column":"s","mapping":["a","b"]}],)", xs));
  EXPECT_EQ(enc.model().pipeline.plan.outputNames, (std::vector<std::string>{"x", "s"}));
  // The count of features is fixed by the model: a mismatch names both.
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2,3]],"intercepts":[0]})"),
                     "model.weights[0]", "expected 2 numbers (one per feature), got 3");
}

TEST(ModelErrors, Linear) {
  // Ten features, three outputs, the third row one short.
  std::string ten = features(10);
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[)" + row(10) + "," + row(10) + "," +
                              row(9) + R"(],"intercepts":[0,0,0]})",
                          "", ten),
                     "model.weights[2]", "expected 10 numbers (one per feature), got 9");
  ASSERT_PARSES(ok, mdoc(R"({"type":"linear","weights":[)" + row(10, "1") + "," + row(10, "2") +
                             "," + row(10, "3") + R"(],"intercepts":[0,0,0]})",
                         "", ten));
  EXPECT_EQ(ok.model().numFeatures, 10);
  EXPECT_EQ(ok.model().numOutputs, 3);
  ASSERT_EQ(ok.model().weights.size(), 30u);
  EXPECT_EQ(ok.model().weights[9], 1.0);
  EXPECT_EQ(ok.model().weights[10], 2.0); // row-major
  EXPECT_EQ(ok.model().weights[29], 3.0);
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0]})"),
                     "model.intercepts",
                     "expected 2 numbers (one per output: one per row of weights), got 1");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[],"intercepts":[]})"), "model.weights",
                     "expected a non-empty array of rows (one per output)");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[1,2],"intercepts":[0]})"),
                     "model.weights[0]", "expected an array of 2 numbers (one per feature), got 1");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,"2"]],"intercepts":[0]})"),
                     "model.weights[0][1]", "expected a finite number, got the string '2'");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,1e999]],"intercepts":[0]})"),
                     "model.weights[0][1]", "expected a finite number, got a number too large");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[null]})"),
                     "model.intercepts[0]", "expected a finite number, got null");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]]})"), "model",
                     "missing required key 'intercepts'");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","intercepts":[0]})"), "model",
                     "missing required key 'weights'");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":{}})"),
                     "model.intercepts", "expected an array of 1 number (one per output");
}

TEST(ModelErrors, TreeFeaturesAndChildren) {
  std::string ten = features(10);
  // model.trees[3].nodes[7].feature: 12 of 10 features.
  std::vector<std::string> nodes = {split(0, "1", 1, 2), split(1, "1", 3, 4),
                                    split(2, "1", 5, 6), leaf("1"), leaf("2"),
                                    leaf("3"), split(3, "0", 7, 8), split(12, "0", 9, 10),
                                    leaf("4"), leaf("5"), leaf("6")};
  std::string bad = ensemble({stump(), stump(), stump(), tree(0, nodes)});
  EXPECT_EQ(errorOf(mdoc(bad, "", ten)),
            "model.trees[3].nodes[7].feature: feature 12 out of range (the model has 10 "
            "features)");
  nodes[7] = split(9, "0", 9, 10);
  ASSERT_PARSES(ok, mdoc(ensemble({stump(), stump(), stump(), tree(0, nodes)}), "", ten));
  EXPECT_EQ(ok.model().trees[3].nodes[7].feature, 9);
  EXPECT_EQ(ok.model().trees[3].nodes[6].right, 8);

  auto one = [](const std::vector<std::string> &n) { return mdoc(ensemble({tree(0, n)})); };
  EXPECT_PARSE_ERROR(one({split(2, "0", 1, 2), leaf("1"), leaf("2")}), "model.trees[0].nodes[0].feature",
                     "feature 2 out of range (the model has 2 features)");
  EXPECT_PARSE_ERROR(one({split(-1, "0", 1, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].feature",
                     "expected a feature index (an integer >= 0), got -1");
  EXPECT_PARSE_ERROR(one({R"({"feature":0.5,"threshold":0,"left":1,"right":2})", leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].feature", "expected a feature index");
  // Children: in range, later than the node, reached once.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 3), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].right", "child 3 out of range (the tree has 3 nodes)");
  EXPECT_PARSE_ERROR(one({split(0, "0", -1, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].left", "child -1 out of range");
  EXPECT_PARSE_ERROR(one({split(0, "0", 0, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].left",
                     "child 0 is not after this node (children are later nodes of the same "
                     "tree, so there are no cycles)");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), split(1, "0", 3, 1), leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[1].right", "child 1 is not after this node");
  // A cycle through an earlier node.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), split(1, "0", 0, 3), leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[1].left", "child 0 is not after this node");
  // Shared subtrees: the same child twice, or from two parents.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 1), leaf("1")}), "model.trees[0].nodes[0].right",
                     "node 1 is already a child of model.trees[0].nodes[0] (every node is "
                     "reached once: no shared subtrees)");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), split(1, "0", 3, 4), split(1, "0", 4, 5), leaf("1"),
                          leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[2].left",
                     "node 4 is already a child of model.trees[0].nodes[1]");
  // Unreachable nodes.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 3), leaf("1"), leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[2]",
                     "node 2 is not reachable from the root (no split node names it as a child)");
  EXPECT_PARSE_ERROR(one({leaf("1"), leaf("2")}), "model.trees[0].nodes[1]",
                     "node 1 is not reachable from the root");
  // The last node cannot be a split.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), split(0, "0", 3, 4)}),
                     "model.trees[0].nodes[2].left", "child 3 out of range (the tree has 3 nodes)");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), R"({"feature":0,"threshold":0})"}),
                     "model.trees[0].nodes[2]",
                     "missing required key 'left' (the index of a later node of this tree "
                     "(there is none: the last node must be a leaf))");
  // A leaf as the root is a constant tree.
  ASSERT_PARSES(constant, one({leaf("2.5")}));
  EXPECT_EQ(constant.model().trees[0].nodes[0].feature, -1);
  EXPECT_EQ(constant.model().trees[0].nodes[0].leaf, 2.5);
}

TEST(ModelErrors, TreeShape) {
  auto one = [](const std::vector<std::string> &n, const std::string &extra = "") {
    return mdoc(ensemble({tree(0, n)}, extra));
  };
  EXPECT_PARSE_ERROR(mdoc(ensemble({})), "model.trees",
                     "expected a non-empty array of trees {group, feature, threshold, left, "
                     "right, default_left, leaf} or {group, nodes}, got an array");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"tree_ensemble","num_outputs":1})"), "model",
                     "missing required key 'trees'");
  EXPECT_PARSE_ERROR(one({}), "model.trees[0].nodes",
                     "expected a non-empty array of nodes, the root first, got an array");
  EXPECT_PARSE_ERROR(mdoc(ensemble({"[]"})), "model.trees[0]",
                     "expected a tree object {\"group\", \"feature\", \"threshold\", \"left\", "
                     "\"right\", \"default_left\", \"leaf\"} or {\"group\", \"nodes\"}, got an "
                     "array");
  EXPECT_PARSE_ERROR(mdoc(ensemble({R"({"nodes":[{"leaf":1}]})"})), "model.trees[0]",
                     "missing required key 'group' (the output the tree adds to (an integer in "
                     "0..0))");
  EXPECT_PARSE_ERROR(mdoc(ensemble({R"({"group":0,"nodes":[{"leaf":1}],"weight":1})"})),
                     "model.trees[0]",
                     "unknown key 'weight' (did you mean 'right'?); a tree takes default_left, "
                     "feature, group, leaf, left, nodes, right, threshold");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump(), tree(3, {leaf("1")})}, "", 3)), "model.trees[1].group",
                     "group 3 out of range (the model has 3 outputs, num_outputs)");
  EXPECT_PARSE_ERROR(mdoc(ensemble({tree(-1, {leaf("1")})})), "model.trees[0].group",
                     "group -1 out of range (the model has 1 output, num_outputs)");
  EXPECT_PARSE_ERROR(mdoc(ensemble({R"({"group":"0","nodes":[{"leaf":1}]})"})),
                     "model.trees[0].group", "expected the output the tree adds to");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"tree_ensemble","trees":[{"group":0,"nodes":[{"leaf":1}]}]})"),
                     "model", "missing required key 'num_outputs'");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, "", 0)), "model.num_outputs",
                     "expected the number of outputs (an integer in 1..1048576), got 0");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, "", 1048577)), "model.num_outputs",
                     "expected the number of outputs");
  // Nodes.
  EXPECT_PARSE_ERROR(one({"1"}), "model.trees[0].nodes[0]",
                     "expected a split node {\"feature\", \"threshold\", \"left\", \"right\"} or "
                     "a leaf {\"leaf\"}, got 1");
  EXPECT_PARSE_ERROR(one({R"({"leaf":1,"feature":0})"}), "model.trees[0].nodes[0]",
                     "unknown key 'feature'; a leaf node takes leaf");
  EXPECT_PARSE_ERROR(one({R"({"feature":0,"threshold":0,"left":1,"right":2,"value":3})", leaf("1"),
                          leaf("2")}),
                     "model.trees[0].nodes[0]",
                     "unknown key 'value'; a split node takes default_left, feature, left, right, "
                     "threshold");
  EXPECT_PARSE_ERROR(one({"{}"}), "model.trees[0].nodes[0]",
                     "missing required key 'feature' (a split node's feature index, or 'leaf' for "
                     "a leaf)");
  EXPECT_PARSE_ERROR(one({R"({"feature":0,"left":1,"right":2})", leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0]", "missing required key 'threshold'");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2, R"(,"default_left":1)"), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].default_left", "expected true or false, got 1");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), leaf("\"2\"")}),
                     "model.trees[0].nodes[2].leaf", "expected a finite number, got the string '2'");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), leaf("-1e400")}),
                     "model.trees[0].nodes[2].leaf", "expected a finite number");
  EXPECT_PARSE_ERROR(one({split(0, "1e999", 1, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].threshold", "expected a finite number");
  // Thresholds may be any finite number, even beyond f32 under float32;
  // leaves and base scores must stay finite in f32 there.
  ASSERT_PARSES(big, one({split(0, "1e300", 1, 2), leaf("1e300"), leaf("-1e-300")}));
  EXPECT_EQ(big.model().trees[0].nodes[0].threshold, 1e300);
  ASSERT_PARSES(bigThreshold, one({split(0, "-1e300", 1, 2), leaf("1"), leaf("2")},
                                  R"(,"float32":true)"));
  EXPECT_TRUE(bigThreshold.model().float32);
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), leaf("1e300")}, R"(,"float32":true)"),
                     "model.trees[0].nodes[2].leaf",
                     "1e+300 is not finite in f32 (the model is float32)");
  EXPECT_PARSE_ERROR(one({leaf("1")}, R"(,"float32":true,"base_score":[-1e39])"),
                     "model.base_score[0]", "-1e+39 is not finite in f32 (the model is float32)");
  // base_score: one per output.
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"base_score":[0,1])", 1)), "model.base_score",
                     "expected 1 number (one per output), got 2");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"base_score":0.5)", 1)), "model.base_score",
                     "expected an array of 1 number (one per output), got 0.5");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"average":"no")")), "model.average",
                     "expected true or false");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"float32":0)")), "model.float32",
                     "expected true or false");
  // average divides by the number of trees of each output: none is an error.
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump(), tree(2, {leaf("1")})}, R"(,"average":true)", 3)),
                     "model.trees",
                     "no tree has group 1 (with average, every output divides by its number "
                     "of trees, so each needs one)");
  ASSERT_PARSES(sumsOnly, mdoc(ensemble({stump(), tree(2, {leaf("1")})}, "", 3)));
  EXPECT_EQ(sumsOnly.model().numOutputs, 3);
}

TEST(ModelTrees, ColumnsParseToTheSameTreesAsNodeObjects) {
  // Trees of every shape the other tests use, each written both ways: the
  // same in-memory trees, the same canonical text and hash.
  std::string ten = features(10);
  std::vector<std::vector<std::string>> shapes = {
      {leaf("2.5")},
      {split(0, "0.5", 1, 2), leaf("-1"), leaf("1")},
      {split(9, "-1e300", 1, 2, R"(,"default_left":false)"), leaf("-0.0"), leaf("1e-300")},
      // depth 3, a left chain, mixed default_left
      {split(0, "1", 1, 2), split(1, "1", 3, 4, R"(,"default_left":false)"),
       split(2, "1", 5, 6), leaf("1"), leaf("2"), leaf("3"), split(3, "0", 7, 8),
       split(9, "0", 9, 10, R"(,"default_left":true)"), leaf("4"), leaf("5"), leaf("6")},
      // children not in breadth-first order
      {split(4, "0.25", 2, 1), leaf("7"), split(5, "3", 4, 3), leaf("8"), leaf("9")},
  };
  std::vector<std::string> objectTrees, columnTrees, mixedTrees;
  for (size_t i = 0; i < shapes.size(); ++i) {
    int group = static_cast<int>(i % 2);
    objectTrees.push_back(tree(group, shapes[i]));
    columnTrees.push_back(asColumns(group, shapes[i]));
    mixedTrees.push_back(i % 2 ? objectTrees.back() : columnTrees.back());
  }
  const std::string extra = R"(,"base_score":[0.5,-1])";
  ASSERT_PARSES(o, mdoc(ensemble(objectTrees, extra, 2), "", ten));
  ASSERT_PARSES(c, mdoc(ensemble(columnTrees, extra, 2), "", ten));
  ASSERT_PARSES(m, mdoc(ensemble(mixedTrees, extra, 2), "", ten));
  for (const Descriptor *d : {&c, &m}) {
    ASSERT_EQ(d->model().trees.size(), shapes.size());
    for (size_t t = 0; t < shapes.size(); ++t) {
      SCOPED_TRACE("tree " + std::to_string(t));
      expectSameTree(d->model().trees[t], o.model().trees[t]);
    }
    EXPECT_EQ(d->canonical(), o.canonical());
    EXPECT_EQ(d->hash(), o.hash());
  }
  // Spot checks of what the trees hold, leaves included.
  const Tree &deep = c.model().trees[3];
  EXPECT_EQ(deep.nodes.size(), 11u);
  EXPECT_EQ(deep.nodes[1].feature, 1);
  EXPECT_FALSE(deep.nodes[1].defaultLeft);
  EXPECT_TRUE(deep.nodes[7].defaultLeft);
  EXPECT_EQ(deep.nodes[7].left, 9);
  EXPECT_EQ(deep.nodes[10].feature, -1);
  EXPECT_EQ(deep.nodes[10].leaf, 6.0);
  // A leaf keeps the defaults of a leaf written as {"leaf"}, whatever its
  // ignored entries say; a split ignores its leaf entry.
  ASSERT_PARSES(ignored, mdoc(ensemble({columns(0, "[0,-1,-1]", "[0.5,99,-3]", "[1,-1,-1]",
                                                "[2,-1,-1]", "[true,false,1]", "[12,-1,1]")})));
  ASSERT_PARSES(plain, mdoc(ensemble({stump()})));
  expectSameTree(ignored.model().trees[0], plain.model().trees[0]);
  EXPECT_EQ(ignored.hash(), plain.hash());
  // default_left: true/false and 1/0 are the same.
  ASSERT_PARSES(b, mdoc(ensemble({columns(0, "[1,-1,-1]", "[0,0,0]", "[1,-1,-1]", "[2,-1,-1]",
                                          "[false,false,false]", "[0,1,2]")})));
  ASSERT_PARSES(i, mdoc(ensemble({columns(0, "[1,-1,-1]", "[0,0,0]", "[1,-1,-1]", "[2,-1,-1]",
                                          "[0,0,0]", "[0,1,2]")})));
  EXPECT_FALSE(i.model().trees[0].nodes[0].defaultLeft);
  EXPECT_EQ(b.hash(), i.hash());
}

TEST(ModelTrees, ColumnErrorsNameTheElement) {
  // The fourth tree (model.trees[3]) is the faulty one: a complete tree of
  // depth 2 over x, y.
  struct Cols {
    std::string feature = "[0,1,1,-1,-1,-1,-1]";
    std::string threshold = "[0.5,1,2,0,0,0,0]";
    std::string left = "[1,3,5,-1,-1,-1,-1]";
    std::string right = "[2,4,6,-1,-1,-1,-1]";
    std::string defaultLeft = "[1,0,true,0,0,false,0]";
    std::string leaf = "[0,0,0,1,2,3,4]";
  };
  auto with = [](const std::function<void(Cols &)> &mutate, const std::string &extra = "") {
    Cols c;
    mutate(c);
    return mdoc(ensemble({stump(), stump(), stump(),
                          columns(0, c.feature, c.threshold, c.left, c.right, c.defaultLeft,
                                  c.leaf)},
                         extra));
  };
  ASSERT_PARSES(ok, with([](Cols &) {}));
  EXPECT_EQ(ok.model().trees[3].nodes.size(), 7u);
  EXPECT_TRUE(ok.model().trees[3].nodes[2].defaultLeft);

  // Lengths: every column has one entry per node, feature's length.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,6,-1,-1,-1]"; })),
            "model.trees[3].right: 6 entries, expected 7 (the length of model.trees[3].feature)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0]"; })),
            "model.trees[3].leaf: 1 entry, expected 7 (the length of model.trees[3].feature)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.feature = "[]"; })),
            "model.trees[3].feature: expected a non-empty array, one entry per node (the feature "
            "each node tests, -1 for a leaf), got an array");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.threshold = "0.5"; })),
            "model.trees[3].threshold: expected an array, one entry per node (split values, "
            "finite numbers), got 0.5");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.defaultLeft = "{}"; })),
            "model.trees[3].default_left: expected an array, one entry per node (where a split "
            "sends NaN: true or 1 for left, false or 0 for right), got an object");
  // One form per tree: both, neither, or an incomplete set of columns.
  const std::string three = R"({"type":"tree_ensemble","num_outputs":1,"trees":[)" + stump() +
                            "," + stump() + "," + stump() + ",";
  EXPECT_EQ(errorOf(mdoc(three + R"({"group":0,"nodes":[{"leaf":1}],"leaf":[1]}]})")),
            "model.trees[3]: both 'nodes' and the column 'leaf': a tree is either columns "
            "(feature, threshold, left, right, default_left, leaf) or an array of node objects "
            "(nodes), not both");
  EXPECT_PARSE_ERROR(mdoc(three + R"({"group":0,"nodes":[{"leaf":1}],"feature":[-1],)"
                                  R"("threshold":[0],"left":[-1],"right":[-1],)"
                                  R"("default_left":[0],"leaf":[1]}]})"),
                     "model.trees[3]", "both 'nodes' and the column 'feature'");
  EXPECT_EQ(errorOf(mdoc(three + R"({"group":0}]})")),
            "model.trees[3]: missing the nodes: the columns 'feature', 'threshold', 'left', "
            "'right', 'default_left', 'leaf' (one entry per node), or 'nodes' (an array of node "
            "objects)");
  EXPECT_EQ(errorOf(mdoc(three + R"({"group":0,"feature":[-1],"threshold":[0],"left":[-1],)"
                                 R"("right":[-1],"default_left":[0]}]})")),
            "model.trees[3]: missing the column 'leaf' (an array, one entry per node (leaf "
            "values, finite numbers))");
  EXPECT_PARSE_ERROR(mdoc(three + R"({"group":0,"feature":[-1],"treshold":[0]}]})"),
                     "model.trees[3]", "unknown key 'treshold' (did you mean 'threshold'?)");

  // Features.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.feature = "[0,2,1,-1,-1,-1,-1]"; })),
            "model.trees[3].feature[1]: feature 2 out of range (the model has 2 features)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.feature = "[0,-2,1,-1,-1,-1,-1]"; })),
            "model.trees[3].feature[1]: expected a feature index (an integer >= 0), or -1 for a "
            "leaf, got -2");
  EXPECT_PARSE_ERROR(with([](Cols &c) { c.feature = "[0,1,\"1\",-1,-1,-1,-1]"; }),
                     "model.trees[3].feature[2]",
                     "expected a feature index (an integer >= 0), or -1 for a leaf, got the "
                     "string '1'");
  EXPECT_PARSE_ERROR(with([](Cols &c) { c.feature = "[0,1,1,-1,-1,-1,0.5]"; }),
                     "model.trees[3].feature[6]", "expected a feature index");
  // Thresholds: a split's must be finite, a leaf's a finite number too.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.threshold = "[0.5,1,1e999,0,0,0,0]"; })),
            "model.trees[3].threshold[2]: expected a finite number, got a number too large for "
            "f64 (infinity)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.threshold = "[0.5,1,2,0,null,0,0]"; })),
            "model.trees[3].threshold[4]: expected a finite number, got null");
  // Children: in range, later than the node, reached once, -1 for a leaf.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.left = "[1,\"x\",5,-1,-1,-1,-1]"; })),
            "model.trees[3].left[1]: expected the index of a later node of this tree (2..6), got "
            "the string 'x'");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.left = "[1,3,7,-1,-1,-1,-1]"; })),
            "model.trees[3].left[2]: child 7 out of range (the tree has 7 nodes)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,1,6,-1,-1,-1,-1]"; })),
            "model.trees[3].right[1]: child 1 is not after this node (children are later nodes of "
            "the same tree, so there are no cycles)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,4,-1,-1,-1,-1]"; })),
            "model.trees[3].right[2]: node 4 is already a child of model.trees[3].right[1] "
            "(every node is reached once: no shared subtrees)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[1,4,6,-1,-1,-1,-1]"; })),
            "model.trees[3].right[0]: node 1 is already a child of model.trees[3].left[0] "
            "(every node is reached once: no shared subtrees)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,3,-1,-1,-1,-1]"; })),
            "model.trees[3].right[2]: node 3 is already a child of model.trees[3].left[1] "
            "(every node is reached once: no shared subtrees)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.left = "[1,3,5,-1,-1,-1,6]"; })),
            "model.trees[3].left[6]: expected -1 (node 6 is a leaf: its feature is -1), got 6");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,6,0,-1,-1,-1]"; })),
            "model.trees[3].right[3]: expected -1 (node 3 is a leaf: its feature is -1), got 0");
  // A node no split names is unreachable; its feature entry names it.
  EXPECT_EQ(errorOf(mdoc(ensemble({columns(0, "[0,-1,-1,-1]", "[0,0,0,0]", "[1,-1,-1,-1]",
                                           "[3,-1,-1,-1]", "[0,0,0,0]", "[0,1,2,3]")}))),
            "model.trees[0].feature[2]: node 2 is not reachable from the root (no split node "
            "names it as a child)");
  EXPECT_EQ(errorOf(mdoc(ensemble({columns(0, "[-1,-1]", "[0,0]", "[-1,-1]", "[-1,-1]", "[0,0]",
                                           "[1,2]")}))),
            "model.trees[0].feature[1]: node 1 is not reachable from the root (no split node "
            "names it as a child)");
  // The last node cannot be a split.
  EXPECT_EQ(errorOf(mdoc(ensemble({columns(0, "[0,-1,0]", "[0,0,0]", "[1,-1,\"a\"]", "[2,-1,-1]",
                                           "[0,0,0]", "[0,1,2]")}))),
            "model.trees[0].left[2]: expected the index of a later node of this tree (there is "
            "none: the last node must be a leaf), got the string 'a'");
  // default_left: true, false, 1 or 0, for leaves too.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.defaultLeft = "[2,0,0,0,0,0,0]"; })),
            "model.trees[3].default_left[0]: expected true, false, 1 or 0, got 2");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.defaultLeft = "[1,0,0,0,0,\"no\",0]"; })),
            "model.trees[3].default_left[5]: expected true, false, 1 or 0, got the string 'no'");
  // Leaves: finite (in f32 under float32); a split's entry a finite number.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0,0,0,1,2,3,\"4\"]"; })),
            "model.trees[3].leaf[6]: expected a finite number, got the string '4'");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0,[],0,1,2,3,4]"; })),
            "model.trees[3].leaf[1]: expected a finite number, got an array");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0,0,0,1,2,3,1e300]"; }, R"(,"float32":true)")),
            "model.trees[3].leaf[6]: 1e+300 is not finite in f32 (the model is float32)");
  ASSERT_PARSES(bigSplitLeaf,
                with([](Cols &c) { c.leaf = "[1e300,0,0,1,2,3,4]"; }, R"(,"float32":true)"));
  EXPECT_EQ(bigSplitLeaf.model().trees[3].nodes[0].leaf, 0.0) << "ignored";
}

TEST(ModelTrees, ColumnsAndNodeObjectsShareTheirErrors) {
  // Faulty trees from ModelErrors.TreeFeaturesAndChildren, as columns: the
  // same message, at `key[i]` instead of `nodes[i].key` (and a node as a
  // whole at its feature entry).
  std::vector<std::vector<std::string>> faulty = {
      {split(2, "0", 1, 2), leaf("1"), leaf("2")},
      {split(0, "0", 1, 3), leaf("1"), leaf("2")},
      {split(0, "0", -1, 2), leaf("1"), leaf("2")},
      {split(0, "0", 0, 2), leaf("1"), leaf("2")},
      {split(0, "0", 1, 2), split(1, "0", 3, 1), leaf("2"), leaf("3")},
      {split(0, "0", 1, 2), split(1, "0", 0, 3), leaf("2"), leaf("3")},
      {split(0, "0", 1, 3), leaf("1"), leaf("2"), leaf("3")},
      {leaf("1"), leaf("2")},
      {split(0, "0", 1, 2), leaf("1"), split(0, "0", 3, 4)},
      {split(0, "0", 1, 2), leaf("1"), leaf("1e300")},
  };
  const std::regex field(R"(model\.trees\[0\]\.nodes\[(\d+)\]\.(\w+))");
  const std::regex node(R"(model\.trees\[0\]\.nodes\[(\d+)\])");
  for (const std::vector<std::string> &nodes : faulty) {
    std::string objects = errorOf(mdoc(ensemble({tree(0, nodes)}, R"(,"float32":true)")));
    std::string cols = errorOf(mdoc(ensemble({asColumns(0, nodes)}, R"(,"float32":true)")));
    ASSERT_NE(objects, "<no error>");
    std::string expected = std::regex_replace(objects, field, "model.trees[0].$2[$1]");
    expected = std::regex_replace(expected, node, "model.trees[0].feature[$1]");
    EXPECT_EQ(cols, expected) << "node objects: " << objects;
  }
}

TEST(ModelErrors, Mlp) {
  std::string eight = features(8);
  auto layer = [](int outs, int ins, const std::string &act = "relu") {
    std::string w = "[";
    for (int o = 0; o < outs; ++o)
      w += (o ? "," : "") + row(ins, "0.25");
    w += "]";
    return R"({"weights":)" + w + R"(,"biases":)" + row(outs, "0") + R"(,"activation":")" + act +
           "\"}";
  };
  auto mlp = [](const std::vector<std::string> &layers, const std::string &link = "softmax") {
    std::string out = R"({"type":"mlp","link":")" + link + R"(","layers":[)";
    for (size_t i = 0; i < layers.size(); ++i)
      out += (i ? "," : "") + layers[i];
    return out + "]}";
  };
  ASSERT_PARSES(ok, mdoc(mlp({layer(16, 8), layer(3, 16, "identity")}), "", eight));
  const ModelSpec &m = ok.model();
  EXPECT_EQ(m.type, ModelType::Mlp);
  EXPECT_EQ(m.numFeatures, 8);
  EXPECT_EQ(m.numOutputs, 3);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].inputs, 8);
  EXPECT_EQ(m.layers[0].outputs, 16);
  EXPECT_EQ(m.layers[0].weights.size(), 128u);
  EXPECT_EQ(m.layers[0].activation, Activation::Relu);
  EXPECT_EQ(m.layers[1].inputs, 16);
  EXPECT_EQ(m.layers[1].outputs, 3);
  EXPECT_EQ(m.layers[1].activation, Activation::Identity);
  EXPECT_EQ(m.link, Link::Softmax);
  EXPECT_EQ(ok.outputNames(), (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  // Shapes chain: the first layer takes the features, each next one the
  // previous one's outputs.
  EXPECT_PARSE_ERROR(mdoc(mlp({layer(16, 7), layer(3, 16)}), "", eight), "model.layers[0].weights[0]",
                     "expected 8 numbers (one per feature), got 7");
  EXPECT_PARSE_ERROR(mdoc(mlp({layer(16, 8), layer(3, 15)}), "", eight),
                     "model.layers[1].weights[0]",
                     "expected 16 numbers (one per output of model.layers[0]), got 15");
  EXPECT_PARSE_ERROR(mdoc(mlp({layer(16, 8), layer(4, 16), layer(2, 16)}), "", eight),
                     "model.layers[2].weights[0]",
                     "expected 4 numbers (one per output of model.layers[1]), got 16");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0,0],"activation":"relu"})"})),
                     "model.layers[0].biases",
                     "expected 1 number (one per output: one per row of weights), got 2");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0],"activation":"gelu"})"})),
                     "model.layers[0].activation",
                     "unknown value 'gelu' (expected one of identity, relu, tanh, logistic)");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0],"activation":"Relu"})"})),
                     "model.layers[0].activation", "did you mean 'relu'?");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0]})"})), "model.layers[0]",
                     "missing required key 'activation' (one of identity, relu, tanh, logistic)");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[],"biases":[],"activation":"relu"})"})),
                     "model.layers[0].weights", "expected a non-empty array of rows");
  EXPECT_PARSE_ERROR(mdoc(mlp({})), "model.layers",
                     "expected a non-empty array of layers {weights, biases, activation}");
  EXPECT_PARSE_ERROR(mdoc(mlp({"null"})), "model.layers[0]", "expected a layer object");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0],"activation":"relu","dropout":0.1})"})),
                     "model.layers[0]",
                     "unknown key 'dropout'; a layer takes activation, biases, weights");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[1e999],"activation":"relu"})"})),
                     "model.layers[0].biases[0]", "expected a finite number");
}

TEST(ModelErrors, Output) {
  const std::string two = R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,0]})";
  const std::string twoArgmax =
      R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,0],"link":"argmax"})";
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"i64"})"), "output.type",
                     "expected one of f32, f64, got the string 'i64'");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({})"), "output", "missing required key 'type'");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, "[]"), "output", "expected an object");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","margins":true})"), "output",
                     "unknown key 'margins' (did you mean 'margin'?); output takes columns, "
                     "margin, type");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","margin":"yes"})"), "output.margin",
                     "expected true or false");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":["a"]})"), "output.columns",
                     "expected 2 column names (one per output), got 1");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":["a","a"]})"),
                     "output.columns[1]", "duplicate output column 'a' (also output.columns[0])");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":["a",""]})"),
                     "output.columns[1]", "expected a column name");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":"a"})"), "output.columns",
                     "expected an array of 2 column names (one per output)");
  EXPECT_PARSE_ERROR(mdoc(twoArgmax, "", kXY, R"({"type":"f32","columns":["a","b"]})"),
                     "output.columns",
                     "expected 1 column name (argmax outputs the class index), got 2");
  EXPECT_PARSE_ERROR(mdoc(twoArgmax, "", kXY, R"({"type":"f32","margin":true,"columns":["a"]})"),
                     "output.columns", "expected 2 column names (one per margin), got 1");
  ASSERT_PARSES(named, mdoc(twoArgmax, "", kXY, R"({"type":"f32","columns":["label"]})"));
  EXPECT_EQ(named.outputNames(), (std::vector<std::string>{"label"}));
}

TEST(ModelErrors, NonFiniteFromJsonValues) {
  using llvm::json::Array;
  using llvm::json::Object;
  auto make = [](llvm::json::Value model) {
    return llvm::json::Value(Object{
        {"specjit", 1},
        {"kind", "model"},
        {"inputs", Array{Object{{"name", "x"}, {"type", "f64"}}}},
        {"model", std::move(model)},
        {"output", Object{{"type", "f64"}}}});
  };
  struct Case {
    llvm::json::Value model;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({Object{{"type", "linear"}, {"weights", Array{Array{NAN}}}, {"intercepts", Array{0}}},
                   "model.weights[0][0]: expected a finite number, got NaN"});
  cases.push_back({Object{{"type", "linear"}, {"weights", Array{Array{1}}}, {"intercepts", Array{INFINITY}}},
                   "model.intercepts[0]: expected a finite number, got a number too large"});
  cases.push_back({Object{{"type", "tree_ensemble"},
                          {"num_outputs", 1},
                          {"trees", Array{Object{{"group", 0},
                                                 {"nodes", Array{Object{{"feature", 0},
                                                                        {"threshold", NAN},
                                                                        {"left", 1},
                                                                        {"right", 2}},
                                                                 Object{{"leaf", 1}},
                                                                 Object{{"leaf", 2}}}}}}}},
                   "model.trees[0].nodes[0].threshold: expected a finite number, got NaN"});
  cases.push_back({Object{{"type", "tree_ensemble"},
                          {"num_outputs", 1},
                          {"trees", Array{Object{{"group", 0}, {"nodes", Array{Object{{"leaf", -INFINITY}}}}}}}},
                   "model.trees[0].nodes[0].leaf: expected a finite number"});
  cases.push_back({Object{{"type", "tree_ensemble"},
                          {"num_outputs", 1},
                          {"base_score", Array{NAN}},
                          {"trees", Array{Object{{"group", 0}, {"nodes", Array{Object{{"leaf", 1}}}}}}}},
                   "model.base_score[0]: expected a finite number, got NaN"});
  cases.push_back({Object{{"type", "mlp"},
                          {"layers", Array{Object{{"weights", Array{Array{1}}},
                                                  {"biases", Array{NAN}},
                                                  {"activation", "tanh"}}}}},
                   "model.layers[0].biases[0]: expected a finite number, got NaN"});
  for (Case &c : cases) {
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(make(std::move(c.model)));
    ASSERT_FALSE(static_cast<bool>(d)) << c.message;
    std::string err = llvm::toString(d.takeError());
    EXPECT_EQ(err.find(c.message), 0u) << err;
  }
  // The same document built in C++ and written as text: one hash.
  llvm::Expected<Descriptor> g = Descriptor::fromJSON(make(Object{
      {"type", "linear"}, {"weights", Array{Array{1.5}}}, {"intercepts", Array{-2}}}));
  ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
  ASSERT_PARSES(t, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                   R"("model":{"type":"linear","weights":[[1.5]],"intercepts":[-2]},)"
                   R"("output":{"type":"f64"}})");
  EXPECT_EQ(g->hash(), t.hash());
  EXPECT_EQ(g->kind(), Kind::Model);
}

TEST(ModelAnalysis, Defaults) {
  ASSERT_PARSES(d, mdoc(ensemble({stump(), tree(0, {leaf("0.25")})})));
  EXPECT_EQ(d.kind(), Kind::Model);
  const ModelSpec &m = d.model();
  EXPECT_EQ(m.type, ModelType::TreeEnsemble);
  EXPECT_EQ(m.numFeatures, 2);
  EXPECT_EQ(m.numOutputs, 1);
  EXPECT_EQ(m.baseScore, (std::vector<double>{0.0}));
  EXPECT_FALSE(m.average);
  EXPECT_FALSE(m.float32);
  EXPECT_EQ(m.link, Link::Identity);
  EXPECT_FALSE(m.margin);
  EXPECT_EQ(m.outputType, DType::F64);
  ASSERT_EQ(m.trees.size(), 2u);
  EXPECT_EQ(m.trees[0].group, 0);
  const TreeNode &root = m.trees[0].nodes[0];
  EXPECT_EQ(root.feature, 0);
  EXPECT_EQ(root.threshold, 0.5);
  EXPECT_EQ(root.left, 1);
  EXPECT_EQ(root.right, 2);
  EXPECT_TRUE(root.defaultLeft);
  EXPECT_EQ(m.trees[0].nodes[1].feature, -1);
  EXPECT_EQ(m.trees[0].nodes[1].leaf, -1.0);
  EXPECT_EQ(d.outputNames(), (std::vector<std::string>{"prediction"}));
  EXPECT_EQ(d.numOutputs(), 1u);
  EXPECT_EQ(d.outputType(), DType::F64);
  ASSERT_EQ(d.inputs().size(), 2u);
  EXPECT_EQ(d.inputs()[1].name, "y");
  EXPECT_TRUE(m.weights.empty());
  EXPECT_TRUE(m.layers.empty());
  // default_left false is kept.
  ASSERT_PARSES(right, mdoc(ensemble({tree(0, {split(1, "0", 1, 2, R"(,"default_left":false)"),
                                               leaf("1"), leaf("2")})})));
  EXPECT_FALSE(right.model().trees[0].nodes[0].defaultLeft);
  EXPECT_EQ(right.model().trees[0].nodes[0].feature, 1);

  // Output names by link and margin.
  struct Case {
    int outputs;
    std::string link;
    bool margin;
    std::vector<std::string> names;
  };
  std::vector<Case> cases = {
      {1, "identity", false, {"prediction"}},
      {1, "logistic", false, {"prediction"}},
      {1, "softmax", false, {"prediction"}},   // allowed with one output
      {1, "argmax", false, {"class"}},         // allowed with one output
      {3, "identity", false, {"class_0", "class_1", "class_2"}},
      {3, "softmax", false, {"class_0", "class_1", "class_2"}},
      {3, "argmax", false, {"class"}},
      {3, "argmax", true, {"class_0", "class_1", "class_2"}},
      {3, "logistic", true, {"class_0", "class_1", "class_2"}},
      {1, "argmax", true, {"prediction"}},
  };
  for (const Case &c : cases) {
    std::vector<std::string> trees;
    for (int k = 0; k < c.outputs; ++k)
      trees.push_back(tree(k, {leaf(std::to_string(k))}));
    std::string text = mdoc(ensemble(trees, R"(,"link":")" + c.link + "\"", c.outputs), "", kXY,
                            std::string(R"({"type":"f32","margin":)") +
                                (c.margin ? "true" : "false") + "}");
    ASSERT_PARSES(e, text);
    EXPECT_EQ(e.outputNames(), c.names) << text;
    EXPECT_EQ(e.model().numOutputs, c.outputs);
    EXPECT_EQ(e.model().margin, c.margin);
    EXPECT_EQ(e.model().baseScore.size(), static_cast<size_t>(c.outputs));
    EXPECT_EQ(e.outputType(), DType::F32);
    EXPECT_EQ(linkName(e.model().link), c.link);
  }
  // Linear: intercepts and weights; its numOutputs is its rows.
  ASSERT_PARSES(lin, mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[3],"link":"logistic"})"));
  EXPECT_EQ(lin.model().type, ModelType::Linear);
  EXPECT_EQ(lin.model().weights, (std::vector<double>{1, 2}));
  EXPECT_EQ(lin.model().intercepts, (std::vector<double>{3}));
  EXPECT_EQ(lin.model().link, Link::Logistic);
  EXPECT_EQ(lin.model().numOutputs, 1);
}

TEST(ModelAnalysis, FeatureOrder) {
  const std::string inputs =
      R"([{"name":"a","type":"f64"},{"name":"c","type":"i64","missing":-1},{"name":"b","type":"f32"}])";
  const std::string steps =
      R"("steps":[{"op":"one_hot","column":"c","categories":[7,9]},)"
      R"({"op":"expr","name":"ab","expr":"a * b"},{"op":"log1p","column":"a"}],)";
  auto lin = [](int n) {
    return R"({"type":"linear","weights":[)" + row(n, "1") + R"(],"intercepts":[0]})";
  };
  // Without steps or features: the inputs in order.
  ASSERT_PARSES(plain, mdoc(lin(3), "", inputs));
  EXPECT_EQ(plain.model().pipeline.plan.outputNames, (std::vector<std::string>{"a", "c", "b"}));
  EXPECT_EQ(plain.model().pipeline.plan.outputs, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(plain.model().numFeatures, 3);
  EXPECT_TRUE(plain.model().pipeline.outputColumns.empty());
  // With steps: every current column after the last step, in order (one_hot
  // expands in place, expr appends).
  ASSERT_PARSES(stepped, mdoc(lin(5), steps, inputs));
  const Plan &plan = stepped.model().pipeline.plan;
  EXPECT_EQ(plan.outputNames, (std::vector<std::string>{"a", "c=7", "c=9", "b", "ab"}));
  ASSERT_EQ(plan.outputs.size(), 5u);
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    EXPECT_EQ(plan.values[plan.outputs[i]].name, plan.outputNames[i]);
  EXPECT_EQ(plan.nodes.size(), 3u);
  EXPECT_EQ(stepped.model().pipeline.steps.size(), 3u);
  // a is the log1p result, not the input.
  EXPECT_EQ(plan.outputs[0], plan.nodes[2].results[0]);
  EXPECT_EQ(stepped.model().numFeatures, 5);
  EXPECT_EQ(stepped.inputs().size(), 3u);
  // With features: that order, a subset.
  ASSERT_PARSES(listed, mdoc(lin(3), steps + R"("features":["ab","c=9","a"],)", inputs));
  const Plan &lp = listed.model().pipeline.plan;
  EXPECT_EQ(lp.outputNames, (std::vector<std::string>{"ab", "c=9", "a"}));
  EXPECT_EQ(lp.outputs[0], plan.outputs[4]);
  EXPECT_EQ(lp.outputs[1], plan.outputs[2]);
  EXPECT_EQ(lp.outputs[2], plan.outputs[0]);
  EXPECT_EQ(listed.model().pipeline.outputColumns, lp.outputNames);
  EXPECT_EQ(listed.model().numFeatures, 3);
  // Tree feature indices refer to that order.
  ASSERT_PARSES(t, mdoc(ensemble({tree(0, {split(2, "0", 1, 2), leaf("1"), leaf("2")})}),
                        steps + R"("features":["ab","c=9","a"],)", inputs));
  EXPECT_EQ(t.model().pipeline.plan.outputNames[t.model().trees[0].nodes[0].feature], "a");
  EXPECT_PARSE_ERROR(mdoc(ensemble({tree(0, {split(3, "0", 1, 2), leaf("1"), leaf("2")})}),
                          steps + R"("features":["ab","c=9","a"],)", inputs),
                     "model.trees[0].nodes[0].feature",
                     "feature 3 out of range (the model has 3 features)");
  // The features of a model are the outputs of the same pipeline with
  // output.columns = features.
  ASSERT_PARSES(pipe, doc(inputs, R"([{"op":"one_hot","column":"c","categories":[7,9]},)"
                                  R"({"op":"expr","name":"ab","expr":"a * b"},)"
                                  R"({"op":"log1p","column":"a"}])",
                          R"({"type":"f64","columns":["ab","c=9","a"]})"));
  EXPECT_EQ(pipe.pipeline().plan.outputs, lp.outputs);
  EXPECT_EQ(pipe.pipeline().plan.outputNames, lp.outputNames);
  EXPECT_EQ(pipe.pipeline().plan.values.size(), lp.values.size());
}

TEST(ModelCanonical, ExactText) {
  ASSERT_PARSES(d, R"({"name":"n","output":{"type":"f32"},"specjit":1,"kind":"model",)"
                   R"("inputs":[{"type":"f64","name":"x"},{"name":"c","type":"i32","missing":-1}],)"
                   R"("steps":[{"op":"standardize","column":"x","std":2.0,"mean":1e0}],)"
                   R"("model":{"type":"tree_ensemble","num_outputs":1.0,"link":"logistic","trees":[)"
                   R"({"group":0,"nodes":[{"threshold":0.50,"feature":1,"right":2,"left":1,)"
                   R"("default_left":false},{"leaf":-0.0},{"leaf":1.5e-7}]}]}})");
  EXPECT_EQ(d.canonical(),
            R"({"features":["x","c"],"inputs":[{"name":"x","type":"f64"},)"
            R"({"missing":-1,"name":"c","type":"i32"}],"kind":"model","model":{"average":false,)"
            R"("base_score":[0],"float32":false,"link":"logistic","num_outputs":1,"trees":[)"
            R"({"default_left":[0,0,0],"feature":[1,-1,-1],"group":0,"leaf":[0,-0.0,1.5e-07],)"
            R"("left":[1,-1,-1],"right":[2,-1,-1],"threshold":[0.5,0,0]}],"type":"tree_ensemble"},)"
            R"("output":{"columns":["prediction"],"margin":false,"type":"f32"},"specjit":1,)"
            R"("steps":[{"column":"x","mean":1,"op":"standardize","std":2}]})");
  EXPECT_EQ(d.hash().hex(), "24a97dfad6a4c0da08222662485bffb9");
  // The same tree written as columns (keys in any order, default_left as a
  // boolean, ignored entries nonzero) has the same canonical text; a split
  // that sends NaN left is written 1.
  ASSERT_PARSES(c, R"({"name":"n","output":{"type":"f32"},"specjit":1,"kind":"model",)"
                   R"("inputs":[{"type":"f64","name":"x"},{"name":"c","type":"i32","missing":-1}],)"
                   R"("steps":[{"op":"standardize","column":"x","std":2.0,"mean":1e0}],)"
                   R"("model":{"type":"tree_ensemble","num_outputs":1.0,"link":"logistic","trees":[)"
                   R"({"leaf":[7,-0.0,1.5e-7],"threshold":[0.50,3,-4],"group":0,"feature":[1,-1,-1],)"
                   R"("right":[2,-1,-1],"left":[1,-1,-1],"default_left":[false,true,1]}]}})");
  EXPECT_EQ(c.canonical(), d.canonical());
  EXPECT_EQ(c.hash(), d.hash());
  ASSERT_PARSES(left, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                      R"("model":{"type":"tree_ensemble","num_outputs":1,"trees":[)"
                      R"({"group":0,"nodes":[{"feature":0,"threshold":1,"left":1,"right":2},)"
                      R"({"leaf":1},{"leaf":2}]}]},"output":{"type":"f64"}})");
  EXPECT_NE(left.canonical().find(R"("trees":[{"default_left":[1,0,0],"feature":[0,-1,-1],)"
                                  R"("group":0,"leaf":[0,1,2],"left":[1,-1,-1],)"
                                  R"("right":[2,-1,-1],"threshold":[1,0,0]}])"),
            std::string::npos)
      << left.canonical();
  ASSERT_PARSES(l, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                   R"("model":{"type":"linear","weights":[[2],[-3]],"intercepts":[0.5,1]},)"
                   R"("output":{"type":"f64","margin":true}})");
  EXPECT_EQ(l.canonical(),
            R"({"features":["x"],"inputs":[{"name":"x","type":"f64"}],"kind":"model",)"
            R"("model":{"intercepts":[0.5,1],"link":"identity","type":"linear","weights":[[2],[-3]]},)"
            R"("output":{"columns":["class_0","class_1"],"margin":true,"type":"f64"},"specjit":1,)"
            R"("steps":[]})");
  EXPECT_EQ(l.hash().hex(), "9a300714b2f5eeff456c416cb0ece85c");
  ASSERT_PARSES(m, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                   R"("model":{"type":"mlp","link":"argmax","layers":[)"
                   R"({"weights":[[1],[2]],"biases":[0,0],"activation":"tanh"},)"
                   R"({"activation":"identity","biases":[1],"weights":[[3,4]]}]},)"
                   R"("output":{"type":"f64"}})");
  EXPECT_EQ(m.canonical(),
            R"({"features":["x"],"inputs":[{"name":"x","type":"f64"}],"kind":"model",)"
            R"("model":{"layers":[{"activation":"tanh","biases":[0,0],"weights":[[1],[2]]},)"
            R"({"activation":"identity","biases":[1],"weights":[[3,4]]}],"link":"argmax",)"
            R"("type":"mlp"},"output":{"columns":["class"],"margin":false,"type":"f64"},)"
            R"("specjit":1,"steps":[]})");
  EXPECT_EQ(m.hash().hex(), "5dd3f12c57d1aedd67e94c3a76be6ea7");
}

TEST(ModelCanonical, StepsAsThePipelineFamilyWritesThem) {
  const std::string inputs =
      R"([{"name":"a","type":"f64"},{"name":"s","type":"string"},{"name":"n","type":"i64","missing":0}])";
  const std::string steps =
      R"([{"op":"label_encode","column":"s","mapping":{"z":2,"y":1},"default":-1.0},)"
      R"({"op":"impute","column":"n","value":3},{"op":"clip","column":"a","max":1e1},)"
      R"({"op":"polynomial","columns":["a","n"],"degree":2},)"
      R"({"op":"expr","name":"e","expr":"((a)) + `a n`*2"},)"
      R"({"op":"bucketize","column":"s","edges":[0.5,1.5]}])";
  ASSERT_PARSES(p, doc(inputs, steps));
  std::string lin = R"({"type":"linear","weights":[)" + row(static_cast<int>(p.numOutputs()), "1") +
                    R"(],"intercepts":[0]})";
  ASSERT_PARSES(m, mdoc(lin, R"("steps":)" + steps + ",", inputs));
  auto stepsOf = [](const std::string &canonical) {
    size_t at = canonical.find("\"steps\":");
    return at == std::string::npos ? std::string() : canonical.substr(at);
  };
  std::string ps = stepsOf(p.canonical()), ms = stepsOf(m.canonical());
  ASSERT_FALSE(ps.empty());
  EXPECT_EQ(ms, ps); // "steps" is the last key of both
  EXPECT_EQ(m.model().pipeline.plan.outputNames, p.pipeline().plan.outputNames);
  EXPECT_EQ(m.model().numFeatures, static_cast<int32_t>(p.numOutputs()));
}

TEST(ModelHash, Invariance) {
  const std::string base =
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"nodes":[{"feature":0,"threshold":0.5,"left":1,"right":2},{"leaf":-1},{"leaf":1}]},)"
      R"({"group":1,"nodes":[{"leaf":2}]}]},"output":{"type":"f32"}})";
  std::vector<std::string> same = {
      // name, spacing, key order
      R"({"name":"whatever","specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"nodes":[{"feature":0,"threshold":0.5,"left":1,"right":2},{"leaf":-1},{"leaf":1}]},)"
      R"({"group":1,"nodes":[{"leaf":2}]}]},"output":{"type":"f32"}})",
      R"({ "output" : { "type" : "f32" }, "model" : { "trees" : [)"
      R"({ "nodes" : [ { "right" : 2, "left" : 1, "threshold" : 0.5, "feature" : 0 }, { "leaf" : -1 }, { "leaf" : 1 } ], "group" : 0 },)"
      R"({"nodes":[{"leaf":2}],"group":1}], "num_outputs" : 2, "type" : "tree_ensemble" },)"
      R"( "inputs" : [ { "type" : "f64", "name" : "x" }, { "type" : "f64", "name" : "y" } ], "kind" : "model", "specjit" : 1 })",
      // defaults written out; number spellings
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("steps":[],"features":["x","y"],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2.0,"base_score":[0,0.0],"average":false,)"
      R"("float32":false,"link":"identity","trees":[)"
      R"({"group":0,"nodes":[{"feature":0,"threshold":5e-1,"left":1,"right":2,"default_left":true},)"
      R"({"leaf":-1.0},{"leaf":1E0}]},)"
      R"({"group":1.0,"nodes":[{"leaf":2}]}]},)"
      R"("output":{"type":"f32","margin":false,"columns":["class_0","class_1"]}})",
      // columns, mixed with node objects or not; unused entries are ignored
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"feature":[0,-1,-1],"threshold":[0.5,0,0],"left":[1,-1,-1],"right":[2,-1,-1],)"
      R"("default_left":[1,0,0],"leaf":[0,-1,1]},)"
      R"({"group":1,"nodes":[{"leaf":2}]}]},"output":{"type":"f32"}})",
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"feature":[0,-1,-1],"threshold":[5e-1,-3,1e300],"left":[1,-1,-1],)"
      R"("right":[2,-1,-1],"default_left":[true,true,false],"leaf":[42,-1.0,1]},)"
      R"({"leaf":[2],"default_left":[0],"right":[-1],"left":[-1],"threshold":[0],"feature":[-1],)"
      R"("group":1}]},"output":{"type":"f32"}})",
  };
  ASSERT_PARSES(b, base);
  for (const std::string &text : same) {
    ASSERT_PARSES(d, text);
    EXPECT_EQ(d.canonical(), b.canonical()) << text;
    EXPECT_EQ(d.hash(), b.hash());
  }
  // The same for the other model types.
  ASSERT_PARSES(l1, mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})"));
  ASSERT_PARSES(l2, mdoc(R"({"intercepts":[0.0],"link":"identity","weights":[[1.0,2e0]],"type":"linear"})",
                         R"("features":["x","y"],"name":"lin",)", kXY,
                         R"({"type":"f64","columns":["prediction"],"margin":false})"));
  EXPECT_EQ(l1.hash(), l2.hash());
  ASSERT_PARSES(m1, mdoc(R"({"type":"mlp","layers":[{"weights":[[1,2]],"biases":[0],"activation":"relu"}]})"));
  ASSERT_PARSES(m2, mdoc(R"({"layers":[{"activation":"relu","biases":[0e5],"weights":[[1.00,20e-1]]}],"type":"mlp","link":"identity"})"));
  EXPECT_EQ(m1.hash(), m2.hash());
}

TEST(ModelHash, Sensitivity) {
  auto tdoc = [](const std::string &modelExtra, const std::string &node0,
                 const std::string &leaf2 = "1", const std::string &output = R"({"type":"f32"})",
                 const std::string &extra = "") {
    return mdoc(R"({"type":"tree_ensemble","num_outputs":2)" + modelExtra + R"(,"trees":[)"
                R"({"group":0,"nodes":[)" + node0 + R"(,{"leaf":-1},{"leaf":)" + leaf2 + "}]},"
                R"({"group":1,"nodes":[{"leaf":2}]}]})",
                extra, kXY, output);
  };
  const std::string n0 = R"({"feature":0,"threshold":0.5,"left":1,"right":2})";
  std::vector<std::string> variants = {
      tdoc("", n0),
      tdoc("", R"({"feature":0,"threshold":0.25,"left":1,"right":2})"),
      tdoc("", R"({"feature":1,"threshold":0.5,"left":1,"right":2})"),
      tdoc("", R"({"feature":0,"threshold":0.5,"left":1,"right":2,"default_left":false})"),
      tdoc("", R"({"feature":0,"threshold":-0.0,"left":1,"right":2})"),
      tdoc("", R"({"feature":0,"threshold":0,"left":1,"right":2})"),
      tdoc("", n0, "1.0000000000000002"),
      tdoc("", n0, "-0.0"),
      tdoc(R"(,"base_score":[0,1])", n0),
      tdoc(R"(,"average":true)", n0),
      tdoc(R"(,"float32":true)", n0),
      tdoc(R"(,"link":"logistic")", n0),
      tdoc(R"(,"link":"softmax")", n0),
      tdoc(R"(,"link":"argmax")", n0),
      tdoc("", n0, "1", R"({"type":"f64"})"),
      tdoc("", n0, "1", R"({"type":"f32","margin":true})"),
      tdoc("", n0, "1", R"({"type":"f32","columns":["a","b"]})"),
      tdoc("", n0, "1", R"({"type":"f32"})", R"("features":["y","x"],)"),
      tdoc("", n0, "1", R"({"type":"f32"})", R"("steps":[{"op":"log","column":"x"}],)"),
      tdoc("", n0, "1", R"({"type":"f32"})", R"("steps":[{"op":"log1p","column":"x"}],)"),
      // trees swapped (groups swapped with them)
      mdoc(R"({"type":"tree_ensemble","num_outputs":2,"trees":[{"group":1,"nodes":[{"leaf":2}]},)"
           R"({"group":0,"nodes":[)" + n0 + R"(,{"leaf":-1},{"leaf":1}]}]})",
           "", kXY, R"({"type":"f32"})"),
      // children swapped
      mdoc(R"({"type":"tree_ensemble","num_outputs":2,"trees":[{"group":0,"nodes":[)"
           R"({"feature":0,"threshold":0.5,"left":2,"right":1},{"leaf":-1},{"leaf":1}]},)"
           R"({"group":1,"nodes":[{"leaf":2}]}]})",
           "", kXY, R"({"type":"f32"})"),
      // inputs typed differently
      mdoc(R"({"type":"tree_ensemble","num_outputs":2,"trees":[{"group":0,"nodes":[)" + n0 +
               R"(,{"leaf":-1},{"leaf":1}]},{"group":1,"nodes":[{"leaf":2}]}]})",
           "", R"([{"name":"x","type":"f32"},{"name":"y","type":"f64"}])", R"({"type":"f32"})"),
      // linear and MLP with the same numbers
      mdoc(R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,0]})", "", kXY, R"({"type":"f32"})"),
      mdoc(R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,1]})", "", kXY, R"({"type":"f32"})"),
      mdoc(R"({"type":"linear","weights":[[1,2],[4,3]],"intercepts":[0,0]})", "", kXY, R"({"type":"f32"})"),
      mdoc(R"({"type":"mlp","layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"identity"}]})",
           "", kXY, R"({"type":"f32"})"),
      mdoc(R"({"type":"mlp","layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"relu"}]})",
           "", kXY, R"({"type":"f32"})"),
      mdoc(R"({"type":"mlp","layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"identity"},)"
           R"({"weights":[[1,0],[0,1]],"biases":[0,0],"activation":"identity"}]})",
           "", kXY, R"({"type":"f32"})"),
  };
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  for (const std::string &v : variants) {
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
  }
  EXPECT_EQ(hashes.size(), variants.size());
}

TEST(ModelCanonical, RoundTrip) {
  std::vector<std::string> texts = {
      readSourceFile("examples/model_logistic.json"),
      readSourceFile("examples/model_trees.json"),
      readSourceFile("examples/model_mlp.json"),
      mdoc(ensemble({stump(), tree(1, {split(1, "-1e300", 1, 2, R"(,"default_left":false)"),
                                       leaf("-0.0"), leaf("1e-300")})},
                    R"(,"average":true,"base_score":[0.1,-0.2],"link":"softmax")", 2),
           R"("steps":[{"op":"clip","column":"y","min":-1}],"features":["y","x"],)", kXY,
           R"({"type":"f64","margin":true,"columns":["a b","c\"d"]})"),
      mdoc(R"({"type":"linear","weights":[[1e-7,-2.5]],"intercepts":[1e20],"link":"argmax"})"),
  };
  for (const std::string &text : texts) {
    ASSERT_PARSES(d, text);
    ASSERT_PARSES(again, d.canonical());
    EXPECT_EQ(again.canonical(), d.canonical()) << text;
    EXPECT_EQ(again.hash(), d.hash());
    EXPECT_EQ(again.kind(), Kind::Model);
    EXPECT_EQ(again.outputNames(), d.outputNames());
    EXPECT_TRUE(static_cast<bool>(llvm::json::parse(d.canonical())));
    EXPECT_EQ(d.canonical().find('\n'), std::string::npos);
    const ModelSpec &a = d.model(), &b = again.model();
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.numFeatures, b.numFeatures);
    EXPECT_EQ(a.numOutputs, b.numOutputs);
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.intercepts, b.intercepts);
    EXPECT_EQ(a.baseScore, b.baseScore);
    EXPECT_EQ(a.link, b.link);
    EXPECT_EQ(a.margin, b.margin);
    EXPECT_EQ(a.average, b.average);
    EXPECT_EQ(a.float32, b.float32);
    EXPECT_EQ(a.pipeline.plan.outputs, b.pipeline.plan.outputs);
    EXPECT_EQ(a.pipeline.plan.outputNames, b.pipeline.plan.outputNames);
    ASSERT_EQ(a.trees.size(), b.trees.size());
    for (size_t t = 0; t < a.trees.size(); ++t)
      expectSameTree(a.trees[t], b.trees[t]);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (size_t l = 0; l < a.layers.size(); ++l) {
      EXPECT_EQ(a.layers[l].weights, b.layers[l].weights);
      EXPECT_EQ(a.layers[l].biases, b.layers[l].biases);
      EXPECT_EQ(a.layers[l].activation, b.layers[l].activation);
      EXPECT_EQ(a.layers[l].inputs, b.layers[l].inputs);
      EXPECT_EQ(a.layers[l].outputs, b.layers[l].outputs);
    }
  }
}

TEST(ModelFiles, Examples) {
  auto load = [](const char *file) {
    return Descriptor::fromFile(std::string(SPECJIT_SOURCE_DIR) + "/examples/" + file);
  };
  llvm::Expected<Descriptor> lg = load("model_logistic.json");
  ASSERT_TRUE(static_cast<bool>(lg)) << llvm::toString(lg.takeError());
  const ModelSpec &l = lg->model();
  EXPECT_EQ(l.type, ModelType::Linear);
  EXPECT_EQ(l.numFeatures, 4);
  EXPECT_EQ(l.numOutputs, 1);
  EXPECT_EQ(l.link, Link::Logistic);
  EXPECT_TRUE(llvm::any_of(l.pipeline.steps,
                           [](const Step &s) { return s.op == StepOp::Standardize; }));
  EXPECT_EQ(lg->numOutputs(), 1u);

  llvm::Expected<Descriptor> tr = load("model_trees.json");
  ASSERT_TRUE(static_cast<bool>(tr)) << llvm::toString(tr.takeError());
  const ModelSpec &t = tr->model();
  EXPECT_EQ(t.type, ModelType::TreeEnsemble);
  EXPECT_EQ(t.trees.size(), 3u);
  EXPECT_TRUE(t.float32);
  EXPECT_EQ(t.link, Link::Logistic);
  EXPECT_EQ(t.numOutputs, 1);
  std::set<bool> directions;
  for (const Tree &tree : t.trees) {
    // Depth 2 or 3 (iteratively: children follow their parent).
    std::vector<int> depth(tree.nodes.size(), 0);
    int deepest = 0;
    for (size_t i = 0; i < tree.nodes.size(); ++i) {
      const TreeNode &n = tree.nodes[i];
      if (n.feature < 0) {
        deepest = std::max(deepest, depth[i]);
        continue;
      }
      directions.insert(n.defaultLeft);
      depth[n.left] = depth[n.right] = depth[i] + 1;
    }
    EXPECT_GE(deepest, 2);
    EXPECT_LE(deepest, 3);
  }
  EXPECT_EQ(directions.size(), 2u) << "NaN goes left in some splits, right in others";

  llvm::Expected<Descriptor> mp = load("model_mlp.json");
  ASSERT_TRUE(static_cast<bool>(mp)) << llvm::toString(mp.takeError());
  const ModelSpec &m = mp->model();
  EXPECT_EQ(m.type, ModelType::Mlp);
  EXPECT_EQ(m.numFeatures, 8);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].outputs, 16);
  EXPECT_EQ(m.layers[0].activation, Activation::Relu);
  EXPECT_EQ(m.layers[1].outputs, 3);
  EXPECT_EQ(m.link, Link::Softmax);
  EXPECT_EQ(mp->numOutputs(), 3u);
  std::set<double> distinct(m.layers[0].weights.begin(), m.layers[0].weights.end());
  EXPECT_GT(distinct.size(), 100u) << "pseudo-random weights";
}

TEST(ModelRobustness, EveryPrefixOfTheExamplesIsAnError) {
  for (const char *file : {"examples/model_logistic.json", "examples/model_trees.json",
                           "examples/model_mlp.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    size_t end = text.find_last_not_of(" \n\r\t");
    ASSERT_EQ(text[end], '}');
    for (size_t n = 0; n <= end; ++n) {
      llvm::Expected<Descriptor> d = Descriptor::parse(StringRef(text).take_front(n));
      EXPECT_FALSE(static_cast<bool>(d)) << file << " " << n;
      if (!d)
        EXPECT_FALSE(llvm::toString(d.takeError()).empty());
    }
  }
}

TEST(ModelRobustness, MutationsNeverCrash) {
  std::mt19937 rng(4242);
  const char alphabet[] = "{}[]\",:0123-.eE aZ\\ul";
  for (const char *file : {"examples/model_logistic.json", "examples/model_trees.json",
                           "examples/model_mlp.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    int parsed = 0;
    for (int iter = 0; iter < 1500; ++iter) {
      std::string m = text;
      int edits = 1 + rng() % 3;
      for (int e = 0; e < edits; ++e) {
        size_t at = rng() % m.size();
        switch (rng() % 3) {
        case 0: m[at] = alphabet[rng() % (sizeof(alphabet) - 1)]; break;
        case 1: m.erase(at, 1); break;
        default: m.insert(at, 1, alphabet[rng() % (sizeof(alphabet) - 1)]);
        }
      }
      llvm::Expected<Descriptor> d = Descriptor::parse(m);
      if (!d) {
        EXPECT_FALSE(llvm::toString(d.takeError()).empty());
        continue;
      }
      ++parsed;
      ASSERT_PARSES(again, d->canonical());
      EXPECT_EQ(again.canonical(), d->canonical()) << m;
    }
    EXPECT_GT(parsed, 0) << file;
  }
}

TEST(ModelRobustness, LargeEnsembleParsesQuickly) {
  // 750 complete trees of depth 6 (127 nodes each: 95250 nodes), splits
  // over 50 features, and one degenerate tree, a chain 2400 splits deep:
  // 100051 nodes. (Text documents hold at most 131072 JSON objects, one per
  // node: the limit below.)
  std::string trees;
  trees.reserve(8u << 20);
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int t = 0; t < 750; ++t) {
    trees += R"({"group":0,"nodes":[)";
    for (int i = 0; i < 127; ++i) {
      if (i)
        trees += ',';
      if (i < 63)
        trees += split(static_cast<int>(next() % 50), std::to_string(next() % 1000) + ".5",
                       2 * i + 1, 2 * i + 2, (next() & 1) ? R"(,"default_left":false)" : "");
      else
        trees += leaf("0.0" + std::to_string(next() % 1000));
    }
    trees += "]},";
  }
  trees += R"({"group":0,"nodes":[)";
  const int chain = 2400;
  for (int i = 0; i < chain; ++i)
    trees += split(i % 50, "0", 2 * i + 1, 2 * i + 2) + "," + leaf("1") + ",";
  trees += leaf("2") + "]}";
  std::string text = mdoc(R"({"type":"tree_ensemble","num_outputs":1,"float32":true,"trees":[)" +
                              trees + "]}",
                          "", features(50));
  auto start = std::chrono::steady_clock::now();
  ASSERT_PARSES(d, text);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t nodes = 0;
  for (const Tree &t : d.model().trees)
    nodes += t.nodes.size();
  EXPECT_EQ(nodes, 95250u + 2 * chain + 1);
  EXPECT_GE(nodes, 100000u);
  EXPECT_EQ(d.model().trees.size(), 751u);
  // Linear work (quadratic would take hours); most of it is llvm::json.
  EXPECT_LT(seconds, 10.0);
  ASSERT_PARSES(again, d.canonical());
  EXPECT_EQ(again.hash(), d.hash());
  // The JSON object limit bounds text documents; an error, not a crash.
  std::string tooMany = mdoc(R"({"type":"tree_ensemble","num_outputs":1,"trees":[)" + trees + "," +
                                 trees + "]}",
                             "", features(50));
  EXPECT_PARSE_ERROR(tooMany, "descriptor", "JSON objects");
}

TEST(ModelRobustness, ThousandDepth8TreesAsColumns) {
  // What 1,000 rounds of XGBoost at max_depth 8 can give: 1,000 complete
  // trees of 511 nodes (255 splits, 256 leaves; 511,000 nodes), f32
  // thresholds and leaves written as doubles with up to 17 digits (as the
  // importer writes them), over 50 features. As node objects that is
  // nearly 4x the JSON object limit; as columns it is about 1,000 objects
  // and 3.1M values (the limits: 131,072 and 8,388,608) in 17 MB of text
  // (the limit: 64 MiB).
  constexpr int kTrees = 1000, kNodes = 511, kSplits = 255;
  std::mt19937 rng(511);
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  auto number = [&] {
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", static_cast<double>(value(rng)));
    return std::string(buf);
  };
  std::string text = R"({"specjit":1,"kind":"model","inputs":)" + features(50) +
                     R"(,"model":{"type":"tree_ensemble","num_outputs":1,"float32":true,)"
                     R"("link":"logistic","trees":[)";
  text.reserve(32u << 20);
  for (int t = 0; t < kTrees; ++t) {
    std::string cols[6]; // feature, threshold, left, right, default_left, leaf
    for (int i = 0; i < kNodes; ++i) {
      const char *sep = i ? "," : "";
      bool split = i < kSplits; // breadth first: node i's children are 2i+1, 2i+2
      cols[0] += sep + std::to_string(split ? static_cast<int>(rng() % 50) : -1);
      cols[1] += sep + (split ? number() : "0");
      cols[2] += sep + std::to_string(split ? 2 * i + 1 : -1);
      cols[3] += sep + std::to_string(split ? 2 * i + 2 : -1);
      cols[4] += sep + std::string(split && rng() % 2 ? "1" : "0");
      cols[5] += sep + (split ? "0" : number());
    }
    text += (t ? "," : "") + columns(0, "[" + cols[0] + "]", "[" + cols[1] + "]",
                                     "[" + cols[2] + "]", "[" + cols[3] + "]",
                                     "[" + cols[4] + "]", "[" + cols[5] + "]");
  }
  text += R"(]},"output":{"type":"f32"}})";
  EXPECT_LT(text.size(), kMaxDescriptorBytes / 2);

  auto start = std::chrono::steady_clock::now();
  ASSERT_PARSES(d, text);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[   INFO   ] 1000 x 511 nodes as columns: %.1f MB of text parsed in %.2f s\n",
              text.size() / 1e6, seconds);
  RecordProperty("parse_seconds", std::to_string(seconds));
  const ModelSpec &m = d.model();
  ASSERT_EQ(m.trees.size(), static_cast<size_t>(kTrees));
  size_t nodes = 0, leaves = 0;
  for (const Tree &t : m.trees) {
    nodes += t.nodes.size();
    leaves += llvm::count_if(t.nodes, [](const TreeNode &n) { return n.feature < 0; });
  }
  EXPECT_EQ(nodes, 511000u);
  EXPECT_EQ(leaves, 256000u);
  const TreeNode &last = m.trees.back().nodes[kSplits - 1];
  EXPECT_EQ(last.left, 509);
  EXPECT_EQ(last.right, 510);
  // Linear work; most of it is llvm::json (measured: about 1 s, Release).
  EXPECT_LT(seconds, 10.0);
  ASSERT_PARSES(again, d.canonical());
  EXPECT_EQ(again.hash(), d.hash());
}

TEST(ModelFiles, SchemaDescribesEveryPropertyAndCopiesThePipelineSteps) {
  std::string text = readSourceFile("schemas/model.schema.json");
  llvm::Expected<llvm::json::Value> schema = llvm::json::parse(text);
  ASSERT_TRUE(static_cast<bool>(schema)) << llvm::toString(schema.takeError());
  const llvm::json::Object *root = schema->getAsObject();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->getString("$schema").value_or(""),
            "https://json-schema.org/draft/2020-12/schema");
  std::vector<std::pair<std::string, const llvm::json::Value *>> work = {{"", &*schema}};
  int objects = 0;
  while (!work.empty()) {
    auto [where, v] = work.back();
    work.pop_back();
    if (const llvm::json::Object *o = v->getAsObject()) {
      if (const llvm::json::Object *props = o->getObject("properties")) {
        bool conditional =
            StringRef(where).ends_with("/if") || StringRef(where).ends_with("/then");
        if (!conditional) {
          ++objects;
          const llvm::json::Value *ap = o->get("additionalProperties");
          EXPECT_TRUE(ap && ap->getAsBoolean() == false) << where;
          for (const auto &kv : *props) {
            const llvm::json::Object *p = kv.second.getAsObject();
            EXPECT_TRUE(p && p->getString("description")) << where << "/" << kv.first.str();
          }
        }
      }
      for (const auto &kv : *o)
        work.push_back({where + "/" + kv.first.str(), &kv.second});
    } else if (const llvm::json::Array *a = v->getAsArray()) {
      for (size_t i = 0; i < a->size(); ++i)
        work.push_back({where + "/" + std::to_string(i), &(*a)[i]});
    }
  }
  EXPECT_GE(objects, 20);
  const llvm::json::Object *defs = root->getObject("$defs");
  ASSERT_TRUE(defs);
  for (ModelType t : {ModelType::Linear, ModelType::TreeEnsemble, ModelType::Mlp}) {
    const llvm::json::Object *def = defs->getObject(modelTypeName(t));
    ASSERT_TRUE(def) << modelTypeName(t).str();
    EXPECT_EQ(def->getObject("properties")->getObject("type")->getString("const").value_or(""),
              modelTypeName(t));
  }
  // The inputs and steps are the pipeline family's: the definitions are
  // copies of pipeline.schema.json's and must not drift.
  llvm::Expected<llvm::json::Value> pipe =
      llvm::json::parse(readSourceFile("schemas/pipeline.schema.json"));
  ASSERT_TRUE(static_cast<bool>(pipe));
  const llvm::json::Object *pdefs = pipe->getAsObject()->getObject("$defs");
  ASSERT_TRUE(pdefs);
  int copied = 0;
  for (const auto &kv : *pdefs) {
    if (kv.first == "output")
      continue; // the model's output is its own
    const llvm::json::Value *mine = defs->get(kv.first);
    ASSERT_TRUE(mine) << kv.first.str();
    EXPECT_EQ(*mine, kv.second) << kv.first.str();
    ++copied;
  }
  EXPECT_GE(copied, 14);
  const llvm::json::Array *examples = root->getArray("examples");
  ASSERT_TRUE(examples && !examples->empty());
  for (const llvm::json::Value &ex : *examples) {
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(ex);
    EXPECT_TRUE(static_cast<bool>(d)) << (d ? "" : llvm::toString(d.takeError()));
  }
}

} // namespace
