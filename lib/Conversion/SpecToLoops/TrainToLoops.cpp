//===- TrainToLoops.cpp - spec.train_step to the batch loop ---------------===//
//
// One batch of training as loops with every shape and hyper-parameter a
// constant:
//
//   func @specjit_kernel(%args, %out, %n) -> i64     the kernel ABI entry
//   func private @specjit_train_body(noalias pointers..., %n, %mode) -> i64
//
// With `batch_rows` B the body holds the step twice, for n == B with B a
// constant (every batch but an epoch's last) and for any n. With
// `epoch_batch` the entry also runs a whole epoch (mode 2): the batches in
// order, each through the body, the losses summed in batch order, and the
// stop conditions (a non-finite loss, the cancellation and time-limit
// flags) checked after every batch, so the epoch costs one call instead of
// one per batch.
//
// The body runs, for the batch's `n` rows (indices into the feature matrix),
//   1. forward: per layer, per row, per output a dot product over the
//      inputs (from i = 0 up; with 8 inputs or more as four interleaved
//      partial sums, then the rest; then the bias added) and the
//      activation, into the layer's activation buffer;
//   2. the per-row loss, summed in row order into *out, and d(loss)/dz
//      (divided by n) times the output activation's derivative;
//   3. (mode 0) backward and update: per layer from the last, the previous
//      layer's deltas through the weights, then per output its weight row's
//      and bias's gradients summed over the rows in order, plus l2 * W, and
//      at once the optimizer's update of that row and bias (so only one
//      row of gradients is live at a time).
//
// With `batch_rows` 1, a linear model's copy for one row (emitRowStep) keeps
// the margins, the loss and the deltas as values instead of scratch rows,
// and runs the update before the loss: per row the work is one dependent
// chain (dot product, link, update, the next row's dot product), which the
// loss's library calls then no longer sit in. Such kernels ask for 256-bit
// vectors (the update's stores feed the next row's loads, and pieces of a
// 512-bit store forward slowly) and, with `epoch_batch` 1, inline the body
// into the epoch loop.
//
// The operation order is exactly that of the generic loop in
// lib/Families/Train/Trainer.cpp, so the two agree bit for bit: no sum is
// reassociated, and exp/log/tanh/pow are calls of the C library's scalar
// functions declared `nobuiltin`, so neither of LLVM's vectorizers swaps
// them for a vector math library's variants (which round differently);
// log1p is log(u) + (x - (u - 1)) / u with u = 1 + x in both. What LLVM
// vectorizes is the elementwise work without them: the forward pass across
// a wide layer's outputs, the gradient rows, the delta rows and the
// optimizer update.
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

#include <limits>

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
  kCancel,
  kDeadline,
  kBatches,
  kSlots
};

/// What the entry returns in mode 2 (Trainer.h's EpochStatus).
enum EpochStatus : int64_t { kEpochDone, kLossNotFinite, kCancelled, kTimeLimit };

/// Dot products of at least this many terms use four partial sums (the
/// generic loop's kDotSplit, docs/train-semantics.md).
constexpr int64_t kDotSplit = 8;

