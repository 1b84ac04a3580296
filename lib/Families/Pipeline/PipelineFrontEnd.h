//===- PipelineFrontEnd.h - The pipeline front end of other families -*- C++ -*-===//
//
// The part of the pipeline family that the model and train families reuse:
// their `inputs`, `steps` and `features` are validated and analyzed by the
// pipeline family's own code (same paths, same errors), and written in their
// canonical forms exactly as a pipeline writes them.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEFRONTEND_H
#define SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEFRONTEND_H

#include "specjit/Descriptor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

namespace specjit {
namespace jit {

/// Validates and analyzes a document's `inputs` and optional `steps`, then
/// its optional `features` (the current columns the model reads, in order;
/// default every current column; all must be numeric). In `out`:
/// plan.outputs/outputNames are the features, outputColumns is `features`
/// as written (empty when absent), outputType is F64. The caller checks the
/// document's keys (PipelineDescriptor.cpp).
llvm::Error parsePipelineFrontEnd(const llvm::json::Object &root,
                                  PipelineSpec &out);

/// A step as the pipeline family's canonical form writes it
/// (PipelineCanonical.cpp).
void writeCanonicalStep(llvm::json::OStream &j, const Step &s);
/// The `inputs` array as the pipeline family's canonical form writes it
/// (PipelineCanonical.cpp).
void writeCanonicalInputs(llvm::json::OStream &j,
                          llvm::ArrayRef<InputColumn> inputs);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINEFRONTEND_H
