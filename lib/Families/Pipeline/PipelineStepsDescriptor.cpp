//===- PipelineStepsDescriptor.cpp - The steps of a pipeline --------------===//
//
// Validation and analysis of a pipeline's `steps` (docs/semantics.md): each
// step is checked against the current columns when it is read, and replaces
// the columns it consumes with the ones it produces (PipelineParser.h), so
// every error names the step and the columns it saw.
//
//===----------------------------------------------------------------------===//

#include "Families/Pipeline/PipelineParser.h"

#include "Descriptor/PolynomialTerms.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {

namespace {

using detail::asInt64;
using detail::checkKeys;
using detail::describe;
using detail::expected;
using detail::failAt;
using detail::fitsInt64;
using detail::formatNumber;
using detail::indexPath;
using detail::keyPath;
using detail::quoted;
using detail::readBool;
using detail::readFinite;
using detail::readNonEmptyString;
using detail::requireKey;

} // namespace

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

Error PipelineParser::parseSteps(const json::Object &root) {
  const json::Value *v = root.get("steps");
  if (!v)
    return Error::success();
  const json::Array *steps = v->getAsArray();
  if (!steps)
    return expected("steps", "an array of steps", *v);
  for (size_t i = 0; i < steps->size(); ++i)
    if (Error e = parseStep((*steps)[i], i))
      return e;
  return Error::success();
}

Error PipelineParser::parseStep(const json::Value &v, size_t index) {
  std::string path = indexPath("steps", index);
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path, "a step object {\"op\": ...}", v);
  std::vector<std::string> opNames;
  for (StepOp op : kAllStepOps)
    opNames.push_back(stepOpName(op).str());
  Expected<size_t> opIndex = detail::readOp(*o, path, opNames);
  if (!opIndex)
    return opIndex.takeError();
  StepOp op = kAllStepOps[*opIndex];

  Step step;
  step.op = op;
  StringRef name = stepOpName(step.op);
  std::string what = (StringRef("aeiou").contains(name[0]) ? "an " : "a ") + name.str() + " step";
  auto allowedKeys = [&]() -> std::vector<StringRef> {
    switch (op) {
    case StepOp::Standardize:
      return {"op", "column", "mean", "std"};
    case StepOp::MinMax:
    case StepOp::Clip:
      return {"op", "column", "min", "max"};
    case StepOp::Log:
    case StepOp::Log1p:
      return {"op", "column"};
    case StepOp::Impute:
      return {"op", "column", "value"};
    case StepOp::OneHot:
      return {"op", "column", "categories", "unknown"};
    case StepOp::LabelEncode:
      return {"op", "column", "mapping", "default"};
    case StepOp::Polynomial:
      return {"op", "columns", "degree", "interaction_only", "include_bias"};
    case StepOp::Bucketize:
      return {"op", "column", "edges"};
    case StepOp::Expr:
      return {"op", "name", "expr"};
    }
    return {"op"};
  };
  if (Error e = checkKeys(*o, path, allowedKeys(), what))
    return e;

  auto parseOp = [&]() -> Error {
    switch (op) {
    case StepOp::Impute:
      return parseImpute(*o, path, step);
    case StepOp::OneHot:
      return parseOneHot(*o, path, step);
    case StepOp::LabelEncode:
      return parseLabelEncode(*o, path, step);
    case StepOp::Polynomial:
      return parsePolynomial(*o, path, step);
    case StepOp::Expr:
      return parseExprStep(*o, path, step);
    default: {
      int slot;
      if (Error e = parseFloatOp(*o, path, step, slot))
        return e;
      replaceWithFloat(slot, op);
      return Error::success();
    }
    }
  };
  if (Error e = parseOp())
    return e;
  spec.steps.push_back(std::move(step));
  return Error::success();
}

