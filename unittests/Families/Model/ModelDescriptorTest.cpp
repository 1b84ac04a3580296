//===- ModelDescriptorTest.cpp - The model family's descriptors -----------===//
//
// Descriptor::parse on `model` documents (linear, tree ensemble, mlp): the
// names of types, links and activations, every validation error (the inputs
// and steps as the pipeline family's, features, each model type, output,
// non-finite values), trees as node objects and in the columnar form, the
// analysis (defaults, feature order), the canonical text and the hash, the
// examples and schemas/model.schema.json, and robustness (every prefix and
// mutations of the examples, large ensembles parsed quickly).
//
//===----------------------------------------------------------------------===//

#include "DescriptorTestSupport.h"
#include "Families/Model/ModelSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace specjit::jit;
using namespace specjit_test;
using llvm::StringRef;

namespace {

const char *kXY = R"([{"name":"x","type":"f64"},{"name":"y","type":"f64"}])";

/// A model document from its parts (JSON fragments). `extra` holds members
/// such as "steps" and "features", each followed by a comma.
std::string mdoc(const std::string &model, const std::string &extra = "",
                 const std::string &inputs = kXY, const std::string &output = R"({"type":"f64"})") {
  return R"({"specjit":1,"kind":"model","inputs":)" + inputs + "," + extra + R"("model":)" + model +
         R"(,"output":)" + output + "}";
}

/// A split node and a leaf as JSON text.
std::string split(int feature, const std::string &threshold, int left, int right,
                  const std::string &extra = "") {
  return R"({"feature":)" + std::to_string(feature) + R"(,"threshold":)" + threshold +
         R"(,"left":)" + std::to_string(left) + R"(,"right":)" + std::to_string(right) + extra +
         "}";
}
std::string leaf(const std::string &v) { return R"({"leaf":)" + v + "}"; }

/// A tree of `group` from node texts.
std::string tree(int group, const std::vector<std::string> &nodes) {
  std::string out = R"({"group":)" + std::to_string(group) + R"(,"nodes":[)";
  for (size_t i = 0; i < nodes.size(); ++i)
    out += (i ? "," : "") + nodes[i];
  return out + "]}";
}

/// A tree ensemble over `trees` with extra model members.
std::string ensemble(const std::vector<std::string> &trees, const std::string &extra = "",
                     int outputs = 1) {
  std::string out = R"({"type":"tree_ensemble","num_outputs":)" + std::to_string(outputs) + extra +
                    R"(,"trees":[)";
  for (size_t i = 0; i < trees.size(); ++i)
    out += (i ? "," : "") + trees[i];
  return out + "]}";
}

/// The stump x < 0.5 ? -1 : 1.
std::string stump() { return tree(0, {split(0, "0.5", 1, 2), leaf("-1"), leaf("1")}); }

/// A tree of `group` in the columnar form, from its columns (JSON texts).
std::string columns(int group, const std::string &feature, const std::string &threshold,
                    const std::string &left, const std::string &right,
                    const std::string &defaultLeft, const std::string &leaf) {
  return R"({"group":)" + std::to_string(group) + R"(,"feature":)" + feature + R"(,"threshold":)" +
         threshold + R"(,"left":)" + left + R"(,"right":)" + right + R"(,"default_left":)" +
         defaultLeft + R"(,"leaf":)" + leaf + "}";
}

/// tree(group, nodes) in the columnar form: the same nodes, a leaf's
/// feature, left and right -1, unused entries 0, default_left 1/0 (absent:
/// 1). Node texts must be JSON objects with finite numbers.
std::string asColumns(int group, const std::vector<std::string> &nodes) {
  std::string cols[6];
  for (size_t i = 0; i < nodes.size(); ++i) {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(nodes[i]);
    EXPECT_TRUE(v && v->getAsObject()) << nodes[i];
    if (!v || !v->getAsObject())
      return "";
    const llvm::json::Object &o = *v->getAsObject();
    auto text = [&](StringRef key, const char *absent) {
      const llvm::json::Value *x = o.get(key);
      if (!x)
        return std::string(absent);
      std::string out;
      llvm::raw_string_ostream os(out);
      std::optional<double> d = x->getAsNumber();
      if (d && *d == 0 && std::signbit(*d))
        os << "-0.0"; // llvm::json would write -0, which reads back as 0
      else
        os << *x;
      return out;
    };
    bool isLeaf = o.get("leaf") != nullptr;
    std::string row[6] = {text("feature", "-1"),
                          text("threshold", "0"),
                          text("left", "-1"),
                          text("right", "-1"),
                          isLeaf ? "0" : (o.getBoolean("default_left").value_or(true) ? "1" : "0"),
                          text("leaf", "0")};
    for (int k = 0; k < 6; ++k)
      cols[k] += (i ? "," : "") + row[k];
  }
  for (std::string &c : cols)
    c = "[" + c + "]";
  return columns(group, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]);
}

/// Two trees are the same in memory: every field of every node.
void expectSameTree(const Tree &a, const Tree &b) {
  EXPECT_EQ(a.group, b.group);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t n = 0; n < a.nodes.size(); ++n) {
    SCOPED_TRACE("node " + std::to_string(n));
    const TreeNode &x = a.nodes[n], &y = b.nodes[n];
    EXPECT_EQ(x.feature, y.feature);
    EXPECT_EQ(x.left, y.left);
    EXPECT_EQ(x.right, y.right);
    EXPECT_EQ(x.defaultLeft, y.defaultLeft);
    EXPECT_EQ(std::signbit(x.threshold), std::signbit(y.threshold));
    EXPECT_EQ(x.threshold, y.threshold);
    EXPECT_EQ(std::signbit(x.leaf), std::signbit(y.leaf));
    EXPECT_EQ(x.leaf, y.leaf);
  }
}

/// `n` features named f0..f{n-1} (f64).
std::string features(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i)
    out += (i ? "," : "") + (R"({"name":"f)" + std::to_string(i) + R"(","type":"f64"})");
  return out + "]";
}

/// A JSON array of `n` copies of `v`.
std::string row(int n, const std::string &v = "0.5") {
  std::string out = "[";
  for (int i = 0; i < n; ++i)
    out += (i ? "," : "") + v;
  return out + "]";
}

TEST(ModelNames, Spellings) {
  EXPECT_EQ(kindName(Kind::Model), "model");
  EXPECT_EQ(modelTypeName(ModelType::Linear), "linear");
  EXPECT_EQ(modelTypeName(ModelType::TreeEnsemble), "tree_ensemble");
  EXPECT_EQ(modelTypeName(ModelType::Mlp), "mlp");
  EXPECT_EQ(linkName(Link::Identity), "identity");
  EXPECT_EQ(linkName(Link::Logistic), "logistic");
  EXPECT_EQ(linkName(Link::Softmax), "softmax");
  EXPECT_EQ(linkName(Link::Argmax), "argmax");
  EXPECT_EQ(activationName(Activation::Identity), "identity");
  EXPECT_EQ(activationName(Activation::Relu), "relu");
  EXPECT_EQ(activationName(Activation::Tanh), "tanh");
  EXPECT_EQ(activationName(Activation::Logistic), "logistic");
}

TEST(ModelErrors, Document) {
  const std::string lin = R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})";
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                     R"("output":{"type":"f64"}})",
                     "descriptor", "missing required key 'model' (the model object");
  EXPECT_PARSE_ERROR(mdoc(lin, R"("featurs":["x"],)"), "descriptor",
                     "unknown key 'featurs' (did you mean 'features'?); a model descriptor "
                     "takes features, inputs, kind, model, name, output, specjit, steps");
  EXPECT_PARSE_ERROR(mdoc(lin, R"("name":3,)"), "name", "expected a string, got 3");
  EXPECT_PARSE_ERROR(mdoc("[1]"), "model", "expected a model object");
  EXPECT_PARSE_ERROR(mdoc("{}"), "model",
                     "missing required key 'type' (one of linear, tree_ensemble, mlp)");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"tree-ensemble"})"), "model.type",
                     "unknown value 'tree-ensemble' (expected one of linear, tree_ensemble, "
                     "mlp); did you mean 'tree_ensemble'?");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":1})"), "model.type",
                     "expected one of linear, tree_ensemble, mlp, got 1");
  EXPECT_PARSE_ERROR(
      mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0],"link":"sigmoid"})"),
      "model.link",
      "unknown value 'sigmoid' (expected one of identity, logistic, softmax, argmax)");
  // Keys of another model type are unknown.
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0],"float32":true})"),
                     "model",
                     "unknown key 'float32'; a linear model takes intercepts, link, "
                     "type, weights");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"mlp","layers":[],"trees":[]})"), "model",
                     "unknown key 'trees'; an mlp model takes layers, link, type");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"layers":[])")), "model",
                     "unknown key 'layers'; a tree_ensemble model takes average, base_score, "
                     "float32, link, num_outputs, trees, type");
  // A model document is not a pipeline document.
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"x","type":"f64"}],)"
                     R"("output":{"type":"f64"},"model":{}})",
                     "descriptor", "unknown key 'model'");
}

TEST(ModelErrors, InputsAndStepsAreThePipelineFamilys) {
  // The same faults in the inputs and steps give the same errors, with the
  // same paths, in both families.
  const std::string lin = R"({"type":"linear","weights":[[1]],"intercepts":[0]})";
  struct Case {
    std::string inputs, steps;
  };
  std::vector<Case> cases = {
      {"[]", "[]"},
      {R"([{"name":"x","type":"f16"}])", "[]"},
      {R"([{"name":"x","type":"f64"},{"name":"x","type":"f64"}])", "[]"},
      {R"([{"name":"x","type":"f64","missing":-1}])", "[]"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"standardise","column":"x"}])"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"standardize","column":"x","mean":0,"std":0}])"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"log","column":"z"}])"},
      {R"([{"name":"x","type":"f64"}])", R"([{"op":"expr","name":"y","expr":"x +"}])"},
      {R"([{"name":"x","type":"f64"}])", R"({"op":"log","column":"x"})"},
      {R"([{"name":"s","type":"string"}])", R"([{"op":"log","column":"s"}])"},
  };
  for (const Case &c : cases) {
    std::string pipe = doc(c.inputs, c.steps);
    std::string model = mdoc(lin, R"("steps":)" + c.steps + ",", c.inputs);
    std::string pe = errorOf(pipe), me = errorOf(model);
    EXPECT_NE(pe, "<no error>") << pipe;
    EXPECT_EQ(me, pe) << model;
  }
  // Steps are optional; "steps": [] is the same model.
  ASSERT_PARSES(a, mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})"));
  ASSERT_PARSES(b,
                mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})", R"("steps":[],)"));
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_TRUE(a.spec<ModelSpec>().pipeline.steps.empty());
}

