//===- ModelReferenceTest.cpp - XGBoost import against XGBoost itself -----===//
//
// Two parts.
//
// 1. ModelReferenceTest: every test/data/models/xgb_*.json except
//    *.model.json (written by test/reference/gen_xgboost_reference.py) names
//    an XGBoost model file saved by Booster.save_model and holds inputs,
//    XGBoost's Booster.predict (`expected`) and its output_margin=True
//    result (`expected_margin`). For margin = false and margin = true, the
//    model is imported with importXGBoostJSON, parsed with
//    Descriptor::parse and compiled twice: specialize = true (the JIT; a
//    fallback to the interpreter is reported, and is a failure only when
//    the environment variable SPECJIT_REQUIRE_JIT is set to something other
//    than 0) and specialize = false (the interpreter). Both must match
//    XGBoost within the file's rtol/atol (plus one f32 rounding: the output
//    is f32); margins (and multi:softmax classes) must equal XGBoost's f32
//    values exactly, since `float32: true` promises XGBoost's arithmetic.
//    JIT and interpreter must agree bit for bit, within 4 ulp where the
//    link calls exp (logistic, softmax) and the output is not the margin.
//
// 2. XGBoostImport: the importer on small synthesized documents: the
//    produced descriptor (links, base scores in margin space, renumbered
//    nodes, options), every unsupported-feature error path (each error must
//    name the JSON path of the fault), and the round trip import -> parse
//    -> canonical -> parse.
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

#include "KernelArgs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace specjit;
using namespace specjit::jit;
namespace json = llvm::json;

namespace {

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

std::string modelsDir() { return std::string(SPECJIT_SOURCE_DIR) + "/test/data/models"; }

std::optional<std::string> readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  return (*buffer)->getBuffer().str();
}

/// Reference cases: xgb_*.json files that are not *.model.json, sorted. (Other
/// files in the directory, e.g. the scikit-learn exporter's sk_*.json, hold
/// descriptors and are tested elsewhere.)
std::vector<std::string> modelCaseFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(modelsDir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.starts_with("xgb_") && name.ends_with(".json") && !name.ends_with(".model.json"))
      files.push_back(name.str());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool requireJit() {
  const char *v = std::getenv("SPECJIT_REQUIRE_JIT");
  return v && *v && llvm::StringRef(v) != "0";
}

using specjit_test::jsonDouble;

/// Distance in f32 units in the last place (finite values).
uint64_t ulpsF32(float a, float b) {
  auto key = [](float x) {
    uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return (u & 0x80000000u) ? uint32_t(~u) : uint32_t(u | 0x80000000u);
  };
  uint32_t ka = key(a), kb = key(b);
  return ka > kb ? ka - kb : kb - ka;
}

bool sameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

//===----------------------------------------------------------------------===//
// Part 1: the reference cases
//===----------------------------------------------------------------------===//

struct ModelCase {
  std::string file;
  std::string modelText;
  std::map<std::string, std::vector<float>> inputs; // JSON double -> f32
  int64_t rows = 0;
  std::vector<std::string> columns, columnsMargin;
  std::vector<std::vector<double>> expected, expectedMargin;
  double rtol = 0.0, atol = 0.0;
};

std::string loadMatrix(const json::Object &top, llvm::StringRef key, size_t cols, int64_t rows,
                       std::vector<std::vector<double>> &out) {
  const json::Array *m = top.getArray(key);
  if (!m)
    return "missing \"" + key.str() + "\"";
  if (static_cast<int64_t>(m->size()) != rows)
    return key.str() + ": " + std::to_string(m->size()) + " rows, inputs have " +
           std::to_string(rows);
  for (size_t r = 0; r < m->size(); ++r) {
    const json::Array *row = (*m)[r].getAsArray();
    if (!row || row->size() != cols)
      return key.str() + "[" + std::to_string(r) + "]: expected " + std::to_string(cols) +
             " values";
    std::vector<double> values;
    for (const json::Value &v : *row) {
      auto d = jsonDouble(v);
      if (!d)
        return key.str() + "[" + std::to_string(r) + "]: bad value";
      values.push_back(*d);
    }
    out.push_back(std::move(values));
  }
  return "";
}

