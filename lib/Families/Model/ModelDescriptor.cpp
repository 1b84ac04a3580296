//===- ModelDescriptor.cpp - The `model` family ---------------------------===//
//
// Parsing, validation and analysis of `kind: "model"` descriptors
// (docs/model-semantics.md): the pipeline family's `inputs` and `steps`
// (validated by the pipeline family's own code, see
// parsePipelineFrontEnd), the `features` the model reads, one model
// (linear, tree_ensemble or mlp) and the output.
//
// Every node of every tree is visited once and every weight read once: the
// work is linear in the size of the document.
//
// The canonical form is written in ModelCanonical.cpp.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Model/ModelSpec.h"
#include "Families/Pipeline/PipelineFrontEnd.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {

llvm::StringRef modelTypeName(ModelType t) {
  switch (t) {
  case ModelType::Linear:
    return "linear";
  case ModelType::TreeEnsemble:
    return "tree_ensemble";
  case ModelType::Mlp:
    return "mlp";
  }
  return "?";
}

llvm::StringRef linkName(Link l) {
  switch (l) {
  case Link::Identity:
    return "identity";
  case Link::Logistic:
    return "logistic";
  case Link::Softmax:
    return "softmax";
  case Link::Argmax:
    return "argmax";
  }
  return "?";
}

llvm::StringRef activationName(Activation a) {
  switch (a) {
  case Activation::Identity:
    return "identity";
  case Activation::Relu:
    return "relu";
  case Activation::Tanh:
    return "tanh";
  case Activation::Logistic:
    return "logistic";
  }
  return "?";
}

namespace {

using detail::asInt64;
using detail::checkKeys;
using detail::expected;
using detail::failAt;
using detail::formatNumber;
using detail::indexPath;
using detail::keyPath;
using detail::nameList;
using detail::numberAttr;
using detail::quoted;
using detail::readBool;
using detail::readEnum;
using detail::readFinite;
using detail::readMatrix;
using detail::readVector;
using detail::requireKey;

/// Tree nodes in all trees of one model.
constexpr uint64_t kMaxTreeNodes = 50000000;
using detail::kMaxWeights;
/// Outputs of a model (and units of an MLP layer).
constexpr uint64_t kMaxOutputs = kMaxColumns;

constexpr ModelType kAllTypes[] = {ModelType::Linear, ModelType::TreeEnsemble, ModelType::Mlp};
constexpr Link kAllLinks[] = {Link::Identity, Link::Logistic, Link::Softmax, Link::Argmax};
constexpr Activation kAllActivations[] = {Activation::Identity, Activation::Relu, Activation::Tanh,
                                          Activation::Logistic};

/// "1 number" / "3 numbers".
std::string countOf(uint64_t n, StringRef one, StringRef many) {
  return std::to_string(n) + " " + (n == 1 ? one : many).str();
}

/// f32 rounding of a finite f64 stays finite.
bool finiteInF32(double d) { return std::isfinite(static_cast<float>(d)); }

class ModelParser {
public:
  Expected<Descriptor> run(const json::Object &root);

private:
  ModelSpec spec;
  const json::Object *model = nullptr;

  Error parseModel(const json::Object &root);
  Error parseLinear();
  Error parseTrees();
  Error parseTree(const json::Value &v, size_t index, uint64_t &totalNodes);
  /// The two forms of a tree's nodes (see "Tree ensembles" below).
  Error readNodeColumns(const json::Object &tree, StringRef path, uint64_t &totalNodes, Tree &out);
  Error readNodeObjects(const json::Value &nodes, StringRef path, uint64_t &totalNodes, Tree &out);
  Error parseMlp();
  Error parseLink();
  Error parseOutput(const json::Object &root);
};

} // namespace

