//===- PipelineParser.h - The pipeline family's parser ----------*- C++ -*-===//
//
// Internal to lib/Families/Pipeline: the parser whose members are defined in
// PipelineDescriptor.cpp (the document, inputs, output, the current columns)
// and PipelineStepsDescriptor.cpp (the steps), and the canonical text of a
// pipeline (PipelineCanonical.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEPARSER_H
#define SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEPARSER_H

#include "Descriptor/DescriptorInternal.h"
#include "Families/Pipeline/PipelineSpec.h"

#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <vector>

namespace specjit {
namespace jit {

/// Every step op, in the order errors list them.
inline constexpr StepOp kAllStepOps[] = {
    StepOp::Standardize, StepOp::MinMax,    StepOp::Log,    StepOp::Log1p,
    StepOp::Clip,        StepOp::Impute,    StepOp::OneHot, StepOp::LabelEncode,
    StepOp::Polynomial,  StepOp::Bucketize, StepOp::Expr,
};

/// Total bytes of column names a plan may hold (one_hot and polynomial
/// multiply name lengths; this keeps a small descriptor from asking for
/// gigabytes).
inline constexpr size_t kMaxNameBytes = 64u << 20;

/// Validation and analysis of a pipeline document: builds the Plan (column
/// kinds, missing sentinels, value ids) while it checks every key, with the
/// JSON path of the fault in every error.
class PipelineParser {
public:
  llvm::Expected<Descriptor> run(const llvm::json::Object &root);
  /// The front end other families reuse (parsePipelineFrontEnd).
  llvm::Error runFrontEnd(const llvm::json::Object &root, PipelineSpec &out);

private:
  /// One current column: a slot of a doubly linked list (steps splice in
  /// place in O(produced columns)).
  struct Slot {
    int value = -1;
    int prev = -1, next = -1;
  };

  PipelineSpec spec;
  Plan &plan = spec.plan;
  std::vector<Slot> slots;
  int head = -1, tail = -1;
  size_t liveColumns = 0;
  llvm::StringMap<int> byName; // current column name -> slot
  /// Where each value comes from: -(i+1) for inputs[i], else a step index.
  std::vector<int> origin;
  size_t nameBytes = 0;

  // Columns.
  const std::string &slotName(int s) const { return plan.values[slots[s].value].name; }
  ValueKind slotKind(int s) const { return plan.values[slots[s].value].kind; }
  int newValue(ValueKind kind, std::optional<int64_t> missing, std::string name, int from);
  int insertBefore(int before, int value);
  void unlink(int s);
  std::string currentColumns() const;
  std::string originOf(int value) const;

  // Validation helpers.
  llvm::Error lookupColumn(const llvm::json::Value &v, llvm::StringRef path, int &slot);
  /// Reads the step's required "column" key, resolves it to a current
  /// column and records its name in `step`.
  llvm::Error readStepColumn(const llvm::json::Object &o, const std::string &path,
                             llvm::StringRef what, Step &step, int &slot);
  llvm::Error requireNumeric(int slot, llvm::StringRef path, llvm::StringRef op);
  llvm::Error checkProduced(llvm::StringRef stepPath, llvm::StringRef op,
                            llvm::ArrayRef<std::string> names, llvm::ArrayRef<int> consumed);
  llvm::Error checkColumnBudget(llvm::StringRef stepPath, llvm::StringRef op, size_t consumed,
                                uint64_t produced, uint64_t producedNameBytes);

  // Phases.
  llvm::Error parseHeader(const llvm::json::Object &root);
  llvm::Error parseInputs(const llvm::json::Object &root);
  llvm::Error parseOutputShape(const llvm::json::Object &root);
  llvm::Error parseSteps(const llvm::json::Object &root);
  llvm::Error parseStep(const llvm::json::Value &v, size_t index);
  llvm::Error resolveOutputs();
  llvm::Error resolveFeatures(const llvm::json::Object &root);

  // Ops.
  llvm::Error parseFloatOp(const llvm::json::Object &o, const std::string &path, Step &step,
                           int &slot);
  llvm::Error parseImpute(const llvm::json::Object &o, const std::string &path, Step &step);
  llvm::Error parseOneHot(const llvm::json::Object &o, const std::string &path, Step &step);
  llvm::Error parseLabelEncode(const llvm::json::Object &o, const std::string &path, Step &step);
  llvm::Error parsePolynomial(const llvm::json::Object &o, const std::string &path, Step &step);
  llvm::Error parseExprStep(const llvm::json::Object &o, const std::string &path, Step &step);
  llvm::Error parseCategory(const llvm::json::Value &v, llvm::StringRef path, ValueKind kind,
                            llvm::StringRef what, int64_t &i, double &d, std::string &s);

  /// Records a step that maps one column to one Float column in place.
  void replaceWithFloat(int slot, StepOp op);
  /// Replaces the column in `slot` (and removes `alsoRemove`) with new
  /// columns for `values`, in order, at the position of `slot`.
  void splice(int slot, llvm::ArrayRef<int> alsoRemove, llvm::ArrayRef<int> values);
  PlanNode &addNode(StepOp op);
};

/// The canonical text of a validated pipeline (PipelineCanonical.cpp).
std::string canonicalPipelineText(const PipelineSpec &spec);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEPARSER_H
