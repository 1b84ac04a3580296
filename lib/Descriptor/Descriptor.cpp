//===- Descriptor.cpp - What the descriptor families share ----------------===//
//
// Descriptor::parse() (lib/Families/Family.cpp) runs in three phases:
//   1-2. detail::parseStrictJson (JsonText.h): a linear pre-scan that bounds
//      JSON nesting (llvm::json recurses) and size, then llvm::json::parse,
//      then RFC 8259 strictness and duplicate keys (llvm::json keeps the
//      last), each error with its line, column and JSON path;
//   3. the header (`specjit`, `kind`), then the family's parser
//      (Family::parse; each family lives in lib/Families/<Family>/):
//      validation of every key, with the JSON path of the fault in every
//      error (the helpers of Diagnostics.cpp), interleaved with the analysis;
//   4. the canonical text, written by the family from the validated
//      specification (not from the JSON), and its xxh3-128 hash
//      (DescriptorParser::make, here).
//
// Also here: what the families' parsers share beyond messages (op and name
// lookups with did-you-mean, the top-level `name`).
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
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(
      ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  Hash128 out;
  out.hi = h.high64;
  out.lo = h.low64;
  return out;
}

} // namespace

Descriptor DescriptorParser::make(Kind kind, std::shared_ptr<const void> spec,
                                  std::string canonical) {
  Descriptor d;
  d.kind_ = kind;
  d.hash_ = hashText(canonical);
  d.canonical_ = std::move(canonical);
  d.spec_ = std::move(spec);
  return d;
}

namespace detail {
Error readDescriptorName(const json::Object &root, std::string &out) {
  if (const json::Value *name = root.get("name")) {
    std::optional<StringRef> s = name->getAsString();
    if (!s)
      return expected("name", "a string", *name);
    out = s->str();
  }
  return Error::success();
}

Expected<size_t> readOp(const json::Object &o, StringRef path, ArrayRef<std::string> names) {
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
  return failAt(opPath, "unknown op " + quoted(*name) + " (expected one of " + list + ")" +
                            suggestName(*name, names));
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

} // namespace jit
} // namespace specjit
