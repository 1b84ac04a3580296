//===- Families.h - The series and rules interpreters -----------*- C++ -*-===//
//
// Interpreter::create dispatches on the descriptor kind; these build the
// interpreters of the non-pipeline families from their analyzed specs. The
// result keeps no reference to the spec.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_INTERPRETER_FAMILIES_H
#define SPECJIT_INTERPRETER_FAMILIES_H

#include "Interpreter/Interpreter.h"

namespace specjit {
namespace interp {

/// docs/series-semantics.md; see SeriesInterpreter.cpp for the state layout.
llvm::Expected<std::unique_ptr<Interpreter>>
createSeriesInterpreter(const jit::SeriesSpec &spec);

/// docs/rules-semantics.md.
llvm::Expected<std::unique_ptr<Interpreter>>
createRulesInterpreter(const jit::RulesSpec &spec);

} // namespace interp
} // namespace specjit

#endif // SPECJIT_INTERPRETER_FAMILIES_H
