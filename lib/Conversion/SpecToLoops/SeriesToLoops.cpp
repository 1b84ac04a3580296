//===- SeriesToLoops.cpp - spec.series_kernel to blocked loops ------------===//
//
// A series kernel runs over time, and the indicators that look back need
// their past, so rows go in blocks of kBlock. Within a block every value
// gets a column (a stack buffer of kBlock rows), filled op by op:
//
//  - windows (sma, wma, lsma, kama's volatility) shorter than
//    kExactWindowMinPeriod: the window's history (kept in the streaming
//    state) and the block's source are laid out end to end, and 8 rows are
//    computed at once, the window loop accumulating in vector registers over
//    a constant window length. The sums run from the oldest value to the
//    newest starting at 0.0 for every row, exactly as
//    docs/series-semantics.md and the interpreter do.
//  - longer windows: one call per block of specjit_rt_exact_window
//    (Runtime/ExactWindow.h), the exact rolling sums the interpreter calls
//    too, its state inside the kernel's.
//  - recursions (ema stages, kama, crossover): one sequential loop over the
//    block with the indicator's state in registers; the configuration
//    (alpha, seed length, smoothing constants) is folded in as constants.
//  - everything else (composites: arith ops) runs in fused elementwise loops.
//
// The streaming state (its layout is this lowering's own) starts with the
// rows consumed so far; a fresh (all-zero) state fills every history with
// NaN, so lookbacks fall out of the arithmetic. The buffer also holds the
// call's scratch (block columns, window extents) after the persistent part,
// so nothing large lives on the stack. `specjit_state_bytes()` reports the
// whole size.
//
//===----------------------------------------------------------------------===//

#include "SeriesToLoops.h"

#include "LLVMAccess.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include "Runtime/ExactWindow.h"
#include "Runtime/KernelABI.h"

#include <functional>
#include <limits>

using namespace mlir;
using namespace specjit::spec;

namespace {

constexpr int64_t kBlock = 256;
constexpr int64_t kLanes = 8;
constexpr int64_t kTiles = 4;
constexpr int64_t kPad = kLanes * kTiles;
/// wma and lsma windows up to this length are unrolled with constant
/// weights (longer ones keep a loop with the weight carried).
constexpr int64_t kUnrolledWeightedWindow = 32;

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
  /// Scratch space for the call, carved from the state buffer (which the
  /// runtime allocates on the heap) rather than the stack: windows may hold
  /// 100000 values each.
  Value scratch(int64_t doubles) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(entryBlock);
    int64_t offset = persistentBytes + scratchBytes;
    scratchBytes += 8 * doubles;
    return stateAt(offset);
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
      c = scratch(kBlock + kPad);
    return c;
  }

  // Windows: ext holds `hist` history values then the block's source.
  Value windowExtent(Value source, int64_t hist, int64_t histOffset, int64_t extra);
  void saveHistory(Value ext, int64_t hist, int64_t histOffset);
  LogicalResult lowerWindow(Operation *op, int64_t period);
  /// The block's values of `source` as a column (constants are spread).
  Value sourceColumn(Value source);
  /// Calls the exact window routine over the block's column `src`.
  void callExactWindow(specjit::ExactWindowKind kind, int64_t period, int64_t stateOffset,
                       Value src, Value out, Value first, Value before);
  void lowerKama(KamaOp op);
  /// Row-wise ops (inputs, arith, ema stages, crossovers, the output) fused
  /// into one loop over the block.
  void lowerRows(ArrayRef<Operation *> ops);

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
  /// Persistent state ends here; the call's scratch follows.
  int64_t persistentBytes = 0, scratchBytes = 0;
};

/// The exact window kind of a window op.
specjit::ExactWindowKind exactKind(Operation *op) {
  if (isa<WmaOp>(op))
    return specjit::ExactWindowKind::Weighted;
  if (isa<LsmaOp>(op))
    return specjit::ExactWindowKind::Line;
  if (isa<KamaOp>(op))
    return specjit::ExactWindowKind::Kama;
  return specjit::ExactWindowKind::Mean;
}

