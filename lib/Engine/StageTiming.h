//===- StageTiming.h - Compile stages timed by MLIR's timing manager -*- C++ -*-===//
//
// A compile times each of its stages in an mlir::TimingScope nested in the
// scope CodegenOptions::timing gives it, named as jit::stageName() (plus
// "split", "disk-load" and "jit-link"); with pass timing, MLIR's passes nest
// in the scope of the stage that runs them. StageTimer owns the manager and
// reads the stages' wall times back (`specjit compile --timing`, the
// runtime's stats); PassTimeTree prints a whole tree (--pass-timing).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_STAGETIMING_H
#define SPECJIT_ENGINE_STAGETIMING_H

#include "mlir/Support/Timing.h"

#include "llvm/Support/raw_ostream.h"

#include <string>
#include <utility>
#include <vector>

namespace specjit {
namespace engine {

/// The wall time of each stage, in ms, in the order the stages began.
using StageTimeList = std::vector<std::pair<std::string, double>>;

/// An enabled timing manager whose root scope a compile nests its stages
/// in. Not thread-safe beyond what mlir::DefaultTimingManager allows (one
/// compile at a time).
class StageTimer {
public:
  StageTimer();
  StageTimer(const StageTimer &) = delete;
  StageTimer &operator=(const StageTimer &) = delete;

  /// The scope to pass as CodegenOptions::timing.
  mlir::TimingScope &scope() { return root_; }
  /// Stops the timer; the wall time of each scope nested directly in
  /// scope(). Call once.
  StageTimeList finish();

private:
  StageTimeList stages_; // filled by the manager's output (declared first)
  mlir::DefaultTimingManager manager_;
  mlir::TimingScope root_;
};

/// Prints a timing tree: a header with the total, then one line per scope
/// (wall ms, share of the total, the name indented by depth).
class PassTimeTree final : public mlir::OutputStrategy {
public:
  PassTimeTree(llvm::raw_ostream &os, const char *title)
      : mlir::OutputStrategy(os), title_(title) {}
  void printHeader(const mlir::TimeRecord &total) override;
  void printFooter() override;
  void printTime(const mlir::TimeRecord &time, const mlir::TimeRecord &total) override;
  void printListEntry(llvm::StringRef name, const mlir::TimeRecord &time,
                      const mlir::TimeRecord &total, bool lastEntry) override;
  void printTreeEntry(unsigned indent, llvm::StringRef name, const mlir::TimeRecord &time,
                      const mlir::TimeRecord &total) override;
  void printTreeEntryEnd(unsigned, bool) override {}

private:
  const char *title_;
};

} // namespace engine
} // namespace specjit

#endif // SPECJIT_ENGINE_STAGETIMING_H