namespace detail {

Error readVector(const json::Value &v, StringRef path, uint64_t n, StringRef per,
                 std::vector<double> &out) {
  std::string what = "an array of " + countOf(n, "number", "numbers") + " (" + per.str() + ")";
  const json::Array *a = v.getAsArray();
  if (!a)
    return expected(path, what, v);
  if (a->size() != n)
    return failAt(path, "expected " + countOf(n, "number", "numbers") + " (" + per + "), got " +
                            Twine(a->size()));
  out.clear();
  out.reserve(n);
  for (size_t i = 0; i < a->size(); ++i) {
    double d;
    if (Error e = readFinite((*a)[i], indexPath(path, i), d))
      return e;
    out.push_back(d);
  }
  return Error::success();
}

Error readMatrix(const json::Value &v, StringRef path, uint64_t cols, StringRef per,
                 StringRef rowsWhat, uint64_t &weightBudget, std::vector<double> &out,
                 uint64_t &rows) {
  std::string what = "a non-empty array of rows (" + rowsWhat.str() + "), each an array of " +
                     countOf(cols, "number", "numbers");
  const json::Array *a = v.getAsArray();
  if (!a || a->empty())
    return expected(path, what, v);
  if (a->size() > kMaxOutputs)
    return failAt(path, Twine(a->size()) + " rows, more than the limit of " + Twine(kMaxOutputs));
  uint64_t need = static_cast<uint64_t>(a->size()) * cols;
  if (need > weightBudget)
    return failAt(path, Twine(a->size()) + " x " + Twine(cols) +
                            " weights would exceed the limit of " + Twine(kMaxWeights) +
                            " weights per model");
  weightBudget -= need;
  rows = a->size();
  out.reserve(out.size() + need);
  for (size_t r = 0; r < a->size(); ++r) {
    std::string rowPath = indexPath(path, r);
    const json::Array *row = (*a)[r].getAsArray();
    if (!row)
      return expected(rowPath,
                      "an array of " + countOf(cols, "number", "numbers") + " (" + per.str() + ")",
                      (*a)[r]);
    if (row->size() != cols)
      return failAt(rowPath, "expected " + countOf(cols, "number", "numbers") + " (" + per +
                                 "), got " + Twine(row->size()));
    for (size_t c = 0; c < row->size(); ++c) {
      double d;
      if (Error e = readFinite((*row)[c], indexPath(rowPath, c), d))
        return e;
      out.push_back(d);
    }
  }
  return Error::success();
}

} // namespace detail

namespace {

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

Error ModelParser::parseLinear() {
  if (Error e =
          checkKeys(*model, "model", {"type", "weights", "intercepts", "link"}, "a linear model"))
    return e;
  const json::Value *v;
  if (Error e = requireKey(*model, "model", "weights",
                           "one row of weights per output, each one number "
                           "per feature",
                           v))
    return e;
  uint64_t budget = kMaxWeights, rows = 0;
  if (Error e = readMatrix(*v, "model.weights", spec.numFeatures, "one per feature",
                           "one per output", budget, spec.weights, rows))
    return e;
  spec.numOutputs = static_cast<int32_t>(rows);
  if (Error e = requireKey(*model, "model", "intercepts", "one number per output", v))
    return e;
  return readVector(*v, "model.intercepts", rows, "one per output: one per row of weights",
                    spec.intercepts);
}

//===----------------------------------------------------------------------===//
// Tree ensembles
//
// A tree is written in one of two forms, chosen per tree:
//
//   columns: {"group": g, "feature": [...], "threshold": [...],
//             "left": [...], "right": [...], "default_left": [...],
//             "leaf": [...]}
//            Node i is entry i of every column (all of the same length
//            n >= 1); it is a leaf when feature[i] is -1, and then left[i]
//            and right[i] are -1 too. Entries a node does not use (a
//            leaf's threshold and default_left, a split's leaf) are
//            ignored, but must be well-formed. default_left entries are
//            true/false or 1/0. The canonical form, and what the importers
//            write: one JSON object per tree rather than per node, so large
//            ensembles stay within the parser's JSON object limit.
//   objects: {"group": g, "nodes": [{"feature", "threshold", "left",
//             "right", "default_left"} | {"leaf"}, ...]}
//            A node is a leaf when it has "leaf"; default_left is optional
//            (default true) and boolean.
//
// The forms differ only in where a node's fields are (NodeFields) and how
// the paths of errors are spelled (`nodes[i].left`, `left[i]`): one
// TreeReader validates every node, from either form.
//===----------------------------------------------------------------------===//

/// The fields of a node, in the order they are checked.
enum NodeField : uint8_t {
  kFeature,
  kThreshold,
  kLeft,
  kRight,
  kDefaultLeft,
  kLeaf,
};
constexpr size_t kNumNodeFields = 6;
/// Their keys: member names of a node object, column names of a tree.
constexpr StringRef kNodeFieldKeys[kNumNodeFields] = {"feature", "threshold",    "left",
                                                      "right",   "default_left", "leaf"};
/// What each column holds, for messages.
constexpr StringRef kColumnWhat[kNumNodeFields] = {
    "the feature each node tests, -1 for a leaf",
    "split values, finite numbers",
    "left children, -1 for a leaf",
    "right children, -1 for a leaf",
    "where a split sends NaN: true or 1 for left, false or 0 for right",
    "leaf values, finite numbers"};

constexpr StringRef kTreesWhat =
    "a non-empty array of trees {group, feature, threshold, left, right, "
    "default_left, leaf} or {group, nodes}";

/// Where the fields of one node are in the document: the members of
/// nodes[i] (objects: absent members are null), or entry i of each column
/// (columns: never null).
struct NodeFields {
  const json::Object *object = nullptr; ///< nodes[i]; null for columns
  const json::Value *at[kNumNodeFields] = {};