class TrainLowering {
public:
  explicit TrainLowering(TrainStepOp op) : op(op), b(op), loc(op.getLoc()), widths(op.getWidths()) {
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
      maxOut = std::max(maxOut, widths[l + 1]);
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
                               : indexAdd(b, loc, x, y);
  }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value mul(Value x, Value y) {
    return x.getType().isF64() ? b.create<arith::MulFOp>(loc, x, y).getResult()
                               : indexMul(b, loc, x, y);
  }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) { return b.create<arith::SelectOp>(loc, c, x, y); }
  /// A call of the C library's `name` (see mathFn).
  Value call(StringRef name, ValueRange operands) {
    return b.create<func::CallOp>(loc, mathFn(name, operands.size()), operands).getResult(0);
  }
  Value exp(Value x) { return call("exp", x); }
  func::FuncOp mathFn(StringRef name, unsigned arity);
  Value load(Value base, Value index, Type t = {}) {
    return loadAt(b, loc, t ? t : f64(), base, index);
  }
  void store(Value v, Value base, Value index) { storeAt(b, loc, v, base, index); }
  Value at(Value base, Value offset) { return elementAddress(b, loc, f64(), base, offset); }

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
  /// The per-row formulas of docs/train-semantics.md, shared by the batch
  /// step and the row step so the two cannot drift apart: a row's mse or
  /// log_loss from its margin `z` and label, d(loss)/dz over `count` rows,
  /// and a weight's gradient with the l2 term.
  Value mseDelta(Value e, Value count) { return div(mul(cf(2.0), e), count); }
  Value logLoss(Value z, Value label);
  Value logisticDelta(Value z, Value label, Value count) {
    Value p = div(cf(1.0), add(cf(1.0), exp(b.create<arith::NegFOp>(loc, z))));
    return div(sub(p, label), count);
  }
  Value softmaxDelta(Value e, Value sum, Value isClass, Value count) {
    return div(sub(div(e, sum), select(isClass, cf(1.0), cf(0.0))), count);
  }
  /// g + l2 * wRow[i] (wRow[i] read only when l2 is not 0).
  Value withL2(Value g, Value wRow, Value i) {
    double l2 = op.getL2().convertToDouble();
    return l2 != 0.0 ? add(g, mul(cf(l2), load(wRow, i))) : g;
  }
  /// The input row of layer `l` for batch row `r`.
  Value inputRow(size_t l, Value r);
  void forward();
  void forwardAcrossOutputs(size_t l);
  void lossAndDeltas();
  /// Backward and the optimizer step, layer by layer from the last.
  void backward();
  /// What every parameter's update shares: adam's bias corrections.
  struct OptimizerStep {
    Value c1, c2;
  };
  /// t += 1, and adam's corrections for it.
  OptimizerStep beginUpdate();
  /// The optimizer's update of params[i] with gradient `g`.
  void updateParameter(const OptimizerStep &s, Value i, Value g);
  /// The whole step over `rowCount` rows (a constant or the argument).
  void emitStep(Value rowCount);
  /// Whether a batch of one row takes emitRowStep: a linear model with few
  /// enough outputs to keep as values.
  bool hasRowStep() const;
  /// The step for a batch of exactly one row of a linear model, with the
  /// margins, the loss and the deltas as values instead of scratch rows.
  void emitRowStep();
  template <typename CallBody>
  Value emitEpoch(Value args, Value rowIndices, Value outArg, Value m, int64_t batch,
                  CallBody callBody);

  TrainStepOp op;
  OpBuilder b;
  Location loc;
  ArrayRef<int64_t> widths;
  SmallVector<StringRef> activations;
  SmallVector<int64_t> wOffset, bOffset, outPrefix;
  int64_t sumOut = 0, paramCount = 0, maxOut = 0;
  Operation *mathAnchor = nullptr; ///< the math declarations go before it
  llvm::StringMap<func::FuncOp> mathFns;
  // Body arguments.
  Value x, y, rows, params, m1, m2, scratch, stepCount, out, n, mode;
  // Derived in the body: n as f64, the buffers' bases.
  Value nf, acts, deltas, grads, transposed, accs;
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

