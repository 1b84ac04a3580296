//===- LLVMAccess.h - Pointer arithmetic for the kernel lowerings -*- C++ -*-===//
//
// The few builders every lowering in SpecToLoops/ needs to address caller
// buffers and scratch through !llvm.ptr: i64 constants, index arithmetic,
// in-bounds element addresses, loads and stores.
//
//===----------------------------------------------------------------------===//
#ifndef SPECJIT_LIB_CONVERSION_LLVMACCESS_H
#define SPECJIT_LIB_CONVERSION_LLVMACCESS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace specjit {

inline mlir::Type ptrType(mlir::OpBuilder &b) {
  return mlir::LLVM::LLVMPointerType::get(b.getContext());
}

inline mlir::Value i64(mlir::OpBuilder &b, mlir::Location loc, int64_t v) {
  return b.create<mlir::arith::ConstantOp>(loc, b.getI64IntegerAttr(v));
}

/// x + y over element indices and counts, which are non-negative and bounded
/// by the size of a buffer that exists, so the sum wraps neither as a signed
/// nor as an unsigned number. Marking it nsw and nuw lets LLVM fold the
/// address arithmetic of a row (row * columns + j) into its addressing modes
/// and loop strides with fewer passes; never use it for hashes or for an
/// operand that may be negative.
inline mlir::Value indexAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y) {
  return b.create<mlir::arith::AddIOp>(
      loc, x, y, mlir::arith::IntegerOverflowFlags::nsw | mlir::arith::IntegerOverflowFlags::nuw);
}

/// x * y over element indices and counts, as indexAdd.
inline mlir::Value indexMul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y) {
  return b.create<mlir::arith::MulIOp>(
      loc, x, y, mlir::arith::IntegerOverflowFlags::nsw | mlir::arith::IntegerOverflowFlags::nuw);
}

/// &base[index] for elements of type `elem`.
inline mlir::Value elementAddress(mlir::OpBuilder &b, mlir::Location loc, mlir::Type elem,
                                  mlir::Value base, mlir::Value index) {
  return b.create<mlir::LLVM::GEPOp>(loc, ptrType(b), elem, base, mlir::ValueRange{index},
                                     /*inbounds=*/true);
}

/// base[index], an `elem`.
inline mlir::Value loadAt(mlir::OpBuilder &b, mlir::Location loc, mlir::Type elem, mlir::Value base,
                          mlir::Value index) {
  return b.create<mlir::LLVM::LoadOp>(loc, elem, elementAddress(b, loc, elem, base, index));
}

/// base[index] = v.
inline void storeAt(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, mlir::Value base,
                    mlir::Value index) {
  b.create<mlir::LLVM::StoreOp>(loc, v, elementAddress(b, loc, v.getType(), base, index));
}

} // namespace specjit

#endif
