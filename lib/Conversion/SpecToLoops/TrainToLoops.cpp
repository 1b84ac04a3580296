//===- TrainToLoops.cpp - spec.train_step to the batch loop ---------------===//
//
// One batch of training as loops with every shape and hyper-parameter a
// constant:
//
//   func @specjit_kernel(%args, %out, %n) -> i64     the kernel ABI entry
//   func private @specjit_train_body(noalias pointers..., %n, %mode) -> i64
//
// With `batch_rows` B the body holds the step twice, for n == B with B a
// constant (every batch but an epoch's last) and for any n.
//
// The body runs, for the batch's `n` rows (indices into the feature matrix),
//   1. forward: per layer, per row, per output a dot product over the
//      inputs (from i = 0 up; with 8 inputs or more as four interleaved
//      partial sums, then the rest; then the bias added) and the
//      activation, into the layer's activation buffer;
//   2. the per-row loss, summed in row order into *out, and d(loss)/dz
//      (divided by n) times the output activation's derivative;
//   3. (mode 0) backward: per layer from the last, the weight and bias
//      gradients summed over the rows in order, plus l2 * W, and the
//      previous layer's deltas through the weights;
//   4. (mode 0) the optimizer step over every parameter.
//
// The operation order is exactly that of the generic loop in
// lib/Families/Train/Trainer.cpp, so the two agree bit for bit: no sum is
// reassociated, and exp/log/log1p/tanh/pow are calls of the C library's
// scalar functions declared `nobuiltin`, so neither of LLVM's vectorizers
// swaps them for a vector math library's variants (which round
// differently), and MLIR's own math.log1p lowering (log(1 + x)) is not
// used. What LLVM vectorizes is the elementwise work without them: the
// gradient rows, the delta rows and the optimizer update.
//
//===----------------------------------------------------------------------===//

#include "TrainToLoops.h"

#include "LLVMAccess.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "Runtime/KernelABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using specjit::spec::TrainStepOp;

namespace specjit {
namespace {

/// The argument slots of the kernel (see TrainStepOp's description).
enum Slot : int64_t {
  kFeatures,
  kLabels,
  kRows,
  kParams,
  kMoment1,
  kMoment2,
  kScratch,
  kStep,
  kMode,
  kSlots
};

/// Dot products of at least this many terms use four partial sums (the
/// generic loop's kDotSplit, docs/train-semantics.md).
constexpr int64_t kDotSplit = 8;

class TrainLowering {
public:
  explicit TrainLowering(TrainStepOp op)
      : op(op), b(op), loc(op.getLoc()), widths(op.getWidths()) {
    for (Attribute a : op.getActivations())
      activations.push_back(cast<StringAttr>(a).getValue());
    int64_t offset = 0;
    for (size_t l = 0; l + 1 < widths.size(); ++l) {
      wOffset.push_back(offset);
      offset += widths[l] * widths[l + 1];
      bOffset.push_back(offset);
      offset += widths[l + 1];
      outPrefix.push_back(sumOut);
      sumOut += widths[l + 1];
    }
    paramCount = offset;
  }
  LogicalResult run();

private:
  Type f64() { return b.getF64Type(); }
  Value c64(int64_t v) { return i64(b, loc, v); }
  Value cf(double v) { return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(v)); }
  Value add(Value x, Value y) {
    return x.getType().isF64() ? b.create<arith::AddFOp>(loc, x, y).getResult()
                               : b.create<arith::AddIOp>(loc, x, y).getResult();
  }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value mul(Value x, Value y) {
    return x.getType().isF64() ? b.create<arith::MulFOp>(loc, x, y).getResult()
                               : b.create<arith::MulIOp>(loc, x, y).getResult();
  }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) { return b.create<arith::SelectOp>(loc, c, x, y); }
  /// A call of the C library's `name` (see mathFn).
  Value call(StringRef name, ValueRange operands) {
    return b.create<func::CallOp>(loc, mathFn(name, operands.size()), operands)
        .getResult(0);
  }
  Value exp(Value x) { return call("exp", x); }
  func::FuncOp mathFn(StringRef name, unsigned arity);
  Value load(Value base, Value index, Type t = {}) {
    return loadAt(b, loc, t ? t : f64(), base, index);
  }
  void store(Value v, Value base, Value index) { storeAt(b, loc, v, base, index); }
  Value at(Value base, Value offset) {
    return elementAddress(b, loc, f64(), base, offset);
  }

