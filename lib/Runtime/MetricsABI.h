//===- MetricsABI.h - The slots of the compiled metrics kernel --*- C++ -*-===//
//
// The eval family's metrics kernel (spec.metrics_pass) writes its
// statistics into 8-byte slots of `out`; the generic code fills the same
// statistics (lib/Families/Eval/Metrics.h, MetricStats), and one shared
// finishing step turns either into the metrics. Kept free of MLIR and of the
// eval family's headers: the lowering and the runtime both read it.
//
//   args = {labels (f64, n), scores (f64, row-major n x scoreColumns),
//           scratch (f64, kMetricsScratchBuffers x kMetricsBufferRows)}
//   out  = kMetricsHeaderSlots + k * k slots (layout below)
//   result: 0, or r > 0 when row r - 1 is the first row holding a
//           non-finite score
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_RUNTIME_METRICSABI_H
#define SPECJIT_RUNTIME_METRICSABI_H

#include <cstdint>

namespace specjit {
namespace metrics_abi {

/// numpy's reductions run over buffers of this many elements; the kernel
/// sums its per-row terms one buffer at a time.
constexpr int64_t kMetricsBufferRows = 8192;
/// Per-row term buffers in scratch: log loss, squared error (then the r2
/// denominator's terms), absolute error.
constexpr int64_t kMetricsScratchBuffers = 3;

/// The slots of `out`.
enum Slot : int64_t {
  kLogLossSum,        ///< f64: sum of -log q[y]
  kSquaredSum,        ///< f64: sum of (y - s)^2
  kAbsoluteSum,       ///< f64: sum of |s - y|
  kLabelSum,          ///< f64: sum of y (r2's mean)
  kR2Denominator,     ///< f64: sum of (y - mean(y))^2
  kBadProbabilityRow, ///< i64: 1 + the first row whose scores do not sum to 1, or 0
  kCells,             ///< i64 x k x k: the confusion matrix, rows the true class
};
constexpr int64_t kMetricsHeaderSlots = kCells;

} // namespace metrics_abi
} // namespace specjit

#endif // SPECJIT_RUNTIME_METRICSABI_H
