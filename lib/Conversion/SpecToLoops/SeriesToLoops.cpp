//===- SeriesToLoops.cpp - spec.series_kernel to blocked loops ------------===//
//
// A series kernel runs over time, and the indicators that look back need
// their past, so rows go in blocks of kBlock. Within a block every value
// gets a column (a stack buffer of kBlock rows), filled op by op:
//
//  - windows (sma, wma, lsma, kama's volatility): the window's history (kept
//    in the streaming state) and the block's source are laid out end to end,
//    and 8 rows are computed at once, the window loop accumulating in vector
//    registers over a constant window length. The sums run from the oldest
//    value to the newest starting at 0.0 for every row, exactly as
//    docs/series-semantics.md and the interpreter do.
//  - recursions (ema stages, kama, crossover): one sequential loop over the
//    block with the indicator's state in registers; the configuration
//    (alpha, seed length, smoothing constants) is folded in as constants.
//  - everything else (composites: arith ops) runs in fused elementwise loops.
//
// The streaming state (its layout is this lowering's own) starts with the
// rows consumed so far; a fresh (all-zero) state fills every history with
// NaN, so lookbacks fall out of the arithmetic. `specjit_state_bytes()`
// reports the state's size.
//
//===----------------------------------------------------------------------===//

#include "SeriesToLoops.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include "Runtime/KernelABI.h"

#include <limits>

using namespace mlir;
using namespace specjit::spec;

namespace {

constexpr int64_t kBlock = 256;
constexpr int64_t kLanes = 8;

class SeriesLowering {
public:
  explicit SeriesLowering(SeriesKernelOp kernel) : kernel(kernel), b(kernel) {}
  LogicalResult run();

private:
  Type ptrType() { return LLVM::LLVMPointerType::get(b.getContext()); }
  Type f64() { return b.getF64Type(); }
  VectorType vec() { return VectorType::get({kLanes}, b.getF64Type()); }
  Value i64(int64_t v) { return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(v)); }
  Value f64c(double v) { return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(v)); }
  Value vecc(double v) {
    return b.create<arith::ConstantOp>(loc, vec(), DenseElementsAttr::get(vec(), v));
  }
  Value nan() { return f64c(std::numeric_limits<double>::quiet_NaN()); }
  Value gep(Type elem, Value base, Value index) {
    return b.create<LLVM::GEPOp>(loc, ptrType(), elem, base, ValueRange{index},
                                 /*inbounds=*/true);
  }
  Value load(Type t, Value base, Value index, Type elem = {}) {
    return b.create<LLVM::LoadOp>(loc, t, gep(elem ? elem : t, base, index), 8);
  }
  void store(Value v, Value base, Value index, Type elem = {}) {
    b.create<LLVM::StoreOp>(loc, v, gep(elem ? elem : v.getType(), base, index), 8);
  }
  /// Bytes from the start of the state, as a pointer.
  Value stateAt(int64_t byteOffset) { return gep(b.getI8Type(), state, i64(byteOffset)); }
  Value alloca(int64_t doubles) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(entryBlock);
    return b.create<LLVM::AllocaOp>(loc, ptrType(), f64(), i64(doubles), 64);
  }
  /// for (i = lo; i < hi; i += step) body(i), with optional loop-carried values.
  scf::ForOp loop(Value lo, Value hi, int64_t step, ValueRange init,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto f = b.create<scf::ForOp>(loc, lo, hi, i64(step), init);
    OpBuilder::InsertionGuard g(b);
    // The builder adds a yield only without loop-carried values; replace it.
    Block *block = f.getBody();
    if (!block->empty() && isa<scf::YieldOp>(block->back()))
      block->back().erase();
    b.setInsertionPointToEnd(block);
    SmallVector<Value> next = body(f.getInductionVar(), f.getRegionIterArgs());
    b.setInsertionPointToEnd(block);
    b.create<scf::YieldOp>(loc, next);
    return f;
  }
  /// The column of a value at row r (constants need no column).
  Value valueAt(Value v, Value r) {
    if (Value c = scalars.lookup(v))
      return c;
    return load(f64(), columns.lookup(v), r);
  }
  Value column(Value v) {
    Value &c = columns[v];
    if (!c)
      c = alloca(kBlock + kLanes);
    return c;
  }

  // Windows: ext holds `hist` history values then the block's source.
  Value windowExtent(Value source, int64_t hist, int64_t histOffset, int64_t extra);
  void saveHistory(Value ext, int64_t hist, int64_t histOffset);
  LogicalResult lowerWindow(Operation *op, int64_t period);
  void lowerEma(EmaOp op);
  void lowerKama(KamaOp op);
  void lowerCrossover(CrossoverOp op);
  void lowerSegment(ArrayRef<Operation *> ops);
  void lowerOutput(SeriesOutputOp op);

  SeriesKernelOp kernel;
  OpBuilder b;
  Location loc = kernel.getLoc();
  Block *entryBlock = nullptr;
  SmallVector<Value> inputs;
  Value state, out, blockStart, count;
  llvm::DenseMap<Value, Value> columns, scalars;
  llvm::DenseMap<Operation *, int64_t> stateOffset;
  /// Byte ranges of NaN-initialized f64 histories and the total size.
  SmallVector<std::pair<int64_t, int64_t>> nanRanges;
  int64_t stateBytes = 8;
};

