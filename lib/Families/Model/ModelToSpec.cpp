//===- ModelToSpec.cpp - A model in the spec dialect ----------------------===//

#include "Families/Model/ModelToSpec.h"
#include "Families/Model/ModelSpec.h"

#include "Families/Pipeline/PipelineToSpec.h"

#include "specjit/Conversion/SelectTreeLayout.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include <algorithm>
#include <vector>

using namespace mlir;

namespace specjit {
namespace jit {

namespace {

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
SmallVector<Value> buildModelStage(OpBuilder &b, const ModelSpec &m, ValueRange features) {
  Location l = NameLoc::get(b.getStringAttr("model"));
  SmallVector<Type> margins(m.numOutputs, b.getF64Type());
  Operation *op = nullptr;
  switch (m.type) {
  case ModelType::Linear:
    op = b.create<spec::LinearOp>(l, margins, features, b.getDenseF64ArrayAttr(m.weights),
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
        b.getDenseF64ArrayAttr(m.baseScore), b.getBoolAttr(m.average), b.getBoolAttr(m.float32),
        // The layout is spec-select-tree-layout's choice.
        spec::TreeLayoutAttr());
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
  case TreeLayout::Auto:
    return "auto";
  case TreeLayout::Branches:
    return "branches";
  case TreeLayout::Walk:
    return "walk";
  }
  return "auto";
}
std::optional<TreeLayout> parseTreeLayout(llvm::StringRef s) {
  for (TreeLayout l : {TreeLayout::Auto, TreeLayout::Branches, TreeLayout::Walk})
    if (s == treeLayoutName(l))
      return l;
  return std::nullopt;
}

TreeLayout resolveTreeLayout(const ModelSpec &m, TreeLayout requested) {
  if (m.type != ModelType::TreeEnsemble)
    return requested;
  size_t nodes = 0;
  for (const Tree &t : m.trees)
    nodes += t.nodes.size();
  return selectTreeLayout(nodes, m.numFeatures, [&] { return ensembleDepth(m); }, requested);
}

llvm::Expected<OwningOpRef<ModuleOp>> importModel(MLIRContext &ctx, const ModelSpec &m) {
  FeatureKernelSignature sig;
  sig.name = m.name;
  sig.outputNames = &m.outputNames;
  sig.outputType = m.outputType;
  return importFeatureKernel(ctx, m.pipeline, sig, [&](OpBuilder &b, ValueRange features) {
    return buildModelStage(b, m, features);
  });
}

} // namespace jit
} // namespace specjit