/// log1p(x) as log(u) + (x - (u - 1)) / u with u = 1 + x: the C
/// library's log, which is several times cheaper than its log1p, and the
/// rounding error of 1 + x put back (the generic loop's log1pFromLog).
Value TrainLowering::log1p(Value v) {
  Value u = add(cf(1.0), v);
  return add(call("log", u), div(sub(v, sub(u, cf(1.0))), u));
}

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
  fn->setAttr("passthrough",
              b.getArrayAttr({b.getStringAttr("nobuiltin"), b.getStringAttr("nounwind"),
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

/// softplus(-z) for y = 1, softplus(z) else: one softplus of the selected
/// margin (the same bits as selecting between two).
Value TrainLowering::logLoss(Value z, Value label) {
  Value isOne = cmp(arith::CmpFPredicate::OEQ, label, cf(1.0));
  return softplus(select(isOne, b.create<arith::NegFOp>(loc, z), z));
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
    return reduce(c64(from), c64(len), init, [&](Value i, Value acc) { return add(acc, term(i)); });
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
  Value low = add(f.getResult(0), f.getResult(1)), high = add(f.getResult(2), f.getResult(3));
  Value s = add(low, high);
  return tail(quads, s);
}

/// Layers of at most this many inputs have their dot products unrolled
/// over the inputs when they run forward across the outputs.
constexpr int64_t kMaxUnrolledInputs = 64;

/// Backward sums the weight gradients of this many outputs at once, over
/// this many rows per load and store of each sum.
constexpr int64_t kGradientBlock = 8;
constexpr int64_t kGradientRows = 4;

/// Layers of at least this many outputs run forward with the outputs in
/// vector lanes (below it a row's few dot products are cheaper one by one).
constexpr int64_t kLaneOutputs = 8;
/// ... when batches have at least this many rows, over which the
/// transposition of the weights is spread (0: any batch size).
constexpr int64_t kLaneMinBatch = 8;

/// The forward pass of layer `l` with the outputs innermost: the weights
/// transposed once per batch, then per row each input's column of weights
/// added into per-output accumulators, which LLVM vectorizes across the
/// outputs. Per output the terms go into the same four partial sums in the
/// same order as dot(), so the values are bit for bit the same.
void TrainLowering::forwardAcrossOutputs(size_t l) {
  int64_t in = widths[l], outs = widths[l + 1];
  Value w = at(params, c64(wOffset[l])), bias = at(params, c64(bOffset[l]));
  Value wt = at(transposed, c64(wOffset[l]));
  Value layer = at(acts, mul(n, c64(outPrefix[l])));
  loop(outs, [&](Value o) {
    loop(in, [&](Value i) {
      // Operands as locals, so the IR's order does not depend on the
      // compiler's order of evaluating arguments.
      Value from = add(mul(o, c64(in)), i);
      Value to = add(mul(i, c64(outs)), o);
      store(load(w, from), wt, to);
    });
  });
  const bool split = in >= kDotSplit;
  const int64_t sums = split ? 4 : 1, quads = split ? in - in % 4 : 0;
  auto acc = [&](int64_t j) { return at(accs, c64(j * outs)); };
  // acc_j[o] += W[o][i] * x[i] for every output o.
  auto addColumn = [&](Value input, Value i, Value accRow) {
    Value xi = load(input, i);
    Value column = at(wt, mul(i, c64(outs)));
    loop(outs, [&](Value o) { store(add(load(accRow, o), mul(load(column, o), xi)), accRow, o); });
  };
  if (in <= kMaxUnrolledInputs) {
    // Each output's sums whole in registers: the terms over the inputs
    // unrolled (the inputs loaded once per row, outside the loop over the
    // outputs), the loop over the outputs vectorized; the activation in a
    // loop of its own, since its library call would stop the vectorizer.
    loop(c64(0), n, [&](Value r) {
      Value input = inputRow(l, r);
      Value outRow = at(layer, mul(r, c64(outs)));
      SmallVector<Value> xs;
      for (int64_t i = 0; i < in; ++i)
        xs.push_back(load(input, c64(i)));
      loop(outs, [&](Value o) {
        auto term = [&](int64_t i) { return mul(load(at(wt, c64(i * outs)), o), xs[i]); };
        SmallVector<Value> part(sums, cf(0.0));
        for (int64_t i = 0; i < quads; ++i)
          part[i % 4] = add(part[i % 4], term(i));
        Value sum = part[0];
        if (split) {
          Value low = add(part[0], part[1]), high = add(part[2], part[3]);
          sum = add(low, high);
        }
        for (int64_t i = quads; i < in; ++i)
          sum = add(sum, term(i));
        store(add(sum, load(bias, o)), outRow, o);
      });
      if (activations[l] != "identity")
        loop(outs, [&](Value o) { store(activate(activations[l], load(outRow, o)), outRow, o); });
    });
    return;
  }
  loop(c64(0), n, [&](Value r) {
    Value input = inputRow(l, r);
    Value outRow = at(layer, mul(r, c64(outs)));
    loop(sums * outs, [&](Value k) { store(cf(0.0), accs, k); });
    if (split) {
      loop(quads / 4, [&](Value q) {
        for (int64_t j = 0; j < 4; ++j)
          addColumn(input, add(mul(q, c64(4)), c64(j)), acc(j));
      });
    } else {
      loop(in, [&](Value i) { addColumn(input, i, acc(0)); });
    }
    loop(outs, [&](Value o) {
      Value s = load(acc(0), o);
      if (split) {
        Value a1 = load(acc(1), o), a2 = load(acc(2), o), a3 = load(acc(3), o);
        Value low = add(s, a1), high = add(a2, a3);
        s = add(low, high);
        for (int64_t i = quads; i < in; ++i)
          s = add(s, mul(load(at(wt, c64(i * outs)), o), load(input, c64(i))));
      }
      store(activate(activations[l], add(s, load(bias, o))), outRow, o);
    });
  });
}

void TrainLowering::forward() {
  const int64_t batch = op.getEpochBatchAttr().getInt();
  for (size_t l = 0; l < activations.size(); ++l) {
    int64_t in = widths[l], outs = widths[l + 1];
    if (outs >= kLaneOutputs && (batch == 0 || batch >= kLaneMinBatch)) {
      forwardAcrossOutputs(l);
      continue;
    }
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
      store(mseDelta(e, nf), dr, c64(0));
    } else if (loss == "log_loss") {
      Value z0 = load(zr, c64(0));
      rowLoss = logLoss(z0, label);
      store(logisticDelta(z0, label, nf), dr, c64(0));
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
        store(softmaxDelta(load(dr, c), sum, isCls, nf), dr, c);
      });
    }
    StringRef act = activations[last];
    if (act != "identity")
      loop(k, [&](Value c) { store(mul(load(dr, c), derivative(act, load(zr, c))), dr, c); });
    return add(acc, rowLoss);
  });
  store(total, out, c64(0));
}

