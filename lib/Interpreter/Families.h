//===- Families.h - The interpreter of each family --------------*- C++ -*-===//
//
// Interpreter::create dispatches on the descriptor kind; these build the
// interpreter of each family from its analyzed spec
// (lib/Families/<Family>/<Family>Interpreter.cpp). The result keeps no
// reference to the spec.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_INTERPRETER_FAMILIES_H
#define SPECJIT_INTERPRETER_FAMILIES_H

#include "Interpreter/Interpreter.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace specjit {
namespace interp {

/// docs/pipeline-semantics.md (the spec's output type is f32 or f64).
llvm::Expected<std::unique_ptr<Interpreter>>
createPipelineInterpreter(const jit::PipelineSpec &spec);

/// docs/series-semantics.md; see Families/Series/SeriesInterpreter.cpp for
/// the state layout.
llvm::Expected<std::unique_ptr<Interpreter>>
createSeriesInterpreter(const jit::SeriesSpec &spec);

/// docs/rules-semantics.md.
llvm::Expected<std::unique_ptr<Interpreter>>
createRulesInterpreter(const jit::RulesSpec &spec);

/// docs/model-semantics.md: the preprocessing runs on the pipeline
/// interpreter (FeatureProgram), the model per block on the features.
llvm::Expected<std::unique_ptr<Interpreter>>
createModelInterpreter(const jit::ModelSpec &spec);

/// The pipeline interpreter's program as a source of feature columns for
/// another family (models): the plan's outputs, as f64 columns, a block of
/// rows at a time. Data checks (one_hot with unknown: "error") run over every
/// row first, as for pipelines.
class FeatureProgram {
public:
  virtual ~FeatureProgram();

  /// Builds the program of `spec`'s plan; the result keeps no reference to
  /// it. `spec.outputType` is not used.
  static llvm::Expected<std::unique_ptr<FeatureProgram>>
  create(const jit::PipelineSpec &spec);

  /// Receives `numColumns()` f64 columns of `n` rows each, holding rows
  /// [base, base + n) of the call. The columns are valid during the call
  /// only; n never exceeds kInterpreterBlockRows.
  using BlockFn = llvm::function_ref<void(const double *const *cols,
                                          int64_t base, int64_t n)>;

  /// Number of columns (plan outputs).
  virtual size_t numColumns() const = 0;

  /// Runs over `rows` rows: returns 0 after handing every block to `fn` in
  /// row order; r > 0 when row r-1 fails a data check, -1 when scratch space
  /// cannot be allocated, in both cases without calling `fn`. Thread-safe.
  virtual int64_t run(const void *const *args, int64_t rows,
                      BlockFn fn) const = 0;

  /// As Interpreter::describeFailure.
  virtual std::string describeFailure(const void *const *args,
                                      int64_t row) const = 0;
};

} // namespace interp
} // namespace specjit

#endif // SPECJIT_INTERPRETER_FAMILIES_H
