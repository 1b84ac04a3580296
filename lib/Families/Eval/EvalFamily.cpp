//===- EvalFamily.cpp - The eval family -----------------------------------===//
//
// docs/eval-semantics.md: metrics over scores, an inline model's
// predictions or cross-validated trainings, run by jit::evaluate and
// `specjit eval`; its kernel is the fused metrics pass (spec.metrics_pass).
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/EvalSpec.h"
#include "Families/Eval/EvalToSpec.h"
#include "Families/Family.h"

#include "Interpreter/Interpreter.h"

namespace specjit {
namespace jit {
namespace {

class EvalFamily final : public FamilyOf<EvalSpec> {
public:
  EvalFamily() : FamilyOf("eval") {}

  llvm::Expected<Descriptor> parse(const llvm::json::Object &root) const override {
    return detail::parseEval(root);
  }
  const std::string &name(const Descriptor &d) const override { return spec(d).name; }
  /// The metric names.
  const std::vector<std::string> &outputNames(const Descriptor &d) const override {
    return spec(d).outputNames;
  }
  DType outputType(const Descriptor &) const override { return DType::F64; }
  const std::vector<InputColumn> &inputs(const Descriptor &d) const override {
    return spec(d).dataColumns;
  }
  RunShape runShape() const override { return RunShape::Driven; }
  std::string summary(const Descriptor &d) const override { return detail::summarizeEval(spec(d)); }

  llvm::Expected<std::unique_ptr<interp::Interpreter>>
  createInterpreter(const Descriptor &d) const override {
    return notAKernel(d, "evaluate", "eval");
  }
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  importToSpec(mlir::MLIRContext &ctx, const Descriptor &d) const override {
    return eval::importMetricsPass(ctx, spec(d));
  }
};

} // namespace

const Family &evalFamily() {
  static const EvalFamily family;
  return family;
}

} // namespace jit
} // namespace specjit
