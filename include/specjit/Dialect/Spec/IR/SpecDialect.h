//===- SpecDialect.h - The spec dialect -------------------------*- C++ -*-===//
#ifndef SPECJIT_DIALECT_SPEC_IR_SPECDIALECT_H
#define SPECJIT_DIALECT_SPEC_IR_SPECDIALECT_H

#include "mlir/IR/Dialect.h"

#include "specjit/Dialect/Spec/IR/SpecOpsDialect.h.inc"

#endif
