//===- SpecExpand.cpp - Stage ops to arith and math -----------------------===//
//
// Each pattern rewrites one stage op into scalar arith/math ops on one row,
// with the op's configuration materialized as constants. The order of f64
// operations is exactly the one fixed by docs/pipeline-semantics.md, so the
// compiled kernel rounds like the interpreter.
//
//===----------------------------------------------------------------------===//

#include "specjit/Conversion/SpecExpand.h"
#include "specjit/Conversion/Passes.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <functional>
#include <limits>

namespace specjit {
#define GEN_PASS_DEF_SPECEXPAND
#include "specjit/Conversion/Passes.h.inc"
} // namespace specjit

using namespace mlir;
using namespace specjit::spec;

namespace {

Value f64Const(OpBuilder &b, Location loc, double v) {
  return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(v));
}
Value i64Const(OpBuilder &b, Location loc, int64_t v) {
  return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(v));
}
/// 1.0 when `c` holds, else 0.0.
Value boolToF64(OpBuilder &b, Location loc, Value c) {
  return b.create<arith::UIToFPOp>(loc, b.getF64Type(), c);
}
/// i64 -> f64 with the sentinel (if any) mapped to NaN.
Value intToF64(OpBuilder &b, Location loc, Value x, std::optional<int64_t> missing) {
  Value f = b.create<arith::SIToFPOp>(loc, b.getF64Type(), x);
  if (!missing)
    return f;
  Value isMissing =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, i64Const(b, loc, *missing));
  return b.create<arith::SelectOp>(loc, isMissing,
                                   f64Const(b, loc, std::numeric_limits<double>::quiet_NaN()), f);
}

/// x == category, per the input's type: i64 compare, or ordered f64 compare.
Value equalsCategory(OpBuilder &b, Location loc, Value x, Attribute cat) {
  if (auto i = dyn_cast<IntegerAttr>(cat))
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, i64Const(b, loc, i.getInt()));
  return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, x,
                                 f64Const(b, loc, cast<FloatAttr>(cat).getValueAsDouble()));
}

struct ToFloatLowering : OpRewritePattern<ToFloatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ToFloatOp op, PatternRewriter &r) const override {
    r.replaceOp(op, intToF64(r, op.getLoc(), op.getInput(), op.getMissing()));
    return success();
  }
};

struct StandardizeLowering : OpRewritePattern<StandardizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StandardizeOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    Value centered = r.create<arith::SubFOp>(loc, op.getInput(),
                                             f64Const(r, loc, op.getMean().convertToDouble()));
    r.replaceOpWithNewOp<arith::DivFOp>(op, centered,
                                        f64Const(r, loc, op.getStd().convertToDouble()));
    return success();
  }
};

struct MinMaxLowering : OpRewritePattern<MinMaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MinMaxOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    double lo = op.getMin().convertToDouble(), hi = op.getMax().convertToDouble();
    Value shifted = r.create<arith::SubFOp>(loc, op.getInput(), f64Const(r, loc, lo));
    r.replaceOpWithNewOp<arith::DivFOp>(op, shifted, f64Const(r, loc, hi - lo));
    return success();
  }
};

struct LogLowering : OpRewritePattern<LogOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogOp op, PatternRewriter &r) const override {
    r.replaceOpWithNewOp<math::LogOp>(op, op.getInput());
    return success();
  }
};

/// log1p through log (which vectorizes with a vector math library):
/// u = 1 + x; u == 1 ? x : (u == inf ? u : log(u) * (x / (u - 1))).
/// Accurate to a few ulp (Goldberg's formula), unlike log(1 + x).
struct Log1pLowering : OpRewritePattern<Log1pOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Log1pOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Value one = f64Const(r, loc, 1.0);
    Value u = r.create<arith::AddFOp>(loc, one, x);
    Value um1 = r.create<arith::SubFOp>(loc, u, one);
    Value logU = r.create<math::LogOp>(loc, u);
    Value ratio = r.create<arith::DivFOp>(loc, x, um1);
    Value scaled = r.create<arith::MulFOp>(loc, logU, ratio);
    Value isInf =
        r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, u,
                                f64Const(r, loc, std::numeric_limits<double>::infinity()));
    Value big = r.create<arith::SelectOp>(loc, isInf, u, scaled);
    Value isOne = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, u, one);
    r.replaceOpWithNewOp<arith::SelectOp>(op, isOne, x, big);
    return success();
  }
};

