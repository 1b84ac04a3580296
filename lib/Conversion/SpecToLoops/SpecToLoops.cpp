//===- SpecToLoops.cpp - spec.kernel to a row loop with the C ABI ---------===//
//
// A spec.kernel (after spec-expand) holds the scalar computation of one row.
// This pass wraps it in the kernel ABI (Runtime/KernelABI.h):
//
//   func @specjit_kernel(%args: !llvm.ptr, %out: !llvm.ptr, %rows: i64) -> i64
//     loads one pointer per numeric input and two per string input, then
//     calls the body with them;
//   func private @specjit_kernel_body(%col0: !llvm.ptr {llvm.noalias}, ...,
//                                     %out {llvm.noalias}, %rows) -> i64
//     runs a checking loop (only when the kernel has spec.check ops) that
//     stops at the first failing row, then an scf.for over the rows that
//     computes each row and stores it.
//
// `noalias` on the body's pointers is what lets LLVM vectorize the row loop
// without runtime alias checks, like C's `restrict`.
//
//===----------------------------------------------------------------------===//

#include "specjit/Conversion/Passes.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include "LLVMAccess.h"
#include "LookupTables.h"
#include "MetricsToLoops.h"
#include "Runtime/KernelABI.h"
#include "SeriesToLoops.h"
#include "TrainToLoops.h"
#include "TreeWalk.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/SwapByteOrder.h"

#include <cassert>
#include <map>

namespace specjit {
#define GEN_PASS_DEF_CONVERTSPECTOLOOPS
#include "specjit/Conversion/Passes.h.inc"
} // namespace specjit

using namespace mlir;
using namespace specjit::spec;

namespace {

/// How one kernel input is passed: its first ABI slot and declared type.
struct InputSlot {
  unsigned slot;
  Type type;
  bool isString() const { return isa<StrType>(type); }
};

/// Whether a lookup op took the table shape (spec-expand decides).
bool isTableShaped(Operation *op) {
  auto shape = op->getAttrOfType<StringAttr>(specjit::kLookupShapeAttr);
  return shape && shape.getValue() == "table";
}

/// Integer keys of a one_hot or label_encode.
SmallVector<int64_t> integerKeys(ArrayAttr keys) {
  SmallVector<int64_t> out;
  for (Attribute a : keys)
    out.push_back(cast<IntegerAttr>(a).getInt());
  return out;
}

/// Output runs of at least this many consecutive columns of one table
/// one_hot are zeroed with a memset, then the one 1.0 is stored.
constexpr size_t kMinZeroedRun = 8;

/// The op and result number an output value is a column of, when `columnOf`
/// says it is one (null otherwise).
using ColumnOf = llvm::function_ref<std::pair<Operation *, int64_t>(Value)>;

/// How many values from `j` on are consecutive columns (results n, n + 1,
/// ...) of one op as `columnOf` sees them; 1 when values[j] is none.
size_t columnRun(ValueRange values, size_t j, ColumnOf columnOf) {
  auto [op, column] = columnOf(values[j]);
  size_t run = 1;
  while (op && j + run < values.size() &&
         columnOf(values[j + run]) ==
             std::pair<Operation *, int64_t>(op, column + static_cast<int64_t>(run)))
    ++run;
  return run;
}

/// In blocked row loops (emitBlockedRowLoop), rows of more output columns
/// than this go through an output tile: LLVM's loop vectorizer forms
/// interleaved stores of at most 8 members, and wider rows became one 8-lane
/// scatter per column, slow to run and to compile (their address vectors
/// dominate instruction selection and register allocation). Kernels without
/// blocks keep the scatters: a block loop around their row loop made it run
/// 1.5x faster but doubled its register allocation (housing: 104M -> 139M
/// instructions per compile; docs/benchmarks.md, "Compile latency").
constexpr int64_t kMaxInterleavedColumns = 8;
/// Rows of at most this many columns use the tile (wider rows are stored
/// column by column, as before).
constexpr int64_t kMaxTiledColumns = 64;
/// The output tile's size bound (it lives on the stack).
constexpr int64_t kMaxTileBytes = 64 * 1024;

class KernelLowering {
public:
  KernelLowering(KernelOp kernel, int64_t walkMaxBlockRows)
      : kernel(kernel), b(kernel), tables(kernel->getParentOfType<ModuleOp>()),
        walkMaxBlockRows(walkMaxBlockRows) {
    unsigned slot = 0;
    for (Attribute a : kernel.getInputTypes()) {
      Type t = cast<TypeAttr>(a).getValue();
      inputs.push_back({slot, t});
      slot += isa<StrType>(t) ? 2 : 1;
    }
    numSlots = slot;
  }

  LogicalResult run();

private:
  Type ptrType() { return specjit::ptrType(b); }
  Value i64(Location loc, int64_t v) { return specjit::i64(b, loc, v); }
  Value loadAt(Location loc, Type elem, Value base, Value index) {
    return specjit::loadAt(b, loc, elem, base, index);
  }

  /// Which ops of the body a row loop computes: all of them, or (with a
  /// walked tree ensemble) those before it, ending with storing its
  /// features, or those after it, starting from its margins.
  enum class Segment { All, BeforeTrees, AfterTrees };

