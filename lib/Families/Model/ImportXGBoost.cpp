//===- ImportXGBoost.cpp - XGBoost JSON models to model descriptors -------===//
//
// importXGBoostJSON() reads the JSON model format XGBoost writes with
// Booster.save_model("m.json") (documented schema, XGBoost 1.x; checked
// against 1.7.4) and writes the text of a `model` descriptor
// (docs/model-semantics.md) that predicts what Booster.predict does:
//
//   - one `tree_ensemble` with `float32: true` (XGBoost reads features as f32,
//     compares in f32 and sums leaves in f32 in tree order, starting from
//     the base score);
//   - `num_outputs`: num_class for multi:*, else num_target (1 unless the
//     model is a multi-target regressor);
//   - `base_score`: learner_model_param.base_score, which XGBoost 1.x
//     stores in the objective's output space, moved to margin space exactly
//     as XGBoost does it (ProbToMargin, in f32): logit for binary:logistic /
//     reg:logistic, unchanged for the others (binary:logitraw included);
//     the same value for every output;
//   - one descriptor tree per XGBoost tree, in the columnar form (one array
//     per node field, as XGBoost stores them), in order, its group from
//     gradient_booster.model.tree_info; nodes renumbered breadth first from
//     the root (so children follow their parent and nodes XGBoost deleted
//     while pruning disappear); a leaf's value is its split_conditions entry
//     (base_weights is the unscaled weight, before the learning rate);
//   - the link from the objective.
//
// What the descriptor cannot express exactly is an error naming the JSON
// path: other objectives, the gblinear and dart boosters, categorical
// splits, vector leaves, malformed trees. The text must be strict RFC 8259
// JSON (detail::parseStrictJson), except that XGBoost writes NaN and
// +-Infinity as bare tokens; they are read as such (categorical splits carry
// a NaN split condition) so that the error is about the model, not the
// syntax.
//
//===----------------------------------------------------------------------===//

#include "Families/Model/ModelSpec.h"
#include "specjit/Import.h"

#include "Descriptor/DescriptorInternal.h"
#include "Descriptor/JsonText.h"

#include "specjit/ReadFile.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace json = llvm::json;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace specjit {
namespace jit {

namespace {

/// Numbers are written as the descriptor's canonical form spells them:
/// shortest round-trip text, exact for every f32 value (std::to_chars; the
/// importer writes one or two per node).
using detail::formatNumber;

Error importError(const std::string &path, const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "xgboost model: " + path + ": " + msg);
}
Error optionError(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "xgboost import options: " + msg);
}

/// XGBoost writes parameters as strings ("5E-1", "28") and tree arrays as
/// numbers; these accept both.
std::optional<double> asDouble(const json::Value &v) {
  if (v.getAsNull())
    return std::numeric_limits<double>::quiet_NaN();
  if (auto d = v.getAsNumber())
    return *d;
  if (auto s = v.getAsString()) {
    double d;
    if (!s->trim().getAsDouble(d))
      return d;
  }
  return std::nullopt;
}

std::optional<int64_t> asInteger(const json::Value &v) {
  if (auto i = v.getAsInteger())
    return *i;
  if (auto s = v.getAsString()) {
    int64_t i;
    if (!s->trim().getAsInteger(10, i))
      return i;
  }
  return std::nullopt;
}

Expected<const json::Object *> getObject(const json::Object &o, StringRef key,
                                         const std::string &path) {
  const json::Value *v = o.get(key);
  if (!v)
    return importError(path + "." + key.str(), "missing");
  if (const json::Object *obj = v->getAsObject())
    return obj;
  return importError(path + "." + key.str(), "expected an object");
}

Expected<std::string> getString(const json::Object &o, StringRef key, const std::string &path) {
  const json::Value *v = o.get(key);
  if (!v)
    return importError(path + "." + key.str(), "missing");
  if (auto s = v->getAsString())
    return s->str();
  return importError(path + "." + key.str(), "expected a string");
}

/// An integer parameter (number or decimal string); `def` when absent.
Expected<int64_t> getInteger(const json::Object &o, StringRef key, const std::string &path,
                             std::optional<int64_t> def = std::nullopt) {
  const json::Value *v = o.get(key);
  if (!v) {
    if (def)
      return *def;
    return importError(path + "." + key.str(), "missing");
  }
  if (auto i = asInteger(*v))
    return *i;
  return importError(path + "." + key.str(), "expected an integer");
}

