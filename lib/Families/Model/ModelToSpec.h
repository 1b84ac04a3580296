//===- ModelToSpec.h - A model in the spec dialect --------------*- C++ -*-===//
//
// The model family's import: its preprocessing as a feature kernel
// (PipelineToSpec.h) with the model (spec.linear, spec.tree_ensemble or
// spec.mlp) and its link (spec.link) as the stage after the features; and
// the code shape of a tree ensemble read from the descriptor.
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

/// A module holding the model's spec.kernel; a tree ensemble's layout is
/// left to spec-select-tree-layout.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importModel(mlir::MLIRContext &ctx,
                                                              const ModelSpec &m);

/// The layout a tree ensemble `m` is built with when `requested` is asked
/// for (selectTreeLayout, specjit/Conversion/SelectTreeLayout.h), decided
/// from the descriptor in one linear pass, before anything is imported (the
/// tiering cost model asks). Models of other types keep `requested`.
TreeLayout resolveTreeLayout(const ModelSpec &m, TreeLayout requested);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_MODEL_MODELTOSPEC_H
