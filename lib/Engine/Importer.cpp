//===- Importer.cpp - Descriptor to the spec dialect ----------------------===//
//
// Walks the analyzed Plan of a pipeline and emits one spec op per step into a
// spec.kernel. Integer values stay i64 until an op needs f64, where a
// spec.to_float carrying the column's missing sentinel converts them.
//
//===----------------------------------------------------------------------===//

#include "Engine/Importer.h"
#include "Families/Eval/EvalToSpec.h"
#include "Families/Train/TrainToSpec.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace specjit;
using namespace specjit::jit;

namespace {

/// x != 0 under IEEE unordered-not-equal: NaN is true.
Value truth(OpBuilder &b, Location loc, Value x) {
  Value zero = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(0.0));
  return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, x, zero);
}

/// Emits `e` as arith/math/spec ops; Column nodes read args[e.arg].
Value buildExpr(OpBuilder &b, Location loc, const Expr &e, ValueRange args) {
  Type f64 = b.getF64Type();
  auto boolToF64 = [&](Value c) -> Value {
    return b.create<arith::UIToFPOp>(loc, f64, c);
  };
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
  case Expr::Op::Neg: return b.create<arith::NegFOp>(loc, a[0]);
  case Expr::Op::Not:
    return boolToF64(b.create<arith::CmpFOp>(
        loc, arith::CmpFPredicate::OEQ, a[0],
        b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(0.0))));
  case Expr::Op::Add: return b.create<arith::AddFOp>(loc, a[0], a[1]);
  case Expr::Op::Sub: return b.create<arith::SubFOp>(loc, a[0], a[1]);
  case Expr::Op::Mul: return b.create<arith::MulFOp>(loc, a[0], a[1]);
  case Expr::Op::Div: return b.create<arith::DivFOp>(loc, a[0], a[1]);
  case Expr::Op::Lt: return cmp(arith::CmpFPredicate::OLT);
  case Expr::Op::Le: return cmp(arith::CmpFPredicate::OLE);
  case Expr::Op::Gt: return cmp(arith::CmpFPredicate::OGT);
  case Expr::Op::Ge: return cmp(arith::CmpFPredicate::OGE);
  case Expr::Op::Eq: return cmp(arith::CmpFPredicate::OEQ);
  case Expr::Op::Ne: return cmp(arith::CmpFPredicate::ONE);
  case Expr::Op::And:
    return boolToF64(b.create<arith::AndIOp>(loc, truth(b, loc, a[0]), truth(b, loc, a[1])));
  case Expr::Op::Or:
    return boolToF64(b.create<arith::OrIOp>(loc, truth(b, loc, a[0]), truth(b, loc, a[1])));
  case Expr::Op::Min:
    return b.create<arith::SelectOp>(
        loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, a[0], a[1]),
        a[0], a[1]);
  case Expr::Op::Max:
    return b.create<arith::SelectOp>(
        loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, a[0], a[1]),
        a[0], a[1]);
  case Expr::Op::Abs: return b.create<math::AbsFOp>(loc, a[0]);
  case Expr::Op::Sqrt: return b.create<math::SqrtOp>(loc, a[0]);
  case Expr::Op::Exp: return b.create<math::ExpOp>(loc, a[0]);
  case Expr::Op::Log: return b.create<spec::LogOp>(loc, b.getF64Type(), a[0]);
  case Expr::Op::Log1p: return b.create<spec::Log1pOp>(loc, b.getF64Type(), a[0]);
  case Expr::Op::Pow: return b.create<math::PowFOp>(loc, a[0], a[1]);
  case Expr::Op::Select:
    return b.create<arith::SelectOp>(loc, truth(b, loc, a[0]), a[1], a[2]);
  }
  return {};
}


class Importer {
public:
  Importer(MLIRContext &ctx, const Descriptor &d, TreeLayout treeLayout)
      : ctx(ctx), d(d), treeLayout(treeLayout),
        p(d.kind() == Kind::Model ? d.model().pipeline : d.pipeline()),
        model(d.kind() == Kind::Model ? &d.model() : nullptr), b(&ctx),
        loc(NameLoc::get(StringAttr::get(&ctx, "descriptor"))) {}