void TrainLowering::backward() {
  OptimizerStep step = beginUpdate();
  for (size_t l = activations.size(); l-- > 0;) {
    int64_t in = widths[l], outs = widths[l + 1];
    Value w = at(params, c64(wOffset[l]));
    Value gW = at(grads, c64(wOffset[l])), gB = at(grads, c64(bOffset[l]));
    Value d = at(deltas, mul(n, c64(outPrefix[l])));
    if (l > 0) {
      // The previous layer's deltas, through these weights before their
      // update.
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
    // Block of outputs by block: their weight rows' gradients summed over
    // the rows in order (`block` rows of `in` accumulators, not the whole
    // matrix; the block's independent sums hide each other's latency), their
    // biases', plus l2 * W, then the update of those rows and biases. Each
    // gradient is the same sum in the same order as the generic loop's.
    auto gradientBlock = [&](Value first, int64_t block) {
      SmallVector<Value> outputs;
      for (int64_t j = 0; j < block; ++j)
        outputs.push_back(add(first, c64(j)));
      for (Value o : outputs) {
        Value gRow = at(gW, mul(o, c64(in)));
        loop(in, [&](Value i) { store(cf(0.0), gRow, i); });
        store(cf(0.0), gB, o);
      }
      // Rows r .. r + count - 1 added into the block's sums: each sum
      // loaded and stored once per `count` rows, its terms still added one
      // row after the other.
      auto addRows = [&](Value r, int64_t count) {
        SmallVector<Value> inputs, rowsAt;
        for (int64_t u = 0; u < count; ++u) {
          rowsAt.push_back(add(r, c64(u)));
          inputs.push_back(inputRow(l, rowsAt.back()));
        }
        for (Value o : outputs) {
          SmallVector<Value> dro;
          Value gb = load(gB, o);
          for (int64_t u = 0; u < count; ++u) {
            dro.push_back(load(d, add(mul(rowsAt[u], c64(outs)), o)));
            gb = add(gb, dro.back());
          }
          store(gb, gB, o);
          Value gRow = at(gW, mul(o, c64(in)));
          loop(in, [&](Value i) {
            Value g = load(gRow, i);
            for (int64_t u = 0; u < count; ++u)
              g = add(g, mul(dro[u], load(inputs[u], i)));
            store(g, gRow, i);
          });
        }
      };
      Value whole =
          b.create<arith::SubIOp>(loc, n, b.create<arith::RemSIOp>(loc, n, c64(kGradientRows)));
      auto unrolled = b.create<scf::ForOp>(loc, c64(0), whole, c64(kGradientRows));
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(unrolled.getBody()->getTerminator());
        addRows(unrolled.getInductionVar(), kGradientRows);
      }
      loop(whole, n, [&](Value r) { addRows(r, 1); });
      for (Value o : outputs) {
        Value gRow = at(gW, mul(o, c64(in))), wRow = at(w, mul(o, c64(in)));
        Value rowOffset = add(c64(wOffset[l]), mul(o, c64(in)));
        loop(in, [&](Value i) {
          Value g = withL2(load(gRow, i), wRow, i);
          updateParameter(step, add(rowOffset, i), g);
        });
        Value biasGradient = load(gB, o);
        updateParameter(step, add(c64(bOffset[l]), o), biasGradient);
      }
    };
    const int64_t block = std::min(outs, kGradientBlock), blocks = outs / block;
    loop(blocks, [&](Value k) { gradientBlock(mul(k, c64(block)), block); });
    for (int64_t o = blocks * block; o < outs; ++o)
      gradientBlock(c64(o), 1);
  }
}

