//===- Descriptor.cpp - Parsing, validation, analysis, canonical form -----===//
//
// Descriptor::parse() runs in three phases:
//   1-2. detail::parseStrictJson (JsonText.h): a linear pre-scan that bounds
//      JSON nesting (llvm::json recurses) and size, then llvm::json::parse,
//      then RFC 8259 strictness and duplicate keys (llvm::json keeps the
//      last), each error with its line, column and JSON path;
//   3. the header (`specjit`, `kind`), then the family's parser: validation
//      of every key, with the JSON path of the fault in every error,
//      interleaved with the analysis. The pipeline family (PipelineParser,
//      here) builds the Plan (column kinds, missing sentinels, value ids);
//      `series`, `rules` and `model` live in SeriesDescriptor.cpp,
//      RulesDescriptor.cpp and ModelDescriptor.cpp and share the helpers of
//      DescriptorInternal.h (`model` also reuses PipelineParser for its
//      inputs and steps: detail::parseModelPipeline);
//   4. the canonical text, written from the validated specification (not
//      from the JSON), and its xxh3-128 hash (DescriptorParser::make).
//
// The pipeline canonical form is described below; the other families
// describe theirs at the top of their files.
//
// Canonical form: compact JSON, keys sorted bytewise, `name` dropped,
// defaults written out ("steps": [], one_hot "unknown", label_encode
// "default", polynomial "interaction_only"/"include_bias"), clip bounds only
// when given, output "columns" only when given, numbers as formatNumber()
// spells them, expressions as printExpr() spells them, and label_encode
// "mapping" always as an object {category: code} whose keys are the
// normalized categories (integers in decimal, floats as formatNumber()
// spells them, strings as is), sorted bytewise like every other key.
//
//===----------------------------------------------------------------------===//

#include "DescriptorInternal.h"
#include "JsonText.h"

#include "specjit/ReadFile.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

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

llvm::StringRef kindName(Kind k) {
  switch (k) {
#define SPECJIT_FAMILY(K, NAME, PARSE)                                         \
  case Kind::K:                                                                \
    return NAME;
#include "Families.def"
  }
  return "?";
}

llvm::StringRef stepOpName(StepOp op) {
  switch (op) {
  case StepOp::Standardize: return "standardize";
  case StepOp::MinMax: return "minmax";
  case StepOp::Log: return "log";
  case StepOp::Log1p: return "log1p";
  case StepOp::Clip: return "clip";
  case StepOp::Impute: return "impute";
  case StepOp::OneHot: return "one_hot";
  case StepOp::LabelEncode: return "label_encode";
  case StepOp::Polynomial: return "polynomial";
  case StepOp::Bucketize: return "bucketize";
  case StepOp::Expr: return "expr";
  }
  return "?";
}

namespace {

using detail::asInt64;
using detail::checkKeys;
using detail::describe;
using detail::expected;
using detail::failAt;
using detail::fitsInt64;
using detail::formatNumber;
using detail::indexPath;
using detail::jsonString;
using detail::keyPath;
using detail::makeError;
using detail::quoted;
using detail::readBool;
using detail::readFinite;
using detail::readNonEmptyString;
using detail::requireKey;

constexpr StepOp kAllOps[] = {
    StepOp::Standardize, StepOp::MinMax,      StepOp::Log,
    StepOp::Log1p,       StepOp::Clip,        StepOp::Impute,
    StepOp::OneHot,      StepOp::LabelEncode, StepOp::Polynomial,
    StepOp::Bucketize,   StepOp::Expr,
};

/// Total bytes of column names a plan may hold (one_hot and polynomial
/// multiply name lengths; this keeps a small descriptor from asking for
/// gigabytes).
constexpr size_t kMaxNameBytes = 64u << 20;
/// Columns listed in "current columns: ..." hints.
constexpr size_t kMaxListed = 20;

} // namespace

