//===- SeriesToLoops.h - spec.series_kernel to blocked loops ----*- C++ -*-===//
#ifndef SPECJIT_LIB_CONVERSION_SERIESTOLOOPS_H
#define SPECJIT_LIB_CONVERSION_SERIESTOLOOPS_H

#include "mlir/Support/LogicalResult.h"

namespace specjit {
namespace spec {
class SeriesKernelOp;
} // namespace spec

/// Replaces `kernel` by the kernel ABI functions (see SeriesToLoops.cpp).
llvm::LogicalResult lowerSeriesKernel(spec::SeriesKernelOp kernel);
} // namespace specjit

#endif
