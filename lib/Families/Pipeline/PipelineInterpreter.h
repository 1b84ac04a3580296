//===- PipelineInterpreter.h - The pipeline interpreter's program -*- C++ -*-===//
//
// Internal to lib/Families/Pipeline: the generic interpreter of a pipeline
// and the data of its programs, built from the Plan in PipelineProgram.cpp
// and run in PipelineInterpreter.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEINTERPRETER_H
#define SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEINTERPRETER_H

#include "Families/Pipeline/PipelineFrontEnd.h"
#include "Interpreter/ExprCode.h"
#include "Interpreter/Interpreter.h"
#include "Interpreter/Lookup.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace specjit {
namespace interp {
namespace pipeline {

using jit::DType;
using jit::StepOp;
using jit::ValueKind;

/// One term of a polynomial expansion, in result order.
struct PolyTerm {
  /// Result position written.
  int dst = 0;
  /// Result position of the term of all factors but the first, or -1.
  int prefix = -1;
  /// Argument position of the first factor, or -1 for the bias.
  int arg = -1;
};

/// A plan node with its configuration resolved for execution.
struct Node {
  StepOp op = StepOp::Standardize;
  int step = -1;
  std::vector<int> args, results;
  std::string column; // for messages

  /// Kind and sentinel of args[0].
  ValueKind inKind = ValueKind::Float;
  bool inHasMissing = false;
  int64_t inMissing = 0;
  /// Kind of results[0].
  ValueKind outKind = ValueKind::Float;

  // standardize: p0 = mean, p1 = std; minmax: p0 = min, p1 = max - min;
  // clip: p0 = min, p1 = max (+-inf when absent); impute: p0 = value.
  double p0 = 0.0, p1 = 0.0;
  int64_t imputeInt = 0;

  // one_hot, label_encode
  bool checkUnknown = false;
  std::vector<int64_t> intCats;
  std::vector<double> floatCats;
  IntLookup intLookup;
  FloatLookup floatLookup;
  StringLookup stringLookup;
  /// label_encode: the default, then the code of each category.
  std::vector<double> codesOrDefault;

  // bucketize
  std::vector<double> edges;

  // polynomial
  std::vector<PolyTerm> poly;

  // expr
  ExprCode code;
};

/// An input column: where it is in the argument array and how it is stored.
struct InputInfo {
  DType type = DType::F64;
  int argSlot = 0;
};

/// One entry of a program: a node to compute and/or to check.
struct Item {
  int node = 0;
  bool compute = false;
  bool check = false;
  /// Float slots of the expression's temporary registers.
  std::vector<int> temps;
};

/// A schedule plus its scratch layout.
struct Program {
  std::vector<Item> items;
  /// Input values read by this program.
  std::vector<int> inputs;
  /// Per value: its f64 slot (Float values), i64 slot (Int values) and f64
  /// shadow slot (Int values read as Float); -1 when none.
  std::vector<int> fslot, islot, shadow;
  int numF = 0, numI = 0;
  bool needIdx = false;
  int maxExprArgs = 0, maxTemps = 0;
};

/// Where a check failed.
struct Failure {
  int node = -1;
  std::string value;
};

/// Per-call scratch. Allocation never throws: allocate() reports failure.
struct Frame {
  int64_t B = 0;
  std::unique_ptr<double[]> f;
  std::unique_ptr<int64_t[]> i;
  std::unique_ptr<int32_t[]> idx;
  /// Per value: Float view (Float values, or the shadow of Int values) and
  /// Int view.
  std::unique_ptr<const double *[]> fv;
  std::unique_ptr<const int64_t *[]> iv;
  std::unique_ptr<const double *[]> exprArgs;
  std::unique_ptr<double *[]> exprTemps;
  std::unique_ptr<const double *[]> outCols;

  double *fslot(int s) const { return f.get() + static_cast<int64_t>(s) * B; }
  int64_t *islot(int s) const { return i.get() + static_cast<int64_t>(s) * B; }

  template <class T> static bool alloc(std::unique_ptr<T[]> &p, size_t n) {
    if (n == 0)
      return true;
    // Pointer tables start null; data arrays need no initialization.
    if constexpr (std::is_pointer_v<T>)
      p.reset(new (std::nothrow) T[n]());
    else
      p.reset(new (std::nothrow) T[n]);
    return p != nullptr;
  }

