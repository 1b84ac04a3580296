//===- ModelToSpec.cpp - A model in the spec dialect ----------------------===//

#include "Families/Model/ModelSpec.h"
#include "Families/Model/ModelToSpec.h"

#include "Families/Pipeline/PipelineToSpec.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include <algorithm>
#include <vector>

using namespace mlir;

namespace specjit {
namespace jit {

namespace {

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

/// The depth of the deepest tree (a lone leaf is depth 0), in one linear
/// pass per tree (the descriptor puts children after their parent).
int ensembleDepth(const ModelSpec &m) {
  int depth = 0;
  for (const Tree &t : m.trees) {
    std::vector<int> d(t.nodes.size(), 0);
    for (size_t i = 0; i < t.nodes.size(); ++i) {
      const TreeNode &n = t.nodes[i];
      depth = std::max(depth, d[i]);
      if (n.feature >= 0)
        d[n.left] = d[n.right] = d[i] + 1;
    }
  }
  return depth;
}

/// The model stage and its link on the features.
SmallVector<Value> buildModelStage(OpBuilder &b, const ModelSpec &m, TreeLayout treeLayout,
                                   ValueRange features) {
  Location l = NameLoc::get(b.getStringAttr("model"));
  SmallVector<Type> margins(m.numOutputs, b.getF64Type());
  Operation *op = nullptr;
  switch (m.type) {
  case ModelType::Linear:
    op = b.create<spec::LinearOp>(l, margins, features,
                                  b.getDenseF64ArrayAttr(m.weights),
                                  b.getDenseF64ArrayAttr(m.intercepts));
    break;
  case ModelType::TreeEnsemble: {
    SmallVector<int32_t> feat, left, right, roots, groups;
    SmallVector<double> thr, leaves;
    SmallVector<bool> defLeft;
    for (const Tree &t : m.trees) {
      int32_t base = static_cast<int32_t>(feat.size());
      roots.push_back(base);
      groups.push_back(t.group);
      for (const TreeNode &n : t.nodes) {
        feat.push_back(n.feature);
        thr.push_back(n.threshold);
        left.push_back(n.feature < 0 ? -1 : base + n.left);
        right.push_back(n.feature < 0 ? -1 : base + n.right);
        defLeft.push_back(n.defaultLeft);
        leaves.push_back(n.leaf);
      }
    }
    op = b.create<spec::TreeEnsembleOp>(
        l, margins, features, b.getDenseI32ArrayAttr(feat), b.getDenseF64ArrayAttr(thr),
        b.getDenseI32ArrayAttr(left), b.getDenseI32ArrayAttr(right),
        b.getDenseBoolArrayAttr(defLeft), b.getDenseF64ArrayAttr(leaves),
        b.getDenseI32ArrayAttr(roots), b.getDenseI32ArrayAttr(groups),
        b.getDenseF64ArrayAttr(m.baseScore), b.getBoolAttr(m.average),
        b.getBoolAttr(m.float32),
        // importModel() resolved Auto (resolveTreeLayout).
        b.getStringAttr(treeLayoutName(treeLayout)));
    break;
  }
  case ModelType::Mlp: {
    SmallVector<int32_t> sizes = {m.numFeatures};
    SmallVector<double> w, bias;
    SmallVector<StringRef> acts;
    for (const DenseLayer &layer : m.layers) {
      sizes.push_back(layer.outputs);
      w.append(layer.weights.begin(), layer.weights.end());
      bias.append(layer.biases.begin(), layer.biases.end());
      acts.push_back(activationName(layer.activation));
    }
    op = b.create<spec::MlpOp>(l, margins, features, b.getDenseI32ArrayAttr(sizes),
                               b.getDenseF64ArrayAttr(w), b.getDenseF64ArrayAttr(bias),
                               b.getStrArrayAttr(acts));
    break;
  }
  }
  SmallVector<Value> out(op->getResults());
  if (m.margin || m.link == Link::Identity)
    return out;
  SmallVector<Type> results(m.link == Link::Argmax ? 1 : out.size(), b.getF64Type());
  auto link = b.create<spec::LinkOp>(l, results, out, b.getStringAttr(linkName(m.link)));
  return SmallVector<Value>(link.getResults());
}

} // namespace

// The public names of the layouts (specjit/Compile.h).
llvm::StringRef treeLayoutName(TreeLayout l) {
  switch (l) {
  case TreeLayout::Auto: return "auto";
  case TreeLayout::Branches: return "branches";
  case TreeLayout::Walk: return "walk";
  }
  return "auto";
}
std::optional<TreeLayout> parseTreeLayout(llvm::StringRef s) {
  for (TreeLayout l : {TreeLayout::Auto, TreeLayout::Branches, TreeLayout::Walk})
    if (s == treeLayoutName(l))
      return l;
  return std::nullopt;
}

TreeLayout chooseTreeLayout(const ModelSpec &m) {
  size_t nodes = 0;
  for (const Tree &t : m.trees)
    nodes += t.nodes.size();
  // Large ensembles of ordinary width take the walk whatever their depth:
  // skip the depth pass (the tiering cost model asks in the caller).
  if (nodes > kBranchesMaxNodes && m.numFeatures <= kWalkMaxFeatures)
    return TreeLayout::Walk;
  int depth = ensembleDepth(m);
  // Wide inputs prefer branches (the walk's block of rows shrinks), but
  // never deeper than the branches can be built.
  bool branches = (depth <= kBranchesMaxDepth && nodes <= kBranchesMaxNodes) ||
                  (m.numFeatures > kWalkMaxFeatures && depth <= kBranchesMaxTreeDepth);
  return branches ? TreeLayout::Branches : TreeLayout::Walk;
}

TreeLayout resolveTreeLayout(const ModelSpec &m, TreeLayout requested) {
  if (m.type != ModelType::TreeEnsemble)
    return requested;
  if (requested == TreeLayout::Auto)
    return chooseTreeLayout(m);
  if (requested == TreeLayout::Branches && ensembleDepth(m) > kBranchesMaxTreeDepth)
    return TreeLayout::Walk;
  return requested;
}

llvm::Expected<OwningOpRef<ModuleOp>> importModel(MLIRContext &ctx, const ModelSpec &m,
                                                TreeLayout treeLayout) {
  TreeLayout layout = resolveTreeLayout(m, treeLayout);
  FeatureKernelSignature sig;
  sig.name = m.name;
  sig.outputNames = &m.outputNames;
  sig.outputType = m.outputType;
  return importFeatureKernel(ctx, m.pipeline, sig, [&](OpBuilder &b, ValueRange features) {
    return buildModelStage(b, m, layout, features);
  });
}

} // namespace jit
} // namespace specjit