/// Bytes of state an op keeps, and the f64s (from its start) that a fresh
/// stream fills with NaN.
std::pair<int64_t, std::pair<int64_t, int64_t>> stateOf(Operation *op) {
  if (auto w = dyn_cast<SmaOp>(op))
    return {8 * (w.getPeriod() - 1), {0, w.getPeriod() - 1}};
  if (auto w = dyn_cast<WmaOp>(op))
    return {8 * (w.getPeriod() - 1), {0, w.getPeriod() - 1}};
  if (auto w = dyn_cast<LsmaOp>(op))
    return {8 * (w.getPeriod() - 1), {0, w.getPeriod() - 1}};
  if (isa<EmaOp>(op)) // e, sum, count
    return {24, {0, 0}};
  if (auto k = dyn_cast<KamaOp>(op)) // k, run, seeded, hist[n]
    return {24 + 8 * k.getPeriod(), {3, k.getPeriod()}};
  if (isa<CrossoverOp>(op)) // previous fast, slow
    return {16, {0, 2}};
  return {0, {0, 0}};
}

Value SeriesLowering::windowExtent(Value source, int64_t hist, int64_t histOffset,
                                   int64_t extra) {
  Value ext = alloca(hist + kBlock + kLanes + extra);
  Value h = stateAt(histOffset);
  if (hist > 0)
    loop(i64(0), i64(hist), 1, {}, [&](Value i, ValueRange) {
      store(load(f64(), h, i), ext, i);
      return SmallVector<Value>{};
    });
  Value col = columns.lookup(source);
  Value cst = scalars.lookup(source);
  loop(i64(0), count, 1, {}, [&](Value r, ValueRange) {
    Value v = cst ? cst : load(f64(), col, r);
    store(v, ext, b.create<arith::AddIOp>(loc, r, i64(hist)));
    return SmallVector<Value>{};
  });
  return ext;
}

void SeriesLowering::saveHistory(Value ext, int64_t hist, int64_t histOffset) {
  if (hist == 0)
    return;
  Value h = stateAt(histOffset);
  loop(i64(0), i64(hist), 1, {}, [&](Value i, ValueRange) {
    store(load(f64(), ext, b.create<arith::AddIOp>(loc, count, i)), h, i);
    return SmallVector<Value>{};
  });
}