/// standardize, minmax, log, log1p, clip, bucketize: one numeric column in,
/// one Float column out.
Error PipelineParser::parseFloatOp(const json::Object &o, const std::string &path, Step &step,
                                   int &slot) {
  StringRef op = stepOpName(step.op);
  const json::Value *v;
  std::string colPath = keyPath(path, "column");
  if (Error e = readStepColumn(o, path, "the column to transform", step, slot))
    return e;
  if (Error e = requireNumeric(slot, colPath, op))
    return e;

  switch (step.op) {
  case StepOp::Standardize:
    if (Error e = requireKey(o, path, "mean", "a finite number", v))
      return e;
    if (Error e = readFinite(*v, keyPath(path, "mean"), step.mean))
      return e;
    if (Error e = requireKey(o, path, "std", "a finite number > 0", v))
      return e;
    if (Error e = readFinite(*v, keyPath(path, "std"), step.std, "a finite number > 0"))
      return e;
    if (!(step.std > 0))
      return expected(keyPath(path, "std"), "a finite number > 0", *v);
    return Error::success();
  case StepOp::MinMax: {
    if (Error e = requireKey(o, path, "min", "a finite number", v))
      return e;
    if (Error e = readFinite(*v, keyPath(path, "min"), step.min))
      return e;
    if (Error e = requireKey(o, path, "max", "a finite number > min", v))
      return e;
    std::string maxPath = keyPath(path, "max");
    if (Error e = readFinite(*v, maxPath, step.max, "a finite number > min"))
      return e;
    if (!(step.max > step.min))
      return expected(maxPath, "a finite number > min (" + formatNumber(step.min) + ")", *v);
    if (!std::isfinite(step.max - step.min))
      return failAt(maxPath, "max - min overflows f64");
    return Error::success();
  }
  case StepOp::Clip: {
    step.min = -std::numeric_limits<double>::infinity();
    step.max = std::numeric_limits<double>::infinity();
    const json::Value *lo = o.get("min"), *hi = o.get("max");
    if (!lo && !hi)
      return failAt(path, "clip needs a bound: 'min', 'max' or both");
    if (lo)
      if (Error e = readFinite(*lo, keyPath(path, "min"), step.min))
        return e;
    if (hi)
      if (Error e = readFinite(*hi, keyPath(path, "max"), step.max))
        return e;
    if (lo && hi && !(step.min <= step.max))
      return expected(keyPath(path, "max"),
                      "a finite number >= min (" + formatNumber(step.min) + ")", *hi);
    return Error::success();
  }
  case StepOp::Bucketize: {
    if (Error e = requireKey(o, path, "edges", "a non-empty array of increasing numbers", v))
      return e;
    std::string edgesPath = keyPath(path, "edges");
    const json::Array *edges = v->getAsArray();
    if (!edges || edges->empty())
      return expected(edgesPath,
                      "a non-empty array of strictly increasing finite "
                      "numbers",
                      *v);
    for (size_t i = 0; i < edges->size(); ++i) {
      double d;
      std::string ePath = indexPath(edgesPath, i);
      if (Error e = readFinite((*edges)[i], ePath, d))
        return e;
      if (!step.edges.empty() && !(d > step.edges.back()))
        return failAt(ePath, "expected edges in strictly increasing order, "
                             "got " +
                                 formatNumber(d) + " after " + formatNumber(step.edges.back()));
      step.edges.push_back(d);
    }
    return Error::success();
  }
  default: // log, log1p
    return Error::success();
  }
}

