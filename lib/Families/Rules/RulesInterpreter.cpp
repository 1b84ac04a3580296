//===- RulesInterpreter.cpp - The generic interpreter of `rules` ----------===//
//
// docs/rules-semantics.md. The state matrix is worked a block of rows (agents)
// at a time:
//
//  1. gather: the block's meters become f64 columns (f32 widens exactly);
//  2. for each step, for each rule (configuration looked up at run time):
//     - the condition, if any, is evaluated vector-at-a-time with the
//       expression bytecode into a truth column;
//     - every action's value is evaluated into its own column, so that all
//       actions read the meters as they were before the rule (one
//       simultaneous update);
//     - each action, in the spec's canonical order, computes the new value of
//       its target (set/add/sub/mul), clamps it when the meter has bounds,
//       and selects it where the condition is true (x != 0.0, so NaN is
//       true), leaving the old value elsewhere;
//  3. scatter: the columns are written back, rounded to the matrix type.
//
// The per-row f64 operations are exactly those of the semantics page, in its
// order, so the result is the compiled kernel's bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Families/Rules/RulesSpec.h"
#include "Interpreter/ExprCode.h"
#include "Interpreter/Interpreter.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace specjit {
namespace interp {

namespace {

using jit::DType;
using ActKind = jit::RuleAction::Kind;

/// Per-call scratch budget; blocks shrink below kRulesBlockRows when the
/// matrix has so many meters that full blocks would exceed it.
constexpr int64_t kRulesScratchBudgetBytes = 4 << 20;

llvm::Error rulesError(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "interpreter: " + msg);
}

/// Applies one action to a target column over `n` rows: new value, clamp,
/// then select under the condition. `v` is the value column (null when the
/// value is the constant `k`), `c` the truth column (null: always).
using ApplyFn = void (*)(double *m, const double *v, double k, const double *c, double lo,
                         double hi, int64_t n);

template <ActKind K, bool Cond, bool Clamp, bool Const>
void applyAction(double *__restrict m, const double *__restrict v, double k,
                 const double *__restrict c, double lo, double hi, int64_t n) {
  for (int64_t r = 0; r < n; ++r) {
    double old = m[r];
    double val = Const ? k : v[r];
    double nv;
    if constexpr (K == ActKind::Set)
      nv = val;
    else if constexpr (K == ActKind::Add)
      nv = old + val;
    else if constexpr (K == ActKind::Sub)
      nv = old - val;
    else
      nv = old * val;
    if constexpr (Clamp)
      nv = nv < lo ? lo : (nv > hi ? hi : nv);
    if constexpr (Cond)
      m[r] = c[r] != 0.0 ? nv : old;
    else
      m[r] = nv;
  }
}

template <ActKind K> ApplyFn pickApply(bool cond, bool clamp, bool isConst) {
  int sel = (cond ? 4 : 0) | (clamp ? 2 : 0) | (isConst ? 1 : 0);
  switch (sel) {
  case 0:
    return applyAction<K, false, false, false>;
  case 1:
    return applyAction<K, false, false, true>;
  case 2:
    return applyAction<K, false, true, false>;
  case 3:
    return applyAction<K, false, true, true>;
  case 4:
    return applyAction<K, true, false, false>;
  case 5:
    return applyAction<K, true, false, true>;
  case 6:
    return applyAction<K, true, true, false>;
  default:
    return applyAction<K, true, true, true>;
  }
}

ApplyFn pickApply(ActKind kind, bool cond, bool clamp, bool isConst) {
  switch (kind) {
  case ActKind::Set:
    return pickApply<ActKind::Set>(cond, clamp, isConst);
  case ActKind::Add:
    return pickApply<ActKind::Add>(cond, clamp, isConst);
  case ActKind::Sub:
    return pickApply<ActKind::Sub>(cond, clamp, isConst);
  case ActKind::Mul:
    break;
  }
  return pickApply<ActKind::Mul>(cond, clamp, isConst);
}

struct ActionPlan {
  int meter = 0;
  /// The value is a constant (no evaluation, no column).
  bool isConst = false;
  double k = 0.0;
  ExprCode code;
  double lo = 0.0, hi = 0.0;
  ApplyFn apply = nullptr;
};

struct RulePlan {
  bool hasCond = false;
  ExprCode cond;
  std::vector<ActionPlan> actions;
};

/// Moves K adjacent meters between the row-major matrix (rows of `m`
/// elements of T, starting at column `o`) and f64 columns of stride B, with
/// the column pointers in registers: widening (Gather) or rounding (scatter).
template <bool Gather, class T, int K>
void moveColumns(T *o, int64_t m, double *cols, int64_t B, int64_t n) {
  double *c[K];
  for (int j = 0; j < K; ++j)
    c[j] = cols + j * B;
  for (int64_t r = 0; r < n; ++r) {
    T *row = o + r * m;
    for (int j = 0; j < K; ++j) {
      if constexpr (Gather)
        c[j][r] = static_cast<double>(row[j]);
      else
        row[j] = static_cast<T>(c[j][r]);
    }
  }
}

/// All `m` meters of `n` rows, 8 at a time.
template <bool Gather, class T>
void moveBlock(T *o, int64_t m, double *cols, int64_t B, int64_t n) {
  int64_t j = 0;
  for (; j + 8 <= m; j += 8)
    moveColumns<Gather, T, 8>(o + j, m, cols + j * B, B, n);
  T *oj = o + j;
  double *cj = cols + j * B;
  switch (m - j) {
  case 7:
    return moveColumns<Gather, T, 7>(oj, m, cj, B, n);
  case 6:
    return moveColumns<Gather, T, 6>(oj, m, cj, B, n);
  case 5:
    return moveColumns<Gather, T, 5>(oj, m, cj, B, n);
  case 4:
    return moveColumns<Gather, T, 4>(oj, m, cj, B, n);
  case 3:
    return moveColumns<Gather, T, 3>(oj, m, cj, B, n);
  case 2:
    return moveColumns<Gather, T, 2>(oj, m, cj, B, n);
  case 1:
    return moveColumns<Gather, T, 1>(oj, m, cj, B, n);
  default:
    return;
  }
}

class RulesInterpreter final : public Interpreter {
public:
  static llvm::Expected<std::unique_ptr<RulesInterpreter>> build(const jit::RulesSpec &spec);