LogicalResult SeriesLowering::lowerWindow(Operation *op, int64_t n) {
  int64_t hist = n - 1, off = stateOffset[op];
  Value ext = windowExtent(op->getOperand(0), hist, off, 0);
  Value y = column(op->getResult(0));
  bool weighted = isa<WmaOp>(op), lsma = isa<LsmaOp>(op);
  double nd = static_cast<double>(n);
  double div = static_cast<double>(n * (n + 1) / 2);
  double mid = static_cast<double>(n - 1) / 2.0;
  double scc = static_cast<double>(n * (n * n - 1)) / 12.0;
  loop(i64(0), count, kLanes, {}, [&](Value r, ValueRange) {
    // acc = ((0.0 + w1*x1) + w2*x2) + ..., 8 rows at once; the weight (i + 1
    // for wma, i - mid for lsma) advances by 1.0, exactly as the integer.
    SmallVector<Value> init = {vecc(0.0)};
    if (weighted)
      init.push_back(vecc(1.0));
    if (lsma)
      init.append({vecc(0.0), vecc(-mid)});
    auto sums = loop(i64(0), i64(n), 1, init, [&](Value i, ValueRange acc) {
      Value x = load(vec(), ext, b.create<arith::AddIOp>(loc, r, i), f64());
      SmallVector<Value> next;
      if (weighted) {
        next.push_back(b.create<arith::AddFOp>(
            loc, acc[0], b.create<arith::MulFOp>(loc, acc[1], x)));
        next.push_back(b.create<arith::AddFOp>(loc, acc[1], vecc(1.0)));
      } else {
        next.push_back(b.create<arith::AddFOp>(loc, acc[0], x));
      }
      if (lsma) {
        next.push_back(b.create<arith::AddFOp>(
            loc, acc[1], b.create<arith::MulFOp>(loc, acc[2], x)));
        next.push_back(b.create<arith::AddFOp>(loc, acc[2], vecc(1.0)));
      }
      return next;
    });
    Value result;
    if (weighted)
      result = b.create<arith::DivFOp>(loc, sums.getResult(0), vecc(div));
    else if (lsma && n > 1)
      result = b.create<arith::AddFOp>(
          loc, b.create<arith::DivFOp>(loc, sums.getResult(0), vecc(nd)),
          b.create<arith::MulFOp>(
              loc, b.create<arith::DivFOp>(loc, sums.getResult(1), vecc(scc)),
              vecc(mid)));
    else
      result = b.create<arith::DivFOp>(loc, sums.getResult(0), vecc(nd));
    store(result, y, r, f64());
    return SmallVector<Value>{};
  });
  saveHistory(ext, hist, off);
  return success();
}

void SeriesLowering::lowerEma(EmaOp op) {
  int64_t n = op.getPeriod(), off = stateOffset[op];
  int64_t need = op.getSeedSma() ? n : 1;
  double nd = static_cast<double>(n);
  double a = 2.0 / static_cast<double>(n + 1);
  double bb = 1.0 - a;
  Value x = columns.lookup(op.getInput()), xc = scalars.lookup(op.getInput());
  Value y = column(op.getResult());
  Value pe = stateAt(off), ps = stateAt(off + 8), pc = stateAt(off + 16);
  SmallVector<Value> init = {b.create<LLVM::LoadOp>(loc, f64(), pe),
                             b.create<LLVM::LoadOp>(loc, f64(), ps),
                             b.create<LLVM::LoadOp>(loc, b.getI64Type(), pc)};
  auto sel = [&](Value c, Value t, Value f) -> Value {
    return b.create<arith::SelectOp>(loc, c, t, f);
  };
  auto f = loop(i64(0), count, 1, init, [&](Value r, ValueRange s) {
    Value e = s[0], sum = s[1], cnt = s[2];
    Value v = xc ? xc : load(f64(), x, r);
    Value isNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, v, v);
    Value seeded = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, cnt, i64(need));
    // Seeded: e = a*v + (1-a)*e.
    Value rec = b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, f64c(a), v),
                                        b.create<arith::MulFOp>(loc, f64c(bb), e));
    // Seeding.
    Value eU, sumU, cntU, yU;
    if (need == 1) {
      eU = v, sumU = sum, cntU = i64(1), yU = v;
    } else {
      sumU = b.create<arith::AddFOp>(loc, sum, v);
      cntU = b.create<arith::AddIOp>(loc, cnt, i64(1));
      Value done = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, cntU, i64(need));
      Value seed = b.create<arith::DivFOp>(loc, sumU, f64c(nd));
      eU = sel(done, seed, e);
      yU = sel(done, seed, nan());
    }
    Value e2 = sel(seeded, sel(isNaN, e, rec), sel(isNaN, e, eU));
    Value sum2 = sel(seeded, sum, sel(isNaN, f64c(0.0), sumU));
    Value cnt2 = sel(seeded, cnt, sel(isNaN, i64(0), cntU));
    Value out = sel(seeded, sel(isNaN, nan(), rec), sel(isNaN, nan(), yU));
    store(out, y, r);
    return SmallVector<Value>{e2, sum2, cnt2};
  });
  b.create<LLVM::StoreOp>(loc, f.getResult(0), pe);
  b.create<LLVM::StoreOp>(loc, f.getResult(1), ps);
  b.create<LLVM::StoreOp>(loc, f.getResult(2), pc);
}

