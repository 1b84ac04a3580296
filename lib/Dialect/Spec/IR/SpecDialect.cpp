//===- SpecDialect.cpp - The spec dialect ---------------------------------===//
#include "specjit/Dialect/Spec/IR/SpecDialect.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace specjit::spec;

#include "specjit/Dialect/Spec/IR/SpecOpsDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOpsTypes.cpp.inc"

#include "specjit/Dialect/Spec/IR/SpecOpsEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOpsAttrs.cpp.inc"

void SpecDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "specjit/Dialect/Spec/IR/SpecOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "specjit/Dialect/Spec/IR/SpecOpsTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "specjit/Dialect/Spec/IR/SpecOpsAttrs.cpp.inc"
      >();
}
