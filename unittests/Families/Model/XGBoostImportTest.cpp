//===- XGBoostImportTest.cpp - The XGBoost importer on small documents ----===//
//
// importXGBoostJSON on synthesized documents: the produced descriptor
// (links, base scores in margin space, renumbered nodes, options), every
// unsupported-feature error path (each error must name the JSON path of the
// fault), and the round trip import -> parse -> canonical -> parse, also
// over the XGBoost models of test/data/models/ (whose predictions
// `specjit check` compares with XGBoost's: test/data/lit.local.cfg).
//
//===----------------------------------------------------------------------===//

#include "Families/Model/ModelSpec.h"
#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Import.h"
#include "specjit/Kernel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace specjit;
using namespace specjit::jit;
namespace json = llvm::json;

namespace {

std::string modelsDir() { return std::string(SPECJIT_SOURCE_DIR) + "/test/data/models"; }

std::optional<std::string> readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  return (*buffer)->getBuffer().str();
}

/// The XGBoost models of test/data/models (xgb_*.model.json), sorted.
std::vector<std::string> modelFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(modelsDir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.starts_with("xgb_") && name.ends_with(".model.json"))
      files.push_back(name.str());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// The text of a model of modelFiles(); a missing file fails the test.
std::string modelText(const std::string &file) {
  std::optional<std::string> text = readFile(modelsDir() + "/" + file);
  if (!text) {
    ADD_FAILURE() << "cannot read " << modelsDir() << "/" << file;
    return "";
  }
  return *text;
}

TEST(XGBoostImport, ModelsPresent) {
  EXPECT_FALSE(modelFiles().empty())
      << "no XGBoost models in " << modelsDir() << " (run test/reference/gen_xgboost_reference.py)";
}

/// A 5-node tree over 3 features, as XGBoost 1.7 writes it:
///   node 0: f1 < 0.5 (missing: left) ? node 1 : node 2
///   node 1: f2 < -1.25 (missing: right) ? node 3 : node 4
///   leaves 2: 0.75, 3: -0.5, 4: 0.25
json::Object smallTree() {
  return json::Object{{"base_weights", json::Array{0.1, 0.2, 2.5, -1.5, 0.8}},
                      {"categories", json::Array{}},
                      {"categories_nodes", json::Array{}},
                      {"categories_segments", json::Array{}},
                      {"categories_sizes", json::Array{}},
                      {"default_left", json::Array{1, 0, 0, 0, 0}},
                      {"id", 0},
                      {"left_children", json::Array{1, 3, -1, -1, -1}},
                      {"loss_changes", json::Array{1.0, 0.5, 0.0, 0.0, 0.0}},
                      {"parents", json::Array{2147483647, 0, 0, 1, 1}},
                      {"right_children", json::Array{2, 4, -1, -1, -1}},
                      {"split_conditions", json::Array{0.5, -1.25, 0.75, -0.5, 0.25}},
                      {"split_indices", json::Array{1, 2, 0, 0, 0}},
                      {"split_type", json::Array{0, 0, 0, 0, 0}},
                      {"sum_hessian", json::Array{10.0, 6.0, 4.0, 3.0, 3.0}},
                      {"tree_param", json::Object{{"num_deleted", "0"},
                                                  {"num_feature", "3"},
                                                  {"num_nodes", "5"},
                                                  {"size_leaf_vector", "0"}}}};
}

/// A whole model: `trees` copies of smallTree(), groups round robin.
json::Value smallModel(llvm::StringRef objective = "binary:logistic", int numClass = 0,
                       int trees = 1, llvm::StringRef baseScore = "5E-1") {
  json::Array ts, info;
  int groups = numClass > 0 ? numClass : 1;
  for (int i = 0; i < trees; ++i) {
    json::Object t = smallTree();
    t["id"] = i;
    ts.push_back(std::move(t));
    info.push_back(i % groups);
  }
  json::Object obj{{"name", objective}};
  return json::Object{
      {"learner",
       json::Object{
           {"attributes", json::Object{}},
           {"feature_names", json::Array{}},
           {"feature_types", json::Array{}},
           {"gradient_booster",
            json::Object{{"model", json::Object{{"gbtree_model_param",
                                                 json::Object{{"num_parallel_tree", "1"},
                                                              {"num_trees", std::to_string(trees)},
                                                              {"size_leaf_vector", "0"}}},
                                                {"tree_info", std::move(info)},
                                                {"trees", std::move(ts)}}},
                         {"name", "gbtree"}}},
           {"learner_model_param", json::Object{{"base_score", baseScore},
                                                {"boost_from_average", "1"},
                                                {"num_class", std::to_string(numClass)},
                                                {"num_feature", "3"},
                                                {"num_target", "1"}}},
           {"objective", std::move(obj)}}},
      {"version", json::Array{1, 7, 4}}};
}

std::string text(const json::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << v;
  return s;
}