void SeriesLowering::lowerKama(KamaOp op) {
  int64_t n = op.getPeriod(), off = stateOffset[op];
  double slowest = 2.0 / static_cast<double>(op.getSlow() + 1);
  double span = 2.0 / static_cast<double>(op.getFast() + 1) - slowest;
  // ext = x[t-n .. t] for each row: n history values, then the block.
  Value ext = windowExtent(op.getInput(), n, off + 24, 1);
  Value vol = alloca(kBlock + kLanes);
  loop(i64(0), count, kLanes, {}, [&](Value r, ValueRange) {
    auto sum = loop(i64(0), i64(n), 1, {vecc(0.0)}, [&](Value i, ValueRange acc) {
      Value at = b.create<arith::AddIOp>(loc, r, i);
      Value lo = load(vec(), ext, at, f64());
      Value hi = load(vec(), ext, b.create<arith::AddIOp>(loc, at, i64(1)), f64());
      Value d = b.create<math::AbsFOp>(loc, b.create<arith::SubFOp>(loc, hi, lo));
      return SmallVector<Value>{b.create<arith::AddFOp>(loc, acc[0], d)};
    });
    store(sum.getResult(0), vol, r, f64());
    return SmallVector<Value>{};
  });
  Value y = column(op.getResult());
  Value pk = stateAt(off), pr = stateAt(off + 8), pseed = stateAt(off + 16);
  SmallVector<Value> init = {b.create<LLVM::LoadOp>(loc, f64(), pk),
                             b.create<LLVM::LoadOp>(loc, b.getI64Type(), pr),
                             b.create<LLVM::LoadOp>(loc, b.getI64Type(), pseed)};
  auto sel = [&](Value c, Value t, Value f) -> Value {
    return b.create<arith::SelectOp>(loc, c, t, f);
  };
  auto f = loop(i64(0), count, 1, init, [&](Value r, ValueRange s) {
    Value k = s[0], run = s[1], seeded = s[2];
    Value x = load(f64(), ext, b.create<arith::AddIOp>(loc, r, i64(n)));
    Value first = load(f64(), ext, r);
    Value before = load(f64(), ext, b.create<arith::AddIOp>(loc, r, i64(n - 1)));
    Value isNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
    Value run1 = b.create<arith::MinSIOp>(loc, b.create<arith::AddIOp>(loc, run, i64(1)),
                                          i64(n + 1));
    Value run2 = sel(isNaN, i64(0), run1);
    Value ok = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, run2, i64(n));
    Value v = load(f64(), vol, r);
    Value flat = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, v, f64c(0.0));
    Value ratio = b.create<arith::DivFOp>(
        loc, b.create<math::AbsFOp>(loc, b.create<arith::SubFOp>(loc, x, first)), v);
    Value er = sel(flat, f64c(0.0), ratio);
    Value sc = b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, er, f64c(span)),
                                       f64c(slowest));
    sc = b.create<arith::MulFOp>(loc, sc, sc);
    Value isSeeded = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, seeded, i64(0));
    Value prev = sel(isSeeded, k, before);
    Value kNew = b.create<arith::AddFOp>(
        loc, prev, b.create<arith::MulFOp>(loc, sc, b.create<arith::SubFOp>(loc, x, prev)));
    store(sel(ok, kNew, nan()), y, r);
    return SmallVector<Value>{sel(ok, kNew, k), run2, sel(ok, i64(1), seeded)};
  });
  b.create<LLVM::StoreOp>(loc, f.getResult(0), pk);
  b.create<LLVM::StoreOp>(loc, f.getResult(1), pr);
  b.create<LLVM::StoreOp>(loc, f.getResult(2), pseed);
  saveHistory(ext, n, off + 24);
}

