//===- RulesFamily.cpp - The rules family ---------------------------------===//
//
// docs/rules-semantics.md: a cascade of rules updating a state matrix of
// meters (one row per agent) in place, for a number of steps.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/Expr.h"
#include "Families/Family.h"
#include "Families/Rules/RulesSpec.h"
#include "Families/Rules/RulesToSpec.h"

#include "Interpreter/Interpreter.h"

namespace specjit {
namespace jit {
namespace {

class RulesFamily final : public FamilyOf<RulesSpec> {
public:
  RulesFamily() : FamilyOf("rules") {}

  llvm::Expected<Descriptor> parse(const llvm::json::Object &root) const override {
    return detail::parseRules(root);
  }
  const std::string &name(const Descriptor &d) const override { return spec(d).name; }
  const std::vector<std::string> &outputNames(const Descriptor &d) const override {
    return spec(d).meters;
  }
  DType outputType(const Descriptor &d) const override { return spec(d).type; }
  const std::vector<InputColumn> &inputs(const Descriptor &) const override {
    static const std::vector<InputColumn> none;
    return none;
  }
  llvm::StringRef outputNoun() const override { return "meters"; }
  RunShape runShape() const override { return RunShape::State; }
  bool leanOptimization(const Descriptor &) const override { return true; }
  bool callsTranscendentals(const Descriptor &d) const override {
    for (const Rule &rule : spec(d).rules) {
      if (callsTranscendental(rule.cond.get()))
        return true;
      for (const RuleAction &a : rule.actions)
        if (callsTranscendental(a.expr.get()))
          return true;
    }
    return false;
  }
  std::string summary(const Descriptor &d) const override {
    return "rules: " + std::to_string(spec(d).rules.size()) +
           ", steps: " + std::to_string(spec(d).steps) + "\n";
  }

  llvm::Expected<std::unique_ptr<interp::Interpreter>>
  createInterpreter(const Descriptor &d) const override {
    return interp::createRulesInterpreter(spec(d));
  }
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  importToSpec(mlir::MLIRContext &ctx, const Descriptor &d) const override {
    return importRules(ctx, spec(d));
  }
};

} // namespace

const Family &rulesFamily() {
  static const RulesFamily family;
  return family;
}

} // namespace jit
} // namespace specjit
