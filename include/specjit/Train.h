//===- specjit/Train.h - Training loops from `train` descriptors -*- C++ -*-===//
//
// jit::train() runs a `train` descriptor (docs/train-semantics.md) over
// caller-owned columns and returns the trained `model` descriptor, which
// jit::compile() and `specjit run` take as is, with the per-epoch history.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_TRAIN_H
#define SPECJIT_TRAIN_H

#include "specjit/Descriptor.h"
#include "specjit/Kernel.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace specjit {
namespace jit {

/// Why training ended.
enum class StopReason : uint8_t {
  Epochs,        ///< every epoch ran
  EarlyStopping, ///< `patience` epochs without improvement
  TimeLimit,     ///< limits.max_seconds passed (checked after every batch)
};
/// "epochs", "early_stopping", "time_limit".
llvm::StringRef stopReasonName(StopReason r);

/// One finished epoch.
struct EpochRecord {
  int64_t epoch = 0; ///< 1-based
  /// Mean per-row loss over the epoch's training rows, each row's loss taken
  /// in its batch's forward pass (before that batch's update), without L2.
  double trainLoss = 0.0;
  /// Mean per-row loss on the validation rows after the epoch (no L2); NaN
  /// without early stopping.
  double validationLoss = 0.0;
  double seconds = 0.0; ///< wall time of the epoch
};

/// What the progress callback sees after every epoch.
struct TrainProgress {
  EpochRecord last;
  int64_t epochs = 0; ///< the descriptor's epoch count
  double elapsedSeconds = 0.0;
  double rowsPerSecond = 0.0; ///< training rows processed per second so far
};

struct TrainOptions {
  /// std::nullopt: follow the process-wide switch (setSpecialize()).
  std::optional<bool> specialize;
  /// Called after every epoch, on the training thread.
  std::function<void(const TrainProgress &)> progress;
  /// When set and true (from any thread), training stops after the current
  /// batch and train() fails with a "cancelled" error.
  const std::atomic<bool> *cancel = nullptr;
};

struct TrainResult {
  /// The trained model as `model` descriptor text, and parsed.
  std::string modelJson;
  Descriptor model;
  std::vector<EpochRecord> history;
  StopReason stop = StopReason::Epochs;
  /// With early stopping: the epoch whose parameters the model holds
  /// (1-based; 0 when no epoch finished). Without: the last epoch.
  int64_t bestEpoch = 0;
  /// Which implementation ran the loop.
  Backend backend = Backend::Interpreter;
  /// Why the loop ran on the interpreter when specialization was on.
  std::string fallbackReason;
  double seconds = 0.0;
};

/// Trains `d` (kind train) on `columns`: one Column per entry of
/// d.inputs() (the inputs, then the label), all of one row count. Checks
/// every limit and the data (label range, NaN features) before the first
/// batch; fails without a result on a non-finite loss (naming the epoch and
/// batch), on cancellation, or when the process already runs
/// maxConcurrentTrainings() trainings.
llvm::Expected<TrainResult> train(const Descriptor &d, llvm::ArrayRef<Column> columns,
                                  const TrainOptions &options = {});

/// The process-wide cap on trainings running at once (default 4, or
/// SPECJIT_MAX_TRAININGS). 0 means no cap.
void setMaxConcurrentTrainings(unsigned n);
unsigned maxConcurrentTrainings();

} // namespace jit
} // namespace specjit

#endif // SPECJIT_TRAIN_H
