//===- MetricsToLoops.cpp - spec.metrics_pass to the metrics kernel --------===//
//
// The eval family's statistics (Runtime/MetricsABI.h) as one pass over the
// rows, with the task, the class count, the threshold and the accumulators
// folded in:
//
//   func @specjit_kernel(%args, %out, %n) -> i64          the kernel ABI entry
//   func private @specjit_metrics_body(noalias pointers..., %n) -> i64
//   func private @specjit_metrics_pairwise_sum(%a, %n) -> f64
//
// The body walks the rows in buffers of 8192 (numpy's buffer size). For each
// row it reads the label and the score(s) once and, as the accumulators ask,
// counts the confusion cell (binary: four counters in registers; multiclass:
// the first argmax, a cell of `out`), writes the row's log loss, squared and
// absolute error into the buffer's term arrays in scratch, checks the scores
// are finite and (multiclass roc_auc) that they sum to 1. At the end of each
// buffer the term arrays are summed with numpy's pairwise summation and
// added to the running sums, which is exactly how numpy's add.reduce
// traverses an array; so every sum here has the bits of the generic code's
// (lib/Families/Eval/Metrics.cpp). r2's denominator needs mean(y) first, so
// with `r2` a second, label-only pass follows.
//
// Row sums over the k scores of one row (multiclass log loss and the
// probability check) are a pairwise sum too, its block structure unrolled
// at compile time because k is a constant. log is the C library's scalar
// function, declared `nobuiltin` as in the train step's lowering, so no
// vector math library changes its rounding.
//
//===----------------------------------------------------------------------===//

#include "MetricsToLoops.h"

#include "LLVMAccess.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "Runtime/KernelABI.h"
#include "Runtime/MetricsABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

#include <limits>

using namespace mlir;
using specjit::spec::MetricsPassOp;

