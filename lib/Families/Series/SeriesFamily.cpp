//===- SeriesFamily.cpp - The series family -------------------------------===//
//
// docs/series-semantics.md: moving averages and composite indicators over
// time-ordered price columns, streamed call after call.
//
//===----------------------------------------------------------------------===//

#include "Families/Family.h"
#include "Families/Series/SeriesSpec.h"
#include "Families/Series/SeriesToSpec.h"

#include "Interpreter/Interpreter.h"

namespace specjit {
namespace jit {
namespace {

class SeriesFamily final : public FamilyOf<SeriesSpec> {
public:
  SeriesFamily() : FamilyOf("series") {}

  llvm::Expected<Descriptor> parse(const llvm::json::Object &root) const override {
    return detail::parseSeries(root);
  }
  const std::string &name(const Descriptor &d) const override { return spec(d).name; }
  const std::vector<std::string> &outputNames(const Descriptor &d) const override {
    return spec(d).outputNames;
  }
  DType outputType(const Descriptor &d) const override { return spec(d).outputType; }
  const std::vector<InputColumn> &inputs(const Descriptor &d) const override {
    return spec(d).inputs;
  }
  RunShape runShape() const override { return RunShape::Stream; }
  std::string summary(const Descriptor &d) const override {
    std::string out = "indicators:";
    for (const Indicator &i : spec(d).indicators)
      out += " " + i.name + ":" + indicatorOpName(i.op).str() + "(lookback " +
             std::to_string(i.lookback) + ")";
    return out + "\n";
  }

  llvm::Expected<std::unique_ptr<interp::Interpreter>>
  createInterpreter(const Descriptor &d) const override {
    return interp::createSeriesInterpreter(spec(d));
  }
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  importToSpec(mlir::MLIRContext &ctx, const Descriptor &d) const override {
    return importSeries(ctx, spec(d));
  }
};

} // namespace

const Family &seriesFamily() {
  static const SeriesFamily family;
  return family;
}

} // namespace jit
} // namespace specjit