json::Object &learner(json::Value &m) { return *m.getAsObject()->getObject("learner"); }
json::Object &gbModel(json::Value &m) {
  return *learner(m).getObject("gradient_booster")->getObject("model");
}
json::Object &tree0(json::Value &m) { return *(*gbModel(m).getArray("trees"))[0].getAsObject(); }

/// Imports `model`; the result parsed as JSON (fails the test on error).
json::Value importOk(const json::Value &model, const XGBoostImportOptions &o = {}) {
  llvm::Expected<std::string> t = importXGBoostJSON(text(model), o);
  if (!t) {
    ADD_FAILURE() << "import failed: " << llvm::toString(t.takeError());
    return nullptr;
  }
  llvm::Expected<json::Value> v = json::parse(*t);
  if (!v) {
    ADD_FAILURE() << "the importer wrote invalid JSON: " << llvm::toString(v.takeError()) << "\n"
                  << *t;
    return nullptr;
  }
  return std::move(*v);
}

/// The import error message for `modelText` ("" if the import succeeded).
std::string importErrorText(const std::string &modelText, const XGBoostImportOptions &o = {}) {
  llvm::Expected<std::string> t = importXGBoostJSON(modelText, o);
  if (t)
    return "";
  return llvm::toString(t.takeError());
}

/// Mutates a fresh smallModel() and expects an import error containing
/// every string of `needles`.
void expectImportError(const std::function<void(json::Value &)> &mutate,
                       std::vector<std::string> needles, const XGBoostImportOptions &o = {},
                       json::Value base = smallModel()) {
  mutate(base);
  std::string msg = importErrorText(text(base), o);
  ASSERT_FALSE(msg.empty()) << "import succeeded, expected an error with '" << needles.front()
                            << "'";
  for (const std::string &n : needles)
    EXPECT_NE(msg.find(n), std::string::npos)
        << "error '" << msg << "' does not mention '" << n << "'";
}

const json::Object &descModel(const json::Value &d) { return *d.getAsObject()->getObject("model"); }
/// One node of an imported tree, as the columns hold it (NaN / -99 for an
/// entry that is missing or of the wrong type).
struct DescNode {
  int64_t feature = -99, left = -99, right = -99, defaultLeft = -99;
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double leaf = std::numeric_limits<double>::quiet_NaN();
};

/// The nodes of tree `tree` of an imported descriptor. The importer writes
/// the columnar form: the group and six arrays of one entry per node.
std::vector<DescNode> descNodes(const json::Value &d, size_t tree = 0) {
  const json::Object &t = *(*descModel(d).getArray("trees"))[tree].getAsObject();
  EXPECT_EQ(t.size(), 7u) << "group and six columns";
  const json::Array *feature = t.getArray("feature");
  if (!feature) {
    ADD_FAILURE() << "no feature column";
    return {};
  }
  std::vector<DescNode> out(feature->size());
  auto column = [&](llvm::StringRef key, auto &&set) {
    const json::Array *a = t.getArray(key);
    EXPECT_TRUE(a && a->size() == out.size()) << key.str();
    for (size_t i = 0; a && i < a->size() && i < out.size(); ++i)
      set(out[i], (*a)[i]);
  };
  auto integer = [](const json::Value &v) { return v.getAsInteger().value_or(-99); };
  auto number = [](const json::Value &v) {
    return v.getAsNumber().value_or(std::numeric_limits<double>::quiet_NaN());
  };
  column("feature", [&](DescNode &n, const json::Value &v) { n.feature = integer(v); });
  column("threshold", [&](DescNode &n, const json::Value &v) { n.threshold = number(v); });
  column("left", [&](DescNode &n, const json::Value &v) { n.left = integer(v); });
  column("right", [&](DescNode &n, const json::Value &v) { n.right = integer(v); });
  column("default_left", [&](DescNode &n, const json::Value &v) { n.defaultLeft = integer(v); });
  column("leaf", [&](DescNode &n, const json::Value &v) { n.leaf = number(v); });
  return out;
}

/// A leaf as the importer writes it: feature, left and right -1, threshold
/// and default_left 0.
void expectLeaf(const DescNode &n, double value) {
  EXPECT_EQ(n.feature, -1);
  EXPECT_EQ(n.left, -1);
  EXPECT_EQ(n.right, -1);
  EXPECT_EQ(n.threshold, 0.0);
  EXPECT_EQ(n.defaultLeft, 0);
  EXPECT_EQ(n.leaf, value);
}