namespace detail {

//===----------------------------------------------------------------------===//
// Messages and paths
//===----------------------------------------------------------------------===//

Error failAt(StringRef path, const Twine &msg) {
  return makeError((path.empty() ? StringRef("descriptor") : path) + ": " +
                   msg);
}

/// A user string for a message: quoted, cut to a sane length.
std::string quoted(StringRef s) {
  constexpr size_t kMax = 80;
  if (s.size() <= kMax)
    return "'" + s.str() + "'";
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
    --cut; // do not split a UTF-8 sequence
  return "'" + s.take_front(cut).str() + "...' (" + std::to_string(s.size()) +
         " bytes)";
}

std::string jsonString(StringRef s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << json::Value(s.str());
  return out;
}

std::string keyPath(StringRef parent, StringRef key) {
  bool plain = !key.empty() && llvm::all_of(key, [](char c) {
    return llvm::isAlnum(c) || c == '_';
  });
  std::string s = parent.str();
  if (plain) {
    if (!s.empty())
      s += '.';
    s += key;
  } else {
    s += '[';
    s += jsonString(key);
    s += ']';
  }
  return s;
}

std::string indexPath(StringRef parent, size_t i) {
  return (parent + "[" + Twine(i) + "]").str();
}

/// An integer JSON value as int64, also from integral doubles (1.0, 1e0);
/// std::nullopt when not an integer or out of range.
std::optional<int64_t> asInt64(const json::Value &v) {
  if (std::optional<uint64_t> u = v.getAsUINT64()) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  std::optional<double> d = v.getAsNumber();
  // getAsInteger() converts doubles up to 2^63 inclusive: keep it below.
  if (!d || !(*d < 9223372036854775808.0))
    return std::nullopt;
  return v.getAsInteger();
}

/// True when d is integral and converts to int64 exactly.
bool fitsInt64(double d) {
  return std::trunc(d) == d && d >= -9223372036854775808.0 &&
         d < 9223372036854775808.0;
}

/// What a JSON value is, for "got ..." in messages.
std::string describe(const json::Value &v) {
  switch (v.kind()) {
  case json::Value::Null: return "null";
  case json::Value::Boolean: return *v.getAsBoolean() ? "true" : "false";
  case json::Value::Number: {
    if (std::optional<int64_t> i = asInt64(v))
      return std::to_string(*i);
    double d = *v.getAsNumber();
    if (std::isnan(d))
      return "NaN";
    if (std::isinf(d))
      return d > 0 ? "a number too large for f64 (infinity)"
                   : "a number too large for f64 (-infinity)";
    return formatNumber(d);
  }
  case json::Value::String: return "the string " + quoted(*v.getAsString());
  case json::Value::Array: return "an array";
  case json::Value::Object: return "an object";
  }
  return "a value";
}

Error expected(StringRef path, const Twine &what, const json::Value &got) {
  return failAt(path, "expected " + what + ", got " + describe(got));
}

Error readFinite(const json::Value &v, StringRef path, double &out,
                 StringRef what) {
  std::optional<double> d = v.getAsNumber();
  if (!d || !std::isfinite(*d))
    return expected(path, what, v);
  out = *d;
  return Error::success();
}

Error readBool(const json::Value &v, StringRef path, bool &out) {
  std::optional<bool> b = v.getAsBoolean();
  if (!b)
    return expected(path, "true or false", v);
  out = *b;
  return Error::success();
}

Error parseOutputObject(const json::Object &root, StringRef noun, DType &type,
                        std::vector<std::string> &columns) {
  const json::Value *v;
  if (Error e = requireKey(root, "", "output",
                           "an object {\"type\": \"f32\" or \"f64\"}", v))
    return e;
  const json::Object *o = v->getAsObject();
  if (!o)
    return expected("output", "an object {\"type\": \"f32\" or \"f64\"}", *v);
  if (Error e = checkKeys(*o, "output", {"type", "columns"}, "output"))
    return e;
  const json::Value *t;
  if (Error e = requireKey(*o, "output", "type", "f32 or f64", t))
    return e;
  std::optional<StringRef> name = t->getAsString();
  if (name && *name == "f32")
    type = DType::F32;
  else if (name && *name == "f64")
    type = DType::F64;
  else
    return expected("output.type", "one of f32, f64", *t);
  const json::Value *c = o->get("columns");
  if (!c)
    return Error::success();
  const json::Array *cols = c->getAsArray();
  if (!cols || cols->empty())
    return expected("output.columns", "a non-empty array of " + noun + " names", *c);
  llvm::StringMap<size_t> seen;
  for (size_t i = 0; i < cols->size(); ++i) {
    std::string path = indexPath("output.columns", i);
    std::string col;
    std::string article = StringRef("aeiou").contains(noun.front()) ? "an " : "a ";
    if (Error e = readNonEmptyString((*cols)[i], path, col,
                                     article + noun.str() + " name (a non-empty string)"))
      return e;
    auto [it, inserted] = seen.try_emplace(col, i);
    if (!inserted)
      return failAt(path, "duplicate output column " + quoted(col) +
                              " (also output.columns[" + Twine(it->second) + "])");
    columns.push_back(std::move(col));
  }
  return Error::success();
}

Error readNonEmptyString(const json::Value &v, StringRef path,
                         std::string &out, StringRef what) {
  std::optional<StringRef> s = v.getAsString();
  if (!s || s->empty())
    return expected(path, what, v);
  out = s->str();
  return Error::success();
}

/// Unknown keys are errors everywhere. The first unknown key in byte order
/// is reported, with a suggestion when it is close to an allowed one.
Error checkKeys(const json::Object &o, StringRef path,
                ArrayRef<StringRef> allowed, StringRef what) {
  std::vector<StringRef> unknown;
  for (const auto &kv : o)
    if (!llvm::is_contained(allowed, StringRef(kv.first)))
      unknown.push_back(kv.first);
  if (unknown.empty())
    return Error::success();
  std::sort(unknown.begin(), unknown.end());
  StringRef bad = unknown.front();
  std::string msg = "unknown key " + quoted(bad);
  StringRef best;
  unsigned bestDistance = 3;
  for (StringRef a : allowed) {
    unsigned dist = bad.edit_distance(a, true, bestDistance);
    if (dist < bestDistance) {
      bestDistance = dist;
      best = a;
    }
  }
  if (!best.empty())
    msg += " (did you mean '" + best.str() + "'?)";
  std::vector<StringRef> sorted(allowed.begin(), allowed.end());
  std::sort(sorted.begin(), sorted.end());
  msg += "; " + what.str() + " takes " + llvm::join(sorted, ", ");
  return failAt(path, msg);
}

/// Finds a required key; a missing one is an error that says what belongs
/// there (and points at a near miss among the keys present).
Error requireKey(const json::Object &o, StringRef path, StringRef key,
                 StringRef what, const json::Value *&out) {
  out = o.get(key);
  if (out)
    return Error::success();
  std::string msg = "missing required key '" + key.str() + "' (" + what.str() +
                    ")";
  for (const auto &kv : o) {
    StringRef k = kv.first;
    if (k != key && k.edit_distance(key, true, 3) <= 2) {
      msg += "; found " + quoted(k) + ", a misspelling?";
      break;
    }
  }
  return failAt(path, msg);
}

} // namespace detail


//===----------------------------------------------------------------------===//
// PipelineParser: validation and analysis of the pipeline family
//===----------------------------------------------------------------------===//

class PipelineParser {
public:
  Expected<Descriptor> run(const json::Object &root);
  /// The model family's preprocessing (see detail::parseModelPipeline).
  Error runModelFront(const json::Object &root, PipelineSpec &out);

private:
  /// One current column: a slot of a doubly linked list (steps splice in
  /// place in O(produced columns)).
  struct Slot {
    int value = -1;
    int prev = -1, next = -1;
  };

  PipelineSpec spec;
  Plan &plan = spec.plan;
  std::vector<Slot> slots;
  int head = -1, tail = -1;
  size_t liveColumns = 0;
  llvm::StringMap<int> byName; // current column name -> slot
  /// Where each value comes from: -(i+1) for inputs[i], else a step index.
  std::vector<int> origin;
  size_t nameBytes = 0;

  // Columns.
  const std::string &slotName(int s) const {
    return plan.values[slots[s].value].name;
  }
  ValueKind slotKind(int s) const { return plan.values[slots[s].value].kind; }
  int newValue(ValueKind kind, std::optional<int64_t> missing,
               std::string name, int from);
  int insertBefore(int before, int value);
  void unlink(int s);
  std::string currentColumns() const;
  std::string originOf(int value) const;

  // Validation helpers.
  Error lookupColumn(const json::Value &v, StringRef path, int &slot);
  /// Reads the step's required "column" key, resolves it to a current
  /// column and records its name in `step`.
  Error readStepColumn(const json::Object &o, const std::string &path,
                       StringRef what, Step &step, int &slot);
  Error requireNumeric(int slot, StringRef path, StringRef op);
  Error checkProduced(StringRef stepPath, StringRef op,
                      ArrayRef<std::string> names, ArrayRef<int> consumed);
  Error checkColumnBudget(StringRef stepPath, StringRef op, size_t consumed,
                          uint64_t produced, uint64_t producedNameBytes);

  // Phases.
  Error parseHeader(const json::Object &root);
  Error parseInputs(const json::Object &root);
  Error parseOutputShape(const json::Object &root);
  Error parseSteps(const json::Object &root);
  Error parseStep(const json::Value &v, size_t index);
  Error resolveOutputs();
  Error resolveFeatures(const json::Object &root);

  // Ops.
  Error parseFloatOp(const json::Object &o, const std::string &path,
                     Step &step, int &slot);
  Error parseImpute(const json::Object &o, const std::string &path,
                    Step &step);
  Error parseOneHot(const json::Object &o, const std::string &path,
                    Step &step);
  Error parseLabelEncode(const json::Object &o, const std::string &path,
                         Step &step);
  Error parsePolynomial(const json::Object &o, const std::string &path,
                        Step &step);
  Error parseExprStep(const json::Object &o, const std::string &path,
                      Step &step);
  Error parseCategory(const json::Value &v, StringRef path, ValueKind kind,
                      StringRef what, int64_t &i, double &d, std::string &s);

