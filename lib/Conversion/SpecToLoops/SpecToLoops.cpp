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
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include "Runtime/KernelABI.h"

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

class KernelLowering {
public:
  KernelLowering(KernelOp kernel) : kernel(kernel), b(kernel) {
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
  Type ptrType() { return LLVM::LLVMPointerType::get(b.getContext()); }
  Value i64(Location loc, int64_t v) {
    return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(v));
  }
  Value loadAt(Location loc, Type elem, Value base, Value index) {
    Value p = b.create<LLVM::GEPOp>(loc, ptrType(), elem, base, ValueRange{index},
                                    /*inbounds=*/true);
    return b.create<LLVM::LoadOp>(loc, elem, p);
  }

  /// Emits the row computation for row `row` (i64). With `checksOnly`, the
  /// result is the conjunction of the row's checks and nothing is stored.
  FailureOr<Value> emitRow(Location loc, Value row, bool checksOnly);
  Value emitInput(InputOp op, Value row);
  Value emitStrLookup(StrLookupOp op, Value row);

  KernelOp kernel;
  OpBuilder b;
  SmallVector<InputSlot> inputs;
  unsigned numSlots = 0;
  // Body function arguments: one pointer per slot, then out, then rows.
  SmallVector<Value> slotPtrs;
  Value outPtr;
};

Value KernelLowering::emitInput(InputOp op, Value row) {
  Location loc = op.getLoc();
  const InputSlot &in = inputs[op.getIndex()];
  Value base = slotPtrs[in.slot];
  Type t = in.type;
  if (t.isInteger(1)) // bool: one byte, 0 or 1
    return b.create<arith::ExtUIOp>(loc, b.getI64Type(),
                                    loadAt(loc, b.getI8Type(), base, row));
  if (t.isInteger(32))
    return b.create<arith::ExtSIOp>(loc, b.getI64Type(), loadAt(loc, t, base, row));
  if (t.isF32())
    return b.create<arith::ExtFOp>(loc, b.getF64Type(), loadAt(loc, t, base, row));
  return loadAt(loc, t, base, row);
}

/// index of the row's string among the keys, or -1. Bytes are compared only
/// after the length matched, so no load reads past the row's slice.
Value KernelLowering::emitStrLookup(StrLookupOp op, Value row) {
  Location loc = op.getLoc();
  auto input = op.getInput().getDefiningOp<InputOp>();
  const InputSlot &in = inputs[input.getIndex()];
  Value offsets = slotPtrs[in.slot], bytes = slotPtrs[in.slot + 1];
  Value start = loadAt(loc, b.getI64Type(), offsets, row);
  Value next = b.create<arith::AddIOp>(loc, row, i64(loc, 1));
  Value end = loadAt(loc, b.getI64Type(), offsets, next);
  Value len = b.create<arith::SubIOp>(loc, end, start);
  Value result = i64(loc, -1);
  for (auto [k, key] : llvm::enumerate(op.getKeys())) {
    StringRef s = cast<StringAttr>(key).getValue();
    Value lenOk = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, len,
                                          i64(loc, s.size()));
    auto ifOp = b.create<scf::IfOp>(loc, TypeRange{b.getI1Type()}, lenOk, true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value all = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
      for (size_t i = 0; i < s.size(); ++i) {
        Value at = b.create<arith::AddIOp>(loc, start, i64(loc, i));
        Value ch = loadAt(loc, b.getI8Type(), bytes, at);
        Value want = b.create<arith::ConstantOp>(
            loc, b.getI8IntegerAttr(static_cast<int8_t>(s[i])));
        Value eq = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, ch, want);
        all = b.create<arith::AndIOp>(loc, all, eq);
      }
      b.create<scf::YieldOp>(loc, all);
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      b.create<scf::YieldOp>(
          loc, ValueRange{b.create<arith::ConstantOp>(loc, b.getBoolAttr(false))});
    }
    result = b.create<arith::SelectOp>(loc, ifOp.getResult(0),
                                       i64(loc, static_cast<int64_t>(k)), result);
  }
  return result;
}

