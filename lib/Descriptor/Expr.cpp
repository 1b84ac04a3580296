//===- Expr.cpp - The expression grammar shared by every family -----------===//
//
// A recursive-descent parser (precedence climbing for the binary operators)
// with a bound on both recursion and tree height, so hostile text gets an
// error instead of a stack overflow, and a printer that writes the canonical
// spelling of a tree.
//
//===----------------------------------------------------------------------===//

#include "DescriptorInternal.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

using llvm::Expected;
using llvm::StringRef;

namespace specjit {
namespace jit {

bool callsTranscendental(const Expr *e) {
  if (!e)
    return false;
  if (e->kind == Expr::Kind::Op && (e->op == Expr::Op::Exp || e->op == Expr::Op::Log ||
                                    e->op == Expr::Op::Log1p || e->op == Expr::Op::Pow))
    return true;
  for (const ExprPtr &a : e->args)
    if (callsTranscendental(a.get()))
      return true;
  return false;
}

llvm::StringRef exprOpName(Expr::Op op) {
  switch (op) {
  case Expr::Op::Neg:
    return "-";
  case Expr::Op::Not:
    return "not";
  case Expr::Op::Add:
    return "+";
  case Expr::Op::Sub:
    return "-";
  case Expr::Op::Mul:
    return "*";
  case Expr::Op::Div:
    return "/";
  case Expr::Op::Lt:
    return "<";
  case Expr::Op::Le:
    return "<=";
  case Expr::Op::Gt:
    return ">";
  case Expr::Op::Ge:
    return ">=";
  case Expr::Op::Eq:
    return "==";
  case Expr::Op::Ne:
    return "!=";
  case Expr::Op::And:
    return "and";
  case Expr::Op::Or:
    return "or";
  case Expr::Op::Min:
    return "min";
  case Expr::Op::Max:
    return "max";
  case Expr::Op::Abs:
    return "abs";
  case Expr::Op::Sqrt:
    return "sqrt";
  case Expr::Op::Exp:
    return "exp";
  case Expr::Op::Log:
    return "log";
  case Expr::Op::Log1p:
    return "log1p";
  case Expr::Op::Pow:
    return "pow";
  case Expr::Op::Select:
    return "select";
  }
  return "?";
}

namespace detail {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::make_error<llvm::StringError>(message, llvm::inconvertibleErrorCode());
}

std::string formatNumber(double v) {
  if (v == 0.0)
    return std::signbit(v) ? "-0.0" : "0";
  constexpr double kTwo53 = 9007199254740992.0;
  char buf[64];
  if (std::fabs(v) <= kTwo53 && std::trunc(v) == v) {
    auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(v));
    return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

static bool isNameStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isNameChar(char c) { return llvm::isAlnum(c) || c == '_' || c == '.'; }

static bool isKeyword(StringRef s) { return s == "and" || s == "or" || s == "not"; }

bool isPlainExprName(StringRef name) {
  if (name.empty() || !isNameStart(name[0]) || isKeyword(name))
    return false;
  return llvm::all_of(name, isNameChar);
}

} // namespace detail

namespace {

using detail::ExprRef;

enum class Tok {
  End,
  Number,
  Name,
  Quoted,
  LParen,
  RParen,
  Comma,
  Question,
  Colon,
  Plus,
  Minus,
  Star,
  Slash,
  StarStar,
  Lt,
  Le,
  Gt,
  Ge,
  EqEq,
  Ne,
  AndAnd,
  OrOr,
  Bang,
  KwAnd,
  KwOr,
  KwNot,
  Error,
};

struct Token {
  Tok kind = Tok::End;
  size_t offset = 0;
  StringRef text; // the spelling (for Quoted: the name inside)
  double number = 0.0;
};

struct Parsed {
  ExprPtr e;
  int height = 0;
  explicit operator bool() const { return e != nullptr; }
};

struct FunctionInfo {
  StringRef name;
  Expr::Op op;
  unsigned arity;
};
constexpr FunctionInfo kFunctions[] = {
    {"min", Expr::Op::Min, 2},     {"max", Expr::Op::Max, 2}, {"abs", Expr::Op::Abs, 1},
    {"sqrt", Expr::Op::Sqrt, 1},   {"exp", Expr::Op::Exp, 1}, {"log", Expr::Op::Log, 1},
    {"log1p", Expr::Op::Log1p, 1}, {"pow", Expr::Op::Pow, 2}, {"select", Expr::Op::Select, 3},
};

/// Binding strength of the binary operators (0: not a binary operator).
constexpr int kPrecOr = 1, kPrecAnd = 2, kPrecNot = 3, kPrecCmp = 4, kPrecSum = 5, kPrecTerm = 6,
              kPrecNeg = 7, kPrecPow = 8, kPrecAtom = 10;

int binaryPrec(Tok t) {
  switch (t) {
  case Tok::OrOr:
  case Tok::KwOr:
    return kPrecOr;
  case Tok::AndAnd:
  case Tok::KwAnd:
    return kPrecAnd;
  case Tok::Lt:
  case Tok::Le:
  case Tok::Gt:
  case Tok::Ge:
  case Tok::EqEq:
  case Tok::Ne:
    return kPrecCmp;
  case Tok::Plus:
  case Tok::Minus:
    return kPrecSum;
  case Tok::Star:
  case Tok::Slash:
    return kPrecTerm;
  default:
    return 0;
  }
}

Expr::Op binaryOp(Tok t) {
  switch (t) {
  case Tok::OrOr:
  case Tok::KwOr:
    return Expr::Op::Or;
  case Tok::AndAnd:
  case Tok::KwAnd:
    return Expr::Op::And;
  case Tok::Lt:
    return Expr::Op::Lt;
  case Tok::Le:
    return Expr::Op::Le;
  case Tok::Gt:
    return Expr::Op::Gt;
  case Tok::Ge:
    return Expr::Op::Ge;
  case Tok::EqEq:
    return Expr::Op::Eq;
  case Tok::Ne:
    return Expr::Op::Ne;
  case Tok::Plus:
    return Expr::Op::Add;
  case Tok::Minus:
    return Expr::Op::Sub;
  case Tok::Star:
    return Expr::Op::Mul;
  default:
    return Expr::Op::Div;
  }
}

class ExprParser {
public:
  ExprParser(StringRef source, std::vector<ExprRef> *refsOut) : text(source), refs(refsOut) {}