TEST(ModelErrors, Features) {
  const std::string lin1 = R"({"type":"linear","weights":[[1]],"intercepts":[0]})";
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":["z"],)"), "features[0]",
                     "unknown column 'z' (columns after the last step: x, y)");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":["xx"],)"), "features[0]",
                     "unknown column 'xx' (columns after the last step: x, y); did you mean 'x'?");
  EXPECT_PARSE_ERROR(
      mdoc(R"({"type":"linear","weights":[[1,1]],"intercepts":[0]})", R"("features":["x","x"],)"),
      "features[1]", "duplicate feature 'x' (also features[0])");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":[],)"), "features",
                     "expected a non-empty array of column names, got an array");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":"x",)"), "features",
                     "expected a non-empty array of column names, got the string 'x'");
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":[""],)"), "features[0]",
                     "expected a column name (a non-empty string)");
  // A column consumed by a step is gone.
  const std::string xc = R"([{"name":"x","type":"f64"},{"name":"c","type":"i64"}])";
  EXPECT_PARSE_ERROR(mdoc(lin1,
                          R"("steps":[{"op":"one_hot","column":"c","categories":[1,2]}],)"
                          R"("features":["c"],)",
                          xc),
                     "features[0]",
                     "unknown column 'c' (columns after the last step: x, c=1, c=2)");
  // String columns are not features: listed, or by default.
  const std::string xs = R"([{"name":"x","type":"f64"},{"name":"s","type":"string"}])";
  EXPECT_PARSE_ERROR(mdoc(lin1, R"("features":["s"],)", xs), "features[0]",
                     "column 's' is a string column, but the model's features must be numeric "
                     "(encode it with one_hot or label_encode)");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,1]],"intercepts":[0]})", "", xs),
                     "features",
                     "column 's' is a string column, but the model's features must be numeric "
                     "(encode it with one_hot or label_encode, or list the numeric features in "
                     "'features')");
  // Listing only the numeric ones works; so does encoding the string.
  ASSERT_PARSES(only, mdoc(lin1, R"("features":["x"],)", xs));
  EXPECT_EQ(only.spec<ModelSpec>().numFeatures, 1);
  ASSERT_PARSES(enc,
                mdoc(R"({"type":"linear","weights":[[1,1]],"intercepts":[0]})",
                     R"("steps":[{"op":"label_encode","column":"s","mapping":["a","b"]}],)", xs));
  EXPECT_EQ(enc.spec<ModelSpec>().pipeline.plan.outputNames, (std::vector<std::string>{"x", "s"}));
  // The count of features is fixed by the model: a mismatch names both.
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2,3]],"intercepts":[0]})"),
                     "model.weights[0]", "expected 2 numbers (one per feature), got 3");
}

TEST(ModelErrors, Linear) {
  // Ten features, three outputs, the third row one short.
  std::string ten = features(10);
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[)" + row(10) + "," + row(10) + "," +
                              row(9) + R"(],"intercepts":[0,0,0]})",
                          "", ten),
                     "model.weights[2]", "expected 10 numbers (one per feature), got 9");
  ASSERT_PARSES(ok, mdoc(R"({"type":"linear","weights":[)" + row(10, "1") + "," + row(10, "2") +
                             "," + row(10, "3") + R"(],"intercepts":[0,0,0]})",
                         "", ten));
  EXPECT_EQ(ok.spec<ModelSpec>().numFeatures, 10);
  EXPECT_EQ(ok.spec<ModelSpec>().numOutputs, 3);
  ASSERT_EQ(ok.spec<ModelSpec>().weights.size(), 30u);
  EXPECT_EQ(ok.spec<ModelSpec>().weights[9], 1.0);
  EXPECT_EQ(ok.spec<ModelSpec>().weights[10], 2.0); // row-major
  EXPECT_EQ(ok.spec<ModelSpec>().weights[29], 3.0);
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0]})"),
                     "model.intercepts",
                     "expected 2 numbers (one per output: one per row of weights), got 1");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[],"intercepts":[]})"), "model.weights",
                     "expected a non-empty array of rows (one per output)");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[1,2],"intercepts":[0]})"),
                     "model.weights[0]", "expected an array of 2 numbers (one per feature), got 1");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,"2"]],"intercepts":[0]})"),
                     "model.weights[0][1]", "expected a finite number, got the string '2'");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,1e999]],"intercepts":[0]})"),
                     "model.weights[0][1]", "expected a finite number, got a number too large");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[null]})"),
                     "model.intercepts[0]", "expected a finite number, got null");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]]})"), "model",
                     "missing required key 'intercepts'");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","intercepts":[0]})"), "model",
                     "missing required key 'weights'");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":{}})"),
                     "model.intercepts", "expected an array of 1 number (one per output");
}

TEST(ModelErrors, TreeFeaturesAndChildren) {
  std::string ten = features(10);
  // model.trees[3].nodes[7].feature: 12 of 10 features.
  std::vector<std::string> nodes = {split(0, "1", 1, 2),
                                    split(1, "1", 3, 4),
                                    split(2, "1", 5, 6),
                                    leaf("1"),
                                    leaf("2"),
                                    leaf("3"),
                                    split(3, "0", 7, 8),
                                    split(12, "0", 9, 10),
                                    leaf("4"),
                                    leaf("5"),
                                    leaf("6")};
  std::string bad = ensemble({stump(), stump(), stump(), tree(0, nodes)});
  EXPECT_EQ(errorOf(mdoc(bad, "", ten)),
            "model.trees[3].nodes[7].feature: feature 12 out of range (the model has 10 "
            "features)");
  nodes[7] = split(9, "0", 9, 10);
  ASSERT_PARSES(ok, mdoc(ensemble({stump(), stump(), stump(), tree(0, nodes)}), "", ten));
  EXPECT_EQ(ok.spec<ModelSpec>().trees[3].nodes[7].feature, 9);
  EXPECT_EQ(ok.spec<ModelSpec>().trees[3].nodes[6].right, 8);

  auto one = [](const std::vector<std::string> &n) { return mdoc(ensemble({tree(0, n)})); };
  EXPECT_PARSE_ERROR(one({split(2, "0", 1, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].feature",
                     "feature 2 out of range (the model has 2 features)");
  EXPECT_PARSE_ERROR(one({split(-1, "0", 1, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].feature",
                     "expected a feature index (an integer >= 0), got -1");
  EXPECT_PARSE_ERROR(
      one({R"({"feature":0.5,"threshold":0,"left":1,"right":2})", leaf("1"), leaf("2")}),
      "model.trees[0].nodes[0].feature", "expected a feature index");
  // Children: in range, later than the node, reached once.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 3), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].right",
                     "child 3 out of range (the tree has 3 nodes)");
  EXPECT_PARSE_ERROR(one({split(0, "0", -1, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].left", "child -1 out of range");
  EXPECT_PARSE_ERROR(one({split(0, "0", 0, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].left",
                     "child 0 is not after this node (children are later nodes of the same "
                     "tree, so there are no cycles)");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), split(1, "0", 3, 1), leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[1].right", "child 1 is not after this node");
  // A cycle through an earlier node.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), split(1, "0", 0, 3), leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[1].left", "child 0 is not after this node");
  // Shared subtrees: the same child twice, or from two parents.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 1), leaf("1")}), "model.trees[0].nodes[0].right",
                     "node 1 is already a child of model.trees[0].nodes[0] (every node is "
                     "reached once: no shared subtrees)");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), split(1, "0", 3, 4), split(1, "0", 4, 5), leaf("1"),
                          leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[2].left",
                     "node 4 is already a child of model.trees[0].nodes[1]");
  // Unreachable nodes.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 3), leaf("1"), leaf("2"), leaf("3")}),
                     "model.trees[0].nodes[2]",
                     "node 2 is not reachable from the root (no split node names it as a child)");
  EXPECT_PARSE_ERROR(one({leaf("1"), leaf("2")}), "model.trees[0].nodes[1]",
                     "node 1 is not reachable from the root");
  // The last node cannot be a split.
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), split(0, "0", 3, 4)}),
                     "model.trees[0].nodes[2].left", "child 3 out of range (the tree has 3 nodes)");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), R"({"feature":0,"threshold":0})"}),
                     "model.trees[0].nodes[2]",
                     "missing required key 'left' (the index of a later node of this tree "
                     "(there is none: the last node must be a leaf))");
  // A leaf as the root is a constant tree.
  ASSERT_PARSES(constant, one({leaf("2.5")}));
  EXPECT_EQ(constant.spec<ModelSpec>().trees[0].nodes[0].feature, -1);
  EXPECT_EQ(constant.spec<ModelSpec>().trees[0].nodes[0].leaf, 2.5);
}

TEST(ModelErrors, TreeShape) {
  auto one = [](const std::vector<std::string> &n, const std::string &extra = "") {
    return mdoc(ensemble({tree(0, n)}, extra));
  };
  EXPECT_PARSE_ERROR(mdoc(ensemble({})), "model.trees",
                     "expected a non-empty array of trees {group, feature, threshold, left, "
                     "right, default_left, leaf} or {group, nodes}, got an array");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"tree_ensemble","num_outputs":1})"), "model",
                     "missing required key 'trees'");
  EXPECT_PARSE_ERROR(one({}), "model.trees[0].nodes",
                     "expected a non-empty array of nodes, the root first, got an array");
  EXPECT_PARSE_ERROR(mdoc(ensemble({"[]"})), "model.trees[0]",
                     "expected a tree object {\"group\", \"feature\", \"threshold\", \"left\", "
                     "\"right\", \"default_left\", \"leaf\"} or {\"group\", \"nodes\"}, got an "
                     "array");
  EXPECT_PARSE_ERROR(mdoc(ensemble({R"({"nodes":[{"leaf":1}]})"})), "model.trees[0]",
                     "missing required key 'group' (the output the tree adds to (an integer in "
                     "0..0))");
  EXPECT_PARSE_ERROR(mdoc(ensemble({R"({"group":0,"nodes":[{"leaf":1}],"weight":1})"})),
                     "model.trees[0]",
                     "unknown key 'weight' (did you mean 'right'?); a tree takes default_left, "
                     "feature, group, leaf, left, nodes, right, threshold");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump(), tree(3, {leaf("1")})}, "", 3)), "model.trees[1].group",
                     "group 3 out of range (the model has 3 outputs, num_outputs)");
  EXPECT_PARSE_ERROR(mdoc(ensemble({tree(-1, {leaf("1")})})), "model.trees[0].group",
                     "group -1 out of range (the model has 1 output, num_outputs)");
  EXPECT_PARSE_ERROR(mdoc(ensemble({R"({"group":"0","nodes":[{"leaf":1}]})"})),
                     "model.trees[0].group", "expected the output the tree adds to");
  EXPECT_PARSE_ERROR(mdoc(R"({"type":"tree_ensemble","trees":[{"group":0,"nodes":[{"leaf":1}]}]})"),
                     "model", "missing required key 'num_outputs'");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, "", 0)), "model.num_outputs",
                     "expected the number of outputs (an integer in 1..1048576), got 0");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, "", 1048577)), "model.num_outputs",
                     "expected the number of outputs");
  // Nodes.
  EXPECT_PARSE_ERROR(one({"1"}), "model.trees[0].nodes[0]",
                     "expected a split node {\"feature\", \"threshold\", \"left\", \"right\"} or "
                     "a leaf {\"leaf\"}, got 1");
  EXPECT_PARSE_ERROR(one({R"({"leaf":1,"feature":0})"}), "model.trees[0].nodes[0]",
                     "unknown key 'feature'; a leaf node takes leaf");
  EXPECT_PARSE_ERROR(
      one({R"({"feature":0,"threshold":0,"left":1,"right":2,"value":3})", leaf("1"), leaf("2")}),
      "model.trees[0].nodes[0]",
      "unknown key 'value'; a split node takes default_left, feature, left, right, "
      "threshold");
  EXPECT_PARSE_ERROR(one({"{}"}), "model.trees[0].nodes[0]",
                     "missing required key 'feature' (a split node's feature index, or 'leaf' for "
                     "a leaf)");
  EXPECT_PARSE_ERROR(one({R"({"feature":0,"left":1,"right":2})", leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0]", "missing required key 'threshold'");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2, R"(,"default_left":1)"), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].default_left", "expected true or false, got 1");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), leaf("\"2\"")}),
                     "model.trees[0].nodes[2].leaf",
                     "expected a finite number, got the string '2'");
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), leaf("-1e400")}),
                     "model.trees[0].nodes[2].leaf", "expected a finite number");
  EXPECT_PARSE_ERROR(one({split(0, "1e999", 1, 2), leaf("1"), leaf("2")}),
                     "model.trees[0].nodes[0].threshold", "expected a finite number");
  // Thresholds may be any finite number, even beyond f32 under float32;
  // leaves and base scores must stay finite in f32 there.
  ASSERT_PARSES(big, one({split(0, "1e300", 1, 2), leaf("1e300"), leaf("-1e-300")}));
  EXPECT_EQ(big.spec<ModelSpec>().trees[0].nodes[0].threshold, 1e300);
  ASSERT_PARSES(bigThreshold,
                one({split(0, "-1e300", 1, 2), leaf("1"), leaf("2")}, R"(,"float32":true)"));
  EXPECT_TRUE(bigThreshold.spec<ModelSpec>().float32);
  EXPECT_PARSE_ERROR(one({split(0, "0", 1, 2), leaf("1"), leaf("1e300")}, R"(,"float32":true)"),
                     "model.trees[0].nodes[2].leaf",
                     "1e+300 is not finite in f32 (the model is float32)");
  EXPECT_PARSE_ERROR(one({leaf("1")}, R"(,"float32":true,"base_score":[-1e39])"),
                     "model.base_score[0]", "-1e+39 is not finite in f32 (the model is float32)");
  // base_score: one per output.
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"base_score":[0,1])", 1)), "model.base_score",
                     "expected 1 number (one per output), got 2");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"base_score":0.5)", 1)), "model.base_score",
                     "expected an array of 1 number (one per output), got 0.5");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"average":"no")")), "model.average",
                     "expected true or false");
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump()}, R"(,"float32":0)")), "model.float32",
                     "expected true or false");
  // average divides by the number of trees of each output: none is an error.
  EXPECT_PARSE_ERROR(mdoc(ensemble({stump(), tree(2, {leaf("1")})}, R"(,"average":true)", 3)),
                     "model.trees",
                     "no tree has group 1 (with average, every output divides by its number "
                     "of trees, so each needs one)");
  ASSERT_PARSES(sumsOnly, mdoc(ensemble({stump(), tree(2, {leaf("1")})}, "", 3)));
  EXPECT_EQ(sumsOnly.spec<ModelSpec>().numOutputs, 3);
}