  llvm::Expected<OwningOpRef<ModuleOp>> run();

private:
  Type inputType(DType t);
  Location stepLoc(int step) {
    return NameLoc::get(b.getStringAttr("steps[" + std::to_string(step) + "]"));
  }
  /// The value as f64 (Int: spec.to_float with its sentinel; cached).
  Value asFloat(int id);
  ArrayAttr categoryAttrs(const Step &s, ValueKind kind);
  Value lookupString(const Step &s, int id, Location l);
  void importNode(const PlanNode &n);
  /// The model stage and its link on the features.
  SmallVector<Value> importModel(ValueRange features);

  MLIRContext &ctx;
  const Descriptor &d;
  TreeLayout treeLayout;
  const PipelineSpec &p;
  const ModelSpec *model;
  OpBuilder b;
  Location loc;
  std::vector<Value> values;
  std::vector<Value> floats;
};

Type Importer::inputType(DType t) {
  switch (t) {
  case DType::Bool: return b.getI1Type();
  case DType::I32: return b.getI32Type();
  case DType::I64: return b.getI64Type();
  case DType::F32: return b.getF32Type();
  case DType::F64: return b.getF64Type();
  case DType::String: return spec::StrType::get(&ctx);
  }
  return {};
}

Value Importer::asFloat(int id) {
  if (floats[id])
    return floats[id];
  const PlanValue &pv = p.plan.values[id];
  Value v = values[id];
  if (pv.kind == ValueKind::Int) {
    auto op = b.create<spec::ToFloatOp>(v.getLoc(), b.getF64Type(), v,
                                        pv.missing ? b.getI64IntegerAttr(*pv.missing)
                                                   : IntegerAttr());
    v = op.getResult();
  }
  return floats[id] = v;
}

