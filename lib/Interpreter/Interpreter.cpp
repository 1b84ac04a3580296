//===- Interpreter.cpp - The interpreter of any descriptor ----------------===//
//
// Interpreter::create dispatches on the descriptor kind to the family's
// interpreter (lib/Families/<Family>/<Family>Interpreter.cpp, declared in
// Families.h). The machinery the families share lives beside this file:
// compiled expressions (ExprCode.h) and category lookups (Lookup.h).
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"

#include "Interpreter/Families.h"

namespace specjit {
namespace interp {

Interpreter::~Interpreter() = default;

FeatureProgram::~FeatureProgram() = default;

llvm::Expected<std::unique_ptr<Interpreter>>
Interpreter::create(const jit::Descriptor &d) {
  switch (d.kind()) {
  case jit::Kind::Series:
    return createSeriesInterpreter(d.series());
  case jit::Kind::Rules:
    return createRulesInterpreter(d.rules());
  case jit::Kind::Model:
    return createModelInterpreter(d.model());
  case jit::Kind::Train:
  case jit::Kind::Eval:
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "kind: a " + jit::kindName(d.kind()) +
            " descriptor does not compile into a kernel; run it with "
            "jit::" + (d.kind() == jit::Kind::Train ? "train" : "evaluate") +
            " or `specjit " + jit::kindName(d.kind()) + "`");
  case jit::Kind::Pipeline:
    break;
  }
  return createPipelineInterpreter(d.pipeline());
}

} // namespace interp
} // namespace specjit