/// Bytes of state an op keeps, and the f64s (from its start) that a fresh
/// stream fills with NaN.
std::pair<int64_t, std::pair<int64_t, int64_t>> stateOf(Operation *op) {
  // Periods are unsigned attributes; the descriptor bounds them far below
  // INT64_MAX. Exact windows initialize their own state.
  auto history = [op](uint64_t period) {
    int64_t n = static_cast<int64_t>(period);
    if (n >= specjit::kExactWindowMinPeriod)
      return std::pair<int64_t, std::pair<int64_t, int64_t>>{
          specjit::exactWindowStateBytes(exactKind(op), n), {0, 0}};
    return std::pair<int64_t, std::pair<int64_t, int64_t>>{8 * (n - 1), {0, n - 1}};
  };
  if (auto w = dyn_cast<SmaOp>(op))
    return history(w.getPeriod());
  if (auto w = dyn_cast<WmaOp>(op))
    return history(w.getPeriod());
  if (auto w = dyn_cast<LsmaOp>(op))
    return history(w.getPeriod());
  if (isa<EmaOp>(op)) // e, sum, count
    return {24, {0, 0}};
  if (auto k = dyn_cast<KamaOp>(op)) { // k, run, seeded, hist[n] or an exact window
    int64_t n = static_cast<int64_t>(k.getPeriod());
    if (n >= specjit::kExactWindowMinPeriod)
      return {24 + specjit::exactWindowStateBytes(specjit::ExactWindowKind::Kama, n), {0, 0}};
    return {24 + 8 * n, {3, n}};
  }
  if (isa<CrossoverOp>(op)) // previous fast, slow
    return {16, {0, 2}};
  return {0, {0, 0}};
}

Value SeriesLowering::windowExtent(Value source, int64_t hist, int64_t histOffset, int64_t extra) {
  Value ext = scratch(hist + kBlock + kPad + extra);
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

Value SeriesLowering::sourceColumn(Value source) {
  if (Value col = columns.lookup(source))
    return col;
  Value cst = scalars.lookup(source);
  Value col = scratch(kBlock + kPad);
  loop(i64(0), count, 1, {}, [&](Value r, ValueRange) {
    store(cst, col, r);
    return SmallVector<Value>{};
  });
  return col;
}

void SeriesLowering::callExactWindow(specjit::ExactWindowKind kind, int64_t period,
                                     int64_t stateOffset, Value src, Value out, Value first,
                                     Value before) {
  auto module = kernel->getParentOfType<ModuleOp>();
  StringRef name = "specjit_rt_exact_window";
  auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
  if (!fn) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(module.getBody());
    Type i64t = b.getI64Type(), p = ptrType();
    fn = b.create<LLVM::LLVMFuncOp>(
        loc, name,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b.getContext()),
                                    {i64t, i64t, p, p, i64t, p, p, p}));
  }
  Value none = b.create<LLVM::ZeroOp>(loc, ptrType());
  b.create<LLVM::CallOp>(loc, fn,
                         ValueRange{i64(static_cast<int64_t>(kind)), i64(period),
                                    stateAt(stateOffset), src, count, out, first ? first : none,
                                    before ? before : none});
}

