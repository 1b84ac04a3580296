//===- ModelDescriptor.cpp - The `model` family ---------------------------===//
//
// Parsing, validation and analysis of `kind: "model"` descriptors
// (docs/model-semantics.md): the pipeline family's `inputs` and `steps`
// (validated by the pipeline family's own code, see
// detail::parseModelPipeline), the `features` the model reads, one model
// (linear, tree_ensemble or mlp) and the output.
//
// Every node of every tree is visited once and every weight read once: the
// work is linear in the size of the document.
//
// Canonical form: compact JSON, keys sorted bytewise, the top-level `name`
// dropped, defaults written out ("steps": [], "features": every feature in
// order, model "link", tree_ensemble "base_score"/"average"/"float32", split
// "default_left", output "margin" and "columns"), steps exactly as the
// pipeline family writes them, numbers as formatNumber() spells them (as
// written: a float32 model's values are not rounded in the canonical form).
// Trees, nodes, layers, rows and features keep their order.
//
//===----------------------------------------------------------------------===//

#include "DescriptorInternal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
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
  case ModelType::Linear: return "linear";
  case ModelType::TreeEnsemble: return "tree_ensemble";
  case ModelType::Mlp: return "mlp";
  }
  return "?";
}

llvm::StringRef linkName(Link l) {
  switch (l) {
  case Link::Identity: return "identity";
  case Link::Logistic: return "logistic";
  case Link::Softmax: return "softmax";
  case Link::Argmax: return "argmax";
  }
  return "?";
}

