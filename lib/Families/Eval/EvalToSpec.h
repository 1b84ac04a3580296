//===- EvalToSpec.h - An eval descriptor in the spec dialect ----*- C++ -*-===//
#ifndef SPECJIT_LIB_FAMILIES_EVAL_EVALTOSPEC_H
#define SPECJIT_LIB_FAMILIES_EVAL_EVALTOSPEC_H

#include "Families/Eval/EvalSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace specjit {
namespace eval {

/// A module holding one spec.metrics_pass: the pass over the rows that the
/// metrics of `spec` need, with the task, the class count, the threshold
/// and the accumulators as attributes.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importMetricsPass(mlir::MLIRContext &ctx,
                                                                    const jit::EvalSpec &spec);

/// The accumulators spec.metrics_pass computes for `spec`, in a fixed order
/// (empty when no metric needs one, e.g. roc_auc alone on binary scores:
/// the pass then only checks the scores).
std::vector<std::string> metricsAccumulators(const jit::EvalSpec &spec);

} // namespace eval
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_EVAL_EVALTOSPEC_H
