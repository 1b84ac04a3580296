//===- PipelineToSpec.cpp - A feature pipeline in the spec dialect --------===//
//
// Walks the analyzed Plan of a pipeline and emits one spec op per step into a
// spec.kernel. Integer values stay i64 until an op needs f64, where a
// spec.to_float carrying the column's missing sentinel converts them.
//
//===----------------------------------------------------------------------===//

#include "Families/Pipeline/PipelineToSpec.h"
#include "Families/Pipeline/PipelineSpec.h"

#include "Conversion/DescriptorToSpec/ImportSupport.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace specjit {
namespace jit {

namespace {

/// Builds the kernel: the inputs, then one spec op per plan node (values[]
/// holds each plan value as read or produced, floats[] its f64 form).
class PlanImporter {
public:
  PlanImporter(MLIRContext &ctx, const PipelineSpec &p) : p(p), b(&ctx), loc(descriptorLoc(ctx)) {}

  llvm::Expected<OwningOpRef<ModuleOp>> run(const FeatureKernelSignature &sig, FeatureStage stage);

private:
  Type inputType(DType t) { return specInputType(b, t); }
  Location stepLoc(int step) {
    return NameLoc::get(b.getStringAttr("steps[" + std::to_string(step) + "]"));
  }
  /// The value as f64 (Int: spec.to_float with its sentinel; cached).
  Value asFloat(int id);
  ArrayAttr categoryAttrs(const Step &s, ValueKind kind);
  Value lookupString(const Step &s, int id, Location l);
  void importNode(const PlanNode &n);

  const PipelineSpec &p;
  OpBuilder b;
  Location loc;
  std::vector<Value> values;
  std::vector<Value> floats;
};

Value PlanImporter::asFloat(int id) {
  if (floats[id])
    return floats[id];
  const PlanValue &pv = p.plan.values[id];
  Value v = values[id];
  if (pv.kind == ValueKind::Int) {
    auto op =
        b.create<spec::ToFloatOp>(v.getLoc(), b.getF64Type(), v,
                                  pv.missing ? b.getI64IntegerAttr(*pv.missing) : IntegerAttr());
    v = op.getResult();
  }
  return floats[id] = v;
}

ArrayAttr PlanImporter::categoryAttrs(const Step &s, ValueKind kind) {
  SmallVector<Attribute> cats;
  if (kind == ValueKind::Int)
    for (int64_t c : s.intCategories)
      cats.push_back(b.getI64IntegerAttr(c));
  else if (kind == ValueKind::Float)
    for (double c : s.floatCategories)
      cats.push_back(b.getF64FloatAttr(c));
  else // strings were looked up into indices 0..n-1
    for (size_t i = 0; i < s.stringCategories.size(); ++i)
      cats.push_back(b.getI64IntegerAttr(static_cast<int64_t>(i)));
  return b.getArrayAttr(cats);
}

Value PlanImporter::lookupString(const Step &s, int id, Location l) {
  SmallVector<StringRef> keys(s.stringCategories.begin(), s.stringCategories.end());
  return b.create<spec::StrLookupOp>(l, b.getI64Type(), values[id], b.getStrArrayAttr(keys));
}

void PlanImporter::importNode(const PlanNode &n) {
  const Step &s = p.steps[n.step];
  Location l = stepLoc(n.step);
  auto set = [&](Value v, size_t i = 0) { values[n.results[i]] = v; };
  auto x = [&] { return asFloat(n.args[0]); };
  auto f64Attr = [&](double v) { return b.getF64FloatAttr(v); };
  switch (n.op) {
  case StepOp::Standardize:
    set(b.create<spec::StandardizeOp>(l, b.getF64Type(), x(), f64Attr(s.mean), f64Attr(s.std)));
    return;
  case StepOp::MinMax:
    set(b.create<spec::MinMaxOp>(l, b.getF64Type(), x(), f64Attr(s.min), f64Attr(s.max)));
    return;
  case StepOp::Log:
    set(b.create<spec::LogOp>(l, b.getF64Type(), x()));
    return;
  case StepOp::Log1p:
    set(b.create<spec::Log1pOp>(l, b.getF64Type(), x()));
    return;
  case StepOp::Clip: {
    FloatAttr lo = std::isinf(s.min) ? FloatAttr() : f64Attr(s.min);
    FloatAttr hi = std::isinf(s.max) ? FloatAttr() : f64Attr(s.max);
    set(b.create<spec::ClipOp>(l, b.getF64Type(), x(), lo, hi));
    return;
  }
  case StepOp::Impute: {
    const PlanValue &in = p.plan.values[n.args[0]];
    const PlanValue &out = p.plan.values[n.results[0]];
    Type resultType = out.kind == ValueKind::Int ? Type(b.getI64Type()) : Type(b.getF64Type());
    Value arg = in.kind == ValueKind::Int ? values[n.args[0]] : x();
    IntegerAttr missing =
        in.kind == ValueKind::Int && in.missing ? b.getI64IntegerAttr(*in.missing) : IntegerAttr();
    set(b.create<spec::ImputeOp>(l, resultType, arg, f64Attr(s.value), missing));
    return;
  }
  case StepOp::OneHot:
  case StepOp::LabelEncode: {
    const PlanValue &in = p.plan.values[n.args[0]];
    Value arg;
    IntegerAttr missing;
    if (in.kind == ValueKind::String) {
      arg = lookupString(s, n.args[0], l);
      missing = b.getI64IntegerAttr(-1);
    } else {
      arg = in.kind == ValueKind::Int ? values[n.args[0]] : x();
      if (in.kind == ValueKind::Int && in.missing)
        missing = b.getI64IntegerAttr(*in.missing);
    }
    ArrayAttr cats = categoryAttrs(s, in.kind);
    if (n.op == StepOp::OneHot) {
      SmallVector<Type> types(cats.size(), b.getF64Type());
      auto op = b.create<spec::OneHotOp>(l, types, arg, cats, missing,
                                         s.unknown == UnknownPolicy::Error ? b.getUnitAttr()
                                                                           : UnitAttr());
      for (size_t i = 0; i < types.size(); ++i)
        set(op.getResult(i), i);
    } else {
      set(b.create<spec::LabelEncodeOp>(l, b.getF64Type(), arg, cats,
                                        b.getDenseF64ArrayAttr(s.codes), f64Attr(s.defaultCode),
                                        missing));
    }
    return;
  }
  case StepOp::Polynomial: {
    SmallVector<Value> ins;
    for (int id : n.args)
      ins.push_back(asFloat(id));
    SmallVector<Type> types(n.results.size(), b.getF64Type());
    auto op = b.create<spec::PolynomialOp>(l, types, ins, b.getI64IntegerAttr(s.degree),
                                           b.getBoolAttr(s.interactionOnly),
                                           b.getBoolAttr(s.includeBias));
    for (size_t i = 0; i < types.size(); ++i)
      set(op.getResult(i), i);
    return;
  }
  case StepOp::Bucketize:
    set(b.create<spec::BucketizeOp>(l, b.getF64Type(), x(), b.getDenseF64ArrayAttr(s.edges)));
    return;
  case StepOp::Expr: {
    SmallVector<Value> ins;
    for (int id : n.args)
      ins.push_back(asFloat(id));
    auto op = b.create<spec::ExprOp>(l, b.getF64Type(), ins, b.getStringAttr(s.exprText));
    Block *block = new Block();
    op.getBody().push_back(block);
    for (size_t i = 0; i < ins.size(); ++i)
      block->addArgument(b.getF64Type(), l);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(block);
    Value result = buildExpr(b, l, *s.expr, block->getArguments());
    b.create<spec::YieldOp>(l, result);
    set(op.getResult());
    return;
  }
  }
}

llvm::Expected<OwningOpRef<ModuleOp>> PlanImporter::run(const FeatureKernelSignature &sig,
                                                        FeatureStage stage) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());

