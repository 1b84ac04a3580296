//===- RulesToSpec.h - A rules descriptor in the spec dialect ---*- C++ -*-===//
//
// The rules family's import: one spec.rule per rule inside a
// spec.rules_kernel, whose block arguments are the meters; each rule's
// actions as arith ops on the meters before it, its condition selecting
// between the new values and the old (docs/rules-semantics.md).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_RULES_RULESTOSPEC_H
#define SPECJIT_LIB_FAMILIES_RULES_RULESTOSPEC_H

#include "Families/Rules/RulesSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace specjit {
namespace jit {

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importRules(mlir::MLIRContext &ctx,
                                                              const RulesSpec &spec);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_RULES_RULESTOSPEC_H