TEST(XGBoostImport, SmallModelDescriptor) {
  json::Value d = importOk(smallModel());
  ASSERT_NE(d.getAsObject(), nullptr);
  const json::Object &top = *d.getAsObject();
  EXPECT_EQ(top.getInteger("specjit"), 1);
  EXPECT_EQ(top.getString("kind"), "model");
  const json::Array &inputs = *top.getArray("inputs");
  ASSERT_EQ(inputs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(inputs[i].getAsObject()->getString("name"), "f" + std::to_string(i));
    EXPECT_EQ(inputs[i].getAsObject()->getString("type"), "f32");
  }
  const json::Object &m = descModel(d);
  EXPECT_EQ(m.getString("type"), "tree_ensemble");
  EXPECT_EQ(m.getInteger("num_outputs"), 1);
  EXPECT_EQ(m.getBoolean("float32"), true);
  EXPECT_EQ(m.getString("link"), "logistic");
  ASSERT_EQ(m.getArray("base_score")->size(), 1u);
  // logit(0.5) = 0 (XGBoost computes -logf(1/0.5f - 1) = -0.0).
  EXPECT_EQ((*m.getArray("base_score"))[0].getAsNumber(), 0.0);
  std::vector<DescNode> nodes = descNodes(d);
  ASSERT_EQ(nodes.size(), 5u);
  EXPECT_EQ(nodes[0].feature, 1);
  EXPECT_EQ(nodes[0].threshold, 0.5);
  EXPECT_EQ(nodes[0].left, 1);
  EXPECT_EQ(nodes[0].right, 2);
  EXPECT_EQ(nodes[0].defaultLeft, 1);
  EXPECT_EQ(nodes[0].leaf, 0.0);
  EXPECT_EQ(nodes[1].feature, 2);
  EXPECT_EQ(nodes[1].threshold, -1.25);
  EXPECT_EQ(nodes[1].left, 3);
  EXPECT_EQ(nodes[1].right, 4);
  EXPECT_EQ(nodes[1].defaultLeft, 0);
  // Leaves take split_conditions (scaled by the learning rate), not
  // base_weights.
  expectLeaf(nodes[2], 0.75);
  expectLeaf(nodes[3], -0.5);
  expectLeaf(nodes[4], 0.25);
  const json::Object &out = *top.getObject("output");
  EXPECT_EQ(out.getString("type"), "f32");
  EXPECT_EQ(out.getBoolean("margin"), false);
}

TEST(XGBoostImport, LinksAndBaseScores) {
  struct Case {
    const char *objective;
    int numClass;
    const char *baseScore;
    const char *link;
    float base;
  };
  float logit03 = -std::log(1.0f / 0.3f - 1.0f); // XGBoost's f32 arithmetic
  float logit07 = -std::log(1.0f / 0.7f - 1.0f);
  const Case cases[] = {
      {"binary:logistic", 0, "3E-1", "logistic", logit03},
      {"reg:logistic", 0, "7E-1", "logistic", logit07},
      {"binary:logitraw", 0, "3E-1", "identity", 0.3f},
      {"reg:squarederror", 0, "1.05E1", "identity", 10.5f},
      {"reg:linear", 0, "-2E0", "identity", -2.0f},
      {"multi:softprob", 3, "5E-1", "softmax", 0.5f},
      {"multi:softmax", 4, "2E-1", "argmax", 0.2f},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.objective);
    json::Value d =
        importOk(smallModel(c.objective, c.numClass, c.numClass ? 2 * c.numClass : 2, c.baseScore));
    ASSERT_NE(d.getAsObject(), nullptr);
    const json::Object &m = descModel(d);
    EXPECT_EQ(m.getString("link"), c.link);
    int outputs = c.numClass ? c.numClass : 1;
    EXPECT_EQ(m.getInteger("num_outputs"), outputs);
    const json::Array &bs = *m.getArray("base_score");
    ASSERT_EQ(bs.size(), static_cast<size_t>(outputs));
    for (const json::Value &b : bs)
      EXPECT_EQ(b.getAsNumber(), static_cast<double>(c.base))
          << "the margin-space base score must be XGBoost's f32 value";
    const json::Array &trees = *m.getArray("trees");
    ASSERT_EQ(trees.size(), static_cast<size_t>(c.numClass ? 2 * c.numClass : 2));
    for (size_t i = 0; i < trees.size(); ++i)
      EXPECT_EQ(trees[i].getAsObject()->getInteger("group"), static_cast<int64_t>(i % outputs));
  }
  // Base scores given as JSON numbers are accepted too.
  json::Value m = smallModel("reg:squarederror");
  (*learner(m).getObject("learner_model_param"))["base_score"] = 1.5;
  json::Value d = importOk(m);
  ASSERT_NE(d.getAsObject(), nullptr);
  EXPECT_EQ((*descModel(d).getArray("base_score"))[0].getAsNumber(), 1.5);
}

TEST(XGBoostImport, ThresholdsAndLeavesAreF32) {
  json::Value m = smallModel("reg:squarederror");
  (*tree0(m).getArray("split_conditions"))[0] = 0.1;
  (*tree0(m).getArray("split_conditions"))[2] = 1.0 / 3.0;
  json::Value d = importOk(m);
  ASSERT_NE(d.getAsObject(), nullptr);
  std::vector<DescNode> nodes = descNodes(d);
  ASSERT_EQ(nodes.size(), 5u);
  EXPECT_EQ(nodes[0].threshold, static_cast<double>(0.1f));
  EXPECT_EQ(nodes[2].leaf, static_cast<double>(static_cast<float>(1.0 / 3.0)));
}

