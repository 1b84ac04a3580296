//===- DescriptorCommonTest.cpp - What every descriptor family shares -----===//
//
// The rules of Descriptor::parse that do not depend on the family: the JSON
// header (format version, kind and its dispatch), strict JSON (syntax errors,
// duplicate keys) and the size and nesting limits; the hash as the xxh3 of the
// canonical text and its golden values (persistent cache keys); robustness
// (every prefix, random mutations, a huge descriptor); Descriptor::fromFile and
// Descriptor::fromJSON; and the repository's examples and schemas of the
// series and rules families parsed, round-tripped and mutated together.
//
//===----------------------------------------------------------------------===//

#include "DescriptorTestSupport.h"
#include "Families/Model/ModelSpec.h"
#include "Families/Pipeline/PipelineSpec.h"
#include "Families/Rules/RulesSpec.h"
#include "Families/Series/SeriesSpec.h"

#include "Descriptor/DescriptorInternal.h"
#include "Families/Family.h"

#include "specjit/Descriptor.h"
#include "specjit/Errors.h"
#include "specjit/ReadFile.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace specjit::jit;
using namespace specjit_test;
using llvm::StringRef;

namespace {

//===----------------------------------------------------------------------===//
// Errors: JSON syntax, the header, the limits
//===----------------------------------------------------------------------===//

// The registry (lib/Families/Families.def) holds one family per Kind, in
// the order messages list them, each found by its kind and its name.
TEST(FamilyRegistry, OneFamilyPerKind) {
  using namespace specjit::jit;
  const Kind kinds[] = {Kind::Pipeline, Kind::Series, Kind::Rules,
                        Kind::Model,    Kind::Train,  Kind::Eval};
  const char *names[] = {"pipeline", "series", "rules", "model", "train", "eval"};
  ASSERT_EQ(allFamilies().size(), std::size(kinds));
  for (size_t i = 0; i < std::size(kinds); ++i) {
    const Family *f = allFamilies()[i];
    EXPECT_EQ(f->kind(), kinds[i]);
    EXPECT_EQ(f->name(), names[i]);
    EXPECT_EQ(&family(kinds[i]), f);
    EXPECT_EQ(familyNamed(names[i]), f);
    EXPECT_EQ(kindName(kinds[i]), names[i]);
  }
  EXPECT_EQ(familyNamed("classifier"), nullptr);
  EXPECT_EQ(familyNamed(""), nullptr);
}

// What the engine and the driver ask a family instead of its kind.
TEST(FamilyRegistry, RunShapesAndFeaturePipelines) {
  using namespace specjit::jit;
  EXPECT_EQ(family(Kind::Pipeline).runShape(), RunShape::Rows);
  EXPECT_EQ(family(Kind::Model).runShape(), RunShape::Rows);
  EXPECT_EQ(family(Kind::Series).runShape(), RunShape::Stream);
  EXPECT_EQ(family(Kind::Rules).runShape(), RunShape::State);
  EXPECT_EQ(family(Kind::Train).runShape(), RunShape::Driven);
  EXPECT_EQ(family(Kind::Eval).runShape(), RunShape::Driven);
  EXPECT_EQ(family(Kind::Rules).outputNoun(), "meters");
  EXPECT_EQ(family(Kind::Train).outputNoun(), "features");
  EXPECT_EQ(family(Kind::Pipeline).outputNoun(), "outputs");

  Descriptor p = parseOk(doc(kABC, "[]"));
  EXPECT_EQ(family(p.kind()).featurePipeline(p), &p.spec<PipelineSpec>());
  EXPECT_EQ(p.runShape(), RunShape::Rows);
  EXPECT_EQ(p.summary(), "steps: 0\n");
}

TEST(FamilyRegistry, TranscendentalsAreTheFamilysAnswer) {
  using namespace specjit::jit;
  auto calls = [](const Descriptor &d) { return family(d.kind()).callsTranscendentals(d); };
  auto example = [](const char *file) {
    auto text = readBoundedFile(std::string(SPECJIT_SOURCE_DIR) + "/examples/" + file,
                                kDescriptorReadLimit);
    EXPECT_TRUE(static_cast<bool>(text)) << file;
    return parseOk(text ? *text : std::string());
  };
  EXPECT_FALSE(calls(parseOk(doc(kABC, "[]"))));
  EXPECT_FALSE(calls(parseOk(doc(kABC, R"([{"op":"clip","column":"a","min":0,"max":1}])"))));
  EXPECT_TRUE(calls(parseOk(doc(kABC, R"([{"op":"log1p","column":"a"}])"))));
  EXPECT_TRUE(calls(parseOk(doc(kABC, R"j([{"op":"expr","name":"e","expr":"b * pow(a, 2)"}])j"))));
  EXPECT_FALSE(calls(parseOk(doc(kABC, R"([{"op":"expr","name":"e","expr":"a * b + c"}])"))));
  EXPECT_TRUE(calls(example("churn.json")));          // log
  EXPECT_TRUE(calls(example("retail_strings.json"))); // log1p
  EXPECT_TRUE(calls(example("model_trees.json")));    // the logistic link
  EXPECT_TRUE(calls(example("model_mlp.json")));      // softmax
  EXPECT_FALSE(calls(example("needs_rules.json")));
  EXPECT_FALSE(calls(example("strategy.json"))); // series: + - * / abs
}

TEST(DescriptorErrors, JsonSyntax) {
  std::string err = errorOf("{\"specjit\": 1,\n  \"kind\": }");
  EXPECT_TRUE(StringRef(err).starts_with("descriptor: invalid JSON at line 2")) << err;
  EXPECT_NE(err.find("column"), std::string::npos) << err;
  EXPECT_TRUE(StringRef(errorOf("")).starts_with("descriptor: invalid JSON"));
  EXPECT_TRUE(StringRef(errorOf("{\"a\":\"\xff\"}")).starts_with("descriptor: invalid JSON"));
  EXPECT_PARSE_ERROR("[1, 2]", "descriptor", "expected a JSON object");
  EXPECT_PARSE_ERROR("42", "descriptor", "expected a JSON object (a descriptor), got 42");
}

TEST(DescriptorErrors, DuplicateKeys) {
  EXPECT_PARSE_ERROR(R"({"specjit":1,"specjit":1,"kind":"pipeline"})", "descriptor",
                     "duplicate key 'specjit' (line 1, column 14)");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log","column":"a"},)"
                               R"({"op":"standardize","column":"a","mean":1,"mean":2,"std":1}])"),
                     "steps[1]", "duplicate key 'mean'");
  // Escaped spellings of the same key are the same key.
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64","n\u0061me":"b"}])", "[]"), "inputs[0]",
                     "duplicate key 'name'");
}

