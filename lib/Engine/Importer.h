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
/// code shape resolveTreeLayout(model, treeLayout).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importDescriptor(mlir::MLIRContext &ctx, const jit::Descriptor &d,
                 jit::TreeLayout treeLayout = jit::TreeLayout::Auto);

/// The layout Auto picks for `m` (a tree ensemble): Walk or Branches.
jit::TreeLayout chooseTreeLayout(const jit::ModelSpec &m);

/// The layout a tree ensemble `m` is built with when `requested` is asked
/// for, decided from the descriptor in one linear pass: Auto becomes
/// chooseTreeLayout(m) (never Branches for a tree deeper than 64 levels);
/// Branches for a tree deeper than 64 levels becomes Walk, whose code does
/// not depend on the depth (the branches' nesting would overflow MLIR's
/// recursive analyses). Should the walk not take the ensemble either (too
/// many features for its scratch, or too large a kernel), compiling falls
/// back to the interpreter with the reason recorded, as for any kernel.
/// Models of other types keep `requested`.
jit::TreeLayout resolveTreeLayout(const jit::ModelSpec &m,
                                  jit::TreeLayout requested);

} // namespace engine
} // namespace specjit

#endif