  Expected<ExprPtr> run() {
    lex();
    Parsed p;
    if (!failed()) {
      if (tok.kind == Tok::End)
        fail("expected an expression", 0);
      else
        p = parseTernary();
    }
    if (!failed() && tok.kind != Tok::End) {
      if (tok.kind == Tok::RParen)
        fail("unmatched ')'", tok.offset);
      else if (tok.kind == Tok::LParen)
        fail("unexpected '(' (only function names can be called)", tok.offset);
      else
        fail("unexpected " + describe(tok) + " (expected an operator or the end of the expression)",
             tok.offset);
    }
    if (failed())
      return detail::makeError(error);
    return p.e;
  }

private:
  StringRef text;
  std::vector<ExprRef> *refs;
  size_t pos = 0;
  Token tok;
  int nesting = 0;
  std::string error;

  bool failed() const { return !error.empty(); }

  Parsed fail(const llvm::Twine &what, size_t offset) {
    if (error.empty())
      error = (what + " at offset " + llvm::Twine(offset)).str();
    tok.kind = Tok::Error;
    return {};
  }

  static std::string describe(const Token &t) {
    switch (t.kind) {
    case Tok::End:
      return "end of expression";
    case Tok::Quoted:
      return "`" + t.text.str() + "`";
    default:
      return "'" + t.text.str() + "'";
    }
  }

  /// Counts structural nesting; the destructor undoes the count.
  struct NestGuard {
    ExprParser &p;
    bool ok;
    NestGuard(ExprParser &parser, size_t offset) : p(parser) {
      ok = ++p.nesting <= detail::kMaxNesting;
      if (!ok)
        p.fail("expression nested deeper than " + llvm::Twine(detail::kMaxNesting) + " levels",
               offset);
    }
    ~NestGuard() { --p.nesting; }
  };

  //===--------------------------------------------------------------------===//
  // Lexer
  //===--------------------------------------------------------------------===//

