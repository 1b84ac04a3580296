//===- DescriptorTestSupport.h - Descriptor documents in parser tests -----===//
//
// What the tests of Descriptor::parse share across families: documents
// built from JSON fragments (pipeline, series), the full descriptors of the
// pipeline, series and rules families that the canonical, hash and
// robustness tests start from, parse helpers and the EXPECT_PARSE_ERROR /
// ASSERT_PARSES macros, the random-edit mutation check, expression trees as S-expressions, and
// files of the source tree read as text.
//
//===----------------------------------------------------------------------===//
#ifndef SPECJIT_UNITTESTS_DESCRIPTORTESTSUPPORT_H
#define SPECJIT_UNITTESTS_DESCRIPTORTESTSUPPORT_H

#include "Descriptor/Expr.h"
#include "specjit/Descriptor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <charconv>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace specjit_test {

/// A pipeline document from its parts (JSON fragments).
inline std::string doc(const std::string &inputs, const std::string &steps,
                       const std::string &output = R"({"type":"f32"})") {
  return R"({"specjit":1,"kind":"pipeline","inputs":)" + inputs + R"(,"output":)" + output +
         R"(,"steps":)" + steps + "}";
}

/// Three f64 inputs a, b, c.
inline const char *kABC = R"([{"name":"a","type":"f64"},{"name":"b","type":"f64"},)"
                          R"({"name":"c","type":"f64"}])";

/// The error of parsing `text`, or "<no error>".
inline std::string errorOf(llvm::StringRef text) {
  llvm::Expected<specjit::jit::Descriptor> d = specjit::jit::Descriptor::parse(text);
  if (d)
    return "<no error>";
  return llvm::toString(d.takeError());
}

/// Expects an error whose message starts with "<path>: " and contains `what`.
#define EXPECT_PARSE_ERROR(text, path, what)                                                       \
  do {                                                                                             \
    std::string err_ = specjit_test::errorOf(text);                                                \
    EXPECT_TRUE(llvm::StringRef(err_).starts_with(std::string(path) + ": "))                       \
        << "error: " << err_ << "\nexpected path: " << (path);                                     \
    EXPECT_NE(err_.find(what), std::string::npos)                                                  \
        << "error: " << err_ << "\nexpected to contain: " << (what);                               \
  } while (0)

/// Parses text that must be valid.
inline specjit::jit::Descriptor parseOk(llvm::StringRef text) {
  llvm::Expected<specjit::jit::Descriptor> d = specjit::jit::Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError()) << "\nin: " << text.str();
    return specjit::jit::Descriptor();
  }
  return std::move(*d);
}

/// Declares `const Descriptor &var`, parsed from `text`; a parse error fails
/// the test and returns from it.
#define ASSERT_PARSES(var, text)                                                                   \
  llvm::Expected<specjit::jit::Descriptor> var##OrErr = specjit::jit::Descriptor::parse(text);     \
  ASSERT_TRUE(static_cast<bool>(var##OrErr)) << llvm::toString(var##OrErr.takeError());            \
  const specjit::jit::Descriptor &var = *var##OrErr

/// Expression tree as an S-expression: (+ a (* b 2)), $0 for resolved args.
inline std::string sexpr(const specjit::jit::Expr &e) {
  using specjit::jit::Expr;
  switch (e.kind) {
  case Expr::Kind::Const: {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), e.value);
    return std::string(buf, r.ptr);
  }
  case Expr::Kind::Column:
    return e.arg < 0 ? e.column : e.column + "$" + std::to_string(e.arg);
  case Expr::Kind::Op: {
    std::string s = "(" + specjit::jit::exprOpName(e.op).str();
    if (e.op == Expr::Op::Neg)
      s = "(neg";
    for (const specjit::jit::ExprPtr &a : e.args)
      s += " " + sexpr(*a);
    return s + ")";
  }
  }
  return "?";
}

/// The output column names of `d`.
inline std::vector<std::string> names(const specjit::jit::Descriptor &d) { return d.outputNames(); }

/// A pipeline that uses every input type and every step op.
inline const char *kFull = R"({
  "specjit": 1, "kind": "pipeline", "name": "everything",
  "inputs": [{"name": "age", "type": "i64"},
             {"name": "income", "type": "f64"},
             {"name": "category", "type": "i64", "missing": -1},
             {"name": "city", "type": "string"},
             {"name": "flag", "type": "bool"},
             {"name": "h", "type": "f32"},
             {"name": "w", "type": "i32", "missing": -7}],
  "output": {"type": "f32"},
  "steps": [
    {"op": "standardize", "column": "age", "mean": 35.0, "std": 15.0},
    {"op": "log1p", "column": "income"},
    {"op": "one_hot", "column": "category", "categories": [0, 1, 2]},
    {"op": "label_encode", "column": "city", "mapping": {"paris": 0, "oslo": 1}},
    {"op": "clip", "column": "h", "min": 0.25},
    {"op": "minmax", "column": "flag", "min": 0, "max": 1},
    {"op": "impute", "column": "w", "value": 3},
    {"op": "bucketize", "column": "w", "edges": [0, 2.5, 10]},
    {"op": "log", "column": "age"},
    {"op": "polynomial", "columns": ["income", "h"], "degree": 2},
    {"op": "expr", "name": "ratio", "expr": "income / max(h, 1e-3) > 2 ? 1 : 0"}
  ]})";