TEST(XGBoostImport, MultiTarget) {
  json::Value m = smallModel("reg:squarederror", 0, 4);
  (*learner(m).getObject("learner_model_param"))["num_target"] = "2";
  gbModel(m)["tree_info"] = json::Array{0, 1, 0, 1};
  json::Value d = importOk(m);
  ASSERT_NE(d.getAsObject(), nullptr);
  EXPECT_EQ(descModel(d).getInteger("num_outputs"), 2);
  EXPECT_EQ(descModel(d).getString("link"), "identity");
}

TEST(XGBoostImport, RenumbersNodesBreadthFirst) {
  // Root 0 -> (3, 1); node 3 -> (4, 2); node 5 is deleted (unreachable), as
  // pruning leaves them; new ids: 0->0, 3->1, 1->2, 4->3, 2->4.
  json::Value m = smallModel("reg:squarederror");
  json::Object &t = tree0(m);
  t["left_children"] = json::Array{3, -1, -1, 4, -1, -1};
  t["right_children"] = json::Array{1, -1, -1, 2, -1, -1};
  t["split_indices"] = json::Array{0, 0, 0, 2, 0, 0};
  t["split_conditions"] = json::Array{1.5, 10.0, 20.0, -2.5, 30.0, 99.0};
  t["default_left"] = json::Array{0, 0, 0, 1, 0, 0};
  t["split_type"] = json::Array{0, 0, 0, 0, 0, 0};
  t["base_weights"] = json::Array{0, 0, 0, 0, 0, 0};
  (*t.getObject("tree_param"))["num_nodes"] = "6";
  (*t.getObject("tree_param"))["num_deleted"] = "1";
  json::Value d = importOk(m);
  ASSERT_NE(d.getAsObject(), nullptr);
  std::vector<DescNode> nodes = descNodes(d);
  ASSERT_EQ(nodes.size(), 5u);
  EXPECT_EQ(nodes[0].feature, 0);
  EXPECT_EQ(nodes[0].left, 1);
  EXPECT_EQ(nodes[0].right, 2);
  EXPECT_EQ(nodes[0].defaultLeft, 0);
  EXPECT_EQ(nodes[1].feature, 2);
  EXPECT_EQ(nodes[1].threshold, -2.5);
  EXPECT_EQ(nodes[1].left, 3);
  EXPECT_EQ(nodes[1].right, 4);
  EXPECT_EQ(nodes[1].defaultLeft, 1);
  expectLeaf(nodes[2], 10.0);
  expectLeaf(nodes[3], 30.0);
  expectLeaf(nodes[4], 20.0);
}

TEST(XGBoostImport, Options) {
  XGBoostImportOptions o;
  o.featureNames = {"age", "income", "score"};
  o.featureTypes = {DType::I64, DType::F64, DType::F32};
  o.margin = true;
  o.name = "churn";
  json::Value d = importOk(smallModel(), o);
  ASSERT_NE(d.getAsObject(), nullptr);
  const json::Object &top = *d.getAsObject();
  EXPECT_EQ(top.getString("name"), "churn");
  const json::Array &inputs = *top.getArray("inputs");
  ASSERT_EQ(inputs.size(), 3u);
  const char *types[] = {"i64", "f64", "f32"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(inputs[i].getAsObject()->getString("name"), o.featureNames[i]);
    EXPECT_EQ(inputs[i].getAsObject()->getString("type"), types[i]);
  }
  EXPECT_EQ(top.getObject("output")->getBoolean("margin"), true);
  // margin keeps the link: the descriptor still says what the margins mean.
  EXPECT_EQ(descModel(d).getString("link"), "logistic");

  // The model's own feature names are the default.
  json::Value m = smallModel();
  learner(m)["feature_names"] = json::Array{"a", "NaN", "Infinity"};
  learner(m)["feature_types"] = json::Array{"float", "float", "int"};
  json::Value d2 = importOk(m);
  ASSERT_NE(d2.getAsObject(), nullptr);
  const json::Array &in2 = *d2.getAsObject()->getArray("inputs");
  ASSERT_EQ(in2.size(), 3u);
  // Strings are never taken for XGBoost's bare NaN / Infinity tokens.
  EXPECT_EQ(in2[1].getAsObject()->getString("name"), "NaN");
  EXPECT_EQ(in2[2].getAsObject()->getString("name"), "Infinity");

  o.outputType = DType::F64;
  json::Value d3 = importOk(smallModel(), o);
  ASSERT_NE(d3.getAsObject(), nullptr);
  EXPECT_EQ(d3.getAsObject()->getObject("output")->getString("type"), "f64");
}