  int64_t run(const void *const *args, void *out, int64_t rows) const override;
  std::string describeFailure(const void *const *args, int64_t row) const override {
    (void)args;
    return "row " + std::to_string(row) + ": no data check fails";
  }

private:
  template <class T> int64_t runTyped(T *out, int64_t rows) const;

  int64_t numMeters_ = 0;
  DType type_ = DType::F64;
  int64_t steps_ = 1;
  std::vector<RulePlan> rules_;
  /// Most value columns (non-constant actions) of one rule.
  int maxValues_ = 0;
  /// Most temporary registers of one expression.
  int maxTemps_ = 0;
};

llvm::Expected<std::unique_ptr<RulesInterpreter>>
RulesInterpreter::build(const jit::RulesSpec &spec) {
  auto ip = std::make_unique<RulesInterpreter>();
  RulesInterpreter &I = *ip;
  if (spec.meters.empty())
    return rulesError("rules: no meters");
  if (spec.type != DType::F32 && spec.type != DType::F64)
    return rulesError("rules: the state matrix type must be f32 or f64");
  if (spec.steps < 0)
    return rulesError("rules: negative steps");
  if (spec.clamp.size() > spec.meters.size())
    return rulesError("rules: more clamp entries than meters");
  I.numMeters_ = static_cast<int64_t>(spec.meters.size());
  I.type_ = spec.type;
  I.steps_ = spec.steps;
  int numArgs = static_cast<int>(spec.meters.size());

  for (size_t ri = 0; ri < spec.rules.size(); ++ri) {
    const jit::Rule &rule = spec.rules[ri];
    std::string path = "rules[" + std::to_string(ri) + "]";
    RulePlan rp;
    if (rule.cond) {
      if (rule.cond->kind == jit::Expr::Kind::Const) {
        // A constant condition decides at create time.
        if (!(rule.cond->value != 0.0))
          continue; // never fires
      } else {
        auto code = ExprCode::compile(*rule.cond, numArgs);
        if (!code)
          return rulesError(path + ".if: " + llvm::toString(code.takeError()));
        rp.hasCond = true;
        rp.cond = std::move(*code);
        I.maxTemps_ = std::max(I.maxTemps_, rp.cond.numTemps);
      }
    }
    if (rule.actions.empty())
      return rulesError(path + ": no actions");
    std::vector<bool> targeted(spec.meters.size(), false);
    int values = 0;
    for (const jit::RuleAction &a : rule.actions) {
      if (a.meter < 0 || a.meter >= numArgs)
        return rulesError(path + ": action target out of range");
      if (targeted[a.meter])
        return rulesError(path + ": meter '" + spec.meters[a.meter] +
                          "' is the target of more than one action");
      targeted[a.meter] = true;
      if (!a.expr)
        return rulesError(path + ": action without an expression");
      ActionPlan ap;
      ap.meter = a.meter;
      if (a.expr->kind == jit::Expr::Kind::Const) {
        ap.isConst = true;
        ap.k = a.expr->value;
      } else {
        auto code = ExprCode::compile(*a.expr, numArgs);
        if (!code)
          return rulesError(path + " (meter '" + spec.meters[a.meter] +
                            "'): " + llvm::toString(code.takeError()));
        ap.code = std::move(*code);
        I.maxTemps_ = std::max(I.maxTemps_, ap.code.numTemps);
        ++values;
      }
      bool clamp =
          static_cast<size_t>(a.meter) < spec.clamp.size() && spec.clamp[a.meter].has_value();
      if (clamp) {
        ap.lo = spec.clamp[a.meter]->first;
        ap.hi = spec.clamp[a.meter]->second;
      }
      ap.apply = pickApply(a.kind, rp.hasCond, clamp, ap.isConst);
      rp.actions.push_back(std::move(ap));
    }
    I.maxValues_ = std::max(I.maxValues_, values);
    I.rules_.push_back(std::move(rp));
  }
  return ip;
}

template <class T> int64_t RulesInterpreter::runTyped(T *out, int64_t rows) const {
  const int64_t m = numMeters_;
  // Columns: meters, the truth column, value columns, temporaries.
  int64_t numCols = m + 1 + maxValues_ + maxTemps_;
  int64_t B = std::max<int64_t>(
      1, std::min<int64_t>(kRulesBlockRows, kRulesScratchBudgetBytes / (numCols * 8)));
  B = std::min(B, rows);
  std::unique_ptr<double[]> buf(new (std::nothrow) double[static_cast<size_t>(numCols * B)]);
  std::unique_ptr<const double *[]> meterCols(new (std::nothrow)
                                                  const double *[static_cast<size_t>(m)]);
  std::unique_ptr<double *[]> temps(
      new (std::nothrow) double *[static_cast<size_t>(std::max(1, maxTemps_))]);
  if (!buf || !meterCols || !temps)
    return -1;
  double *meters = buf.get();
  double *truth = meters + m * B;
  double *values = truth + B;
  for (int64_t j = 0; j < m; ++j)
    meterCols[j] = meters + j * B;
  for (int t = 0; t < maxTemps_; ++t)
    temps[t] = values + (maxValues_ + t) * B;

  for (int64_t base = 0; base < rows; base += B) {
    int64_t n = std::min(B, rows - base);
    T *o = out + base * m;
    moveBlock<true>(o, m, meters, B, n);
    for (int64_t step = 0; step < steps_; ++step) {
      for (const RulePlan &rp : rules_) {
        if (rp.hasCond)
          rp.cond.run(meterCols.get(), temps.get(), truth, n);
        // Every value first: the actions read the meters before the rule.
        int vi = 0;
        for (const ActionPlan &ap : rp.actions)
          if (!ap.isConst)
            ap.code.run(meterCols.get(), temps.get(), values + (vi++) * B, n);
        vi = 0;
        for (const ActionPlan &ap : rp.actions) {
          const double *v = ap.isConst ? nullptr : values + (vi++) * B;
          ap.apply(meters + ap.meter * B, v, ap.k, rp.hasCond ? truth : nullptr, ap.lo, ap.hi, n);
        }
      }
    }
    moveBlock<false>(o, m, meters, B, n);
  }
  return 0;
}

int64_t RulesInterpreter::run(const void *const *args, void *out, int64_t rows) const {
  (void)args;
  if (rows <= 0)
    return 0;
  if (!out)
    return -1;
  if (type_ == DType::F32)
    return runTyped(static_cast<float *>(out), rows);
  return runTyped(static_cast<double *>(out), rows);
}

} // namespace

llvm::Expected<std::unique_ptr<Interpreter>> createRulesInterpreter(const jit::RulesSpec &spec) {
  auto ip = RulesInterpreter::build(spec);
  if (!ip)
    return ip.takeError();
  return std::unique_ptr<Interpreter>(std::move(*ip));
}

} // namespace interp
} // namespace specjit