  /// for (iv = lb; iv < ub; ++iv) body(iv)
  template <typename F> void loop(Value lb, Value ub, F body) {
    auto f = b.create<scf::ForOp>(loc, lb, ub, c64(1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(f.getBody()->getTerminator());
    body(f.getInductionVar());
  }
  template <typename F> void loop(int64_t n, F body) { loop(c64(0), c64(n), body); }
  /// acc = init; for (iv = lb; iv < ub; ++iv) acc = body(iv, acc); acc
  template <typename F> Value reduce(Value lb, Value ub, Value init, F body) {
    auto f = b.create<scf::ForOp>(loc, lb, ub, c64(1), ValueRange{init});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    Value next = body(f.getInductionVar(), f.getRegionIterArgs()[0]);
    b.create<scf::YieldOp>(loc, next);
    return f.getResult(0);
  }
  /// if (cond) body()
  template <typename F> void when(Value cond, F body) {
    auto i = b.create<scf::IfOp>(loc, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(i.thenBlock()->getTerminator());
    body();
  }

  /// sum_i w[i] v[i] over `len` terms in the order of docs/train-semantics.md.
  Value dot(Value w, Value v, int64_t len);
  Value activate(StringRef act, Value x);
  Value derivative(StringRef act, Value a);
  Value softplus(Value t);
  Value log1p(Value x);
  /// The input row of layer `l` for batch row `r`.
  Value inputRow(size_t l, Value r);
  void forward();
  void lossAndDeltas();
  void backward();
  void update();
  /// The whole step over `rowCount` rows (a constant or the argument).
  void emitStep(Value rowCount);

  TrainStepOp op;
  OpBuilder b;
  Location loc;
  ArrayRef<int64_t> widths;
  SmallVector<StringRef> activations;
  SmallVector<int64_t> wOffset, bOffset, outPrefix;
  int64_t sumOut = 0, paramCount = 0;
  Operation *mathAnchor = nullptr; ///< the math declarations go before it
  llvm::StringMap<func::FuncOp> mathFns;
  // Body arguments.
  Value x, y, rows, params, m1, m2, scratch, stepCount, out, n, mode;
  // Derived in the body: n as f64, the buffers' bases.
  Value nf, acts, deltas, grads;
};

Value TrainLowering::activate(StringRef act, Value v) {
  if (act == "relu")
    return select(cmp(arith::CmpFPredicate::OGT, v, cf(0.0)), v, cf(0.0));
  if (act == "tanh")
    return call("tanh", v);
  if (act == "logistic")
    return div(cf(1.0), add(cf(1.0), exp(b.create<arith::NegFOp>(loc, v))));
  return v;
}

Value TrainLowering::derivative(StringRef act, Value a) {
  if (act == "relu")
    return select(cmp(arith::CmpFPredicate::OGT, a, cf(0.0)), cf(1.0), cf(0.0));
  if (act == "tanh")
    return sub(cf(1.0), mul(a, a));
  if (act == "logistic")
    return mul(a, sub(cf(1.0), a));
  return cf(1.0);
}

Value TrainLowering::log1p(Value v) { return call("log1p", v); }

/// The C library's f64 function `name`, declared once in the module as
/// `nobuiltin`: LLVM calls exactly it, as the generic loop does.
func::FuncOp TrainLowering::mathFn(StringRef name, unsigned arity) {
  auto it = mathFns.find(name);
  if (it != mathFns.end())
    return it->second;
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(mathAnchor);
  SmallVector<Type> args(arity, f64());
  auto fn = b.create<func::FuncOp>(loc, name, FunctionType::get(b.getContext(), args, {f64()}));
  fn.setPrivate();
  fn->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("nobuiltin"),
                                             b.getStringAttr("nounwind"),
                                             b.getStringAttr("willreturn")}));
  mathFns[name] = fn;
  return fn;
}