Error PipelineParser::parseImpute(const json::Object &o, const std::string &path, Step &step) {
  const json::Value *v;
  std::string colPath = keyPath(path, "column");
  int slot;
  if (Error e = readStepColumn(o, path, "the column to impute", step, slot))
    return e;
  const PlanValue &in = plan.values[slots[slot].value];
  if (in.kind == ValueKind::String)
    return failAt(colPath, "column " + quoted(step.column) +
                               " is a string column, which has no missing "
                               "values to impute");
  if (in.kind == ValueKind::Int && !in.missing)
    return failAt(colPath, "column " + quoted(step.column) +
                               " is an integer column without a 'missing' sentinel, so "
                               "it has no missing values to impute (declare "
                               "\"missing\" on the input)");
  if (Error e = requireKey(o, path, "value", "a finite number", v))
    return e;
  if (Error e = readFinite(*v, keyPath(path, "value"), step.value))
    return e;
  ValueKind kind =
      in.kind == ValueKind::Int && fitsInt64(step.value) ? ValueKind::Int : ValueKind::Float;
  int inValue = slots[slot].value;
  int out = newValue(kind, std::nullopt, step.column, static_cast<int>(spec.steps.size()));
  PlanNode &node = addNode(StepOp::Impute);
  node.args = {inValue};
  node.results = {out};
  slots[slot].value = out;
  return Error::success();
}

/// One category of a one_hot or label_encode step, typed by the column kind.
Error PipelineParser::parseCategory(const json::Value &v, StringRef path, ValueKind kind,
                                    StringRef what, int64_t &i, double &d, std::string &s) {
  switch (kind) {
  case ValueKind::Int: {
    std::optional<int64_t> x = asInt64(v);
    if (!x)
      return expected(path, "an integer " + what, v);
    i = *x;
    return Error::success();
  }
  case ValueKind::Float:
    return readFinite(v, path, d, ("a finite number " + what).str());
  case ValueKind::String: {
    std::optional<StringRef> x = v.getAsString();
    if (!x)
      return expected(path, "a string " + what, v);
    s = x->str();
    return Error::success();
  }
  }
  return Error::success();
}

namespace {

/// Names and duplicates of typed categories, shared by one_hot and
/// label_encode.
struct CategorySet {
  ValueKind kind;
  std::unordered_map<int64_t, size_t> ints;
  std::unordered_map<double, size_t> floats; // -0.0 stored as 0.0
  llvm::StringMap<size_t> strings;

  /// Index of an equal category already added, or npos.
  size_t add(int64_t i, double d, const std::string &s, size_t index) {
    switch (kind) {
    case ValueKind::Int: {
      auto r = ints.try_emplace(i, index);
      return r.second ? std::string::npos : r.first->second;
    }
    case ValueKind::Float: {
      auto r = floats.try_emplace(d == 0.0 ? 0.0 : d, index);
      return r.second ? std::string::npos : r.first->second;
    }
    case ValueKind::String: {
      auto r = strings.try_emplace(s, index);
      return r.second ? std::string::npos : r.first->second;
    }
    }
    return std::string::npos;
  }
};

std::string categoryText(ValueKind kind, int64_t i, double d, const std::string &s) {
  switch (kind) {
  case ValueKind::Int:
    return std::to_string(i);
  case ValueKind::Float:
    return formatNumber(d);
  case ValueKind::String:
    return s;
  }
  return s;
}

StringRef categoryNoun(ValueKind kind) {
  switch (kind) {
  case ValueKind::Int:
    return "integers";
  case ValueKind::Float:
    return "numbers";
  case ValueKind::String:
    return "strings";
  }
  return "values";
}

StringRef columnKindText(ValueKind kind) {
  switch (kind) {
  case ValueKind::Int:
    return "an integer column";
  case ValueKind::Float:
    return "a float column";
  case ValueKind::String:
    return "a string column";
  }
  return "a column";
}
} // namespace

