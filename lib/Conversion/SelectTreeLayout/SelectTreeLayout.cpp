//===- SelectTreeLayout.cpp - The spec-select-tree-layout pass ------------===//
//
// Sets the `layout` of every spec.tree_ensemble that has none, by the rule
// of specjit/Conversion/SelectTreeLayout.h (which the model family applies
// to a descriptor before import, so both sides agree by construction).
//
//===----------------------------------------------------------------------===//

#include "specjit/Conversion/SelectTreeLayout.h"
#include "specjit/Conversion/Passes.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/IR/BuiltinOps.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace specjit {
#define GEN_PASS_DEF_SPECSELECTTREELAYOUT
#include "specjit/Conversion/Passes.h.inc"
} // namespace specjit

using namespace mlir;
using namespace specjit::spec;

namespace {

/// The depth of the deepest tree of `op` (a lone leaf is 0), walked with an
/// explicit stack from each root: chains of any length, and node indices
/// the verifier has not vouched for, cost no recursion.
int ensembleDepth(TreeEnsembleOp op) {
  llvm::ArrayRef<int32_t> feature = op.getNodeFeatures(), left = op.getLeft(),
                          right = op.getRight();
  int64_t n = static_cast<int64_t>(feature.size());
  int deepest = 0;
  std::vector<std::pair<int32_t, int>> stack;
  for (int32_t root : op.getRoots()) {
    stack.assign(1, {root, 0});
    // A well-formed tree visits each node once; more is a cycle.
    for (int64_t visits = 0; !stack.empty() && visits <= n; ++visits) {
      auto [node, depth] = stack.back();
      stack.pop_back();
      if (node < 0 || node >= n)
        continue;
      deepest = std::max(deepest, depth);
      if (feature[node] >= 0) {
        stack.push_back({left[node], depth + 1});
        stack.push_back({right[node], depth + 1});
      }
    }
  }
  return deepest;
}

TreeLayout toAttrLayout(specjit::jit::TreeLayout l) {
  return l == specjit::jit::TreeLayout::Walk ? TreeLayout::Walk : TreeLayout::Branches;
}

struct SpecSelectTreeLayoutPass
    : specjit::impl::SpecSelectTreeLayoutBase<SpecSelectTreeLayoutPass> {
  using SpecSelectTreeLayoutBase::SpecSelectTreeLayoutBase;

  void runOnOperation() override {
    getOperation().walk([&](TreeEnsembleOp op) {
      if (op.getLayout())
        return;
      specjit::jit::TreeLayout chosen = specjit::selectTreeLayout(
          op.getNodeFeatures().size(), static_cast<int64_t>(op.getFeatures().size()),
          [&] { return ensembleDepth(op); }, layout);
      op.setLayoutAttr(TreeLayoutAttr::get(op.getContext(), toAttrLayout(chosen)));
    });
  }
};

} // namespace