/// The single input `close`, the default inputs of sdoc.
inline const char *kClose = R"([{"name":"close","type":"f64"}])";

/// A series document from its parts (JSON fragments).
inline std::string sdoc(const std::string &indicators, const std::string &inputs = kClose,
                        const std::string &output = R"({"type":"f64"})") {
  return R"({"specjit":1,"kind":"series","inputs":)" + inputs + R"(,"output":)" + output +
         R"(,"indicators":)" + indicators + "}";
}

/// One indicator over `close` with extra JSON members.
inline std::string sind(const std::string &name, const std::string &op, const std::string &extra) {
  return R"({"name":")" + name + R"(","op":")" + op + "\"" + (extra.empty() ? "" : "," + extra) +
         "}";
}

/// A series of every indicator kind (seeds, weights, trend bands).
inline const char *kSeriesFull = R"({
  "specjit": 1, "kind": "series", "name": "full",
  "inputs": [{"name": "close", "type": "f64"}, {"name": "vol", "type": "f32"}],
  "output": {"type": "f32"},
  "indicators": [
    {"name": "e", "op": "ema", "input": "close", "period": 12},
    {"name": "k", "op": "kama", "input": "close", "period": 10},
    {"name": "w", "op": "weighted_sum", "terms": [{"input": "e", "weight": 0.5}, {"input": "vol", "weight": 2e0}]},
    {"name": "c", "op": "crossover", "fast": "e", "slow": "k"},
    {"name": "t", "op": "trend", "input": "close", "against": ["e", "k", "w"], "upper": 1e-2},
    {"name": "h", "op": "hma", "input": "w", "period": 9},
    {"name": "s", "op": "tema", "input": "close", "period": 5, "seed": "sma"}
  ]})";

/// A rules document with conditions, every action, clamps and steps.
inline const char *kRulesFull = R"json({"specjit":1,"kind":"rules","name":"n",
 "meters":["energy","mood","hunger"],"type":"f32",
 "rules":[{"if":"mood<0.2","sub":{"energy":"0.01*(0.2-mood)"}},
          {"if":"hunger > 0.8 && energy > 0.1","set":{"mood":"mood - 0.05"},"add":{"hunger":"1e-2"}},
          {"mul":{"mood":"(mood)","energy":"0.999"}}],
 "clamp":{"mood":[0,1.0],"energy":[0,1]},"steps":10})json";

/// The text of `rel`, a path relative to the source tree; a missing file
/// fails the test and reads as "".
inline std::string readSourceFile(const std::string &rel) {
  std::string path = std::string(SPECJIT_SOURCE_DIR) + "/" + rel;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  return (*buffer)->getBuffer().str();
}

/// Parses `iterations` mutations of `text`, each 1 to 3 random one-byte
/// edits (a byte replaced, erased or inserted; new bytes from `alphabet`):
/// every mutation either fails with a message or parses to a descriptor
/// whose canonical form parses back to itself. Returns how many parsed.
/// The draws from `rng` are part of each test's fixed input sequence.
inline int checkMutations(std::mt19937 &rng, const std::string &text, llvm::StringRef alphabet,
                          int iterations) {
  EXPECT_FALSE(alphabet.empty());
  if (alphabet.empty())
    return 0;
  int parsed = 0;
  for (int iter = 0; iter < iterations; ++iter) {
    std::string m = text;
    int edits = 1 + rng() % 3;
    for (int e = 0; e < edits; ++e) {
      if (m.empty()) { // the edits erased it all: start again from a byte
        m.push_back(alphabet[rng() % alphabet.size()]);
        continue;
      }
      size_t at = rng() % m.size();
      switch (rng() % 3) {
      case 0:
        m[at] = alphabet[rng() % alphabet.size()];
        break;
      case 1:
        m.erase(at, 1);
        break;
      default:
        m.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    llvm::Expected<specjit::jit::Descriptor> d = specjit::jit::Descriptor::parse(m);
    if (!d) {
      EXPECT_FALSE(llvm::toString(d.takeError()).empty()) << m;
      continue;
    }
    ++parsed;
    llvm::Expected<specjit::jit::Descriptor> again =
        specjit::jit::Descriptor::parse(d->canonical());
    if (!again) {
      ADD_FAILURE() << llvm::toString(again.takeError()) << "\nthe canonical form of: " << m;
      continue;
    }
    EXPECT_EQ(again->canonical(), d->canonical()) << m;
  }
  return parsed;
}

} // namespace specjit_test

#endif // SPECJIT_UNITTESTS_DESCRIPTORTESTSUPPORT_H
