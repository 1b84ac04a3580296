//===- PipelineDescriptor.cpp - The `pipeline` family ---------------------===//
//
// Parsing, validation and analysis of `kind: "pipeline"` descriptors
// (docs/semantics.md): the document's keys, `inputs`, `output`, and the
// current columns the steps work on (a linked list of slots, so a step
// splices its columns in place); the steps themselves are in
// PipelineStepsDescriptor.cpp, the canonical form in PipelineCanonical.cpp.
// The model and train families reuse the inputs and steps through
// parsePipelineFrontEnd (PipelineFrontEnd.h).
//
//===----------------------------------------------------------------------===//

#include "Families/Pipeline/PipelineFrontEnd.h"
#include "Families/Pipeline/PipelineParser.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {

llvm::StringRef stepOpName(StepOp op) {
  switch (op) {
  case StepOp::Standardize:
    return "standardize";
  case StepOp::MinMax:
    return "minmax";
  case StepOp::Log:
    return "log";
  case StepOp::Log1p:
    return "log1p";
  case StepOp::Clip:
    return "clip";
  case StepOp::Impute:
    return "impute";
  case StepOp::OneHot:
    return "one_hot";
  case StepOp::LabelEncode:
    return "label_encode";
  case StepOp::Polynomial:
    return "polynomial";
  case StepOp::Bucketize:
    return "bucketize";
  case StepOp::Expr:
    return "expr";
  }
  return "?";
}

namespace {

using detail::asInt64;
using detail::checkKeys;
using detail::expected;
using detail::failAt;
using detail::indexPath;
using detail::keyPath;
using detail::quoted;
using detail::readNonEmptyString;
using detail::requireKey;

} // namespace