void SeriesLowering::lowerCrossover(CrossoverOp op) {
  int64_t off = stateOffset[op];
  Value pf = stateAt(off), ps = stateAt(off + 8);
  Value y = column(op.getResult());
  SmallVector<Value> init = {b.create<LLVM::LoadOp>(loc, f64(), pf),
                             b.create<LLVM::LoadOp>(loc, f64(), ps)};
  auto f = loop(i64(0), count, 1, init, [&](Value r, ValueRange s) {
    Value cf = valueAt(op.getFast(), r), cs = valueAt(op.getSlow(), r);
    auto cmp = [&](arith::CmpFPredicate p, Value x, Value z) -> Value {
      return b.create<arith::CmpFOp>(loc, p, x, z);
    };
    Value anyNaN = b.create<arith::OrIOp>(loc, cmp(arith::CmpFPredicate::UNO, cf, cs),
                                          cmp(arith::CmpFPredicate::UNO, s[0], s[1]));
    Value up = b.create<arith::AndIOp>(loc, cmp(arith::CmpFPredicate::OGT, cf, cs),
                                       cmp(arith::CmpFPredicate::OLE, s[0], s[1]));
    Value down = b.create<arith::AndIOp>(loc, cmp(arith::CmpFPredicate::OLT, cf, cs),
                                         cmp(arith::CmpFPredicate::OGE, s[0], s[1]));
    Value v = b.create<arith::SelectOp>(loc, down, f64c(-1.0), f64c(0.0));
    v = b.create<arith::SelectOp>(loc, up, f64c(1.0), v);
    v = b.create<arith::SelectOp>(loc, anyNaN, nan(), v);
    store(v, y, r);
    return SmallVector<Value>{cf, cs};
  });
  b.create<LLVM::StoreOp>(loc, f.getResult(0), pf);
  b.create<LLVM::StoreOp>(loc, f.getResult(1), ps);
}

void SeriesLowering::lowerSegment(ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 16> inSegment(ops.begin(), ops.end());
  loop(i64(0), count, 1, {}, [&](Value r, ValueRange) {
    IRMapping map;
    for (Operation *op : ops) {
      for (Value operand : op->getOperands())
        if (!map.contains(operand) && !inSegment.contains(operand.getDefiningOp()))
          map.map(operand, valueAt(operand, r));
      Operation *copy = b.clone(*op, map);
      for (auto [res, c] : llvm::zip(op->getResults(), copy->getResults()))
        if (res.getType().isF64())
          store(c, column(res), r);
    }
    return SmallVector<Value>{};
  });
}

void SeriesLowering::lowerOutput(SeriesOutputOp op) {
  int64_t cols = op.getValues().size();
  Type elem = kernel.getOutputType();
  loop(i64(0), count, 1, {}, [&](Value r, ValueRange) {
    Value row = b.create<arith::AddIOp>(loc, blockStart, r);
    Value base = b.create<arith::MulIOp>(loc, row, i64(cols));
    for (auto [j, v] : llvm::enumerate(op.getValues())) {
      Value x = valueAt(v, r);
      if (elem.isF32())
        x = b.create<arith::TruncFOp>(loc, elem, x);
      store(x, out, b.create<arith::AddIOp>(loc, base, i64(j)), elem);
    }
    return SmallVector<Value>{};
  });
}