TrainLowering::OptimizerStep TrainLowering::beginUpdate() {
  OptimizerStep s;
  Value t = add(load(stepCount, c64(0), b.getI64Type()), c64(1));
  store(t, stepCount, c64(0));
  if (op.getOptimizer() == "adam") {
    Value tf = b.create<arith::SIToFPOp>(loc, f64(), t);
    s.c1 = sub(cf(1.0), call("pow", ValueRange{cf(op.getBeta1().convertToDouble()), tf}));
    s.c2 = sub(cf(1.0), call("pow", ValueRange{cf(op.getBeta2().convertToDouble()), tf}));
  }
  return s;
}

void TrainLowering::updateParameter(const OptimizerStep &s, Value i, Value g) {
  double lr = op.getLearningRate().convertToDouble();
  if (op.getOptimizer() == "sgd") {
    double mu = op.getMomentum().convertToDouble();
    if (mu == 0.0) { // v = g: no velocity to keep
      Value stepSize = mul(cf(lr), g);
      store(sub(load(params, i), stepSize), params, i);
      return;
    }
    Value v = add(mul(cf(mu), load(m1, i)), g);
    store(v, m1, i);
    Value stepSize = mul(cf(lr), v);
    store(sub(load(params, i), stepSize), params, i);
    return;
  }
  double b1 = op.getBeta1().convertToDouble(), b2 = op.getBeta2().convertToDouble();
  double eps = op.getEpsilon().convertToDouble();
  Value m = add(mul(cf(b1), load(m1, i)), mul(cf(1.0 - b1), g));
  Value v = add(mul(cf(b2), load(m2, i)), mul(cf(1.0 - b2), mul(g, g)));
  store(m, m1, i);
  store(v, m2, i);
  Value stepSize =
      div(mul(cf(lr), div(m, s.c1)), add(b.create<math::SqrtOp>(loc, div(v, s.c2)), cf(eps)));
  store(sub(load(params, i), stepSize), params, i);
}

