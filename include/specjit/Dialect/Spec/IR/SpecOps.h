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

#define GET_TYPEDEF_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOpsTypes.h.inc"

#define GET_OP_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOps.h.inc"

#endif