FailureOr<Value> KernelLowering::emitRow(Location loc, Value row,
                                         bool checksOnly) {
  IRMapping map;
  Value ok = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
  int64_t numCols = kernel.getOutputNames().size();
  Type outElem = kernel.getOutputType();
  for (Operation &op : kernel.getBodyBlock()) {
    if (auto in = dyn_cast<InputOp>(op)) {
      if (!isa<StrType>(in.getType()))
        map.map(in.getResult(), emitInput(in, row));
      continue;
    }
    if (auto lookup = dyn_cast<StrLookupOp>(op)) {
      if (!lookup.getInput().getDefiningOp<InputOp>())
        return op.emitOpError("operand must come from spec.input");
      map.map(lookup.getResult(), emitStrLookup(lookup, row));
      continue;
    }
    if (auto check = dyn_cast<CheckOp>(op)) {
      if (checksOnly)
        ok = b.create<arith::AndIOp>(loc, ok, map.lookup(check.getCondition()));
      continue;
    }
    if (auto output = dyn_cast<OutputOp>(op)) {
      if (checksOnly)
        continue;
      Value base = b.create<arith::MulIOp>(loc, row, i64(loc, numCols));
      for (auto [j, v] : llvm::enumerate(output.getValues())) {
        Value x = map.lookup(v);
        if (outElem.isF32())
          x = b.create<arith::TruncFOp>(loc, outElem, x);
        Value idx = b.create<arith::AddIOp>(loc, base, i64(loc, j));
        Value p = b.create<LLVM::GEPOp>(loc, ptrType(), outElem, outPtr,
                                        ValueRange{idx}, /*inbounds=*/true);
        b.create<LLVM::StoreOp>(loc, x, p);
      }
      continue;
    }
    if (isa<SpecDialect>(op.getDialect()))
      return op.emitOpError("must be expanded before convert-spec-to-loops "
                            "(run spec-expand first)");
    b.clone(op, map);
  }
  return ok;
}

LogicalResult KernelLowering::run() {
  Location loc = kernel.getLoc();
  MLIRContext *ctx = b.getContext();
  auto module = kernel->getParentOfType<ModuleOp>();
  bool hasChecks = !kernel.getBodyBlock().getOps<CheckOp>().empty();
  std::string bodyName = (specjit::kKernelEntryName + llvm::Twine("_body")).str();

  // The body: noalias pointers, a checking loop, the row loop.
  b.setInsertionPoint(kernel);
  SmallVector<Type> bodyArgs(numSlots + 1, ptrType());
  bodyArgs.push_back(b.getI64Type());
  auto bodyFn = b.create<func::FuncOp>(
      loc, bodyName, FunctionType::get(ctx, bodyArgs, {b.getI64Type()}));
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
      Block *before = b.createBlock(&loop.getBefore(), {},
                                    {b.getI64Type(), b.getI1Type()}, {loc, loc});
      Value more = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt,
                                           before->getArgument(0), rows);
      Value go = b.create<arith::AndIOp>(loc, more, before->getArgument(1));
      b.create<scf::ConditionOp>(loc, go, before->getArguments());
      Block *after = b.createBlock(&loop.getAfter(), {},
                                   {b.getI64Type(), b.getI1Type()}, {loc, loc});
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
    Value lb = b.create<arith::ConstantIndexOp>(loc, 0);
    Value ub = b.create<arith::IndexCastOp>(loc, b.getIndexType(), rows);
    Value step = b.create<arith::ConstantIndexOp>(loc, 1);
    auto forOp = b.create<scf::ForOp>(loc, lb, ub, step);
    b.setInsertionPointToStart(forOp.getBody());
    Value row = b.create<arith::IndexCastOp>(loc, b.getI64Type(),
                                             forOp.getInductionVar());
    if (failed(emitRow(loc, row, /*checksOnly=*/false)))
      return failure();
  }
  b.create<func::ReturnOp>(loc, status);

  // The entry: the fixed C signature; loads the slot pointers.
  b.setInsertionPoint(kernel);
  auto entryFn = b.create<func::FuncOp>(
      loc, specjit::kKernelEntryName,
      FunctionType::get(ctx, {ptrType(), ptrType(), b.getI64Type()},
                        {b.getI64Type()}));
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

struct ConvertSpecToLoopsPass
    : specjit::impl::ConvertSpecToLoopsBase<ConvertSpecToLoopsPass> {
  void runOnOperation() override {
    SmallVector<KernelOp> kernels(getOperation().getOps<KernelOp>());
    if (kernels.size() > 1) {
      kernels[1].emitOpError("only one spec.kernel per module is supported");
      return signalPassFailure();
    }
    for (KernelOp k : kernels)
      if (failed(KernelLowering(k).run()))
        return signalPassFailure();
  }
};

} // namespace