/// A linear model of at most this many outputs trains single-row batches
/// with its margins and deltas as values (emitRowStep).
constexpr int64_t kMaxRowStepOutputs = 16;

bool TrainLowering::hasRowStep() const {
  return widths.size() == 2 && widths[1] <= kMaxRowStepOutputs;
}

// The same operations in the same order as emitStep over one row (so the
// same bits): the scratch round trips (the activation and delta rows, the
// zeroed gradient rows summed over one row) become values, which leaves the
// row's dependent chain (dot product, link, update) without stores and
// reloads in between. A batch of one row is SGDClassifier's per-sample
// update; its chain is the whole cost of an epoch.
void TrainLowering::emitRowStep() {
  n = c64(1);
  const int64_t in = widths[0], k = widths[1];
  StringRef act = activations[0], loss = op.getLoss();
  Value row = load(rows, c64(0), b.getI64Type());
  Value input = at(x, mul(row, c64(in)));
  Value w = at(params, c64(wOffset[0])), bias = at(params, c64(bOffset[0]));
  SmallVector<Value> a;
  for (int64_t o = 0; o < k; ++o)
    a.push_back(activate(act, add(dot(at(w, c64(o * in)), input, in), load(bias, c64(o)))));
  Value label = load(y, row);
  Value one = cf(1.0); // the batch's row count as f64, the deltas' divisor
  Value rowLoss;
  SmallVector<Value> d(k);
  if (loss == "mse") {
    Value e = sub(a[0], label);
    rowLoss = mul(e, e);
    d[0] = mseDelta(e, one);
  } else if (loss == "log_loss") {
    // The loss (two more library calls) waits until after the update.
    d[0] = logisticDelta(a[0], label, one);
  } else {
    Value mx = a[0];
    for (int64_t c = 1; c < k; ++c)
      mx = select(cmp(arith::CmpFPredicate::OLT, mx, a[c]), a[c], mx);
    Value sum = cf(0.0);
    for (int64_t c = 0; c < k; ++c) {
      d[c] = exp(sub(a[c], mx));
      sum = add(sum, d[c]);
    }
    Value cls = b.create<arith::FPToSIOp>(loc, b.getI64Type(), label);
    auto isClass = [&](int64_t c) {
      return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, cls, c64(c));
    };
    Value aCls = a[0];
    for (int64_t c = 1; c < k; ++c)
      aCls = select(isClass(c), a[c], aCls);
    rowLoss = sub(add(mx, call("log", sum)), aCls);
    for (int64_t c = 0; c < k; ++c)
      d[c] = softmaxDelta(d[c], sum, isClass(c), one);
  }
  if (act != "identity")
    for (int64_t c = 0; c < k; ++c)
      d[c] = mul(d[c], derivative(act, a[c]));
  // The update first: the next row's dot product waits for it, the loss
  // does not (its calls are ordered, so they go last in the row).
  Value training = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, mode, c64(0));
  when(training, [&] {
    OptimizerStep step = beginUpdate();
    for (int64_t o = 0; o < k; ++o) {
      Value wRow = at(w, c64(o * in));
      loop(in, [&](Value i) {
        Value g = add(cf(0.0), mul(d[o], load(input, i)));
        g = withL2(g, wRow, i);
        updateParameter(step, add(c64(wOffset[0] + o * in), i), g);
      });
      updateParameter(step, c64(bOffset[0] + o), add(cf(0.0), d[o]));
    }
  });
  if (loss == "log_loss")
    rowLoss = logLoss(a[0], label);
  store(add(cf(0.0), rowLoss), out, c64(0));
}

void TrainLowering::emitStep(Value rowCount) {
  n = rowCount;
  nf = b.create<arith::SIToFPOp>(loc, f64(), n);
  acts = scratch;
  deltas = at(scratch, mul(n, c64(sumOut)));
  grads = at(scratch, mul(n, c64(2 * sumOut)));
  transposed = at(grads, c64(paramCount));
  accs = at(transposed, c64(paramCount));
  forward();
  lossAndDeltas();
  Value training = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, mode, c64(0));
  when(training, [&] { backward(); });
}