TEST(XGBoostImport, OptionErrors) {
  XGBoostImportOptions o;
  o.featureNames = {"a", "b"};
  std::string msg = importErrorText(text(smallModel()), o);
  EXPECT_NE(msg.find("2 feature names"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 features"), std::string::npos) << msg;

  o.featureNames = {"a", "b", "a"};
  msg = importErrorText(text(smallModel()), o);
  EXPECT_NE(msg.find("'a' appears twice"), std::string::npos) << msg;

  o.featureNames = {"a", "", "c"};
  msg = importErrorText(text(smallModel()), o);
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;

  o = {};
  o.featureTypes = {DType::F32};
  msg = importErrorText(text(smallModel()), o);
  EXPECT_NE(msg.find("1 feature types"), std::string::npos) << msg;

  o.featureTypes = {DType::F32, DType::String, DType::F32};
  msg = importErrorText(text(smallModel()), o);
  EXPECT_NE(msg.find("string is not numeric"), std::string::npos) << msg;

  o = {};
  o.outputType = DType::I32;
  msg = importErrorText(text(smallModel()), o);
  EXPECT_NE(msg.find("f32 or f64"), std::string::npos) << msg;
}

TEST(XGBoostImport, NoTrees) {
  json::Value m = smallModel("reg:squarederror", 0, 0, "2.5E0");
  json::Value d = importOk(m);
  ASSERT_NE(d.getAsObject(), nullptr);
  const json::Array &trees = *descModel(d).getArray("trees");
  ASSERT_EQ(trees.size(), 1u);
  std::vector<DescNode> nodes = descNodes(d);
  ASSERT_EQ(nodes.size(), 1u);
  expectLeaf(nodes[0], 0.0);
}

TEST(XGBoostImport, NotAModel) {
  EXPECT_NE(importErrorText("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(importErrorText("[1, 2]").find("expected an object"), std::string::npos);
  EXPECT_NE(importErrorText("{\"version\": [1, 7, 4]}").find("learner"), std::string::npos);
  EXPECT_NE(importErrorText("{\"learner\": 3}").find("learner: expected an object"),
            std::string::npos);
}

TEST(XGBoostImport, UnsupportedBoosters) {
  expectImportError(
      [](json::Value &m) {
        // What XGBoost 1.7 writes for booster=gblinear.
        learner(m)["gradient_booster"] =
            json::Object{{"model", json::Object{{"boosted_rounds", 2},
                                                {"weights", json::Array{0.5, 0.1, 0.2, 0.3}}}},
                         {"name", "gblinear"}};
      },
      {"learner.gradient_booster.name", "gblinear", "not supported"});
  expectImportError(
      [](json::Value &m) {
        // What XGBoost 1.7 writes for booster=dart.
        json::Object gbtree{{"model", json::Object(gbModel(m))}, {"name", "gbtree"}};
        learner(m)["gradient_booster"] = json::Object{
            {"gbtree", std::move(gbtree)}, {"name", "dart"}, {"weight_drop", json::Array{1.0}}};
      },
      {"learner.gradient_booster.name", "dart", "not supported"});
  expectImportError(
      [](json::Value &m) { (*learner(m).getObject("gradient_booster"))["name"] = "mystery"; },
      {"learner.gradient_booster.name", "mystery"});
  expectImportError(
      [](json::Value &m) { learner(m).getObject("gradient_booster")->erase("model"); },
      {"learner.gradient_booster.model", "missing"});
}

TEST(XGBoostImport, UnsupportedObjectives) {
  for (const char *obj : {"count:poisson", "reg:gamma", "reg:tweedie", "binary:hinge",
                          "rank:pairwise", "survival:cox", "survival:aft", "reg:absoluteerror",
                          "reg:pseudohubererror", "reg:squaredlogerror", "multi:unknown"}) {
    SCOPED_TRACE(obj);
    expectImportError([&](json::Value &m) { (*learner(m).getObject("objective"))["name"] = obj; },
                      {"learner.objective.name", std::string("'") + obj + "'", "not supported",
                       "binary:logistic"});
  }
  expectImportError([](json::Value &m) { learner(m).getObject("objective")->erase("name"); },
                    {"learner.objective.name", "missing"});
}

TEST(XGBoostImport, CategoricalSplits) {
  // split_type 1 (XGBoost's categorical split).
  expectImportError([](json::Value &m) { (*tree0(m).getArray("split_type"))[1] = 1; },
                    {"learner.gradient_booster.model.trees[0].split_type[1]", "categorical"});
  // Category lists.
  expectImportError([](json::Value &m) { tree0(m)["categories"] = json::Array{0, 2, 5}; },
                    {"learner.gradient_booster.model.trees[0].categories", "categorical"});
  expectImportError([](json::Value &m) { tree0(m)["categories_nodes"] = json::Array{0}; },
                    {"learner.gradient_booster.model.trees[0].categories_nodes", "categorical"});
  // A split on a feature typed "c" (categorical).
  expectImportError(
      [](json::Value &m) { learner(m)["feature_types"] = json::Array{"float", "c", "float"}; },
      {"learner.gradient_booster.model.trees[0].split_indices[0]", "categorical feature 1"});
  // As XGBoost writes it: a bare NaN split condition on the categorical
  // node. The error is about the split, not about JSON syntax.
  json::Value m = smallModel();
  (*tree0(m).getArray("split_type"))[0] = 1;
  tree0(m)["categories"] = json::Array{1, 3};
  tree0(m)["categories_nodes"] = json::Array{0};
  tree0(m)["categories_segments"] = json::Array{0};
  tree0(m)["categories_sizes"] = json::Array{2};
  std::string t = text(m);
  size_t at = t.find("\"split_conditions\":[0.5");
  ASSERT_NE(at, std::string::npos) << t;
  t.replace(at, std::strlen("\"split_conditions\":[0.5"), "\"split_conditions\":[NaN");
  std::string msg = importErrorText(t);
  EXPECT_NE(msg.find("categorical"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("JSON"), std::string::npos) << msg;
}

TEST(XGBoostImport, NonFiniteValues) {
  for (const char *token : {"NaN", "Infinity", "-Infinity"}) {
    SCOPED_TRACE(token);
    std::string t = text(smallModel());
    std::string from = "\"split_conditions\":[0.5,-1.25,0.75";
    size_t at = t.find(from);
    ASSERT_NE(at, std::string::npos) << t;
    t.replace(at, from.size(), std::string("\"split_conditions\":[") + token + ",-1.25,0.75");
    std::string msg = importErrorText(t);
    EXPECT_NE(msg.find("trees[0].split_conditions[0]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not a finite"), std::string::npos) << msg;
    // And as a leaf value.
    t = text(smallModel());
    at = t.find(from);
    t.replace(at, from.size(), std::string("\"split_conditions\":[0.5,-1.25,") + token);
    msg = importErrorText(t);
    EXPECT_NE(msg.find("trees[0].split_conditions[2]"), std::string::npos) << msg;
  }
  // A threshold beyond f32 range is not finite in f32.
  expectImportError([](json::Value &m) { (*tree0(m).getArray("split_conditions"))[0] = 1e39; },
                    {"trees[0].split_conditions[0]", "not a finite f32"});
}

TEST(XGBoostImport, VectorLeaves) {
  expectImportError(
      [](json::Value &m) { (*tree0(m).getObject("tree_param"))["size_leaf_vector"] = "3"; },
      {"learner.gradient_booster.model.trees[0].tree_param.size_leaf_vector", "vector leaves"});
  expectImportError(
      [](json::Value &m) {
        (*gbModel(m).getObject("gbtree_model_param"))["size_leaf_vector"] = "2";
      },
      {"learner.gradient_booster.model.gbtree_model_param.size_leaf_vector", "vector leaves"});
}

TEST(XGBoostImport, ModelParameterErrors) {
  const std::string MP = "learner.learner_model_param";
  expectImportError(
      [](json::Value &m) { learner(m).getObject("learner_model_param")->erase("base_score"); },
      {MP + ".base_score", "missing"});
  expectImportError(
      [](json::Value &m) { (*learner(m).getObject("learner_model_param"))["base_score"] = "abc"; },
      {MP + ".base_score", "expected a number"});
  for (const char *bs : {"0", "1", "1.5E0", "-2E-1"}) {
    SCOPED_TRACE(bs);
    expectImportError(
        [&](json::Value &m) { (*learner(m).getObject("learner_model_param"))["base_score"] = bs; },
        {MP + ".base_score", "must be in (0, 1)"});
  }
  expectImportError(
      [](json::Value &m) { learner(m).getObject("learner_model_param")->erase("num_feature"); },
      {MP + ".num_feature", "missing"});
  expectImportError(
      [](json::Value &m) { (*learner(m).getObject("learner_model_param"))["num_feature"] = "0"; },
      {MP + ".num_feature"});
  expectImportError(
      [](json::Value &m) { (*learner(m).getObject("learner_model_param"))["num_class"] = "3"; },
      {MP + ".num_class", "not a multi-class objective"});
  expectImportError([](json::Value &) {}, {MP + ".num_class", "multi:softprob"}, {},
                    smallModel("multi:softprob", 0, 1));
  expectImportError(
      [](json::Value &m) { (*learner(m).getObject("learner_model_param"))["num_target"] = "2"; },
      {MP + ".num_target", "multi:softmax"}, {}, smallModel("multi:softmax", 3, 3));
  expectImportError([](json::Value &m) { learner(m)["feature_names"] = json::Array{"a", "b"}; },
                    {"learner.feature_names", "2 names", "num_feature is 3"});
}

TEST(XGBoostImport, TreeStructureErrors) {
  const std::string T = "learner.gradient_booster.model.trees[0]";
  const std::string M = "learner.gradient_booster.model";
  expectImportError([](json::Value &m) { gbModel(m)["tree_info"] = json::Array{0, 0}; },
                    {M + ".tree_info", "2 entries", "1 trees"});
  expectImportError([](json::Value &m) { gbModel(m)["tree_info"] = json::Array{1}; },
                    {M + ".tree_info[0]", "group 1 is out of range"});
  expectImportError(
      [](json::Value &m) { (*gbModel(m).getObject("gbtree_model_param"))["num_trees"] = "4"; },
      {M + ".gbtree_model_param.num_trees", "4"});
  expectImportError([](json::Value &m) { gbModel(m).erase("trees"); }, {M + ".trees", "missing"});
  expectImportError([](json::Value &m) { (*gbModel(m).getArray("trees"))[0] = 7; },
                    {T, "expected an object"});
  expectImportError([](json::Value &m) { tree0(m).erase("default_left"); },
                    {T + ".default_left", "missing"});
  expectImportError([](json::Value &m) { tree0(m)["split_indices"] = json::Array{1, 2, 0, 0}; },
                    {T + ".split_indices", "4 entries", "left_children has 5"});
  expectImportError([](json::Value &m) { (*tree0(m).getObject("tree_param"))["num_nodes"] = "7"; },
                    {T + ".tree_param.num_nodes", "7"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("split_indices"))[1] = 3; },
                    {T + ".split_indices[1]", "feature 3 is out of range"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("split_indices"))[0] = -1; },
                    {T + ".split_indices[0]", "out of range"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("right_children"))[1] = 9; },
                    {T + ".right_children[1]", "out of range"});
  // A cycle back to the root, and a node with two parents.
  expectImportError([](json::Value &m) { (*tree0(m).getArray("right_children"))[1] = 0; },
                    {T + ".right_children[1]", "reached twice"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("right_children"))[1] = 2; },
                    {T + ".right_children[1]", "reached twice"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("left_children"))[1] = 4; },
                    {T + ".right_children[1]", "reached twice"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("right_children"))[1] = -1; },
                    {T + ".left_children[1]", "one child"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("default_left"))[0] = 2; },
                    {T + ".default_left[0]", "expected 0 or 1"});
  expectImportError([](json::Value &m) { (*tree0(m).getArray("left_children"))[2] = "x"; },
                    {T + ".left_children[2]", "expected an integer"});
  expectImportError(
      [](json::Value &m) {
        tree0(m)["left_children"] = json::Array{};
        tree0(m)["right_children"] = json::Array{};
        tree0(m)["split_indices"] = json::Array{};
        tree0(m)["split_conditions"] = json::Array{};
        tree0(m)["default_left"] = json::Array{};
        tree0(m)["split_type"] = json::Array{};
        tree0(m).erase("tree_param");
      },
      {T + ".left_children", "no nodes"});
}

