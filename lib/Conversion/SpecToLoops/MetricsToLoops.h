//===- MetricsToLoops.h - spec.metrics_pass to the metrics kernel -*- C++ -*-===//
#ifndef SPECJIT_LIB_CONVERSION_METRICSTOLOOPS_H
#define SPECJIT_LIB_CONVERSION_METRICSTOLOOPS_H

#include "mlir/Support/LogicalResult.h"

namespace specjit {
namespace spec {
class MetricsPassOp;
} // namespace spec

/// Replaces `op` by the kernel ABI entry and its body (see MetricsToLoops.cpp).
llvm::LogicalResult lowerMetricsPass(spec::MetricsPassOp op);
} // namespace specjit

#endif