  /// Records a step that maps one column to one Float column in place.
  void replaceWithFloat(int slot, StepOp op);
  /// Replaces the column in `slot` (and removes `alsoRemove`) with new
  /// columns for `values`, in order, at the position of `slot`.
  void splice(int slot, ArrayRef<int> alsoRemove, ArrayRef<int> values);
  PlanNode &addNode(StepOp op);
};

int PipelineParser::newValue(ValueKind kind, std::optional<int64_t> missing,
                             std::string name, int from) {
  nameBytes += name.size();
  PlanValue v;
  v.kind = kind;
  v.missing = missing;
  v.name = std::move(name);
  plan.values.push_back(std::move(v));
  origin.push_back(from);
  return static_cast<int>(plan.values.size()) - 1;
}

int PipelineParser::insertBefore(int before, int value) {
  int s = static_cast<int>(slots.size());
  Slot slot;
  slot.value = value;
  slot.next = before;
  slot.prev = before < 0 ? tail : slots[before].prev;
  slots.push_back(slot);
  if (slot.prev < 0)
    head = s;
  else
    slots[slot.prev].next = s;
  if (before < 0)
    tail = s;
  else
    slots[before].prev = s;
  byName[plan.values[value].name] = s;
  ++liveColumns;
  return s;
}

void PipelineParser::unlink(int s) {
  Slot &slot = slots[s];
  if (slot.prev < 0)
    head = slot.next;
  else
    slots[slot.prev].next = slot.next;
  if (slot.next < 0)
    tail = slot.prev;
  else
    slots[slot.next].prev = slot.prev;
  auto it = byName.find(slotName(s));
  if (it != byName.end() && it->second == s)
    byName.erase(it);
  --liveColumns;
}

std::string PipelineParser::currentColumns() const {
  std::string out;
  size_t n = 0;
  for (int s = head; s >= 0; s = slots[s].next, ++n) {
    if (n == kMaxListed) {
      out += ", ... (" + std::to_string(liveColumns) + " in all)";
      break;
    }
    if (n)
      out += ", ";
    out += slotName(s);
  }
  return n ? out : "none";
}

std::string PipelineParser::originOf(int value) const {
  int from = origin[value];
  if (from < 0)
    return "inputs[" + std::to_string(-from - 1) + "]";
  return "steps[" + std::to_string(from) + "]";
}

Error PipelineParser::readStepColumn(const json::Object &o,
                                     const std::string &path, StringRef what,
                                     Step &step, int &slot) {
  const json::Value *v;
  if (Error e = requireKey(o, path, "column", what, v))
    return e;
  if (Error e = lookupColumn(*v, keyPath(path, "column"), slot))
    return e;
  step.column = slotName(slot);
  return Error::success();
}

Error PipelineParser::lookupColumn(const json::Value &v, StringRef path,
                                   int &slot) {
  std::optional<StringRef> name = v.getAsString();
  if (!name || name->empty())
    return expected(path, "a column name (a non-empty string)", v);
  auto it = byName.find(*name);
  if (it == byName.end())
    return failAt(path, "unknown column " + quoted(*name) +
                            " (current columns: " + currentColumns() + ")");
  slot = it->second;
  return Error::success();
}

Error PipelineParser::requireNumeric(int slot, StringRef path,
                                     StringRef op) {
  if (slotKind(slot) != ValueKind::String)
    return Error::success();
  return failAt(path, "column " + quoted(slotName(slot)) +
                          " is a string column, but " + op +
                          " needs a numeric column (string columns can only "
                          "be consumed by one_hot and label_encode)");
}

Error PipelineParser::checkProduced(StringRef stepPath, StringRef op,
                                    ArrayRef<std::string> names,
                                    ArrayRef<int> consumed) {
  llvm::StringSet<> seen;
  llvm::DenseSet<int> consumedSet(consumed.begin(), consumed.end());
  for (const std::string &name : names) {
    if (!seen.insert(name).second)
      return failAt(stepPath, op + " would produce the column " +
                                  quoted(name) + " twice");
    auto it = byName.find(name);
    if (it != byName.end() && !consumedSet.contains(it->second))
      return failAt(stepPath,
                    op + " produces the column " + quoted(name) +
                        ", which collides with the current column " +
                        quoted(name) + " (from " +
                        originOf(slots[it->second].value) + ")");
  }
  return Error::success();
}

Error PipelineParser::checkColumnBudget(StringRef stepPath, StringRef op,
                                        size_t consumed, uint64_t produced,
                                        uint64_t producedNameBytes) {
  uint64_t after = liveColumns - consumed + produced;
  if (produced > kMaxColumns || after > kMaxColumns)
    return failAt(stepPath, op + " would make " + Twine(after) +
                                " columns, more than the limit of " +
                                Twine(kMaxColumns));
  if (producedNameBytes > kMaxNameBytes - std::min(nameBytes, kMaxNameBytes))
    return failAt(stepPath, op + " would make column names of " +
                                Twine(producedNameBytes) +
                                " bytes in all, more than the limit of " +
                                Twine(kMaxNameBytes) + " bytes");
  return Error::success();
}

PlanNode &PipelineParser::addNode(StepOp op) {
  PlanNode node;
  node.op = op;
  node.step = static_cast<int>(spec.steps.size());
  plan.nodes.push_back(std::move(node));
  return plan.nodes.back();
}

void PipelineParser::replaceWithFloat(int slot, StepOp op) {
  int in = slots[slot].value;
  int out = newValue(ValueKind::Float, std::nullopt, plan.values[in].name,
                     static_cast<int>(spec.steps.size()));
  PlanNode &node = addNode(op);
  node.args = {in};
  node.results = {out};
  slots[slot].value = out;
}

void PipelineParser::splice(int slot, ArrayRef<int> alsoRemove,
                            ArrayRef<int> values) {
  for (int s : alsoRemove)
    unlink(s);
  int next = slots[slot].next;
  unlink(slot);
  for (int v : values)
    insertBefore(next, v);
}

//===----------------------------------------------------------------------===//
// Document, inputs, output
//===----------------------------------------------------------------------===//

Error PipelineParser::parseHeader(const json::Object &root) {
  if (Error e = checkKeys(root, "",
                          {"specjit", "kind", "name", "inputs", "output",
                           "steps"},
                          "a pipeline descriptor"))
    return e;
  return detail::readDescriptorName(root, spec.name);
}