TEST(ModelTrees, ColumnsParseToTheSameTreesAsNodeObjects) {
  // Trees of every shape the other tests use, each written both ways: the
  // same in-memory trees, the same canonical text and hash.
  std::string ten = features(10);
  std::vector<std::vector<std::string>> shapes = {
      {leaf("2.5")},
      {split(0, "0.5", 1, 2), leaf("-1"), leaf("1")},
      {split(9, "-1e300", 1, 2, R"(,"default_left":false)"), leaf("-0.0"), leaf("1e-300")},
      // depth 3, a left chain, mixed default_left
      {split(0, "1", 1, 2), split(1, "1", 3, 4, R"(,"default_left":false)"), split(2, "1", 5, 6),
       leaf("1"), leaf("2"), leaf("3"), split(3, "0", 7, 8),
       split(9, "0", 9, 10, R"(,"default_left":true)"), leaf("4"), leaf("5"), leaf("6")},
      // children not in breadth-first order
      {split(4, "0.25", 2, 1), leaf("7"), split(5, "3", 4, 3), leaf("8"), leaf("9")},
  };
  std::vector<std::string> objectTrees, columnTrees, mixedTrees;
  for (size_t i = 0; i < shapes.size(); ++i) {
    int group = static_cast<int>(i % 2);
    objectTrees.push_back(tree(group, shapes[i]));
    columnTrees.push_back(asColumns(group, shapes[i]));
    mixedTrees.push_back(i % 2 ? objectTrees.back() : columnTrees.back());
  }
  const std::string extra = R"(,"base_score":[0.5,-1])";
  ASSERT_PARSES(o, mdoc(ensemble(objectTrees, extra, 2), "", ten));
  ASSERT_PARSES(c, mdoc(ensemble(columnTrees, extra, 2), "", ten));
  ASSERT_PARSES(m, mdoc(ensemble(mixedTrees, extra, 2), "", ten));
  for (const Descriptor *d : {&c, &m}) {
    ASSERT_EQ(d->spec<ModelSpec>().trees.size(), shapes.size());
    for (size_t t = 0; t < shapes.size(); ++t) {
      SCOPED_TRACE("tree " + std::to_string(t));
      expectSameTree(d->spec<ModelSpec>().trees[t], o.spec<ModelSpec>().trees[t]);
    }
    EXPECT_EQ(d->canonical(), o.canonical());
    EXPECT_EQ(d->hash(), o.hash());
  }
  // Spot checks of what the trees hold, leaves included.
  const Tree &deep = c.spec<ModelSpec>().trees[3];
  EXPECT_EQ(deep.nodes.size(), 11u);
  EXPECT_EQ(deep.nodes[1].feature, 1);
  EXPECT_FALSE(deep.nodes[1].defaultLeft);
  EXPECT_TRUE(deep.nodes[7].defaultLeft);
  EXPECT_EQ(deep.nodes[7].left, 9);
  EXPECT_EQ(deep.nodes[10].feature, -1);
  EXPECT_EQ(deep.nodes[10].leaf, 6.0);
  // A leaf keeps the defaults of a leaf written as {"leaf"}, whatever its
  // ignored entries say; a split ignores its leaf entry.
  ASSERT_PARSES(ignored, mdoc(ensemble({columns(0, "[0,-1,-1]", "[0.5,99,-3]", "[1,-1,-1]",
                                                "[2,-1,-1]", "[true,false,1]", "[12,-1,1]")})));
  ASSERT_PARSES(plain, mdoc(ensemble({stump()})));
  expectSameTree(ignored.spec<ModelSpec>().trees[0], plain.spec<ModelSpec>().trees[0]);
  EXPECT_EQ(ignored.hash(), plain.hash());
  // default_left: true/false and 1/0 are the same.
  ASSERT_PARSES(b, mdoc(ensemble({columns(0, "[1,-1,-1]", "[0,0,0]", "[1,-1,-1]", "[2,-1,-1]",
                                          "[false,false,false]", "[0,1,2]")})));
  ASSERT_PARSES(i, mdoc(ensemble({columns(0, "[1,-1,-1]", "[0,0,0]", "[1,-1,-1]", "[2,-1,-1]",
                                          "[0,0,0]", "[0,1,2]")})));
  EXPECT_FALSE(i.spec<ModelSpec>().trees[0].nodes[0].defaultLeft);
  EXPECT_EQ(b.hash(), i.hash());
}

