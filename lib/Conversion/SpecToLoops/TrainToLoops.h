//===- TrainToLoops.h - spec.train_step to the batch loop -------*- C++ -*-===//
#ifndef SPECJIT_LIB_CONVERSION_TRAINTOLOOPS_H
#define SPECJIT_LIB_CONVERSION_TRAINTOLOOPS_H

#include "mlir/Support/LogicalResult.h"

namespace specjit {
namespace spec {
class TrainStepOp;
} // namespace spec

/// Replaces `op` by the kernel ABI entry and its body (see TrainToLoops.cpp).
llvm::LogicalResult lowerTrainStep(spec::TrainStepOp op);
} // namespace specjit

#endif
