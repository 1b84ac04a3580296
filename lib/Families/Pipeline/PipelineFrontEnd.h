//===- PipelineFrontEnd.h - The pipeline front end of other families -*- C++ -*-===//
//
// The part of the pipeline family that the model and train families reuse:
// their `inputs`, `steps` and `features` are validated and analyzed by the
// pipeline family's own code (same paths, same errors), written in their
// canonical forms exactly as a pipeline writes them, run by the pipeline
// interpreter's program (FeatureProgram) and imported into the spec dialect
// by the pipeline's importer (PipelineToSpec.h).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEFRONTEND_H
#define SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEFRONTEND_H

#include "Families/Pipeline/PipelineSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <memory>
#include <string>

namespace specjit {
namespace jit {

/// Validates and analyzes a document's `inputs` and optional `steps`, then
/// its optional `features` (the current columns the model reads, in order;
/// default every current column; all must be numeric). In `out`:
/// plan.outputs/outputNames are the features, outputColumns is `features`
/// as written (empty when absent), outputType is F64. The caller checks the
/// document's keys (PipelineDescriptor.cpp).
llvm::Error parsePipelineFrontEnd(const llvm::json::Object &root, PipelineSpec &out);

/// A step as the pipeline family's canonical form writes it
/// (PipelineCanonical.cpp).
void writeCanonicalStep(llvm::json::OStream &j, const Step &s);
/// The `inputs` array as the pipeline family's canonical form writes it
/// (PipelineCanonical.cpp).
void writeCanonicalInputs(llvm::json::OStream &j, llvm::ArrayRef<InputColumn> inputs);

} // namespace jit

namespace interp {

/// The pipeline interpreter's program as a source of feature columns for
/// another family (models): the plan's outputs, as f64 columns, a block of
/// rows at a time. Data checks (one_hot with unknown: "error") run over every
/// row first, as for pipelines.
class FeatureProgram {
public:
  virtual ~FeatureProgram();

  /// Builds the program of `spec`'s plan; the result keeps no reference to
  /// it. `spec.outputType` is not used.
  static llvm::Expected<std::unique_ptr<FeatureProgram>> create(const jit::PipelineSpec &spec);

  /// Receives `numColumns()` f64 columns of `n` rows each, holding rows
  /// [base, base + n) of the call. The columns are valid during the call
  /// only; n never exceeds kInterpreterBlockRows.
  using BlockFn = llvm::function_ref<void(const double *const *cols, int64_t base, int64_t n)>;

  /// Number of columns (plan outputs).
  virtual size_t numColumns() const = 0;

  /// Runs over `rows` rows: returns 0 after handing every block to `fn` in
  /// row order; r > 0 when row r-1 fails a data check, -1 when scratch space
  /// cannot be allocated, in both cases without calling `fn`. Thread-safe.
  virtual int64_t run(const void *const *args, int64_t rows, BlockFn fn) const = 0;

  /// As Interpreter::describeFailure.
  virtual std::string describeFailure(const void *const *args, int64_t row) const = 0;
};

} // namespace interp
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEFRONTEND_H
