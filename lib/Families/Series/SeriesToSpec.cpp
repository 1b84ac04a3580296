//===- SeriesToSpec.cpp - A series descriptor in the spec dialect -----------===//

#include "Families/Series/SeriesToSpec.h"
#include "Families/Series/SeriesSpec.h"

#include "Conversion/DescriptorToSpec/ImportSupport.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace specjit {
namespace jit {

/// A series descriptor: one primitive (window, ema stage, kama, crossover)
/// per stateful piece, arith for the rest, in the order of
/// docs/series-semantics.md and of the interpreter.
llvm::Expected<OwningOpRef<ModuleOp>> importSeries(MLIRContext &ctx, const SeriesSpec &sp) {
  OpBuilder b(&ctx);
  Location loc = descriptorLoc(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<StringRef> inNames, outNames(sp.outputNames.begin(), sp.outputNames.end());
  SmallVector<Attribute> inTypes;
  for (const InputColumn &in : sp.inputs) {
    inNames.push_back(in.name);
    inTypes.push_back(
        TypeAttr::get(in.type == DType::F32 ? Type(b.getF32Type()) : Type(b.getF64Type())));
  }
  Type outType = sp.outputType == DType::F32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  auto kernel = b.create<spec::SeriesKernelOp>(
      loc, b.getStringAttr(sp.name.empty() ? "series" : sp.name), b.getStrArrayAttr(inNames),
      b.getArrayAttr(inTypes), TypeAttr::get(outType), b.getStrArrayAttr(outNames));
  b.createBlock(&kernel.getBody());
  Type f64 = b.getF64Type();
  auto cst = [&](Location l, double v) -> Value {
    return b.create<arith::ConstantOp>(l, b.getF64FloatAttr(v));
  };
  auto nan = [&](Location l) { return cst(l, std::numeric_limits<double>::quiet_NaN()); };

  // Only indicators the output needs (directly or through others).
  size_t nIn = sp.inputs.size();
  std::vector<bool> needed(sp.indicators.size(), false);
  for (int o : sp.outputs)
    needed[o] = true;
  for (size_t k = sp.indicators.size(); k-- > 0;)
    if (needed[k])
      for (int src : sp.indicators[k].sources)
        if (src >= static_cast<int>(nIn))
          needed[src - nIn] = true;

  std::vector<Value> values(nIn + sp.indicators.size());
  for (size_t i = 0; i < nIn; ++i)
    values[i] = b.create<spec::SeriesInputOp>(
        NameLoc::get(b.getStringAttr("inputs[" + std::to_string(i) + "]")), f64,
        b.getI64IntegerAttr(static_cast<int64_t>(i)));
  for (size_t k = 0; k < sp.indicators.size(); ++k) {
    if (!needed[k])
      continue;
    const Indicator &ind = sp.indicators[k];
    Location l = NameLoc::get(b.getStringAttr("indicators[" + std::to_string(k) + "]"));
    auto src = [&](size_t i) { return values[ind.sources[i]]; };
    IntegerAttr period = b.getI64IntegerAttr(ind.period);
    UnitAttr seedSma = ind.seed == EmaSeed::Sma ? b.getUnitAttr() : UnitAttr();
    auto ema = [&](Value x) -> Value { return b.create<spec::EmaOp>(l, f64, x, period, seedSma); };
    auto mul = [&](Value x, Value y) -> Value { return b.create<arith::MulFOp>(l, x, y); };
    auto add = [&](Value x, Value y) -> Value { return b.create<arith::AddFOp>(l, x, y); };
    auto sub = [&](Value x, Value y) -> Value { return b.create<arith::SubFOp>(l, x, y); };
    Value y;
    switch (ind.op) {
    case IndicatorOp::Sma:
      y = b.create<spec::SmaOp>(l, f64, src(0), period);
      break;
    case IndicatorOp::Wma:
      y = b.create<spec::WmaOp>(l, f64, src(0), period);
      break;
    case IndicatorOp::Lsma:
      y = b.create<spec::LsmaOp>(l, f64, src(0), period);
      break;
    case IndicatorOp::Ema:
      y = ema(src(0));
      break;
    case IndicatorOp::Dema: {
      Value e1 = ema(src(0)), e2 = ema(e1);
      y = sub(mul(cst(l, 2.0), e1), e2);
      break;
    }
    case IndicatorOp::Tema: {
      Value e1 = ema(src(0)), e2 = ema(e1), e3 = ema(e2);
      y = add(sub(mul(cst(l, 3.0), e1), mul(cst(l, 3.0), e2)), e3);
      break;
    }
    case IndicatorOp::Hma: {
      int64_t n = ind.period, half = std::max<int64_t>(1, n / 2), root = 1;
      while ((root + 1) * (root + 1) <= n)
        ++root;
      Value w1 = b.create<spec::WmaOp>(l, f64, src(0), b.getI64IntegerAttr(half));
      Value w2 = b.create<spec::WmaOp>(l, f64, src(0), period);
      y = b.create<spec::WmaOp>(l, f64, sub(mul(cst(l, 2.0), w1), w2), b.getI64IntegerAttr(root));
      break;
    }
    case IndicatorOp::Kama:
      y = b.create<spec::KamaOp>(l, f64, src(0), period, b.getI64IntegerAttr(ind.fast),
                                 b.getI64IntegerAttr(ind.slow));
      break;
    case IndicatorOp::WeightedSum: {
      y = mul(cst(l, ind.weights[0]), src(0));
      for (size_t i = 1; i < ind.sources.size(); ++i)
        y = add(y, mul(cst(l, ind.weights[i]), src(i)));
      y = add(cst(l, ind.bias), y);
      break;
    }
    case IndicatorOp::Crossover:
      y = b.create<spec::CrossoverOp>(l, f64, src(0), src(1));
      break;
    case IndicatorOp::Trend: {
      Value mix = mul(cst(l, ind.weights[0]), src(1));
      for (size_t i = 2; i < ind.sources.size(); ++i)
        mix = add(mix, mul(cst(l, ind.weights[i - 1]), src(i)));
      Value p = src(0);
      Value anyNaN = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, p, mix);
      Value above = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, p,
                                            mul(mix, cst(l, 1.0 + ind.upper)));
      Value below = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, p,
                                            mul(mix, cst(l, 1.0 - ind.lower)));
      Value v = b.create<arith::SelectOp>(l, below, cst(l, -1.0), cst(l, 0.0));
      v = b.create<arith::SelectOp>(l, above, cst(l, 1.0), v);
      y = b.create<arith::SelectOp>(l, anyNaN, nan(l), v);
      break;
    }
    }
    values[nIn + k] = y;
  }
  SmallVector<Value> outs;
  for (int o : sp.outputs)
    outs.push_back(values[nIn + o]);
  b.create<spec::SeriesOutputOp>(loc, outs);
  return verifiedImport(std::move(module));
}

} // namespace jit
} // namespace specjit
