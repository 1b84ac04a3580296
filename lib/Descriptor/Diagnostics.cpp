//===- Diagnostics.cpp - Messages, JSON paths and value readers -----------===//
//
// What every family's parser says and reads: error messages that start with
// the JSON path of the fault (failAt, expected), the paths themselves
// (keyPath, indexPath), quoting of user strings, unknown and missing keys,
// and readers of the small JSON values all families share (numbers, bools,
// strings, the `output` object). Declared in DescriptorInternal.h.
//
//===----------------------------------------------------------------------===//

#include "DescriptorInternal.h"

#include "specjit/Errors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {
namespace detail {

Error failAt(StringRef path, const Twine &msg) {
  return llvm::make_error<DescriptorError>((path.empty() ? StringRef("descriptor") : path).str(),
                                           msg.str());
}

/// A user string for a message: quoted, cut to a sane length.
std::string quoted(StringRef s) {
  constexpr size_t kMax = 80;
  if (s.size() <= kMax)
    return "'" + s.str() + "'";
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
    --cut; // do not split a UTF-8 sequence
  return "'" + s.take_front(cut).str() + "...' (" + std::to_string(s.size()) + " bytes)";
}

std::string jsonString(StringRef s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << json::Value(s.str());
  return out;
}

std::string keyPath(StringRef parent, StringRef key) {
  bool plain =
      !key.empty() && llvm::all_of(key, [](char c) { return llvm::isAlnum(c) || c == '_'; });
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

std::string indexPath(StringRef parent, size_t i) { return (parent + "[" + Twine(i) + "]").str(); }

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
  return std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

/// What a JSON value is, for "got ..." in messages.
std::string describe(const json::Value &v) {
  switch (v.kind()) {
  case json::Value::Null:
    return "null";
  case json::Value::Boolean:
    return *v.getAsBoolean() ? "true" : "false";
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
  case json::Value::String:
    return "the string " + quoted(*v.getAsString());
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  return "a value";
}

Error expected(StringRef path, const Twine &what, const json::Value &got) {
  return failAt(path, "expected " + what + ", got " + describe(got));
}

Error readFinite(const json::Value &v, StringRef path, double &out, StringRef what) {
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
  if (Error e = requireKey(root, "", "output", "an object {\"type\": \"f32\" or \"f64\"}", v))
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
      return failAt(path, "duplicate output column " + quoted(col) + " (also output.columns[" +
                              Twine(it->second) + "])");
    columns.push_back(std::move(col));
  }
  return Error::success();
}

Error readNonEmptyString(const json::Value &v, StringRef path, std::string &out, StringRef what) {
  std::optional<StringRef> s = v.getAsString();
  if (!s || s->empty())
    return expected(path, what, v);
  out = s->str();
  return Error::success();
}

/// Unknown keys are errors everywhere. The first unknown key in byte order
/// is reported, with a suggestion when it is close to an allowed one.
Error checkKeys(const json::Object &o, StringRef path, ArrayRef<StringRef> allowed,
                StringRef what) {
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
Error requireKey(const json::Object &o, StringRef path, StringRef key, StringRef what,
                 const json::Value *&out) {
  out = o.get(key);
  if (out)
    return Error::success();
  std::string msg = "missing required key '" + key.str() + "' (" + what.str() + ")";
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
} // namespace jit
} // namespace specjit
