//===- SelectTreeLayout.h - Which code shape a tree ensemble takes -*- C++ -*-===//
//
// The one rule for a tree ensemble's layout, applied by the
// spec-select-tree-layout pass to each spec.tree_ensemble and, before
// anything is imported, by the model family and the tiering cost model to
// a model descriptor (Families/Model/ModelToSpec.h). Header-only: both
// sides use it without linking each other.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_CONVERSION_SELECTTREELAYOUT_H
#define SPECJIT_CONVERSION_SELECTTREELAYOUT_H

#include "specjit/Compile.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstddef>
#include <cstdint>

namespace specjit {

// Auto's thresholds, from docs/model-semantics.md ("Code shape"): shallow
// trees as branches become selects that LLVM vectorizes across rows (10
// trees of depth 4: 5x faster than the walk), but from depth 6 on the walk
// wins, and the branches' compile time grows with the node count.
constexpr int kBranchesMaxDepth = 5;
constexpr size_t kBranchesMaxNodes = 4096;
constexpr int64_t kWalkMaxFeatures = 1024;
// What the branches layout can take at all: it nests one scf.if per level,
// and MLIR's analyses (liveness, among others) recurse once per level; a
// chain of 10,000 levels overflows the stack after ~45 s of compiling,
// before the kernel-size guard (maxKernelOps) runs. Deeper trees take the
// walk, whose code does not depend on the trees' shape.
constexpr int kBranchesMaxTreeDepth = 64;

/// The layout (Branches or Walk, never Auto) of an ensemble of `nodes` nodes
/// over `features` features when `requested` is asked for; `depth` (the
/// deepest tree, a lone leaf being 0) is computed only when the rule needs
/// it. Auto: large ensembles of ordinary width take the walk; otherwise
/// branches for shallow, small ensembles, or for wide inputs (the walk's
/// block of rows shrinks) no deeper than the branches can be built.
/// Branches deeper than 64 levels become Walk. Should the walk not take the
/// ensemble either (too many features for its scratch, or too large a
/// kernel), compiling falls back to the interpreter with the reason
/// recorded, as for any kernel.
inline jit::TreeLayout selectTreeLayout(size_t nodes, int64_t features,
                                        llvm::function_ref<int()> depth,
                                        jit::TreeLayout requested) {
  using jit::TreeLayout;
  if (requested == TreeLayout::Walk)
    return TreeLayout::Walk;
  if (requested == TreeLayout::Branches)
    return depth() > kBranchesMaxTreeDepth ? TreeLayout::Walk : TreeLayout::Branches;
  // Skip the depth pass where the size alone decides.
  if (nodes > kBranchesMaxNodes && features <= kWalkMaxFeatures)
    return TreeLayout::Walk;
  int d = depth();
  bool branches = (d <= kBranchesMaxDepth && nodes <= kBranchesMaxNodes) ||
                  (features > kWalkMaxFeatures && d <= kBranchesMaxTreeDepth);
  return branches ? TreeLayout::Branches : TreeLayout::Walk;
}

} // namespace specjit

#endif // SPECJIT_CONVERSION_SELECTTREELAYOUT_H
