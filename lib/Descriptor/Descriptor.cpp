//===- Descriptor.cpp - What the descriptor families share ----------------===//
//
// Descriptor::parse() runs in three phases:
//   1-2. detail::parseStrictJson (JsonText.h): a linear pre-scan that bounds
//      JSON nesting (llvm::json recurses) and size, then llvm::json::parse,
//      then RFC 8259 strictness and duplicate keys (llvm::json keeps the
//      last), each error with its line, column and JSON path;
//   3. the header (`specjit`, `kind`, here), then the family's parser
//      (Families.def names it; each family lives in lib/Families/<Family>/):
//      validation of every key, with the JSON path of the fault in every
//      error (the helpers of Diagnostics.cpp), interleaved with the analysis;
//   4. the canonical text, written by the family from the validated
//      specification (not from the JSON), and its xxh3-128 hash
//      (DescriptorParser::make, here).
//
// Also here: what the families' parsers share beyond messages (op and name
// lookups with did-you-mean, the top-level `name`) and the Descriptor
// accessors.
//
//===----------------------------------------------------------------------===//

#include "DescriptorInternal.h"
#include "JsonText.h"

#include "specjit/ReadFile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/xxhash.h"

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

namespace {

using detail::asInt64;
using detail::expected;
using detail::failAt;
using detail::keyPath;
using detail::makeError;
using detail::quoted;
using detail::requireKey;

} // namespace

namespace detail {

void numberAttr(json::OStream &j, StringRef key, double v) {
  j.attributeBegin(key);
  j.rawValue(formatNumber(v));
  j.attributeEnd();
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
  for (size_t i = 0; i < names.size(); ++i) {    if (i == kMaxListed) {
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