TEST(DescriptorErrors, Header) {
  EXPECT_PARSE_ERROR(R"({"kind":"pipeline"})", "descriptor", "missing required key 'specjit'");
  EXPECT_PARSE_ERROR(R"({"specjit":2,"kind":"pipeline"})", "specjit",
                     "unsupported format version 2");
  EXPECT_PARSE_ERROR(R"({"specjit":"1","kind":"pipeline"})", "specjit",
                     "expected the format version 1, got the string '1'");
  EXPECT_PARSE_ERROR(R"({"specjit":1.5,"kind":"pipeline"})", "specjit",
                     "expected the format version 1");
  EXPECT_PARSE_ERROR(R"({"specjit":1})", "descriptor", "missing required key 'kind'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"knd":"pipeline"})", "descriptor",
                     "found 'knd', a misspelling?");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"classifier"})", "kind",
                     "unknown kind 'classifier' (expected one of pipeline, "
                     "series, rules, model, train, eval)");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"serie"})", "kind", "did you mean 'series'?");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":3})", "kind", "expected a string");
  EXPECT_PARSE_ERROR(doc(kABC, "[]").insert(1, R"("extra":1,)"), "descriptor",
                     "unknown key 'extra'");
  EXPECT_PARSE_ERROR(doc(kABC, "[]").insert(1, R"("stesp":[],)"), "descriptor",
                     "unknown key 'stesp' (did you mean 'steps'?)");
  EXPECT_PARSE_ERROR(doc(kABC, "[]").insert(1, R"("name":7,)"), "name", "expected a string, got 7");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"pipeline","output":{"type":"f32"}})", "descriptor",
                     "missing required key 'inputs'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"a","type":"f64"}]})",
                     "descriptor", "missing required key 'output'");
  EXPECT_PARSE_ERROR(doc(kABC, "{}"), "steps", "expected an array of steps");
}