struct ClipLowering : OpRewritePattern<ClipOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ClipOp op, PatternRewriter &r) const override {
    // x < min ? min : (x > max ? max : x); NaN fails both and passes through.
    Location loc = op.getLoc();
    Value x = op.getInput(), result = x;
    if (auto hi = op.getMaxAttr()) {
      Value c = f64Const(r, loc, hi.getValueAsDouble());
      Value gt = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, c);
      result = r.create<arith::SelectOp>(loc, gt, c, result);
    }
    if (auto lo = op.getMinAttr()) {
      Value c = f64Const(r, loc, lo.getValueAsDouble());
      Value lt = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, c);
      result = r.create<arith::SelectOp>(loc, lt, c, result);
    }
    r.replaceOp(op, result);
    return success();
  }
};

struct ImputeLowering : OpRewritePattern<ImputeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ImputeOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    double v = op.getValue().convertToDouble();
    if (x.getType().isF64()) {
      Value isNaN = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
      r.replaceOpWithNewOp<arith::SelectOp>(op, isNaN, f64Const(r, loc, v), x);
      return success();
    }
    Value isMissing = r.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x,
                                              i64Const(r, loc, *op.getMissing()));
    if (op.getType().isInteger(64)) {
      r.replaceOpWithNewOp<arith::SelectOp>(op, isMissing,
                                            i64Const(r, loc, static_cast<int64_t>(v)), x);
      return success();
    }
    Value f = r.create<arith::SIToFPOp>(loc, r.getF64Type(), x);
    r.replaceOpWithNewOp<arith::SelectOp>(op, isMissing, f64Const(r, loc, v), f);
    return success();
  }
};

/// Whether the op was given the table shape (left for convert-spec-to-loops).
bool isTableShaped(Operation *op) {
  auto shape = op->getAttrOfType<StringAttr>(specjit::kLookupShapeAttr);
  return shape && shape.getValue() == "table";
}

struct OneHotLowering : OpRewritePattern<OneHotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OneHotOp op, PatternRewriter &r) const override {
    if (isTableShaped(op))
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> results;
    Value any;
    for (Attribute cat : op.getCategories()) {
      Value eq = equalsCategory(r, loc, op.getInput(), cat);
      results.push_back(boolToF64(r, loc, eq));
      any = any ? r.create<arith::OrIOp>(loc, any, eq).getResult() : eq;
    }
    if (op.getUnknownError())
      r.create<CheckOp>(loc, any, r.getStringAttr("value is not one of the categories"));
    r.replaceOp(op, results);
    return success();
  }
};

struct LabelEncodeLowering : OpRewritePattern<LabelEncodeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LabelEncodeOp op, PatternRewriter &r) const override {
    if (isTableShaped(op))
      return failure();
    Location loc = op.getLoc();
    Value result = f64Const(r, loc, op.getDefaultCode().convertToDouble());
    ArrayRef<double> codes = op.getCodes();
    // Keys are unique, so at most one select fires.
    for (auto [key, code] : llvm::zip(op.getKeys(), codes)) {
      Value eq = equalsCategory(r, loc, op.getInput(), key);
      result = r.create<arith::SelectOp>(loc, eq, f64Const(r, loc, code), result);
    }
    r.replaceOp(op, result);
    return success();
  }
};

struct PolynomialLowering : OpRewritePattern<PolynomialOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PolynomialOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    auto inputs = op.getInputs();
    SmallVector<Value> results;
    // As scikit-learn: a term of degree d >= 2 is (the term of all its
    // factors but the first, computed at degree d - 1) times its first
    // factor, so the products round exactly like scikit-learn's.
    auto terms = polynomialTerms(inputs.size(), op.getDegree(), op.getInteractionOnly(),
                                 op.getIncludeBias());
    llvm::DenseMap<ArrayRef<unsigned>, Value> computed;
    for (auto &term : terms) {
      Value v;
      if (term.empty())
        v = f64Const(r, loc, 1.0);
      else if (term.size() == 1)
        v = inputs[term[0]];
      else
        v = r.create<arith::MulFOp>(loc, computed.lookup(ArrayRef(term).drop_front()),
                                    inputs[term[0]]);
      computed[ArrayRef(term)] = v;
      results.push_back(v);
    }
    r.replaceOp(op, results);
    return success();
  }
};

