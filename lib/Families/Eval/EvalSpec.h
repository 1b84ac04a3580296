//===- EvalSpec.h - The analyzed `eval` descriptor --------------*- C++ -*-===//
//
// Internal: what lib/Families/Eval/EvalDescriptor.cpp makes of a
// `kind: "eval"` document (docs/eval-semantics.md).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_EVAL_EVALSPEC_H
#define SPECJIT_LIB_FAMILIES_EVAL_EVALSPEC_H

#include "specjit/Descriptor.h"

#include <string>
#include <vector>

namespace specjit {
namespace jit {

struct EvalSpec {
  std::string name;
  /// The columns a data file provides, in the order jit::evaluate takes them.
  std::vector<InputColumn> dataColumns;
  /// Output names for Descriptor::outputNames (the metric names).
  std::vector<std::string> outputNames;
};

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_EVAL_EVALSPEC_H
