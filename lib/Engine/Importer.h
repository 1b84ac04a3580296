//===- Importer.h - Descriptor to the spec dialect --------------*- C++ -*-===//
#ifndef SPECJIT_ENGINE_IMPORTER_H
#define SPECJIT_ENGINE_IMPORTER_H

#include "specjit/Descriptor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace specjit {
namespace engine {

/// Builds a module holding one spec.kernel for `d`.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importDescriptor(mlir::MLIRContext &ctx, const jit::Descriptor &d);

} // namespace engine
} // namespace specjit

#endif
