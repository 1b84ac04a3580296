//===- SpecOps.h - Types and ops of the spec dialect ------------*- C++ -*-===//
#ifndef SPECJIT_DIALECT_SPEC_IR_SPECOPS_H
#define SPECJIT_DIALECT_SPEC_IR_SPECOPS_H

#include "specjit/Dialect/Spec/IR/SpecDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace specjit {
namespace spec {
namespace SpecTrait {
/// Marks the spec ops that survive spec-expand for convert-spec-to-loops
/// (Spec_LoweredByLoops in SpecDialect.td).
template <typename ConcreteType>
class LoweredByLoops : public mlir::OpTrait::TraitBase<ConcreteType, LoweredByLoops> {};
} // namespace SpecTrait
} // namespace spec
} // namespace specjit

#include "specjit/Dialect/Spec/IR/SpecOpsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOpsAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOpsTypes.h.inc"

#define GET_OP_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOps.h.inc"

namespace specjit {
namespace spec {
/// The monomials of scikit-learn's PolynomialFeatures over `n` inputs, in its
/// output order; each is the list of input indices multiplied (empty = bias).
std::vector<llvm::SmallVector<unsigned, 4>> polynomialTerms(unsigned n, unsigned degree,
                                                            bool interactionOnly, bool includeBias);
} // namespace spec
} // namespace specjit

#endif