ArrayAttr Importer::categoryAttrs(const Step &s, ValueKind kind) {
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

Value Importer::lookupString(const Step &s, int id, Location l) {
  SmallVector<StringRef> keys(s.stringCategories.begin(),
                              s.stringCategories.end());
  return b.create<spec::StrLookupOp>(l, b.getI64Type(), values[id], b.getStrArrayAttr(keys));
}

void Importer::importNode(const PlanNode &n) {
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
    Type resultType = out.kind == ValueKind::Int ? Type(b.getI64Type())
                                                 : Type(b.getF64Type());
    Value arg = in.kind == ValueKind::Int ? values[n.args[0]] : x();
    IntegerAttr missing = in.kind == ValueKind::Int && in.missing
                              ? b.getI64IntegerAttr(*in.missing)
                              : IntegerAttr();
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
      auto op = b.create<spec::OneHotOp>(
          l, types, arg, cats, missing,
          s.unknown == UnknownPolicy::Error ? b.getUnitAttr() : UnitAttr());
      for (size_t i = 0; i < types.size(); ++i)
        set(op.getResult(i), i);
    } else {
      set(b.create<spec::LabelEncodeOp>(l, b.getF64Type(), arg, cats,
                                        b.getDenseF64ArrayAttr(s.codes),
                                        f64Attr(s.defaultCode), missing));
    }
    return;
  }
  case StepOp::Polynomial: {
    SmallVector<Value> ins;
    for (int id : n.args)
      ins.push_back(asFloat(id));
    SmallVector<Type> types(n.results.size(), b.getF64Type());
    auto op = b.create<spec::PolynomialOp>(
        l, types, ins, b.getI64IntegerAttr(s.degree),
        b.getBoolAttr(s.interactionOnly), b.getBoolAttr(s.includeBias));
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
    auto op = b.create<spec::ExprOp>(l, b.getF64Type(), ins,
                                     b.getStringAttr(s.exprText));
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

SmallVector<Value> Importer::importModel(ValueRange features) {
  const ModelSpec &m = *model;
  Location l = NameLoc::get(b.getStringAttr("model"));
  SmallVector<Type> margins(m.numOutputs, b.getF64Type());
  Operation *op = nullptr;
  switch (m.type) {
  case ModelType::Linear:
    op = b.create<spec::LinearOp>(l, margins, features,
                                  b.getDenseF64ArrayAttr(m.weights),
                                  b.getDenseF64ArrayAttr(m.intercepts));
    break;
  case ModelType::TreeEnsemble: {
    SmallVector<int32_t> feat, left, right, roots, groups;
    SmallVector<double> thr, leaves;
    SmallVector<bool> defLeft;
    for (const Tree &t : m.trees) {
      int32_t base = static_cast<int32_t>(feat.size());
      roots.push_back(base);
      groups.push_back(t.group);
      for (const TreeNode &n : t.nodes) {
        feat.push_back(n.feature);
        thr.push_back(n.threshold);
        left.push_back(n.feature < 0 ? -1 : base + n.left);
        right.push_back(n.feature < 0 ? -1 : base + n.right);
        defLeft.push_back(n.defaultLeft);
        leaves.push_back(n.leaf);
      }
    }
    op = b.create<spec::TreeEnsembleOp>(
        l, margins, features, b.getDenseI32ArrayAttr(feat), b.getDenseF64ArrayAttr(thr),
        b.getDenseI32ArrayAttr(left), b.getDenseI32ArrayAttr(right),
        b.getDenseBoolArrayAttr(defLeft), b.getDenseF64ArrayAttr(leaves),
        b.getDenseI32ArrayAttr(roots), b.getDenseI32ArrayAttr(groups),
        b.getDenseF64ArrayAttr(m.baseScore), b.getBoolAttr(m.average),
        b.getBoolAttr(m.float32),
        // importDescriptor() resolved Auto (engine::resolveTreeLayout).
        b.getStringAttr(treeLayoutName(treeLayout)));
    break;
  }
  case ModelType::Mlp: {
    SmallVector<int32_t> sizes = {m.numFeatures};
    SmallVector<double> w, bias;
    SmallVector<StringRef> acts;
    for (const DenseLayer &layer : m.layers) {
      sizes.push_back(layer.outputs);
      w.append(layer.weights.begin(), layer.weights.end());
      bias.append(layer.biases.begin(), layer.biases.end());
      acts.push_back(activationName(layer.activation));
    }
    op = b.create<spec::MlpOp>(l, margins, features, b.getDenseI32ArrayAttr(sizes),
                               b.getDenseF64ArrayAttr(w), b.getDenseF64ArrayAttr(bias),
                               b.getStrArrayAttr(acts));
    break;
  }
  }
  SmallVector<Value> out(op->getResults());
  if (m.margin || m.link == Link::Identity)
    return out;
  SmallVector<Type> results(m.link == Link::Argmax ? 1 : out.size(), b.getF64Type());
  auto link = b.create<spec::LinkOp>(l, results, out, b.getStringAttr(linkName(m.link)));
  return SmallVector<Value>(link.getResults());
}

llvm::Expected<OwningOpRef<ModuleOp>> Importer::run() {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());

  SmallVector<StringRef> inputNames;
  SmallVector<Attribute> inputTypes;
  for (const InputColumn &in : p.inputs) {
    inputNames.push_back(in.name);
    inputTypes.push_back(TypeAttr::get(inputType(in.type)));
  }
  const std::vector<std::string> &names = model ? model->outputNames : p.plan.outputNames;
  SmallVector<StringRef> outputNames(names.begin(), names.end());
  DType outDType = model ? model->outputType : p.outputType;
  Type outType = outDType == DType::F64 ? Type(b.getF64Type()) : Type(b.getF32Type());
  std::string name = model ? model->name : p.name;
  std::string sym = name.empty() ? "kernel" : name;
  auto kernel = b.create<spec::KernelOp>(
      loc, b.getStringAttr(sym), b.getStrArrayAttr(inputNames),
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
    values[i] = b.create<spec::InputOp>(
        NameLoc::get(b.getStringAttr("inputs[" + std::to_string(i) + "]")), read,
        b.getI64IntegerAttr(static_cast<int64_t>(i)));
  }
  for (const PlanNode &n : p.plan.nodes)
    importNode(n);
  SmallVector<Value> outs;
  for (int id : p.plan.outputs)
    outs.push_back(asFloat(id));
  if (model)
    outs = importModel(outs);
  b.create<spec::OutputOp>(loc, outs);

  if (failed(verify(*module)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the imported spec module does not verify");
  return std::move(module);
}

/// A rules descriptor: one spec.rule per rule inside a spec.rules_kernel.
llvm::Expected<OwningOpRef<ModuleOp>> importRules(MLIRContext &ctx,
                                                  const RulesSpec &r) {
  OpBuilder b(&ctx);
  Location loc = NameLoc::get(StringAttr::get(&ctx, "descriptor"));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<StringRef> meters(r.meters.begin(), r.meters.end());
  Type stateType = r.type == DType::F32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  auto kernel = b.create<spec::RulesKernelOp>(
      loc, b.getStringAttr(r.name.empty() ? "rules" : r.name),
      b.getStrArrayAttr(meters), TypeAttr::get(stateType),
      b.getI64IntegerAttr(r.steps));
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
      source += llvm::formatv("; {0} {1} = {2}", verbs[static_cast<int>(a.kind)],
                              r.meters[a.meter], a.text)
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
      case RuleAction::Kind::Set: break;
      case RuleAction::Kind::Add: v = b.create<arith::AddFOp>(l, old, v); break;
      case RuleAction::Kind::Sub: v = b.create<arith::SubFOp>(l, old, v); break;
      case RuleAction::Kind::Mul: v = b.create<arith::MulFOp>(l, old, v); break;
      }
      if (const auto &c = r.clamp[a.meter])
        v = b.create<spec::ClipOp>(l, f64, v, b.getF64FloatAttr(c->first),
                                   b.getF64FloatAttr(c->second));
      next[a.meter] = v;
    }
    if (rule.cond) {
      Value fire = truth(b, l, buildExpr(b, l, *rule.cond, m));
      for (const RuleAction &a : rule.actions)
        next[a.meter] = b.create<arith::SelectOp>(l, fire, next[a.meter], m[a.meter]);
    }
    b.create<spec::StateYieldOp>(l, next);
    current.assign(op.getResults().begin(), op.getResults().end());
  }
  b.create<spec::StateYieldOp>(loc, current);
  if (failed(verify(*module)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the imported spec module does not verify");
  return std::move(module);
}

/// A series descriptor: one primitive (window, ema stage, kama, crossover)
/// per stateful piece, arith for the rest, in the order of
/// docs/series-semantics.md and of the interpreter.
llvm::Expected<OwningOpRef<ModuleOp>> importSeries(MLIRContext &ctx,
                                                   const SeriesSpec &sp) {
  OpBuilder b(&ctx);
  Location loc = NameLoc::get(StringAttr::get(&ctx, "descriptor"));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<StringRef> inNames, outNames(sp.outputNames.begin(), sp.outputNames.end());
  SmallVector<Attribute> inTypes;
  for (const InputColumn &in : sp.inputs) {
    inNames.push_back(in.name);
    inTypes.push_back(TypeAttr::get(in.type == DType::F32 ? Type(b.getF32Type())
                                                          : Type(b.getF64Type())));
  }
  Type outType = sp.outputType == DType::F32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  auto kernel = b.create<spec::SeriesKernelOp>(
      loc, b.getStringAttr(sp.name.empty() ? "series" : sp.name),
      b.getStrArrayAttr(inNames), b.getArrayAttr(inTypes), TypeAttr::get(outType),
      b.getStrArrayAttr(outNames));
  b.createBlock(&kernel.getBody());
  Type f64 = b.getF64Type();
  auto cst = [&](Location l, double v) -> Value {
    return b.create<arith::ConstantOp>(l, b.getF64FloatAttr(v));
  };
  auto nan = [&](Location l) {
    return cst(l, std::numeric_limits<double>::quiet_NaN());
  };

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
    auto ema = [&](Value x) -> Value {
      return b.create<spec::EmaOp>(l, f64, x, period, seedSma);
    };
    auto mul = [&](Value x, Value y) -> Value { return b.create<arith::MulFOp>(l, x, y); };
    auto add = [&](Value x, Value y) -> Value { return b.create<arith::AddFOp>(l, x, y); };
    auto sub = [&](Value x, Value y) -> Value { return b.create<arith::SubFOp>(l, x, y); };
    Value y;
    switch (ind.op) {
    case IndicatorOp::Sma: y = b.create<spec::SmaOp>(l, f64, src(0), period); break;
    case IndicatorOp::Wma: y = b.create<spec::WmaOp>(l, f64, src(0), period); break;
    case IndicatorOp::Lsma: y = b.create<spec::LsmaOp>(l, f64, src(0), period); break;
    case IndicatorOp::Ema: y = ema(src(0)); break;
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
      y = b.create<spec::WmaOp>(l, f64, sub(mul(cst(l, 2.0), w1), w2),
                                b.getI64IntegerAttr(root));
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
  if (failed(verify(*module)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the imported spec module does not verify");
  return std::move(module);
}

} // namespace

namespace specjit {
namespace engine {

// Auto's thresholds, from docs/model-semantics.md ("Code shape"): shallow
// trees as branches become selects that LLVM vectorizes across rows (10
// trees of depth 4: 5x faster than the walk), but from depth 6 on the walk
// wins, and the branches' compile time grows with the node count.
constexpr int kBranchesMaxDepth = 5;
constexpr size_t kBranchesMaxNodes = 4096;
constexpr int64_t kWalkMaxFeatures = 1024;
// What the branches layout can take at all: it nests one scf.if per level,
// and MLIR's analyses (liveness, among others) recurse once per level; a
// chain of 10,000 levels overflows the stack after ~45 s of compiling,
// before the kernel-size guard (maxKernelOps) runs. Deeper trees take the
// walk, whose code does not depend on the trees' shape.
constexpr int kBranchesMaxTreeDepth = 64;

/// The depth of the deepest tree (a lone leaf is depth 0), in one linear
/// pass per tree (the descriptor puts children after their parent).
static int ensembleDepth(const ModelSpec &m) {
  int depth = 0;
  for (const Tree &t : m.trees) {
    std::vector<int> d(t.nodes.size(), 0);
    for (size_t i = 0; i < t.nodes.size(); ++i) {
      const TreeNode &n = t.nodes[i];
      depth = std::max(depth, d[i]);
      if (n.feature >= 0)
        d[n.left] = d[n.right] = d[i] + 1;
    }
  }
  return depth;
}

TreeLayout chooseTreeLayout(const ModelSpec &m) {
  size_t nodes = 0;
  for (const Tree &t : m.trees)
    nodes += t.nodes.size();
  // Large ensembles of ordinary width take the walk whatever their depth:
  // skip the depth pass (the tiering cost model asks in the caller).
  if (nodes > kBranchesMaxNodes && m.numFeatures <= kWalkMaxFeatures)
    return TreeLayout::Walk;
  int depth = ensembleDepth(m);
  // Wide inputs prefer branches (the walk's block of rows shrinks), but
  // never deeper than the branches can be built.
  bool branches = (depth <= kBranchesMaxDepth && nodes <= kBranchesMaxNodes) ||
                  (m.numFeatures > kWalkMaxFeatures && depth <= kBranchesMaxTreeDepth);
  return branches ? TreeLayout::Branches : TreeLayout::Walk;
}

TreeLayout resolveTreeLayout(const ModelSpec &m, TreeLayout requested) {
  if (m.type != ModelType::TreeEnsemble)
    return requested;
  if (requested == TreeLayout::Auto)
    return chooseTreeLayout(m);
  if (requested == TreeLayout::Branches && ensembleDepth(m) > kBranchesMaxTreeDepth)
    return TreeLayout::Walk;
  return requested;
}

llvm::Expected<OwningOpRef<ModuleOp>> importDescriptor(MLIRContext &ctx,
                                                 const Descriptor &d,
                                                 TreeLayout treeLayout) {
  ctx.getOrLoadDialect<spec::SpecDialect>();
  ctx.getOrLoadDialect<arith::ArithDialect>();
  ctx.getOrLoadDialect<math::MathDialect>();
  switch (d.kind()) {
  case Kind::Pipeline:
    return Importer(ctx, d, treeLayout).run();
  case Kind::Model:
    return Importer(ctx, d, resolveTreeLayout(d.model(), treeLayout)).run();
  case Kind::Rules:
    return importRules(ctx, d.rules());
  case Kind::Series:
    return importSeries(ctx, d.series());
  case Kind::Train:
    return train::importTrainStep(ctx, d.train());
  case Kind::Eval:
    return eval::importMetricsPass(ctx, d.eval());
  }
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unknown descriptor kind");
}

} // namespace engine
} // namespace specjit