Error PipelineParser::parseOneHot(const json::Object &o, const std::string &path, Step &step) {
  const json::Value *v;
  int slot;
  if (Error e = readStepColumn(o, path, "the column to encode", step, slot))
    return e;
  const PlanValue &in = plan.values[slots[slot].value];
  ValueKind kind = in.kind;
  std::optional<int64_t> sentinel = in.missing;

  if (const json::Value *u = o.get("unknown")) {
    std::optional<StringRef> s = u->getAsString();
    if (s && *s == "zeros")
      step.unknown = UnknownPolicy::Zeros;
    else if (s && *s == "error")
      step.unknown = UnknownPolicy::Error;
    else
      return expected(keyPath(path, "unknown"), "one of zeros, error", *u);
  }

  std::string catPath = keyPath(path, "categories");
  std::string arrayWhat = ("a non-empty array of " + categoryNoun(kind)).str();
  if (Error e = requireKey(o, path, "categories", arrayWhat, v))
    return e;
  const json::Array *cats = v->getAsArray();
  if (!cats || cats->empty())
    return expected(catPath, arrayWhat, *v);
  std::string what = ("(column " + quoted(step.column) + " is " + columnKindText(kind) + ")").str();
  CategorySet set{kind, {}, {}, {}};
  std::vector<std::string> names;
  uint64_t nameBytesNeeded = 0;
  for (size_t i = 0; i < cats->size(); ++i) {
    std::string path_i = indexPath(catPath, i);
    int64_t iv = 0;
    double dv = 0;
    std::string sv;
    if (Error e = parseCategory((*cats)[i], path_i, kind, what, iv, dv, sv))
      return e;
    std::string text = categoryText(kind, iv, dv, sv);
    size_t dup = set.add(iv, dv, sv, i);
    if (dup != std::string::npos)
      return failAt(path_i,
                    "duplicate category " + quoted(text) + " (also at index " + Twine(dup) + ")");
    if (kind == ValueKind::Int && sentinel && iv == *sentinel)
      return failAt(path_i, "category " + Twine(iv) + " is the missing sentinel of column " +
                                quoted(step.column) + " (missing values match no category)");
    switch (kind) {
    case ValueKind::Int:
      step.intCategories.push_back(iv);
      break;
    case ValueKind::Float:
      step.floatCategories.push_back(dv);
      break;
    case ValueKind::String:
      step.stringCategories.push_back(sv);
      break;
    }
    nameBytesNeeded += step.column.size() + 1 + text.size();
    names.push_back(std::move(text));
  }
  if (Error e = checkColumnBudget(path, "one_hot", 1, names.size(), nameBytesNeeded))
    return e;
  for (std::string &n : names)
    n = step.column + "=" + n;
  if (Error e = checkProduced(path, "one_hot", names, {slot}))
    return e;
  int inValue = slots[slot].value;
  std::vector<int> results;
  results.reserve(names.size());
  int stepIndex = static_cast<int>(spec.steps.size());
  for (std::string &n : names)
    results.push_back(newValue(ValueKind::Float, std::nullopt, std::move(n), stepIndex));
  PlanNode &node = addNode(StepOp::OneHot);
  node.args = {inValue};
  node.results = results;
  splice(slot, {}, results);
  return Error::success();
}
namespace {

/// Parses an object key as a category of `kind`: decimal integers for Int
/// columns, JSON numbers for Float columns, anything for strings.
bool parseCategoryKey(StringRef key, ValueKind kind, int64_t &i, double &d) {
  switch (kind) {
  case ValueKind::Int: {
    StringRef digits = key;
    digits.consume_front("-");
    if (digits.empty() || !llvm::all_of(digits, llvm::isDigit))
      return false;
    auto r = std::from_chars(key.data(), key.data() + key.size(), i);
    return r.ec == std::errc() && r.ptr == key.data() + key.size();
  }
  case ValueKind::Float: {
    // JSON number grammar: -?digits(.digits)?([eE][+-]?digits)?
    size_t p = 0, n = key.size();
    auto digits = [&]() {
      size_t start = p;
      while (p < n && llvm::isDigit(key[p]))
        ++p;
      return p > start;
    };
    if (p < n && key[p] == '-')
      ++p;
    if (!digits())
      return false;
    if (p < n && key[p] == '.') {
      ++p;
      if (!digits())
        return false;
    }
    if (p < n && (key[p] == 'e' || key[p] == 'E')) {
      ++p;
      if (p < n && (key[p] == '+' || key[p] == '-'))
        ++p;
      if (!digits())
        return false;
    }
    if (p != n)
      return false;
    auto r = std::from_chars(key.data(), key.data() + n, d);
    return r.ec == std::errc() && r.ptr == key.data() + n && std::isfinite(d);
  }
  case ValueKind::String:
    return true;
  }
  return false;
}

} // namespace