  /// Emits the row computation for row `row` (i64). With `checksOnly`, the
  /// result is the conjunction of the row's checks and nothing is stored.
  FailureOr<Value> emitRow(Location loc, Value row, bool checksOnly,
                           Segment segment = Segment::All);
  LogicalResult emitBlockedRowLoop(Location loc, ArrayRef<StrLookupOp> lookups, Value rows);
  /// Finds a tree ensemble with the walk layout and checks that the body
  /// splits around it: no checks after it, and nothing after it uses a value
  /// from before it other than constants.
  LogicalResult findWalkedTrees();
  Value emitInput(InputOp op, Value row);
  Value emitStrLookup(StrLookupOp op, Value row);
  /// The value of `v` in the row being emitted: mapped, or (a column of a
  /// table one_hot, which is only materialized where something other than
  /// a zeroed output run reads it) `position == j ? 1.0 : 0.0`.
  Value use(IRMapping &map, Value v);
  /// Maps every value `op` and its regions read from outside it.
  void useOperands(IRMapping &map, Operation *op);
  /// Stores the row's output values, zeroing runs of table one_hot columns
  /// (or, with an output tile, into the tile).
  void emitOutput(Location loc, IRMapping &map, OutputOp output, Value row);
  /// Stores `x` (f64) as output column `j` of `row`: to the caller's buffer,
  /// or with an output tile to the tile.
  void storeColumn(Location loc, Value x, Value row, int64_t j);
  /// row * columns, the row's first element in the caller's buffer: made
  /// where the row first needs it, then reused.
  Value rowStart(Location loc, Value row);
  /// The output columns each value of the body is, for the columns stored
  /// as soon as their value is computed (all but table one_hot columns):
  /// a row's values then do not all stay live until its end.
  llvm::DenseMap<Value, SmallVector<int64_t>> earlyColumns();
  /// Whether a blocked row loop stores rows through an output tile: more than
  /// kMaxInterleavedColumns columns, at most kMaxTiledColumns, and no run of
  /// one one_hot's columns long enough to be zeroed with a memset.
  bool wantsOutputTile();
  /// Copies rows first .. first + count - 1 of the output tile to the
  /// caller's row-major buffer: per row, the columns gathered into one
  /// vector and stored at once (a loop the vectorizer leaves as it is).
  void emitTileCopy(Location loc, Value first, Value count);

  KernelOp kernel;
  OpBuilder b;
  SmallVector<InputSlot> inputs;
  unsigned numSlots = 0;
  // Body function arguments: one pointer per slot, then out, then rows.
  SmallVector<Value> slotPtrs;
  Value outPtr;
  // When set, string lookups were resolved ahead of the row loop into
  // `lookupBuffer` (lookup k of row j of the block at k * blockRows + j).
  Value lookupBuffer, rowInBlock;
  int64_t blockRows = 0;
  // When set, the row loop stores output column j of row r of the block at
  // outputTile[j * blockRows + r] (unit-stride stores the vectorizer widens),
  // and emitTileCopy writes the block's rows to the caller's buffer.
  Value outputTile;
  llvm::DenseMap<Operation *, int64_t> lookupIndex;
  // A tree ensemble with the walk layout, when the body has one.
  TreeEnsembleOp walkedOp;
  std::optional<specjit::TreeWalk> walk;
  /// The pass option walk-max-block-rows.
  int64_t walkMaxBlockRows;
  specjit::LookupTables tables;
  // Per emitted row: the position (i64, -1: none) of each table one_hot.
  llvm::DenseMap<Operation *, Value> oneHotPosition;
  // Per emitted row: the output columns already stored (earlyColumns), and
  // row * columns (rowStart).
  llvm::DenseSet<int64_t> storedColumns;
  Value rowBase;
};

LogicalResult KernelLowering::findWalkedTrees() {
  for (auto op : kernel.getBodyBlock().getOps<TreeEnsembleOp>()) {
    if (!op.getLayout())
      return op.emitOpError("has no layout (run spec-select-tree-layout first)");
    if (*op.getLayout() != TreeLayout::Walk)
      return op.emitOpError("with the branches layout must be expanded before "
                            "convert-spec-to-loops (run spec-expand first)");
    if (walkedOp)
      return op.emitOpError("is the second tree ensemble of the kernel; the "
                            "walk layout takes one");
    walkedOp = op;
  }
  if (!walkedOp)
    return success();
  for (Operation *op = walkedOp->getNextNode(); op; op = op->getNextNode()) {
    if (isa<CheckOp>(op))
      return op->emitOpError("follows a walked tree ensemble");
    for (Value v : op->getOperands()) {
      Operation *def = v.getDefiningOp();
      if (def && def != walkedOp && def->isBeforeInBlock(walkedOp) &&
          !def->hasTrait<OpTrait::ConstantLike>())
        return op->emitOpError("uses a value computed before the walked tree "
                               "ensemble; only its margins cross it");
    }
  }
  FailureOr<specjit::TreeWalk> w = specjit::TreeWalk::plan(walkedOp, walkMaxBlockRows);
  if (failed(w))
    return failure();
  walk = std::move(*w);
  return success();
}

Value KernelLowering::emitInput(InputOp op, Value row) {
  Location loc = op.getLoc();
  const InputSlot &in = inputs[op.getIndex()];
  Value base = slotPtrs[in.slot];
  Type t = in.type;
  if (t.isInteger(1)) // bool: one byte, 0 or 1
    return b.create<arith::ExtUIOp>(loc, b.getI64Type(), loadAt(loc, b.getI8Type(), base, row));
  if (t.isInteger(32))
    return b.create<arith::ExtSIOp>(loc, b.getI64Type(), loadAt(loc, t, base, row));
  if (t.isF32())
    return b.create<arith::ExtFOp>(loc, b.getF64Type(), loadAt(loc, t, base, row));
  return loadAt(loc, t, base, row);
}

/// Index of the row's string among the keys, or -1. Keys are grouped by
/// length; a group's bytes are read only when the row's length matches, as
/// a few integer words (little-endian, up to 8 bytes each), and compared
/// with the keys' words without branches.
Value KernelLowering::emitStrLookup(StrLookupOp op, Value row) {
  Location loc = op.getLoc();
  auto input = op.getInput().getDefiningOp<InputOp>();
  const InputSlot &in = inputs[input.getIndex()];
  Value offsets = slotPtrs[in.slot], bytes = slotPtrs[in.slot + 1];
  Value start = loadAt(loc, b.getI64Type(), offsets, row);
  Value next = specjit::indexAdd(b, loc, row, i64(loc, 1));
  Value end = loadAt(loc, b.getI64Type(), offsets, next);
  Value len = b.create<arith::SubIOp>(loc, end, start);
  if (isTableShaped(op)) {
    SmallVector<StringRef> keys;
    for (Attribute k : op.getKeys())
      keys.push_back(cast<StringAttr>(k).getValue());
    Value base = specjit::elementAddress(b, loc, b.getI8Type(), bytes, start);
    return tables.emitStringLookup(b, loc, op, keys, base, len);
  }

  std::map<size_t, SmallVector<std::pair<int64_t, StringRef>>> byLength;
  for (auto [k, key] : llvm::enumerate(op.getKeys()))
    byLength[cast<StringAttr>(key).getValue().size()].push_back(
        {static_cast<int64_t>(k), cast<StringAttr>(key).getValue()});

  Value result = i64(loc, -1);
  for (auto &[length, keys] : byLength) {
    Value lenOk = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, len, i64(loc, length));
    auto ifOp = b.create<scf::IfOp>(loc, TypeRange{b.getI64Type()}, lenOk, true);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    // The row's bytes as words of up to 8 bytes.
    SmallVector<Value> words;
    Value base = b.create<LLVM::GEPOp>(loc, ptrType(), b.getI8Type(), bytes, ValueRange{start},
                                       /*inbounds=*/true);
    for (size_t at = 0; at < length; at += 8) {
      unsigned n = std::min<size_t>(8, length - at);
      Type word = b.getIntegerType(8 * n);
      Value p = b.create<LLVM::GEPOp>(loc, ptrType(), b.getI8Type(), base, ValueRange{i64(loc, at)},
                                      /*inbounds=*/true);
      words.push_back(b.create<LLVM::LoadOp>(loc, word, p, /*alignment=*/1));
    }
    Value found = i64(loc, -1);
    for (auto &[index, key] : keys) {
      Value match = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
      for (size_t w = 0; w < words.size(); ++w) {
        StringRef piece = key.substr(8 * w, 8);
        uint64_t v = 0;
        for (size_t i = 0; i < piece.size(); ++i)
          v |= static_cast<uint64_t>(static_cast<uint8_t>(piece[i])) << (8 * i);
        Value want = b.create<arith::ConstantOp>(
            loc, b.getIntegerAttr(words[w].getType(), APInt(8 * piece.size(), v)));
        Value eq = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, words[w], want);
        match = b.create<arith::AndIOp>(loc, match, eq);
      }
      found = b.create<arith::SelectOp>(loc, match, i64(loc, index), found);
    }
    b.create<scf::YieldOp>(loc, found);
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    b.create<scf::YieldOp>(loc, ValueRange{i64(loc, -1)});
    b.setInsertionPointAfter(ifOp);
    // Length groups are exclusive: at most one yields an index >= 0.
    result = b.create<arith::MaxSIOp>(loc, result, ifOp.getResult(0));
  }
  return result;
}

