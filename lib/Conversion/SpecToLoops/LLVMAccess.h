//===- LLVMAccess.h - Pointer arithmetic for the kernel lowerings -*- C++ -*-===//
//
// The few builders every lowering in SpecToLoops/ needs to address caller
// buffers and scratch through !llvm.ptr: i64 constants, in-bounds element
// addresses, loads and stores.
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
