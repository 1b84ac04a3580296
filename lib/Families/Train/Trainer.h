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

/// The parameters of a model being trained, one entry per layer (a linear
/// model is one layer with the identity activation): weights row-major
/// (outputs x inputs) and biases (intercepts).
struct Params {
  std::vector<std::vector<double>> weights, biases;
};

/// The starting parameters: `model.init`, or zeros (linear), or
/// Glorot-uniform from `init_seed` (mlp).
Params initialParams(const jit::TrainSpec &spec);

/// What the loop reports and obeys while it runs.
struct Control {
  std::function<void(const jit::TrainProgress &)> progress;
  const std::atomic<bool> *cancel = nullptr;
  std::optional<double> maxSeconds;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// The outcome of a finished loop.
struct Outcome {
  Params params;
  std::vector<jit::EpochRecord> history;
  jit::StopReason stop = jit::StopReason::Epochs;
  int64_t bestEpoch = 0;
};

/// Runs the loop over `rows` rows: `features` is rows x spec.numFeatures
/// (row-major, finite), `labels` holds one checked label per row (class ids
/// as exact integers in range, or finite targets). Fails on a non-finite
/// loss (naming the epoch and batch) and on cancellation.
llvm::Expected<Outcome> runLoop(const jit::TrainSpec &spec,
                                const double *features, const double *labels,
                                int64_t rows, const Control &control);

} // namespace train
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_TRAIN_TRAINER_H