struct BucketizeLowering : OpRewritePattern<BucketizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BucketizeOp op, PatternRewriter &r) const override {
    // The count of edges e with !(x < e): NaN counts every edge, as numpy.
    Location loc = op.getLoc();
    Value count = i64Const(r, loc, 0);
    for (double e : op.getEdges()) {
      Value ge = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGE, op.getInput(),
                                         f64Const(r, loc, e));
      Value inc = r.create<arith::ExtUIOp>(loc, r.getI64Type(), ge);
      count = r.create<arith::AddIOp>(loc, count, inc);
    }
    r.replaceOpWithNewOp<arith::SIToFPOp>(op, r.getF64Type(), count);
    return success();
  }
};

/// Inlines the single block of `op` before it, with `args` for its block
/// arguments, and replaces `op` by the values its terminator yields (a
/// yielded block argument becomes the matching entry of `args`).
void inlineRegionOp(PatternRewriter &r, Operation *op, ValueRange args, ValueRange yielded) {
  Block &body = op->getRegion(0).front();
  SmallVector<Value> results;
  for (Value v : yielded) {
    auto arg = dyn_cast<BlockArgument>(v);
    results.push_back(arg && arg.getOwner() == &body ? args[arg.getArgNumber()] : v);
  }
  Operation *terminator = body.getTerminator();
  r.inlineBlockBefore(&body, op, args);
  r.eraseOp(terminator);
  r.replaceOp(op, results);
}

struct ExprLowering : OpRewritePattern<ExprOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ExprOp op, PatternRewriter &r) const override {
    auto yield = cast<YieldOp>(op.getBody().front().getTerminator());
    inlineRegionOp(r, op, op.getInputs(), yield->getOperands());
    return success();
  }
};

struct RuleLowering : OpRewritePattern<RuleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RuleOp op, PatternRewriter &r) const override {
    auto yield = cast<StateYieldOp>(op.getBody().front().getTerminator());
    inlineRegionOp(r, op, op.getMeters(), yield.getValues());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

/// ((w_0*x_0 + w_1*x_1) + ...): the dot product left to right.
Value dot(OpBuilder &b, Location loc, ArrayRef<double> w, ValueRange x) {
  Value acc = b.create<arith::MulFOp>(loc, f64Const(b, loc, w[0]), x[0]);
  for (size_t j = 1; j < x.size(); ++j) {
    Value term = b.create<arith::MulFOp>(loc, f64Const(b, loc, w[j]), x[j]);
    acc = b.create<arith::AddFOp>(loc, acc, term);
  }
  return acc;
}

struct LinearLowering : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    size_t f = op.getFeatures().size();
    SmallVector<Value> margins;
    for (size_t k = 0; k < op.getMargins().size(); ++k) {
      Value d = dot(r, loc, op.getWeights().slice(k * f, f), op.getFeatures());
      margins.push_back(r.create<arith::AddFOp>(loc, d, f64Const(r, loc, op.getIntercepts()[k])));
    }
    r.replaceOp(op, margins);
    return success();
  }
};

/// Each tree becomes nested scf.if: one compare per split, `x < t` ordered
/// when NaN goes right, unordered (NaN true) when it goes left. Large
/// additive ensembles go into chunks of trees, each a noinline function that
/// takes the features and the running sums and returns them with its trees
/// added in order: the sums round as before, and code generation stays
/// linear in the number of trees (one huge function costs LLVM superlinear
/// time).
struct TreeEnsembleLowering : OpRewritePattern<TreeEnsembleOp> {
  TreeEnsembleLowering(MLIRContext *ctx, int64_t chunkNodes)
      : OpRewritePattern(ctx), kChunkNodes(chunkNodes) {}
  /// The pass option tree-chunk-nodes.
  const int64_t kChunkNodes;