std::string loadStrings(const json::Object &top, llvm::StringRef key,
                        std::vector<std::string> &out) {
  const json::Array *a = top.getArray(key);
  if (!a)
    return "missing \"" + key.str() + "\"";
  for (const json::Value &v : *a) {
    auto s = v.getAsString();
    if (!s)
      return key.str() + ": expected strings";
    out.push_back(s->str());
  }
  return "";
}

/// Loads a case file and its model; returns an error message or "".
std::string loadModelCase(const std::string &file, ModelCase &mc) {
  mc.file = file;
  std::string path = modelsDir() + "/" + file;
  auto text = readFile(path);
  if (!text)
    return path + ": cannot read";
  auto doc = json::parse(*text);
  if (!doc)
    return path + ": " + llvm::toString(doc.takeError());
  const json::Object *top = doc->getAsObject();
  if (!top)
    return path + ": expected an object";
  auto modelFile = top->getString("model_file");
  if (!modelFile)
    return path + ": missing \"model_file\"";
  auto model = readFile(modelsDir() + "/" + modelFile->str());
  if (!model)
    return path + ": cannot read model file " + modelFile->str();
  mc.modelText = std::move(*model);

  const json::Object *inputs = top->getObject("inputs");
  if (!inputs)
    return path + ": missing \"inputs\"";
  mc.rows = -1;
  for (const auto &kv : *inputs) {
    const json::Array *values = kv.second.getAsArray();
    if (!values)
      return path + ": inputs." + kv.first.str() + ": expected an array";
    std::vector<float> col;
    for (size_t i = 0; i < values->size(); ++i) {
      auto d = jsonDouble((*values)[i]);
      if (!d)
        return path + ": inputs." + kv.first.str() + "[" + std::to_string(i) +
               "]: expected a number or null";
      col.push_back(static_cast<float>(*d));
    }
    if (mc.rows >= 0 && static_cast<int64_t>(col.size()) != mc.rows)
      return path + ": inputs." + kv.first.str() + ": row count differs";
    mc.rows = static_cast<int64_t>(col.size());
    mc.inputs[kv.first.str()] = std::move(col);
  }
  std::string err;
  if (!(err = loadStrings(*top, "columns", mc.columns)).empty() ||
      !(err = loadStrings(*top, "columns_margin", mc.columnsMargin)).empty() ||
      !(err = loadMatrix(*top, "expected", mc.columns.size(), mc.rows, mc.expected)).empty() ||
      !(err = loadMatrix(*top, "expected_margin", mc.columnsMargin.size(), mc.rows,
                         mc.expectedMargin))
           .empty())
    return path + ": " + err;
  auto rtol = top->getNumber("rtol");
  auto atol = top->getNumber("atol");
  if (!rtol || !atol || *rtol < 0 || *atol < 0)
    return path + ": \"rtol\" and \"atol\" must be non-negative numbers";
  mc.rtol = *rtol;
  mc.atol = *atol;
  return "";
}

/// Runs `k` on rows [begin, begin + n); f32 output. Error message or "".
std::string runModel(const Kernel &k, const Descriptor &d, const ModelCase &mc, int64_t begin,
                     int64_t n, std::vector<float> &out) {
  std::vector<Column> cols;
  for (const InputColumn &in : d.inputs()) {
    auto it = mc.inputs.find(in.name);
    if (it == mc.inputs.end())
      return "no input column '" + in.name + "' in the case";
    if (in.type != DType::F32)
      return "input '" + in.name + "' is not f32";
    cols.push_back(Column::f32(it->second.data() + begin, n));
  }
  if (k.outputType() != DType::F32)
    return "the output type is not f32";
  size_t width = k.numOutputs();
  out.assign(static_cast<size_t>(n) * width, std::numeric_limits<float>::max());
  Output o = Output::f32(out.data(), n, static_cast<int64_t>(width));
  if (llvm::Error err = k.run(cols, o))
    return llvm::toString(std::move(err));
  return "";
}