TEST(XGBoostImport, DefaultLeftAsBooleans) {
  json::Value m = smallModel();
  tree0(m)["default_left"] = json::Array{true, false, false, false, false};
  json::Value d = importOk(m);
  ASSERT_NE(d.getAsObject(), nullptr);
  std::vector<DescNode> nodes = descNodes(d);
  ASSERT_EQ(nodes.size(), 5u);
  EXPECT_EQ(nodes[0].defaultLeft, 1);
  EXPECT_EQ(nodes[1].defaultLeft, 0);
}

TEST(XGBoostImport, RealModelsProduceValidJSON) {
  // Independent of the descriptor parser: every checked-in model imports
  // and the text is JSON of the documented shape.
  for (const std::string &file : modelFiles()) {
    SCOPED_TRACE(file);
    std::string model = modelText(file);
    llvm::Expected<json::Value> m = json::parse(model);
    ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
    llvm::StringRef features = *m->getAsObject()
                                    ->getObject("learner")
                                    ->getObject("learner_model_param")
                                    ->getString("num_feature");
    llvm::Expected<std::string> t = importXGBoostJSON(model);
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    llvm::Expected<json::Value> v = json::parse(*t);
    ASSERT_TRUE(static_cast<bool>(v)) << llvm::toString(v.takeError());
    const json::Object *top = v->getAsObject();
    ASSERT_NE(top, nullptr);
    EXPECT_EQ(std::to_string(top->getArray("inputs")->size()), features.str());
    EXPECT_EQ(top->getObject("model")->getBoolean("float32"), true);
    // Every tree in the columnar form (descNodes checks the shape).
    const json::Array &trees = *top->getObject("model")->getArray("trees");
    for (size_t t = 0; t < trees.size(); ++t)
      EXPECT_FALSE(descNodes(*v, t).empty()) << "tree " << t;
  }
}