LogicalResult SeriesLowering::run() {
  MLIRContext *ctx = b.getContext();
  Block &body = kernel.getBody().front();
  size_t numInputs = kernel.getInputTypes().size();

  // State layout: [0] rows consumed; then each stateful op's fields.
  for (Operation &op : body) {
    auto [bytes, nanRange] = stateOf(&op);
    if (!bytes)
      continue;
    stateOffset[&op] = stateBytes;
    if (nanRange.second)
      nanRanges.push_back({stateBytes + 8 * nanRange.first, nanRange.second});
    stateBytes += bytes;
  }

  // The body: inputs..., state, out, rows; every pointer noalias.
  b.setInsertionPoint(kernel);
  SmallVector<Type> argTypes(numInputs + 2, ptrType());
  argTypes.push_back(b.getI64Type());
  std::string bodyName = (specjit::kKernelEntryName + llvm::Twine("_body")).str();
  auto bodyFn = b.create<func::FuncOp>(loc, bodyName,
                                       FunctionType::get(ctx, argTypes, {b.getI64Type()}));
  bodyFn.setPrivate();
  for (unsigned i = 0; i < numInputs + 2; ++i)
    bodyFn.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  entryBlock = bodyFn.addEntryBlock();
  b.setInsertionPointToStart(entryBlock);
  inputs.assign(entryBlock->args_begin(), entryBlock->args_begin() + numInputs);
  state = entryBlock->getArgument(numInputs);
  out = entryBlock->getArgument(numInputs + 1);
  Value rows = entryBlock->getArgument(numInputs + 2);

  // Constants are hoisted and used as scalars.
  for (Operation &op : body)
    if (auto c = dyn_cast<arith::ConstantOp>(op))
      scalars[c.getResult()] = b.clone(op)->getResult(0);

  // A fresh stream: histories and previous values start as NaN.
  Value t0 = b.create<LLVM::LoadOp>(loc, b.getI64Type(), state);
  Value fresh = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, t0, i64(0));
  auto init = b.create<scf::IfOp>(loc, fresh, /*withElse=*/false);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&init.getThenRegion().front());
    for (auto [offset, len] : nanRanges) {
      Value base = stateAt(offset);
      loop(i64(0), i64(len), 1, {}, [&](Value i, ValueRange) {
        store(nan(), base, i);
        return SmallVector<Value>{};
      });
    }
  }

  LogicalResult result = success();
  loop(i64(0), rows, kBlock, {}, [&](Value start, ValueRange) {
    blockStart = start;
    count = b.create<arith::MinSIOp>(loc, b.create<arith::SubIOp>(loc, rows, start),
                                     i64(kBlock));
    SmallVector<Operation *> segment;
    auto flush = [&] {
      if (!segment.empty())
        lowerSegment(segment);
      segment.clear();
    };
    for (Operation &op : body) {
      if (isa<arith::ConstantOp>(op))
        continue;
      if (isa<arith::ArithDialect, math::MathDialect>(op.getDialect())) {
        segment.push_back(&op);
        continue;
      }
      flush();
      if (auto in = dyn_cast<SeriesInputOp>(op)) {
        Type t = cast<TypeAttr>(kernel.getInputTypes()[in.getIndex()]).getValue();
        Value src = inputs[in.getIndex()], col = column(in.getResult());
        loop(i64(0), count, 1, {}, [&](Value r, ValueRange) {
          Value v = load(t, src, b.create<arith::AddIOp>(loc, start, r));
          if (t.isF32())
            v = b.create<arith::ExtFOp>(loc, f64(), v);
          store(v, col, r);
          return SmallVector<Value>{};
        });
      } else if (auto w = dyn_cast<SmaOp>(op)) {
        (void)lowerWindow(w, w.getPeriod());
      } else if (auto w = dyn_cast<WmaOp>(op)) {
        (void)lowerWindow(w, w.getPeriod());
      } else if (auto w = dyn_cast<LsmaOp>(op)) {
        (void)lowerWindow(w, w.getPeriod());
      } else if (auto e = dyn_cast<EmaOp>(op)) {
        lowerEma(e);
      } else if (auto k = dyn_cast<KamaOp>(op)) {
        lowerKama(k);
      } else if (auto c = dyn_cast<CrossoverOp>(op)) {
        lowerCrossover(c);
      } else if (auto o = dyn_cast<SeriesOutputOp>(op)) {
        lowerOutput(o);
      } else {
        result = op.emitOpError("cannot be lowered inside a spec.series_kernel");
      }
    }
    return SmallVector<Value>{};
  });
  if (failed(result))
    return failure();
  b.create<LLVM::StoreOp>(loc, b.create<arith::AddIOp>(loc, t0, rows), state);
  b.create<func::ReturnOp>(loc, ValueRange{i64(0)});

  // The entry: the fixed C signature; args = inputs..., state.
  b.setInsertionPoint(kernel);
  auto entryFn = b.create<func::FuncOp>(
      loc, specjit::kKernelEntryName,
      FunctionType::get(ctx, {ptrType(), ptrType(), b.getI64Type()}, {b.getI64Type()}));
  Block *eb = entryFn.addEntryBlock();
  b.setInsertionPointToStart(eb);
  SmallVector<Value> callArgs;
  for (size_t s = 0; s <= numInputs; ++s)
    callArgs.push_back(b.create<LLVM::LoadOp>(
        loc, ptrType(), gep(ptrType(), eb->getArgument(0), i64(s))));
  callArgs.push_back(eb->getArgument(1));
  callArgs.push_back(eb->getArgument(2));
  auto call = b.create<func::CallOp>(loc, bodyFn, callArgs);
  b.create<func::ReturnOp>(loc, call.getResults());

  // The state's size, for the runtime.
  b.setInsertionPoint(kernel);
  auto sizeFn = b.create<func::FuncOp>(loc, specjit::kStateBytesName,
                                       FunctionType::get(ctx, {}, {b.getI64Type()}));
  b.setInsertionPointToStart(sizeFn.addEntryBlock());
  b.create<func::ReturnOp>(loc, ValueRange{i64(stateBytes)});
  kernel.erase();
  return success();
}

} // namespace

namespace specjit {
LogicalResult lowerSeriesKernel(SeriesKernelOp kernel) {
  return SeriesLowering(kernel).run();
}
} // namespace specjit