LogicalResult SeriesLowering::lowerWindow(Operation *op, int64_t n) {
  int64_t hist = n - 1, off = stateOffset[op];
  if (n >= specjit::kExactWindowMinPeriod) {
    callExactWindow(exactKind(op), n, off, sourceColumn(op->getOperand(0)),
                    column(op->getResult(0)), {}, {});
    return success();
  }
  Value ext = windowExtent(op->getOperand(0), hist, off, 0);
  Value y = column(op->getResult(0));
  bool weighted = isa<WmaOp>(op), lsma = isa<LsmaOp>(op);
  double nd = static_cast<double>(n);
  double div = static_cast<double>(n * (n + 1) / 2);
  double mid = static_cast<double>(n - 1) / 2.0;
  double scc = static_cast<double>(n * (n * n - 1)) / 12.0;
  // Per row: acc = ((0.0 + w1*x1) + w2*x2) + ..., the weight (i + 1 for
  // wma, i - mid for lsma) advancing by 1.0, exactly as the integer. kTiles
  // groups of kLanes rows run side by side, so their addition chains
  // overlap; no row's order of additions changes.
  loop(i64(0), count, kLanes * kTiles, {}, [&](Value r, ValueRange) {
    SmallVector<Value> init;
    for (int64_t t = 0; t < kTiles; ++t) {
      init.push_back(vecc(0.0));
      if (lsma)
        init.push_back(vecc(0.0));
    }
    // Short weighted windows are unrolled with each weight a constant
    // (folded into the multiply, no weight recurrence between positions);
    // longer ones carry the weight through the loop.
    bool unrolled = (weighted || lsma) && n <= kUnrolledWeightedWindow;
    if (weighted && !unrolled)
      init.push_back(vecc(1.0));
    if (lsma && !unrolled)
      init.push_back(vecc(-mid));
    int64_t per = lsma ? 2 : 1;
    // One window position: every tile adds its term; `w` the position's
    // weight (a constant or the loop-carried one).
    auto position = [&](Value i, ValueRange acc, Value w) {
      SmallVector<Value> next;
      Value at = b.create<arith::AddIOp>(loc, r, i);
      for (int64_t t = 0; t < kTiles; ++t) {
        Value x = load(vec(), ext, b.create<arith::AddIOp>(loc, at, i64(t * kLanes)), f64());
        Value a0 = acc[per * t];
        if (weighted)
          next.push_back(b.create<arith::AddFOp>(loc, a0, b.create<arith::MulFOp>(loc, w, x)));
        else
          next.push_back(b.create<arith::AddFOp>(loc, a0, x));
        if (lsma)
          next.push_back(
              b.create<arith::AddFOp>(loc, acc[per * t + 1], b.create<arith::MulFOp>(loc, w, x)));
      }
      return next;
    };
    SmallVector<Value> sums;
    if (unrolled) {
      sums.assign(init.begin(), init.end());
      double w0 = weighted ? 1.0 : -mid;
      for (int64_t i = 0; i < n; ++i)
        sums = position(i64(i), sums, vecc(w0 + static_cast<double>(i)));
    } else {
      auto f = loop(i64(0), i64(n), 1, init, [&](Value i, ValueRange acc) {
        Value w = (weighted || lsma) ? acc[per * kTiles] : Value();
        SmallVector<Value> next = position(i, acc, w);
        if (w)
          next.push_back(b.create<arith::AddFOp>(loc, w, vecc(1.0)));
        return next;
      });
      sums.assign(f.getResults().begin(), f.getResults().end());
    }
    for (int64_t t = 0; t < kTiles; ++t) {
      Value sum = sums[per * t];
      Value result;
      if (weighted)
        result = b.create<arith::DivFOp>(loc, sum, vecc(div));
      else if (lsma && n > 1) {
        Value mean = b.create<arith::DivFOp>(loc, sum, vecc(nd));
        Value slope = b.create<arith::DivFOp>(loc, sums[per * t + 1], vecc(scc));
        result = b.create<arith::AddFOp>(loc, mean, b.create<arith::MulFOp>(loc, slope, vecc(mid)));
      } else
        result = b.create<arith::DivFOp>(loc, sum, vecc(nd));
      store(result, y, b.create<arith::AddIOp>(loc, r, i64(t * kLanes)), f64());
    }
    return SmallVector<Value>{};
  });
  saveHistory(ext, hist, off);
  return success();
}

