//===- EvalToSpec.cpp - An eval descriptor in the spec dialect ------------===//
//
// The compiled part of an evaluation is the pass over the rows that the
// counting and summing metrics need (spec.metrics_pass). Where the scores
// come from (columns, an inline model, cross-validation folds), the checks
// of the labels, roc_auc's sort and the finishing of the metrics from the
// pass's statistics stay in shared C++ (EvalApi.cpp, Metrics.cpp), the same
// for both backends.
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/EvalToSpec.h"
#include "Families/Eval/EvalSpec.h"

#include "Conversion/DescriptorToSpec/ImportSupport.h"

#include "Families/Eval/Metrics.h"

#include "specjit/Dialect/Spec/IR/SpecDialect.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace specjit {
namespace eval {

std::vector<std::string> metricsAccumulators(const jit::EvalSpec &spec) {
  jit::eval::StatsNeeds need = jit::eval::statsNeeds(spec);
  std::vector<std::string> out;
  auto add = [&](bool want, const char *name) {
    if (want)
      out.push_back(name);
  };
  add(need.counts, "counts");
  add(need.logLoss, "log_loss");
  // r2 implies the squared errors (its numerator).
  add(need.squared && !need.r2, "squared_error");
  add(need.absolute, "absolute_error");
  add(need.r2, "r2");
  add(need.rowSums, "row_sums");
  return out;
}

llvm::Expected<OwningOpRef<ModuleOp>> importMetricsPass(MLIRContext &ctx,
                                                        const jit::EvalSpec &spec) {
  ctx.getOrLoadDialect<spec::SpecDialect>();
  std::vector<std::string> accumulators = metricsAccumulators(spec);
  OpBuilder b(&ctx);
  Location loc = jit::descriptorLoc(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<StringRef> names(accumulators.begin(), accumulators.end());
  bool binary = spec.task == jit::EvalTask::Binary;
  int64_t classes = spec.task == jit::EvalTask::Regression ? 0 : spec.numClasses;
  b.create<spec::MetricsPassOp>(
      loc, b.getStringAttr(spec.name.empty() ? "eval" : spec.name),
      b.getStringAttr(jit::evalTaskName(spec.task)), b.getI64IntegerAttr(classes),
      b.getF64FloatAttr(binary ? spec.threshold : 0.5), b.getStrArrayAttr(names));
  return jit::verifiedImport(std::move(module));
}

} // namespace eval
} // namespace specjit
