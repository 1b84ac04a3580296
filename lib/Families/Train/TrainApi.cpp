//===- TrainApi.cpp - jit::train ------------------------------------------===//
#include "specjit/Train.h"

namespace specjit {
namespace jit {

llvm::StringRef stopReasonName(StopReason r) {
  switch (r) {
  case StopReason::Epochs: return "epochs";
  case StopReason::EarlyStopping: return "early_stopping";
  case StopReason::TimeLimit: return "time_limit";
  }
  return "?";
}

llvm::Expected<TrainResult> train(const Descriptor &, llvm::ArrayRef<Column>,
                                  const TrainOptions &) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "train: not available in this build");
}

void setMaxConcurrentTrainings(unsigned) {}
unsigned maxConcurrentTrainings() { return 4; }

} // namespace jit
} // namespace specjit