Expected<std::vector<int64_t>> getIntArray(const json::Object &o, StringRef key,
                                           const std::string &path, bool allowBool = false) {
  const json::Array *a = o.getArray(key);
  if (!a)
    return importError(path + "." + key.str(), o.get(key) ? "expected an array" : "missing");
  std::vector<int64_t> out;
  out.reserve(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    const json::Value &v = (*a)[i];
    if (auto n = v.getAsInteger()) {
      out.push_back(*n);
    } else if (auto b = v.getAsBoolean(); b && allowBool) {
      out.push_back(*b ? 1 : 0);
    } else {
      return importError(path + "." + key.str() + "[" + std::to_string(i) + "]",
                         "expected an integer");
    }
  }
  return out;
}

Expected<std::vector<double>> getNumberArray(const json::Object &o, StringRef key,
                                             const std::string &path) {
  const json::Array *a = o.getArray(key);
  if (!a)
    return importError(path + "." + key.str(), o.get(key) ? "expected an array" : "missing");
  std::vector<double> out;
  out.reserve(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    const json::Value &v = (*a)[i];
    if (v.getAsNull()) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (auto d = v.getAsNumber()) {
      out.push_back(*d);
    } else {
      return importError(path + "." + key.str() + "[" + std::to_string(i) + "]",
                         "expected a number");
    }
  }
  return out;
}

/// How an objective maps to the descriptor.
struct Objective {
  const char *name;
  const char *link; // descriptor spelling
  bool logitBase;   // base_score is a probability: margin = logit(base)
  bool multiClass;  // one output per class (num_class)
};

const Objective kObjectives[] = {
    {"binary:logistic", "logistic", true, false},  {"reg:logistic", "logistic", true, false},
    {"binary:logitraw", "identity", false, false}, {"reg:squarederror", "identity", false, false},
    {"reg:linear", "identity", false, false}, // the old name of squarederror
    {"multi:softprob", "softmax", false, true},    {"multi:softmax", "argmax", false, true},
};

std::string supportedObjectives() {
  std::string s;
  for (const Objective &o : kObjectives) {
    if (!s.empty())
      s += ", ";
    s += o.name;
  }
  return s;
}

void writeString(llvm::raw_ostream &os, StringRef s) {
  json::OStream j(os);
  j.value(s);
}

/// One tree, converted: nodes in breadth-first order.
struct OutNode {
  bool leaf = false;
  int64_t feature = -1;
  float threshold = 0.0f;
  int64_t left = -1, right = -1;
  bool defaultLeft = true;
  float value = 0.0f;
};