void SeriesLowering::lowerKama(KamaOp op) {
  int64_t n = op.getPeriod(), off = stateOffset[op];
  double slowest = 2.0 / static_cast<double>(op.getSlow() + 1);
  double span = 2.0 / static_cast<double>(op.getFast() + 1) - slowest;
  Value vol = scratch(kBlock + kPad);
  // Per row r: x[t], x[t-n] and x[t-1].
  std::function<Value(Value)> xAt, firstAt, beforeAt;
  bool exact = n >= specjit::kExactWindowMinPeriod;
  Value ext;
  if (exact) {
    Value firsts = scratch(kBlock + kPad), befores = scratch(kBlock + kPad);
    // One column of the source serves the routine and the recurrence.
    Value xs = sourceColumn(op.getInput());
    callExactWindow(specjit::ExactWindowKind::Kama, n, off + 24, xs, vol, firsts, befores);
    xAt = [=, this](Value r) { return load(f64(), xs, r); };
    firstAt = [=, this](Value r) { return load(f64(), firsts, r); };
    beforeAt = [=, this](Value r) { return load(f64(), befores, r); };
  } else {
    // ext = x[t-n .. t] for each row: n history values, then the block.
    ext = windowExtent(op.getInput(), n, off + 24, 1);
    xAt = [=, this](Value r) { return load(f64(), ext, b.create<arith::AddIOp>(loc, r, i64(n))); };
    firstAt = [=, this](Value r) { return load(f64(), ext, r); };
    beforeAt = [=, this](Value r) {
      return load(f64(), ext, b.create<arith::AddIOp>(loc, r, i64(n - 1)));
    };
  }
  if (!exact) {
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
  }
  Value y = column(op.getResult());
  Value pk = stateAt(off), pr = stateAt(off + 8), pseed = stateAt(off + 16);
  SmallVector<Value> init = {b.create<LLVM::LoadOp>(loc, f64(), pk),
                             b.create<LLVM::LoadOp>(loc, b.getI64Type(), pr),
                             b.create<LLVM::LoadOp>(loc, b.getI64Type(), pseed)};
  auto sel = [&](Value c, Value t, Value f) -> Value {
    return b.create<arith::SelectOp>(loc, c, t, f);
  };
  // One row: x, the NaN run, whether the window x[t-n..t] is clean, and
  // the smoothing constant.
  struct Row {
    Value x, before, run2, ok, sc;
  };
  auto rowAt = [&](Value r, Value run) {
    Row w;
    Value x = xAt(r);
    Value first = firstAt(r);
    Value before = beforeAt(r);
    Value isNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
    Value run1 =
        b.create<arith::MinSIOp>(loc, b.create<arith::AddIOp>(loc, run, i64(1)), i64(n + 1));
    Value run2 = sel(isNaN, i64(0), run1);
    Value ok = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, run2, i64(n));
    Value v = load(f64(), vol, r);
    Value flat = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, v, f64c(0.0));
    Value ratio = b.create<arith::DivFOp>(
        loc, b.create<math::AbsFOp>(loc, b.create<arith::SubFOp>(loc, x, first)), v);
    Value er = sel(flat, f64c(0.0), ratio);
    Value sc =
        b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, er, f64c(span)), f64c(slowest));
    sc = b.create<arith::MulFOp>(loc, sc, sc);
    w.x = x, w.before = before, w.run2 = run2, w.ok = ok, w.sc = sc;
    return w;
  };
  auto fullBody = [&](Value r, ValueRange s) {
    Value k = s[0], seeded = s[2];
    Row w = rowAt(r, s[1]);
    Value x = w.x, before = w.before, run2 = w.run2, ok = w.ok, sc = w.sc;
    // The window is clean on almost every row: a predictable branch keeps
    // the selects off the recurrence (k -> x - k -> sc * . -> k + .).
    auto step = b.create<scf::IfOp>(loc, TypeRange{f64(), b.getI64Type(), f64()}, ok,
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&step.getThenRegion().front());
      Value isSeeded = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, seeded, i64(0));
      Value prev = sel(isSeeded, k, before);
      Value kNew = b.create<arith::AddFOp>(
          loc, prev, b.create<arith::MulFOp>(loc, sc, b.create<arith::SubFOp>(loc, x, prev)));
      b.create<scf::YieldOp>(loc, ValueRange{kNew, i64(1), kNew});
      b.setInsertionPointToStart(&step.getElseRegion().front());
      b.create<scf::YieldOp>(loc, ValueRange{k, seeded, nan()});
    }
    store(step.getResult(2), y, r);
    return SmallVector<Value>{step.getResult(0), run2, step.getResult(1)};
  };
  // Once seeded (every block after a stream's first value), speculate that
  // every window of the block is clean: k = k + sc*(x - k) with nothing on
  // the recurrence but the arithmetic, a flag off it recording a NaN run;
  // if one occurred, the block runs again from the same state with the
  // full rules, overwriting what the speculative loop stored.
  Value seededAtStart = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, init[2], i64(0));
  SmallVector<Type> stateTypes = {f64(), b.getI64Type(), b.getI64Type()};
  auto full = [&] { return loop(i64(0), count, 1, init, fullBody).getResults(); };
  auto versions = b.create<scf::IfOp>(loc, stateTypes, seededAtStart, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&versions.getThenRegion().front());
    SmallVector<Value> specInit = init;
    specInit.push_back(b.create<arith::ConstantOp>(loc, b.getBoolAttr(false)));
    auto spec = loop(i64(0), count, 1, specInit, [&](Value r, ValueRange s) {
      Value k = s[0];
      Row w = rowAt(r, s[1]);
      Value kNew = b.create<arith::AddFOp>(
          loc, k, b.create<arith::MulFOp>(loc, w.sc, b.create<arith::SubFOp>(loc, w.x, k)));
      store(kNew, y, r);
      Value dirty =
          b.create<arith::XOrIOp>(loc, w.ok, b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
      return SmallVector<Value>{kNew, w.run2, s[2], b.create<arith::OrIOp>(loc, s[3], dirty)};
    });
    auto redo = b.create<scf::IfOp>(loc, stateTypes, spec.getResult(3), /*withElseRegion=*/true);
    b.setInsertionPointToStart(&redo.getThenRegion().front());
    b.create<scf::YieldOp>(loc, full());
    b.setInsertionPointToStart(&redo.getElseRegion().front());
    b.create<scf::YieldOp>(loc, spec.getResults().drop_back());
    b.setInsertionPointAfter(redo);
    b.create<scf::YieldOp>(loc, redo.getResults());
    b.setInsertionPointToStart(&versions.getElseRegion().front());
    b.create<scf::YieldOp>(loc, full());
  }
  ValueRange f = versions.getResults();
  b.create<LLVM::StoreOp>(loc, f[0], pk);
  b.create<LLVM::StoreOp>(loc, f[1], pr);
  b.create<LLVM::StoreOp>(loc, f[2], pseed);
  if (!exact)
    saveHistory(ext, n, off + 24);
}