TEST(XGBoostImport, RoundTrip) {
  // import -> parse -> canonical -> parse -> the same canonical and hash;
  // importing twice gives the same text; margin changes the hash.
  std::vector<std::string> models;
  for (const char *obj : {"binary:logistic", "reg:squarederror", "binary:logitraw", "reg:logistic"})
    models.push_back(text(smallModel(obj, 0, 3, "3E-1")));
  models.push_back(text(smallModel("multi:softprob", 3, 6)));
  models.push_back(text(smallModel("multi:softmax", 3, 6)));
  for (const std::string &file : modelFiles())
    models.push_back(modelText(file));
  for (size_t i = 0; i < models.size(); ++i) {
    SCOPED_TRACE("model " + std::to_string(i));
    Hash128 hashes[2];
    for (bool margin : {false, true}) {
      XGBoostImportOptions o;
      o.margin = margin;
      llvm::Expected<std::string> t1 = importXGBoostJSON(models[i], o);
      ASSERT_TRUE(static_cast<bool>(t1)) << llvm::toString(t1.takeError());
      llvm::Expected<std::string> t2 = importXGBoostJSON(models[i], o);
      ASSERT_TRUE(static_cast<bool>(t2)) << llvm::toString(t2.takeError());
      EXPECT_EQ(*t1, *t2);
      llvm::Expected<Descriptor> d1 = Descriptor::parse(*t1);
      ASSERT_TRUE(static_cast<bool>(d1)) << llvm::toString(d1.takeError());
      EXPECT_EQ(d1->kind(), Kind::Model);
      llvm::Expected<Descriptor> d2 = Descriptor::parse(d1->canonical());
      ASSERT_TRUE(static_cast<bool>(d2))
          << "the canonical form does not parse: " << llvm::toString(d2.takeError());
      EXPECT_EQ(d2->canonical(), d1->canonical());
      EXPECT_EQ(d2->hash(), d1->hash());
      EXPECT_EQ(d1->spec<ModelSpec>().margin, margin);
      EXPECT_TRUE(d1->spec<ModelSpec>().float32);
      EXPECT_EQ(d1->spec<ModelSpec>().type, ModelType::TreeEnsemble);
      hashes[margin] = d1->hash();
    }
    EXPECT_NE(hashes[0], hashes[1]);
  }
}