Value KernelLowering::use(IRMapping &map, Value v) {
  if (Value mapped = map.lookupOrNull(v))
    return mapped;
  auto result = dyn_cast<OpResult>(v);
  Value position = result ? oneHotPosition.lookup(result.getOwner()) : Value();
  if (!position)
    return map.lookupOrDefault(v);
  Location loc = v.getLoc();
  Value hit = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, position,
                                      i64(loc, result.getResultNumber()));
  Value x = b.create<arith::UIToFPOp>(loc, b.getF64Type(), hit);
  map.map(v, x);
  return x;
}

void KernelLowering::useOperands(IRMapping &map, Operation *op) {
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands()) {
      Operation *def = v.getDefiningOp();
      if (def && !op->isAncestor(def))
        use(map, v);
    }
  });
}

llvm::DenseMap<Value, SmallVector<int64_t>> KernelLowering::earlyColumns() {
  llvm::DenseMap<Value, SmallVector<int64_t>> columns;
  for (auto output : kernel.getBodyBlock().getOps<OutputOp>())
    for (auto [j, v] : llvm::enumerate(output.getValues())) {
      Operation *def = v.getDefiningOp();
      if (def && isa<OneHotOp>(def) && isTableShaped(def))
        continue;
      columns[v].push_back(static_cast<int64_t>(j));
    }
  return columns;
}

void KernelLowering::storeColumn(Location loc, Value x, Value row, int64_t j) {
  Type outElem = kernel.getOutputType();
  if (outElem.isF32())
    x = b.create<arith::TruncFOp>(loc, outElem, x);
  if (outputTile) {
    // &tile[r], then the column at a constant offset from it: one address
    // register for all columns (LICM would hoist a base per column).
    Value rowTile = specjit::elementAddress(b, loc, outElem, outputTile, rowInBlock);
    specjit::storeAt(b, loc, x, rowTile, i64(loc, j * blockRows));
    return;
  }
  specjit::storeAt(b, loc, x, outPtr, specjit::indexAdd(b, loc, rowStart(loc, row), i64(loc, j)));
}

Value KernelLowering::rowStart(Location loc, Value row) {
  if (!rowBase)
    rowBase = specjit::indexMul(b, loc, row, i64(loc, kernel.getOutputNames().size()));
  return rowBase;
}