llvm::StringRef activationName(Activation a) {
  switch (a) {
  case Activation::Identity: return "identity";
  case Activation::Relu: return "relu";
  case Activation::Tanh: return "tanh";
  case Activation::Logistic: return "logistic";
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
using detail::numberAttr;
using detail::quoted;
using detail::readBool;
using detail::readFinite;
using detail::requireKey;

/// Tree nodes in all trees of one model.
constexpr uint64_t kMaxTreeNodes = 50000000;
/// Weights of a linear model or of all layers of an MLP.
constexpr uint64_t kMaxWeights = 50000000;
/// Outputs of a model (and units of an MLP layer).
constexpr uint64_t kMaxOutputs = kMaxColumns;

constexpr ModelType kAllTypes[] = {ModelType::Linear, ModelType::TreeEnsemble,
                                   ModelType::Mlp};
constexpr Link kAllLinks[] = {Link::Identity, Link::Logistic, Link::Softmax,
                              Link::Argmax};
constexpr Activation kAllActivations[] = {
    Activation::Identity, Activation::Relu, Activation::Tanh,
    Activation::Logistic};

template <typename T, size_t N>
std::string nameList(const T (&all)[N], StringRef (*nameOf)(T)) {
  std::string out;
  for (T x : all)
    out += (out.empty() ? "" : ", ") + nameOf(x).str();
  return out;
}

/// Reads a string naming one of `all`; an unknown one is an error listing
/// them, with a did-you-mean.
template <typename T, size_t N>
Error readEnum(const json::Value &v, StringRef path, const T (&all)[N],
               StringRef (*nameOf)(T), T &out) {
  std::string list = nameList(all, nameOf);
  std::optional<StringRef> s = v.getAsString();
  if (!s)
    return expected(path, "one of " + list, v);
  for (T x : all)
    if (nameOf(x) == *s) {
      out = x;
      return Error::success();
    }
  std::string msg = "unknown value " + quoted(*s) + " (expected one of " +
                    list + ")";
  for (T x : all)
    if (s->edit_distance(nameOf(x), true, 3) <= 2) {
      msg += "; did you mean '" + nameOf(x).str() + "'?";
      break;
    }
  return failAt(path, msg);
}

/// "1 number" / "3 numbers".
std::string countOf(uint64_t n, StringRef one, StringRef many) {
  return std::to_string(n) + " " + (n == 1 ? one : many).str();
}

/// f32 rounding of a finite f64 stays finite.
bool finiteInF32(double d) {
  return std::isfinite(static_cast<float>(d));
}

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
  Error parseMlp();
  Error parseLink();
  Error parseOutput(const json::Object &root);

  /// Reads an array of exactly `n` finite numbers ("one per <per>").
  Error readVector(const json::Value &v, StringRef path, uint64_t n,
                   StringRef per, std::vector<double> &out);
  /// Reads a non-empty array of rows of `cols` finite numbers each, appended
  /// row-major to `out`; `rows` is the number of rows read.
  Error readMatrix(const json::Value &v, StringRef path, uint64_t cols,
                   StringRef per, StringRef rowsWhat, uint64_t &weightBudget,
                   std::vector<double> &out, uint64_t &rows);
};

Error ModelParser::readVector(const json::Value &v, StringRef path, uint64_t n,
                              StringRef per, std::vector<double> &out) {
  std::string what = "an array of " + countOf(n, "number", "numbers") + " (" +
                     per.str() + ")";
  const json::Array *a = v.getAsArray();
  if (!a)
    return expected(path, what, v);
  if (a->size() != n)
    return failAt(path, "expected " + countOf(n, "number", "numbers") + " (" +
                            per + "), got " + Twine(a->size()));
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

Error ModelParser::readMatrix(const json::Value &v, StringRef path,
                              uint64_t cols, StringRef per,
                              StringRef rowsWhat, uint64_t &weightBudget,
                              std::vector<double> &out, uint64_t &rows) {
  std::string what = "a non-empty array of rows (" + rowsWhat.str() +
                     "), each an array of " +
                     countOf(cols, "number", "numbers");
  const json::Array *a = v.getAsArray();
  if (!a || a->empty())
    return expected(path, what, v);
  if (a->size() > kMaxOutputs)
    return failAt(path, Twine(a->size()) + " rows, more than the limit of " +
                            Twine(kMaxOutputs));
  uint64_t need = static_cast<uint64_t>(a->size()) * cols;
  if (need > weightBudget)
    return failAt(path, Twine(a->size()) + " x " + Twine(cols) +
                            " weights would exceed the limit of " +
                            Twine(kMaxWeights) + " weights per model");
  weightBudget -= need;
  rows = a->size();
  out.reserve(out.size() + need);
  for (size_t r = 0; r < a->size(); ++r) {
    std::string rowPath = indexPath(path, r);
    const json::Array *row = (*a)[r].getAsArray();
    if (!row)
      return expected(rowPath,
                      "an array of " + countOf(cols, "number", "numbers") +
                          " (" + per.str() + ")",
                      (*a)[r]);
    if (row->size() != cols)
      return failAt(rowPath, "expected " + countOf(cols, "number", "numbers") +
                                 " (" + per + "), got " + Twine(row->size()));
    for (size_t c = 0; c < row->size(); ++c) {
      double d;
      if (Error e = readFinite((*row)[c], indexPath(rowPath, c), d))
        return e;
      out.push_back(d);
    }
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

Error ModelParser::parseLinear() {
  if (Error e = checkKeys(*model, "model",
                          {"type", "weights", "intercepts", "link"},
                          "a linear model"))
    return e;
  const json::Value *v;
  if (Error e = requireKey(*model, "model", "weights",
                           "one row of weights per output, each one number "
                           "per feature",
                           v))
    return e;
  uint64_t budget = kMaxWeights, rows = 0;
  if (Error e = readMatrix(*v, "model.weights", spec.numFeatures,
                           "one per feature", "one per output", budget,
                           spec.weights, rows))
    return e;
  spec.numOutputs = static_cast<int32_t>(rows);
  if (Error e = requireKey(*model, "model", "intercepts",
                           "one number per output", v))
    return e;
  return readVector(*v, "model.intercepts", rows,
                    "one per output: one per row of weights", spec.intercepts);
}

//===----------------------------------------------------------------------===//
// Tree ensembles
//===----------------------------------------------------------------------===//

Error ModelParser::parseTrees() {
  if (Error e = checkKeys(*model, "model",
                          {"type", "trees", "num_outputs", "base_score",
                           "average", "float32", "link"},
                          "a tree_ensemble model"))
    return e;
  const json::Value *v;
  std::string outWhat = "the number of outputs (an integer in 1.." +
                        std::to_string(kMaxOutputs) + ")";
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
    if (Error e = readVector(*b, "model.base_score", spec.numOutputs,
                             "one per output", spec.baseScore))
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

  if (Error e = requireKey(*model, "model", "trees",
                           "a non-empty array of trees {group, nodes}", v))
    return e;
  const json::Array *trees = v->getAsArray();
  if (!trees || trees->empty())
    return expected("model.trees", "a non-empty array of trees {group, nodes}",
                    *v);
  if (trees->size() > kMaxTreeNodes)
    return failAt("model.trees", Twine(trees->size()) +
                                     " trees, more than the limit of " +
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
        return failAt("model.trees",
                      "no tree has group " + Twine(k) +
                          " (with average, every output divides by its "
                          "number of trees, so each needs one)");
  }
  return Error::success();
}

Error ModelParser::parseTree(const json::Value &v, size_t index,
                             uint64_t &totalNodes) {
  std::string path = indexPath("model.trees", index);
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path, "a tree object {\"group\", \"nodes\"}", v);
  if (Error e = checkKeys(*o, path, {"group", "nodes"}, "a tree"))
    return e;
  Tree tree;
  const json::Value *g;
  std::string groupWhat = "the output the tree adds to (an integer in 0.." +
                          std::to_string(spec.numOutputs - 1) + ")";
  if (Error e = requireKey(*o, path, "group", groupWhat, g))
    return e;
  std::optional<int64_t> group = asInt64(*g);
  std::string groupPath = keyPath(path, "group");
  if (!group)
    return expected(groupPath, groupWhat, *g);
  if (*group < 0 || *group >= spec.numOutputs)
    return failAt(groupPath, "group " + Twine(*group) +
                                 " out of range (the model has " +
                                 countOf(spec.numOutputs, "output", "outputs") +
                                 ", num_outputs)");
  tree.group = static_cast<int32_t>(*group);

  const json::Value *nv;
  if (Error e = requireKey(*o, path, "nodes",
                           "a non-empty array of nodes, the root first", nv))
    return e;
  std::string nodesPath = keyPath(path, "nodes");
  const json::Array *nodes = nv->getAsArray();
  if (!nodes || nodes->empty())
    return expected(nodesPath, "a non-empty array of nodes, the root first",
                    *nv);
  if (nodes->size() > kMaxTreeNodes - totalNodes)
    return failAt(nodesPath, "more than " + Twine(kMaxTreeNodes) +
                                 " tree nodes in all (the limit)");
  totalNodes += nodes->size();
  const size_t n = nodes->size();
  tree.nodes.resize(n);
  // parent[i]: the node whose child node i is (-1: none yet). Children come
  // after their parent, so when node i is read its parent was read before.
  std::vector<int32_t> parent(n, -1);
  // Paths and messages are built only on the way to an error: this loop
  // runs once per node.
  auto nodePath = [&](size_t i) { return indexPath(nodesPath, i); };
  auto childWhat = [&](size_t i) {
    if (i + 1 >= n)
      return std::string("the index of a later node of this tree (there is "
                         "none: the last node must be a leaf)");
    return "the index of a later node of this tree (" +
           std::to_string(i + 1) + ".." + std::to_string(n - 1) + ")";
  };
  static constexpr StringRef kLeafKeys[] = {"leaf"};
  static constexpr StringRef kSplitKeys[] = {"feature", "threshold", "left",
                                             "right", "default_left"};
  auto onlyKeys = [](const json::Object &o, ArrayRef<StringRef> allowed) {
    for (const auto &kv : o)
      if (!llvm::is_contained(allowed, StringRef(kv.first)))
        return false;
    return true;
  };
  for (size_t i = 0; i < n; ++i) {
    const json::Object *no = (*nodes)[i].getAsObject();
    if (!no)
      return expected(nodePath(i),
                      "a split node {\"feature\", \"threshold\", \"left\", "
                      "\"right\"} or a leaf {\"leaf\"}",
                      (*nodes)[i]);
    if (i > 0 && parent[i] < 0)
      return failAt(nodePath(i),
                    "node " + Twine(i) +
                        " is not reachable from the root (no split node "
                        "names it as a child)");
    TreeNode &node = tree.nodes[i];
    if (const json::Value *leaf = no->get("leaf")) {
      if (!onlyKeys(*no, kLeafKeys))
        return checkKeys(*no, nodePath(i), kLeafKeys, "a leaf node");
      std::optional<double> d = leaf->getAsNumber();
      if (!d || !std::isfinite(*d))
        return expected(keyPath(nodePath(i), "leaf"), "a finite number",
                        *leaf);
      node.leaf = *d;
      if (spec.float32 && !finiteInF32(node.leaf))
        return failAt(keyPath(nodePath(i), "leaf"),
                      formatNumber(node.leaf) +
                          " is not finite in f32 (the model is float32)");
      continue;
    }
    if (!onlyKeys(*no, kSplitKeys))
      return checkKeys(*no, nodePath(i), kSplitKeys, "a split node");
    const json::Value *f = no->get("feature");
    if (!f)
      return requireKey(*no, nodePath(i), "feature",
                        "a split node's feature index, or 'leaf' for a leaf",
                        f);
    std::optional<int64_t> feature = asInt64(*f);
    if (!feature || *feature < 0)
      return expected(keyPath(nodePath(i), "feature"),
                      "a feature index (an integer >= 0)", *f);
    if (*feature >= spec.numFeatures)
      return failAt(keyPath(nodePath(i), "feature"),
                    "feature " + Twine(*feature) +
                        " out of range (the model has " +
                        countOf(spec.numFeatures, "feature", "features") +
                        ")");
    node.feature = static_cast<int32_t>(*feature);
    f = no->get("threshold");
    if (!f)
      return requireKey(*no, nodePath(i), "threshold", "a finite number", f);
    std::optional<double> threshold = f->getAsNumber();
    if (!threshold || !std::isfinite(*threshold))
      return expected(keyPath(nodePath(i), "threshold"), "a finite number",
                      *f);
    node.threshold = *threshold;
    for (bool isLeft : {true, false}) {
      StringRef key = isLeft ? "left" : "right";
      f = no->get(key);
      if (!f)
        return requireKey(*no, nodePath(i), key, childWhat(i), f);
      std::optional<int64_t> child = asInt64(*f);
      if (!child)
        return expected(keyPath(nodePath(i), key), childWhat(i), *f);
      if (*child < 0 || static_cast<uint64_t>(*child) >= n)
        return failAt(keyPath(nodePath(i), key),
                      "child " + Twine(*child) +
                          " out of range (the tree has " +
                          countOf(n, "node", "nodes") + ")");
      if (static_cast<uint64_t>(*child) <= i)
        return failAt(keyPath(nodePath(i), key),
                      "child " + Twine(*child) +
                          " is not after this node (children are later "
                          "nodes of the same tree, so there are no cycles)");
      int32_t &p = parent[*child];
      if (p >= 0)
        return failAt(keyPath(nodePath(i), key),
                      "node " + Twine(*child) + " is already a child of " +
                          nodePath(p) +
                          " (every node is reached once: no shared "
                          "subtrees)");
      p = static_cast<int32_t>(i);
      (isLeft ? node.left : node.right) = static_cast<int32_t>(*child);
    }
    if (const json::Value *d = no->get("default_left")) {
      std::optional<bool> b = d->getAsBoolean();
      if (!b)
        return readBool(*d, keyPath(nodePath(i), "default_left"),
                        node.defaultLeft);
      node.defaultLeft = *b;
    }
  }
  spec.trees.push_back(std::move(tree));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// MLP
//===----------------------------------------------------------------------===//

Error ModelParser::parseMlp() {
  if (Error e = checkKeys(*model, "model", {"type", "layers", "link"},
                          "an mlp model"))
    return e;
  const json::Value *v;
  std::string layersWhat =
      "a non-empty array of layers {weights, biases, activation}";
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
    if (Error e = checkKeys(*o, path, {"weights", "biases", "activation"},
                            "a layer"))
      return e;
    DenseLayer layer;
    layer.inputs = static_cast<int32_t>(width);
    std::string per =
        l == 0 ? "one per feature"
               : "one per output of model.layers[" + std::to_string(l - 1) +
                     "]";
    const json::Value *w;
    if (Error e = requireKey(*o, path, "weights",
                             "one row per output of the layer, each " + per,
                             w))
      return e;
    uint64_t rows = 0;
    if (Error e = readMatrix(*w, keyPath(path, "weights"), width, per,
                             "one per output of the layer", budget,
                             layer.weights, rows))
      return e;
    layer.outputs = static_cast<int32_t>(rows);
    if (Error e = requireKey(*o, path, "biases", "one number per output", w))
      return e;
    if (Error e = readVector(*w, keyPath(path, "biases"), rows,
                             "one per output: one per row of weights",
                             layer.biases))
      return e;
    if (Error e = requireKey(*o, path, "activation",
                             "one of " + nameList(kAllActivations,
                                                  activationName),
                             w))
      return e;
    if (Error e = readEnum(*w, keyPath(path, "activation"), kAllActivations,
                           activationName, layer.activation))
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
  if (Error e = requireKey(root, "", "model",
                           "the model object {\"type\": " + typeList + "}", v))
    return e;
  model = v->getAsObject();
  if (!model)
    return expected("model", "a model object {\"type\": " + typeList + "}",
                    *v);
  const json::Value *t;
  if (Error e = requireKey(*model, "model", "type", "one of " + typeList, t))
    return e;
  if (Error e = readEnum(*t, "model.type", kAllTypes, modelTypeName, spec.type))
    return e;
  auto parseType = [&]() -> Error {
    switch (spec.type) {
    case ModelType::Linear: return parseLinear();
    case ModelType::TreeEnsemble: return parseTrees();
    case ModelType::Mlp: return parseMlp();
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
  if (Error e = checkKeys(*o, "output", {"type", "columns", "margin"},
                          "output"))
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
    std::string why =
        classIndex ? "argmax outputs the class index"
        : spec.margin ? "one per margin"
                      : "one per output";
    const json::Array *cols = c->getAsArray();
    if (!cols)
      return expected("output.columns",
                      "an array of " +
                          countOf(columns, "column name", "column names") +
                          " (" + why + ")",
                      *c);
    if (cols->size() != columns)
      return failAt("output.columns",
                    "expected " +
                        countOf(columns, "column name", "column names") + " (" +
                        why + "), got " + Twine(cols->size()));
    llvm::StringMap<size_t> seen;
    for (size_t i = 0; i < cols->size(); ++i) {
      std::string path = indexPath("output.columns", i);
      std::string name;
      if (Error e = detail::readNonEmptyString(
              (*cols)[i], path, name, "a column name (a non-empty string)"))
        return e;
      auto [it, inserted] = seen.try_emplace(name, i);
      if (!inserted)
        return failAt(path, "duplicate output column " + quoted(name) +
                                " (also output.columns[" +
                                Twine(it->second) + "])");
      spec.outputNames.push_back(std::move(name));
    }
    return Error::success();
  }
  if (classIndex)
    spec.outputNames = {"class"};
  else if (columns == 1)
    spec.outputNames = {"prediction"};
  else
    for (size_t k = 0; k < columns; ++k)
      spec.outputNames.push_back("class_" + std::to_string(k));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Canonical form
//===----------------------------------------------------------------------===//

void numbers(json::OStream &j, ArrayRef<double> values) {
  j.array([&] {
    for (double d : values)
      j.rawValue(formatNumber(d));
  });
}

void matrix(json::OStream &j, ArrayRef<double> values, size_t cols) {
  j.array([&] {
    if (cols == 0) // cannot happen: a model has at least one feature
      return;
    for (size_t at = 0; at + cols <= values.size(); at += cols)
      numbers(j, values.slice(at, cols));
  });
}

std::string canonicalText(const ModelSpec &spec) {
  std::string out;
  llvm::raw_string_ostream os(out);
  {
    json::OStream j(os);
    j.object([&] {
      j.attributeArray("features", [&] {
        for (const std::string &f : spec.pipeline.plan.outputNames)
          j.value(f);
      });
      j.attributeBegin("inputs");
      detail::writeCanonicalInputs(j, spec.pipeline.inputs);
      j.attributeEnd();
      j.attribute("kind", kindName(Kind::Model));
      j.attributeObject("model", [&] {
        switch (spec.type) {
        case ModelType::Linear:
          j.attributeBegin("intercepts");
          numbers(j, spec.intercepts);
          j.attributeEnd();
          j.attribute("link", linkName(spec.link));
          j.attribute("type", modelTypeName(spec.type));
          j.attributeBegin("weights");
          matrix(j, spec.weights, spec.numFeatures);
          j.attributeEnd();
          break;
        case ModelType::TreeEnsemble:
          j.attribute("average", spec.average);
          j.attributeBegin("base_score");
          numbers(j, spec.baseScore);
          j.attributeEnd();
          j.attribute("float32", spec.float32);
          j.attribute("link", linkName(spec.link));
          j.attribute("num_outputs", static_cast<int64_t>(spec.numOutputs));
          j.attributeArray("trees", [&] {
            for (const Tree &tree : spec.trees)
              j.object([&] {
                j.attribute("group", static_cast<int64_t>(tree.group));
                j.attributeArray("nodes", [&] {
                  for (const TreeNode &node : tree.nodes)
                    j.object([&] {
                      if (node.feature < 0) {
                        numberAttr(j, "leaf", node.leaf);
                        return;
                      }
                      j.attribute("default_left", node.defaultLeft);
                      j.attribute("feature",
                                  static_cast<int64_t>(node.feature));
                      j.attribute("left", static_cast<int64_t>(node.left));
                      j.attribute("right", static_cast<int64_t>(node.right));
                      numberAttr(j, "threshold", node.threshold);
                    });
                });
              });
          });
          j.attribute("type", modelTypeName(spec.type));
          break;
        case ModelType::Mlp:
          j.attributeArray("layers", [&] {
            for (const DenseLayer &layer : spec.layers)
              j.object([&] {
                j.attribute("activation", activationName(layer.activation));
                j.attributeBegin("biases");
                numbers(j, layer.biases);
                j.attributeEnd();
                j.attributeBegin("weights");
                matrix(j, layer.weights, layer.inputs);
                j.attributeEnd();
              });
          });
          j.attribute("link", linkName(spec.link));
          j.attribute("type", modelTypeName(spec.type));
          break;
        }
      });
      j.attributeObject("output", [&] {
        j.attributeArray("columns", [&] {
          for (const std::string &c : spec.outputNames)
            j.value(c);
        });
        j.attribute("margin", spec.margin);
        j.attribute("type", dtypeName(spec.outputType));
      });
      j.attribute("specjit", 1);
      j.attributeArray("steps", [&] {
        for (const Step &s : spec.pipeline.steps)
          detail::writeCanonicalStep(j, s);
      });
    });
  }
  os.flush();
  return out;
}

Expected<Descriptor> ModelParser::run(const json::Object &root) {
  if (Error e = checkKeys(root, "",
                          {"specjit", "kind", "name", "inputs", "steps",
                           "features", "model", "output"},
                          "a model descriptor"))
    return std::move(e);
  if (Error e = detail::readDescriptorName(root, spec.name))
    return std::move(e);
  if (Error e = detail::parseModelPipeline(root, spec.pipeline))
    return std::move(e);
  spec.pipeline.name = spec.name;
  spec.numFeatures = static_cast<int32_t>(spec.pipeline.plan.outputs.size());
  if (Error e = parseModel(root))
    return std::move(e);
  if (Error e = parseOutput(root))
    return std::move(e);
  std::string canonical = canonicalText(spec);
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

} // namespace

namespace detail {

Expected<Descriptor> parseModel(const json::Object &root) {
  return ModelParser().run(root);
}

} // namespace detail
} // namespace jit
} // namespace specjit
