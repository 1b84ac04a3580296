//===- ImportSupport.cpp - What every family's import shares --------------===//

#include "Conversion/DescriptorToSpec/ImportSupport.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace specjit {
namespace jit {

Location descriptorLoc(MLIRContext &ctx) {
  return NameLoc::get(StringAttr::get(&ctx, "descriptor"));
}

llvm::Expected<OwningOpRef<ModuleOp>> verifiedImport(OwningOpRef<ModuleOp> module) {
  if (failed(verify(*module)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the imported spec module does not verify");
  return std::move(module);
}

Type specInputType(OpBuilder &b, DType t) {
  switch (t) {
  case DType::Bool:
    return b.getI1Type();
  case DType::I32:
    return b.getI32Type();
  case DType::I64:
    return b.getI64Type();
  case DType::F32:
    return b.getF32Type();
  case DType::F64:
    return b.getF64Type();
  case DType::String:
    return spec::StrType::get(b.getContext());
  }
  return {};
}

Value exprTruth(OpBuilder &b, Location loc, Value x) {
  Value zero = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(0.0));
  return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, x, zero);
}

Value buildExpr(OpBuilder &b, Location loc, const Expr &e, ValueRange args) {
  Type f64 = b.getF64Type();
  auto boolToF64 = [&](Value c) -> Value { return b.create<arith::UIToFPOp>(loc, f64, c); };
  switch (e.kind) {
  case Expr::Kind::Const:
    return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(e.value));
  case Expr::Kind::Column:
    return args[e.arg];
  case Expr::Kind::Op:
    break;
  }
  SmallVector<Value, 3> a;
  for (const ExprPtr &arg : e.args)
    a.push_back(buildExpr(b, loc, *arg, args));
  auto cmp = [&](arith::CmpFPredicate pred) {
    return boolToF64(b.create<arith::CmpFOp>(loc, pred, a[0], a[1]));
  };
  switch (e.op) {
  case Expr::Op::Neg:
    return b.create<arith::NegFOp>(loc, a[0]);
  case Expr::Op::Not:
    return boolToF64(
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, a[0],
                                b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(0.0))));
  case Expr::Op::Add:
    return b.create<arith::AddFOp>(loc, a[0], a[1]);
  case Expr::Op::Sub:
    return b.create<arith::SubFOp>(loc, a[0], a[1]);
  case Expr::Op::Mul:
    return b.create<arith::MulFOp>(loc, a[0], a[1]);
  case Expr::Op::Div:
    return b.create<arith::DivFOp>(loc, a[0], a[1]);
  case Expr::Op::Lt:
    return cmp(arith::CmpFPredicate::OLT);
  case Expr::Op::Le:
    return cmp(arith::CmpFPredicate::OLE);
  case Expr::Op::Gt:
    return cmp(arith::CmpFPredicate::OGT);
  case Expr::Op::Ge:
    return cmp(arith::CmpFPredicate::OGE);
  case Expr::Op::Eq:
    return cmp(arith::CmpFPredicate::OEQ);
  case Expr::Op::Ne:
    return cmp(arith::CmpFPredicate::ONE);
  case Expr::Op::And:
    return boolToF64(
        b.create<arith::AndIOp>(loc, exprTruth(b, loc, a[0]), exprTruth(b, loc, a[1])));
  case Expr::Op::Or:
    return boolToF64(b.create<arith::OrIOp>(loc, exprTruth(b, loc, a[0]), exprTruth(b, loc, a[1])));
  case Expr::Op::Min:
    return b.create<arith::SelectOp>(
        loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, a[0], a[1]), a[0], a[1]);
  case Expr::Op::Max:
    return b.create<arith::SelectOp>(
        loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, a[0], a[1]), a[0], a[1]);
  case Expr::Op::Abs:
    return b.create<math::AbsFOp>(loc, a[0]);
  case Expr::Op::Sqrt:
    return b.create<math::SqrtOp>(loc, a[0]);
  case Expr::Op::Exp:
    return b.create<math::ExpOp>(loc, a[0]);
  case Expr::Op::Log:
    return b.create<spec::LogOp>(loc, b.getF64Type(), a[0]);
  case Expr::Op::Log1p:
    return b.create<spec::Log1pOp>(loc, b.getF64Type(), a[0]);
  case Expr::Op::Pow:
    return b.create<math::PowFOp>(loc, a[0], a[1]);
  case Expr::Op::Select:
    return b.create<arith::SelectOp>(loc, exprTruth(b, loc, a[0]), a[1], a[2]);
  }
  return {};
}

} // namespace jit
} // namespace specjit