  const json::Value *operator[](NodeField f) const { return at[f]; }
};

/// Validates the nodes of one tree, in order, into a Tree: feature indices
/// in range, finite thresholds and leaves (leaves finite in f32 under
/// float32), children that are later nodes of the same tree, every node but
/// the root the child of exactly one split. The one code path of both
/// forms: only paths, the leaf test, the feature's "-1 for a leaf" and the
/// 0/1 spelling of default_left depend on the form.
class TreeReader {
public:
  TreeReader(const ModelSpec &spec, std::string treePath, bool columns, size_t numNodes, Tree &tree)
      : spec(spec), treePath(std::move(treePath)), columns(columns), n(numNodes), tree(tree),
        parent(numNodes, -1) {
    tree.nodes.resize(numNodes);
  }

  /// Reads node i; nodes are read in order 0, 1, ..., n-1.
  Error readNode(size_t i, const NodeFields &f);

private:
  const ModelSpec &spec;
  std::string treePath; ///< "model.trees[3]"
  bool columns;         ///< the columnar form
  size_t n;
  Tree &tree;
  /// parent[i]: the node whose child node i is (-1: none yet). Children
  /// come after their parent, so when node i is read its parent was read
  /// before.
  std::vector<int32_t> parent;

  // Paths and messages are built only on the way to an error: readNode runs
  // once per node.

