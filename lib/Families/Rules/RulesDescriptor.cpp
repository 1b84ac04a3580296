//===- RulesDescriptor.cpp - The `rules` family ---------------------------===//
//
// Parsing, validation and analysis of `kind: "rules"` descriptors
// (docs/rules-semantics.md): named meters (the columns of the state matrix),
// an ordered list of rules with an optional condition and set/add/sub/mul
// actions, per-meter clamps and a step count. Expressions are resolved with
// Expr::arg = the meter index; a rule's actions are stored in the order they
// are applied: set, add, sub, mul, then by meter index.
//
// The canonical form is written in RulesCanonical.cpp.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Rules/RulesSpec.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

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
using detail::expected;
using detail::failAt;
using detail::formatNumber;
using detail::indexPath;
using detail::keyPath;
using detail::listNames;
using detail::quoted;
using detail::readFinite;
using detail::readNonEmptyString;
using detail::requireKey;
using detail::suggestName;

constexpr int64_t kMaxSteps = 1000000;

struct ActionKey {
  RuleAction::Kind kind;
  StringRef key;
};
constexpr ActionKey kActions[] = {
    {RuleAction::Kind::Set, "set"},
    {RuleAction::Kind::Add, "add"},
    {RuleAction::Kind::Sub, "sub"},
    {RuleAction::Kind::Mul, "mul"},
};