  SmallVector<StringRef> inputNames;
  SmallVector<Attribute> inputTypes;
  for (const InputColumn &in : p.inputs) {
    inputNames.push_back(in.name);
    inputTypes.push_back(TypeAttr::get(inputType(in.type)));
  }
  SmallVector<StringRef> outputNames(sig.outputNames->begin(), sig.outputNames->end());
  Type outType = sig.outputType == DType::F64 ? Type(b.getF64Type()) : Type(b.getF32Type());
  std::string sym = sig.name.empty() ? "kernel" : sig.name;
  auto kernel = b.create<spec::KernelOp>(loc, b.getStringAttr(sym), b.getStrArrayAttr(inputNames),
                                         b.getArrayAttr(inputTypes), TypeAttr::get(outType),
                                         b.getStrArrayAttr(outputNames));
  Block *body = new Block();
  kernel.getBody().push_back(body);
  b.setInsertionPointToStart(body);

  values.assign(p.plan.values.size(), Value());
  floats.assign(p.plan.values.size(), Value());
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    Type t = inputType(p.inputs[i].type);
    Type read = isa<spec::StrType>(t) ? t
                : isa<IntegerType>(t) ? Type(b.getI64Type())
                                      : Type(b.getF64Type());
    values[i] =
        b.create<spec::InputOp>(NameLoc::get(b.getStringAttr("inputs[" + std::to_string(i) + "]")),
                                read, b.getI64IntegerAttr(static_cast<int64_t>(i)));
  }
  for (const PlanNode &n : p.plan.nodes)
    importNode(n);
  SmallVector<Value> outs;
  for (int id : p.plan.outputs)
    outs.push_back(asFloat(id));
  if (stage)
    outs = stage(b, outs);
  b.create<spec::OutputOp>(loc, outs);

  return verifiedImport(std::move(module));
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>> importFeatureKernel(MLIRContext &ctx, const PipelineSpec &p,
                                                          const FeatureKernelSignature &signature,
                                                          FeatureStage stage) {
  return PlanImporter(ctx, p).run(signature, stage);
}

llvm::Expected<OwningOpRef<ModuleOp>> importPipeline(MLIRContext &ctx, const PipelineSpec &p) {
  FeatureKernelSignature sig;
  sig.name = p.name;
  sig.outputNames = &p.plan.outputNames;
  sig.outputType = p.outputType;
  return importFeatureKernel(ctx, p, sig);
}

} // namespace jit
} // namespace specjit