TEST(ModelTrees, ColumnErrorsNameTheElement) {
  // The fourth tree (model.trees[3]) is the faulty one: a complete tree of
  // depth 2 over x, y.
  struct Cols {
    std::string feature = "[0,1,1,-1,-1,-1,-1]";
    std::string threshold = "[0.5,1,2,0,0,0,0]";
    std::string left = "[1,3,5,-1,-1,-1,-1]";
    std::string right = "[2,4,6,-1,-1,-1,-1]";
    std::string defaultLeft = "[1,0,true,0,0,false,0]";
    std::string leaf = "[0,0,0,1,2,3,4]";
  };
  auto with = [](const std::function<void(Cols &)> &mutate, const std::string &extra = "") {
    Cols c;
    mutate(c);
    return mdoc(
        ensemble({stump(), stump(), stump(),
                  columns(0, c.feature, c.threshold, c.left, c.right, c.defaultLeft, c.leaf)},
                 extra));
  };
  ASSERT_PARSES(ok, with([](Cols &) {}));
  EXPECT_EQ(ok.spec<ModelSpec>().trees[3].nodes.size(), 7u);
  EXPECT_TRUE(ok.spec<ModelSpec>().trees[3].nodes[2].defaultLeft);

  // Lengths: every column has one entry per node, feature's length.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,6,-1,-1,-1]"; })),
            "model.trees[3].right: 6 entries, expected 7 (the length of model.trees[3].feature)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0]"; })),
            "model.trees[3].leaf: 1 entry, expected 7 (the length of model.trees[3].feature)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.feature = "[]"; })),
            "model.trees[3].feature: expected a non-empty array, one entry per node (the feature "
            "each node tests, -1 for a leaf), got an array");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.threshold = "0.5"; })),
            "model.trees[3].threshold: expected an array, one entry per node (split values, "
            "finite numbers), got 0.5");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.defaultLeft = "{}"; })),
            "model.trees[3].default_left: expected an array, one entry per node (where a split "
            "sends NaN: true or 1 for left, false or 0 for right), got an object");
  // One form per tree: both, neither, or an incomplete set of columns.
  const std::string three = R"({"type":"tree_ensemble","num_outputs":1,"trees":[)" + stump() + "," +
                            stump() + "," + stump() + ",";
  EXPECT_EQ(errorOf(mdoc(three + R"({"group":0,"nodes":[{"leaf":1}],"leaf":[1]}]})")),
            "model.trees[3]: both 'nodes' and the column 'leaf': a tree is either columns "
            "(feature, threshold, left, right, default_left, leaf) or an array of node objects "
            "(nodes), not both");
  EXPECT_PARSE_ERROR(mdoc(three + R"({"group":0,"nodes":[{"leaf":1}],"feature":[-1],)"
                                  R"("threshold":[0],"left":[-1],"right":[-1],)"
                                  R"("default_left":[0],"leaf":[1]}]})"),
                     "model.trees[3]", "both 'nodes' and the column 'feature'");
  EXPECT_EQ(errorOf(mdoc(three + R"({"group":0}]})")),
            "model.trees[3]: missing the nodes: the columns 'feature', 'threshold', 'left', "
            "'right', 'default_left', 'leaf' (one entry per node), or 'nodes' (an array of node "
            "objects)");
  EXPECT_EQ(errorOf(mdoc(three + R"({"group":0,"feature":[-1],"threshold":[0],"left":[-1],)"
                                 R"("right":[-1],"default_left":[0]}]})")),
            "model.trees[3]: missing the column 'leaf' (an array, one entry per node (leaf "
            "values, finite numbers))");
  EXPECT_PARSE_ERROR(mdoc(three + R"({"group":0,"feature":[-1],"treshold":[0]}]})"),
                     "model.trees[3]", "unknown key 'treshold' (did you mean 'threshold'?)");

  // Features.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.feature = "[0,2,1,-1,-1,-1,-1]"; })),
            "model.trees[3].feature[1]: feature 2 out of range (the model has 2 features)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.feature = "[0,-2,1,-1,-1,-1,-1]"; })),
            "model.trees[3].feature[1]: expected a feature index (an integer >= 0), or -1 for a "
            "leaf, got -2");
  EXPECT_PARSE_ERROR(with([](Cols &c) { c.feature = "[0,1,\"1\",-1,-1,-1,-1]"; }),
                     "model.trees[3].feature[2]",
                     "expected a feature index (an integer >= 0), or -1 for a leaf, got the "
                     "string '1'");
  EXPECT_PARSE_ERROR(with([](Cols &c) { c.feature = "[0,1,1,-1,-1,-1,0.5]"; }),
                     "model.trees[3].feature[6]", "expected a feature index");
  // Thresholds: a split's must be finite, a leaf's a finite number too.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.threshold = "[0.5,1,1e999,0,0,0,0]"; })),
            "model.trees[3].threshold[2]: expected a finite number, got a number too large for "
            "f64 (infinity)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.threshold = "[0.5,1,2,0,null,0,0]"; })),
            "model.trees[3].threshold[4]: expected a finite number, got null");
  // Children: in range, later than the node, reached once, -1 for a leaf.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.left = "[1,\"x\",5,-1,-1,-1,-1]"; })),
            "model.trees[3].left[1]: expected the index of a later node of this tree (2..6), got "
            "the string 'x'");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.left = "[1,3,7,-1,-1,-1,-1]"; })),
            "model.trees[3].left[2]: child 7 out of range (the tree has 7 nodes)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,1,6,-1,-1,-1,-1]"; })),
            "model.trees[3].right[1]: child 1 is not after this node (children are later nodes of "
            "the same tree, so there are no cycles)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,4,-1,-1,-1,-1]"; })),
            "model.trees[3].right[2]: node 4 is already a child of model.trees[3].right[1] "
            "(every node is reached once: no shared subtrees)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[1,4,6,-1,-1,-1,-1]"; })),
            "model.trees[3].right[0]: node 1 is already a child of model.trees[3].left[0] "
            "(every node is reached once: no shared subtrees)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,3,-1,-1,-1,-1]"; })),
            "model.trees[3].right[2]: node 3 is already a child of model.trees[3].left[1] "
            "(every node is reached once: no shared subtrees)");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.left = "[1,3,5,-1,-1,-1,6]"; })),
            "model.trees[3].left[6]: expected -1 (node 6 is a leaf: its feature is -1), got 6");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.right = "[2,4,6,0,-1,-1,-1]"; })),
            "model.trees[3].right[3]: expected -1 (node 3 is a leaf: its feature is -1), got 0");
  // A node no split names is unreachable; its feature entry names it.
  EXPECT_EQ(errorOf(mdoc(ensemble({columns(0, "[0,-1,-1,-1]", "[0,0,0,0]", "[1,-1,-1,-1]",
                                           "[3,-1,-1,-1]", "[0,0,0,0]", "[0,1,2,3]")}))),
            "model.trees[0].feature[2]: node 2 is not reachable from the root (no split node "
            "names it as a child)");
  EXPECT_EQ(errorOf(mdoc(ensemble(
                {columns(0, "[-1,-1]", "[0,0]", "[-1,-1]", "[-1,-1]", "[0,0]", "[1,2]")}))),
            "model.trees[0].feature[1]: node 1 is not reachable from the root (no split node "
            "names it as a child)");
  // The last node cannot be a split.
  EXPECT_EQ(errorOf(mdoc(ensemble({columns(0, "[0,-1,0]", "[0,0,0]", "[1,-1,\"a\"]", "[2,-1,-1]",
                                           "[0,0,0]", "[0,1,2]")}))),
            "model.trees[0].left[2]: expected the index of a later node of this tree (there is "
            "none: the last node must be a leaf), got the string 'a'");
  // default_left: true, false, 1 or 0, for leaves too.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.defaultLeft = "[2,0,0,0,0,0,0]"; })),
            "model.trees[3].default_left[0]: expected true, false, 1 or 0, got 2");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.defaultLeft = "[1,0,0,0,0,\"no\",0]"; })),
            "model.trees[3].default_left[5]: expected true, false, 1 or 0, got the string 'no'");
  // Leaves: finite (in f32 under float32); a split's entry a finite number.
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0,0,0,1,2,3,\"4\"]"; })),
            "model.trees[3].leaf[6]: expected a finite number, got the string '4'");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0,[],0,1,2,3,4]"; })),
            "model.trees[3].leaf[1]: expected a finite number, got an array");
  EXPECT_EQ(errorOf(with([](Cols &c) { c.leaf = "[0,0,0,1,2,3,1e300]"; }, R"(,"float32":true)")),
            "model.trees[3].leaf[6]: 1e+300 is not finite in f32 (the model is float32)");
  ASSERT_PARSES(bigSplitLeaf,
                with([](Cols &c) { c.leaf = "[1e300,0,0,1,2,3,4]"; }, R"(,"float32":true)"));
  EXPECT_EQ(bigSplitLeaf.spec<ModelSpec>().trees[3].nodes[0].leaf, 0.0) << "ignored";
}

TEST(ModelTrees, ColumnsAndNodeObjectsShareTheirErrors) {
  // Faulty trees from ModelErrors.TreeFeaturesAndChildren, as columns: the
  // same message, at `key[i]` instead of `nodes[i].key` (and a node as a
  // whole at its feature entry).
  std::vector<std::vector<std::string>> faulty = {
      {split(2, "0", 1, 2), leaf("1"), leaf("2")},
      {split(0, "0", 1, 3), leaf("1"), leaf("2")},
      {split(0, "0", -1, 2), leaf("1"), leaf("2")},
      {split(0, "0", 0, 2), leaf("1"), leaf("2")},
      {split(0, "0", 1, 2), split(1, "0", 3, 1), leaf("2"), leaf("3")},
      {split(0, "0", 1, 2), split(1, "0", 0, 3), leaf("2"), leaf("3")},
      {split(0, "0", 1, 3), leaf("1"), leaf("2"), leaf("3")},
      {leaf("1"), leaf("2")},
      {split(0, "0", 1, 2), leaf("1"), split(0, "0", 3, 4)},
      {split(0, "0", 1, 2), leaf("1"), leaf("1e300")},
  };
  const std::regex field(R"(model\.trees\[0\]\.nodes\[(\d+)\]\.(\w+))");
  const std::regex node(R"(model\.trees\[0\]\.nodes\[(\d+)\])");
  for (const std::vector<std::string> &nodes : faulty) {
    std::string objects = errorOf(mdoc(ensemble({tree(0, nodes)}, R"(,"float32":true)")));
    std::string cols = errorOf(mdoc(ensemble({asColumns(0, nodes)}, R"(,"float32":true)")));
    ASSERT_NE(objects, "<no error>");
    std::string expected = std::regex_replace(objects, field, "model.trees[0].$2[$1]");
    expected = std::regex_replace(expected, node, "model.trees[0].feature[$1]");
    EXPECT_EQ(cols, expected) << "node objects: " << objects;
  }
}

TEST(ModelErrors, Mlp) {
  std::string eight = features(8);
  auto layer = [](int outs, int ins, const std::string &act = "relu") {
    std::string w = "[";
    for (int o = 0; o < outs; ++o)
      w += (o ? "," : "") + row(ins, "0.25");
    w += "]";
    return R"({"weights":)" + w + R"(,"biases":)" + row(outs, "0") + R"(,"activation":")" + act +
           "\"}";
  };
  auto mlp = [](const std::vector<std::string> &layers, const std::string &link = "softmax") {
    std::string out = R"({"type":"mlp","link":")" + link + R"(","layers":[)";
    for (size_t i = 0; i < layers.size(); ++i)
      out += (i ? "," : "") + layers[i];
    return out + "]}";
  };
  ASSERT_PARSES(ok, mdoc(mlp({layer(16, 8), layer(3, 16, "identity")}), "", eight));
  const ModelSpec &m = ok.spec<ModelSpec>();
  EXPECT_EQ(m.type, ModelType::Mlp);
  EXPECT_EQ(m.numFeatures, 8);
  EXPECT_EQ(m.numOutputs, 3);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].inputs, 8);
  EXPECT_EQ(m.layers[0].outputs, 16);
  EXPECT_EQ(m.layers[0].weights.size(), 128u);
  EXPECT_EQ(m.layers[0].activation, Activation::Relu);
  EXPECT_EQ(m.layers[1].inputs, 16);
  EXPECT_EQ(m.layers[1].outputs, 3);
  EXPECT_EQ(m.layers[1].activation, Activation::Identity);
  EXPECT_EQ(m.link, Link::Softmax);
  EXPECT_EQ(ok.outputNames(), (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  // Shapes chain: the first layer takes the features, each next one the
  // previous one's outputs.
  EXPECT_PARSE_ERROR(mdoc(mlp({layer(16, 7), layer(3, 16)}), "", eight),
                     "model.layers[0].weights[0]", "expected 8 numbers (one per feature), got 7");
  EXPECT_PARSE_ERROR(mdoc(mlp({layer(16, 8), layer(3, 15)}), "", eight),
                     "model.layers[1].weights[0]",
                     "expected 16 numbers (one per output of model.layers[0]), got 15");
  EXPECT_PARSE_ERROR(mdoc(mlp({layer(16, 8), layer(4, 16), layer(2, 16)}), "", eight),
                     "model.layers[2].weights[0]",
                     "expected 4 numbers (one per output of model.layers[1]), got 16");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0,0],"activation":"relu"})"})),
                     "model.layers[0].biases",
                     "expected 1 number (one per output: one per row of weights), got 2");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0],"activation":"gelu"})"})),
                     "model.layers[0].activation",
                     "unknown value 'gelu' (expected one of identity, relu, tanh, logistic)");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0],"activation":"Relu"})"})),
                     "model.layers[0].activation", "did you mean 'relu'?");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[0]})"})), "model.layers[0]",
                     "missing required key 'activation' (one of identity, relu, tanh, logistic)");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[],"biases":[],"activation":"relu"})"})),
                     "model.layers[0].weights", "expected a non-empty array of rows");
  EXPECT_PARSE_ERROR(mdoc(mlp({})), "model.layers",
                     "expected a non-empty array of layers {weights, biases, activation}");
  EXPECT_PARSE_ERROR(mdoc(mlp({"null"})), "model.layers[0]", "expected a layer object");
  EXPECT_PARSE_ERROR(
      mdoc(mlp({R"({"weights":[[1,2]],"biases":[0],"activation":"relu","dropout":0.1})"})),
      "model.layers[0]", "unknown key 'dropout'; a layer takes activation, biases, weights");
  EXPECT_PARSE_ERROR(mdoc(mlp({R"({"weights":[[1,2]],"biases":[1e999],"activation":"relu"})"})),
                     "model.layers[0].biases[0]", "expected a finite number");
}

