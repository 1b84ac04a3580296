//===- RulesCanonical.cpp - The canonical text of a rules descriptor ------===//
//
// Written from the validated specification (not from the JSON), so that
// descriptors meaning the same rules get the same text and hash.
//
// Canonical form: compact JSON, keys sorted bytewise (the meter keys of
// actions and clamps too), the top-level `name` dropped, defaults written
// out ("type", "steps"), "clamp" only when some meter is clamped, a rule's
// "if" only when given, numbers as formatNumber() spells them, expressions as
// printExpr() spells them. Meters and rules keep their order.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Rules/RulesSpec.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace json = llvm::json;

namespace specjit {
namespace jit {

namespace detail {

std::string canonicalRulesText(const RulesSpec &spec) {
  // Meter indices in byte order of their names: the order of object keys.
  std::vector<int> byName(spec.meters.size());
  for (size_t i = 0; i < byName.size(); ++i)
    byName[i] = static_cast<int>(i);
  std::sort(byName.begin(), byName.end(),
            [&](int a, int b) { return spec.meters[a] < spec.meters[b]; });
  std::vector<int> rank(spec.meters.size());
  for (size_t r = 0; r < byName.size(); ++r)
    rank[byName[r]] = static_cast<int>(r);

  std::string out;
  llvm::raw_string_ostream os(out);
  {
    json::OStream j(os);
    j.object([&] {
      bool anyClamp = llvm::any_of(spec.clamp, [](const auto &c) { return c.has_value(); });
      if (anyClamp)
        j.attributeObject("clamp", [&] {
          for (int m : byName)
            if (spec.clamp[m])
              j.attributeArray(spec.meters[m], [&] {
                j.rawValue(formatNumber(spec.clamp[m]->first));
                j.rawValue(formatNumber(spec.clamp[m]->second));
              });
        });
      j.attribute("kind", kindName(Kind::Rules));
      j.attributeArray("meters", [&] {
        for (const std::string &m : spec.meters)
          j.value(m);
      });
      j.attributeArray("rules", [&] {
        for (const Rule &rule : spec.rules)
          j.object([&] {
            auto actions = [&](RuleAction::Kind kind) {
              std::vector<const RuleAction *> list;
              for (const RuleAction &a : rule.actions)
                if (a.kind == kind)
                  list.push_back(&a);
              if (list.empty())
                return;
              std::sort(list.begin(), list.end(), [&](const RuleAction *x, const RuleAction *y) {
                return rank[x->meter] < rank[y->meter];
              });
              j.attributeObject(ruleActionKey(kind), [&] {
                for (const RuleAction *a : list)
                  j.attribute(spec.meters[a->meter], detail::printExpr(*a->expr));
              });
            };
            // Bytewise: add < if < mul < set < sub.
            actions(RuleAction::Kind::Add);
            if (rule.cond)
              j.attribute("if", detail::printExpr(*rule.cond));
            actions(RuleAction::Kind::Mul);
            actions(RuleAction::Kind::Set);
            actions(RuleAction::Kind::Sub);
          });
      });
      j.attribute("specjit", 1);
      j.attribute("steps", spec.steps);
      j.attribute("type", dtypeName(spec.type));
    });
  }
  os.flush();
  return out;
}

} // namespace detail
} // namespace jit
} // namespace specjit