Error PipelineParser::parseLabelEncode(const json::Object &o, const std::string &path, Step &step) {
  const json::Value *v;
  int slot;
  if (Error e = readStepColumn(o, path, "the column to encode", step, slot))
    return e;
  const PlanValue &in = plan.values[slots[slot].value];
  ValueKind kind = in.kind;
  std::optional<int64_t> sentinel = in.missing;

  if (const json::Value *d = o.get("default"))
    if (Error e = readFinite(*d, keyPath(path, "default"), step.defaultCode))
      return e;

  std::string mapPath = keyPath(path, "mapping");
  std::string mapWhat =
      ("a non-empty object {category: code} or a non-empty array of " + categoryNoun(kind)).str();
  if (Error e = requireKey(o, path, "mapping", mapWhat, v))
    return e;
  struct Entry {
    int64_t i = 0;
    double d = 0;
    std::string s;
    double code = 0;
  };
  std::vector<Entry> entries;
  CategorySet set{kind, {}, {}, {}};
  std::string what = ("(column " + quoted(step.column) + " is " + columnKindText(kind) + ")").str();
  auto addEntry = [&](Entry entry, StringRef entryPath, size_t index, StringRef dupWhere) -> Error {
    std::string text = categoryText(kind, entry.i, entry.d, entry.s);
    size_t dup = set.add(entry.i, entry.d, entry.s, index);
    if (dup != std::string::npos)
      return failAt(entryPath, "duplicate category " + quoted(text) + dupWhere);
    if (kind == ValueKind::Int && sentinel && entry.i == *sentinel)
      return failAt(entryPath, "category " + Twine(entry.i) +
                                   " is the missing sentinel of column " + quoted(step.column) +
                                   " (missing values get the default code)");
    entries.push_back(std::move(entry));
    return Error::success();
  };

  if (const json::Object *m = v->getAsObject()) {
    if (m->empty())
      return expected(mapPath, mapWhat, *v);
    // Visit keys in byte order so that errors do not depend on hashing.
    std::vector<StringRef> keys;
    keys.reserve(m->size());
    for (const auto &kv : *m)
      keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    for (size_t k = 0; k < keys.size(); ++k) {
      StringRef key = keys[k];
      std::string entryPath = keyPath(mapPath, key);
      Entry entry;
      if (!parseCategoryKey(key, kind, entry.i, entry.d))
        return failAt(entryPath,
                      "expected " +
                          Twine(kind == ValueKind::Int ? "a decimal integer key"
                                                       : "a key that is a finite JSON number") +
                          " " + what + ", got " + quoted(key));
      entry.s = key.str();
      if (Error e = readFinite(*m->get(key), entryPath, entry.code, "a finite number (the code)"))
        return e;
      if (Error e = addEntry(std::move(entry), entryPath, k,
                             " (keys are compared as " + categoryNoun(kind).str() + ")"))
        return e;
    }
  } else if (const json::Array *a = v->getAsArray()) {
    if (a->empty())
      return expected(mapPath, mapWhat, *v);
    for (size_t k = 0; k < a->size(); ++k) {
      std::string entryPath = indexPath(mapPath, k);
      Entry entry;
      if (Error e = parseCategory((*a)[k], entryPath, kind, what, entry.i, entry.d, entry.s))
        return e;
      entry.code = static_cast<double>(k);
      if (Error e = addEntry(std::move(entry), entryPath, k, ""))
        return e;
    }
  } else {
    return expected(mapPath, mapWhat, *v);
  }

  // Categories in one order whatever the spelling: by value.
  std::sort(entries.begin(), entries.end(), [&](const Entry &a, const Entry &b) {
    switch (kind) {
    case ValueKind::Int:
      return a.i < b.i;
    case ValueKind::Float:
      return a.d < b.d;
    case ValueKind::String:
      return a.s < b.s;
    }
    return false;
  });
  for (Entry &e : entries) {
    switch (kind) {
    case ValueKind::Int:
      step.intCategories.push_back(e.i);
      break;
    case ValueKind::Float:
      step.floatCategories.push_back(e.d);
      break;
    case ValueKind::String:
      step.stringCategories.push_back(std::move(e.s));
      break;
    }
    step.codes.push_back(e.code);
  }
  replaceWithFloat(slot, StepOp::LabelEncode);
  return Error::success();
}

