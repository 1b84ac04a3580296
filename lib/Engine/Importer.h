//===- Importer.h - Descriptor to the spec dialect --------------*- C++ -*-===//
#ifndef SPECJIT_ENGINE_IMPORTER_H
#define SPECJIT_ENGINE_IMPORTER_H

#include "specjit/Compile.h"
#include "specjit/Descriptor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace specjit {
namespace engine {

/// Builds a module holding one spec.kernel for `d`; tree ensembles get the
/// code shape `treeLayout` (Auto: chooseTreeLayout).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importDescriptor(mlir::MLIRContext &ctx, const jit::Descriptor &d,
                 jit::TreeLayout treeLayout = jit::TreeLayout::Auto);

/// The layout Auto picks for `m` (a tree ensemble): Walk or Branches.
jit::TreeLayout chooseTreeLayout(const jit::ModelSpec &m);

} // namespace engine
} // namespace specjit

#endif
