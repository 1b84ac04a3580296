//===- TrainToSpec.h - A train descriptor in the spec dialect ---*- C++ -*-===//
#ifndef SPECJIT_LIB_FAMILIES_TRAIN_TRAINTOSPEC_H
#define SPECJIT_LIB_FAMILIES_TRAIN_TRAINTOSPEC_H

#include "Families/Train/TrainSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace specjit {
namespace train {

/// A module holding one spec.train_step: the batch step of `spec` with its
/// shapes, loss, optimizer and hyper-parameters as attributes.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importTrainStep(mlir::MLIRContext &ctx,
                                                                  const jit::TrainSpec &spec);

} // namespace train
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_TRAIN_TRAINTOSPEC_H
