//===- Trainer.h - The generic training loop --------------------*- C++ -*-===//
//
// Internal: the interpreter of the `train` family. It runs the loop of
// docs/train-semantics.md over a dense f64 feature matrix with the shapes,
// loss and optimizer looked up at run time. jit::train (TrainApi.cpp)
// computes the features, checks the data and the limits, and calls it.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_TRAIN_TRAINER_H
#define SPECJIT_LIB_FAMILIES_TRAIN_TRAINER_H

#include "Families/Train/TrainSpec.h"
#include "Runtime/KernelABI.h"
#include "specjit/Train.h"

#include "llvm/Support/Error.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace specjit {
namespace train {

/// One step of SplitMix64 (docs/train-semantics.md, "Generators").
uint64_t splitMix64(uint64_t &state);

/// Where each layer's parameters are in the flat parameter vector, and the
/// sizes of the step's buffers: per layer (a linear model is one identity
/// layer) its weights (row-major outputs x inputs), then its biases. The
/// same layout as spec.train_step's (lib/Conversion/SpecToLoops/
/// TrainToLoops.cpp).
struct Layout {
  std::vector<int64_t> inputs, outputs, weightOffset, biasOffset;
  std::vector<jit::Activation> activations;
  std::vector<int64_t> outPrefix; ///< sum of the outputs of earlier layers
  int64_t sumOutputs = 0, paramCount = 0, maxOutputs = 0;

  explicit Layout(const jit::TrainSpec &spec);
  size_t layers() const { return inputs.size(); }
  /// Scratch doubles a step over `rows` rows needs: activations and deltas,
  /// gradients, and for the compiled step the transposed weights and four
  /// rows of accumulators (spec.train_step's scratch slot).
  int64_t scratchDoubles(int64_t rows) const {
    return 2 * rows * sumOutputs + 2 * paramCount + 4 * maxOutputs;
  }
};

/// The starting parameters (flat, in Layout order): `model.init`, or zeros
/// (linear), or Glorot-uniform from `init_seed` (mlp).
std::vector<double> initialParams(const jit::TrainSpec &spec);

/// The argument slots of a batch step (spec.train_step's kernel ABI).
enum StepSlot : int {
  kFeatures,
  kLabels,
  kRows,
  kParams,
  kMoment1,
  kMoment2,
  kScratch,
  kStepCount,
  kMode,
  kCancelFlag,
  kDeadlineFlag,
  kBatchCount,
  kStepSlots
};

/// The step's modes (the kMode slot).
enum StepMode : int64_t { kTrainBatch = 0, kLossOnly = 1, kTrainEpoch = 2 };

/// What a kTrainEpoch call returns: it ran every batch, or it stopped after
/// the batch whose loss is not finite, or after a batch that found the
/// cancellation or the time-limit flag set.
enum EpochStatus : int64_t { kEpochDone, kLossNotFinite, kCancelled, kTimeLimit };

/// What the loop reports and obeys while it runs.
struct Control {
  std::function<void(const jit::TrainProgress &)> progress;
  const std::atomic<bool> *cancel = nullptr;
  std::optional<double> maxSeconds;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// The outcome of a finished loop.
struct Outcome {
  std::vector<double> params; ///< flat, in Layout order
  std::vector<jit::EpochRecord> history;
  jit::StopReason stop = jit::StopReason::Epochs;
  int64_t bestEpoch = 0;
};

/// Runs the loop over `rows` rows: `features` is rows x spec.numFeatures
/// (row-major, finite), `labels` holds one checked label per row (class ids
/// as exact integers in range, or finite targets). Each batch runs through
/// `compiledStep` (spec.train_step compiled for `spec`) when given, else
/// through the generic step; both compute the same bits. Fails on a
/// non-finite loss (naming the epoch and batch) and on cancellation.
llvm::Expected<Outcome> runLoop(const jit::TrainSpec &spec, const double *features,
                                const double *labels, int64_t rows, const Control &control,
                                KernelFn compiledStep = nullptr);

} // namespace train
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_TRAIN_TRAINER_H