TEST(ModelErrors, Output) {
  const std::string two = R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,0]})";
  const std::string twoArgmax =
      R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,0],"link":"argmax"})";
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"i64"})"), "output.type",
                     "expected one of f32, f64, got the string 'i64'");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({})"), "output", "missing required key 'type'");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, "[]"), "output", "expected an object");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","margins":true})"), "output",
                     "unknown key 'margins' (did you mean 'margin'?); output takes columns, "
                     "margin, type");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","margin":"yes"})"), "output.margin",
                     "expected true or false");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":["a"]})"), "output.columns",
                     "expected 2 column names (one per output), got 1");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":["a","a"]})"),
                     "output.columns[1]", "duplicate output column 'a' (also output.columns[0])");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":["a",""]})"),
                     "output.columns[1]", "expected a column name");
  EXPECT_PARSE_ERROR(mdoc(two, "", kXY, R"({"type":"f32","columns":"a"})"), "output.columns",
                     "expected an array of 2 column names (one per output)");
  EXPECT_PARSE_ERROR(mdoc(twoArgmax, "", kXY, R"({"type":"f32","columns":["a","b"]})"),
                     "output.columns",
                     "expected 1 column name (argmax outputs the class index), got 2");
  EXPECT_PARSE_ERROR(mdoc(twoArgmax, "", kXY, R"({"type":"f32","margin":true,"columns":["a"]})"),
                     "output.columns", "expected 2 column names (one per margin), got 1");
  ASSERT_PARSES(named, mdoc(twoArgmax, "", kXY, R"({"type":"f32","columns":["label"]})"));
  EXPECT_EQ(named.outputNames(), (std::vector<std::string>{"label"}));
}

TEST(ModelErrors, NonFiniteFromJsonValues) {
  using llvm::json::Array;
  using llvm::json::Object;
  auto make = [](llvm::json::Value model) {
    return llvm::json::Value(Object{{"specjit", 1},
                                    {"kind", "model"},
                                    {"inputs", Array{Object{{"name", "x"}, {"type", "f64"}}}},
                                    {"model", std::move(model)},
                                    {"output", Object{{"type", "f64"}}}});
  };
  // A weight matrix's row as a Value: `Array{Array{x}}` is a copy of the
  // inner array under C++'s list-initialization rules (clang applies them,
  // gcc 12 does not), `Array{row(Row{x})}` always the nested array.
  using Row = llvm::json::Array;
  auto row = [](Row r) { return llvm::json::Value(std::move(r)); };
  struct Case {
    llvm::json::Value model;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back(
      {Object{{"type", "linear"}, {"weights", Array{row(Row{NAN})}}, {"intercepts", Array{0}}},
       "model.weights[0][0]: expected a finite number, got NaN"});
  cases.push_back(
      {Object{{"type", "linear"}, {"weights", Array{row(Row{1})}}, {"intercepts", Array{INFINITY}}},
       "model.intercepts[0]: expected a finite number, got a number too large"});
  cases.push_back(
      {Object{{"type", "tree_ensemble"},
              {"num_outputs", 1},
              {"trees",
               Array{Object{
                   {"group", 0},
                   {"nodes",
                    Array{Object{{"feature", 0}, {"threshold", NAN}, {"left", 1}, {"right", 2}},
                          Object{{"leaf", 1}}, Object{{"leaf", 2}}}}}}}},
       "model.trees[0].nodes[0].threshold: expected a finite number, got NaN"});
  cases.push_back({Object{{"type", "tree_ensemble"},
                          {"num_outputs", 1},
                          {"trees", Array{Object{{"group", 0},
                                                 {"nodes", Array{Object{{"leaf", -INFINITY}}}}}}}},
                   "model.trees[0].nodes[0].leaf: expected a finite number"});
  cases.push_back(
      {Object{{"type", "tree_ensemble"},
              {"num_outputs", 1},
              {"base_score", Array{NAN}},
              {"trees", Array{Object{{"group", 0}, {"nodes", Array{Object{{"leaf", 1}}}}}}}},
       "model.base_score[0]: expected a finite number, got NaN"});
  cases.push_back({Object{{"type", "mlp"},
                          {"layers", Array{Object{{"weights", Array{row(Row{1})}},
                                                  {"biases", Array{NAN}},
                                                  {"activation", "tanh"}}}}},
                   "model.layers[0].biases[0]: expected a finite number, got NaN"});
  for (Case &c : cases) {
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(make(std::move(c.model)));
    ASSERT_FALSE(static_cast<bool>(d)) << c.message;
    std::string err = llvm::toString(d.takeError());
    EXPECT_EQ(err.find(c.message), 0u) << err;
  }
  // The same document built in C++ and written as text: one hash.
  llvm::Expected<Descriptor> g = Descriptor::fromJSON(make(
      Object{{"type", "linear"}, {"weights", Array{row(Row{1.5})}}, {"intercepts", Array{-2}}}));
  ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
  ASSERT_PARSES(t, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                   R"("model":{"type":"linear","weights":[[1.5]],"intercepts":[-2]},)"
                   R"("output":{"type":"f64"}})");
  EXPECT_EQ(g->hash(), t.hash());
  EXPECT_EQ(g->kind(), Kind::Model);
}

TEST(ModelAnalysis, Defaults) {
  ASSERT_PARSES(d, mdoc(ensemble({stump(), tree(0, {leaf("0.25")})})));
  EXPECT_EQ(d.kind(), Kind::Model);
  const ModelSpec &m = d.spec<ModelSpec>();
  EXPECT_EQ(m.type, ModelType::TreeEnsemble);
  EXPECT_EQ(m.numFeatures, 2);
  EXPECT_EQ(m.numOutputs, 1);
  EXPECT_EQ(m.baseScore, (std::vector<double>{0.0}));
  EXPECT_FALSE(m.average);
  EXPECT_FALSE(m.float32);
  EXPECT_EQ(m.link, Link::Identity);
  EXPECT_FALSE(m.margin);
  EXPECT_EQ(m.outputType, DType::F64);
  ASSERT_EQ(m.trees.size(), 2u);
  EXPECT_EQ(m.trees[0].group, 0);
  const TreeNode &root = m.trees[0].nodes[0];
  EXPECT_EQ(root.feature, 0);
  EXPECT_EQ(root.threshold, 0.5);
  EXPECT_EQ(root.left, 1);
  EXPECT_EQ(root.right, 2);
  EXPECT_TRUE(root.defaultLeft);
  EXPECT_EQ(m.trees[0].nodes[1].feature, -1);
  EXPECT_EQ(m.trees[0].nodes[1].leaf, -1.0);
  EXPECT_EQ(d.outputNames(), (std::vector<std::string>{"prediction"}));
  EXPECT_EQ(d.numOutputs(), 1u);
  EXPECT_EQ(d.outputType(), DType::F64);
  ASSERT_EQ(d.inputs().size(), 2u);
  EXPECT_EQ(d.inputs()[1].name, "y");
  EXPECT_TRUE(m.weights.empty());
  EXPECT_TRUE(m.layers.empty());
  // default_left false is kept.
  ASSERT_PARSES(right, mdoc(ensemble({tree(0, {split(1, "0", 1, 2, R"(,"default_left":false)"),
                                               leaf("1"), leaf("2")})})));
  EXPECT_FALSE(right.spec<ModelSpec>().trees[0].nodes[0].defaultLeft);
  EXPECT_EQ(right.spec<ModelSpec>().trees[0].nodes[0].feature, 1);

  // Output names by link and margin.
  struct Case {
    int outputs;
    std::string link;
    bool margin;
    std::vector<std::string> names;
  };
  std::vector<Case> cases = {
      {1, "identity", false, {"prediction"}},
      {1, "logistic", false, {"prediction"}},
      {1, "softmax", false, {"prediction"}}, // allowed with one output
      {1, "argmax", false, {"class"}},       // allowed with one output
      {3, "identity", false, {"class_0", "class_1", "class_2"}},
      {3, "softmax", false, {"class_0", "class_1", "class_2"}},
      {3, "argmax", false, {"class"}},
      {3, "argmax", true, {"class_0", "class_1", "class_2"}},
      {3, "logistic", true, {"class_0", "class_1", "class_2"}},
      {1, "argmax", true, {"prediction"}},
  };
  for (const Case &c : cases) {
    std::vector<std::string> trees;
    for (int k = 0; k < c.outputs; ++k)
      trees.push_back(tree(k, {leaf(std::to_string(k))}));
    std::string text =
        mdoc(ensemble(trees, R"(,"link":")" + c.link + "\"", c.outputs), "", kXY,
             std::string(R"({"type":"f32","margin":)") + (c.margin ? "true" : "false") + "}");
    ASSERT_PARSES(e, text);
    EXPECT_EQ(e.outputNames(), c.names) << text;
    EXPECT_EQ(e.spec<ModelSpec>().numOutputs, c.outputs);
    EXPECT_EQ(e.spec<ModelSpec>().margin, c.margin);
    EXPECT_EQ(e.spec<ModelSpec>().baseScore.size(), static_cast<size_t>(c.outputs));
    EXPECT_EQ(e.outputType(), DType::F32);
    EXPECT_EQ(linkName(e.spec<ModelSpec>().link), c.link);
  }
  // Linear: intercepts and weights; its numOutputs is its rows.
  ASSERT_PARSES(lin,
                mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[3],"link":"logistic"})"));
  EXPECT_EQ(lin.spec<ModelSpec>().type, ModelType::Linear);
  EXPECT_EQ(lin.spec<ModelSpec>().weights, (std::vector<double>{1, 2}));
  EXPECT_EQ(lin.spec<ModelSpec>().intercepts, (std::vector<double>{3}));
  EXPECT_EQ(lin.spec<ModelSpec>().link, Link::Logistic);
  EXPECT_EQ(lin.spec<ModelSpec>().numOutputs, 1);
}