  /// Sizes everything for `prog` with blocks of B rows.
  bool allocate(const Program &prog, size_t numValues, size_t numOutputs) {
    size_t b = static_cast<size_t>(B);
    return alloc(f, static_cast<size_t>(prog.numF) * b) &&
           alloc(i, static_cast<size_t>(prog.numI) * b) && (!prog.needIdx || alloc(idx, b)) &&
           alloc(fv, numValues) && alloc(iv, numValues) && alloc(exprArgs, prog.maxExprArgs) &&
           alloc(exprTemps, prog.maxTemps) && alloc(outCols, numOutputs);
  }
};

/// Whether `op` reads its first argument as an Int when it is one (instead of
/// converting it to Float).
inline bool readsIntDirectly(StepOp op) {
  return op == StepOp::Impute || op == StepOp::OneHot || op == StepOp::LabelEncode;
}

/// Receives the f64 output columns of a block of the main program.
using BlockSink = FeatureProgram::BlockFn;

class GenericInterpreter final : public Interpreter {
public:
  /// Builds everything from the spec of a pipeline descriptor; the result
  /// keeps no reference to it.
  static llvm::Expected<std::unique_ptr<GenericInterpreter>> build(const jit::PipelineSpec &spec);
  /// Builds from a pipeline spec whose plan outputs feed another family (the
  /// output type is not used).
  static llvm::Expected<std::unique_ptr<GenericInterpreter>>
  buildFeatures(const jit::PipelineSpec &spec);

  int64_t run(const void *const *args, void *out, int64_t rows) const override;
  std::string describeFailure(const void *const *args, int64_t row) const override;

  /// Checks every row, then hands each block's output columns (f64) to
  /// `sink`. Same results as run(); the sink is never called when a check
  /// fails or scratch space cannot be allocated.
  int64_t runBlocks(const void *const *args, int64_t rows, BlockSink sink) const;
  size_t numOutputColumns() const { return outputs_.size(); }

private:
  llvm::Error prepareNode(const jit::PipelineSpec &spec, const jit::PlanNode &pn, Node &nd) const;
  Program schedule(bool mainProgram) const;

  static llvm::Expected<std::unique_ptr<GenericInterpreter>>
  buildSpec(const jit::PipelineSpec &spec);

  /// Runs `prog` over rows [begin, end). The main program hands its output
  /// columns to `*sink` block by block. Returns the first row failing a
  /// check (described in *fail), or -1.
  int64_t execute(const Program &prog, const void *const *args, const BlockSink *sink,
                  int64_t begin, int64_t end, Failure *fail) const;
  void gatherInputs(const Program &prog, Frame &fr, const void *const *args, int64_t base,
                    int64_t n) const;
  void computeNode(const Node &nd, const Item &it, const Program &prog, Frame &fr,
                   const void *const *args, int64_t base, int64_t n) const;
  /// First row in [0, n) of the block failing `nd`'s check, or -1.
  int64_t checkNode(const Node &nd, Frame &fr, const void *const *args, int64_t base,
                    int64_t n) const;
  /// The value of `nd`'s (checked) argument at row r of the block.
  std::string formatValue(const Node &nd, const Frame &fr, const void *const *args, int64_t base,
                          int64_t r) const;
  template <class T> void scatter(const double *const *cols, T *out, int64_t base, int64_t n) const;

  /// A string input's offsets (positioned at row `base`) and bytes.
  const int64_t *stringOffsets(const void *const *args, int v, int64_t base) const {
    return static_cast<const int64_t *>(args[inputs_[v].argSlot]) + base;
  }
  const char *stringBytes(const void *const *args, int v) const {
    return static_cast<const char *>(args[inputs_[v].argSlot + 1]);
  }

  std::vector<InputInfo> inputs_;
  std::vector<jit::PlanValue> values_;
  std::vector<Node> nodes_;
  std::vector<int> outputs_;
  DType outType_ = DType::F32;
  Program main_, check_;
  bool hasChecks_ = false;
};

} // namespace pipeline
} // namespace interp
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEINTERPRETER_H