TEST(DescriptorErrors, Limits) {
  // Text larger than the limit.
  std::string big(kMaxDescriptorBytes + 1, ' ');
  EXPECT_PARSE_ERROR(big, "descriptor", "more than the limit of 67108864 bytes");
  // Deep JSON is rejected before llvm::json recurses into it.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_PARSE_ERROR(deep, "descriptor", "JSON nested deeper than 256 levels");
  std::string deepObj;
  for (int i = 0; i < 100000; ++i)
    deepObj += "{\"a\":";
  deepObj += "1" + std::string(100000, '}');
  EXPECT_PARSE_ERROR(deepObj, "descriptor", "nested deeper than 256");
  // Bounds on what llvm::json would allocate, checked before it runs.
  std::string objects = "[";
  for (int i = 0; i < 140000; ++i)
    objects += i ? ",{}" : "{}";
  objects += "]";
  EXPECT_PARSE_ERROR(objects, "descriptor", "more than 131072 JSON objects");
  std::string values = "[0";
  values.reserve(2 * 8400000);
  for (int i = 0; i < 8400000; ++i)
    values += ",0";
  values += "]";
  EXPECT_PARSE_ERROR(values, "descriptor", "more than 8388608 JSON values");
  // Unbalanced deep text also errors cleanly.
  EXPECT_PARSE_ERROR(std::string(100000, '{'), "descriptor", "nested deeper");
  // Inside a descriptor, too.
  std::string nested = doc(kABC, std::string(300, '[') + std::string(300, ']'));
  EXPECT_PARSE_ERROR(nested, "descriptor", "nested deeper");
  // Brackets inside strings do not count.
  std::string inString =
      doc(R"([{"name":")" + std::string(1000, '[') + R"(","type":"f64"}])", "[]");
  parseOk(inString);
  // Polynomial expansion counted before it is built.
  std::string inputs = "[";
  std::string cols = "[";
  for (int i = 0; i < 20; ++i) {
    inputs +=
        std::string(i ? "," : "") + R"({"name":"x)" + std::to_string(i) + R"(","type":"f64"})";
    cols += (i ? "," : "") + std::string("\"x") + std::to_string(i) + "\"";
  }
  inputs += "]";
  cols += "]";
  EXPECT_PARSE_ERROR(doc(inputs, R"([{"op":"polynomial","columns":)" + cols + R"(,"degree":8}])"),
                     "steps[0]", "more than 1048576 columns");
  // Degree 3 over 20 columns is 1771 columns: fine.
  Descriptor ok =
      parseOk(doc(inputs, R"([{"op":"polynomial","columns":)" + cols + R"(,"degree":3}])"));
  EXPECT_EQ(ok.numOutputs(), 1771u);
  // Expression depth inside a descriptor.
  std::string expr = std::string(1000, '(') + "a" + std::string(1000, ')');
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":")" + expr + "\"}]"),
                     "steps[0].expr", "nested deeper than 256 levels");
}

//===----------------------------------------------------------------------===//
// The hash: xxh3 of the canonical text, a persistent cache key
//===----------------------------------------------------------------------===//

TEST(DescriptorHash, HashIsXxh3OfCanonical) {
  ASSERT_PARSES(d, kFull);
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(d.canonical().data()), d.canonical().size()));
  EXPECT_EQ(d.hash().hi, h.high64);
  EXPECT_EQ(d.hash().lo, h.low64);
  EXPECT_EQ(d.hash().hex().size(), 32u);
  EXPECT_NE(d.hash(), Hash128());
  ASSERT_PARSES(d2, kFull);
  EXPECT_EQ(d.hash(), d2.hash());
}