TEST(ModelAnalysis, FeatureOrder) {
  const std::string inputs =
      R"([{"name":"a","type":"f64"},{"name":"c","type":"i64","missing":-1},{"name":"b","type":"f32"}])";
  const std::string steps =
      R"("steps":[{"op":"one_hot","column":"c","categories":[7,9]},)"
      R"({"op":"expr","name":"ab","expr":"a * b"},{"op":"log1p","column":"a"}],)";
  auto lin = [](int n) {
    return R"({"type":"linear","weights":[)" + row(n, "1") + R"(],"intercepts":[0]})";
  };
  // Without steps or features: the inputs in order.
  ASSERT_PARSES(plain, mdoc(lin(3), "", inputs));
  EXPECT_EQ(plain.spec<ModelSpec>().pipeline.plan.outputNames,
            (std::vector<std::string>{"a", "c", "b"}));
  EXPECT_EQ(plain.spec<ModelSpec>().pipeline.plan.outputs, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(plain.spec<ModelSpec>().numFeatures, 3);
  EXPECT_TRUE(plain.spec<ModelSpec>().pipeline.outputColumns.empty());
  // With steps: every current column after the last step, in order (one_hot
  // expands in place, expr appends).
  ASSERT_PARSES(stepped, mdoc(lin(5), steps, inputs));
  const Plan &plan = stepped.spec<ModelSpec>().pipeline.plan;
  EXPECT_EQ(plan.outputNames, (std::vector<std::string>{"a", "c=7", "c=9", "b", "ab"}));
  ASSERT_EQ(plan.outputs.size(), 5u);
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    EXPECT_EQ(plan.values[plan.outputs[i]].name, plan.outputNames[i]);
  EXPECT_EQ(plan.nodes.size(), 3u);
  EXPECT_EQ(stepped.spec<ModelSpec>().pipeline.steps.size(), 3u);
  // a is the log1p result, not the input.
  EXPECT_EQ(plan.outputs[0], plan.nodes[2].results[0]);
  EXPECT_EQ(stepped.spec<ModelSpec>().numFeatures, 5);
  EXPECT_EQ(stepped.inputs().size(), 3u);
  // With features: that order, a subset.
  ASSERT_PARSES(listed, mdoc(lin(3), steps + R"("features":["ab","c=9","a"],)", inputs));
  const Plan &lp = listed.spec<ModelSpec>().pipeline.plan;
  EXPECT_EQ(lp.outputNames, (std::vector<std::string>{"ab", "c=9", "a"}));
  EXPECT_EQ(lp.outputs[0], plan.outputs[4]);
  EXPECT_EQ(lp.outputs[1], plan.outputs[2]);
  EXPECT_EQ(lp.outputs[2], plan.outputs[0]);
  EXPECT_EQ(listed.spec<ModelSpec>().pipeline.outputColumns, lp.outputNames);
  EXPECT_EQ(listed.spec<ModelSpec>().numFeatures, 3);
  // Tree feature indices refer to that order.
  ASSERT_PARSES(t, mdoc(ensemble({tree(0, {split(2, "0", 1, 2), leaf("1"), leaf("2")})}),
                        steps + R"("features":["ab","c=9","a"],)", inputs));
  EXPECT_EQ(
      t.spec<ModelSpec>().pipeline.plan.outputNames[t.spec<ModelSpec>().trees[0].nodes[0].feature],
      "a");
  EXPECT_PARSE_ERROR(mdoc(ensemble({tree(0, {split(3, "0", 1, 2), leaf("1"), leaf("2")})}),
                          steps + R"("features":["ab","c=9","a"],)", inputs),
                     "model.trees[0].nodes[0].feature",
                     "feature 3 out of range (the model has 3 features)");
  // The features of a model are the outputs of the same pipeline with
  // output.columns = features.
  ASSERT_PARSES(pipe, doc(inputs,
                          R"([{"op":"one_hot","column":"c","categories":[7,9]},)"
                          R"({"op":"expr","name":"ab","expr":"a * b"},)"
                          R"({"op":"log1p","column":"a"}])",
                          R"({"type":"f64","columns":["ab","c=9","a"]})"));
  EXPECT_EQ(pipe.spec<PipelineSpec>().plan.outputs, lp.outputs);
  EXPECT_EQ(pipe.spec<PipelineSpec>().plan.outputNames, lp.outputNames);
  EXPECT_EQ(pipe.spec<PipelineSpec>().plan.values.size(), lp.values.size());
}

TEST(ModelCanonical, ExactText) {
  ASSERT_PARSES(d,
                R"({"name":"n","output":{"type":"f32"},"specjit":1,"kind":"model",)"
                R"("inputs":[{"type":"f64","name":"x"},{"name":"c","type":"i32","missing":-1}],)"
                R"("steps":[{"op":"standardize","column":"x","std":2.0,"mean":1e0}],)"
                R"("model":{"type":"tree_ensemble","num_outputs":1.0,"link":"logistic","trees":[)"
                R"({"group":0,"nodes":[{"threshold":0.50,"feature":1,"right":2,"left":1,)"
                R"("default_left":false},{"leaf":-0.0},{"leaf":1.5e-7}]}]}})");
  EXPECT_EQ(d.canonical(),
            R"({"features":["x","c"],"inputs":[{"name":"x","type":"f64"},)"
            R"({"missing":-1,"name":"c","type":"i32"}],"kind":"model","model":{"average":false,)"
            R"("base_score":[0],"float32":false,"link":"logistic","num_outputs":1,"trees":[)"
            R"({"default_left":[0,0,0],"feature":[1,-1,-1],"group":0,"leaf":[0,-0.0,1.5e-07],)"
            R"("left":[1,-1,-1],"right":[2,-1,-1],"threshold":[0.5,0,0]}],"type":"tree_ensemble"},)"
            R"("output":{"columns":["prediction"],"margin":false,"type":"f32"},"specjit":1,)"
            R"("steps":[{"column":"x","mean":1,"op":"standardize","std":2}]})");
  EXPECT_EQ(d.hash().hex(), "24a97dfad6a4c0da08222662485bffb9");
  // The same tree written as columns (keys in any order, default_left as a
  // boolean, ignored entries nonzero) has the same canonical text; a split
  // that sends NaN left is written 1.
  ASSERT_PARSES(c,
                R"({"name":"n","output":{"type":"f32"},"specjit":1,"kind":"model",)"
                R"("inputs":[{"type":"f64","name":"x"},{"name":"c","type":"i32","missing":-1}],)"
                R"("steps":[{"op":"standardize","column":"x","std":2.0,"mean":1e0}],)"
                R"("model":{"type":"tree_ensemble","num_outputs":1.0,"link":"logistic","trees":[)"
                R"({"leaf":[7,-0.0,1.5e-7],"threshold":[0.50,3,-4],"group":0,"feature":[1,-1,-1],)"
                R"("right":[2,-1,-1],"left":[1,-1,-1],"default_left":[false,true,1]}]}})");
  EXPECT_EQ(c.canonical(), d.canonical());
  EXPECT_EQ(c.hash(), d.hash());
  ASSERT_PARSES(left, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                      R"("model":{"type":"tree_ensemble","num_outputs":1,"trees":[)"
                      R"({"group":0,"nodes":[{"feature":0,"threshold":1,"left":1,"right":2},)"
                      R"({"leaf":1},{"leaf":2}]}]},"output":{"type":"f64"}})");
  EXPECT_NE(left.canonical().find(R"("trees":[{"default_left":[1,0,0],"feature":[0,-1,-1],)"
                                  R"("group":0,"leaf":[0,1,2],"left":[1,-1,-1],)"
                                  R"("right":[2,-1,-1],"threshold":[1,0,0]}])"),
            std::string::npos)
      << left.canonical();
  ASSERT_PARSES(l, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                   R"("model":{"type":"linear","weights":[[2],[-3]],"intercepts":[0.5,1]},)"
                   R"("output":{"type":"f64","margin":true}})");
  EXPECT_EQ(
      l.canonical(),
      R"({"features":["x"],"inputs":[{"name":"x","type":"f64"}],"kind":"model",)"
      R"("model":{"intercepts":[0.5,1],"link":"identity","type":"linear","weights":[[2],[-3]]},)"
      R"("output":{"columns":["class_0","class_1"],"margin":true,"type":"f64"},"specjit":1,)"
      R"("steps":[]})");
  EXPECT_EQ(l.hash().hex(), "9a300714b2f5eeff456c416cb0ece85c");
  ASSERT_PARSES(m, R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
                   R"("model":{"type":"mlp","link":"argmax","layers":[)"
                   R"({"weights":[[1],[2]],"biases":[0,0],"activation":"tanh"},)"
                   R"({"activation":"identity","biases":[1],"weights":[[3,4]]}]},)"
                   R"("output":{"type":"f64"}})");
  EXPECT_EQ(m.canonical(),
            R"({"features":["x"],"inputs":[{"name":"x","type":"f64"}],"kind":"model",)"
            R"("model":{"layers":[{"activation":"tanh","biases":[0,0],"weights":[[1],[2]]},)"
            R"({"activation":"identity","biases":[1],"weights":[[3,4]]}],"link":"argmax",)"
            R"("type":"mlp"},"output":{"columns":["class"],"margin":false,"type":"f64"},)"
            R"("specjit":1,"steps":[]})");
  EXPECT_EQ(m.hash().hex(), "5dd3f12c57d1aedd67e94c3a76be6ea7");
}

TEST(ModelCanonical, StepsAsThePipelineFamilyWritesThem) {
  const std::string inputs =
      R"([{"name":"a","type":"f64"},{"name":"s","type":"string"},{"name":"n","type":"i64","missing":0}])";
  const std::string steps =
      R"([{"op":"label_encode","column":"s","mapping":{"z":2,"y":1},"default":-1.0},)"
      R"({"op":"impute","column":"n","value":3},{"op":"clip","column":"a","max":1e1},)"
      R"({"op":"polynomial","columns":["a","n"],"degree":2},)"
      R"({"op":"expr","name":"e","expr":"((a)) + `a n`*2"},)"
      R"({"op":"bucketize","column":"s","edges":[0.5,1.5]}])";
  ASSERT_PARSES(p, doc(inputs, steps));
  std::string lin = R"({"type":"linear","weights":[)" + row(static_cast<int>(p.numOutputs()), "1") +
                    R"(],"intercepts":[0]})";
  ASSERT_PARSES(m, mdoc(lin, R"("steps":)" + steps + ",", inputs));
  auto stepsOf = [](const std::string &canonical) {
    size_t at = canonical.find("\"steps\":");
    return at == std::string::npos ? std::string() : canonical.substr(at);
  };
  std::string ps = stepsOf(p.canonical()), ms = stepsOf(m.canonical());
  ASSERT_FALSE(ps.empty());
  EXPECT_EQ(ms, ps); // "steps" is the last key of both
  EXPECT_EQ(m.spec<ModelSpec>().pipeline.plan.outputNames, p.spec<PipelineSpec>().plan.outputNames);
  EXPECT_EQ(m.spec<ModelSpec>().numFeatures, static_cast<int32_t>(p.numOutputs()));
}

TEST(ModelHash, Invariance) {
  const std::string base =
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"nodes":[{"feature":0,"threshold":0.5,"left":1,"right":2},{"leaf":-1},{"leaf":1}]},)"
      R"({"group":1,"nodes":[{"leaf":2}]}]},"output":{"type":"f32"}})";
  std::vector<std::string> same = {
      // name, spacing, key order
      R"({"name":"whatever","specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"nodes":[{"feature":0,"threshold":0.5,"left":1,"right":2},{"leaf":-1},{"leaf":1}]},)"
      R"({"group":1,"nodes":[{"leaf":2}]}]},"output":{"type":"f32"}})",
      R"({ "output" : { "type" : "f32" }, "model" : { "trees" : [)"
      R"({ "nodes" : [ { "right" : 2, "left" : 1, "threshold" : 0.5, "feature" : 0 }, { "leaf" : -1 }, { "leaf" : 1 } ], "group" : 0 },)"
      R"({"nodes":[{"leaf":2}],"group":1}], "num_outputs" : 2, "type" : "tree_ensemble" },)"
      R"( "inputs" : [ { "type" : "f64", "name" : "x" }, { "type" : "f64", "name" : "y" } ], "kind" : "model", "specjit" : 1 })",
      // defaults written out; number spellings
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("steps":[],"features":["x","y"],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2.0,"base_score":[0,0.0],"average":false,)"
      R"("float32":false,"link":"identity","trees":[)"
      R"({"group":0,"nodes":[{"feature":0,"threshold":5e-1,"left":1,"right":2,"default_left":true},)"
      R"({"leaf":-1.0},{"leaf":1E0}]},)"
      R"({"group":1.0,"nodes":[{"leaf":2}]}]},)"
      R"("output":{"type":"f32","margin":false,"columns":["class_0","class_1"]}})",
      // columns, mixed with node objects or not; unused entries are ignored
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"feature":[0,-1,-1],"threshold":[0.5,0,0],"left":[1,-1,-1],"right":[2,-1,-1],)"
      R"("default_left":[1,0,0],"leaf":[0,-1,1]},)"
      R"({"group":1,"nodes":[{"leaf":2}]}]},"output":{"type":"f32"}})",
      R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"},{"name":"y","type":"f64"}],)"
      R"("model":{"type":"tree_ensemble","num_outputs":2,"trees":[)"
      R"({"group":0,"feature":[0,-1,-1],"threshold":[5e-1,-3,1e300],"left":[1,-1,-1],)"
      R"("right":[2,-1,-1],"default_left":[true,true,false],"leaf":[42,-1.0,1]},)"
      R"({"leaf":[2],"default_left":[0],"right":[-1],"left":[-1],"threshold":[0],"feature":[-1],)"
      R"("group":1}]},"output":{"type":"f32"}})",
  };
  ASSERT_PARSES(b, base);
  for (const std::string &text : same) {
    ASSERT_PARSES(d, text);
    EXPECT_EQ(d.canonical(), b.canonical()) << text;
    EXPECT_EQ(d.hash(), b.hash());
  }
  // The same for the other model types.
  ASSERT_PARSES(l1, mdoc(R"({"type":"linear","weights":[[1,2]],"intercepts":[0]})"));
  ASSERT_PARSES(
      l2, mdoc(R"({"intercepts":[0.0],"link":"identity","weights":[[1.0,2e0]],"type":"linear"})",
               R"("features":["x","y"],"name":"lin",)", kXY,
               R"({"type":"f64","columns":["prediction"],"margin":false})"));
  EXPECT_EQ(l1.hash(), l2.hash());
  ASSERT_PARSES(
      m1,
      mdoc(R"({"type":"mlp","layers":[{"weights":[[1,2]],"biases":[0],"activation":"relu"}]})"));
  ASSERT_PARSES(
      m2,
      mdoc(
          R"({"layers":[{"activation":"relu","biases":[0e5],"weights":[[1.00,20e-1]]}],"type":"mlp","link":"identity"})"));
  EXPECT_EQ(m1.hash(), m2.hash());
}

