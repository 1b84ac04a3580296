//===- PipelineSpec.h - The analyzed `pipeline` descriptor -----*- C++ -*-===//
//
// Internal: what PipelineDescriptor.cpp makes of a `kind: "pipeline"`
// document (docs/pipeline-semantics.md), and the front end the model and
// train families put before their models (PipelineFrontEnd.h).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINESPEC_H
#define SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINESPEC_H

#include "Descriptor/Expr.h"

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Object;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

enum class StepOp : uint8_t {
  Standardize,
  MinMax,
  Log,
  Log1p,
  Clip,
  Impute,
  OneHot,
  LabelEncode,
  Polynomial,
  Bucketize,
  Expr,
};
/// The descriptor spelling ("standardize", "minmax", "one_hot", ...).
llvm::StringRef stepOpName(StepOp op);

/// One pipeline step. Only the fields of its op are meaningful.
struct Step {
  StepOp op = StepOp::Standardize;
  std::string column; // every op but polynomial and expr
  // standardize
  double mean = 0.0, std = 1.0;
  // minmax (both required) and clip (either may be absent: +-inf)
  double min = 0.0, max = 0.0;
  // impute
  double value = 0.0;
  // one_hot and label_encode: categories are integers, numbers or strings,
  // matching the column's kind. For label_encode, codes[i] is the code of
  // category i.
  std::vector<int64_t> intCategories;
  std::vector<double> floatCategories;
  std::vector<std::string> stringCategories;
  UnknownPolicy unknown = UnknownPolicy::Zeros;
  std::vector<double> codes;
  double defaultCode = -1.0;
  // polynomial
  std::vector<std::string> columns;
  int degree = 2;
  bool interactionOnly = false;
  bool includeBias = true;
  // bucketize: strictly increasing
  std::vector<double> edges;
  // expr
  std::string name;
  std::string exprText;
  ExprPtr expr; // resolved: Column nodes carry `arg`
};

/// What a column holds between steps.
enum class ValueKind : uint8_t { Int, Float, String };

/// One column value produced by an input or a step (SSA style).
struct PlanValue {
  ValueKind kind = ValueKind::Float;
  /// Int only: the sentinel that means "missing" (inherited from the input).
  std::optional<int64_t> missing;
  std::string name;
};

/// One step applied to resolved values. Both the interpreter and the MLIR
/// importer consume this form, so they agree on layout and types by
/// construction.
struct PlanNode {
  StepOp op = StepOp::Standardize;
  int step = -1;            // index into PipelineSpec::steps
  std::vector<int> args;    // value ids read (expr: in Expr::arg order)
  std::vector<int> results; // value ids produced
};

/// The analyzed pipeline. values[i] for i < inputs.size() are the inputs.
struct Plan {
  std::vector<PlanValue> values;
  std::vector<PlanNode> nodes;
  std::vector<int> outputs; // value ids, in output column order
  std::vector<std::string> outputNames;
};

struct PipelineSpec {
  static constexpr Kind kKind = Kind::Pipeline;

  std::string name;
  std::vector<InputColumn> inputs;
  DType outputType = DType::F32;
  std::vector<std::string> outputColumns; // as written (empty: all)
  std::vector<Step> steps;
  Plan plan;
};

namespace detail {

/// PipelineDescriptor.cpp: a validated `kind: "pipeline"` document (the
/// header is already checked).
llvm::Expected<Descriptor> parsePipeline(const llvm::json::Object &root);

} // namespace detail
} // namespace jit

namespace interp {

class Interpreter;

/// PipelineInterpreter.cpp, docs/pipeline-semantics.md (the spec's output type is f32 or f64). The
/// result keeps no reference to the spec.
llvm::Expected<std::unique_ptr<Interpreter>>
createPipelineInterpreter(const jit::PipelineSpec &spec);

} // namespace interp
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINESPEC_H