  LogicalResult matchAndRewrite(TreeEnsembleOp op, PatternRewriter &r) const override {
    // The walk layout is lowered by convert-spec-to-loops (TreeWalk.cpp).
    if (op.getLayout() != TreeLayout::Branches)
      return failure();
    Location loc = op.getLoc();
    bool f32 = op.getFloat32();
    Type t = f32 ? Type(r.getF32Type()) : Type(r.getF64Type());
    auto constant = [&](double v) -> Value {
      return r.create<arith::ConstantOp>(loc, f32 ? r.getF32FloatAttr(static_cast<float>(v))
                                                  : r.getF64FloatAttr(v));
    };
    // Features in the compare type, made once.
    SmallVector<Value> xs(op.getFeatures().begin(), op.getFeatures().end());
    if (f32)
      for (Value &x : xs)
        x = r.create<arith::TruncFOp>(loc, r.getF32Type(), x);
    auto features = op.getNodeFeatures();
    std::function<Value(int32_t, ArrayRef<Value>)> node = [&](int32_t i,
                                                              ArrayRef<Value> x) -> Value {
      if (features[i] < 0)
        return constant(op.getLeaves()[i]);
      auto pred = op.getDefaultLeft()[i] ? arith::CmpFPredicate::ULT : arith::CmpFPredicate::OLT;
      Value goLeft =
          r.create<arith::CmpFOp>(loc, pred, x[features[i]], constant(op.getThresholds()[i]));
      auto ifOp = r.create<scf::IfOp>(loc, TypeRange{t}, goLeft, true);
      OpBuilder::InsertionGuard g(r);
      r.setInsertionPointToStart(&ifOp.getThenRegion().front());
      r.create<scf::YieldOp>(loc, node(op.getLeft()[i], x));
      r.setInsertionPointToStart(&ifOp.getElseRegion().front());
      r.create<scf::YieldOp>(loc, node(op.getRight()[i], x));
      return ifOp.getResult(0);
    };
    size_t outputs = op.getMargins().size();
    SmallVector<Value> acc(outputs), sums(outputs);
    SmallVector<int64_t> counts(outputs, 0);
    for (size_t k = 0; k < outputs; ++k)
      acc[k] = constant(op.getBaseScore()[k]);
    ArrayRef<int32_t> roots = op.getRoots(), groups = op.getGroups();
    int64_t totalNodes = features.size();
    if (!op.getAverage() && totalNodes > 2 * kChunkNodes) {
      // Chunks of whole trees of about kChunkNodes nodes.
      auto module = op->getParentOfType<ModuleOp>();
      SmallVector<Type> argTypes(xs.size(), t);
      argTypes.append(outputs, t);
      SmallVector<Type> resultTypes(outputs, t);
      size_t first = 0;
      int chunk = 0;
      while (first < roots.size()) {
        size_t last = first;
        int64_t nodes = 0;
        do {
          int64_t end = last + 1 < roots.size() ? roots[last + 1] : totalNodes;
          nodes += end - roots[last];
          ++last;
        } while (last < roots.size() && nodes < kChunkNodes);
        func::FuncOp fn;
        {
          OpBuilder::InsertionGuard g(r);
          r.setInsertionPointToEnd(module.getBody());
          fn = r.create<func::FuncOp>(loc, "specjit_trees_" + std::to_string(chunk++),
                                      r.getFunctionType(argTypes, resultTypes));
          fn.setPrivate();
          fn->setAttr("passthrough", r.getArrayAttr({r.getStringAttr("noinline")}));
          Block *body = fn.addEntryBlock();
          r.setInsertionPointToStart(body);
          ArrayRef<BlockArgument> args = body->getArguments();
          SmallVector<Value> fx(args.begin(), args.begin() + xs.size());
          SmallVector<Value> fa(args.begin() + xs.size(), args.end());
          for (size_t tr = first; tr < last; ++tr)
            fa[groups[tr]] = r.create<arith::AddFOp>(loc, fa[groups[tr]], node(roots[tr], fx));
          r.create<func::ReturnOp>(loc, fa);
        }
        SmallVector<Value> callArgs(xs.begin(), xs.end());
        callArgs.append(acc.begin(), acc.end());
        auto call = r.create<func::CallOp>(loc, fn, callArgs);
        acc.assign(call.getResults().begin(), call.getResults().end());
        first = last;
      }
    } else {
      for (auto [root, group] : llvm::zip(roots, groups)) {
        Value v = node(root, xs);
        if (op.getAverage()) {
          sums[group] = sums[group] ? r.create<arith::AddFOp>(loc, sums[group], v).getResult() : v;
          ++counts[group];
        } else {
          acc[group] = r.create<arith::AddFOp>(loc, acc[group], v);
        }
      }
    }
    SmallVector<Value> margins;
    for (size_t k = 0; k < outputs; ++k) {
      Value m = acc[k];
      if (op.getAverage() && counts[k]) {
        Value mean =
            r.create<arith::DivFOp>(loc, sums[k], constant(static_cast<double>(counts[k])));
        m = r.create<arith::AddFOp>(loc, m, mean);
      }
      if (f32)
        m = r.create<arith::ExtFOp>(loc, r.getF64Type(), m);
      margins.push_back(m);
    }
    r.replaceOp(op, margins);
    return success();
  }
};