LogicalResult TrainLowering::run() {
  MLIRContext *ctx = b.getContext();
  Type ptr = ptrType(b), i64t = b.getI64Type();
  b.setInsertionPoint(op);
  mathAnchor = op;

  // The body: every buffer a noalias pointer, then n and the mode.
  SmallVector<Type> bodyArgs(kMode, ptr); // the buffer slots
  bodyArgs.push_back(ptr);                // out
  bodyArgs.push_back(i64t);               // n
  bodyArgs.push_back(i64t);               // mode
  auto bodyFn =
      b.create<func::FuncOp>(loc, "specjit_train_body", FunctionType::get(ctx, bodyArgs, {i64t}));
  bodyFn.setPrivate();
  // Single-row steps: the epoch loop inlines the body, and 256-bit
  // vectors, since a row's update stores the weights the next row's dot
  // product loads in pieces, and pieces of a 512-bit store are not
  // forwarded to loads as cheaply (measured: 1.4x the time per row).
  const bool rowSteps = op.getBatchRows() == 1 && hasRowStep();
  auto rowStepAttrs = [&](Attribute first) {
    SmallVector<Attribute> attrs;
    if (first)
      attrs.push_back(first);
    attrs.push_back(
        b.getArrayAttr({b.getStringAttr("prefer-vector-width"), b.getStringAttr("256")}));
    return b.getArrayAttr(attrs);
  };
  if (rowSteps)
    bodyFn->setAttr(
        "passthrough",
        rowStepAttrs(op.getEpochBatch() == 1 ? b.getStringAttr("alwaysinline") : Attribute()));
  for (unsigned i = 0; i <= kMode; ++i)
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
    out = entry->getArgument(kMode);
    Value rowsArg = entry->getArgument(kMode + 1);
    mode = entry->getArgument(kMode + 2);
    int64_t batch = op.getBatchRows();
    if (batch > 0) {
      // The full batches with the row count folded in, the rest generic.
      Value full = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rowsArg, c64(batch));
      auto split = b.create<scf::IfOp>(loc, full, /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(split.thenBlock()->getTerminator());
        if (rowSteps)
          emitRowStep();
        else
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
  auto entryFn = b.create<func::FuncOp>(loc, kKernelEntryName,
                                        FunctionType::get(ctx, {ptr, ptr, i64t}, {i64t}));
  if (rowSteps)
    entryFn->setAttr("passthrough", rowStepAttrs({}));
  Block *eb = entryFn.addEntryBlock();
  b.setInsertionPointToStart(eb);
  Value args = eb->getArgument(0);
  SmallVector<Value> buffers;
  for (int64_t s = 0; s < kMode; ++s)
    buffers.push_back(loadAt(b, loc, ptr, args, c64(s)));
  Value outArg = eb->getArgument(1), nArg = eb->getArgument(2);
  Value modePtr = loadAt(b, loc, ptr, args, c64(kMode));
  Value modeArg = loadAt(b, loc, i64t, modePtr, c64(0));
  auto callBody = [&](Value rowIndices, Value lossOut, Value count, Value m) {
    SmallVector<Value> callArgs(buffers);
    callArgs[kRows] = rowIndices;
    callArgs.push_back(lossOut);
    callArgs.push_back(count);
    callArgs.push_back(m);
    b.create<func::CallOp>(loc, bodyFn, callArgs);
  };
  int64_t epochBatch = op.getEpochBatch();
  if (epochBatch == 0) {
    callBody(buffers[kRows], outArg, nArg, modeArg);
    b.create<func::ReturnOp>(loc, ValueRange{c64(0)});
    op.erase();
    return success();
  }
  Value isEpoch = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, modeArg, c64(2));
  auto split = b.create<scf::IfOp>(loc, TypeRange{i64t}, isEpoch, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(split.elseBlock());
    callBody(buffers[kRows], outArg, nArg, modeArg);
    b.create<scf::YieldOp>(loc, ValueRange{c64(0)});
    b.setInsertionPointToStart(split.thenBlock());
    b.create<scf::YieldOp>(loc,
                           emitEpoch(args, buffers[kRows], outArg, nArg, epochBatch, callBody));
  }
  b.create<func::ReturnOp>(loc, split.getResults());
  op.erase();
  return success();
}