TEST(ModelHash, Sensitivity) {
  auto tdoc = [](const std::string &modelExtra, const std::string &node0,
                 const std::string &leaf2 = "1", const std::string &output = R"({"type":"f32"})",
                 const std::string &extra = "") {
    return mdoc(R"({"type":"tree_ensemble","num_outputs":2)" + modelExtra +
                    R"(,"trees":[)"
                    R"({"group":0,"nodes":[)" +
                    node0 + R"(,{"leaf":-1},{"leaf":)" + leaf2 +
                    "}]},"
                    R"({"group":1,"nodes":[{"leaf":2}]}]})",
                extra, kXY, output);
  };
  const std::string n0 = R"({"feature":0,"threshold":0.5,"left":1,"right":2})";
  std::vector<std::string> variants = {
      tdoc("", n0),
      tdoc("", R"({"feature":0,"threshold":0.25,"left":1,"right":2})"),
      tdoc("", R"({"feature":1,"threshold":0.5,"left":1,"right":2})"),
      tdoc("", R"({"feature":0,"threshold":0.5,"left":1,"right":2,"default_left":false})"),
      tdoc("", R"({"feature":0,"threshold":-0.0,"left":1,"right":2})"),
      tdoc("", R"({"feature":0,"threshold":0,"left":1,"right":2})"),
      tdoc("", n0, "1.0000000000000002"),
      tdoc("", n0, "-0.0"),
      tdoc(R"(,"base_score":[0,1])", n0),
      tdoc(R"(,"average":true)", n0),
      tdoc(R"(,"float32":true)", n0),
      tdoc(R"(,"link":"logistic")", n0),
      tdoc(R"(,"link":"softmax")", n0),
      tdoc(R"(,"link":"argmax")", n0),
      tdoc("", n0, "1", R"({"type":"f64"})"),
      tdoc("", n0, "1", R"({"type":"f32","margin":true})"),
      tdoc("", n0, "1", R"({"type":"f32","columns":["a","b"]})"),
      tdoc("", n0, "1", R"({"type":"f32"})", R"("features":["y","x"],)"),
      tdoc("", n0, "1", R"({"type":"f32"})", R"("steps":[{"op":"log","column":"x"}],)"),
      tdoc("", n0, "1", R"({"type":"f32"})", R"("steps":[{"op":"log1p","column":"x"}],)"),
      // trees swapped (groups swapped with them)
      mdoc(R"({"type":"tree_ensemble","num_outputs":2,"trees":[{"group":1,"nodes":[{"leaf":2}]},)"
           R"({"group":0,"nodes":[)" +
               n0 + R"(,{"leaf":-1},{"leaf":1}]}]})",
           "", kXY, R"({"type":"f32"})"),
      // children swapped
      mdoc(R"({"type":"tree_ensemble","num_outputs":2,"trees":[{"group":0,"nodes":[)"
           R"({"feature":0,"threshold":0.5,"left":2,"right":1},{"leaf":-1},{"leaf":1}]},)"
           R"({"group":1,"nodes":[{"leaf":2}]}]})",
           "", kXY, R"({"type":"f32"})"),
      // inputs typed differently
      mdoc(R"({"type":"tree_ensemble","num_outputs":2,"trees":[{"group":0,"nodes":[)" + n0 +
               R"(,{"leaf":-1},{"leaf":1}]},{"group":1,"nodes":[{"leaf":2}]}]})",
           "", R"([{"name":"x","type":"f32"},{"name":"y","type":"f64"}])", R"({"type":"f32"})"),
      // linear and MLP with the same numbers
      mdoc(R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,0]})", "", kXY,
           R"({"type":"f32"})"),
      mdoc(R"({"type":"linear","weights":[[1,2],[3,4]],"intercepts":[0,1]})", "", kXY,
           R"({"type":"f32"})"),
      mdoc(R"({"type":"linear","weights":[[1,2],[4,3]],"intercepts":[0,0]})", "", kXY,
           R"({"type":"f32"})"),
      mdoc(
          R"({"type":"mlp","layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"identity"}]})",
          "", kXY, R"({"type":"f32"})"),
      mdoc(
          R"({"type":"mlp","layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"relu"}]})",
          "", kXY, R"({"type":"f32"})"),
      mdoc(
          R"({"type":"mlp","layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"identity"},)"
          R"({"weights":[[1,0],[0,1]],"biases":[0,0],"activation":"identity"}]})",
          "", kXY, R"({"type":"f32"})"),
  };
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  for (const std::string &v : variants) {
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
  }
  EXPECT_EQ(hashes.size(), variants.size());
}

TEST(ModelCanonical, RoundTrip) {
  std::vector<std::string> texts = {
      readSourceFile("examples/model_logistic.json"),
      readSourceFile("examples/model_trees.json"),
      readSourceFile("examples/model_mlp.json"),
      mdoc(ensemble({stump(), tree(1, {split(1, "-1e300", 1, 2, R"(,"default_left":false)"),
                                       leaf("-0.0"), leaf("1e-300")})},
                    R"(,"average":true,"base_score":[0.1,-0.2],"link":"softmax")", 2),
           R"("steps":[{"op":"clip","column":"y","min":-1}],"features":["y","x"],)", kXY,
           R"({"type":"f64","margin":true,"columns":["a b","c\"d"]})"),
      mdoc(R"({"type":"linear","weights":[[1e-7,-2.5]],"intercepts":[1e20],"link":"argmax"})"),
  };
  for (const std::string &text : texts) {
    ASSERT_PARSES(d, text);
    ASSERT_PARSES(again, d.canonical());
    EXPECT_EQ(again.canonical(), d.canonical()) << text;
    EXPECT_EQ(again.hash(), d.hash());
    EXPECT_EQ(again.kind(), Kind::Model);
    EXPECT_EQ(again.outputNames(), d.outputNames());
    EXPECT_TRUE(static_cast<bool>(llvm::json::parse(d.canonical())));
    EXPECT_EQ(d.canonical().find('\n'), std::string::npos);
    const ModelSpec &a = d.spec<ModelSpec>(), &b = again.spec<ModelSpec>();
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.numFeatures, b.numFeatures);
    EXPECT_EQ(a.numOutputs, b.numOutputs);
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.intercepts, b.intercepts);
    EXPECT_EQ(a.baseScore, b.baseScore);
    EXPECT_EQ(a.link, b.link);
    EXPECT_EQ(a.margin, b.margin);
    EXPECT_EQ(a.average, b.average);
    EXPECT_EQ(a.float32, b.float32);
    EXPECT_EQ(a.pipeline.plan.outputs, b.pipeline.plan.outputs);
    EXPECT_EQ(a.pipeline.plan.outputNames, b.pipeline.plan.outputNames);
    ASSERT_EQ(a.trees.size(), b.trees.size());
    for (size_t t = 0; t < a.trees.size(); ++t)
      expectSameTree(a.trees[t], b.trees[t]);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (size_t l = 0; l < a.layers.size(); ++l) {
      EXPECT_EQ(a.layers[l].weights, b.layers[l].weights);
      EXPECT_EQ(a.layers[l].biases, b.layers[l].biases);
      EXPECT_EQ(a.layers[l].activation, b.layers[l].activation);
      EXPECT_EQ(a.layers[l].inputs, b.layers[l].inputs);
      EXPECT_EQ(a.layers[l].outputs, b.layers[l].outputs);
    }
  }
}

TEST(ModelFiles, Examples) {
  auto load = [](const char *file) {
    return Descriptor::fromFile(std::string(SPECJIT_SOURCE_DIR) + "/examples/" + file);
  };
  llvm::Expected<Descriptor> lg = load("model_logistic.json");
  ASSERT_TRUE(static_cast<bool>(lg)) << llvm::toString(lg.takeError());
  const ModelSpec &l = lg->spec<ModelSpec>();
  EXPECT_EQ(l.type, ModelType::Linear);
  EXPECT_EQ(l.numFeatures, 4);
  EXPECT_EQ(l.numOutputs, 1);
  EXPECT_EQ(l.link, Link::Logistic);
  EXPECT_TRUE(
      llvm::any_of(l.pipeline.steps, [](const Step &s) { return s.op == StepOp::Standardize; }));
  EXPECT_EQ(lg->numOutputs(), 1u);

  llvm::Expected<Descriptor> tr = load("model_trees.json");
  ASSERT_TRUE(static_cast<bool>(tr)) << llvm::toString(tr.takeError());
  const ModelSpec &t = tr->spec<ModelSpec>();
  EXPECT_EQ(t.type, ModelType::TreeEnsemble);
  EXPECT_EQ(t.trees.size(), 3u);
  EXPECT_TRUE(t.float32);
  EXPECT_EQ(t.link, Link::Logistic);
  EXPECT_EQ(t.numOutputs, 1);
  std::set<bool> directions;
  for (const Tree &tree : t.trees) {
    // Depth 2 or 3 (iteratively: children follow their parent).
    std::vector<int> depth(tree.nodes.size(), 0);
    int deepest = 0;
    for (size_t i = 0; i < tree.nodes.size(); ++i) {
      const TreeNode &n = tree.nodes[i];
      if (n.feature < 0) {
        deepest = std::max(deepest, depth[i]);
        continue;
      }
      directions.insert(n.defaultLeft);
      depth[n.left] = depth[n.right] = depth[i] + 1;
    }
    EXPECT_GE(deepest, 2);
    EXPECT_LE(deepest, 3);
  }
  EXPECT_EQ(directions.size(), 2u) << "NaN goes left in some splits, right in others";

  llvm::Expected<Descriptor> mp = load("model_mlp.json");
  ASSERT_TRUE(static_cast<bool>(mp)) << llvm::toString(mp.takeError());
  const ModelSpec &m = mp->spec<ModelSpec>();
  EXPECT_EQ(m.type, ModelType::Mlp);
  EXPECT_EQ(m.numFeatures, 8);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].outputs, 16);
  EXPECT_EQ(m.layers[0].activation, Activation::Relu);
  EXPECT_EQ(m.layers[1].outputs, 3);
  EXPECT_EQ(m.link, Link::Softmax);
  EXPECT_EQ(mp->numOutputs(), 3u);
  std::set<double> distinct(m.layers[0].weights.begin(), m.layers[0].weights.end());
  EXPECT_GT(distinct.size(), 100u) << "pseudo-random weights";
}