/// `got` (rows [begin, begin + rows) of the case) against XGBoost: within
/// tolerance, and bit for bit when `exact`.
void expectMatchesXGBoost(const ModelCase &mc, bool margin, const std::vector<float> &got,
                          int64_t begin, int64_t rows, bool exact, const std::string &what) {
  const auto &want = margin ? mc.expectedMargin : mc.expected;
  const auto &names = margin ? mc.columnsMargin : mc.columns;
  size_t cols = names.size();
  ASSERT_EQ(got.size(), static_cast<size_t>(rows) * cols) << what;
  double extraRel = std::numeric_limits<float>::epsilon();
  int64_t outside = 0, inexact = 0;
  int reported = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      double w = want[static_cast<size_t>(begin + r)][c];
      float h = got[static_cast<size_t>(r) * cols + c];
      bool ok = std::isnan(w) ? std::isnan(h)
                              : !std::isnan(h) && std::fabs(h - w) <=
                                                      mc.atol + (mc.rtol + extraRel) * std::fabs(w);
      bool bits = sameBits(h, static_cast<float>(w));
      outside += !ok;
      inexact += exact && !bits;
      if ((!ok || (exact && !bits)) && reported++ < 8)
        ADD_FAILURE() << what << ": row " << begin + r << ", column '" << names[c] << "': got " << h
                      << ", XGBoost " << w
                      << (ok ? " (within tolerance, but not bit for bit)" : "");
    }
  }
  EXPECT_EQ(outside, 0) << what << ": values outside rtol " << mc.rtol << " / atol " << mc.atol;
  if (exact)
    EXPECT_EQ(inexact, 0) << what
                          << ": values differ from XGBoost's f32 result "
                             "(float32 semantics not followed?)";
}

void expectJitMatchesInterpreter(const std::vector<float> &jit, const std::vector<float> &interp,
                                 bool transcendental, const std::string &what) {
  ASSERT_EQ(jit.size(), interp.size()) << what;
  int64_t failures = 0;
  int reported = 0;
  for (size_t i = 0; i < jit.size(); ++i) {
    float a = jit[i], b = interp[i];
    bool ok;
    if (std::isnan(a) || std::isnan(b))
      ok = std::isnan(a) && std::isnan(b);
    else if (!transcendental)
      ok = sameBits(a, b);
    else if (std::isinf(a) || std::isinf(b))
      ok = a == b;
    else
      ok = ulpsF32(a, b) <= 4;
    if (!ok) {
      ++failures;
      if (reported++ < 8)
        ADD_FAILURE() << what << ": element " << i << ": jit " << a << " != interpreter " << b;
    }
  }
  EXPECT_EQ(failures, 0) << what << ": JIT and interpreter disagree"
                         << (transcendental ? " (beyond 4 ulp)" : "");
}

/// A model file, margin or prediction, and the trees' code shape.
using ModelParam = std::tuple<std::string, bool, TreeLayout>;

class ModelReferenceTest : public ::testing::TestWithParam<ModelParam> {};