TEST(DescriptorHash, GoldenValue) {
  // The hash is a persistent cache key: it must be the same in every process
  // and on every machine. This value was computed once; if it changes, the
  // canonical form or the hash function changed, which invalidates every
  // stored kernel cache (bump the format deliberately, do not just update
  // the constant).
  ASSERT_PARSES(d, R"({"specjit":1,"kind":"pipeline","name":"churn_features",
 "inputs":[{"name":"age","type":"i64"},{"name":"category","type":"i64","missing":-1}],
 "output":{"type":"f32","columns":["age","category=0"]},
 "steps":[{"op":"standardize","column":"age","mean":35.0,"std":15.0},
          {"op":"one_hot","column":"category","categories":[0,1,2]}]})");
  EXPECT_EQ(
      d.canonical(),
      R"({"inputs":[{"name":"age","type":"i64"},{"missing":-1,"name":"category","type":"i64"}],)"
      R"("kind":"pipeline","output":{"columns":["age","category=0"],"type":"f32"},"specjit":1,)"
      R"("steps":[{"column":"age","mean":35,"op":"standardize","std":15},)"
      R"({"categories":[0,1,2],"column":"category","op":"one_hot","unknown":"zeros"}]})");
  EXPECT_EQ(d.hash().hex(), "8e30fe970e267b6b6a27b0f98aa81044");
}

TEST(FamiliesHash, GoldenValues) {
  // Persistent cache keys, as for the pipeline family (see
  // DescriptorHash.GoldenValue): a change here invalidates stored kernels.
  ASSERT_PARSES(
      s, R"({"specjit":1,"kind":"series","inputs":[{"name":"close","type":"f64"}],)"
         R"("output":{"type":"f64"},"indicators":[)"
         R"({"name":"ema12","op":"ema","input":"close","period":12},)"
         R"({"name":"sig","op":"trend","input":"close","against":["ema12"],"upper":0.01}]})");
  EXPECT_EQ(
      s.canonical(),
      R"({"indicators":[{"input":"close","name":"ema12","op":"ema","period":12,"seed":"first"},)"
      R"({"against":["ema12"],"input":"close","lower":0,"name":"sig","op":"trend","upper":0.01,)"
      R"("weights":[1]}],"inputs":[{"name":"close","type":"f64"}],"kind":"series",)"
      R"("output":{"columns":["ema12","sig"],"type":"f64"},"specjit":1})");
  EXPECT_EQ(s.hash().hex(), "ed0d8d86aab672c334b8661123393421");
  ASSERT_PARSES(r, R"j({"specjit":1,"kind":"rules","meters":["energy","mood"],"type":"f32",)j"
                   R"j("rules":[{"if":"mood < 0.2","sub":{"energy":"0.01 * (0.2 - mood)"}}],)j"
                   R"j("clamp":{"energy":[0,1]},"steps":10})j");
  EXPECT_EQ(r.canonical(),
            R"j({"clamp":{"energy":[0,1]},"kind":"rules","meters":["energy","mood"],)j"
            R"j("rules":[{"if":"mood < 0.2","sub":{"energy":"0.01 * (0.2 - mood)"}}],)j"
            R"j("specjit":1,"steps":10,"type":"f32"})j");
  EXPECT_EQ(r.hash().hex(), "8cb8795e6cc84cc2f924636361f8e91d");
}

//===----------------------------------------------------------------------===//
// Robustness, files and JSON values
//===----------------------------------------------------------------------===//

TEST(DescriptorRobustness, EveryPrefixIsAnError) {
  std::string text = kFull;
  for (size_t n = 0; n < text.size(); ++n) {
    llvm::Expected<Descriptor> d = Descriptor::parse(StringRef(text).take_front(n));
    EXPECT_FALSE(static_cast<bool>(d)) << n;
    if (!d)
      llvm::consumeError(d.takeError());
  }
}

TEST(DescriptorRobustness, MutationsNeverCrash) {
  // Deterministic byte-level mutations: each either parses or errors, and a
  // parse always has a canonical form that parses back to itself.
  std::string text = kFull;
  std::mt19937 rng(12345);
  const char alphabet[] = "{}[]\",:01-.eE aZ\\u";
  EXPECT_GT(checkMutations(rng, text, alphabet, 3000), 0);
}