void KernelLowering::emitOutput(Location loc, IRMapping &map, OutputOp output, Value row) {
  Type outElem = kernel.getOutputType();
  auto values = output.getValues();
  // The table one_hot and column a value is, if it is one.
  auto oneHotColumn = [&](Value v) -> std::pair<Operation *, int64_t> {
    auto r = dyn_cast<OpResult>(v);
    if (!r || !oneHotPosition.count(r.getOwner()))
      return {nullptr, 0};
    return {r.getOwner(), r.getResultNumber()};
  };
  for (size_t j = 0; j < values.size();) {
    auto [oneHot, column] = oneHotColumn(values[j]);
    size_t run = columnRun(values, j, oneHotColumn);
    if (oneHot && run >= kMinZeroedRun) {
      // Never with an output tile (wantsOutputTile). Columns j .. j + run - 1
      // are one_hot columns column .. column + run - 1: zero them, then store
      // the 1.0 of the position if it is among them.
      assert(!outputTile && "a zeroed one_hot run in a tiled row");
      Value first = specjit::indexAdd(b, loc, rowStart(loc, row), i64(loc, j));
      Value dst = specjit::elementAddress(b, loc, outElem, outPtr, first);
      int64_t bytes = static_cast<int64_t>(run) * (outElem.isF32() ? 4 : 8);
      b.create<LLVM::MemsetOp>(loc, dst, b.create<arith::ConstantOp>(loc, b.getI8IntegerAttr(0)),
                               i64(loc, bytes), /*isVolatile=*/false);
      Value rel = b.create<arith::SubIOp>(loc, oneHotPosition.lookup(oneHot), i64(loc, column));
      Value inRun = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, rel,
                                            i64(loc, static_cast<int64_t>(run)));
      auto ifOp = b.create<scf::IfOp>(loc, inRun, /*withElse=*/false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value oneValue = b.create<arith::ConstantOp>(loc, b.getFloatAttr(outElem, 1.0));
      specjit::storeAt(b, loc, oneValue, outPtr, specjit::indexAdd(b, loc, first, rel));
      j += run;
      continue;
    }
    if (!storedColumns.count(static_cast<int64_t>(j)))
      storeColumn(loc, use(map, values[j]), row, static_cast<int64_t>(j));
    ++j;
  }
}

bool KernelLowering::wantsOutputTile() {
  int64_t numCols = kernel.getOutputNames().size();
  if (numCols <= kMaxInterleavedColumns || numCols > kMaxTiledColumns)
    return false;
  // Any one_hot's columns, table-shaped or not: emitOutput zeroes the runs
  // of the table-shaped ones.
  auto oneHotColumn = [](Value v) -> std::pair<Operation *, int64_t> {
    auto r = dyn_cast<OpResult>(v);
    if (!r || !isa<OneHotOp>(r.getOwner()))
      return {nullptr, 0};
    return {r.getOwner(), r.getResultNumber()};
  };
  for (auto output : kernel.getBodyBlock().getOps<OutputOp>()) {
    auto values = output.getValues();
    for (size_t j = 0; j < values.size();) {
      size_t run = columnRun(values, j, oneHotColumn);
      if (run >= kMinZeroedRun)
        return false;
      j += run;
    }
  }
  return true;
}

void KernelLowering::emitTileCopy(Location loc, Value first, Value count) {
  int64_t numCols = kernel.getOutputNames().size();
  Type elem = kernel.getOutputType();
  auto rowType = VectorType::get({numCols}, elem);
  auto loop = b.create<scf::ForOp>(loc, i64(loc, 0), count, i64(loc, 1));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loop.getBody());
  Value r = loop.getInductionVar();
  Value rowTile = specjit::elementAddress(b, loc, elem, outputTile, r);
  Value v = b.create<LLVM::PoisonOp>(loc, rowType);
  for (int64_t j = 0; j < numCols; ++j) {
    Value x = loadAt(loc, elem, rowTile, i64(loc, j * blockRows));
    v = b.create<LLVM::InsertElementOp>(loc, v, x, i64(loc, j));
  }
  Value row = specjit::indexAdd(b, loc, first, r);
  Value dst = specjit::elementAddress(b, loc, elem, outPtr,
                                      specjit::indexMul(b, loc, row, i64(loc, numCols)));
  b.create<LLVM::StoreOp>(loc, v, dst, elem.getIntOrFloatBitWidth() / 8);
}

