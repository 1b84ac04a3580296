//===- RulesToSpec.cpp - A rules descriptor in the spec dialect -----------===//

#include "Families/Rules/RulesToSpec.h"
#include "Families/Rules/RulesSpec.h"

#include "Conversion/DescriptorToSpec/ImportSupport.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace specjit {
namespace jit {

/// A rules descriptor: one spec.rule per rule inside a spec.rules_kernel.
llvm::Expected<OwningOpRef<ModuleOp>> importRules(MLIRContext &ctx, const RulesSpec &r) {
  OpBuilder b(&ctx);
  Location loc = descriptorLoc(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<StringRef> meters(r.meters.begin(), r.meters.end());
  Type stateType = r.type == DType::F32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  auto kernel = b.create<spec::RulesKernelOp>(
      loc, b.getStringAttr(r.name.empty() ? "rules" : r.name), b.getStrArrayAttr(meters),
      TypeAttr::get(stateType), b.getI64IntegerAttr(r.steps));
  Type f64 = b.getF64Type();
  SmallVector<Type> meterTypes(meters.size(), f64);
  SmallVector<Location> meterLocs(meters.size(), loc);
  Block *body = b.createBlock(&kernel.getBody(), {}, meterTypes, meterLocs);
  SmallVector<Value> current(body->getArguments());

  for (auto [k, rule] : llvm::enumerate(r.rules)) {
    Location l = NameLoc::get(b.getStringAttr("rules[" + std::to_string(k) + "]"));
    std::string source = rule.condText.empty() ? "always" : "if " + rule.condText;
    static const char *verbs[] = {"set", "add", "sub", "mul"};
    for (const RuleAction &a : rule.actions)
      source += llvm::formatv("; {0} {1} = {2}", verbs[static_cast<int>(a.kind)], r.meters[a.meter],
                              a.text)
                    .str();
    auto op = b.create<spec::RuleOp>(l, meterTypes, current, b.getStringAttr(source));
    OpBuilder::InsertionGuard g(b);
    Block *rb = b.createBlock(&op.getBody(), {}, meterTypes, meterLocs);
    ValueRange m = rb->getArguments();
    // All actions read the meters before the rule.
    SmallVector<Value> next(m.begin(), m.end());
    for (const RuleAction &a : rule.actions) {
      Value v = buildExpr(b, l, *a.expr, m);
      Value old = m[a.meter];
      switch (a.kind) {
      case RuleAction::Kind::Set:
        break;
      case RuleAction::Kind::Add:
        v = b.create<arith::AddFOp>(l, old, v);
        break;
      case RuleAction::Kind::Sub:
        v = b.create<arith::SubFOp>(l, old, v);
        break;
      case RuleAction::Kind::Mul:
        v = b.create<arith::MulFOp>(l, old, v);
        break;
      }
      if (const auto &c = r.clamp[a.meter])
        v = b.create<spec::ClipOp>(l, f64, v, b.getF64FloatAttr(c->first),
                                   b.getF64FloatAttr(c->second));
      next[a.meter] = v;
    }
    if (rule.cond) {
      Value fire = exprTruth(b, l, buildExpr(b, l, *rule.cond, m));
      for (const RuleAction &a : rule.actions)
        next[a.meter] = b.create<arith::SelectOp>(l, fire, next[a.meter], m[a.meter]);
    }
    b.create<spec::StateYieldOp>(l, next);
    current.assign(op.getResults().begin(), op.getResults().end());
  }
  b.create<spec::StateYieldOp>(loc, current);
  return verifiedImport(std::move(module));
}

} // namespace jit
} // namespace specjit