int PipelineParser::newValue(ValueKind kind, std::optional<int64_t> missing, std::string name,
                             int from) {
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
    if (n == detail::kMaxListed) {
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

Error PipelineParser::readStepColumn(const json::Object &o, const std::string &path, StringRef what,
                                     Step &step, int &slot) {
  const json::Value *v;
  if (Error e = requireKey(o, path, "column", what, v))
    return e;
  if (Error e = lookupColumn(*v, keyPath(path, "column"), slot))
    return e;
  step.column = slotName(slot);
  return Error::success();
}

Error PipelineParser::lookupColumn(const json::Value &v, StringRef path, int &slot) {
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

Error PipelineParser::requireNumeric(int slot, StringRef path, StringRef op) {
  if (slotKind(slot) != ValueKind::String)
    return Error::success();
  return failAt(path, "column " + quoted(slotName(slot)) + " is a string column, but " + op +
                          " needs a numeric column (string columns can only "
                          "be consumed by one_hot and label_encode)");
}

Error PipelineParser::checkProduced(StringRef stepPath, StringRef op, ArrayRef<std::string> names,
                                    ArrayRef<int> consumed) {
  llvm::StringSet<> seen;
  llvm::DenseSet<int> consumedSet(consumed.begin(), consumed.end());
  for (const std::string &name : names) {
    if (!seen.insert(name).second)
      return failAt(stepPath, op + " would produce the column " + quoted(name) + " twice");
    auto it = byName.find(name);
    if (it != byName.end() && !consumedSet.contains(it->second))
      return failAt(stepPath, op + " produces the column " + quoted(name) +
                                  ", which collides with the current column " + quoted(name) +
                                  " (from " + originOf(slots[it->second].value) + ")");
  }
  return Error::success();
}

Error PipelineParser::checkColumnBudget(StringRef stepPath, StringRef op, size_t consumed,
                                        uint64_t produced, uint64_t producedNameBytes) {
  uint64_t after = liveColumns - consumed + produced;
  if (produced > kMaxColumns || after > kMaxColumns)
    return failAt(stepPath, op + " would make " + Twine(after) +
                                " columns, more than the limit of " + Twine(kMaxColumns));
  if (producedNameBytes > kMaxNameBytes - std::min(nameBytes, kMaxNameBytes))
    return failAt(stepPath, op + " would make column names of " + Twine(producedNameBytes) +
                                " bytes in all, more than the limit of " + Twine(kMaxNameBytes) +
                                " bytes");
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

void PipelineParser::splice(int slot, ArrayRef<int> alsoRemove, ArrayRef<int> values) {
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
  if (Error e = checkKeys(root, "", {"specjit", "kind", "name", "inputs", "output", "steps"},
                          "a pipeline descriptor"))
    return e;
  return detail::readDescriptorName(root, spec.name);
}

Error PipelineParser::parseInputs(const json::Object &root) {
  const json::Value *v;
  if (Error e = requireKey(root, "", "inputs", "a non-empty array of input columns", v))
    return e;
  const json::Array *inputs = v->getAsArray();
  if (!inputs || inputs->empty())
    return expected("inputs", "a non-empty array of input columns", *v);
  if (inputs->size() > kMaxColumns)
    return failAt("inputs", Twine(inputs->size()) + " input columns, more than the limit of " +
                                Twine(kMaxColumns));
  llvm::StringMap<size_t> seen;
  for (size_t i = 0; i < inputs->size(); ++i) {
    std::string path = indexPath("inputs", i);
    const json::Object *o = (*inputs)[i].getAsObject();
    if (!o)
      return expected(path, "an input column object {\"name\", \"type\"}", (*inputs)[i]);
    if (Error e = checkKeys(*o, path, {"name", "type", "missing"}, "an input column"))
      return e;
    InputColumn in;
    const json::Value *f;
    if (Error e = requireKey(*o, path, "name", "a non-empty string", f))
      return e;
    std::string namePath = keyPath(path, "name");
    if (Error e = readNonEmptyString(*f, namePath, in.name, "a non-empty string"))
      return e;
    auto [it, inserted] = seen.try_emplace(in.name, i);
    if (!inserted)
      return failAt(namePath, "duplicate input name " + quoted(in.name) + " (also inputs[" +
                                  Twine(it->second) + "])");
    if (Error e = requireKey(*o, path, "type", "one of bool, i32, i64, f32, f64, string", f))
      return e;
    std::optional<StringRef> type = f->getAsString();
    std::optional<DType> dtype = type ? parseDType(*type) : std::nullopt;
    if (!dtype)
      return expected(keyPath(path, "type"), "one of bool, i32, i64, f32, f64, string", *f);
    in.type = *dtype;
    if (const json::Value *m = o->get("missing")) {
      std::string mPath = keyPath(path, "missing");
      int64_t lo = std::numeric_limits<int64_t>::min();
      int64_t hi = std::numeric_limits<int64_t>::max();
      switch (in.type) {
      case DType::Bool:
        lo = 0, hi = 1;
        break;
      case DType::I32:
        lo = std::numeric_limits<int32_t>::min();
        hi = std::numeric_limits<int32_t>::max();
        break;
      case DType::I64:
        break;
      default:
        return failAt(mPath, "only bool, i32 and i64 inputs take a 'missing' "
                             "sentinel (" +
                                 dtypeName(in.type) +
                                 (in.type == DType::String ? " columns have no missing value)"
                                                           : " columns use NaN)"));
      }
      std::optional<int64_t> sentinel = asInt64(*m);
      if (!sentinel || *sentinel < lo || *sentinel > hi)
        return expected(mPath,
                        "an integer within the range of " + dtypeName(in.type) + " ([" + Twine(lo) +
                            ", " + Twine(hi) + "])",
                        *m);
      in.missing = sentinel;
    }
    ValueKind kind = in.type == DType::String                           ? ValueKind::String
                     : (in.type == DType::F32 || in.type == DType::F64) ? ValueKind::Float
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
                            (spec.outputColumns.empty() ? ", or list the output columns in "
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
                              " (columns after the last step: " + currentColumns() + ")");
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
    if (Error e = readNonEmptyString((*list)[i], path, name, "a column name (a non-empty string)"))
      return e;
    auto [dup, inserted] = seen.try_emplace(name, i);
    if (!inserted)
      return failAt(path, "duplicate feature " + quoted(name) + " (also features[" +
                              Twine(dup->second) + "])");
    auto it = byName.find(name);
    if (it == byName.end()) {
      std::vector<std::string> names;
      for (int s = head; s >= 0 && names.size() < 4096; s = slots[s].next)
        names.push_back(slotName(s));
      return failAt(path, "unknown column " + quoted(name) + " (columns after the last step: " +
                              currentColumns() + ")" + detail::suggestName(name, names));
    }
    if (slotKind(it->second) == ValueKind::String)
      return stringError(path, name, true);
    plan.outputs.push_back(slots[it->second].value);
    plan.outputNames.push_back(name);
    spec.outputColumns.push_back(std::move(name));
  }
  return Error::success();
}
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
  std::string canonical = canonicalPipelineText(spec);
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

Error PipelineParser::runFrontEnd(const json::Object &root, PipelineSpec &out) {
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

Error parsePipelineFrontEnd(const json::Object &root, PipelineSpec &out) {
  return PipelineParser().runFrontEnd(root, out);
}

namespace detail {

Expected<Descriptor> parsePipeline(const json::Object &root) { return PipelineParser().run(root); }

} // namespace detail
} // namespace jit
} // namespace specjit
