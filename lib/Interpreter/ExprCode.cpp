//===- ExprCode.cpp - Vector bytecode for expressions ---------------------===//
//
// Semantics (docs/pipeline-semantics.md, "Expressions"): all values are f64;
// comparisons are ordered (NaN -> 0.0) and yield 1.0/0.0; truth is `x != 0.0`
// (unordered, so NaN is true); min/max are `a < b ? a : b` / `a > b ? a : b`.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/ExprCode.h"

#include <cmath>
#include <cstring>
#include <string>

namespace specjit {
namespace interp {

using jit::Expr;
using Op = jit::Expr::Op;

namespace {

/// Expressions nested deeper than this are rejected (the parser has its own,
/// lower limit; this only protects the recursion below).
constexpr int kMaxDepth = 10000;

int arity(Op op) {
  switch (op) {
  case Op::Neg:
  case Op::Not:
  case Op::Abs:
  case Op::Sqrt:
  case Op::Exp:
  case Op::Log:
  case Op::Log1p:
    return 1;
  case Op::Select:
    return 3;
  default:
    return 2;
  }
}

llvm::Error exprError(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

struct Compiler {
  int numArgs;
  ExprCode code;
  std::vector<int> freeTemps;

  int allocTemp() {
    if (!freeTemps.empty()) {
      int t = freeTemps.back();
      freeTemps.pop_back();
      return t;
    }
    return code.numTemps++;
  }
  void release(const ExprOperand &o) {
    if (o.kind == ExprOperand::Kind::Temp)
      freeTemps.push_back(o.index);
  }

  /// Emits code for `e`. The root writes the result column directly.
  llvm::Expected<ExprOperand> visit(const Expr &e, bool root, int depth) {
    if (depth > kMaxDepth)
      return exprError("expression nested too deeply");
    ExprOperand res;
    switch (e.kind) {
    case Expr::Kind::Const:
      res.kind = ExprOperand::Kind::Const;
      res.value = e.value;
      return res;
    case Expr::Kind::Column:
      if (e.arg < 0 || e.arg >= numArgs)
        return exprError("expression column '" + e.column + "' is not resolved to an argument");
      res.kind = ExprOperand::Kind::Arg;
      res.index = e.arg;
      return res;
    case Expr::Kind::Op:
      break;
    }
    int n = arity(e.op);
    if (static_cast<int>(e.args.size()) != n)
      return exprError("operator '" + jit::exprOpName(e.op).str() + "' expects " +
                       std::to_string(n) + " operand(s), got " + std::to_string(e.args.size()));
    ExprOperand ops[3];
    for (int i = 0; i < n; ++i) {
      if (!e.args[i])
        return exprError("null expression operand");
      auto o = visit(*e.args[i], /*root=*/false, depth + 1);
      if (!o)
        return o.takeError();
      ops[i] = *o;
    }
    ExprInstr in;
    in.code = ExprInstr::Code::Op;
    in.op = e.op;
    in.a = ops[0];
    in.b = ops[1];
    in.c = ops[2];
    in.dst = root ? -1 : allocTemp();
    for (int i = 0; i < n; ++i)
      release(ops[i]);
    code.instrs.push_back(in);
    res.kind = ExprOperand::Kind::Temp;
    res.index = in.dst;
    return res;
  }
};

/// A resolved operand: a column (`p`) or a constant (`p == nullptr`).
struct ROp {
  const double *p;
  double k;
};

template <class F> void unary(double *__restrict d, ROp a, int64_t n, F f) {
  if (a.p) {
    const double *__restrict x = a.p;
    for (int64_t r = 0; r < n; ++r)
      d[r] = f(x[r]);
  } else {
    double v = f(a.k);
    for (int64_t r = 0; r < n; ++r)
      d[r] = v;
  }
}

template <class F> void binary(double *__restrict d, ROp a, ROp b, int64_t n, F f) {
  if (a.p && b.p) {
    const double *__restrict x = a.p;
    const double *__restrict y = b.p;
    for (int64_t r = 0; r < n; ++r)
      d[r] = f(x[r], y[r]);
  } else if (a.p) {
    const double *__restrict x = a.p;
    double y = b.k;
    for (int64_t r = 0; r < n; ++r)
      d[r] = f(x[r], y);
  } else if (b.p) {
    double x = a.k;
    const double *__restrict y = b.p;
    for (int64_t r = 0; r < n; ++r)
      d[r] = f(x, y[r]);
  } else {
    double v = f(a.k, b.k);
    for (int64_t r = 0; r < n; ++r)
      d[r] = v;
  }
}

void select(double *__restrict d, ROp c, ROp a, ROp b, int64_t n) {
  if (c.p && a.p && b.p) {
    const double *__restrict x = c.p;
    const double *__restrict y = a.p;
    const double *__restrict z = b.p;
    for (int64_t r = 0; r < n; ++r)
      d[r] = x[r] != 0.0 ? y[r] : z[r];
    return;
  }
  if (!c.p) {
    // A constant condition picks one side for every row.
    ROp s = c.k != 0.0 ? a : b;
    unary(d, s, n, [](double x) { return x; });
    return;
  }
  const double *__restrict x = c.p;
  for (int64_t r = 0; r < n; ++r)
    d[r] = x[r] != 0.0 ? (a.p ? a.p[r] : a.k) : (b.p ? b.p[r] : b.k);
}

inline double b2d(bool b) { return b ? 1.0 : 0.0; }

} // namespace

llvm::Expected<ExprCode> ExprCode::compile(const Expr &e, int numArgs) {
  Compiler c;
  c.numArgs = numArgs;
  auto root = c.visit(e, /*root=*/true, 0);
  if (!root)
    return root.takeError();
  if (root->kind != ExprOperand::Kind::Temp) {
    // A bare column or constant: copy it into the result.
    ExprInstr in;
    in.code = ExprInstr::Code::Copy;
    in.dst = -1;
    in.a = *root;
    c.code.instrs.push_back(in);
  }
  return std::move(c.code);
}

void ExprCode::run(const double *const *args, double *const *temps, double *result,
                   int64_t n) const {
  auto resolve = [&](const ExprOperand &o) -> ROp {
    switch (o.kind) {
    case ExprOperand::Kind::Arg:
      return {args[o.index], 0.0};
    case ExprOperand::Kind::Temp:
      return {temps[o.index], 0.0};
    case ExprOperand::Kind::Const:
      break;
    }
    return {nullptr, o.value};
  };
  for (const ExprInstr &in : instrs) {
    double *d = in.dst < 0 ? result : temps[in.dst];
    ROp a = resolve(in.a);
    if (in.code == ExprInstr::Code::Copy) {
      if (a.p)
        std::memcpy(d, a.p, static_cast<size_t>(n) * sizeof(double));
      else
        unary(d, a, n, [](double x) { return x; });
      continue;
    }
    ROp b = resolve(in.b);
    switch (in.op) {
    case Op::Neg:
      unary(d, a, n, [](double x) { return -x; });
      break;
    case Op::Not:
      unary(d, a, n, [](double x) { return b2d(!(x != 0.0)); });
      break;
    case Op::Abs:
      unary(d, a, n, [](double x) { return std::fabs(x); });
      break;
    case Op::Sqrt:
      unary(d, a, n, [](double x) { return std::sqrt(x); });
      break;
    case Op::Exp:
      unary(d, a, n, [](double x) { return std::exp(x); });
      break;
    case Op::Log:
      unary(d, a, n, [](double x) { return std::log(x); });
      break;
    case Op::Log1p:
      unary(d, a, n, [](double x) { return std::log1p(x); });
      break;
    case Op::Add:
      binary(d, a, b, n, [](double x, double y) { return x + y; });
      break;
    case Op::Sub:
      binary(d, a, b, n, [](double x, double y) { return x - y; });
      break;
    case Op::Mul:
      binary(d, a, b, n, [](double x, double y) { return x * y; });
      break;
    case Op::Div:
      binary(d, a, b, n, [](double x, double y) { return x / y; });
      break;
    case Op::Lt:
      binary(d, a, b, n, [](double x, double y) { return b2d(x < y); });
      break;
    case Op::Le:
      binary(d, a, b, n, [](double x, double y) { return b2d(x <= y); });
      break;
    case Op::Gt:
      binary(d, a, b, n, [](double x, double y) { return b2d(x > y); });
      break;
    case Op::Ge:
      binary(d, a, b, n, [](double x, double y) { return b2d(x >= y); });
      break;
    case Op::Eq:
      binary(d, a, b, n, [](double x, double y) { return b2d(x == y); });
      break;
    case Op::Ne:
      // Ordered not-equal: NaN on either side yields 0.0.
      binary(d, a, b, n, [](double x, double y) { return b2d((x < y) | (x > y)); });
      break;
    case Op::And:
      binary(d, a, b, n, [](double x, double y) { return b2d((x != 0.0) & (y != 0.0)); });
      break;
    case Op::Or:
      binary(d, a, b, n, [](double x, double y) { return b2d((x != 0.0) | (y != 0.0)); });
      break;
    case Op::Min:
      binary(d, a, b, n, [](double x, double y) { return x < y ? x : y; });
      break;
    case Op::Max:
      binary(d, a, b, n, [](double x, double y) { return x > y ? x : y; });
      break;
    case Op::Pow:
      binary(d, a, b, n, [](double x, double y) { return std::pow(x, y); });
      break;
    case Op::Select:
      select(d, a, b, resolve(in.c), n);
      break;
    }
  }
}

} // namespace interp
} // namespace specjit