namespace specjit {
namespace {

namespace abi = metrics_abi;

/// log_loss clips probabilities to [kEps, 1 - kEps] (docs/eval-semantics.md).
constexpr double kEps = 1e-15;
/// numpy's pairwise summation block.
constexpr int64_t kPairwiseBlock = 128;

/// The argument slots of the kernel.
enum Slot : int64_t { kLabels, kScores, kScratch, kSlots };

/// The values carried by the row loops. Within a buffer the two checks are
/// counted (an add reduction, which keeps the row loop vectorizable); a
/// buffer with a failing row is then scanned once for the first one.
enum Carried : size_t {
  kBad,     ///< rows with a non-finite score (buffer loop: 1 + the first, or 0)
  kBadProb, ///< rows whose scores do not sum to 1 (buffer loop: 1 + the first, or 0)
  kCount0,  ///< binary confusion counts, cell t * 2 + p
  kCount1,
  kCount2,
  kCount3,
  kRowCarried
};

class MetricsLowering {
public:
  explicit MetricsLowering(MetricsPassOp op) : op(op), b(op), loc(op.getLoc()) {
    StringRef task = op.getTask();
    binary = task == "binary";
    multiclass = task == "multiclass";
    k = op.getClasses();
    scoreColumns = multiclass ? k : 1;
    threshold = op.getThreshold().convertToDouble();
    for (Attribute a : op.getAccumulators()) {
      StringRef acc = cast<StringAttr>(a).getValue();
      counts |= acc == "counts";
      logLoss |= acc == "log_loss";
      squared |= acc == "squared_error" || acc == "r2";
      absolute |= acc == "absolute_error";
      r2 |= acc == "r2";
      rowSums |= acc == "row_sums";
    }
  }
  LogicalResult run();

private:
  Type f64() { return b.getF64Type(); }
  Type i64t() { return b.getI64Type(); }
  Value c64(int64_t v) { return i64(b, loc, v); }
  Value cf(double v) { return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(v)); }
  Value addf(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value subf(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value mulf(Value x, Value y) { return b.create<arith::MulFOp>(loc, x, y); }
  Value divf(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value addi(Value x, Value y) { return indexAdd(b, loc, x, y); }
  Value subi(Value x, Value y) { return b.create<arith::SubIOp>(loc, x, y); }
  Value muli(Value x, Value y) { return indexMul(b, loc, x, y); }
  Value cmpf(arith::CmpFPredicate p, Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, p, x, y);
  }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return b.create<arith::CmpIOp>(loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) { return b.create<arith::SelectOp>(loc, c, x, y); }
  Value fabs(Value x) { return b.create<math::AbsFOp>(loc, x); }
  Value zext(Value c) { return b.create<arith::ExtUIOp>(loc, i64t(), c); }
  Value load(Value base, Value index, Type t = {}) {
    return loadAt(b, loc, t ? t : f64(), base, index);
  }
  void store(Value v, Value base, Value index) { storeAt(b, loc, v, base, index); }
  Value at(Value base, Value offset, Type t = {}) {
    return elementAddress(b, loc, t ? t : f64(), base, offset);
  }

  /// for (iv = lb; iv < ub; iv += step) carried = body(iv, carried); the
  /// final carried values. `inits` is not empty.
  template <typename F>
  SmallVector<Value> carry(Value lb, Value ub, Value step, ValueRange inits, F body) {
    auto f = b.create<scf::ForOp>(loc, lb, ub, step, inits);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    SmallVector<Value> args(f.getRegionIterArgs());
    SmallVector<Value> next = body(f.getInductionVar(), args);
    b.create<scf::YieldOp>(loc, next);
    return SmallVector<Value>(f.getResults());
  }
  /// acc = init; for (iv = lb; iv < ub; ++iv) acc = body(iv, acc); acc
  template <typename F> Value reduce(Value lb, Value ub, Value init, F body) {
    return carry(
        lb, ub, c64(1), ValueRange{init},
        [&](Value iv, ArrayRef<Value> acc) -> SmallVector<Value> { return {body(iv, acc[0])}; })[0];
  }
  /// for (iv = 0; iv < n; ++iv) body(iv)
  template <typename F> void loop(int64_t n, F body) {
    auto f = b.create<scf::ForOp>(loc, c64(0), c64(n), c64(1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(f.getBody()->getTerminator());
    body(f.getInductionVar());
  }
  /// cond ? thenFn() : elseFn(), each yielding one value of type `t` (f64
  /// when not given).
  template <typename T, typename E> Value ifElse(Value cond, T thenFn, E elseFn, Type t = {}) {
    auto i = b.create<scf::IfOp>(loc, TypeRange{t ? t : f64()}, cond,
                                 /*withElseRegion=*/true);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(i.thenBlock());
    b.create<scf::YieldOp>(loc, thenFn());
    b.setInsertionPointToStart(i.elseBlock());
    b.create<scf::YieldOp>(loc, elseFn());
    return i.getResult(0);
  }

  /// The C library's log, declared once as `nobuiltin`.
  Value log(Value x);
  /// clip(p) as std::min(std::max(p, kEps), 1 - kEps) spells it.
  Value clip(Value p);
  /// numpy's pairwise sum of term(i) for i in [off, off + n), n a constant:
  /// the block structure of pairwise_sum unrolled at compile time.
  template <typename F> Value staticPairwise(F term, int64_t off, int64_t n);
  /// @specjit_metrics_pairwise_sum: numpy's pairwise_sum over a run-time
  /// length, recursive as numpy's.
  func::FuncOp emitPairwiseFn();
  Value pairwise(Value base, Value n) {
    return b.create<func::CallOp>(loc, pairwiseFn, ValueRange{base, n}).getResult(0);
  }
  /// One row `r` (buffer position `i`): terms into scratch, the carried
  /// checks and counts updated.
  SmallVector<Value> emitRow(Value r, Value i, ArrayRef<Value> carried);
  /// The scores of row `r` (row-major).
  Value scoreRow(Value r) { return at(scores, muli(r, c64(scoreColumns))); }
  /// Whether a score of the row at `row` is not finite (i1).
  Value notFinite(Value row);
  /// Whether the row's scores do not sum to 1 as np.allclose tests (i1).
  Value notProbabilities(Value row);
  /// `first` (1 + a row, or 0) after the buffer [base, base + len) in which
  /// `failed` rows failed `test`: the first failing row when there was none
  /// before, found by scanning the buffer again.
  template <typename F>
  Value firstFailure(Value first, Value failed, Value base, Value len, F test);
  void emitBody(func::FuncOp fn);

  MetricsPassOp op;
  OpBuilder b;
  Location loc;
  bool binary = false, multiclass = false;
  int64_t k = 0, scoreColumns = 1;
  double threshold = 0.5;
  bool counts = false, logLoss = false, squared = false, absolute = false, r2 = false,
       rowSums = false;
  func::FuncOp logFn, pairwiseFn;
  // Body arguments and the term arrays of scratch.
  Value labels, scores, out, n;
  Value llTerms, sqTerms, absTerms;
};

Value MetricsLowering::log(Value x) {
  if (!logFn) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(op);
    logFn = b.create<func::FuncOp>(loc, "log", FunctionType::get(b.getContext(), {f64()}, {f64()}));
    logFn.setPrivate();
    logFn->setAttr("passthrough",
                   b.getArrayAttr({b.getStringAttr("nobuiltin"), b.getStringAttr("nounwind"),
                                   b.getStringAttr("willreturn")}));
  }
  return b.create<func::CallOp>(loc, logFn, ValueRange{x}).getResult(0);
}

Value MetricsLowering::clip(Value p) {
  Value lo = cf(kEps), hi = cf(1.0 - kEps);
  Value m = select(cmpf(arith::CmpFPredicate::OLT, p, lo), lo, p);
  return select(cmpf(arith::CmpFPredicate::OLT, hi, m), hi, m);
}

template <typename F> Value MetricsLowering::staticPairwise(F term, int64_t off, int64_t len) {
  if (len < 8)
    return reduce(c64(off), c64(off + len), cf(0.0),
                  [&](Value i, Value acc) { return addf(acc, term(i)); });
  if (len <= kPairwiseBlock) {
    SmallVector<Value> r;
    for (int64_t j = 0; j < 8; ++j)
      r.push_back(term(c64(off + j)));
    int64_t whole = len - len % 8;
    if (whole > 8)
      r = carry(c64(off + 8), c64(off + whole), c64(8), r, [&](Value i, ArrayRef<Value> acc) {
        SmallVector<Value> next;
        for (int64_t j = 0; j < 8; ++j)
          next.push_back(addf(acc[j], term(addi(i, c64(j)))));
        return next;
      });
    Value res =
        addf(addf(addf(r[0], r[1]), addf(r[2], r[3])), addf(addf(r[4], r[5]), addf(r[6], r[7])));
    if (whole == len)
      return res;
    return reduce(c64(off + whole), c64(off + len), res,
                  [&](Value i, Value acc) { return addf(acc, term(i)); });
  }
  int64_t half = len / 2;
  half -= half % 8;
  Value left = staticPairwise(term, off, half);
  return addf(left, staticPairwise(term, off + half, len - half));
}

func::FuncOp MetricsLowering::emitPairwiseFn() {
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(op);
  Type ptr = ptrType(b);
  auto fn = b.create<func::FuncOp>(loc, "specjit_metrics_pairwise_sum",
                                   FunctionType::get(b.getContext(), {ptr, i64t()}, {f64()}));
  fn.setPrivate();
  pairwiseFn = fn;
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value a = entry->getArgument(0), len = entry->getArgument(1);
  auto term = [&](Value i) { return load(a, i); };
  Value result = ifElse(
      cmpi(arith::CmpIPredicate::slt, len, c64(8)),
      [&] {
        return reduce(c64(0), len, cf(0.0), [&](Value i, Value acc) { return addf(acc, term(i)); });
      },
      [&] {
        return ifElse(
            cmpi(arith::CmpIPredicate::sle, len, c64(kPairwiseBlock)),
            [&] {
              SmallVector<Value> r;
              for (int64_t j = 0; j < 8; ++j)
                r.push_back(term(c64(j)));
              Value whole = subi(len, b.create<arith::RemSIOp>(loc, len, c64(8)));
              r = carry(c64(8), whole, c64(8), r, [&](Value i, ArrayRef<Value> acc) {
                SmallVector<Value> next;
                for (int64_t j = 0; j < 8; ++j)
                  next.push_back(addf(acc[j], term(addi(i, c64(j)))));
                return next;
              });
              Value res = addf(addf(addf(r[0], r[1]), addf(r[2], r[3])),
                               addf(addf(r[4], r[5]), addf(r[6], r[7])));
              return reduce(whole, len, res,
                            [&](Value i, Value acc) { return addf(acc, term(i)); });
            },
            [&] {
              // Split at n / 2 rounded down to a multiple of 8, as numpy.
              Value half = b.create<arith::DivSIOp>(loc, len, c64(2));
              half = subi(half, b.create<arith::RemSIOp>(loc, half, c64(8)));
              Value left = pairwise(a, half);
              Value right = pairwise(at(a, half), subi(len, half));
              return addf(left, right);
            });
      });
  b.create<func::ReturnOp>(loc, result);
  return fn;
}

SmallVector<Value> MetricsLowering::emitRow(Value r, Value i, ArrayRef<Value> carried) {
  SmallVector<Value> next(carried.begin(), carried.end());
  Value y = load(labels, r);
  Value row = scoreRow(r);
  auto score = [&](Value j) { return load(row, j); };
  Value s0 = score(c64(0));

  // Every score must be finite (the generic code's checkScores).
  next[kBad] = addi(carried[kBad], zext(notFinite(row)));

  Value t;
  if (binary || multiclass)
    t = b.create<arith::FPToSIOp>(loc, i64t(), y);
  if (counts && binary) {
    Value p = zext(cmpf(arith::CmpFPredicate::OGT, s0, cf(threshold)));
    Value cell = addi(muli(t, c64(2)), p);
    for (int64_t c = 0; c < 4; ++c)
      next[kCount0 + c] =
          addi(carried[kCount0 + c], zext(cmpi(arith::CmpIPredicate::eq, cell, c64(c))));
  }
  if (counts && multiclass) {
    // The first argmax, as np.argmax.
    SmallVector<Value> best = carry(c64(1), c64(k), c64(1), ValueRange{c64(0), s0},
                                    [&](Value j, ArrayRef<Value> acc) -> SmallVector<Value> {
                                      Value sj = score(j);
                                      Value gt = cmpf(arith::CmpFPredicate::OGT, sj, acc[1]);
                                      return {select(gt, j, acc[0]), select(gt, sj, acc[1])};
                                    });
    Value cell = addi(c64(abi::kCells), addi(muli(t, c64(k)), best[0]));
    store(addi(load(out, cell, i64t()), c64(1)), out, cell);
  }
  if (logLoss) {
    Value q, sum;
    if (binary) {
      Value q1 = clip(s0);
      Value q0 = subf(cf(1.0), q1);
      sum = addf(q0, q1);
      q = select(cmpf(arith::CmpFPredicate::UNE, y, cf(0.0)), q1, q0);
    } else {
      sum = staticPairwise([&](Value j) { return clip(score(j)); }, 0, k);
      q = clip(score(t));
    }
    store(b.create<arith::NegFOp>(loc, log(divf(q, sum))), llTerms, i);
  }
  if (squared) {
    Value d = subf(y, s0);
    store(mulf(d, d), sqTerms, i);
  }
  if (absolute)
    store(fabs(subf(s0, y)), absTerms, i);
  if (rowSums)
    next[kBadProb] = addi(carried[kBadProb], zext(notProbabilities(row)));
  return next;
}

Value MetricsLowering::notFinite(Value row) {
  auto score = [&](Value j) { return load(row, j); };
  Value inf = cf(std::numeric_limits<double>::infinity());
  auto finite = [&](Value v) { return cmpf(arith::CmpFPredicate::OLT, fabs(v), inf); };
  Value allFinite = finite(score(c64(0)));
  if (multiclass)
    allFinite = carry(c64(1), c64(k), c64(1), ValueRange{allFinite},
                      [&](Value j, ArrayRef<Value> acc) -> SmallVector<Value> {
                        return {b.create<arith::AndIOp>(loc, acc[0], finite(score(j)))};
                      })[0];
  return b.create<arith::XOrIOp>(loc, allFinite,
                                 b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
}

Value MetricsLowering::notProbabilities(Value row) {
  // np.allclose(1, sum): |1 - s| <= 1e-8 + 1e-5 |s|.
  Value s = staticPairwise([&](Value j) { return load(row, j); }, 0, k);
  // Operands as locals: the IR's order then does not depend on the
  // compiler's order of evaluating arguments (the lowering's tests read it).
  Value distance = fabs(subf(cf(1.0), s));
  Value tolerance = addf(cf(1e-8), mulf(cf(1e-5), fabs(s)));
  Value ok = cmpf(arith::CmpFPredicate::OLE, distance, tolerance);
  return b.create<arith::XOrIOp>(loc, ok, b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
}

template <typename F>
Value MetricsLowering::firstFailure(Value first, Value failed, Value base, Value len, F test) {
  Value scan = b.create<arith::AndIOp>(loc, cmpi(arith::CmpIPredicate::eq, first, c64(0)),
                                       cmpi(arith::CmpIPredicate::ne, failed, c64(0)));
  return ifElse(
      scan,
      [&] {
        return reduce(c64(0), len, c64(0), [&](Value i, Value found) {
          Value r = addi(base, i);
          Value isNew =
              b.create<arith::AndIOp>(loc, test(r), cmpi(arith::CmpIPredicate::eq, found, c64(0)));
          return select(isNew, addi(r, c64(1)), found);
        });
      },
      [&] { return first; }, i64t());
}

void MetricsLowering::emitBody(func::FuncOp fn) {
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  labels = entry->getArgument(kLabels);
  scores = entry->getArgument(kScores);
  Value scratch = entry->getArgument(kScratch);
  out = entry->getArgument(kSlots);
  n = entry->getArgument(kSlots + 1);
  Value buffer = c64(abi::kMetricsBufferRows);
  llTerms = scratch;
  sqTerms = at(scratch, buffer);
  absTerms = at(scratch, c64(2 * abi::kMetricsBufferRows));

  if (counts && multiclass)
    loop(k * k, [&](Value c) { store(c64(0), out, addi(c64(abi::kCells), c)); });

  // Per buffer: the rows, then the buffer's terms summed pairwise into the
  // running sums (numpy's add.reduce: s += pairwise_sum(buffer)).
  enum { kLL = kRowCarried, kSQ, kAB, kYS, kAll };
  SmallVector<Value> inits(kRowCarried, c64(0));
  inits.append(4, cf(0.0));
  SmallVector<Value> done = carry(c64(0), n, buffer, inits, [&](Value base, ArrayRef<Value> acc) {
    Value len = b.create<arith::MinSIOp>(loc, buffer, subi(n, base));
    SmallVector<Value> rowInits(acc.begin(), acc.begin() + kRowCarried);
    rowInits[kBad] = rowInits[kBadProb] = c64(0); // counted per buffer
    SmallVector<Value> rows =
        carry(c64(0), len, c64(1), rowInits,
              [&](Value i, ArrayRef<Value> carried) { return emitRow(addi(base, i), i, carried); });
    SmallVector<Value> next(rows);
    next[kBad] = firstFailure(acc[kBad], rows[kBad], base, len,
                              [&](Value r) { return notFinite(scoreRow(r)); });
    if (rowSums)
      next[kBadProb] = firstFailure(acc[kBadProb], rows[kBadProb], base, len,
                                    [&](Value r) { return notProbabilities(scoreRow(r)); });
    next.push_back(logLoss ? addf(acc[kLL], pairwise(llTerms, len)) : acc[kLL]);
    next.push_back(squared ? addf(acc[kSQ], pairwise(sqTerms, len)) : acc[kSQ]);
    next.push_back(absolute ? addf(acc[kAB], pairwise(absTerms, len)) : acc[kAB]);
    next.push_back(r2 ? addf(acc[kYS], pairwise(at(labels, base), len)) : acc[kYS]);
    return next;
  });

  // r2's denominator: sum (y - mean(y))^2, numpy's mean first.
  Value denominator = cf(0.0);
  if (r2) {
    Value mean = divf(done[kYS], b.create<arith::SIToFPOp>(loc, f64(), n));
    denominator = carry(c64(0), n, buffer, ValueRange{cf(0.0)},
                        [&](Value base, ArrayRef<Value> acc) -> SmallVector<Value> {
                          Value len = b.create<arith::MinSIOp>(loc, buffer, subi(n, base));
                          auto f = b.create<scf::ForOp>(loc, c64(0), len, c64(1));
                          {
                            OpBuilder::InsertionGuard g(b);
                            b.setInsertionPoint(f.getBody()->getTerminator());
                            Value i = f.getInductionVar();
                            Value d = subf(load(labels, addi(base, i)), mean);
                            store(mulf(d, d), sqTerms, i);
                          }
                          return {addf(acc[0], pairwise(sqTerms, len))};
                        })[0];
  }

  store(done[kLL], out, c64(abi::kLogLossSum));
  store(done[kSQ], out, c64(abi::kSquaredSum));
  store(done[kAB], out, c64(abi::kAbsoluteSum));
  store(done[kYS], out, c64(abi::kLabelSum));
  store(denominator, out, c64(abi::kR2Denominator));
  store(done[kBadProb], out, c64(abi::kBadProbabilityRow));
  if (counts && binary)
    for (int64_t c = 0; c < 4; ++c)
      store(done[kCount0 + c], out, c64(abi::kCells + c));
  b.create<func::ReturnOp>(loc, ValueRange{done[kBad]});
}

LogicalResult MetricsLowering::run() {
  MLIRContext *ctx = b.getContext();
  Type ptr = ptrType(b);
  emitPairwiseFn();

  // The body: labels, scores, scratch and out as noalias pointers, then n.
  SmallVector<Type> bodyArgs(kSlots + 1, ptr);
  bodyArgs.push_back(i64t());
  b.setInsertionPoint(op);
  auto bodyFn = b.create<func::FuncOp>(loc, "specjit_metrics_body",
                                       FunctionType::get(ctx, bodyArgs, {i64t()}));
  bodyFn.setPrivate();
  for (unsigned i = 0; i <= kSlots; ++i)
    bodyFn.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  {
    OpBuilder::InsertionGuard g(b);
    emitBody(bodyFn);
  }

  // The entry: the kernel ABI.
  auto entryFn = b.create<func::FuncOp>(loc, kKernelEntryName,
                                        FunctionType::get(ctx, {ptr, ptr, i64t()}, {i64t()}));
  Block *eb = entryFn.addEntryBlock();
  b.setInsertionPointToStart(eb);
  Value args = eb->getArgument(0);
  SmallVector<Value> callArgs;
  for (int64_t s = 0; s < kSlots; ++s)
    callArgs.push_back(loadAt(b, loc, ptr, args, c64(s)));
  callArgs.push_back(eb->getArgument(1));
  callArgs.push_back(eb->getArgument(2));
  auto call = b.create<func::CallOp>(loc, bodyFn, callArgs);
  b.create<func::ReturnOp>(loc, call.getResults());
  op.erase();
  return success();
}

} // namespace

LogicalResult lowerMetricsPass(MetricsPassOp op) { return MetricsLowering(op).run(); }

} // namespace specjit