/// max(t, 0) + log1p(exp(-|t|)), with max as std::max spells it.
Value TrainLowering::softplus(Value t) {
  Value mx = select(cmp(arith::CmpFPredicate::OLT, t, cf(0.0)), cf(0.0), t);
  Value e = exp(b.create<arith::NegFOp>(loc, b.create<math::AbsFOp>(loc, t)));
  return add(mx, log1p(e));
}

Value TrainLowering::inputRow(size_t l, Value r) {
  if (l == 0) {
    Value row = load(rows, r, b.getI64Type());
    return at(x, mul(row, c64(widths[0])));
  }
  Value prev = at(acts, mul(n, c64(outPrefix[l - 1])));
  return at(prev, mul(r, c64(widths[l])));
}

Value TrainLowering::dot(Value w, Value v, int64_t len) {
  auto term = [&](Value i) { return mul(load(w, i), load(v, i)); };
  auto tail = [&](int64_t from, Value init) {
    return reduce(c64(from), c64(len), init,
                  [&](Value i, Value acc) { return add(acc, term(i)); });
  };
  if (len < kDotSplit)
    return tail(0, cf(0.0));
  // Four interleaved partial sums over the first len - len % 4 terms.
  int64_t quads = len - len % 4;
  SmallVector<Value> zeros(4, cf(0.0));
  auto f = b.create<scf::ForOp>(loc, c64(0), c64(quads), c64(4), zeros);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    SmallVector<Value> next;
    for (int64_t j = 0; j < 4; ++j)
      next.push_back(add(f.getRegionIterArgs()[j], term(add(f.getInductionVar(), c64(j)))));
    b.create<scf::YieldOp>(loc, next);
  }
  Value s = add(add(f.getResult(0), f.getResult(1)), add(f.getResult(2), f.getResult(3)));
  return tail(quads, s);
}

void TrainLowering::forward() {
  for (size_t l = 0; l < activations.size(); ++l) {
    int64_t in = widths[l], outs = widths[l + 1];
    Value w = at(params, c64(wOffset[l])), bias = at(params, c64(bOffset[l]));
    Value layer = at(acts, mul(n, c64(outPrefix[l])));
    loop(c64(0), n, [&](Value r) {
      Value input = inputRow(l, r);
      Value outRow = at(layer, mul(r, c64(outs)));
      loop(outs, [&](Value o) {
        Value wRow = at(w, mul(o, c64(in)));
        Value s = dot(wRow, input, in);
        store(activate(activations[l], add(s, load(bias, o))), outRow, o);
      });
    });
  }
}

void TrainLowering::lossAndDeltas() {
  size_t last = activations.size() - 1;
  int64_t k = widths.back();
  StringRef loss = op.getLoss();
  Value z = at(acts, mul(n, c64(outPrefix[last])));
  Value d = at(deltas, mul(n, c64(outPrefix[last])));
  Value total = reduce(c64(0), n, cf(0.0), [&](Value r, Value acc) {
    Value zr = at(z, mul(r, c64(k))), dr = at(d, mul(r, c64(k)));
    Value label = load(y, load(rows, r, b.getI64Type()));
    Value rowLoss;
    if (loss == "mse") {
      Value e = sub(load(zr, c64(0)), label);
      rowLoss = mul(e, e);
      store(div(mul(cf(2.0), e), nf), dr, c64(0));
    } else if (loss == "log_loss") {
      Value z0 = load(zr, c64(0));
      Value isOne = cmp(arith::CmpFPredicate::OEQ, label, cf(1.0));
      rowLoss = select(isOne, softplus(b.create<arith::NegFOp>(loc, z0)), softplus(z0));
      Value p = div(cf(1.0), add(cf(1.0), exp(b.create<arith::NegFOp>(loc, z0))));
      store(div(sub(p, label), nf), dr, c64(0));
    } else {
      // Cross-entropy: the first largest margin, the exponentials kept in
      // the delta row while they are summed, then normalized.
      Value mx = reduce(c64(1), c64(k), load(zr, c64(0)), [&](Value c, Value m) {
        Value zc = load(zr, c);
        return select(cmp(arith::CmpFPredicate::OLT, m, zc), zc, m);
      });
      Value sum = reduce(c64(0), c64(k), cf(0.0), [&](Value c, Value s) {
        Value e = exp(sub(load(zr, c), mx));
        store(e, dr, c);
        return add(s, e);
      });
      Value cls = b.create<arith::FPToSIOp>(loc, b.getI64Type(), label);
      rowLoss = sub(add(mx, call("log", sum)), load(zr, cls));
      loop(k, [&](Value c) {
        Value isCls = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, c, cls);
        Value onehot = select(isCls, cf(1.0), cf(0.0));
        store(div(sub(div(load(dr, c), sum), onehot), nf), dr, c);
      });
    }
    StringRef act = activations[last];
    if (act != "identity")
      loop(k, [&](Value c) {
        store(mul(load(dr, c), derivative(act, load(zr, c))), dr, c);
      });
    return add(acc, rowLoss);
  });
  store(total, out, c64(0));
}