Error PipelineParser::parseInputs(const json::Object &root) {
  const json::Value *v;
  if (Error e = requireKey(root, "", "inputs",
                           "a non-empty array of input columns", v))
    return e;
  const json::Array *inputs = v->getAsArray();
  if (!inputs || inputs->empty())
    return expected("inputs", "a non-empty array of input columns", *v);
  if (inputs->size() > kMaxColumns)
    return failAt("inputs", Twine(inputs->size()) +
                                " input columns, more than the limit of " +
                                Twine(kMaxColumns));
  llvm::StringMap<size_t> seen;
  for (size_t i = 0; i < inputs->size(); ++i) {
    std::string path = indexPath("inputs", i);
    const json::Object *o = (*inputs)[i].getAsObject();
    if (!o)
      return expected(path, "an input column object {\"name\", \"type\"}",
                      (*inputs)[i]);
    if (Error e = checkKeys(*o, path, {"name", "type", "missing"},
                            "an input column"))
      return e;
    InputColumn in;
    const json::Value *f;
    if (Error e = requireKey(*o, path, "name", "a non-empty string", f))
      return e;
    std::string namePath = keyPath(path, "name");
    if (Error e =
            readNonEmptyString(*f, namePath, in.name, "a non-empty string"))
      return e;
    auto [it, inserted] = seen.try_emplace(in.name, i);
    if (!inserted)
      return failAt(namePath, "duplicate input name " + quoted(in.name) +
                                  " (also inputs[" + Twine(it->second) +
                                  "])");
    if (Error e = requireKey(*o, path, "type",
                             "one of bool, i32, i64, f32, f64, string", f))
      return e;
    std::optional<StringRef> type = f->getAsString();
    std::optional<DType> dtype = type ? parseDType(*type) : std::nullopt;
    if (!dtype)
      return expected(keyPath(path, "type"),
                      "one of bool, i32, i64, f32, f64, string", *f);
    in.type = *dtype;
    if (const json::Value *m = o->get("missing")) {
      std::string mPath = keyPath(path, "missing");
      int64_t lo = std::numeric_limits<int64_t>::min();
      int64_t hi = std::numeric_limits<int64_t>::max();
      switch (in.type) {
      case DType::Bool: lo = 0, hi = 1; break;
      case DType::I32:
        lo = std::numeric_limits<int32_t>::min();
        hi = std::numeric_limits<int32_t>::max();
        break;
      case DType::I64: break;
      default:
        return failAt(mPath, "only bool, i32 and i64 inputs take a 'missing' "
                             "sentinel (" +
                                 dtypeName(in.type) +
                                 (in.type == DType::String
                                      ? " columns have no missing value)"
                                      : " columns use NaN)"));
      }
      std::optional<int64_t> sentinel = asInt64(*m);
      if (!sentinel || *sentinel < lo || *sentinel > hi)
        return expected(mPath,
                        "an integer within the range of " +
                            dtypeName(in.type) + " ([" + Twine(lo) + ", " +
                            Twine(hi) + "])",
                        *m);
      in.missing = sentinel;
    }
    ValueKind kind = in.type == DType::String ? ValueKind::String
                     : (in.type == DType::F32 || in.type == DType::F64)
                         ? ValueKind::Float
                         : ValueKind::Int;
    int value = newValue(kind, in.missing, in.name, -static_cast<int>(i) - 1);
    insertBefore(-1, value);
    spec.inputs.push_back(std::move(in));
  }
  return Error::success();
}

Error PipelineParser::parseOutputShape(const json::Object &root) {
  return detail::parseOutputObject(root, "column", spec.outputType, spec.outputColumns);
}

Error PipelineParser::resolveOutputs() {
  auto stringError = [&](StringRef path, StringRef name) {
    return failAt(path, "column " + quoted(name) +
                            " is a string column and cannot be written to "
                            "the numeric output (encode it with one_hot or "
                            "label_encode" +
                            (spec.outputColumns.empty()
                                 ? ", or list the output columns in "
                                   "output.columns)"
                                 : ")"));
  };
  if (spec.outputColumns.empty()) {
    for (int s = head; s >= 0; s = slots[s].next) {
      if (slotKind(s) == ValueKind::String)
        return stringError("output", slotName(s));
      plan.outputs.push_back(slots[s].value);
      plan.outputNames.push_back(slotName(s));
    }
    return Error::success();
  }
  for (size_t i = 0; i < spec.outputColumns.size(); ++i) {
    std::string path = indexPath("output.columns", i);
    const std::string &name = spec.outputColumns[i];
    auto it = byName.find(name);
    if (it == byName.end())
      return failAt(path, "unknown column " + quoted(name) +
                              " (columns after the last step: " +
                              currentColumns() + ")");
    if (slotKind(it->second) == ValueKind::String)
      return stringError(path, name);
    plan.outputs.push_back(slots[it->second].value);
    plan.outputNames.push_back(name);
  }
  return Error::success();
}

