//===- StageTiming.cpp - Compile stages timed by MLIR's timing manager ----===//

#include "StageTiming.h"

#include "llvm/Support/FormatVariadic.h"

namespace specjit {
namespace engine {

namespace {

/// Collects the top-level entries of a tree report (the root is hidden, so
/// its children print at indent 0); the "Rest" and "Total" lines are not
/// stages.
class StageCollector final : public mlir::OutputStrategy {
public:
  explicit StageCollector(StageTimeList &out) : mlir::OutputStrategy(llvm::nulls()), out_(out) {}
  void printHeader(const mlir::TimeRecord &) override {}
  void printFooter() override {}
  void printTime(const mlir::TimeRecord &, const mlir::TimeRecord &) override {}
  void printListEntry(llvm::StringRef, const mlir::TimeRecord &, const mlir::TimeRecord &,
                      bool) override {}
  void printTreeEntry(unsigned indent, llvm::StringRef name, const mlir::TimeRecord &time,
                      const mlir::TimeRecord &) override {
    if (indent == 0)
      out_.emplace_back(name.str(), time.wall * 1e3);
  }
  void printTreeEntryEnd(unsigned, bool) override {}

private:
  StageTimeList &out_;
};

} // namespace

StageTimer::StageTimer() {
  manager_.setEnabled(true);
  manager_.setDisplayMode(mlir::DefaultTimingManager::DisplayMode::Tree);
  manager_.setOutput(std::make_unique<StageCollector>(stages_));
  root_ = manager_.getRootScope();
}

StageTimeList StageTimer::finish() {
  root_.stop(); // also lets go of the timer, which print() frees
  manager_.print();
  manager_.setEnabled(false); // the destructor prints nothing more
  return std::move(stages_);
}

void PassTimeTree::printHeader(const mlir::TimeRecord &total) {
  os << llvm::formatv("{0}: {1:f3} ms in all\n", title_, total.wall * 1e3);
}

void PassTimeTree::printFooter() { os << "\n"; }

void PassTimeTree::printTime(const mlir::TimeRecord &time, const mlir::TimeRecord &total) {
  os << llvm::formatv("{0,10:f3} ms {1,6:f1}%  ", time.wall * 1e3,
                      total.wall > 0 ? 100.0 * time.wall / total.wall : 0.0);
}

void PassTimeTree::printListEntry(llvm::StringRef name, const mlir::TimeRecord &time,
                                  const mlir::TimeRecord &total, bool) {
  printTime(time, total);
  os << name << "\n";
}

void PassTimeTree::printTreeEntry(unsigned indent, llvm::StringRef name,
                                  const mlir::TimeRecord &time, const mlir::TimeRecord &total) {
  printTime(time, total);
  os.indent(indent) << name << "\n";
}

} // namespace engine
} // namespace specjit