FailureOr<Value> KernelLowering::emitRow(Location loc, Value row, bool checksOnly,
                                         Segment segment) {
  IRMapping map;
  oneHotPosition.clear();
  storedColumns.clear();
  rowBase = nullptr;
  Value ok = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
  bool afterTrees = false;
  // Output columns are stored right after the op that computes them.
  llvm::DenseMap<Value, SmallVector<int64_t>> early;
  if (!checksOnly && segment != Segment::BeforeTrees)
    early = earlyColumns();
  Operation *previous = nullptr;
  auto storeEarly = [&](Operation *op) {
    if (!op)
      return;
    for (Value r : op->getResults()) {
      auto it = early.find(r);
      if (it == early.end() || !map.contains(r))
        continue;
      for (int64_t j : it->second) {
        storeColumn(loc, map.lookup(r), row, j);
        storedColumns.insert(j);
      }
    }
  };
  for (Operation &op : kernel.getBodyBlock()) {
    storeEarly(previous);
    previous = &op;
    if (&op == walkedOp.getOperation()) {
      // Nothing after the trees is a check (findWalkedTrees).
      if (checksOnly)
        break;
      if (segment == Segment::BeforeTrees) {
        SmallVector<Value> features;
        for (Value f : walkedOp.getFeatures())
          features.push_back(use(map, f));
        walk->emitStoreFeatures(b, loc, features, rowInBlock);
        break;
      }
      map.map(walkedOp.getResults(), walk->emitLoadMargins(b, loc, rowInBlock));
      afterTrees = true;
      continue;
    }
    if (segment == Segment::AfterTrees && !afterTrees) {
      // Only constants from before the trees are used after them.
      if (op.hasTrait<OpTrait::ConstantLike>())
        b.clone(op, map);
      continue;
    }
    if (auto in = dyn_cast<InputOp>(op)) {
      if (!isa<StrType>(in.getType()))
        map.map(in.getResult(), emitInput(in, row));
      continue;
    }
    if (auto lookup = dyn_cast<StrLookupOp>(op)) {
      if (!lookup.getInput().getDefiningOp<InputOp>())
        return op.emitOpError("operand must come from spec.input");
      if (lookupBuffer && !checksOnly) {
        Value at =
            specjit::indexAdd(b, loc, i64(loc, lookupIndex.lookup(lookup) * blockRows), rowInBlock);
        map.map(lookup.getResult(), loadAt(loc, b.getI64Type(), lookupBuffer, at));
      } else {
        map.map(lookup.getResult(), emitStrLookup(lookup, row));
      }
      continue;
    }
    if (auto check = dyn_cast<CheckOp>(op)) {
      if (checksOnly)
        ok = b.create<arith::AndIOp>(loc, ok, use(map, check.getCondition()));
      continue;
    }
    if (auto output = dyn_cast<OutputOp>(op)) {
      if (!checksOnly)
        emitOutput(loc, map, output, row);
      continue;
    }
    if (isa<OneHotOp, LabelEncodeOp>(op) && isTableShaped(&op)) {
      Location opLoc = op.getLoc();
      if (!op.getOperand(0).getType().isInteger(64))
        return op.emitOpError("takes the table shape only on i64 input");
      Value x = use(map, op.getOperand(0));
      if (auto oneHot = dyn_cast<OneHotOp>(op)) {
        Value position =
            tables.emitIntLookup(b, opLoc, &op, integerKeys(oneHot.getCategories()), x);
        oneHotPosition[&op] = position;
        if (checksOnly && oneHot.getUnknownError())
          ok = b.create<arith::AndIOp>(
              loc, ok,
              b.create<arith::CmpIOp>(opLoc, arith::CmpIPredicate::sge, position, i64(opLoc, 0)));
        continue;
      }
      // codes[position + 1], where codes[0] is the default: a gather.
      auto encode = cast<LabelEncodeOp>(op);
      Value position = tables.emitIntLookup(b, opLoc, &op, integerKeys(encode.getKeys()), x);
      SmallVector<double> codes = {encode.getDefaultCode().convertToDouble()};
      codes.append(encode.getCodes().begin(), encode.getCodes().end());
      Value table = tables.emitF64Array(b, opLoc, &op, "codes", codes);
      Value at = b.create<arith::AddIOp>(opLoc, position, i64(opLoc, 1));
      map.map(encode.getResult(), loadAt(opLoc, b.getF64Type(), table, at));
      continue;
    }
    if (isa<SpecDialect>(op.getDialect()))
      return op.emitOpError("must be expanded before convert-spec-to-loops "
                            "(run spec-expand first)");
    useOperands(map, &op);
    b.clone(op, map);
  }
  return ok;
}

/// String lookups branch on the row's length, which keeps the vectorizer
/// away from the whole row loop. So rows go in blocks: a first loop resolves
/// the block's lookups into a stack buffer, then the branch-free row loop
/// (which vectorizes) reads the indices from it. A walked tree ensemble
/// splits the row loop in two around its tree phase (TreeWalk.h). Rows too
/// wide for an interleaved store go through an output tile: the row loop
/// stores columns, a last loop per block rows (wantsOutputTile).
LogicalResult KernelLowering::emitBlockedRowLoop(Location loc, ArrayRef<StrLookupOp> lookups,
                                                 Value rows) {
  // At most 64 KiB of stack for lookups, and at least 16 rows per block.
  blockRows = lookups.empty()
                  ? 256
                  : std::clamp<int64_t>(8192 / static_cast<int64_t>(lookups.size()), 16, 256);
  if (walk)
    blockRows = std::min(blockRows, walk->maxBlockRows());
  bool tiled = wantsOutputTile();
  int64_t numCols = kernel.getOutputNames().size();
  int64_t elemBytes = kernel.getOutputType().getIntOrFloatBitWidth() / 8;
  if (tiled)
    blockRows = std::min(blockRows, (kMaxTileBytes / (numCols * elemBytes)) & ~int64_t(7));
  for (auto [k, op] : llvm::enumerate(lookups))
    lookupIndex[op] = static_cast<int64_t>(k);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&rows.getParentBlock()->getParent()->front());
    if (!lookups.empty())
      lookupBuffer = b.create<LLVM::AllocaOp>(
          loc, ptrType(), b.getI64Type(),
          i64(loc, blockRows * static_cast<int64_t>(lookups.size())), /*alignment=*/64);
    if (walk)
      walk->emitSetup(b, loc, blockRows);
    if (tiled)
      outputTile = b.create<LLVM::AllocaOp>(loc, ptrType(), kernel.getOutputType(),
                                            i64(loc, blockRows * numCols), /*alignment=*/64);
  }
  Value zero = i64(loc, 0);
  auto blocks = b.create<scf::ForOp>(loc, zero, rows, i64(loc, blockRows));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(blocks.getBody());
  Value first = blocks.getInductionVar();
  Value left = b.create<arith::SubIOp>(loc, rows, first);
  Value count = b.create<arith::MinSIOp>(loc, left, i64(loc, blockRows));
  // 1. The lookups of the block.
  if (!lookups.empty()) {
    auto resolve = b.create<scf::ForOp>(loc, zero, count, i64(loc, 1));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(resolve.getBody());
    Value j = resolve.getInductionVar();
    Value row = specjit::indexAdd(b, loc, first, j);
    for (auto [k, op] : llvm::enumerate(lookups)) {
      Value idx = emitStrLookup(op, row);
      Value at = specjit::indexAdd(b, loc, i64(loc, static_cast<int64_t>(k) * blockRows), j);
      specjit::storeAt(b, loc, idx, lookupBuffer, at);
    }
  }
  // 2. The rows of the block (with walked trees: up to the trees, the tree
  // phase, then the rest of each row).
  auto rowLoop = [&](Segment segment) -> LogicalResult {
    OpBuilder::InsertionGuard g2(b);
    auto loop = b.create<scf::ForOp>(loc, zero, count, i64(loc, 1));
    b.setInsertionPointToStart(loop.getBody());
    rowInBlock = loop.getInductionVar();
    Value row = specjit::indexAdd(b, loc, first, rowInBlock);
    return emitRow(loc, row, /*checksOnly=*/false, segment);
  };
  if (!walk) {
    if (failed(rowLoop(Segment::All)))
      return failure();
  } else {
    if (failed(rowLoop(Segment::BeforeTrees)))
      return failure();
    walk->emitTrees(b, loc, count);
    if (failed(rowLoop(Segment::AfterTrees)))
      return failure();
  }
  // 3. With an output tile, the block's rows to the caller's buffer.
  if (outputTile)
    emitTileCopy(loc, first, count);
  return success();
}