TEST(ModelRobustness, EveryPrefixOfTheExamplesIsAnError) {
  for (const char *file :
       {"examples/model_logistic.json", "examples/model_trees.json", "examples/model_mlp.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    size_t end = text.find_last_not_of(" \n\r\t");
    ASSERT_EQ(text[end], '}');
    for (size_t n = 0; n <= end; ++n) {
      llvm::Expected<Descriptor> d = Descriptor::parse(StringRef(text).take_front(n));
      EXPECT_FALSE(static_cast<bool>(d)) << file << " " << n;
      if (!d)
        EXPECT_FALSE(llvm::toString(d.takeError()).empty());
    }
  }
}

TEST(ModelRobustness, MutationsNeverCrash) {
  std::mt19937 rng(4242);
  const char alphabet[] = "{}[]\",:0123-.eE aZ\\ul";
  for (const char *file :
       {"examples/model_logistic.json", "examples/model_trees.json", "examples/model_mlp.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    EXPECT_GT(checkMutations(rng, text, alphabet, 1500), 0) << file;
  }
}

TEST(ModelRobustness, LargeEnsembleParsesQuickly) {
  // 750 complete trees of depth 6 (127 nodes each: 95250 nodes), splits
  // over 50 features, and one degenerate tree, a chain 2400 splits deep:
  // 100051 nodes. (Text documents hold at most 131072 JSON objects, one per
  // node: the limit below.)
  std::string trees;
  trees.reserve(8u << 20);
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int t = 0; t < 750; ++t) {
    trees += R"({"group":0,"nodes":[)";
    for (int i = 0; i < 127; ++i) {
      if (i)
        trees += ',';
      if (i < 63)
        trees += split(static_cast<int>(next() % 50), std::to_string(next() % 1000) + ".5",
                       2 * i + 1, 2 * i + 2, (next() & 1) ? R"(,"default_left":false)" : "");
      else
        trees += leaf("0.0" + std::to_string(next() % 1000));
    }
    trees += "]},";
  }
  trees += R"({"group":0,"nodes":[)";
  const int chain = 2400;
  for (int i = 0; i < chain; ++i)
    trees += split(i % 50, "0", 2 * i + 1, 2 * i + 2) + "," + leaf("1") + ",";
  trees += leaf("2") + "]}";
  std::string text =
      mdoc(R"({"type":"tree_ensemble","num_outputs":1,"float32":true,"trees":[)" + trees + "]}", "",
           features(50));
  auto start = std::chrono::steady_clock::now();
  ASSERT_PARSES(d, text);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t nodes = 0;
  for (const Tree &t : d.spec<ModelSpec>().trees)
    nodes += t.nodes.size();
  EXPECT_EQ(nodes, 95250u + 2 * chain + 1);
  EXPECT_GE(nodes, 100000u);
  EXPECT_EQ(d.spec<ModelSpec>().trees.size(), 751u);
  // Linear work (quadratic would take hours); most of it is llvm::json.
  EXPECT_LT(seconds, 10.0);
  ASSERT_PARSES(again, d.canonical());
  EXPECT_EQ(again.hash(), d.hash());
  // The JSON object limit bounds text documents; an error, not a crash.
  std::string tooMany =
      mdoc(R"({"type":"tree_ensemble","num_outputs":1,"trees":[)" + trees + "," + trees + "]}", "",
           features(50));
  EXPECT_PARSE_ERROR(tooMany, "descriptor", "JSON objects");
}

TEST(ModelRobustness, ThousandDepth8TreesAsColumns) {
  // What 1,000 rounds of XGBoost at max_depth 8 can give: 1,000 complete
  // trees of 511 nodes (255 splits, 256 leaves; 511,000 nodes), f32
  // thresholds and leaves written as doubles with up to 17 digits (as the
  // importer writes them), over 50 features. As node objects that is
  // nearly 4x the JSON object limit; as columns it is about 1,000 objects
  // and 3.1M values (the limits: 131,072 and 8,388,608) in 17 MB of text
  // (the limit: 64 MiB).
  constexpr int kTrees = 1000, kNodes = 511, kSplits = 255;
  std::mt19937 rng(511);
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  auto number = [&] {
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", static_cast<double>(value(rng)));
    return std::string(buf);
  };
  std::string text = R"({"specjit":1,"kind":"model","inputs":)" + features(50) +
                     R"(,"model":{"type":"tree_ensemble","num_outputs":1,"float32":true,)"
                     R"("link":"logistic","trees":[)";
  text.reserve(32u << 20);
  for (int t = 0; t < kTrees; ++t) {
    std::string cols[6]; // feature, threshold, left, right, default_left, leaf
    for (int i = 0; i < kNodes; ++i) {
      const char *sep = i ? "," : "";
      bool split = i < kSplits; // breadth first: node i's children are 2i+1, 2i+2
      cols[0] += sep + std::to_string(split ? static_cast<int>(rng() % 50) : -1);
      cols[1] += sep + (split ? number() : "0");
      cols[2] += sep + std::to_string(split ? 2 * i + 1 : -1);
      cols[3] += sep + std::to_string(split ? 2 * i + 2 : -1);
      cols[4] += sep + std::string(split && rng() % 2 ? "1" : "0");
      cols[5] += sep + (split ? "0" : number());
    }
    text +=
        (t ? "," : "") + columns(0, "[" + cols[0] + "]", "[" + cols[1] + "]", "[" + cols[2] + "]",
                                 "[" + cols[3] + "]", "[" + cols[4] + "]", "[" + cols[5] + "]");
  }
  text += R"(]},"output":{"type":"f32"}})";
  EXPECT_LT(text.size(), kMaxDescriptorBytes / 2);

  auto start = std::chrono::steady_clock::now();
  ASSERT_PARSES(d, text);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[   INFO   ] 1000 x 511 nodes as columns: %.1f MB of text parsed in %.2f s\n",
              text.size() / 1e6, seconds);
  RecordProperty("parse_seconds", std::to_string(seconds));
  const ModelSpec &m = d.spec<ModelSpec>();
  ASSERT_EQ(m.trees.size(), static_cast<size_t>(kTrees));
  size_t nodes = 0, leaves = 0;
  for (const Tree &t : m.trees) {
    nodes += t.nodes.size();
    leaves += llvm::count_if(t.nodes, [](const TreeNode &n) { return n.feature < 0; });
  }
  EXPECT_EQ(nodes, 511000u);
  EXPECT_EQ(leaves, 256000u);
  const TreeNode &last = m.trees.back().nodes[kSplits - 1];
  EXPECT_EQ(last.left, 509);
  EXPECT_EQ(last.right, 510);
  // Linear work; most of it is llvm::json (measured: about 1 s, Release).
  EXPECT_LT(seconds, 10.0);
  ASSERT_PARSES(again, d.canonical());
  EXPECT_EQ(again.hash(), d.hash());
}

TEST(ModelFiles, SchemaDescribesEveryPropertyAndCopiesThePipelineSteps) {
  std::string text = readSourceFile("schemas/model.schema.json");
  llvm::Expected<llvm::json::Value> schema = llvm::json::parse(text);
  ASSERT_TRUE(static_cast<bool>(schema)) << llvm::toString(schema.takeError());
  const llvm::json::Object *root = schema->getAsObject();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->getString("$schema").value_or(""),
            "https://json-schema.org/draft/2020-12/schema");
  std::vector<std::pair<std::string, const llvm::json::Value *>> work = {{"", &*schema}};
  int objects = 0;
  while (!work.empty()) {
    auto [where, v] = work.back();
    work.pop_back();
    if (const llvm::json::Object *o = v->getAsObject()) {
      if (const llvm::json::Object *props = o->getObject("properties")) {
        bool conditional = StringRef(where).ends_with("/if") || StringRef(where).ends_with("/then");
        if (!conditional) {
          ++objects;
          const llvm::json::Value *ap = o->get("additionalProperties");
          EXPECT_TRUE(ap && ap->getAsBoolean() == false) << where;
          for (const auto &kv : *props) {
            const llvm::json::Object *p = kv.second.getAsObject();
            EXPECT_TRUE(p && p->getString("description")) << where << "/" << kv.first.str();
          }
        }
      }
      for (const auto &kv : *o)
        work.push_back({where + "/" + kv.first.str(), &kv.second});
    } else if (const llvm::json::Array *a = v->getAsArray()) {
      for (size_t i = 0; i < a->size(); ++i)
        work.push_back({where + "/" + std::to_string(i), &(*a)[i]});
    }
  }
  EXPECT_GE(objects, 20);
  const llvm::json::Object *defs = root->getObject("$defs");
  ASSERT_TRUE(defs);
  for (ModelType t : {ModelType::Linear, ModelType::TreeEnsemble, ModelType::Mlp}) {
    const llvm::json::Object *def = defs->getObject(modelTypeName(t));
    ASSERT_TRUE(def) << modelTypeName(t).str();
    EXPECT_EQ(def->getObject("properties")->getObject("type")->getString("const").value_or(""),
              modelTypeName(t));
  }
  // The inputs and steps are the pipeline family's: the definitions are
  // copies of pipeline.schema.json's and must not drift.
  llvm::Expected<llvm::json::Value> pipe =
      llvm::json::parse(readSourceFile("schemas/pipeline.schema.json"));
  ASSERT_TRUE(static_cast<bool>(pipe));
  const llvm::json::Object *pdefs = pipe->getAsObject()->getObject("$defs");
  ASSERT_TRUE(pdefs);
  int copied = 0;
  for (const auto &kv : *pdefs) {
    if (kv.first == "output")
      continue; // the model's output is its own
    const llvm::json::Value *mine = defs->get(kv.first);
    ASSERT_TRUE(mine) << kv.first.str();
    EXPECT_EQ(*mine, kv.second) << kv.first.str();
    ++copied;
  }
  EXPECT_GE(copied, 14);
  const llvm::json::Array *examples = root->getArray("examples");
  ASSERT_TRUE(examples && !examples->empty());
  for (const llvm::json::Value &ex : *examples) {
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(ex);
    EXPECT_TRUE(static_cast<bool>(d)) << (d ? "" : llvm::toString(d.takeError()));
  }
}

} // namespace
