//===- ModelToSpec.h - A model in the spec dialect --------------*- C++ -*-===//
//
// The model family's import: its preprocessing as a feature kernel
// (PipelineToSpec.h) with the model (spec.linear, spec.tree_ensemble or
// spec.mlp) and its link (spec.link) as the stage after the features; and
// the code shape of a tree ensemble, decided from the descriptor.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_MODEL_MODELTOSPEC_H
#define SPECJIT_LIB_FAMILIES_MODEL_MODELTOSPEC_H

#include "Families/Model/ModelSpec.h"

#include "specjit/Compile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace specjit {
namespace jit {

/// A module holding the model's spec.kernel; a tree ensemble gets the code
/// shape resolveTreeLayout(m, treeLayout).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importModel(mlir::MLIRContext &ctx, const ModelSpec &m, TreeLayout treeLayout);

/// The layout Auto picks for `m` (a tree ensemble): Walk or Branches.
TreeLayout chooseTreeLayout(const ModelSpec &m);

/// The layout a tree ensemble `m` is built with when `requested` is asked
/// for, decided from the descriptor in one linear pass: Auto becomes
/// chooseTreeLayout(m) (never Branches for a tree deeper than 64 levels);
/// Branches for a tree deeper than 64 levels becomes Walk, whose code does
/// not depend on the depth (the branches' nesting would overflow MLIR's
/// recursive analyses). Should the walk not take the ensemble either (too
/// many features for its scratch, or too large a kernel), compiling falls
/// back to the interpreter with the reason recorded, as for any kernel.
/// Models of other types keep `requested`.
TreeLayout resolveTreeLayout(const ModelSpec &m, TreeLayout requested);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_MODEL_MODELTOSPEC_H