void TrainLowering::backward() {
  double l2 = op.getL2().convertToDouble();
  for (size_t l = activations.size(); l-- > 0;) {
    int64_t in = widths[l], outs = widths[l + 1];
    Value gW = at(grads, c64(wOffset[l])), gB = at(grads, c64(bOffset[l]));
    Value w = at(params, c64(wOffset[l]));
    Value d = at(deltas, mul(n, c64(outPrefix[l])));
    loop(in * outs + outs, [&](Value i) { store(cf(0.0), gW, i); });
    loop(c64(0), n, [&](Value r) {
      Value input = inputRow(l, r);
      Value dRow = at(d, mul(r, c64(outs)));
      loop(outs, [&](Value o) {
        Value dro = load(dRow, o);
        store(add(load(gB, o), dro), gB, o);
        Value gRow = at(gW, mul(o, c64(in)));
        loop(in, [&](Value i) { store(add(load(gRow, i), mul(dro, load(input, i))), gRow, i); });
      });
    });
    if (l2 != 0.0)
      loop(in * outs, [&](Value i) { store(add(load(gW, i), mul(cf(l2), load(w, i))), gW, i); });
    if (l == 0)
      continue;
    // The previous layer's deltas, through these weights (not yet updated).
    int64_t prevOuts = widths[l];
    StringRef prevAct = activations[l - 1];
    Value a = at(acts, mul(n, c64(outPrefix[l - 1])));
    Value dp = at(deltas, mul(n, c64(outPrefix[l - 1])));
    loop(c64(0), n, [&](Value r) {
      Value dRow = at(d, mul(r, c64(outs)));
      Value dpRow = at(dp, mul(r, c64(prevOuts)));
      Value aRow = at(a, mul(r, c64(prevOuts)));
      loop(prevOuts, [&](Value i) { store(cf(0.0), dpRow, i); });
      loop(outs, [&](Value o) {
        Value dro = load(dRow, o);
        Value wRow = at(w, mul(o, c64(in)));
        loop(in, [&](Value i) { store(add(load(dpRow, i), mul(load(wRow, i), dro)), dpRow, i); });
      });
      loop(prevOuts, [&](Value i) {
        store(mul(load(dpRow, i), derivative(prevAct, load(aRow, i))), dpRow, i);
      });
    });
  }
}

void TrainLowering::update() {
  double lr = op.getLearningRate().convertToDouble();
  Value t = add(load(stepCount, c64(0), b.getI64Type()), c64(1));
  store(t, stepCount, c64(0));
  // Layer by layer, weights then biases, as the generic loop steps them.
  if (op.getOptimizer() == "sgd") {
    double mu = op.getMomentum().convertToDouble();
    loop(paramCount, [&](Value i) {
      Value v = add(mul(cf(mu), load(m1, i)), load(grads, i));
      store(v, m1, i);
      store(sub(load(params, i), mul(cf(lr), v)), params, i);
    });
    return;
  }
  double b1 = op.getBeta1().convertToDouble(), b2 = op.getBeta2().convertToDouble();
  double eps = op.getEpsilon().convertToDouble();
  Value tf = b.create<arith::SIToFPOp>(loc, f64(), t);
  Value c1 = sub(cf(1.0), call("pow", ValueRange{cf(b1), tf}));
  Value c2 = sub(cf(1.0), call("pow", ValueRange{cf(b2), tf}));
  loop(paramCount, [&](Value i) {
    Value g = load(grads, i);
    Value m = add(mul(cf(b1), load(m1, i)), mul(cf(1.0 - b1), g));
    Value v = add(mul(cf(b2), load(m2, i)), mul(cf(1.0 - b2), mul(g, g)));
    store(m, m1, i);
    store(v, m2, i);
    Value stepSize = div(mul(cf(lr), div(m, c1)),
                         add(b.create<math::SqrtOp>(loc, div(v, c2)), cf(eps)));
    store(sub(load(params, i), stepSize), params, i);
  });
}