Expected<std::vector<OutNode>> convertTree(const json::Object &t, const std::string &path,
                                           int64_t numFeature,
                                           const std::vector<bool> &categorical) {
  auto left = getIntArray(t, "left_children", path);
  if (!left)
    return left.takeError();
  auto right = getIntArray(t, "right_children", path);
  if (!right)
    return right.takeError();
  auto index = getIntArray(t, "split_indices", path);
  if (!index)
    return index.takeError();
  auto cond = getNumberArray(t, "split_conditions", path);
  if (!cond)
    return cond.takeError();
  auto defLeft = getIntArray(t, "default_left", path, /*allowBool=*/true);
  if (!defLeft)
    return defLeft.takeError();
  size_t n = left->size();
  if (n == 0)
    return importError(path + ".left_children", "the tree has no nodes");
  struct Named {
    const char *key;
    size_t size;
  };
  for (Named a : {Named{"right_children", right->size()}, Named{"split_indices", index->size()},
                  Named{"split_conditions", cond->size()}, Named{"default_left", defLeft->size()}})
    if (a.size != n)
      return importError(path + "." + a.key, std::to_string(a.size) +
                                                 " entries, but left_children has " +
                                                 std::to_string(n));

  // Vector leaves (multi_strategy = multi_output_tree) and categorical
  // splits have no counterpart in the descriptor.
  if (const json::Object *tp = t.getObject("tree_param")) {
    auto slv = getInteger(*tp, "size_leaf_vector", path + ".tree_param", 0);
    if (!slv)
      return slv.takeError();
    if (*slv > 1)
      return importError(path + ".tree_param.size_leaf_vector",
                         "vector leaves (size " + std::to_string(*slv) +
                             ", multi_strategy=multi_output_tree) are not "
                             "supported");
    auto nn = getInteger(*tp, "num_nodes", path + ".tree_param", -1);
    if (!nn)
      return nn.takeError();
    if (*nn >= 0 && static_cast<size_t>(*nn) != n)
      return importError(path + ".tree_param.num_nodes", std::to_string(*nn) +
                                                             ", but the node arrays have " +
                                                             std::to_string(n) + " entries");
  }
  std::vector<int64_t> splitType;
  if (t.get("split_type")) {
    auto st = getIntArray(t, "split_type", path);
    if (!st)
      return st.takeError();
    if (st->size() != n)
      return importError(path + ".split_type", std::to_string(st->size()) +
                                                   " entries, but left_children has " +
                                                   std::to_string(n));
    splitType = std::move(*st);
  }
  for (const char *key : {"categories", "categories_nodes"}) {
    if (const json::Value *v = t.get(key)) {
      const json::Array *a = v->getAsArray();
      if (!a)
        return importError(path + "." + key, "expected an array");
      if (!a->empty())
        return importError(path + "." + key, "categorical splits are not supported");
    }
  }

  // Breadth-first from the root: every node reached once, children later.
  std::vector<int64_t> order{0};
  std::vector<int64_t> newId(n, -1);
  newId[0] = 0;
  std::vector<OutNode> out;
  for (size_t k = 0; k < order.size(); ++k) {
    int64_t i = order[k];
    std::string at = "[" + std::to_string(i) + "]";
    OutNode node;
    int64_t l = (*left)[i], r = (*right)[i];
    if (l == -1 || r == -1) {
      if (l != r)
        return importError(path + ".left_children" + at,
                           "node " + std::to_string(i) + " has one child (left " +
                               std::to_string(l) + ", right " + std::to_string(r) + ")");
      float v = static_cast<float>((*cond)[i]);
      if (!std::isfinite(v))
        return importError(path + ".split_conditions" + at, "leaf value is not a finite f32");
      node.leaf = true;
      node.value = v;
      out.push_back(node);
      continue;
    }
    if (!splitType.empty() && splitType[i] != 0)
      return importError(path + ".split_type" + at,
                         "split type " + std::to_string(splitType[i]) +
                             " (categorical) is not supported; only numerical "
                             "splits (0) are");
    int64_t f = (*index)[i];
    if (f < 0 || f >= numFeature)
      return importError(path + ".split_indices" + at, "feature " + std::to_string(f) +
                                                           " is out of range (the model "
                                                           "has " +
                                                           std::to_string(numFeature) +
                                                           " features)");
    if (categorical[f])
      return importError(path + ".split_indices" + at, "splits on categorical feature " +
                                                           std::to_string(f) +
                                                           " are not supported");
    float thr = static_cast<float>((*cond)[i]);
    if (!std::isfinite(thr))
      return importError(path + ".split_conditions" + at, "split threshold is not a finite f32");
    int64_t d = (*defLeft)[i];
    if (d != 0 && d != 1)
      return importError(path + ".default_left" + at, "expected 0 or 1");
    for (int side = 0; side < 2; ++side) {
      int64_t c = side == 0 ? l : r;
      std::string where = path + (side == 0 ? ".left_children" : ".right_children") + at;
      if (c < 0 || static_cast<size_t>(c) >= n)
        return importError(where, "child " + std::to_string(c) + " is out of range (" +
                                      std::to_string(n) + " nodes)");
      if (newId[c] != -1)
        return importError(where, "node " + std::to_string(c) +
                                      " is reached twice (the nodes do not "
                                      "form a tree)");
      newId[c] = static_cast<int64_t>(order.size());
      order.push_back(c);
    }
    node.feature = f;
    node.threshold = thr;
    node.left = newId[l];
    node.right = newId[r];
    node.defaultLeft = d == 1;
    out.push_back(node);
  }
  return out;
}

