//===- SpecExpand.h - The spec-expand conversion ----------------*- C++ -*-===//
//
// spec-expand rewrites the stage ops of the spec dialect into arith / math /
// scf on scalars (lib/Conversion/SpecExpand). Its patterns and its target
// (what it leaves for convert-spec-to-loops) are exposed for pipelines that
// compose them.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_CONVERSION_SPECEXPAND_H
#define SPECJIT_CONVERSION_SPECEXPAND_H

#include <cstdint>

namespace mlir {
class ConversionTarget;
class RewritePatternSet;
} // namespace mlir

namespace specjit {

/// One rewrite per stage op (standardize ... link). Lookups need their
/// shape (`spec.lookup`) and tree ensembles their layout first; large
/// branches-layout ensembles become functions of trees of about
/// `treeChunkNodes` nodes (kTreeChunkNodes, Passes.h).
void populateSpecExpandPatterns(mlir::RewritePatternSet &patterns, int64_t treeChunkNodes);

/// What may remain after spec-expand: any non-spec op, the spec ops marked
/// LoweredByLoops, tree ensembles with the walk layout and table-shaped
/// one_hot / label_encode.
void configureSpecExpandTarget(mlir::ConversionTarget &target);

} // namespace specjit

#endif // SPECJIT_CONVERSION_SPECEXPAND_H