LogicalResult KernelLowering::run() {
  Location loc = kernel.getLoc();
  MLIRContext *ctx = b.getContext();
  auto module = kernel->getParentOfType<ModuleOp>();
  // Table one_hots check their unknown values themselves (no spec.check).
  bool hasChecks = !kernel.getBodyBlock().getOps<CheckOp>().empty() ||
                   llvm::any_of(kernel.getBodyBlock().getOps<OneHotOp>(), [](OneHotOp op) {
                     return op.getUnknownError() && isTableShaped(op);
                   });
  if (failed(findWalkedTrees()))
    return failure();
  std::string bodyName = (specjit::kKernelEntryName + llvm::Twine("_body")).str();

  // The body: noalias pointers, a checking loop, the row loop.
  b.setInsertionPoint(kernel);
  SmallVector<Type> bodyArgs(numSlots + 1, ptrType());
  bodyArgs.push_back(b.getI64Type());
  auto bodyFn =
      b.create<func::FuncOp>(loc, bodyName, FunctionType::get(ctx, bodyArgs, {b.getI64Type()}));
  bodyFn.setPrivate();
  for (unsigned i = 0; i <= numSlots; ++i)
    bodyFn.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  Block *entry = bodyFn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  slotPtrs.assign(entry->args_begin(), entry->args_begin() + numSlots);
  outPtr = entry->getArgument(numSlots);
  Value rows = entry->getArgument(numSlots + 1);
  Value zero = i64(loc, 0), one = i64(loc, 1);

  Value status = zero;
  if (hasChecks) {
    // while (i < rows && ok) { ok = checks(i); ++i }  -> status = failed ? i : 0
    auto loop = b.create<scf::WhileOp>(
        loc, TypeRange{b.getI64Type(), b.getI1Type()},
        ValueRange{zero, b.create<arith::ConstantOp>(loc, b.getBoolAttr(true))});
    {
      OpBuilder::InsertionGuard g(b);
      Block *before =
          b.createBlock(&loop.getBefore(), {}, {b.getI64Type(), b.getI1Type()}, {loc, loc});
      Value more =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, before->getArgument(0), rows);
      Value go = b.create<arith::AndIOp>(loc, more, before->getArgument(1));
      b.create<scf::ConditionOp>(loc, go, before->getArguments());
      Block *after =
          b.createBlock(&loop.getAfter(), {}, {b.getI64Type(), b.getI1Type()}, {loc, loc});
      FailureOr<Value> ok = emitRow(loc, after->getArgument(0), /*checksOnly=*/true);
      if (failed(ok))
        return failure();
      Value nextRow = b.create<arith::AddIOp>(loc, after->getArgument(0), one);
      b.create<scf::YieldOp>(loc, ValueRange{nextRow, *ok});
    }
    Value failedRow = b.create<arith::XOrIOp>(
        loc, loop.getResult(1), b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
    // After a failure the loop stopped with i = row + 1.
    status = b.create<arith::SelectOp>(loc, failedRow, loop.getResult(0), zero);
  }
  Value passed = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, status, zero);
  auto ifOp = b.create<scf::IfOp>(loc, passed, /*withElse=*/false);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    SmallVector<StrLookupOp> lookups(kernel.getBodyBlock().getOps<StrLookupOp>());
    if (lookups.empty() && !walk) {
      Value lb = b.create<arith::ConstantIndexOp>(loc, 0);
      Value ub = b.create<arith::IndexCastOp>(loc, b.getIndexType(), rows);
      Value step = b.create<arith::ConstantIndexOp>(loc, 1);
      auto forOp = b.create<scf::ForOp>(loc, lb, ub, step);
      b.setInsertionPointToStart(forOp.getBody());
      Value row = b.create<arith::IndexCastOp>(loc, b.getI64Type(), forOp.getInductionVar());
      if (failed(emitRow(loc, row, /*checksOnly=*/false)))
        return failure();
    } else if (failed(emitBlockedRowLoop(loc, lookups, rows))) {
      return failure();
    }
  }
  b.create<func::ReturnOp>(loc, status);

  // The entry: the fixed C signature; loads the slot pointers.
  b.setInsertionPoint(kernel);
  auto entryFn = b.create<func::FuncOp>(
      loc, specjit::kKernelEntryName,
      FunctionType::get(ctx, {ptrType(), ptrType(), b.getI64Type()}, {b.getI64Type()}));
  Block *eb = entryFn.addEntryBlock();
  b.setInsertionPointToStart(eb);
  SmallVector<Value> callArgs;
  for (unsigned s = 0; s < numSlots; ++s)
    callArgs.push_back(loadAt(loc, ptrType(), eb->getArgument(0), i64(loc, s)));
  callArgs.push_back(eb->getArgument(1));
  callArgs.push_back(eb->getArgument(2));
  auto call = b.create<func::CallOp>(loc, bodyFn, callArgs);
  b.create<func::ReturnOp>(loc, call.getResults());
  (void)module;
  kernel.erase();
  return success();
}