/// Mode 2: batches of `batch` rows over the `m` row indices at `rowIndices`
/// in order, each trained by the body with its loss in out[1]; the sum in
/// out[0], the batch count in its slot; the EpochStatus as the result.
template <typename CallBody>
Value TrainLowering::emitEpoch(Value args, Value rowIndices, Value outArg, Value m, int64_t batch,
                               CallBody callBody) {
  Type i64t = b.getI64Type(), i8t = b.getI8Type(), ptr = ptrType(b);
  Value lastLoss = at(outArg, c64(1));
  Value cancelFlag = loadAt(b, loc, ptr, args, c64(kCancel));
  Value deadlineFlag = loadAt(b, loc, ptr, args, c64(kDeadline));
  Value batchesOut = loadAt(b, loc, ptr, args, c64(kBatches));
  // A flag byte, read atomically (the host may set it from another thread).
  auto flagSet = [&](Value flag) {
    Value v = b.create<LLVM::LoadOp>(loc, i8t, flag, /*alignment=*/1, /*isVolatile=*/false,
                                     /*isNonTemporal=*/false, /*isInvariant=*/false,
                                     LLVM::AtomicOrdering::monotonic);
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v,
                                   b.create<arith::ConstantOp>(loc, b.getI8IntegerAttr(0)));
  };
  // (first row, loss sum, batches, status)
  SmallVector<Type> types = {i64t, f64(), i64t, i64t};
  SmallVector<Value> init = {c64(0), cf(0.0), c64(0), c64(kEpochDone)};
  auto loop = b.create<scf::WhileOp>(loc, types, init);
  {
    OpBuilder::InsertionGuard g(b);
    Block *before =
        b.createBlock(&loop.getBefore(), {}, types, SmallVector<Location>(types.size(), loc));
    Value more = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, before->getArgument(0), m);
    Value running = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, before->getArgument(3),
                                            c64(kEpochDone));
    b.create<scf::ConditionOp>(loc, b.create<arith::AndIOp>(loc, more, running),
                               before->getArguments());
    Block *after =
        b.createBlock(&loop.getAfter(), {}, types, SmallVector<Location>(types.size(), loc));
    Value first = after->getArgument(0);
    Value count = b.create<arith::MinSIOp>(loc, c64(batch), b.create<arith::SubIOp>(loc, m, first));
    callBody(elementAddress(b, loc, i64t, rowIndices, first), lastLoss, count, c64(0));
    Value loss = load(lastLoss, c64(0));
    Value sum = add(after->getArgument(1), loss);
    Value batches = add(after->getArgument(2), c64(1));
    // Finite: ordered and |loss| != inf.
    Value finite = cmp(arith::CmpFPredicate::ONE, b.create<math::AbsFOp>(loc, loss),
                       cf(std::numeric_limits<double>::infinity()));
    Value cancelled = flagSet(cancelFlag), timeUp = flagSet(deadlineFlag);
    Value status = select(timeUp, c64(kTimeLimit), c64(kEpochDone));
    status = select(cancelled, c64(kCancelled), status);
    status = select(finite, status, c64(kLossNotFinite));
    b.create<scf::YieldOp>(loc, ValueRange{add(first, c64(batch)), sum, batches, status});
  }
  store(loop.getResult(1), outArg, c64(0));
  storeAt(b, loc, loop.getResult(2), batchesOut, c64(0));
  return loop.getResult(3);
}

} // namespace

LogicalResult lowerTrainStep(TrainStepOp op) { return TrainLowering(op).run(); }

} // namespace specjit