TEST_P(ModelReferenceTest, MatchesXGBoost) {
  const std::string &file = std::get<0>(GetParam());
  bool margin = std::get<1>(GetParam());
  TreeLayout layout = std::get<2>(GetParam());
  std::string what = file + (margin ? " (margin, " : " (") + treeLayoutName(layout).str() + ")";
  ModelCase mc;
  std::string err = loadModelCase(file, mc);
  ASSERT_TRUE(err.empty()) << err;
  ASSERT_GT(mc.rows, 0) << file;

  XGBoostImportOptions opts;
  opts.margin = margin;
  llvm::Expected<std::string> text = importXGBoostJSON(mc.modelText, opts);
  ASSERT_TRUE(static_cast<bool>(text)) << what << ": import: " << llvm::toString(text.takeError());
  llvm::Expected<Descriptor> d = Descriptor::parse(*text);
  ASSERT_TRUE(static_cast<bool>(d)) << what << ": parse: " << llvm::toString(d.takeError());
  ASSERT_EQ(d->kind(), Kind::Model);
  const std::vector<std::string> &columns = margin ? mc.columnsMargin : mc.columns;
  ASSERT_EQ(d->outputNames(), columns) << what << ": output column names";
  const ModelSpec &spec = d->spec<ModelSpec>();
  EXPECT_TRUE(spec.float32);
  EXPECT_EQ(spec.margin, margin);
  // exp is involved (vector math may differ by a few ulp) only through the
  // link, and only when the link runs.
  bool transcendental = !margin && (spec.link == Link::Logistic || spec.link == Link::Softmax);
  // Margins are XGBoost's own f32 arithmetic; so is argmax's class index.
  bool exact = margin || spec.link == Link::Identity || spec.link == Link::Argmax;

  CompileOptions jitOpts;
  jitOpts.specialize = true;
  jitOpts.treeLayout = layout;
  llvm::Expected<Kernel> jit = compile(*d, jitOpts);
  ASSERT_TRUE(static_cast<bool>(jit)) << what << ": compile: " << llvm::toString(jit.takeError());
  if (jit->backend() != Backend::Jit) {
    if (requireJit())
      ADD_FAILURE() << what << ": fell back to the interpreter: " << jit->fallbackReason();
    else
      std::cout << "[ note     ] " << what
                << ": JIT fell back to the interpreter: " << jit->fallbackReason() << "\n";
    RecordProperty("jit_fallback", jit->fallbackReason());
  }
  EXPECT_EQ(jit->hash(), d->hash());
  EXPECT_EQ(jit->outputNames(), columns);

  CompileOptions interpOpts;
  interpOpts.specialize = false;
  interpOpts.useCache = false;
  llvm::Expected<Kernel> interp = compile(*d, interpOpts);
  ASSERT_TRUE(static_cast<bool>(interp))
      << what << ": compile (interpreter): " << llvm::toString(interp.takeError());
  EXPECT_EQ(interp->backend(), Backend::Interpreter);

  std::vector<float> jitOut, interpOut;
  err = runModel(*jit, *d, mc, 0, mc.rows, jitOut);
  ASSERT_TRUE(err.empty()) << what << " (jit): " << err;
  err = runModel(*interp, *d, mc, 0, mc.rows, interpOut);
  ASSERT_TRUE(err.empty()) << what << " (interpreter): " << err;

  expectMatchesXGBoost(mc, margin, jitOut, 0, mc.rows, exact, what + " jit");
  expectMatchesXGBoost(mc, margin, interpOut, 0, mc.rows, exact, what + " interpreter");
  expectJitMatchesInterpreter(jitOut, interpOut, transcendental, what);

  // An odd-length slice at an unaligned row: loop remainders, offset views.
  if (mc.rows > 4) {
    int64_t begin = 3, n = std::min<int64_t>(mc.rows - begin, 37);
    std::vector<float> slice;
    err = runModel(*jit, *d, mc, begin, n, slice);
    ASSERT_TRUE(err.empty()) << what << " (jit, slice): " << err;
    expectMatchesXGBoost(mc, margin, slice, begin, n, exact, what + " jit, rows 3..");
  }
}

std::string modelCaseName(const ::testing::TestParamInfo<ModelParam> &info) {
  std::string name = llvm::sys::path::stem(std::get<0>(info.param)).str();
  for (char &ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return name + (std::get<1>(info.param) ? "_margin_" : "_predict_") +
         treeLayoutName(std::get<2>(info.param)).str();
}

INSTANTIATE_TEST_SUITE_P(
    XGBoost, ModelReferenceTest,
    ::testing::Combine(::testing::ValuesIn(modelCaseFiles()), ::testing::Bool(),
                       ::testing::Values(TreeLayout::Branches, TreeLayout::Walk)),
    modelCaseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ModelReferenceTest);

TEST(ModelReferenceData, Present) {
  EXPECT_FALSE(modelCaseFiles().empty()) << "no reference cases in " << modelsDir()
                                         << " (run test/reference/gen_xgboost_reference.py)";
}

//===----------------------------------------------------------------------===//
// Part 2: the importer on synthesized documents
//===----------------------------------------------------------------------===//

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
  for (const std::string &file : modelCaseFiles()) {
    SCOPED_TRACE(file);
    ModelCase mc;
    std::string err = loadModelCase(file, mc);
    ASSERT_TRUE(err.empty()) << err;
    llvm::Expected<std::string> t = importXGBoostJSON(mc.modelText);
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    llvm::Expected<json::Value> v = json::parse(*t);
    ASSERT_TRUE(static_cast<bool>(v)) << llvm::toString(v.takeError());
    const json::Object *top = v->getAsObject();
    ASSERT_NE(top, nullptr);
    EXPECT_EQ(top->getArray("inputs")->size(), mc.inputs.size());
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
  for (const std::string &file : modelCaseFiles()) {
    ModelCase mc;
    ASSERT_TRUE(loadModelCase(file, mc).empty()) << file;
    models.push_back(std::move(mc.modelText));
  }
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