TEST(XGBoostImport, F64InputsRoundToF32LikeXGBoost) {
  // XGBoost rounds every feature to f32 before comparing: the double 0.1 is
  // below the f32 threshold 0.1f, but rounds to it, so it goes right.
  json::Value m = smallModel("reg:squarederror", 0, 1, "0E0");
  (*tree0(m).getArray("split_conditions"))[0] = 0.1;
  XGBoostImportOptions o;
  o.featureTypes = {DType::F64, DType::F64, DType::F64};
  llvm::Expected<std::string> t = importXGBoostJSON(text(m), o);
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  llvm::Expected<Descriptor> d = Descriptor::parse(*t);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Rows: f1 = 0.1 -> right leaf 0.75; f1 = 0.09 -> node 1, f2 missing ->
  // default right -> 0.25; f1 missing -> default left, f2 = -2 -> -0.5.
  std::vector<double> f0{0.0, 0.0, 0.0}, f1{0.1, 0.09, nan}, f2{nan, nan, -2.0};
  for (bool specialize : {true, false}) {
    SCOPED_TRACE(specialize ? "jit" : "interpreter");
    CompileOptions co;
    co.specialize = specialize;
    co.useCache = false;
    llvm::Expected<Kernel> k = compile(*d, co);
    ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
    std::vector<float> out(3, -99.0f);
    std::vector<Column> cols{Column::f64(f0.data(), 3), Column::f64(f1.data(), 3),
                             Column::f64(f2.data(), 3)};
    llvm::Error err = k->run(cols, Output::f32(out.data(), 3, 1));
    ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
    EXPECT_EQ(out[0], 0.75f);
    EXPECT_EQ(out[1], 0.25f);
    EXPECT_EQ(out[2], -0.5f);
  }
}

TEST(XGBoostImport, ParsedSpecMatchesModel) {
  // The parsed specification holds what the importer meant.
  XGBoostImportOptions o;
  o.featureNames = {"a", "b", "c"};
  llvm::Expected<std::string> t =
      importXGBoostJSON(text(smallModel("binary:logistic", 0, 2, "3E-1")), o);
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  llvm::Expected<Descriptor> d = Descriptor::parse(*t);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  const ModelSpec &s = d->spec<ModelSpec>();
  EXPECT_EQ(s.numFeatures, 3);
  EXPECT_EQ(s.numOutputs, 1);
  EXPECT_EQ(s.link, Link::Logistic);
  ASSERT_EQ(s.baseScore.size(), 1u);
  EXPECT_EQ(static_cast<float>(s.baseScore[0]), -std::log(1.0f / 0.3f - 1.0f));
  ASSERT_EQ(s.trees.size(), 2u);
  ASSERT_EQ(s.trees[0].nodes.size(), 5u);
  EXPECT_EQ(s.trees[0].nodes[0].feature, 1);
  EXPECT_EQ(s.trees[0].nodes[0].threshold, 0.5);
  EXPECT_TRUE(s.trees[0].nodes[0].defaultLeft);
  EXPECT_EQ(s.trees[0].nodes[4].feature, -1);
  EXPECT_EQ(s.trees[0].nodes[4].leaf, 0.25);
  ASSERT_EQ(d->inputs().size(), 3u);
  EXPECT_EQ(d->inputs()[1].name, "b");
  EXPECT_EQ(d->inputs()[1].type, DType::F32);
  EXPECT_EQ(d->outputNames(), std::vector<std::string>{"prediction"});
}

} // namespace