/// 1 / (1 + exp(-z))
Value logistic(OpBuilder &b, Location loc, Value z) {
  Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, z));
  Value one = f64Const(b, loc, 1.0);
  return b.create<arith::DivFOp>(loc, one, b.create<arith::AddFOp>(loc, one, e));
}

struct MlpLowering : OpRewritePattern<MlpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MlpOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    ArrayRef<int32_t> sizes = op.getSizes();
    SmallVector<Value> h(op.getFeatures().begin(), op.getFeatures().end());
    size_t w = 0, bi = 0;
    for (size_t l = 0; l + 1 < sizes.size(); ++l) {
      StringRef act = cast<StringAttr>(op.getActivations()[l]).getValue();
      SmallVector<Value> next;
      for (int32_t o = 0; o < sizes[l + 1]; ++o) {
        Value z = dot(r, loc, op.getWeights().slice(w, sizes[l]), h);
        z = r.create<arith::AddFOp>(loc, z, f64Const(r, loc, op.getBiases()[bi + o]));
        w += sizes[l];
        if (act == "relu") {
          Value zero = f64Const(r, loc, 0.0);
          Value pos = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, z, zero);
          z = r.create<arith::SelectOp>(loc, pos, z, zero);
        } else if (act == "tanh") {
          z = r.create<math::TanhOp>(loc, z);
        } else if (act == "logistic") {
          z = logistic(r, loc, z);
        }
        next.push_back(z);
      }
      bi += sizes[l + 1];
      h = std::move(next);
    }
    r.replaceOp(op, h);
    return success();
  }
};

struct LinkLowering : OpRewritePattern<LinkOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinkOp op, PatternRewriter &r) const override {
    Location loc = op.getLoc();
    auto m = op.getMargins();
    SmallVector<Value> out;
    if (op.getKind() == "logistic") {
      for (Value v : m)
        out.push_back(logistic(r, loc, v));
    } else if (op.getKind() == "softmax") {
      Value max = m[0];
      for (size_t k = 1; k < m.size(); ++k) {
        Value gt = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, m[k], max);
        max = r.create<arith::SelectOp>(loc, gt, m[k], max);
      }
      SmallVector<Value> e;
      for (Value v : m)
        e.push_back(r.create<math::ExpOp>(loc, r.create<arith::SubFOp>(loc, v, max)));
      Value sum = e[0];
      for (size_t k = 1; k < e.size(); ++k)
        sum = r.create<arith::AddFOp>(loc, sum, e[k]);
      for (Value v : e)
        out.push_back(r.create<arith::DivFOp>(loc, v, sum));
    } else { // argmax: the smallest index of the largest margin; NaN loses
      Value best = f64Const(r, loc, 0.0), bestV = m[0];
      for (size_t k = 1; k < m.size(); ++k) {
        Value gt = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, m[k], bestV);
        Value bestNaN = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, bestV, bestV);
        Value here = r.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ORD, m[k], m[k]);
        Value take = r.create<arith::OrIOp>(loc, gt, r.create<arith::AndIOp>(loc, bestNaN, here));
        best = r.create<arith::SelectOp>(loc, take, f64Const(r, loc, static_cast<double>(k)), best);
        bestV = r.create<arith::SelectOp>(loc, take, m[k], bestV);
      }
      out.push_back(best);
    }
    r.replaceOp(op, out);
    return success();
  }
};

struct SpecExpandPass : specjit::impl::SpecExpandBase<SpecExpandPass> {
  using SpecExpandBase::SpecExpandBase;