/// The model family: `features` (optional) names the model's features among
/// the current columns; without it, every current column in order. The
/// features land in plan.outputs/outputNames; `features` as written in
/// spec.outputColumns.
Error PipelineParser::resolveFeatures(const json::Object &root) {
  auto stringError = [&](StringRef path, StringRef name, bool listed) {
    return failAt(path, "column " + quoted(name) +
                            " is a string column, but the model's features "
                            "must be numeric (encode it with one_hot or "
                            "label_encode" +
                            (listed ? ")"
                                    : ", or list the numeric features in "
                                      "'features')"));
  };
  const json::Value *v = root.get("features");
  if (!v) {
    for (int s = head; s >= 0; s = slots[s].next) {
      if (slotKind(s) == ValueKind::String)
        return stringError("features", slotName(s), false);
      plan.outputs.push_back(slots[s].value);
      plan.outputNames.push_back(slotName(s));
    }
    return Error::success();
  }
  const json::Array *list = v->getAsArray();
  if (!list || list->empty())
    return expected("features", "a non-empty array of column names", *v);
  llvm::StringMap<size_t> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string path = indexPath("features", i);
    std::string name;
    if (Error e = readNonEmptyString((*list)[i], path, name,
                                     "a column name (a non-empty string)"))
      return e;
    auto [dup, inserted] = seen.try_emplace(name, i);
    if (!inserted)
      return failAt(path, "duplicate feature " + quoted(name) +
                              " (also features[" + Twine(dup->second) + "])");
    auto it = byName.find(name);
    if (it == byName.end()) {
      std::vector<std::string> names;
      for (int s = head; s >= 0 && names.size() < 4096; s = slots[s].next)
        names.push_back(slotName(s));
      return failAt(path, "unknown column " + quoted(name) +
                              " (columns after the last step: " +
                              currentColumns() + ")" +
                              detail::suggestName(name, names));
    }
    if (slotKind(it->second) == ValueKind::String)
      return stringError(path, name, true);
    plan.outputs.push_back(slots[it->second].value);
    plan.outputNames.push_back(name);
    spec.outputColumns.push_back(std::move(name));
  }
  return Error::success();
}

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
  for (StepOp op : kAllOps)
    opNames.push_back(stepOpName(op).str());
  Expected<size_t> opIndex = detail::readOp(*o, path, opNames);
  if (!opIndex)
    return opIndex.takeError();
  StepOp op = kAllOps[*opIndex];

  Step step;
  step.op = op;
  StringRef name = stepOpName(step.op);
  std::string what =
      (StringRef("aeiou").contains(name[0]) ? "an " : "a ") + name.str() +
      " step";
  auto allowedKeys = [&]() -> std::vector<StringRef> {
    switch (op) {
    case StepOp::Standardize: return {"op", "column", "mean", "std"};
    case StepOp::MinMax:
    case StepOp::Clip: return {"op", "column", "min", "max"};
    case StepOp::Log:
    case StepOp::Log1p: return {"op", "column"};
    case StepOp::Impute: return {"op", "column", "value"};
    case StepOp::OneHot: return {"op", "column", "categories", "unknown"};
    case StepOp::LabelEncode: return {"op", "column", "mapping", "default"};
    case StepOp::Polynomial:
      return {"op", "columns", "degree", "interaction_only", "include_bias"};
    case StepOp::Bucketize: return {"op", "column", "edges"};
    case StepOp::Expr: return {"op", "name", "expr"};
    }
    return {"op"};
  };
  if (Error e = checkKeys(*o, path, allowedKeys(), what))
    return e;

  auto parseOp = [&]() -> Error {
    switch (op) {
    case StepOp::Impute: return parseImpute(*o, path, step);
    case StepOp::OneHot: return parseOneHot(*o, path, step);
    case StepOp::LabelEncode: return parseLabelEncode(*o, path, step);
    case StepOp::Polynomial: return parsePolynomial(*o, path, step);
    case StepOp::Expr: return parseExprStep(*o, path, step);
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
Error PipelineParser::parseFloatOp(const json::Object &o,
                                   const std::string &path, Step &step,
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
    if (Error e = readFinite(*v, keyPath(path, "std"), step.std,
                             "a finite number > 0"))
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
      return expected(maxPath,
                      "a finite number > min (" + formatNumber(step.min) + ")",
                      *v);
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
                      "a finite number >= min (" + formatNumber(step.min) +
                          ")",
                      *hi);
    return Error::success();
  }
  case StepOp::Bucketize: {
    if (Error e = requireKey(o, path, "edges",
                             "a non-empty array of increasing numbers", v))
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
                                 formatNumber(d) + " after " +
                                 formatNumber(step.edges.back()));
      step.edges.push_back(d);
    }
    return Error::success();
  }
  default: // log, log1p
    return Error::success();
  }
}

Error PipelineParser::parseImpute(const json::Object &o,
                                  const std::string &path, Step &step) {
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
    return failAt(colPath,
                  "column " + quoted(step.column) +
                      " is an integer column without a 'missing' sentinel, so "
                      "it has no missing values to impute (declare "
                      "\"missing\" on the input)");
  if (Error e = requireKey(o, path, "value", "a finite number", v))
    return e;
  if (Error e = readFinite(*v, keyPath(path, "value"), step.value))
    return e;
  ValueKind kind = in.kind == ValueKind::Int && fitsInt64(step.value)
                       ? ValueKind::Int
                       : ValueKind::Float;
  int inValue = slots[slot].value;
  int out = newValue(kind, std::nullopt, step.column,
                     static_cast<int>(spec.steps.size()));
  PlanNode &node = addNode(StepOp::Impute);
  node.args = {inValue};
  node.results = {out};
  slots[slot].value = out;
  return Error::success();
}

/// One category of a one_hot or label_encode step, typed by the column kind.
Error PipelineParser::parseCategory(const json::Value &v, StringRef path,
                                    ValueKind kind, StringRef what,
                                    int64_t &i, double &d, std::string &s) {
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

std::string categoryText(ValueKind kind, int64_t i, double d,
                         const std::string &s) {
  switch (kind) {
  case ValueKind::Int: return std::to_string(i);
  case ValueKind::Float: return formatNumber(d);
  case ValueKind::String: return s;
  }
  return s;
}

StringRef categoryNoun(ValueKind kind) {
  switch (kind) {
  case ValueKind::Int: return "integers";
  case ValueKind::Float: return "numbers";
  case ValueKind::String: return "strings";
  }
  return "values";
}

StringRef columnKindText(ValueKind kind) {
  switch (kind) {
  case ValueKind::Int: return "an integer column";
  case ValueKind::Float: return "a float column";
  case ValueKind::String: return "a string column";
  }
  return "a column";
}

Error PipelineParser::parseOneHot(const json::Object &o,
                                  const std::string &path, Step &step) {
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
  std::string arrayWhat =
      ("a non-empty array of " + categoryNoun(kind)).str();
  if (Error e = requireKey(o, path, "categories", arrayWhat, v))
    return e;
  const json::Array *cats = v->getAsArray();
  if (!cats || cats->empty())
    return expected(catPath, arrayWhat, *v);
  std::string what = ("(column " + quoted(step.column) + " is " +
                      columnKindText(kind) + ")")
                         .str();
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
      return failAt(path_i, "duplicate category " + quoted(text) +
                                " (also at index " + Twine(dup) + ")");
    if (kind == ValueKind::Int && sentinel && iv == *sentinel)
      return failAt(path_i, "category " + Twine(iv) +
                                " is the missing sentinel of column " +
                                quoted(step.column) +
                                " (missing values match no category)");
    switch (kind) {
    case ValueKind::Int: step.intCategories.push_back(iv); break;
    case ValueKind::Float: step.floatCategories.push_back(dv); break;
    case ValueKind::String: step.stringCategories.push_back(sv); break;
    }
    nameBytesNeeded += step.column.size() + 1 + text.size();
    names.push_back(std::move(text));
  }
  if (Error e = checkColumnBudget(path, "one_hot", 1, names.size(),
                                  nameBytesNeeded))
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
    results.push_back(
        newValue(ValueKind::Float, std::nullopt, std::move(n), stepIndex));
  PlanNode &node = addNode(StepOp::OneHot);
  node.args = {inValue};
  node.results = results;
  splice(slot, {}, results);
  return Error::success();
}

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