  /// `model.trees[t].nodes[i].key` or `model.trees[t].key[i]`.
  std::string fieldPath(size_t i, NodeField field) const {
    StringRef key = kNodeFieldKeys[field];
    return columns ? indexPath(keyPath(treePath, key), i) : keyPath(nodePath(i), key);
  }
  /// The element that stands for node i as a whole: nodes[i], or its
  /// feature entry (the one that says what the node is).
  std::string nodePath(size_t i) const {
    return columns ? fieldPath(i, kFeature) : indexPath(keyPath(treePath, "nodes"), i);
  }
  std::string childWhat(size_t i) const {
    if (i + 1 >= n)
      return "the index of a later node of this tree (there is none: the "
             "last node must be a leaf)";
    return "the index of a later node of this tree (" + std::to_string(i + 1) + ".." +
           std::to_string(n - 1) + ")";
  }
  /// The error for a member missing from a node object (the columnar form
  /// has every field).
  Error missing(const NodeFields &f, size_t i, NodeField field, StringRef what) const {
    assert(f.object && "columns have every field");
    const json::Value *absent;
    return requireKey(*f.object, nodePath(i), kNodeFieldKeys[field], what, absent);
  }
  /// A finite number (the leaf's value, or an ignored entry).
  Error checkFinite(size_t i, NodeField field, const json::Value &v, double &out) const {
    std::optional<double> d = v.getAsNumber();
    if (!d || !std::isfinite(*d))
      return expected(fieldPath(i, field), "a finite number", v);
    out = *d;
    return Error::success();
  }
  Error readSplitFeature(size_t i, const NodeFields &f, TreeNode &node) const;
  Error readChild(size_t i, const NodeFields &f, NodeField side, TreeNode &node);
  Error readDefaultLeft(size_t i, const json::Value &v, bool &out) const;
};

Error TreeReader::readNode(size_t i, const NodeFields &f) {
  if (i > 0 && parent[i] < 0)
    return failAt(nodePath(i), "node " + Twine(i) +
                                   " is not reachable from the root (no split node names "
                                   "it as a child)");
  bool isLeaf =
      f.object ? f[kLeaf] != nullptr : asInt64(*f[kFeature]) == std::optional<int64_t>(-1);
  if (f.object) {
    static constexpr StringRef kLeafKeys[] = {"leaf"};
    static constexpr StringRef kSplitKeys[] = {"feature", "threshold", "left", "right",
                                               "default_left"};
    ArrayRef<StringRef> allowed =
        isLeaf ? ArrayRef<StringRef>(kLeafKeys) : ArrayRef<StringRef>(kSplitKeys);
    for (const auto &kv : *f.object)
      if (!llvm::is_contained(allowed, StringRef(kv.first)))
        return checkKeys(*f.object, nodePath(i), allowed, isLeaf ? "a leaf node" : "a split node");
  }
  TreeNode &node = tree.nodes[i];
  if (isLeaf) {
    // A leaf's other fields exist only as column entries: checked, unused.
    double unusedNumber;
    bool unusedBool;
    if (f[kThreshold])
      if (Error e = checkFinite(i, kThreshold, *f[kThreshold], unusedNumber))
        return e;
    for (NodeField side : {kLeft, kRight})
      if (f[side] && asInt64(*f[side]) != std::optional<int64_t>(-1))
        return expected(fieldPath(i, side),
                        "-1 (node " + Twine(i) + " is a leaf: its feature is -1)", *f[side]);
    if (f[kDefaultLeft])
      if (Error e = readDefaultLeft(i, *f[kDefaultLeft], unusedBool))
        return e;
    if (Error e = checkFinite(i, kLeaf, *f[kLeaf], node.leaf))
      return e;
    if (spec.float32 && !finiteInF32(node.leaf))
      return failAt(fieldPath(i, kLeaf),
                    formatNumber(node.leaf) + " is not finite in f32 (the model is float32)");
    return Error::success();
  }
  if (Error e = readSplitFeature(i, f, node))
    return e;
  if (!f[kThreshold])
    return missing(f, i, kThreshold, "a finite number");
  if (Error e = checkFinite(i, kThreshold, *f[kThreshold], node.threshold))
    return e;
  for (NodeField side : {kLeft, kRight})
    if (Error e = readChild(i, f, side, node))
      return e;
  if (f[kDefaultLeft]) // optional in a node object: default true
    if (Error e = readDefaultLeft(i, *f[kDefaultLeft], node.defaultLeft))
      return e;
  // A split's leaf exists only as a column entry: checked, unused.
  double unused;
  if (f[kLeaf])
    return checkFinite(i, kLeaf, *f[kLeaf], unused);
  return Error::success();
}

Error TreeReader::readSplitFeature(size_t i, const NodeFields &f, TreeNode &node) const {
  const json::Value *v = f[kFeature];
  if (!v)
    return missing(f, i, kFeature, "a split node's feature index, or 'leaf' for a leaf");
  std::optional<int64_t> feature = asInt64(*v);
  if (!feature || *feature < 0)
    return expected(fieldPath(i, kFeature),
                    columns ? "a feature index (an integer >= 0), or -1 for "
                              "a leaf"
                            : "a feature index (an integer >= 0)",
                    *v);
  if (*feature >= spec.numFeatures)
    return failAt(fieldPath(i, kFeature),
                  "feature " + Twine(*feature) + " out of range (the model has " +
                      countOf(spec.numFeatures, "feature", "features") + ")");
  node.feature = static_cast<int32_t>(*feature);
  return Error::success();
}

Error TreeReader::readChild(size_t i, const NodeFields &f, NodeField side, TreeNode &node) {
  const json::Value *v = f[side];
  if (!v)
    return missing(f, i, side, childWhat(i));
  std::optional<int64_t> child = asInt64(*v);
  if (!child)
    return expected(fieldPath(i, side), childWhat(i), *v);
  if (*child < 0 || static_cast<uint64_t>(*child) >= n)
    return failAt(fieldPath(i, side), "child " + Twine(*child) + " out of range (the tree has " +
                                          countOf(n, "node", "nodes") + ")");
  if (static_cast<uint64_t>(*child) <= i)
    return failAt(fieldPath(i, side), "child " + Twine(*child) +
                                          " is not after this node (children are later nodes of "
                                          "the same tree, so there are no cycles)");
  int32_t c = static_cast<int32_t>(*child);
  if (int32_t p = parent[c]; p >= 0) {
    // The element that made it a child: nodes[p], or the left/right entry
    // of p naming it (a column node has no element of its own).
    std::string by = columns ? fieldPath(p, tree.nodes[p].left == c ? kLeft : kRight) : nodePath(p);
    return failAt(fieldPath(i, side), "node " + Twine(c) + " is already a child of " + by +
                                          " (every node is reached once: no shared subtrees)");
  }
  parent[c] = static_cast<int32_t>(i);
  (side == kLeft ? node.left : node.right) = c;
  return Error::success();
}

Error TreeReader::readDefaultLeft(size_t i, const json::Value &v, bool &out) const {
  if (std::optional<bool> b = v.getAsBoolean()) {
    out = *b;
    return Error::success();
  }
  // Columns also take 0 and 1, the canonical spelling.
  std::optional<int64_t> k = columns ? asInt64(v) : std::nullopt;
  if (k && (*k == 0 || *k == 1)) {
    out = *k == 1;
    return Error::success();
  }
  return expected(fieldPath(i, kDefaultLeft), columns ? "true, false, 1 or 0" : "true or false", v);
}

/// Counts n more nodes against the model's limit.
Error takeNodes(StringRef path, size_t n, uint64_t &totalNodes) {
  if (n > kMaxTreeNodes - totalNodes)
    return failAt(path, "more than " + Twine(kMaxTreeNodes) + " tree nodes in all (the limit)");
  totalNodes += n;
  return Error::success();
}

Error ModelParser::parseTrees() {
  if (Error e =
          checkKeys(*model, "model",
                    {"type", "trees", "num_outputs", "base_score", "average", "float32", "link"},
                    "a tree_ensemble model"))
    return e;
  const json::Value *v;
  std::string outWhat =
      "the number of outputs (an integer in 1.." + std::to_string(kMaxOutputs) + ")";
  if (Error e = requireKey(*model, "model", "num_outputs", outWhat, v))
    return e;
  std::optional<int64_t> n = asInt64(*v);
  if (!n || *n < 1 || static_cast<uint64_t>(*n) > kMaxOutputs)
    return expected("model.num_outputs", outWhat, *v);
  spec.numOutputs = static_cast<int32_t>(*n);
  if (const json::Value *b = model->get("average"))
    if (Error e = readBool(*b, "model.average", spec.average))
      return e;
  if (const json::Value *b = model->get("float32"))
    if (Error e = readBool(*b, "model.float32", spec.float32))
      return e;
  if (const json::Value *b = model->get("base_score")) {
    if (Error e =
            readVector(*b, "model.base_score", spec.numOutputs, "one per output", spec.baseScore))
      return e;
    if (spec.float32)
      for (size_t k = 0; k < spec.baseScore.size(); ++k)
        if (!finiteInF32(spec.baseScore[k]))
          return failAt(indexPath("model.base_score", k),
                        formatNumber(spec.baseScore[k]) +
                            " is not finite in f32 (the model is float32)");
  } else {
    spec.baseScore.assign(spec.numOutputs, 0.0);
  }

  if (Error e = requireKey(*model, "model", "trees", kTreesWhat, v))
    return e;
  const json::Array *trees = v->getAsArray();
  if (!trees || trees->empty())
    return expected("model.trees", kTreesWhat, *v);
  if (trees->size() > kMaxTreeNodes)
    return failAt("model.trees", Twine(trees->size()) + " trees, more than the limit of " +
                                     Twine(kMaxTreeNodes) + " nodes in all");
  spec.trees.reserve(trees->size());
  uint64_t totalNodes = 0;
  for (size_t t = 0; t < trees->size(); ++t)
    if (Error e = parseTree((*trees)[t], t, totalNodes))
      return e;
  if (spec.average) {
    std::vector<bool> used(spec.numOutputs, false);
    for (const Tree &tree : spec.trees)
      used[tree.group] = true;
    for (int32_t k = 0; k < spec.numOutputs; ++k)
      if (!used[k])
        return failAt("model.trees", "no tree has group " + Twine(k) +
                                         " (with average, every output divides by its "
                                         "number of trees, so each needs one)");
  }
  return Error::success();
}

Error ModelParser::parseTree(const json::Value &v, size_t index, uint64_t &totalNodes) {
  std::string path = indexPath("model.trees", index);
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path,
                    "a tree object {\"group\", \"feature\", \"threshold\", "
                    "\"left\", \"right\", \"default_left\", \"leaf\"} or "
                    "{\"group\", \"nodes\"}",
                    v);
  static constexpr StringRef kTreeKeys[] = {"group", "nodes", "feature",      "threshold",
                                            "left",  "right", "default_left", "leaf"};
  if (Error e = checkKeys(*o, path, kTreeKeys, "a tree"))
    return e;
  Tree tree;
  const json::Value *g;
  std::string groupWhat =
      "the output the tree adds to (an integer in 0.." + std::to_string(spec.numOutputs - 1) + ")";
  if (Error e = requireKey(*o, path, "group", groupWhat, g))
    return e;
  std::optional<int64_t> group = asInt64(*g);
  std::string groupPath = keyPath(path, "group");
  if (!group)
    return expected(groupPath, groupWhat, *g);
  if (*group < 0 || *group >= spec.numOutputs)
    return failAt(groupPath, "group " + Twine(*group) + " out of range (the model has " +
                                 countOf(spec.numOutputs, "output", "outputs") + ", num_outputs)");
  tree.group = static_cast<int32_t>(*group);