  void runOnOperation() override {
    // First the code shape of every lookup, so that the patterns (and the
    // IR printed after this pass) show which one each op took.
    WalkResult shaped = getOperation().walk([&](Operation *op) {
      std::optional<specjit::LookupShape> shape =
          specjit::lookupShape(op, lookupTableMinKeys, lookupTableMinIntKeys);
      if (!shape)
        return WalkResult::advance();
      auto recorded = op->getAttrOfType<StringAttr>(specjit::kLookupShapeAttr);
      if (recorded && recorded.getValue() != "chain" && recorded.getValue() != "table") {
        op->emitOpError("has spec.lookup = \"")
            << recorded.getValue() << "\"; expected \"chain\" or \"table\"";
        return WalkResult::interrupt();
      }
      if (*shape == specjit::LookupShape::Table && !isa<StrLookupOp>(op) &&
          !op->getOperand(0).getType().isInteger(64)) {
        op->emitOpError("takes the table shape only on i64 input");
        return WalkResult::interrupt();
      }
      op->setAttr(specjit::kLookupShapeAttr,
                  StringAttr::get(op->getContext(),
                                  *shape == specjit::LookupShape::Table ? "table" : "chain"));
      return WalkResult::advance();
    });
    if (shaped.wasInterrupted())
      return signalPassFailure();

    if (treeChunkNodes < 1) {
      getOperation().emitError("spec-expand: tree-chunk-nodes must be at least 1, not ")
          << static_cast<int64_t>(treeChunkNodes);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    specjit::populateSpecExpandPatterns(patterns, treeChunkNodes);
    GreedyRewriteConfig config;
    config.enableRegionSimplification = GreedySimplifyRegionLevel::Disabled;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    // Every stage op must be gone: anything the target does not allow is
    // a lowering bug (or a tree ensemble without a layout).
    ConversionTarget target(getContext());
    specjit::configureSpecExpandTarget(target);
    WalkResult left = getOperation().walk([&](Operation *op) {
      if (target.isLegal(op))
        return WalkResult::advance();
      if (auto trees = dyn_cast<TreeEnsembleOp>(op); trees && !trees.getLayout())
        op->emitOpError("has no layout (run spec-select-tree-layout first)");
      else
        op->emitOpError("was not expanded");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void specjit::populateSpecExpandPatterns(RewritePatternSet &patterns, int64_t treeChunkNodes) {
  patterns.add<ToFloatLowering, StandardizeLowering, MinMaxLowering, LogLowering, Log1pLowering,
               ClipLowering, ImputeLowering, OneHotLowering, LabelEncodeLowering,
               PolynomialLowering, BucketizeLowering, ExprLowering, RuleLowering, LinearLowering,
               MlpLowering, LinkLowering>(patterns.getContext());
  patterns.add<TreeEnsembleLowering>(patterns.getContext(), treeChunkNodes);
}

void specjit::configureSpecExpandTarget(ConversionTarget &target) {
  // Every spec op is expanded but those convert-spec-to-loops lowers: the
  // ops marked LoweredByLoops, tree ensembles in the walk layout and
  // lookups of the table shape.
  target.addDynamicallyLegalDialect<SpecDialect>(
      [](Operation *op) { return op->hasTrait<specjit::spec::SpecTrait::LoweredByLoops>(); });
  target.addDynamicallyLegalOp<TreeEnsembleOp>(
      [](TreeEnsembleOp op) { return op.getLayout() == TreeLayout::Walk; });
  target.addDynamicallyLegalOp<OneHotOp, LabelEncodeOp>(
      [](Operation *op) { return isTableShaped(op); });
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
}

std::optional<specjit::LookupShape> specjit::lookupShape(Operation *op, unsigned tableMinKeys,
                                                         unsigned tableMinIntKeys) {
  size_t keys = 0;
  if (auto lookup = dyn_cast<StrLookupOp>(op))
    keys = lookup.getKeys().size();
  else if (auto oneHot = dyn_cast<OneHotOp>(op))
    keys = oneHot.getCategories().size();
  else if (auto encode = dyn_cast<LabelEncodeOp>(op))
    keys = encode.getKeys().size();
  else
    return std::nullopt;
  if (auto recorded = op->getAttrOfType<StringAttr>(kLookupShapeAttr))
    return recorded.getValue() == "table" ? LookupShape::Table : LookupShape::Chain;
  // Float categories compare as f64 (NaN equals nothing, -0.0 == 0.0): they
  // keep the chain.
  if (!isa<StrLookupOp>(op) && !op->getOperand(0).getType().isInteger(64))
    return LookupShape::Chain;
  // The indices of a string lookup follow the strings' threshold.
  bool strings = isa<StrLookupOp>(op) || op->getOperand(0).getDefiningOp<StrLookupOp>();
  unsigned minKeys = strings ? tableMinKeys : tableMinIntKeys;
  return minKeys && keys >= minKeys ? LookupShape::Table : LookupShape::Chain;
}
