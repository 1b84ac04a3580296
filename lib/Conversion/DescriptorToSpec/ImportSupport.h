//===- ImportSupport.h - What every family's import shares ------*- C++ -*-===//
//
// The first stage of the compiler turns a descriptor into a spec module; each
// family writes its own import (lib/Families/<Family>/<Family>ToSpec.cpp,
// reached through Family::importToSpec and jit::importDescriptor). What they
// share lives here: the location every kernel is named by, the check that an
// import verifies, input types, and the expression language (pipeline `expr`
// steps, rules' conditions and actions) as arith / math / spec ops.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_CONVERSION_DESCRIPTORTOSPEC_IMPORTSUPPORT_H
#define SPECJIT_LIB_CONVERSION_DESCRIPTORTOSPEC_IMPORTSUPPORT_H

#include "Descriptor/Expr.h"

#include "specjit/Types.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/Error.h"

namespace specjit {
namespace jit {

/// The location of a kernel op and of whatever is not a step ("descriptor").
mlir::Location descriptorLoc(mlir::MLIRContext &ctx);

/// `module` when it verifies; otherwise an error (an importer bug, never
/// the user's descriptor: every descriptor that parses imports).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
verifiedImport(mlir::OwningOpRef<mlir::ModuleOp> module);

/// The spec type of an input column of `t` (i1, i32, i64, f32, f64 or
/// !spec.str).
mlir::Type specInputType(mlir::OpBuilder &b, DType t);

/// x != 0 under IEEE unordered-not-equal: NaN is true (the expression
/// language's truth, docs/pipeline-semantics.md).
mlir::Value exprTruth(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// Emits `e` as arith / math / spec ops; Column nodes read args[e.arg].
mlir::Value buildExpr(mlir::OpBuilder &b, mlir::Location loc, const Expr &e, mlir::ValueRange args);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_CONVERSION_DESCRIPTORTOSPEC_IMPORTSUPPORT_H