  void lex() {
    if (failed())
      return;
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
    tok = Token();
    tok.offset = pos;
    if (pos >= text.size()) {
      tok.kind = Tok::End;
      return;
    }
    char c = text[pos];
    auto single = [&](Tok k, size_t len) {
      tok.kind = k;
      tok.text = text.substr(pos, len);
      pos += len;
    };
    char next = pos + 1 < text.size() ? text[pos + 1] : '\0';
    if (llvm::isDigit(c))
      return lexNumber();
    if (detail::isNameStart(c)) {
      size_t end = pos + 1;
      while (end < text.size() && detail::isNameChar(text[end]))
        ++end;
      StringRef s = text.slice(pos, end);
      tok.kind = llvm::StringSwitch<Tok>(s)
                     .Case("and", Tok::KwAnd)
                     .Case("or", Tok::KwOr)
                     .Case("not", Tok::KwNot)
                     .Default(Tok::Name);
      tok.text = s;
      pos = end;
      return;
    }
    switch (c) {
    case '`': {
      size_t close = text.find('`', pos + 1);
      if (close == StringRef::npos) {
        fail("unterminated backquoted name (expected a closing '`')", pos);
        return;
      }
      if (close == pos + 1) {
        fail("empty backquoted name", pos);
        return;
      }
      tok.kind = Tok::Quoted;
      tok.text = text.slice(pos + 1, close);
      pos = close + 1;
      return;
    }
    case '(':
      return single(Tok::LParen, 1);
    case ')':
      return single(Tok::RParen, 1);
    case ',':
      return single(Tok::Comma, 1);
    case '?':
      return single(Tok::Question, 1);
    case ':':
      return single(Tok::Colon, 1);
    case '+':
      return single(Tok::Plus, 1);
    case '-':
      return single(Tok::Minus, 1);
    case '/':
      return single(Tok::Slash, 1);
    case '*':
      return next == '*' ? single(Tok::StarStar, 2) : single(Tok::Star, 1);
    case '<':
      return next == '=' ? single(Tok::Le, 2) : single(Tok::Lt, 1);
    case '>':
      return next == '=' ? single(Tok::Ge, 2) : single(Tok::Gt, 1);
    case '=':
      if (next == '=')
        return single(Tok::EqEq, 2);
      fail("unexpected '=' (did you mean '=='?)", pos);
      return;
    case '!':
      return next == '=' ? single(Tok::Ne, 2) : single(Tok::Bang, 1);
    case '&':
      if (next == '&')
        return single(Tok::AndAnd, 2);
      fail("unexpected '&' (did you mean '&&'?)", pos);
      return;
    case '|':
      if (next == '|')
        return single(Tok::OrOr, 2);
      fail("unexpected '|' (did you mean '||'?)", pos);
      return;
    default:
      break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail("unexpected control character " +
               llvm::Twine(static_cast<int>(static_cast<unsigned char>(c))),
           pos);
    else if (static_cast<unsigned char>(c) >= 0x80)
      fail("unexpected non-ASCII character (write such names in backquotes)", pos);
    else
      fail("unexpected character '" + llvm::Twine(c) + "'", pos);
  }

  void lexNumber() {
    size_t start = pos, end = pos;
    auto digits = [&]() {
      size_t n = 0;
      while (end < text.size() && llvm::isDigit(text[end]))
        ++end, ++n;
      return n;
    };
    digits();
    if (end < text.size() && text[end] == '.') {
      ++end;
      if (!digits()) {
        fail("expected a digit after '.'", end);
        return;
      }
    }
    if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
      ++end;
      if (end < text.size() && (text[end] == '+' || text[end] == '-'))
        ++end;
      if (!digits()) {
        fail("expected the digits of an exponent", end);
        return;
      }
    }
    if (end < text.size() && (isNameChar(text[end]) || text[end] == '`')) {
      fail("unexpected '" + llvm::Twine(text[end]) + "' after a number", end);
      return;
    }
    double v = 0.0;
    auto r = std::from_chars(text.data() + start, text.data() + end, v);
    if (r.ec != std::errc() || r.ptr != text.data() + end || !std::isfinite(v)) {
      fail("number '" + text.slice(start, end) + "' is out of range", start);
      return;
    }
    tok.kind = Tok::Number;
    tok.text = text.slice(start, end);
    tok.number = v;
    pos = end;
  }

  static bool isNameChar(char c) { return detail::isNameChar(c); }

  //===--------------------------------------------------------------------===//
  // Parser
  //===--------------------------------------------------------------------===//

  Parsed make(Expr::Op op, std::vector<Parsed> args, size_t offset) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::Op;
    e->op = op;
    int height = 0;
    for (Parsed &a : args) {
      height = std::max(height, a.height);
      e->args.push_back(std::move(a.e));
    }
    if (height + 1 > detail::kMaxNesting)
      return fail("expression nested deeper than " + llvm::Twine(detail::kMaxNesting) + " levels",
                  offset);
    return {std::move(e), height + 1};
  }