//===----------------------------------------------------------------------===//
// spec.rules_kernel
//===----------------------------------------------------------------------===//

/// Agents are independent, so the cascade is vectorized across rows here,
/// not by LLVM: the steps loop inside the row loop would keep LLVM's
/// (innermost-loop) vectorizer away. A tile of kLanes consecutive rows is
/// loaded with one vector load and split into one vector per meter; every
/// step and rule runs on those vectors (the meters stay in registers); the
/// tile is reassembled and stored once. The last rows % kLanes rows run the
/// same body on scalars.
class RulesLowering {
public:
  static constexpr int64_t kLanes = 8;

  explicit RulesLowering(RulesKernelOp kernel) : kernel(kernel), b(kernel) {}
  LogicalResult run();

private:
  Type ptrType() { return specjit::ptrType(b); }
  Value i64(Location loc, int64_t v) { return specjit::i64(b, loc, v); }
  /// The body (one step) on `meters`; lanes == 0 means scalars.
  FailureOr<SmallVector<Value>> emitStep(ValueRange meters, int64_t lanes);
  /// `steps` applications of the body.
  FailureOr<SmallVector<Value>> emitSteps(Location loc, ValueRange meters, int64_t lanes);
  /// Whether every body op can run on vectors (elementwise arith/math).
  bool vectorizable();

  RulesKernelOp kernel;
  OpBuilder b;
};

bool RulesLowering::vectorizable() {
  for (Operation &op : kernel.getBody().front().without_terminator()) {
    if (isa<arith::ConstantOp>(op))
      continue;
    bool elementwise = op.hasTrait<OpTrait::Elementwise>();
    if (!elementwise || op.getNumRegions() != 0 ||
        !isa<arith::ArithDialect, math::MathDialect>(op.getDialect()))
      return false;
  }
  return true;
}

FailureOr<SmallVector<Value>> RulesLowering::emitStep(ValueRange meters, int64_t lanes) {
  Block &body = kernel.getBody().front();
  IRMapping map;
  map.map(body.getArguments(), meters);
  for (Operation &op : body.without_terminator()) {
    if (isa<SpecDialect>(op.getDialect()))
      return op.emitOpError("must be expanded before convert-spec-to-loops "
                            "(run spec-expand first)");
    if (!lanes) {
      b.clone(op, map);
      continue;
    }
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto type = VectorType::get({lanes}, c.getType());
      map.map(c.getResult(), b.create<arith::ConstantOp>(
                                 c.getLoc(), type, DenseElementsAttr::get(type, c.getValue())));
      continue;
    }
    Operation *copy = b.clone(op, map);
    for (Value r : copy->getResults())
      r.setType(VectorType::get({lanes}, r.getType()));
  }
  SmallVector<Value> out;
  for (Value v : cast<StateYieldOp>(body.getTerminator()).getValues())
    out.push_back(map.lookupOrDefault(v));
  return out;
}

FailureOr<SmallVector<Value>> RulesLowering::emitSteps(Location loc, ValueRange meters,
                                                       int64_t lanes) {
  if (kernel.getSteps() == 1)
    return emitStep(meters, lanes);
  auto loop =
      b.create<scf::ForOp>(loc, i64(loc, 0), i64(loc, kernel.getSteps()), i64(loc, 1), meters);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loop.getBody());
  auto next = emitStep(loop.getRegionIterArgs(), lanes);
  if (failed(next))
    return failure();
  b.create<scf::YieldOp>(loc, *next);
  return SmallVector<Value>(loop.getResults());
}

