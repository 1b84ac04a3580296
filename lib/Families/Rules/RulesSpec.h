//===- RulesSpec.h - The analyzed `rules` descriptor -----------*- C++ -*-===//
//
// Internal: what RulesDescriptor.cpp makes of a `kind: "rules"` document
// (docs/rules-semantics.md).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_RULES_RULESSPEC_H
#define SPECJIT_LIB_FAMILIES_RULES_RULESSPEC_H

#include "Descriptor/Expr.h"

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
namespace json {
class Object;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

struct RuleAction {
  enum class Kind : uint8_t { Set, Add, Sub, Mul };
  Kind kind = Kind::Set;
  int meter = 0; // index into RulesSpec::meters
  std::string text;
  ExprPtr expr; // Column nodes carry `arg` = meter index
};

struct Rule {
  std::string condText;            // empty: always
  ExprPtr cond;                    // null: always
  std::vector<RuleAction> actions; // in canonical order: set, add, sub, mul; by meter
};

struct RulesSpec {
  static constexpr Kind kKind = Kind::Rules;

  std::string name;
  std::vector<std::string> meters;
  DType type = DType::F64; // the state matrix's element type
  std::vector<Rule> rules;
  /// Per meter: clamp bounds (lo <= hi), applied after every write.
  std::vector<std::optional<std::pair<double, double>>> clamp;
  int64_t steps = 1;
};

namespace detail {

/// RulesDescriptor.cpp: a validated `kind: "rules"` document.
llvm::Expected<Descriptor> parseRules(const llvm::json::Object &root);
/// RulesCanonical.cpp: the canonical text of a validated spec.
std::string canonicalRulesText(const RulesSpec &spec);
/// The key of a rule's actions of `kind` ("set", "add", "sub", "mul")
/// (RulesDescriptor.cpp).
llvm::StringRef ruleActionKey(RuleAction::Kind kind);

} // namespace detail
} // namespace jit

namespace interp {

class Interpreter;

/// RulesInterpreter.cpp, docs/rules-semantics.md. The result keeps no reference to the spec.
llvm::Expected<std::unique_ptr<Interpreter>> createRulesInterpreter(const jit::RulesSpec &spec);

} // namespace interp
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_RULES_RULESSPEC_H