  /// expr := or ( '?' expr ':' expr )?
  Parsed parseTernary() {
    NestGuard guard(*this, tok.offset);
    if (!guard.ok)
      return {};
    Parsed cond = parseBinary(kPrecOr);
    if (!cond || tok.kind != Tok::Question)
      return cond;
    size_t qOffset = tok.offset;
    lex();
    Parsed a = parseTernary();
    if (!a)
      return {};
    if (tok.kind != Tok::Colon)
      return fail("expected ':' (for the '?' at offset " + llvm::Twine(qOffset) + "), got " +
                      describe(tok),
                  tok.offset);
    lex();
    Parsed b = parseTernary();
    if (!b)
      return {};
    return make(Expr::Op::Select, {cond, a, b}, qOffset);
  }

  /// or, and, cmp, sum and term by precedence climbing.
  Parsed parseBinary(int minPrec) {
    Parsed lhs = parseOperand(minPrec);
    while (lhs) {
      int prec = binaryPrec(tok.kind);
      if (prec == 0 || prec < minPrec)
        break;
      Token opTok = tok;
      lex();
      Parsed rhs = parseBinary(prec + 1);
      if (!rhs)
        return {};
      lhs = make(binaryOp(opTok.kind), {lhs, rhs}, opTok.offset);
      if (lhs && prec == kPrecCmp && binaryPrec(tok.kind) == kPrecCmp)
        return fail("comparisons do not chain (use parentheses or 'and')", tok.offset);
    }
    return lhs;
  }

  Parsed parseOperand(int minPrec) {
    if (tok.kind == Tok::KwNot || tok.kind == Tok::Bang) {
      if (minPrec > kPrecNot)
        return fail(describe(tok) + " needs parentheses here", tok.offset);
      return parseNot();
    }
    return parseUnary();
  }

  /// not := ('not' | '!') not | cmp
  Parsed parseNot() {
    size_t offset = tok.offset;
    NestGuard guard(*this, offset);
    if (!guard.ok)
      return {};
    lex();
    Parsed operand =
        (tok.kind == Tok::KwNot || tok.kind == Tok::Bang) ? parseNot() : parseBinary(kPrecCmp);
    if (!operand)
      return {};
    return make(Expr::Op::Not, {operand}, offset);
  }

  /// unary := '-' unary | power
  Parsed parseUnary() {
    if (tok.kind != Tok::Minus)
      return parsePower();
    size_t offset = tok.offset;
    NestGuard guard(*this, offset);
    if (!guard.ok)
      return {};
    lex();
    Parsed operand = parseUnary();
    if (!operand)
      return {};
    return make(Expr::Op::Neg, {operand}, offset);
  }

  /// power := atom ( '**' unary )?
  Parsed parsePower() {
    Parsed base = parseAtom();
    if (!base || tok.kind != Tok::StarStar)
      return base;
    size_t offset = tok.offset;
    NestGuard guard(*this, offset);
    if (!guard.ok)
      return {};
    lex();
    Parsed exponent = parseUnary();
    if (!exponent)
      return {};
    return make(Expr::Op::Pow, {base, exponent}, offset);
  }

  Parsed column(const Token &t) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::Column;
    e->column = t.text.str();
    if (refs)
      refs->push_back({e->column, t.offset});
    return {std::move(e), 1};
  }

  /// atom := number | name | name '(' args ')' | '(' expr ')'
  Parsed parseAtom() {
    Token t = tok;
    switch (t.kind) {
    case Tok::Number: {
      lex();
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::Const;
      e->value = t.number;
      return {std::move(e), 1};
    }
    case Tok::Quoted:
      lex();
      return column(t);
    case Tok::Name:
      lex();
      if (tok.kind == Tok::LParen)
        return parseCall(t);
      return column(t);
    case Tok::LParen: {
      lex();
      Parsed inner = parseTernary();
      if (!inner)
        return {};
      if (tok.kind != Tok::RParen)
        return fail("expected ')' (to close the '(' at offset " + llvm::Twine(t.offset) +
                        "), got " + describe(tok),
                    tok.offset);
      lex();
      return inner;
    }
    case Tok::Error:
      return {};
    default:
      return fail("expected a number, a column name, a function call or "
                  "'(', got " +
                      describe(t),
                  t.offset);
    }
  }