Error PipelineParser::parseLabelEncode(const json::Object &o,
                                       const std::string &path,
                                       Step &step) {
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
      ("a non-empty object {category: code} or a non-empty array of " +
       categoryNoun(kind))
          .str();
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
  std::string what = ("(column " + quoted(step.column) + " is " +
                      columnKindText(kind) + ")")
                         .str();
  auto addEntry = [&](Entry entry, StringRef entryPath, size_t index,
                      StringRef dupWhere) -> Error {
    std::string text = categoryText(kind, entry.i, entry.d, entry.s);
    size_t dup = set.add(entry.i, entry.d, entry.s, index);
    if (dup != std::string::npos)
      return failAt(entryPath, "duplicate category " + quoted(text) + dupWhere);
    if (kind == ValueKind::Int && sentinel && entry.i == *sentinel)
      return failAt(entryPath, "category " + Twine(entry.i) +
                                   " is the missing sentinel of column " +
                                   quoted(step.column) +
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
                          Twine(kind == ValueKind::Int
                                    ? "a decimal integer key"
                                    : "a key that is a finite JSON number") +
                          " " + what + ", got " + quoted(key));
      entry.s = key.str();
      if (Error e = readFinite(*m->get(key), entryPath, entry.code,
                               "a finite number (the code)"))
        return e;
      if (Error e = addEntry(std::move(entry), entryPath, k,
                             " (keys are compared as " +
                                 categoryNoun(kind).str() + ")"))
        return e;
    }
  } else if (const json::Array *a = v->getAsArray()) {
    if (a->empty())
      return expected(mapPath, mapWhat, *v);
    for (size_t k = 0; k < a->size(); ++k) {
      std::string entryPath = indexPath(mapPath, k);
      Entry entry;
      if (Error e = parseCategory((*a)[k], entryPath, kind, what, entry.i,
                                  entry.d, entry.s))
        return e;
      entry.code = static_cast<double>(k);
      if (Error e = addEntry(std::move(entry), entryPath, k, ""))
        return e;
    }
  } else {
    return expected(mapPath, mapWhat, *v);
  }

  // Categories in one order whatever the spelling: by value.
  std::sort(entries.begin(), entries.end(),
            [&](const Entry &a, const Entry &b) {
              switch (kind) {
              case ValueKind::Int: return a.i < b.i;
              case ValueKind::Float: return a.d < b.d;
              case ValueKind::String: return a.s < b.s;
              }
              return false;
            });
  for (Entry &e : entries) {
    switch (kind) {
    case ValueKind::Int: step.intCategories.push_back(e.i); break;
    case ValueKind::Float: step.floatCategories.push_back(e.d); break;
    case ValueKind::String: step.stringCategories.push_back(std::move(e.s));
      break;
    }
    step.codes.push_back(e.code);
  }
  replaceWithFloat(slot, StepOp::LabelEncode);
  return Error::success();
}