TEST(DescriptorRobustness, HugeValidDescriptor) {
  std::string cats = "[";
  for (int i = 0; i < 20000; ++i)
    cats += (i ? "," : "") + std::to_string(i * 3);
  cats += "]";
  std::string strs = "[";
  for (int i = 0; i < 20000; ++i)
    strs += (i ? ",\"v" : "\"v") + std::to_string(i) + "\"";
  strs += "]";
  std::string mapping = "{";
  for (int i = 0; i < 20000; ++i)
    mapping += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  mapping += "}";
  std::string text = doc(R"([{"name":"c","type":"i64"},{"name":"s","type":"string"},)"
                         R"({"name":"t","type":"string"}])",
                         R"([{"op":"one_hot","column":"c","categories":)" + cats +
                             "},"
                             R"({"op":"one_hot","column":"s","categories":)" +
                             strs +
                             "},"
                             R"({"op":"label_encode","column":"t","mapping":)" +
                             mapping + "}]");
  auto start = std::chrono::steady_clock::now();
  ASSERT_PARSES(d, text);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(d.numOutputs(), 40001u);
  EXPECT_EQ(d.outputNames()[1], "c=3");
  EXPECT_EQ(d.spec<PipelineSpec>().steps[2].codes.size(), 20000u);
  EXPECT_LT(seconds, 5.0);
  // The canonical form of a big descriptor round-trips too.
  ASSERT_PARSES(again, d.canonical());
  EXPECT_EQ(again.hash(), d.hash());
}

TEST(DescriptorRobustness, FromFile) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("desc", "json", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << kFull;
  }
  llvm::Expected<Descriptor> d = Descriptor::fromFile(path);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  ASSERT_PARSES(text, kFull);
  EXPECT_EQ(d->hash(), text.hash());
  llvm::sys::fs::remove(path);
  llvm::Expected<Descriptor> missing = Descriptor::fromFile("/nonexistent/specjit/desc.json");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot read"), std::string::npos);
}

TEST(DescriptorRobustness, FromJsonValue) {
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(kFull);
  ASSERT_TRUE(static_cast<bool>(v));
  llvm::Expected<Descriptor> d = Descriptor::fromJSON(*v);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  ASSERT_PARSES(text, kFull);
  EXPECT_EQ(d->hash(), text.hash());
  // NaN and infinity can only come from C++ values: rejected.
  llvm::json::Value bad = llvm::json::Object{
      {"specjit", 1},
      {"kind", "pipeline"},
      {"inputs", llvm::json::Array{llvm::json::Object{{"name", "a"}, {"type", "f64"}}}},
      {"output", llvm::json::Object{{"type", "f32"}}},
      {"steps",
       llvm::json::Array{llvm::json::Object{{"op", "impute"}, {"column", "a"}, {"value", NAN}}}}};
  llvm::Expected<Descriptor> e = Descriptor::fromJSON(bad);
  ASSERT_FALSE(static_cast<bool>(e));
  EXPECT_NE(llvm::toString(e.takeError()).find("steps[0].value: expected a finite number, got NaN"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Repository files
//===----------------------------------------------------------------------===//

TEST(DescriptorFiles, ExamplesParse) {
  std::error_code ec;
  std::string dir = std::string(SPECJIT_SOURCE_DIR) + "/examples";
  int count = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    StringRef path = it->path();
    if (!path.ends_with(".json"))
      continue;
    ++count;
    llvm::Expected<Descriptor> d = Descriptor::fromFile(path);
    EXPECT_TRUE(static_cast<bool>(d))
        << path.str() << ": " << (d ? "" : llvm::toString(d.takeError()));
    if (d) {
      ASSERT_PARSES(again, d->canonical());
      EXPECT_EQ(again.hash(), d->hash()) << path.str();
    }
  }
  if (count == 0)
    GTEST_SKIP() << "no examples/*.json";
}

//===----------------------------------------------------------------------===//
// Series and rules together: round trip, dispatch, files, robustness
//===----------------------------------------------------------------------===//

TEST(FamiliesCanonical, RoundTrip) {
  std::vector<std::string> texts = {
      kSeriesFull,
      kRulesFull,
      readSourceFile("examples/strategy.json"),
      readSourceFile("examples/needs_rules.json"),
      sdoc(
          "[" + sind("a b", "sma", R"("input":"c\"d","period":1)") + "," +
              sind("x", "weighted_sum", R"("terms":[{"input":"a b","weight":-0.0}],"bias":1e300)") +
              "]",
          R"([{"name":"c\"d","type":"f32"}])", R"({"type":"f64","columns":["x"]})"),
      R"({"specjit":1,"kind":"rules","meters":["a b","and","é"],"rules":[)"
      R"j({"if":"-`a b` ** 2 > 3 ? 1 : select(`and`, 0, 1)","set":{"é":"`é` / 3"}},)j"
      R"j({"mul":{"and":"1.5e-7"},"sub":{"a b":"-(-`and`)"}}],"clamp":{"é":[-0.0,0]}})j",
  };
  for (const std::string &text : texts) {
    ASSERT_PARSES(d, text);
    ASSERT_PARSES(again, d.canonical());
    EXPECT_EQ(again.canonical(), d.canonical()) << text;
    EXPECT_EQ(again.hash(), d.hash());
    EXPECT_EQ(again.kind(), d.kind());
    EXPECT_EQ(again.outputNames(), d.outputNames());
    EXPECT_TRUE(static_cast<bool>(llvm::json::parse(d.canonical())));
    EXPECT_EQ(d.canonical().find('\n'), std::string::npos);
    if (d.kind() == Kind::Series) {
      ASSERT_EQ(again.spec<SeriesSpec>().indicators.size(), d.spec<SeriesSpec>().indicators.size());
      for (size_t i = 0; i < d.spec<SeriesSpec>().indicators.size(); ++i) {
        EXPECT_EQ(again.spec<SeriesSpec>().indicators[i].sources,
                  d.spec<SeriesSpec>().indicators[i].sources);
        EXPECT_EQ(again.spec<SeriesSpec>().indicators[i].lookback,
                  d.spec<SeriesSpec>().indicators[i].lookback);
        EXPECT_EQ(again.spec<SeriesSpec>().indicators[i].weights,
                  d.spec<SeriesSpec>().indicators[i].weights);
      }
    }
  }
}

