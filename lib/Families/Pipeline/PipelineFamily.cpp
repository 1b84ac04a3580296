//===- PipelineFamily.cpp - The pipeline family ---------------------------===//
//
// docs/pipeline-semantics.md: input columns through preprocessing steps to
// f32 or f64 output columns, row by row.
//
//===----------------------------------------------------------------------===//

#include "Families/Family.h"
#include "Families/Pipeline/PipelineSpec.h"
#include "Families/Pipeline/PipelineToSpec.h"

#include "Interpreter/Interpreter.h"

namespace specjit {
namespace jit {
namespace {

class PipelineFamily final : public FamilyOf<PipelineSpec> {
public:
  PipelineFamily() : FamilyOf("pipeline") {}

  llvm::Expected<Descriptor> parse(const llvm::json::Object &root) const override {
    return detail::parsePipeline(root);
  }
  const std::string &name(const Descriptor &d) const override { return spec(d).name; }
  const std::vector<std::string> &outputNames(const Descriptor &d) const override {
    return spec(d).plan.outputNames;
  }
  DType outputType(const Descriptor &d) const override { return spec(d).outputType; }
  const std::vector<InputColumn> &inputs(const Descriptor &d) const override {
    return spec(d).inputs;
  }
  RunShape runShape() const override { return RunShape::Rows; }
  std::string summary(const Descriptor &d) const override {
    return "steps: " + std::to_string(spec(d).steps.size()) + "\n";
  }
  const PipelineSpec *featurePipeline(const Descriptor &d) const override { return &spec(d); }
  bool leanOptimization(const Descriptor &) const override { return true; }

  llvm::Expected<std::unique_ptr<interp::Interpreter>>
  createInterpreter(const Descriptor &d) const override {
    return interp::createPipelineInterpreter(spec(d));
  }
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  importToSpec(mlir::MLIRContext &ctx, const Descriptor &d) const override {
    return importPipeline(ctx, spec(d));
  }
};

} // namespace

const Family &pipelineFamily() {
  static const PipelineFamily family;
  return family;
}

} // namespace jit
} // namespace specjit