  // The form: the columns or `nodes`, not both, not neither.
  const StringRef *column = llvm::find_if(kNodeFieldKeys, [&](StringRef k) { return o->get(k); });
  bool hasColumns = column != std::end(kNodeFieldKeys);
  const json::Value *nodes = o->get("nodes");
  if (nodes && hasColumns)
    return failAt(path, "both 'nodes' and the column " + quoted(*column) +
                            ": a tree is either columns (feature, threshold, "
                            "left, right, default_left, leaf) or an array of "
                            "node objects (nodes), not both");
  if (!nodes && !hasColumns)
    return failAt(path, "missing the nodes: the columns 'feature', "
                        "'threshold', 'left', 'right', 'default_left', "
                        "'leaf' (one entry per node), or 'nodes' (an array "
                        "of node objects)");
  if (Error e = nodes ? readNodeObjects(*nodes, path, totalNodes, tree)
                      : readNodeColumns(*o, path, totalNodes, tree))
    return e;
  spec.trees.push_back(std::move(tree));
  return Error::success();
}

Error ModelParser::readNodeColumns(const json::Object &o, StringRef path, uint64_t &totalNodes,
                                   Tree &tree) {
  // Every column is an array of the same length n >= 1: feature's.
  const json::Array *columns[kNumNodeFields];
  std::string featurePath = keyPath(path, kNodeFieldKeys[kFeature]);
  for (size_t k = 0; k < kNumNodeFields; ++k) {
    StringRef key = kNodeFieldKeys[k];
    auto what = [&] {
      return (k == kFeature ? "a non-empty array, one entry per node ("
                            : "an array, one entry per node (") +
             kColumnWhat[k].str() + ")";
    };
    // Not requireKey(): its "a misspelling?" hint would take `left` for
    // `leaf`; misspelt keys are unknown keys, reported before this.
    const json::Value *v = o.get(key);
    if (!v)
      return failAt(path, "missing the column " + quoted(key) + " (" + what() + ")");
    const json::Array *a = v->getAsArray();
    if (!a || (k == kFeature && a->empty()))
      return expected(keyPath(path, key), what(), *v);
    if (k == kFeature) {
      if (Error e = takeNodes(featurePath, a->size(), totalNodes))
        return e;
    } else if (a->size() != columns[kFeature]->size()) {
      return failAt(keyPath(path, key), countOf(a->size(), "entry", "entries") + ", expected " +
                                            Twine(columns[kFeature]->size()) + " (the length of " +
                                            featurePath + ")");
    }
    columns[k] = a;
  }
  const size_t n = columns[kFeature]->size();
  TreeReader reader(spec, path.str(), /*columns=*/true, n, tree);
  NodeFields f;
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < kNumNodeFields; ++k)
      f.at[k] = &(*columns[k])[i];
    if (Error e = reader.readNode(i, f))
      return e;
  }
  return Error::success();
}