  Parsed parseCall(const Token &name) {
    const FunctionInfo *fn = nullptr;
    for (const FunctionInfo &f : kFunctions)
      if (f.name == name.text)
        fn = &f;
    if (!fn)
      return fail("unknown function '" + name.text +
                      "' (expected one of min, max, abs, sqrt, exp, log, "
                      "log1p, pow, select)",
                  name.offset);
    size_t open = tok.offset;
    lex(); // '('
    std::vector<Parsed> args;
    if (tok.kind != Tok::RParen) {
      while (true) {
        Parsed a = parseTernary();
        if (!a)
          return {};
        args.push_back(std::move(a));
        if (tok.kind == Tok::Comma) {
          lex();
          continue;
        }
        if (tok.kind == Tok::RParen)
          break;
        return fail("expected ',' or ')' in the arguments of '" + name.text +
                        "' (opened at offset " + llvm::Twine(open) + "), got " + describe(tok),
                    tok.offset);
      }
    }
    lex(); // ')'
    if (args.size() != fn->arity)
      return fail("'" + name.text + "' takes " + llvm::Twine(fn->arity) +
                      (fn->arity == 1 ? " argument" : " arguments") + ", got " +
                      llvm::Twine(args.size()),
                  name.offset);
    return make(fn->op, std::move(args), name.offset);
  }
};

//===----------------------------------------------------------------------===//
// Printer
//===----------------------------------------------------------------------===//

int printPrec(const Expr &e) {
  if (e.kind != Expr::Kind::Op)
    return kPrecAtom;
  switch (e.op) {
  case Expr::Op::Or:
    return kPrecOr;
  case Expr::Op::And:
    return kPrecAnd;
  case Expr::Op::Not:
    return kPrecNot;
  case Expr::Op::Lt:
  case Expr::Op::Le:
  case Expr::Op::Gt:
  case Expr::Op::Ge:
  case Expr::Op::Eq:
  case Expr::Op::Ne:
    return kPrecCmp;
  case Expr::Op::Add:
  case Expr::Op::Sub:
    return kPrecSum;
  case Expr::Op::Mul:
  case Expr::Op::Div:
    return kPrecTerm;
  case Expr::Op::Neg:
    return kPrecNeg;
  case Expr::Op::Pow:
    return kPrecPow;
  default:
    return kPrecAtom; // function calls
  }
}

void print(const Expr &e, int minPrec, std::string &out) {
  int prec = printPrec(e);
  bool parens = prec < minPrec;
  if (parens)
    out += '(';
  switch (e.kind) {
  case Expr::Kind::Const:
    out += detail::formatNumber(e.value);
    break;
  case Expr::Kind::Column:
    if (detail::isPlainExprName(e.column)) {
      out += e.column;
    } else {
      out += '`';
      out += e.column;
      out += '`';
    }
    break;
  case Expr::Kind::Op:
    switch (e.op) {
    case Expr::Op::Neg:
      out += '-';
      print(*e.args[0], kPrecNeg, out);
      break;
    case Expr::Op::Not:
      out += "not ";
      print(*e.args[0], kPrecNot, out);
      break;
    case Expr::Op::Pow:
      print(*e.args[0], kPrecAtom, out);
      out += " ** ";
      print(*e.args[1], kPrecNeg, out);
      break;
    default:
      if (prec == kPrecAtom) {
        out += exprOpName(e.op);
        out += '(';
        for (size_t i = 0; i < e.args.size(); ++i) {
          if (i)
            out += ", ";
          print(*e.args[i], 0, out);
        }
        out += ')';
      } else {
        // Binary: left-associative, comparisons do not chain.
        print(*e.args[0], prec == kPrecCmp ? prec + 1 : prec, out);
        out += ' ';
        out += exprOpName(e.op);
        out += ' ';
        print(*e.args[1], prec + 1, out);
      }
      break;
    }
    break;
  }
  if (parens)
    out += ')';
}

} // namespace

namespace detail {

Expected<ExprPtr> parseExprWithRefs(StringRef text, std::vector<ExprRef> *refs) {
  return ExprParser(text, refs).run();
}

std::string printExpr(const Expr &e) {
  std::string out;
  print(e, 0, out);
  return out;
}

} // namespace detail

llvm::Expected<ExprPtr> parseExpr(llvm::StringRef text) {
  return detail::parseExprWithRefs(text, nullptr);
}

namespace detail {

/// Copies `e` with every Column node's `arg` set from `argOf`.
ExprPtr resolveExpr(const ExprPtr &e, const llvm::StringMap<int> &argOf) {
  switch (e->kind) {
  case Expr::Kind::Const:
    return e;
  case Expr::Kind::Column: {
    auto copy = std::make_shared<Expr>(*e);
    copy->arg = argOf.lookup(e->column);
    return copy;
  }
  case Expr::Kind::Op: {
    auto copy = std::make_shared<Expr>(*e);
    for (ExprPtr &a : copy->args)
      a = resolveExpr(a, argOf);
    return copy;
  }
  }
  return e;
}

} // namespace detail
} // namespace jit
} // namespace specjit