Error PipelineParser::parsePolynomial(const json::Object &o, const std::string &path, Step &step) {
  const json::Value *v;
  std::string colsWhat = "a non-empty array of numeric column names";
  if (Error e = requireKey(o, path, "columns", colsWhat, v))
    return e;
  std::string colsPath = keyPath(path, "columns");
  const json::Array *cols = v->getAsArray();
  if (!cols || cols->empty())
    return expected(colsPath, colsWhat, *v);
  std::vector<int> listed;
  llvm::DenseSet<int> listedSet;
  std::vector<int> args;
  for (size_t i = 0; i < cols->size(); ++i) {
    std::string cPath = indexPath(colsPath, i);
    int slot;
    if (Error e = lookupColumn((*cols)[i], cPath, slot))
      return e;
    if (!listedSet.insert(slot).second)
      return failAt(cPath, "duplicate column " + quoted(slotName(slot)));
    if (Error e = requireNumeric(slot, cPath, "polynomial"))
      return e;
    listed.push_back(slot);
    args.push_back(slots[slot].value);
    step.columns.push_back(slotName(slot));
  }
  if (Error e = requireKey(o, path, "degree", "an integer in 1..8", v))
    return e;
  std::optional<int64_t> degree = asInt64(*v);
  if (!degree || *degree < 1 || *degree > 8)
    return expected(keyPath(path, "degree"), "an integer in 1..8", *v);
  step.degree = static_cast<int>(*degree);
  if (const json::Value *b = o.get("interaction_only"))
    if (Error e = readBool(*b, keyPath(path, "interaction_only"), step.interactionOnly))
      return e;
  if (const json::Value *b = o.get("include_bias"))
    if (Error e = readBool(*b, keyPath(path, "include_bias"), step.includeBias))
      return e;

  // Count the output (and its name bytes) before expanding anything.
  const uint64_t n = listed.size();
  const uint64_t cap = kMaxColumns + 1;
  uint64_t count = step.includeBias ? 1 : 0;
  bool overflow = false;
  uint64_t c = 1; // C(n+k-1, k) or C(n, k)
  for (uint64_t k = 1; k <= static_cast<uint64_t>(step.degree); ++k) {
    if (step.interactionOnly && k > n)
      break;
    // Exact: the product of k consecutive binomials stays divisible.
    uint64_t factor = step.interactionOnly ? n - k + 1 : n + k - 1;
    c = c * factor / k;
    count += c;
    if (c >= cap || count >= cap) {
      overflow = true;
      break;
    }
  }
  if (overflow)
    return failAt(path, "polynomial of degree " + Twine(step.degree) + " over " + Twine(n) +
                            " columns would make more than " + Twine(kMaxColumns) +
                            " columns (the limit)");
  // Every term, in scikit-learn's order (PolynomialTerms.h).
  auto forEachCombination = [&](auto &&fn) {
    forEachPolynomialTerm(static_cast<unsigned>(n), static_cast<unsigned>(step.degree),
                          step.interactionOnly, step.includeBias, [&](ArrayRef<unsigned> combo) {
                            fn(combo);
                            return true;
                          });
  };
  // scikit-learn's get_feature_names_out: factors by column index, "c^p"
  // for powers above 1, joined by spaces; "1" for the bias.
  auto nameOf = [&](ArrayRef<unsigned> combo, std::string *out) -> uint64_t {
    if (combo.empty()) {
      if (out)
        *out = "1";
      return 1;
    }
    uint64_t size = 0;
    for (size_t a = 0; a < combo.size();) {
      size_t b = a;
      while (b < combo.size() && combo[b] == combo[a])
        ++b;
      const std::string &col = step.columns[combo[a]];
      std::string power = b - a > 1 ? "^" + std::to_string(b - a) : "";
      size += (a ? 1 : 0) + col.size() + power.size();
      if (out) {
        if (a)
          *out += ' ';
        *out += col;
        *out += power;
      }
      a = b;
    }
    return size;
  };
  uint64_t bytes = 0;
  forEachCombination([&](ArrayRef<unsigned> combo) { bytes += nameOf(combo, nullptr); });
  if (Error e = checkColumnBudget(path, "polynomial", listed.size(), count, bytes))
    return e;
  std::vector<std::string> names;
  names.reserve(count);
  forEachCombination([&](ArrayRef<unsigned> combo) {
    names.emplace_back();
    nameOf(combo, &names.back());
  });
  if (Error e = checkProduced(path, "polynomial", names, listed))
    return e;
  std::vector<int> results;
  results.reserve(names.size());
  int stepIndex = static_cast<int>(spec.steps.size());
  for (std::string &name : names)
    results.push_back(newValue(ValueKind::Float, std::nullopt, std::move(name), stepIndex));
  PlanNode &node = addNode(StepOp::Polynomial);
  node.args = args;
  node.results = results;
  splice(listed[0], ArrayRef<int>(listed).drop_front(), results);
  return Error::success();
}
Error PipelineParser::parseExprStep(const json::Object &o, const std::string &path, Step &step) {
  const json::Value *v;
  if (Error e = requireKey(o, path, "name", "the name of the produced column", v))
    return e;
  if (Error e = readNonEmptyString(*v, keyPath(path, "name"), step.name,
                                   "a column name (a non-empty string)"))
    return e;
  if (Error e = requireKey(o, path, "expr", "the expression text", v))
    return e;
  std::string exprPath = keyPath(path, "expr");
  std::optional<StringRef> text = v->getAsString();
  if (!text)
    return expected(exprPath, "the expression text (a string)", *v);
  step.exprText = text->str();
  std::vector<detail::ExprRef> refs;
  Expected<ExprPtr> parsed = detail::parseExprWithRefs(*text, &refs);
  if (!parsed)
    return failAt(exprPath, llvm::toString(parsed.takeError()));

  // Distinct columns in order of first appearance (the text order, which is
  // also the left-to-right order of the tree).
  llvm::StringMap<int> argOf;
  std::vector<int> args;
  for (const detail::ExprRef &ref : refs) {
    if (argOf.count(ref.name))
      continue;
    auto it = byName.find(ref.name);
    if (it == byName.end())
      return failAt(exprPath, "unknown column " + quoted(ref.name) + " at offset " +
                                  Twine(ref.offset) + " (current columns: " + currentColumns() +
                                  ")");
    if (slotKind(it->second) == ValueKind::String)
      return failAt(exprPath, "column " + quoted(ref.name) + " at offset " + Twine(ref.offset) +
                                  " is a string column (expressions need "
                                  "numeric columns)");
    argOf[ref.name] = static_cast<int>(args.size());
    args.push_back(slots[it->second].value);
  }
  step.expr = detail::resolveExpr(*parsed, argOf);

  int stepIndex = static_cast<int>(spec.steps.size());
  auto existing = byName.find(step.name);
  if (existing == byName.end())
    if (Error e = checkColumnBudget(path, "expr", 0, 1, step.name.size()))
      return e;
  int out = newValue(ValueKind::Float, std::nullopt, step.name, stepIndex);
  PlanNode &node = addNode(StepOp::Expr);
  node.args = args;
  node.results = {out};
  if (existing != byName.end())
    slots[existing->second].value = out;
  else
    insertBefore(-1, out);
  return Error::success();
}
} // namespace jit
} // namespace specjit