TEST(FamiliesDispatch, KindAndFromJson) {
  EXPECT_PARSE_ERROR(
      R"({"specjit":1,"kind":"rule","meters":["a"],"rules":[]})", "kind",
      "unknown kind 'rule' (expected one of pipeline, series, rules, model, train, eval); did you "
      "mean 'rules'?");
  EXPECT_PARSE_ERROR(
      R"({"specjit":1,"kind":["series"]})", "kind",
      "expected a string naming the family (one of pipeline, series, rules, model, train, eval)");
  EXPECT_PARSE_ERROR(R"({"specjit":2,"kind":"series"})", "specjit", "unsupported format version 2");
  EXPECT_PARSE_ERROR(R"({"specjit":1})", "descriptor",
                     "missing required key 'kind' (the descriptor family: one of pipeline, "
                     "series, rules, model, train, eval)");
  // A pipeline document with another kind: its keys are unknown there.
  EXPECT_PARSE_ERROR(doc(kABC, "[]").replace(doc(kABC, "[]").find("pipeline"), 8, "rules"),
                     "descriptor", "unknown key 'inputs'");
  // fromJSON on values built in C++: NaN and infinity are rejected.
  llvm::json::Value series = llvm::json::Object{
      {"specjit", 1},
      {"kind", "series"},
      {"inputs", llvm::json::Array{llvm::json::Object{{"name", "p"}, {"type", "f64"}}}},
      {"output", llvm::json::Object{{"type", "f64"}}},
      {"indicators",
       llvm::json::Array{llvm::json::Object{
           {"name", "w"},
           {"op", "weighted_sum"},
           {"terms", llvm::json::Array{llvm::json::Object{{"input", "p"}, {"weight", NAN}}}}}}}};
  llvm::Expected<Descriptor> s = Descriptor::fromJSON(series);
  ASSERT_FALSE(static_cast<bool>(s));
  EXPECT_NE(llvm::toString(s.takeError())
                .find("indicators[0].terms[0].weight: expected a finite number, got NaN"),
            std::string::npos);
  llvm::json::Value rules =
      llvm::json::Object{{"specjit", 1},
                         {"kind", "rules"},
                         {"meters", llvm::json::Array{"m"}},
                         {"rules", llvm::json::Array{}},
                         {"clamp", llvm::json::Object{{"m", llvm::json::Array{0.0, INFINITY}}}}};
  llvm::Expected<Descriptor> r = Descriptor::fromJSON(rules);
  ASSERT_FALSE(static_cast<bool>(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("clamp.m[1]: expected a finite number"),
            std::string::npos);
  llvm::json::Value good = llvm::json::Object{
      {"specjit", 1},
      {"kind", "rules"},
      {"meters", llvm::json::Array{"m"}},
      {"rules", llvm::json::Array{llvm::json::Object{{"add", llvm::json::Object{{"m", "1"}}}}}}};
  llvm::Expected<Descriptor> g = Descriptor::fromJSON(good);
  ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
  ASSERT_PARSES(gt, R"({"specjit":1,"kind":"rules","meters":["m"],"rules":[{"add":{"m":"1"}}]})");
  EXPECT_EQ(g->hash(), gt.hash());
}

TEST(FamiliesFiles, NewExamplesParse) {
  llvm::Expected<Descriptor> s =
      Descriptor::fromFile(std::string(SPECJIT_SOURCE_DIR) + "/examples/strategy.json");
  ASSERT_TRUE(static_cast<bool>(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->kind(), Kind::Series);
  const SeriesSpec &ss = s->spec<SeriesSpec>();
  EXPECT_EQ(ss.inputs.size(), 1u);
  EXPECT_EQ(ss.inputs[0].name, "close");
  EXPECT_EQ(ss.outputType, DType::F64);
  EXPECT_GE(ss.indicators.size(), 12u);
  std::set<IndicatorOp> ops;
  std::set<EmaSeed> emaSeeds;
  for (const Indicator &ind : ss.indicators) {
    ops.insert(ind.op);
    if (ind.op == IndicatorOp::Ema)
      emaSeeds.insert(ind.seed);
  }
  EXPECT_EQ(ops.size(), 11u) << "every op";
  EXPECT_EQ(emaSeeds.size(), 2u) << "EMAs with both seeds";
  llvm::Expected<Descriptor> r =
      Descriptor::fromFile(std::string(SPECJIT_SOURCE_DIR) + "/examples/needs_rules.json");
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  const RulesSpec &rs = r->spec<RulesSpec>();
  EXPECT_EQ(rs.meters.size(), 8u);
  EXPECT_EQ(rs.rules.size(), 11u);
  EXPECT_EQ(rs.steps, 10);
  EXPECT_EQ(rs.type, DType::F32);
  std::set<RuleAction::Kind> kinds;
  for (const Rule &rule : rs.rules)
    for (const RuleAction &a : rule.actions)
      kinds.insert(a.kind);
  EXPECT_EQ(kinds.size(), 4u) << "set, add, sub and mul";
  EXPECT_TRUE(llvm::all_of(rs.clamp, [](const auto &c) { return c.has_value(); }));
}

TEST(FamiliesRobustness, EveryPrefixOfTheNewExamplesIsAnError) {
  for (const char *file : {"examples/strategy.json", "examples/needs_rules.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    // The closing brace is the last non-space byte: every shorter prefix is
    // cut JSON.
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

TEST(FamiliesRobustness, MutationsNeverCrash) {
  std::mt19937 rng(777);
  const char alphabet[] = "{}[]\",:01-.eE aZ\\u`<>()*+";
  for (const char *file : {"examples/strategy.json", "examples/needs_rules.json"}) {
    std::string text = readSourceFile(file);
    ASSERT_FALSE(text.empty());
    EXPECT_GT(checkMutations(rng, text, alphabet, 1500), 0) << file;
  }
}

TEST(FamiliesFiles, SchemasDescribeEveryProperty) {
  for (const char *family : {"series", "rules"}) {
    std::string text = readSourceFile(std::string("schemas/") + family + ".schema.json");
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
          ++objects;
          const llvm::json::Value *ap = o->get("additionalProperties");
          EXPECT_TRUE(ap && ap->getAsBoolean() == false) << family << where;
          for (const auto &kv : *props) {
            const llvm::json::Object *p = kv.second.getAsObject();
            EXPECT_TRUE(p && p->getString("description"))
                << family << where << "/" << kv.first.str();
          }
        }
        for (const auto &kv : *o)
          work.push_back({where + "/" + kv.first.str(), &kv.second});
      } else if (const llvm::json::Array *a = v->getAsArray()) {
        for (size_t i = 0; i < a->size(); ++i)
          work.push_back({where + "/" + std::to_string(i), &(*a)[i]});
      }
    }
    EXPECT_GE(objects, StringRef(family) == "series" ? 15 : 2) << family;
    const llvm::json::Array *examples = root->getArray("examples");
    ASSERT_TRUE(examples && !examples->empty());
    for (const llvm::json::Value &ex : *examples) {
      llvm::Expected<Descriptor> d = Descriptor::fromJSON(ex);
      EXPECT_TRUE(static_cast<bool>(d)) << (d ? "" : llvm::toString(d.takeError()));
    }
  }
  // Every indicator op has a oneOf branch keyed on its const.
  std::string text = readSourceFile("schemas/series.schema.json");
  llvm::Expected<llvm::json::Value> schema = llvm::json::parse(text);
  ASSERT_TRUE(static_cast<bool>(schema));
  const llvm::json::Object *defs = schema->getAsObject()->getObject("$defs");
  ASSERT_TRUE(defs);
  const llvm::json::Array *oneOf = defs->getObject("indicator")->getArray("oneOf");
  ASSERT_TRUE(oneOf);
  EXPECT_EQ(oneOf->size(), 11u);
  for (IndicatorOp op : {IndicatorOp::Sma, IndicatorOp::Ema, IndicatorOp::Wma, IndicatorOp::Dema,
                         IndicatorOp::Tema, IndicatorOp::Hma, IndicatorOp::Lsma, IndicatorOp::Kama,
                         IndicatorOp::WeightedSum, IndicatorOp::Crossover, IndicatorOp::Trend}) {
    const llvm::json::Object *def = defs->getObject(indicatorOpName(op));
    ASSERT_TRUE(def) << indicatorOpName(op).str();
    const llvm::json::Object *op_ = def->getObject("properties")->getObject("op");
    ASSERT_TRUE(op_);
    EXPECT_EQ(op_->getString("const").value_or(""), indicatorOpName(op));
  }
}

//===----------------------------------------------------------------------===//
// Kinds of error
//===----------------------------------------------------------------------===//

TEST(DescriptorErrorKinds, PathErrorsAreDescriptorErrorsWithTheirPath) {
  auto d = specjit::jit::Descriptor::parse(
      R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"a","type":"f64"}],)"
      R"("output":{"type":"f32"},"steps":[{"op":"frobnicate","column":"a"}]})");
  ASSERT_FALSE(static_cast<bool>(d));
  llvm::Error e = d.takeError();
  ASSERT_TRUE(e.isA<specjit::jit::DescriptorError>());
  llvm::handleAllErrors(std::move(e), [](const specjit::jit::DescriptorError &de) {
    EXPECT_EQ(de.path(), "steps[0].op");
    EXPECT_EQ(de.message(), de.path() + ": " + de.detail());
    EXPECT_NE(de.detail().find("frobnicate"), std::string::npos) << de.detail();
  });
}