/// One row-wise op inside a fused row loop: its loop-carried state (loaded
/// before the loop, stored after) and how it computes one row.
namespace {
struct EmaConstants {
  int64_t need;
  double nd, a, b;
};
} // namespace

void SeriesLowering::lowerRows(ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 32> inGroup(ops.begin(), ops.end());
  // Loop-carried state: ema {e, sum, count}, crossover {fast, slow}.
  SmallVector<Value> init;
  SmallVector<std::pair<Operation *, unsigned>> carried; // op, first iter arg
  SmallVector<Value> statePtrs;
  for (Operation *op : ops) {
    int64_t off = stateOffset.lookup(op);
    if (isa<EmaOp>(op)) {
      carried.push_back({op, static_cast<unsigned>(init.size())});
      for (auto [k, t] : llvm::enumerate(SmallVector<Type>{f64(), f64(), b.getI64Type()})) {
        Value p = stateAt(off + 8 * static_cast<int64_t>(k));
        init.push_back(b.create<LLVM::LoadOp>(loc, t, p));
        statePtrs.push_back(p);
      }
    } else if (isa<CrossoverOp>(op)) {
      carried.push_back({op, static_cast<unsigned>(init.size())});
      for (int64_t k = 0; k < 2; ++k) {
        Value p = stateAt(off + 8 * k);
        init.push_back(b.create<LLVM::LoadOp>(loc, f64(), p));
        statePtrs.push_back(p);
      }
    }
  }
  llvm::DenseMap<Operation *, unsigned> firstArg(carried.begin(), carried.end());
  auto sel = [&](Value c, Value t, Value f) -> Value {
    return b.create<arith::SelectOp>(loc, c, t, f);
  };
  auto cmp = [&](arith::CmpFPredicate p, Value x, Value z) -> Value {
    return b.create<arith::CmpFOp>(loc, p, x, z);
  };
  // The body of one row. `steady`: every ema stage of the group is seeded,
  // so only the NaN skip remains on the recurrence. `nanSeen` (steady
  // only): speculate that no stage reads a NaN, which takes the skip's
  // select off the recurrence, and OR into *nanSeen whether one did (the
  // caller then runs the rows again without speculating).
  auto rowBody = [&](Value r, ValueRange s, bool steady, Value *nanSeen = nullptr) {
    SmallVector<Value> next(s.begin(), s.end());
    IRMapping map;
    auto at = [&](Value v) -> Value {
      if (Value m = map.lookupOrNull(v))
        return m;
      return valueAt(v, r);
    };
    for (Operation *op : ops) {
      Value result;
      if (auto in = dyn_cast<SeriesInputOp>(op)) {
        Type t = cast<TypeAttr>(kernel.getInputTypes()[in.getIndex()]).getValue();
        result = load(t, inputs[in.getIndex()], specjit::indexAdd(b, loc, blockStart, r));
        if (t.isF32())
          result = b.create<arith::ExtFOp>(loc, f64(), result);
      } else if (auto e = dyn_cast<EmaOp>(op)) {
        unsigned k = firstArg[op];
        int64_t n = e.getPeriod();
        EmaConstants c{e.getSeedSma() ? n : 1, static_cast<double>(n),
                       2.0 / static_cast<double>(n + 1), 0.0};
        c.b = 1.0 - c.a;
        Value ev = s[k], sum = s[k + 1], cnt = s[k + 2];
        Value v = at(e.getInput());
        Value isNaN = cmp(arith::CmpFPredicate::UNO, v, v);
        Value seeded =
            steady ? Value()
                   : b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, cnt, i64(c.need));
        // Seeded: e = a*v + (1-a)*e; NaN observations are skipped.
        Value ax = b.create<arith::MulFOp>(loc, f64c(c.a), v);
        Value be = b.create<arith::MulFOp>(loc, f64c(c.b), ev);
        Value rec = b.create<arith::AddFOp>(loc, ax, be);
        Value eU, sumU, cntU, yU;
        if (steady) {
          // Nothing to seed.
        } else if (c.need == 1) {
          eU = v, sumU = sum, cntU = i64(1), yU = v;
        } else {
          sumU = b.create<arith::AddFOp>(loc, sum, v);
          cntU = b.create<arith::AddIOp>(loc, cnt, i64(1));
          Value done = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, cntU, i64(c.need));
          Value seed = b.create<arith::DivFOp>(loc, sumU, f64c(c.nd));
          eU = sel(done, seed, ev);
          yU = sel(done, seed, nan());
        }
        if (nanSeen) {
          next[k] = rec;
          result = rec;
          *nanSeen = b.create<arith::OrIOp>(loc, *nanSeen, isNaN);
        } else if (steady) {
          next[k] = sel(isNaN, ev, rec);
          result = sel(isNaN, nan(), rec);
        } else {
          next[k] = sel(isNaN, ev, sel(seeded, rec, eU));
          next[k + 1] = sel(seeded, sum, sel(isNaN, f64c(0.0), sumU));
          next[k + 2] = sel(seeded, cnt, sel(isNaN, i64(0), cntU));
          result = sel(isNaN, nan(), sel(seeded, rec, yU));
        }
      } else if (auto x = dyn_cast<CrossoverOp>(op)) {
        unsigned k = firstArg[op];
        Value cf = at(x.getFast()), cs = at(x.getSlow()), pf = s[k], ps = s[k + 1];
        Value anyNaN = b.create<arith::OrIOp>(loc, cmp(arith::CmpFPredicate::UNO, cf, cs),
                                              cmp(arith::CmpFPredicate::UNO, pf, ps));
        Value up = b.create<arith::AndIOp>(loc, cmp(arith::CmpFPredicate::OGT, cf, cs),
                                           cmp(arith::CmpFPredicate::OLE, pf, ps));
        Value down = b.create<arith::AndIOp>(loc, cmp(arith::CmpFPredicate::OLT, cf, cs),
                                             cmp(arith::CmpFPredicate::OGE, pf, ps));
        Value v = sel(down, f64c(-1.0), f64c(0.0));
        v = sel(up, f64c(1.0), v);
        result = sel(anyNaN, nan(), v);
        next[k] = cf;
        next[k + 1] = cs;
      } else if (auto o = dyn_cast<SeriesOutputOp>(op)) {
        int64_t cols = o.getValues().size();
        Type elem = kernel.getOutputType();
        Value row = specjit::indexAdd(b, loc, blockStart, r);
        Value base = specjit::indexMul(b, loc, row, i64(cols));
        for (auto [j, v] : llvm::enumerate(o.getValues())) {
          Value xv = at(v);
          if (elem.isF32())
            xv = b.create<arith::TruncFOp>(loc, elem, xv);
          store(xv, out, specjit::indexAdd(b, loc, base, i64(j)), elem);
        }
        continue;
      } else {
        for (Value operand : op->getOperands())
          if (!map.contains(operand))
            map.map(operand, at(operand));
        result = b.clone(*op, map)->getResult(0);
      }
      map.map(op->getResult(0), result);
      // Later phases read it from its column.
      bool usedOutside = llvm::any_of(op->getResult(0).getUsers(),
                                      [&](Operation *u) { return !inGroup.contains(u); });
      if (usedOutside && result.getType().isF64())
        store(result, column(op->getResult(0)), r);
    }
    return next;
  };
  SmallVector<Value> final;
  if (llvm::none_of(ops, [](Operation *op) { return isa<EmaOp>(op); })) {
    auto f =
        loop(i64(0), count, 1, init, [&](Value r, ValueRange st) { return rowBody(r, st, false); });
    final.assign(f.getResults().begin(), f.getResults().end());
  } else {
    // Seeding: rows while some ema stage still seeds (only at the start of a
    // stream), then the steady loop for the rest of the block.
    SmallVector<Value> whileInit = {i64(0)};
    whileInit.append(init.begin(), init.end());
    SmallVector<Type> types;
    for (Value v : whileInit)
      types.push_back(v.getType());
    SmallVector<Location> locs(types.size(), loc);
    auto seeding = b.create<scf::WhileOp>(loc, types, whileInit);
    {
      OpBuilder::InsertionGuard g(b);
      Block *before = b.createBlock(&seeding.getBefore(), {}, types, locs);
      Value more =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, before->getArgument(0), count);
      Value unseeded = b.create<arith::ConstantOp>(loc, b.getBoolAttr(false));
      for (auto [op, k] : carried)
        if (auto e = dyn_cast<EmaOp>(op)) {
          int64_t need = e.getSeedSma() ? e.getPeriod() : 1;
          Value c = before->getArgument(1 + k + 2);
          unseeded = b.create<arith::OrIOp>(
              loc, unseeded, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, c, i64(need)));
        }
      b.create<scf::ConditionOp>(loc, b.create<arith::AndIOp>(loc, more, unseeded),
                                 before->getArguments());
      Block *after = b.createBlock(&seeding.getAfter(), {}, types, locs);
      SmallVector<Value> next =
          rowBody(after->getArgument(0), after->getArguments().drop_front(), false);
      next.insert(next.begin(), b.create<arith::AddIOp>(loc, after->getArgument(0), i64(1)));
      b.create<scf::YieldOp>(loc, next);
    }
    // The steady rows, first on the speculation that no ema stage reads a
    // NaN in this block (plain a*x + b*e recurrences, as hand-written code
    // with a predictable branch runs them), with a flag off the recurrence
    // recording whether one did; if so, the block's steady rows run again
    // from the same state with the NaN skip, overwriting every value the
    // speculative loop stored.
    Value start = seeding.getResult(0);
    ValueRange steadyInit = seeding.getResults().drop_front();
    SmallVector<Value> specInit(steadyInit.begin(), steadyInit.end());
    specInit.push_back(b.create<arith::ConstantOp>(loc, b.getBoolAttr(false)));
    auto spec = loop(start, count, 1, specInit, [&](Value r, ValueRange st) {
      Value seen = st.back();
      SmallVector<Value> next = rowBody(r, st.drop_back(), true, &seen);
      next.push_back(seen);
      return next;
    });
    SmallVector<Type> stateTypes;
    for (Value v : steadyInit)
      stateTypes.push_back(v.getType());
    auto redo = b.create<scf::IfOp>(loc, stateTypes, spec.getResults().back(),
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&redo.getThenRegion().front());
      auto f = loop(start, count, 1, steadyInit,
                    [&](Value r, ValueRange st) { return rowBody(r, st, true); });
      b.create<scf::YieldOp>(loc, f.getResults());
      b.setInsertionPointToStart(&redo.getElseRegion().front());
      b.create<scf::YieldOp>(loc, spec.getResults().drop_back());
    }
    final.assign(redo.getResults().begin(), redo.getResults().end());
  }
  for (auto [k, p] : llvm::enumerate(statePtrs))
    b.create<LLVM::StoreOp>(loc, final[k], p);
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
  // Scratch starts 64-byte aligned (the runtime's buffer is 8-byte aligned).
  persistentBytes = (stateBytes + 63) / 64 * 64;

  // The body: inputs..., state, out, rows; every pointer noalias.
  b.setInsertionPoint(kernel);
  SmallVector<Type> argTypes(numInputs + 2, ptrType());
  argTypes.push_back(b.getI64Type());
  std::string bodyName = (specjit::kKernelEntryName + llvm::Twine("_body")).str();
  auto bodyFn =
      b.create<func::FuncOp>(loc, bodyName, FunctionType::get(ctx, argTypes, {b.getI64Type()}));
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
    count = b.create<arith::MinSIOp>(loc, b.create<arith::SubIOp>(loc, rows, start), i64(kBlock));
    // Windows need their source's whole block: they end a fused group.
    SmallVector<Operation *> group;
    auto flush = [&] {
      if (!group.empty())
        lowerRows(group);
      group.clear();
    };
    for (Operation &op : body) {
      if (isa<arith::ConstantOp>(op))
        continue;
      if (isa<SmaOp, WmaOp, LsmaOp, KamaOp>(op)) {
        flush();
        if (auto w = dyn_cast<SmaOp>(op))
          (void)lowerWindow(w, w.getPeriod());
        else if (auto w = dyn_cast<WmaOp>(op))
          (void)lowerWindow(w, w.getPeriod());
        else if (auto w = dyn_cast<LsmaOp>(op))
          (void)lowerWindow(w, w.getPeriod());
        else
          lowerKama(cast<KamaOp>(op));
        continue;
      }
      if (isa<SeriesInputOp, EmaOp, CrossoverOp, SeriesOutputOp>(op) ||
          isa<arith::ArithDialect, math::MathDialect>(op.getDialect())) {
        group.push_back(&op);
        continue;
      }
      result = op.emitOpError("cannot be lowered inside a spec.series_kernel");
    }
    flush();
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
    callArgs.push_back(
        b.create<LLVM::LoadOp>(loc, ptrType(), gep(ptrType(), eb->getArgument(0), i64(s))));
  callArgs.push_back(eb->getArgument(1));
  callArgs.push_back(eb->getArgument(2));
  auto call = b.create<func::CallOp>(loc, bodyFn, callArgs);
  b.create<func::ReturnOp>(loc, call.getResults());

  // The state's size, for the runtime.
  b.setInsertionPoint(kernel);
  auto sizeFn = b.create<func::FuncOp>(loc, specjit::kStateBytesName,
                                       FunctionType::get(ctx, {}, {b.getI64Type()}));
  b.setInsertionPointToStart(sizeFn.addEntryBlock());
  b.create<func::ReturnOp>(loc, ValueRange{i64(persistentBytes + scratchBytes)});
  kernel.erase();
  return success();
}

} // namespace

namespace specjit {
LogicalResult lowerSeriesKernel(SeriesKernelOp kernel) { return SeriesLowering(kernel).run(); }
} // namespace specjit