/// One tree in the descriptor's columnar form (docs/model-semantics.md),
/// one line per column: node i is entry i of every column; a leaf has
/// feature, left and right -1 and threshold and default_left 0, a split has
/// leaf 0.
void writeTree(llvm::raw_ostream &os, int64_t group, llvm::ArrayRef<OutNode> nodes) {
  auto column = [&](const char *key, auto &&entry) {
    os << ",\n    \"" << key << "\": [";
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (i)
        os << ",";
      entry(nodes[i]);
    }
    os << "]";
  };
  os << "{\"group\": " << group;
  column("feature", [&](const OutNode &n) { os << (n.leaf ? -1 : n.feature); });
  column("threshold", [&](const OutNode &n) { os << (n.leaf ? "0" : formatNumber(n.threshold)); });
  column("left", [&](const OutNode &n) { os << (n.leaf ? -1 : n.left); });
  column("right", [&](const OutNode &n) { os << (n.leaf ? -1 : n.right); });
  column("default_left", [&](const OutNode &n) { os << (!n.leaf && n.defaultLeft ? 1 : 0); });
  column("leaf", [&](const OutNode &n) { os << (n.leaf ? formatNumber(n.value) : "0"); });
  os << "}";
}

} // namespace

Expected<std::string> importXGBoostJSON(StringRef modelJson, const XGBoostImportOptions &opts) {
  // Strict JSON plus XGBoost's bare NaN and Infinity tokens; nesting is
  // bounded like a descriptor's (XGBoost models nest a few levels), sizes
  // only by the file size limit (a large forest has millions of values).
  detail::JsonReadOptions jsonOpts;
  jsonOpts.subject = "xgboost model";
  jsonOpts.invalid = "not valid JSON";
  jsonOpts.subjectBeforePath = true;
  jsonOpts.maxDepth = detail::kMaxNesting;
  jsonOpts.maxObjects = std::numeric_limits<size_t>::max();
  jsonOpts.maxValues = std::numeric_limits<size_t>::max();
  jsonOpts.nonFiniteTokens = true;
  Expected<json::Value> doc = detail::parseStrictJson(modelJson, jsonOpts);
  if (!doc)
    return doc.takeError();
  const json::Object *root = doc->getAsObject();
  if (!root)
    return importError("(top)", "expected an object");
  const json::Value *learnerValue = root->get("learner");
  if (!learnerValue)
    return importError("learner", "missing (not an XGBoost JSON model?)");
  const json::Object *learnerObj = learnerValue->getAsObject();
  if (!learnerObj)
    return importError("learner", "expected an object");
  const std::string L = "learner";

  // Booster.
  auto gb = getObject(*learnerObj, "gradient_booster", L);
  if (!gb)
    return gb.takeError();
  const std::string GB = L + ".gradient_booster";
  auto gbName = getString(**gb, "name", GB);
  if (!gbName)
    return gbName.takeError();
  if (*gbName == "dart")
    return importError(GB + ".name", "the dart booster is not supported (only gbtree)");
  if (*gbName == "gblinear")
    return importError(GB + ".name", "the gblinear booster is not supported (only gbtree)");
  if (*gbName != "gbtree")
    return importError(GB + ".name", "booster '" + *gbName + "' is not supported (only gbtree)");
  auto model = getObject(**gb, "model", GB);
  if (!model)
    return model.takeError();
  const std::string M = GB + ".model";

  // Objective.
  auto objObj = getObject(*learnerObj, "objective", L);
  if (!objObj)
    return objObj.takeError();
  auto objName = getString(**objObj, "name", L + ".objective");
  if (!objName)
    return objName.takeError();
  const Objective *obj = nullptr;
  for (const Objective &o : kObjectives)
    if (*objName == o.name)
      obj = &o;
  if (!obj)
    return importError(L + ".objective.name",
                       "objective '" + *objName +
                           "' is not supported (supported: " + supportedObjectives() + ")");

  // Model parameters.
  auto mp = getObject(*learnerObj, "learner_model_param", L);
  if (!mp)
    return mp.takeError();
  const std::string MP = L + ".learner_model_param";
  auto numFeature = getInteger(**mp, "num_feature", MP);
  if (!numFeature)
    return numFeature.takeError();
  if (*numFeature <= 0 || *numFeature > (1 << 20))
    return importError(MP + ".num_feature",
                       std::to_string(*numFeature) + " features: expected 1 to 1048576");
  auto numClass = getInteger(**mp, "num_class", MP, 0);
  if (!numClass)
    return numClass.takeError();
  auto numTarget = getInteger(**mp, "num_target", MP, 1);
  if (!numTarget)
    return numTarget.takeError();
  int64_t numOutputs;
  if (obj->multiClass) {
    if (*numClass < 1 || *numClass > 65536)
      return importError(MP + ".num_class", std::to_string(*numClass) + " classes: objective " +
                                                obj->name + " needs 1 to 65536");
    if (*numTarget > 1)
      return importError(MP + ".num_target", std::to_string(*numTarget) +
                                                 " targets with objective " + obj->name +
                                                 " are not supported");
    numOutputs = *numClass;
  } else {
    if (*numClass > 1)
      return importError(MP + ".num_class", std::to_string(*numClass) + " classes, but objective " +
                                                obj->name + " is not a multi-class objective");
    if (*numTarget < 1 || *numTarget > 65536)
      return importError(MP + ".num_target",
                         std::to_string(*numTarget) + " targets: expected 1 to 65536");
    numOutputs = *numTarget;
  }
  const json::Value *bsValue = (*mp)->get("base_score");
  if (!bsValue)
    return importError(MP + ".base_score", "missing");
  std::optional<double> bs = asDouble(*bsValue);
  if (!bs || std::isnan(*bs))
    return importError(MP + ".base_score", "expected a number (or a string holding one)");
  // XGBoost keeps base_score in f32 and moves it to margin space in f32.
  float base = static_cast<float>(*bs);
  if (obj->logitBase) {
    if (!(base > 0.0f && base < 1.0f))
      return importError(MP + ".base_score",
                         "base_score " + formatNumber(*bs) + " must be in (0, 1) for " + obj->name);
    base = -std::log(1.0f / base - 1.0f);
  }
  if (!std::isfinite(base))
    return importError(MP + ".base_score", "not a finite f32");

  // Features.
  int64_t nf = *numFeature;
  std::vector<bool> categorical(static_cast<size_t>(nf), false);
  std::vector<std::string> modelNames;
  if (const json::Value *fn = learnerObj->get("feature_names")) {
    const json::Array *a = fn->getAsArray();
    if (!a)
      return importError(L + ".feature_names", "expected an array");
    for (size_t i = 0; i < a->size(); ++i) {
      auto s = (*a)[i].getAsString();
      if (!s)
        return importError(L + ".feature_names[" + std::to_string(i) + "]", "expected a string");
      modelNames.push_back(s->str());
    }
    if (!modelNames.empty() && static_cast<int64_t>(modelNames.size()) != nf)
      return importError(L + ".feature_names", std::to_string(modelNames.size()) +
                                                   " names, but num_feature is " +
                                                   std::to_string(nf));
  }
  if (const json::Value *ft = learnerObj->get("feature_types")) {
    const json::Array *a = ft->getAsArray();
    if (!a)
      return importError(L + ".feature_types", "expected an array");
    if (!a->empty() && static_cast<int64_t>(a->size()) != nf)
      return importError(L + ".feature_types", std::to_string(a->size()) +
                                                   " types, but num_feature is " +
                                                   std::to_string(nf));
    for (size_t i = 0; i < a->size(); ++i) {
      auto s = (*a)[i].getAsString();
      if (!s)
        return importError(L + ".feature_types[" + std::to_string(i) + "]", "expected a string");
      categorical[i] = *s == "c";
    }
  }
  std::vector<std::string> names;
  if (!opts.featureNames.empty()) {
    if (static_cast<int64_t>(opts.featureNames.size()) != nf)
      return optionError(std::to_string(opts.featureNames.size()) +
                         " feature names given, but the model has " + std::to_string(nf) +
                         " features (" + MP + ".num_feature)");
    names = opts.featureNames;
  } else if (!modelNames.empty()) {
    names = modelNames;
  } else {
    for (int64_t i = 0; i < nf; ++i)
      names.push_back("f" + std::to_string(i));
  }
  {
    std::set<std::string> seen;
    for (const std::string &n : names) {
      if (n.empty())
        return optionError("feature names must not be empty");
      if (!seen.insert(n).second)
        return optionError("feature name '" + n + "' appears twice");
    }
  }
  std::vector<DType> types(static_cast<size_t>(nf), DType::F32);
  if (!opts.featureTypes.empty()) {
    if (static_cast<int64_t>(opts.featureTypes.size()) != nf)
      return optionError(std::to_string(opts.featureTypes.size()) +
                         " feature types given, but the model has " + std::to_string(nf) +
                         " features (" + MP + ".num_feature)");
    for (size_t i = 0; i < types.size(); ++i) {
      if (opts.featureTypes[i] == DType::String)
        return optionError("feature '" + names[i] + "': type string is not numeric");
      types[i] = opts.featureTypes[i];
    }
  }
  if (opts.outputType != DType::F32 && opts.outputType != DType::F64)
    return optionError("the output type must be f32 or f64");

  // Trees.
  const json::Array *trees = (*model)->getArray("trees");
  if (!trees)
    return importError(M + ".trees", (*model)->get("trees") ? "expected an array" : "missing");
  auto treeInfo = getIntArray(**model, "tree_info", M);
  if (!treeInfo)
    return treeInfo.takeError();
  if (treeInfo->size() != trees->size())
    return importError(M + ".tree_info", std::to_string(treeInfo->size()) +
                                             " entries, but there are " +
                                             std::to_string(trees->size()) + " trees");
  if (const json::Object *gp = (*model)->getObject("gbtree_model_param")) {
    auto nt = getInteger(*gp, "num_trees", M + ".gbtree_model_param", -1);
    if (!nt)
      return nt.takeError();
    if (*nt >= 0 && static_cast<size_t>(*nt) != trees->size())
      return importError(M + ".gbtree_model_param.num_trees",
                         std::to_string(*nt) + ", but there are " + std::to_string(trees->size()) +
                             " trees");
    auto slv = getInteger(*gp, "size_leaf_vector", M + ".gbtree_model_param", 0);
    if (!slv)
      return slv.takeError();
    if (*slv > 1)
      return importError(M + ".gbtree_model_param.size_leaf_vector",
                         "vector leaves (size " + std::to_string(*slv) +
                             ", multi_strategy=multi_output_tree) are not "
                             "supported");
  }

  std::string out;
  llvm::raw_string_ostream os(out);
  os << "{\"specjit\": 1, \"kind\": \"model\", \"name\": ";
  writeString(os, opts.name);
  os << ",\n \"inputs\": [";
  for (size_t i = 0; i < names.size(); ++i) {
    os << (i ? ", " : "") << "{\"name\": ";
    writeString(os, names[i]);
    os << ", \"type\": \"" << dtypeName(types[i]) << "\"}";
  }
  os << "],\n \"model\": {\"type\": \"tree_ensemble\", \"num_outputs\": " << numOutputs
     << ", \"float32\": true, \"base_score\": [";
  for (int64_t k = 0; k < numOutputs; ++k) {
    os << (k ? ", " : "");
    os << formatNumber(base);
  }
  os << "], \"link\": \"" << obj->link << "\",\n  \"trees\": [";
  if (trees->empty()) {
    // A model without trees predicts its base score: one tree adding 0.
    OutNode zero;
    zero.leaf = true;
    os << "\n   ";
    writeTree(os, 0, {zero});
  }
  for (size_t ti = 0; ti < trees->size(); ++ti) {
    std::string path = M + ".trees[" + std::to_string(ti) + "]";
    const json::Object *t = (*trees)[ti].getAsObject();
    if (!t)
      return importError(path, "expected an object");
    int64_t group = (*treeInfo)[ti];
    if (group < 0 || group >= numOutputs)
      return importError(M + ".tree_info[" + std::to_string(ti) + "]",
                         "group " + std::to_string(group) + " is out of range (" +
                             std::to_string(numOutputs) + " outputs)");
    auto nodes = convertTree(*t, path, nf, categorical);
    if (!nodes)
      return nodes.takeError();
    os << (ti ? ",\n   " : "\n   ");
    writeTree(os, group, *nodes);
  }
  os << "]},\n \"output\": {\"type\": \"" << dtypeName(opts.outputType)
     << "\", \"margin\": " << (opts.margin ? "true" : "false") << "}}\n";
  return out;
}

Expected<std::string> importXGBoostFile(StringRef path, const XGBoostImportOptions &opts) {
  Expected<std::string> text = readBoundedFile(path, kModelReadLimit);
  if (!text)
    return text.takeError();
  return importXGBoostJSON(*text, opts);
}

} // namespace jit
} // namespace specjit