TEST(DescriptorErrorKinds, AnErrorRecordRebuildsTheSameKindAndText) {
  using specjit::jit::detail::ErrorRecord;
  auto roundTrip = [](llvm::Error e, ErrorRecord::Kind kind) {
    ErrorRecord r = ErrorRecord::of(std::move(e));
    EXPECT_EQ(r.kind, kind);
    ErrorRecord again = ErrorRecord::of(r.rebuild());
    EXPECT_EQ(again.kind, r.kind);
    EXPECT_EQ(again.where, r.where);
    EXPECT_EQ(again.row, r.row);
    EXPECT_EQ(again.detail, r.detail);
    return llvm::toString(r.rebuild());
  };
  EXPECT_EQ(roundTrip(llvm::make_error<specjit::jit::RowError>(7, "label 'y' is 2"),
                      ErrorRecord::Kind::Row),
            "row 7: label 'y' is 2");
  EXPECT_EQ(roundTrip(llvm::make_error<specjit::jit::DescriptorError>("steps[1]", "bad"),
                      ErrorRecord::Kind::Descriptor),
            "steps[1]: bad");
  EXPECT_EQ(roundTrip(llvm::make_error<specjit::jit::StageError>("obj", "no target"),
                      ErrorRecord::Kind::Stage),
            "obj: no target");
  EXPECT_EQ(roundTrip(llvm::createStringError(llvm::inconvertibleErrorCode(), "plain"),
                      ErrorRecord::Kind::Other),
            "plain");
  EXPECT_FALSE(ErrorRecord::of(llvm::Error::success()).failed());
}

} // namespace
