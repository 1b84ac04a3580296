//===- Interpreter.cpp - The interpreter of any descriptor ----------------===//
//
// Interpreter::create asks the descriptor's family for its interpreter
// (Family::createInterpreter, lib/Families/Family.cpp); each family's lives
// in lib/Families/<Family>/<Family>Interpreter.cpp. The machinery the
// families share lives beside this file: compiled expressions (ExprCode.h)
// and category lookups (Lookup.h).
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"

#include "Families/Pipeline/PipelineFrontEnd.h"

namespace specjit {
namespace interp {

Interpreter::~Interpreter() = default;

FeatureProgram::~FeatureProgram() = default;

} // namespace interp
} // namespace specjit