Error ModelParser::readNodeObjects(const json::Value &v, StringRef path, uint64_t &totalNodes,
                                   Tree &tree) {
  std::string nodesPath = keyPath(path, "nodes");
  const json::Array *nodes = v.getAsArray();
  if (!nodes || nodes->empty())
    return expected(nodesPath, "a non-empty array of nodes, the root first", v);
  if (Error e = takeNodes(nodesPath, nodes->size(), totalNodes))
    return e;
  const size_t n = nodes->size();
  TreeReader reader(spec, path.str(), /*columns=*/false, n, tree);
  for (size_t i = 0; i < n; ++i) {
    NodeFields f;
    f.object = (*nodes)[i].getAsObject();
    if (!f.object)
      return expected(indexPath(nodesPath, i),
                      "a split node {\"feature\", \"threshold\", \"left\", "
                      "\"right\"} or a leaf {\"leaf\"}",
                      (*nodes)[i]);
    for (size_t k = 0; k < kNumNodeFields; ++k)
      f.at[k] = f.object->get(kNodeFieldKeys[k]);
    if (Error e = reader.readNode(i, f))
      return e;
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// MLP
//===----------------------------------------------------------------------===//

Error ModelParser::parseMlp() {
  if (Error e = checkKeys(*model, "model", {"type", "layers", "link"}, "an mlp model"))
    return e;
  const json::Value *v;
  std::string layersWhat = "a non-empty array of layers {weights, biases, activation}";
  if (Error e = requireKey(*model, "model", "layers", layersWhat, v))
    return e;
  const json::Array *layers = v->getAsArray();
  if (!layers || layers->empty())
    return expected("model.layers", layersWhat, *v);
  uint64_t budget = kMaxWeights;
  uint64_t width = spec.numFeatures;
  spec.layers.reserve(std::min<size_t>(layers->size(), 4096));
  for (size_t l = 0; l < layers->size(); ++l) {
    std::string path = indexPath("model.layers", l);
    const json::Object *o = (*layers)[l].getAsObject();
    if (!o)
      return expected(path,
                      "a layer object {\"weights\", \"biases\", "
                      "\"activation\"}",
                      (*layers)[l]);
    if (Error e = checkKeys(*o, path, {"weights", "biases", "activation"}, "a layer"))
      return e;
    DenseLayer layer;
    layer.inputs = static_cast<int32_t>(width);
    std::string per = l == 0 ? "one per feature"
                             : "one per output of model.layers[" + std::to_string(l - 1) + "]";
    const json::Value *w;
    if (Error e =
            requireKey(*o, path, "weights", "one row per output of the layer, each " + per, w))
      return e;
    uint64_t rows = 0;
    if (Error e = readMatrix(*w, keyPath(path, "weights"), width, per,
                             "one per output of the layer", budget, layer.weights, rows))
      return e;
    layer.outputs = static_cast<int32_t>(rows);
    if (Error e = requireKey(*o, path, "biases", "one number per output", w))
      return e;
    if (Error e = readVector(*w, keyPath(path, "biases"), rows,
                             "one per output: one per row of weights", layer.biases))
      return e;
    if (Error e = requireKey(*o, path, "activation",
                             "one of " + nameList(kAllActivations, activationName), w))
      return e;
    if (Error e = readEnum(*w, keyPath(path, "activation"), kAllActivations, activationName,
                           layer.activation))
      return e;
    width = rows;
    spec.layers.push_back(std::move(layer));
  }
  spec.numOutputs = static_cast<int32_t>(width);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Document
//===----------------------------------------------------------------------===//

Error ModelParser::parseLink() {
  if (const json::Value *v = model->get("link"))
    return readEnum(*v, "model.link", kAllLinks, linkName, spec.link);
  return Error::success();
}

Error ModelParser::parseModel(const json::Object &root) {
  const json::Value *v;
  std::string typeList = nameList(kAllTypes, modelTypeName);
  if (Error e = requireKey(root, "", "model", "the model object {\"type\": " + typeList + "}", v))
    return e;
  model = v->getAsObject();
  if (!model)
    return expected("model", "a model object {\"type\": " + typeList + "}", *v);
  const json::Value *t;
  if (Error e = requireKey(*model, "model", "type", "one of " + typeList, t))
    return e;
  if (Error e = readEnum(*t, "model.type", kAllTypes, modelTypeName, spec.type))
    return e;
  auto parseType = [&]() -> Error {
    switch (spec.type) {
    case ModelType::Linear:
      return parseLinear();
    case ModelType::TreeEnsemble:
      return parseTrees();
    case ModelType::Mlp:
      return parseMlp();
    }
    return Error::success();
  };
  if (Error e = parseType())
    return e;
  return parseLink();
}

Error ModelParser::parseOutput(const json::Object &root) {
  const json::Value *v;
  std::string what = "an object {\"type\": \"f32\" or \"f64\"}";
  if (Error e = requireKey(root, "", "output", what, v))
    return e;
  const json::Object *o = v->getAsObject();
  if (!o)
    return expected("output", what, *v);
  if (Error e = checkKeys(*o, "output", {"type", "columns", "margin"}, "output"))
    return e;
  const json::Value *t;
  if (Error e = requireKey(*o, "output", "type", "f32 or f64", t))
    return e;
  std::optional<StringRef> type = t->getAsString();
  if (type && *type == "f32")
    spec.outputType = DType::F32;
  else if (type && *type == "f64")
    spec.outputType = DType::F64;
  else
    return expected("output.type", "one of f32, f64", *t);
  if (const json::Value *m = o->get("margin"))
    if (Error e = readBool(*m, "output.margin", spec.margin))
      return e;

  bool classIndex = spec.link == Link::Argmax && !spec.margin;
  size_t columns = classIndex ? 1 : static_cast<size_t>(spec.numOutputs);
  if (const json::Value *c = o->get("columns")) {
    std::string why = classIndex    ? "argmax outputs the class index"
                      : spec.margin ? "one per margin"
                                    : "one per output";
    const json::Array *cols = c->getAsArray();
    if (!cols)
      return expected(
          "output.columns",
          "an array of " + countOf(columns, "column name", "column names") + " (" + why + ")", *c);
    if (cols->size() != columns)
      return failAt("output.columns", "expected " +
                                          countOf(columns, "column name", "column names") + " (" +
                                          why + "), got " + Twine(cols->size()));
    llvm::StringMap<size_t> seen;
    for (size_t i = 0; i < cols->size(); ++i) {
      std::string path = indexPath("output.columns", i);
      std::string name;
      if (Error e = detail::readNonEmptyString((*cols)[i], path, name,
                                               "a column name (a non-empty string)"))
        return e;
      auto [it, inserted] = seen.try_emplace(name, i);
      if (!inserted)
        return failAt(path, "duplicate output column " + quoted(name) + " (also output.columns[" +
                                Twine(it->second) + "])");
      spec.outputNames.push_back(std::move(name));
    }
    return Error::success();
  }
  spec.outputNames = detail::defaultModelOutputNames(columns, classIndex);
  return Error::success();
}

Expected<Descriptor> ModelParser::run(const json::Object &root) {
  if (Error e = checkKeys(
          root, "", {"specjit", "kind", "name", "inputs", "steps", "features", "model", "output"},
          "a model descriptor"))
    return std::move(e);
  if (Error e = detail::readDescriptorName(root, spec.name))
    return std::move(e);
  if (Error e = parsePipelineFrontEnd(root, spec.pipeline))
    return std::move(e);
  spec.pipeline.name = spec.name;
  spec.numFeatures = static_cast<int32_t>(spec.pipeline.plan.outputs.size());
  if (Error e = parseModel(root))
    return std::move(e);
  if (Error e = parseOutput(root))
    return std::move(e);
  std::string canonical = detail::canonicalModelText(spec);
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

} // namespace

namespace detail {

Expected<Descriptor> parseModel(const json::Object &root) { return ModelParser().run(root); }

std::vector<std::string> defaultModelOutputNames(size_t columns, bool classIndex) {
  if (classIndex)
    return {"class"};
  if (columns == 1)
    return {"prediction"};
  std::vector<std::string> names;
  for (size_t k = 0; k < columns; ++k)
    names.push_back("class_" + std::to_string(k));
  return names;
}

} // namespace detail
} // namespace jit
} // namespace specjit