/// Object keys in byte order, so that errors do not depend on hashing.
std::vector<StringRef> sortedKeys(const json::Object &o) {
  std::vector<StringRef> keys;
  keys.reserve(o.size());
  for (const auto &kv : o)
    keys.push_back(kv.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

class RulesParser {
public:
  Expected<Descriptor> run(const json::Object &root);

private:
  RulesSpec spec;
  llvm::StringMap<int> meterIndex;

  Error parseMeters(const json::Object &root);
  Error parseType(const json::Object &root);
  Error parseSteps(const json::Object &root);
  Error parseClamp(const json::Object &root);
  Error parseRules(const json::Object &root);
  Error parseRule(const json::Value &v, size_t index);
  /// A meter named by an object key (an action target or a clamp).
  Error lookupMeter(StringRef name, StringRef path, int &meter);
  /// Parses expression text over the meters and resolves it.
  Error parseMeterExpr(const json::Value &v, StringRef path, StringRef what, std::string &text,
                       ExprPtr &expr);
};

Error RulesParser::lookupMeter(StringRef name, StringRef path, int &meter) {
  auto it = meterIndex.find(name);
  if (it == meterIndex.end())
    return failAt(path, "unknown meter " + quoted(name) + " (meters: " + listNames(spec.meters) +
                            ")" + suggestName(name, spec.meters));
  meter = it->second;
  return Error::success();
}

Error RulesParser::parseMeterExpr(const json::Value &v, StringRef path, StringRef what,
                                  std::string &text, ExprPtr &expr) {
  std::optional<StringRef> s = v.getAsString();
  if (!s) {
    if (v.getAsNumber() && std::isfinite(*v.getAsNumber()))
      return failAt(path, "expected " + what + " (a string), got " + detail::describe(v) +
                              "; write it as \"" + detail::describe(v) + "\"");
    return expected(path, what + " (a string)", v);
  }
  std::vector<detail::ExprRef> refs;
  Expected<ExprPtr> parsed = detail::parseExprWithRefs(*s, &refs);
  if (!parsed)
    return failAt(path, llvm::toString(parsed.takeError()));
  for (const detail::ExprRef &ref : refs)
    if (!meterIndex.count(ref.name))
      return failAt(path, "unknown meter " + quoted(ref.name) + " at offset " + Twine(ref.offset) +
                              " (meters: " + listNames(spec.meters) + ")" +
                              suggestName(ref.name, spec.meters));
  text = s->str();
  expr = detail::resolveExpr(*parsed, meterIndex);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Document
//===----------------------------------------------------------------------===//

Error RulesParser::parseMeters(const json::Object &root) {
  const json::Value *v;
  StringRef what = "a non-empty array of unique meter names";
  if (Error e = requireKey(root, "", "meters", what, v))
    return e;
  const json::Array *meters = v->getAsArray();
  if (!meters || meters->empty())
    return expected("meters", what, *v);
  if (meters->size() > kMaxColumns)
    return failAt("meters",
                  Twine(meters->size()) + " meters, more than the limit of " + Twine(kMaxColumns));
  for (size_t i = 0; i < meters->size(); ++i) {
    std::string path = indexPath("meters", i);
    std::string name;
    if (Error e = readNonEmptyString((*meters)[i], path, name, "a meter name (a non-empty string)"))
      return e;
    auto [it, inserted] = meterIndex.try_emplace(name, static_cast<int>(i));
    if (!inserted)
      return failAt(path, "duplicate meter " + quoted(name) + " (also meters[" + Twine(it->second) +
                              "])");
    spec.meters.push_back(std::move(name));
  }
  spec.clamp.assign(spec.meters.size(), std::nullopt);
  return Error::success();
}

Error RulesParser::parseType(const json::Object &root) {
  const json::Value *v = root.get("type");
  if (!v)
    return Error::success();
  std::optional<StringRef> type = v->getAsString();
  if (type && *type == "f32")
    spec.type = DType::F32;
  else if (type && *type == "f64")
    spec.type = DType::F64;
  else
    return expected("type", "one of f32, f64 (the state matrix's element type)", *v);
  return Error::success();
}

Error RulesParser::parseSteps(const json::Object &root) {
  const json::Value *v = root.get("steps");
  if (!v)
    return Error::success();
  std::optional<int64_t> steps = asInt64(*v);
  if (!steps || *steps < 1 || *steps > kMaxSteps)
    return expected("steps", "an integer in 1.." + Twine(kMaxSteps), *v);
  spec.steps = *steps;
  return Error::success();
}

Error RulesParser::parseClamp(const json::Object &root) {
  const json::Value *v = root.get("clamp");
  if (!v)
    return Error::success();
  const json::Object *clamp = v->getAsObject();
  if (!clamp)
    return expected("clamp", "an object {meter: [lo, hi]}", *v);
  for (StringRef key : sortedKeys(*clamp)) {
    std::string path = keyPath("clamp", key);
    int meter;
    if (Error e = lookupMeter(key, path, meter))
      return e;
    const json::Value &bounds = *clamp->get(key);
    const json::Array *pair = bounds.getAsArray();
    if (!pair || pair->size() != 2)
      return expected(path, "[lo, hi], an array of two finite numbers", bounds);
    double lo, hi;
    if (Error e = readFinite((*pair)[0], indexPath(path, 0), lo))
      return e;
    if (Error e = readFinite((*pair)[1], indexPath(path, 1), hi))
      return e;
    if (!(lo <= hi))
      return failAt(path,
                    "expected lo <= hi, got [" + formatNumber(lo) + ", " + formatNumber(hi) + "]");
    spec.clamp[meter] = std::make_pair(lo, hi);
  }
  return Error::success();
}

Error RulesParser::parseRules(const json::Object &root) {
  const json::Value *v;
  StringRef what = "an array of rules (may be empty)";
  if (Error e = requireKey(root, "", "rules", what, v))
    return e;
  const json::Array *rules = v->getAsArray();
  if (!rules)
    return expected("rules", what, *v);
  for (size_t i = 0; i < rules->size(); ++i)
    if (Error e = parseRule((*rules)[i], i))
      return e;
  return Error::success();
}

Error RulesParser::parseRule(const json::Value &v, size_t index) {
  std::string path = indexPath("rules", index);
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path,
                    "a rule object {\"if\": ..., \"set\"/\"add\"/\"sub\"/"
                    "\"mul\": {meter: expression}}",
                    v);
  if (Error e = checkKeys(*o, path, {"if", "set", "add", "sub", "mul"}, "a rule"))
    return e;
  Rule rule;
  if (const json::Value *c = o->get("if"))
    if (Error e = parseMeterExpr(*c, keyPath(path, "if"), "a condition over the meters",
                                 rule.condText, rule.cond))
      return e;
  // Targets seen in this rule -> the action kind that writes them.
  llvm::SmallDenseMap<int, RuleAction::Kind> targets;
  bool any = false;
  for (const ActionKey &a : kActions) {
    const json::Value *av = o->get(a.key);
    if (!av)
      continue;
    any = true;
    std::string aPath = keyPath(path, a.key);
    const json::Object *actions = av->getAsObject();
    if (!actions || actions->empty())
      return expected(aPath, "a non-empty object {meter: expression}", *av);
    for (StringRef key : sortedKeys(*actions)) {
      std::string mPath = keyPath(aPath, key);
      RuleAction action;
      action.kind = a.kind;
      if (Error e = lookupMeter(key, mPath, action.meter))
        return e;
      auto [it, inserted] = targets.try_emplace(action.meter, a.kind);
      if (!inserted)
        return failAt(mPath, "meter " + quoted(key) + " is already the target of " +
                                 keyPath(path, detail::ruleActionKey(it->second)) +
                                 " (a meter may be the target of at most one "
                                 "action per rule)");
      if (Error e = parseMeterExpr(*actions->get(key), mPath, "an expression over the meters",
                                   action.text, action.expr))
        return e;
      rule.actions.push_back(std::move(action));
    }
  }
  if (!any)
    return failAt(path, "a rule needs at least one action: set, add, sub or "
                        "mul (an object {meter: expression})");
  std::stable_sort(rule.actions.begin(), rule.actions.end(),
                   [](const RuleAction &x, const RuleAction &y) {
                     if (x.kind != y.kind)
                       return x.kind < y.kind;
                     return x.meter < y.meter;
                   });
  spec.rules.push_back(std::move(rule));
  return Error::success();
}

Expected<Descriptor> RulesParser::run(const json::Object &root) {
  if (Error e = checkKeys(root, "",
                          {"specjit", "kind", "name", "meters", "type", "rules", "clamp", "steps"},
                          "a rules descriptor"))
    return std::move(e);
  if (Error e = detail::readDescriptorName(root, spec.name))
    return std::move(e);
  if (Error e = parseMeters(root))
    return std::move(e);
  if (Error e = parseType(root))
    return std::move(e);
  if (Error e = parseSteps(root))
    return std::move(e);
  if (Error e = parseClamp(root))
    return std::move(e);
  if (Error e = parseRules(root))
    return std::move(e);
  std::string canonical = detail::canonicalRulesText(spec);
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

} // namespace

namespace detail {

StringRef ruleActionKey(RuleAction::Kind kind) {
  for (const ActionKey &a : kActions)
    if (a.kind == kind)
      return a.key;
  return "?";
}

Expected<Descriptor> parseRules(const json::Object &root) { return RulesParser().run(root); }

} // namespace detail
} // namespace jit
} // namespace specjit