LogicalResult RulesLowering::run() {
  Location loc = kernel.getLoc();
  MLIRContext *ctx = b.getContext();
  int64_t m = kernel.getMeters().size();
  Type elem = kernel.getStateType();
  Type f64 = b.getF64Type();
  bool narrow = elem.isF32();

  b.setInsertionPoint(kernel);
  std::string bodyName = (specjit::kKernelEntryName + llvm::Twine("_body")).str();
  auto bodyFn = b.create<func::FuncOp>(
      loc, bodyName, FunctionType::get(ctx, {ptrType(), b.getI64Type()}, {b.getI64Type()}));
  bodyFn.setPrivate();
  bodyFn.setArgAttr(0, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  Block *entry = bodyFn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value state = entry->getArgument(0), rows = entry->getArgument(1);
  auto elemAt = [&](Value index) {
    return b.create<LLVM::GEPOp>(loc, ptrType(), elem, state, ValueRange{index},
                                 /*inbounds=*/true);
  };

  Value tail = rows;
  if (vectorizable()) {
    // Rows in tiles of kLanes.
    int64_t lanes = kLanes;
    Value full =
        b.create<arith::SubIOp>(loc, rows, b.create<arith::RemSIOp>(loc, rows, i64(loc, lanes)));
    auto tiles = b.create<scf::ForOp>(loc, i64(loc, 0), full, i64(loc, lanes));
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(tiles.getBody());
      Value base = specjit::indexMul(b, loc, tiles.getInductionVar(), i64(loc, m));
      Value p = elemAt(base);
      auto tileType = VectorType::get({lanes * m}, elem);
      unsigned align = elem.getIntOrFloatBitWidth() / 8;
      Value tile = b.create<LLVM::LoadOp>(loc, tileType, p, align);
      SmallVector<Value> meters;
      for (int64_t j = 0; j < m; ++j) {
        SmallVector<int32_t> mask;
        for (int64_t l = 0; l < lanes; ++l)
          mask.push_back(static_cast<int32_t>(l * m + j));
        Value v = b.create<LLVM::ShuffleVectorOp>(loc, tile, tile, mask);
        if (narrow)
          v = b.create<arith::ExtFOp>(loc, VectorType::get({lanes}, f64), v);
        meters.push_back(v);
      }
      auto result = emitSteps(loc, meters, lanes);
      if (failed(result))
        return failure();
      Value out = b.create<LLVM::UndefOp>(loc, tileType);
      for (int64_t j = 0; j < m; ++j) {
        Value v = (*result)[j];
        if (narrow)
          v = b.create<arith::TruncFOp>(loc, VectorType::get({lanes}, elem), v);
        for (int64_t l = 0; l < lanes; ++l) {
          Value e = b.create<LLVM::ExtractElementOp>(loc, v, i64(loc, l));
          out = b.create<LLVM::InsertElementOp>(loc, out, e, i64(loc, l * m + j));
        }
      }
      b.create<LLVM::StoreOp>(loc, out, p, align);
    }
    tail = full;
  }
  // The remaining rows (all of them when the body cannot run on vectors).
  Value start = tail == rows ? i64(loc, 0) : tail;
  auto scalars = b.create<scf::ForOp>(loc, start, rows, i64(loc, 1));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(scalars.getBody());
    Value base = specjit::indexMul(b, loc, scalars.getInductionVar(), i64(loc, m));
    SmallVector<Value> meters, ptrs;
    for (int64_t j = 0; j < m; ++j) {
      Value p = elemAt(specjit::indexAdd(b, loc, base, i64(loc, j)));
      Value v = b.create<LLVM::LoadOp>(loc, elem, p);
      meters.push_back(narrow ? b.create<arith::ExtFOp>(loc, f64, v).getResult() : v);
      ptrs.push_back(p);
    }
    auto result = emitSteps(loc, meters, /*lanes=*/0);
    if (failed(result))
      return failure();
    for (int64_t j = 0; j < m; ++j) {
      Value v = (*result)[j];
      if (narrow)
        v = b.create<arith::TruncFOp>(loc, elem, v);
      b.create<LLVM::StoreOp>(loc, v, ptrs[j]);
    }
  }
  b.create<func::ReturnOp>(loc, ValueRange{i64(loc, 0)});

  // The entry: the fixed C signature; the state matrix is `out`.
  b.setInsertionPoint(kernel);
  auto entryFn = b.create<func::FuncOp>(
      loc, specjit::kKernelEntryName,
      FunctionType::get(ctx, {ptrType(), ptrType(), b.getI64Type()}, {b.getI64Type()}));
  Block *eb = entryFn.addEntryBlock();
  b.setInsertionPointToStart(eb);
  auto call =
      b.create<func::CallOp>(loc, bodyFn, ValueRange{eb->getArgument(1), eb->getArgument(2)});
  b.create<func::ReturnOp>(loc, call.getResults());
  kernel.erase();
  return success();
}

struct ConvertSpecToLoopsPass : specjit::impl::ConvertSpecToLoopsBase<ConvertSpecToLoopsPass> {
  using ConvertSpecToLoopsBase::ConvertSpecToLoopsBase;

  void runOnOperation() override {
    // String keys are compared as little-endian words.
    static_assert(llvm::sys::IsLittleEndianHost, "string lookups assume a little-endian host");
    SmallVector<KernelOp> kernels(getOperation().getOps<KernelOp>());
    SmallVector<RulesKernelOp> rules(getOperation().getOps<RulesKernelOp>());
    SmallVector<SeriesKernelOp> series(getOperation().getOps<SeriesKernelOp>());
    SmallVector<TrainStepOp> train(getOperation().getOps<TrainStepOp>());
    SmallVector<MetricsPassOp> metrics(getOperation().getOps<MetricsPassOp>());
    if (kernels.size() + rules.size() + series.size() + train.size() + metrics.size() > 1) {
      getOperation().emitOpError("holds more than one kernel; lower one per module");
      return signalPassFailure();
    }
    if (walkMaxBlockRows < specjit::kWalkMinBlockRows ||
        walkMaxBlockRows % specjit::kWalkMinBlockRows) {
      getOperation().emitError("convert-spec-to-loops: walk-max-block-rows must be a "
                               "multiple of 8 of at least 8, not ")
          << static_cast<int64_t>(walkMaxBlockRows);
      return signalPassFailure();
    }
    for (KernelOp k : kernels)
      if (failed(KernelLowering(k, walkMaxBlockRows).run()))
        return signalPassFailure();
    for (RulesKernelOp k : rules)
      if (failed(RulesLowering(k).run()))
        return signalPassFailure();
    for (SeriesKernelOp k : series)
      if (failed(specjit::lowerSeriesKernel(k)))
        return signalPassFailure();
    for (TrainStepOp k : train)
      if (failed(specjit::lowerTrainStep(k)))
        return signalPassFailure();
    for (MetricsPassOp k : metrics)
      if (failed(specjit::lowerMetricsPass(k)))
        return signalPassFailure();
  }
};

} // namespace