Error PipelineParser::parsePolynomial(const json::Object &o,
                                      const std::string &path, Step &step) {
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
    if (Error e = readBool(*b, keyPath(path, "interaction_only"),
                           step.interactionOnly))
      return e;
  if (const json::Value *b = o.get("include_bias"))
    if (Error e = readBool(*b, keyPath(path, "include_bias"),
                           step.includeBias))
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
    return failAt(path, "polynomial of degree " + Twine(step.degree) +
                            " over " + Twine(n) +
                            " columns would make more than " +
                            Twine(kMaxColumns) + " columns (the limit)");
  std::vector<uint32_t> idx;
  auto forEachCombination = [&](auto &&fn) {
    if (step.includeBias)
      fn(ArrayRef<uint32_t>());
    for (uint64_t k = 1; k <= static_cast<uint64_t>(step.degree); ++k) {
      if (step.interactionOnly && k > n)
        break;
      idx.assign(k, 0);
      if (step.interactionOnly)
        for (uint64_t j = 0; j < k; ++j)
          idx[j] = static_cast<uint32_t>(j);
      while (true) {
        fn(ArrayRef<uint32_t>(idx));
        // Advance to the next combination in lexicographic order.
        int64_t j = static_cast<int64_t>(k) - 1;
        if (step.interactionOnly) {
          while (j >= 0 && idx[j] == n - k + static_cast<uint64_t>(j))
            --j;
          if (j < 0)
            break;
          ++idx[j];
          for (uint64_t m = static_cast<uint64_t>(j) + 1; m < k; ++m)
            idx[m] = idx[m - 1] + 1;
        } else {
          while (j >= 0 && idx[j] == n - 1)
            --j;
          if (j < 0)
            break;
          ++idx[j];
          for (uint64_t m = static_cast<uint64_t>(j) + 1; m < k; ++m)
            idx[m] = idx[j];
        }
      }
    }
  };
  // scikit-learn's get_feature_names_out: factors by column index, "c^p"
  // for powers above 1, joined by spaces; "1" for the bias.
  auto nameOf = [&](ArrayRef<uint32_t> combo, std::string *out) -> uint64_t {
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
  forEachCombination(
      [&](ArrayRef<uint32_t> combo) { bytes += nameOf(combo, nullptr); });
  if (Error e = checkColumnBudget(path, "polynomial", listed.size(), count,
                                  bytes))
    return e;
  std::vector<std::string> names;
  names.reserve(count);
  forEachCombination([&](ArrayRef<uint32_t> combo) {
    names.emplace_back();
    nameOf(combo, &names.back());
  });
  if (Error e = checkProduced(path, "polynomial", names, listed))
    return e;
  std::vector<int> results;
  results.reserve(names.size());
  int stepIndex = static_cast<int>(spec.steps.size());
  for (std::string &name : names)
    results.push_back(
        newValue(ValueKind::Float, std::nullopt, std::move(name), stepIndex));
  PlanNode &node = addNode(StepOp::Polynomial);
  node.args = args;
  node.results = results;
  splice(listed[0], ArrayRef<int>(listed).drop_front(), results);
  return Error::success();
}

namespace detail {
/// Copies `e` with every Column node's `arg` set from `argOf`.
ExprPtr resolveExpr(const ExprPtr &e, const llvm::StringMap<int> &argOf) {
  switch (e->kind) {
  case Expr::Kind::Const:
    return e;
  case Expr::Kind::Column: {
    auto copy = std::make_shared<Expr>(*e);
    copy->arg = argOf.lookup(e->column);
    return copy;
  }
  case Expr::Kind::Op: {
    auto copy = std::make_shared<Expr>(*e);
    for (ExprPtr &a : copy->args)
      a = resolveExpr(a, argOf);
    return copy;
  }
  }
  return e;
}
} // namespace detail

Error PipelineParser::parseExprStep(const json::Object &o,
                                    const std::string &path, Step &step) {
  const json::Value *v;
  if (Error e = requireKey(o, path, "name",
                           "the name of the produced column", v))
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
      return failAt(exprPath, "unknown column " + quoted(ref.name) +
                                  " at offset " + Twine(ref.offset) +
                                  " (current columns: " + currentColumns() +
                                  ")");
    if (slotKind(it->second) == ValueKind::String)
      return failAt(exprPath, "column " + quoted(ref.name) + " at offset " +
                                  Twine(ref.offset) +
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

//===----------------------------------------------------------------------===//
// Canonical form
//===----------------------------------------------------------------------===//

namespace detail {

void numberAttr(json::OStream &j, StringRef key, double v) {
  j.attributeBegin(key);
  j.rawValue(formatNumber(v));
  j.attributeEnd();
}

} // namespace detail

namespace {

using detail::numberAttr;

void categories(json::OStream &j, const Step &s) {
  j.array([&] {
    for (int64_t c : s.intCategories)
      j.value(c);
    for (double c : s.floatCategories)
      j.rawValue(formatNumber(c));
    for (const std::string &c : s.stringCategories)
      j.value(c);
  });
}

} // namespace

namespace detail {

void writeCanonicalStep(json::OStream &j, const Step &s) {
  j.object([&] {
    auto op = [&] { j.attribute("op", stepOpName(s.op)); };
    auto column = [&] { j.attribute("column", s.column); };
    switch (s.op) {
    case StepOp::Standardize:
      column();
      numberAttr(j, "mean", s.mean);
      op();
      numberAttr(j, "std", s.std);
      break;
    case StepOp::MinMax:
      column();
      numberAttr(j, "max", s.max);
      numberAttr(j, "min", s.min);
      op();
      break;
    case StepOp::Log:
    case StepOp::Log1p:
      column();
      op();
      break;
    case StepOp::Clip:
      column();
      if (std::isfinite(s.max))
        numberAttr(j, "max", s.max);
      if (std::isfinite(s.min))
        numberAttr(j, "min", s.min);
      op();
      break;
    case StepOp::Impute:
      column();
      op();
      numberAttr(j, "value", s.value);
      break;
    case StepOp::OneHot:
      j.attributeBegin("categories");
      categories(j, s);
      j.attributeEnd();
      column();
      op();
      j.attribute("unknown",
                  s.unknown == UnknownPolicy::Error ? "error" : "zeros");
      break;
    case StepOp::LabelEncode: {
      column();
      numberAttr(j, "default", s.defaultCode);
      std::vector<std::pair<std::string, double>> entries;
      entries.reserve(s.codes.size());
      for (size_t i = 0; i < s.codes.size(); ++i) {
        std::string key = i < s.intCategories.size()
                              ? std::to_string(s.intCategories[i])
                          : i < s.floatCategories.size()
                              ? formatNumber(s.floatCategories[i])
                              : s.stringCategories[i];
        entries.emplace_back(std::move(key), s.codes[i]);
      }
      std::sort(entries.begin(), entries.end());
      j.attributeObject("mapping", [&] {
        for (const auto &[key, code] : entries)
          numberAttr(j, key, code);
      });
      op();
      break;
    }
    case StepOp::Polynomial:
      j.attributeArray("columns", [&] {
        for (const std::string &c : s.columns)
          j.value(c);
      });
      j.attribute("degree", static_cast<int64_t>(s.degree));
      j.attribute("include_bias", s.includeBias);
      j.attribute("interaction_only", s.interactionOnly);
      op();
      break;
    case StepOp::Bucketize:
      column();
      j.attributeArray("edges", [&] {
        for (double e : s.edges)
          j.rawValue(formatNumber(e));
      });
      op();
      break;
    case StepOp::Expr:
      j.attribute("expr", detail::printExpr(*s.expr));
      j.attribute("name", s.name);
      op();
      break;
    }
  });
}

void writeCanonicalInputs(json::OStream &j,
                          ArrayRef<InputColumn> inputs) {
  j.array([&] {
    for (const InputColumn &in : inputs)
      j.object([&] {
        if (in.missing)
          j.attribute("missing", *in.missing);
        j.attribute("name", in.name);
        j.attribute("type", dtypeName(in.type));
      });
  });
}

} // namespace detail

namespace {

std::string canonicalText(const PipelineSpec &spec) {
  std::string out;
  llvm::raw_string_ostream os(out);
  {
    json::OStream j(os);
    j.object([&] {
      j.attributeBegin("inputs");
      detail::writeCanonicalInputs(j, spec.inputs);
      j.attributeEnd();
      j.attribute("kind", kindName(Kind::Pipeline));
      j.attributeObject("output", [&] {
        if (!spec.outputColumns.empty())
          j.attributeArray("columns", [&] {
            for (const std::string &c : spec.outputColumns)
              j.value(c);
          });
        j.attribute("type", dtypeName(spec.outputType));
      });
      j.attribute("specjit", 1);
      j.attributeArray("steps", [&] {
        for (const Step &s : spec.steps)
          detail::writeCanonicalStep(j, s);
      });
    });
  }
  os.flush();
  return out;
}

} // namespace

Expected<Descriptor> PipelineParser::run(const json::Object &root) {
  if (Error e = parseHeader(root))
    return std::move(e);
  if (Error e = parseInputs(root))
    return std::move(e);
  if (Error e = parseOutputShape(root))
    return std::move(e);
  if (Error e = parseSteps(root))
    return std::move(e);
  if (Error e = resolveOutputs())
    return std::move(e);
  std::string canonical = canonicalText(spec);
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

Error PipelineParser::runModelFront(const json::Object &root,
                                    PipelineSpec &out) {
  if (Error e = parseInputs(root))
    return e;
  if (Error e = parseSteps(root))
    return e;
  if (Error e = resolveFeatures(root))
    return e;
  // The features are f64 values (f32 under a float32 tree ensemble).
  spec.outputType = DType::F64;
  out = std::move(spec);
  return Error::success();
}

namespace detail {

Error parseModelPipeline(const json::Object &root, PipelineSpec &out) {
  return PipelineParser().runModelFront(root, out);
}

} // namespace detail

//===----------------------------------------------------------------------===//
// Shared by the families
//===----------------------------------------------------------------------===//

namespace {

Hash128 hashText(StringRef text) {
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  Hash128 out;
  out.hi = h.high64;
  out.lo = h.low64;
  return out;
}

constexpr Kind kAllKinds[] = {
#define SPECJIT_FAMILY(K, NAME, PARSE) Kind::K,
#include "Families.def"
};

std::string kindList() {
  std::string out;
  for (Kind k : kAllKinds)
    out += (out.empty() ? "" : ", ") + kindName(k).str();
  return out;
}

} // namespace

template <typename Spec>
Descriptor DescriptorParser::make(Kind kind, Spec spec, std::string canonical,
                                  std::shared_ptr<const Spec> Descriptor::*member) {
  Descriptor d;
  d.kind_ = kind;
  d.hash_ = hashText(canonical);
  d.canonical_ = std::move(canonical);
  d.*member = std::make_shared<const Spec>(std::move(spec));
  return d;
}

Descriptor DescriptorParser::make(PipelineSpec spec, std::string canonical) {
  return make(Kind::Pipeline, std::move(spec), std::move(canonical), &Descriptor::pipeline_);
}

Descriptor DescriptorParser::make(SeriesSpec spec, std::string canonical) {
  return make(Kind::Series, std::move(spec), std::move(canonical), &Descriptor::series_);
}

Descriptor DescriptorParser::make(ModelSpec spec, std::string canonical) {
  return make(Kind::Model, std::move(spec), std::move(canonical), &Descriptor::model_);
}

Descriptor DescriptorParser::make(RulesSpec spec, std::string canonical) {
  return make(Kind::Rules, std::move(spec), std::move(canonical), &Descriptor::rules_);
}

Descriptor DescriptorParser::make(TrainSpec spec, std::string canonical) {
  return make(Kind::Train, std::move(spec), std::move(canonical), &Descriptor::train_);
}

Descriptor DescriptorParser::make(EvalSpec spec, std::string canonical) {
  return make(Kind::Eval, std::move(spec), std::move(canonical), &Descriptor::eval_);
}

namespace detail {

Expected<Descriptor> parsePipeline(const json::Object &root) {
  return PipelineParser().run(root);
}

Error parseHeader(const json::Object &root, Kind &kind) {
  const json::Value *v;
  if (Error e = requireKey(root, "", "specjit", "the format version, 1", v))
    return e;
  std::optional<int64_t> version = asInt64(*v);
  if (!version)
    return expected("specjit", "the format version 1", *v);
  if (*version != 1)
    return failAt("specjit", "unsupported format version " +
                                 Twine(*version) +
                                 " (this build reads version 1)");
  if (Error e = requireKey(root, "", "kind",
                           "the descriptor family: one of " + kindList(), v))
    return e;
  std::optional<StringRef> name = v->getAsString();
  if (!name)
    return expected("kind", "a string naming the family (one of " +
                                kindList() + ")",
                    *v);
  for (Kind k : kAllKinds)
    if (*name == kindName(k)) {
      kind = k;
      return Error::success();
    }
  std::string msg =
      "unknown kind " + quoted(*name) + " (expected one of " + kindList() + ")";
  for (Kind k : kAllKinds)
    if (name->edit_distance(kindName(k), true, 3) <= 2) {
      msg += "; did you mean '" + kindName(k).str() + "'?";
      break;
    }
  return failAt("kind", msg);
}

Error readDescriptorName(const json::Object &root, std::string &out) {
  if (const json::Value *name = root.get("name")) {
    std::optional<StringRef> s = name->getAsString();
    if (!s)
      return expected("name", "a string", *name);
    out = s->str();
  }
  return Error::success();
}

Expected<size_t> readOp(const json::Object &o, StringRef path,
                        ArrayRef<std::string> names) {
  std::string list;
  for (const std::string &n : names)
    list += (list.empty() ? "" : ", ") + n;
  const json::Value *v;
  if (Error e = requireKey(o, path, "op", "one of " + list, v))
    return std::move(e);
  std::string opPath = keyPath(path, "op");
  std::optional<StringRef> name = v->getAsString();
  if (!name)
    return expected(opPath, "one of " + list, *v);
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == *name)
      return i;
  return failAt(opPath, "unknown op " + quoted(*name) + " (expected one of " +
                            list + ")" + suggestName(*name, names));
}

std::string suggestName(StringRef bad, ArrayRef<std::string> candidates) {
  StringRef best;
  unsigned bestDistance = 3;
  for (const std::string &c : candidates) {
    unsigned dist = bad.edit_distance(c, true, bestDistance);
    if (dist < bestDistance) {
      bestDistance = dist;
      best = c;
    }
  }
  if (best.empty() || bad.size() < 2)
    return "";
  return "; did you mean " + quoted(best) + "?";
}

std::string listNames(ArrayRef<std::string> names) {
  if (names.empty())
    return "none";
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == kMaxListed) {
      out += ", ... (" + std::to_string(names.size()) + " in all)";
      break;
    }
    if (i)
      out += ", ";
    out += names[i];
  }
  return out;
}

} // namespace detail

//===----------------------------------------------------------------------===//
// Descriptor
//===----------------------------------------------------------------------===//

const std::vector<std::string> &Descriptor::outputNames() const {
  switch (kind_) {
  case Kind::Series: return series_->outputNames;
  case Kind::Rules: return rules_->meters;
  case Kind::Model: return model_->outputNames;
  case Kind::Train: return train_->pipeline.plan.outputNames;
  case Kind::Eval: return eval_->outputNames;
  case Kind::Pipeline: break;
  }
  return pipeline_->plan.outputNames;
}

DType Descriptor::outputType() const {
  switch (kind_) {
  case Kind::Series: return series_->outputType;
  case Kind::Rules: return rules_->type;
  case Kind::Model: return model_->outputType;
  case Kind::Train:
  case Kind::Eval: return DType::F64;
  case Kind::Pipeline: break;
  }
  return pipeline_->outputType;
}

const std::vector<InputColumn> &Descriptor::inputs() const {
  static const std::vector<InputColumn> none;
  switch (kind_) {
  case Kind::Series: return series_->inputs;
  case Kind::Rules: return none;
  case Kind::Model: return model_->pipeline.inputs;
  case Kind::Train: return train_->dataColumns;
  case Kind::Eval: return eval_->dataColumns;
  case Kind::Pipeline: break;
  }
  return pipeline_->inputs;
}

const std::string &Descriptor::name() const {
  switch (kind_) {
  case Kind::Series: return series_->name;
  case Kind::Rules: return rules_->name;
  case Kind::Model: return model_->name;
  case Kind::Train: return train_->name;
  case Kind::Eval: return eval_->name;
  case Kind::Pipeline: break;
  }
  return pipeline_->name;
}

std::string Descriptor::summary() const {
  switch (kind_) {
  case Kind::Train: return detail::summarizeTrain(*train_);
  case Kind::Eval: return detail::summarizeEval(*eval_);
  default: return "";
  }
}

Expected<Descriptor> Descriptor::parse(StringRef text) {
  Expected<size_t> maxBytes = limitBytes(kDescriptorReadLimit);
  if (!maxBytes)
    return maxBytes.takeError();
  if (text.size() > *maxBytes)
    return makeError("descriptor: the text is " + Twine(text.size()) +
                     " bytes, more than the limit of " + Twine(*maxBytes) +
                     " bytes (set " + kDescriptorReadLimit.envVar +
                     " to change it)");
  detail::JsonReadOptions opts; // the descriptor defaults
  opts.maxDepth = detail::kMaxNesting;
  Expected<json::Value> value = detail::parseStrictJson(text, opts);
  if (!value)
    return value.takeError();
  return fromJSON(*value);
}

Expected<Descriptor> Descriptor::fromJSON(const json::Value &v) {
  const json::Object *root = v.getAsObject();
  if (!root)
    return expected("", "a JSON object (a descriptor)", v);
  Kind kind = Kind::Pipeline;
  if (Error e = detail::parseHeader(*root, kind))
    return std::move(e);
  switch (kind) {
#define SPECJIT_FAMILY(K, NAME, PARSE)                                         \
  case Kind::K:                                                                \
    return detail::PARSE(*root);
#include "Families.def"
  }
  return makeError("kind: unknown family");
}

Expected<Descriptor> Descriptor::fromFile(StringRef path) {
  Expected<std::string> text = readBoundedFile(path, kDescriptorReadLimit);
  if (!text)
    return text.takeError();
  return parse(*text);
}

} // namespace jit
} // namespace specjit