void TrainLowering::emitStep(Value rowCount) {
  n = rowCount;
  nf = b.create<arith::SIToFPOp>(loc, f64(), n);
  acts = scratch;
  deltas = at(scratch, mul(n, c64(sumOut)));
  grads = at(scratch, mul(n, c64(2 * sumOut)));
  forward();
  lossAndDeltas();
  Value training = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, mode, c64(0));
  when(training, [&] {
    backward();
    update();
  });
}

LogicalResult TrainLowering::run() {
  MLIRContext *ctx = b.getContext();
  Type ptr = ptrType(b), i64t = b.getI64Type();
  b.setInsertionPoint(op);
  mathAnchor = op;

  // The body: every buffer a noalias pointer, then n and the mode.
  SmallVector<Type> bodyArgs(kSlots - 1, ptr); // all slots but the mode
  bodyArgs.push_back(ptr);                     // out
  bodyArgs.push_back(i64t);                    // n
  bodyArgs.push_back(i64t);                    // mode
  auto bodyFn = b.create<func::FuncOp>(loc, "specjit_train_body",
                                       FunctionType::get(ctx, bodyArgs, {i64t}));
  bodyFn.setPrivate();
  for (unsigned i = 0; i < kSlots; ++i)
    bodyFn.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  {
    OpBuilder::InsertionGuard g(b);
    Block *entry = bodyFn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    x = entry->getArgument(kFeatures);
    y = entry->getArgument(kLabels);
    rows = entry->getArgument(kRows);
    params = entry->getArgument(kParams);
    m1 = entry->getArgument(kMoment1);
    m2 = entry->getArgument(kMoment2);
    scratch = entry->getArgument(kScratch);
    stepCount = entry->getArgument(kStep);
    out = entry->getArgument(kSlots - 1);
    Value rowsArg = entry->getArgument(kSlots);
    mode = entry->getArgument(kSlots + 1);
    int64_t batch = op.getBatchRows();
    if (batch > 0) {
      // The full batches with the row count folded in, the rest generic.
      Value full = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rowsArg,
                                           c64(batch));
      auto split = b.create<scf::IfOp>(loc, full, /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(split.thenBlock()->getTerminator());
        emitStep(c64(batch));
        b.setInsertionPoint(split.elseBlock()->getTerminator());
        emitStep(rowsArg);
      }
    } else {
      emitStep(rowsArg);
    }
    b.create<func::ReturnOp>(loc, ValueRange{c64(0)});
  }

  // The entry: the kernel ABI; the mode is read through its slot.
  auto entryFn = b.create<func::FuncOp>(
      loc, kKernelEntryName, FunctionType::get(ctx, {ptr, ptr, i64t}, {i64t}));
  Block *eb = entryFn.addEntryBlock();
  b.setInsertionPointToStart(eb);
  Value args = eb->getArgument(0);
  SmallVector<Value> callArgs;
  for (int64_t s = 0; s < kMode; ++s)
    callArgs.push_back(loadAt(b, loc, ptr, args, c64(s)));
  callArgs.push_back(eb->getArgument(1));
  callArgs.push_back(eb->getArgument(2));
  Value modePtr = loadAt(b, loc, ptr, args, c64(kMode));
  callArgs.push_back(loadAt(b, loc, i64t, modePtr, c64(0)));
  auto call = b.create<func::CallOp>(loc, bodyFn, callArgs);
  b.create<func::ReturnOp>(loc, call.getResults());
  op.erase();
  return success();
}

} // namespace

LogicalResult lowerTrainStep(TrainStepOp op) { return TrainLowering(op).run(); }

} // namespace specjit
