//===- specjit/Descriptor.h - Validated computation descriptors -*- C++ -*-===//
//
// A Descriptor is a parsed, validated and analyzed description of one
// configuration-driven computation. JSON text and the C++ builders produce the
// same Descriptor (the builders emit JSON and go through the same parser), so
// the same meaning always yields the same canonical form and hash.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_DESCRIPTOR_H
#define SPECJIT_DESCRIPTOR_H

#include "specjit/Types.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Value;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

//===----------------------------------------------------------------------===//
// Expressions (one grammar for every family)
//===----------------------------------------------------------------------===//

/// A node of a parsed arithmetic expression. Values are f64; comparisons and
/// logical operators yield 1.0 or 0.0; a value is "true" when it is not equal
/// to 0.0 (so NaN is true, as in C).
struct Expr {
  enum class Kind : uint8_t { Const, Column, Op };
  enum class Op : uint8_t {
    Neg, Not,                         // unary: -x, not x
    Add, Sub, Mul, Div,               // binary arithmetic
    Lt, Le, Gt, Ge, Eq, Ne,           // comparisons (ordered: NaN -> 0)
    And, Or,                          // logical
    Min, Max, Abs, Sqrt, Exp, Log, Log1p, Pow, // functions
    Select,                           // select(cond, a, b)
  };
  Kind kind = Kind::Const;
  Op op = Op::Add;
  double value = 0.0;     // Const
  std::string column;     // Column: the name as written
  int arg = -1;           // Column: index into the owning node's args
  std::vector<std::shared_ptr<const Expr>> args; // Op operands
};
using ExprPtr = std::shared_ptr<const Expr>;

/// Spelling of an operator or function as in the expression grammar.
llvm::StringRef exprOpName(Expr::Op op);

/// Parses expression text. Column references are left unresolved (arg = -1).
/// Errors say where in the text parsing failed.
llvm::Expected<ExprPtr> parseExpr(llvm::StringRef text);

//===----------------------------------------------------------------------===//
// The pipeline family
//===----------------------------------------------------------------------===//

struct InputColumn {
  std::string name;
  DType type = DType::F64;
  /// Integer and bool inputs only: the value that means "missing".
  std::optional<int64_t> missing;
};

enum class StepOp : uint8_t {
  Standardize, MinMax, Log, Log1p, Clip, Impute, OneHot, LabelEncode,
  Polynomial, Bucketize, Expr,
};
/// The descriptor spelling ("standardize", "minmax", "one_hot", ...).
llvm::StringRef stepOpName(StepOp op);

enum class UnknownPolicy : uint8_t { Zeros, Error };

/// One pipeline step. Only the fields of its op are meaningful.
struct Step {
  StepOp op = StepOp::Standardize;
  std::string column;               // every op but polynomial and expr
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
  ExprPtr expr;                     // resolved: Column nodes carry `arg`
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
  int step = -1;                // index into PipelineSpec::steps
  std::vector<int> args;        // value ids read (expr: in Expr::arg order)
  std::vector<int> results;     // value ids produced
};

/// The analyzed pipeline. values[i] for i < inputs.size() are the inputs.
struct Plan {
  std::vector<PlanValue> values;
  std::vector<PlanNode> nodes;
  std::vector<int> outputs;           // value ids, in output column order
  std::vector<std::string> outputNames;
};

struct PipelineSpec {
  std::string name;
  std::vector<InputColumn> inputs;
  DType outputType = DType::F32;
  std::vector<std::string> outputColumns; // as written (empty: all)
  std::vector<Step> steps;
  Plan plan;
};

//===----------------------------------------------------------------------===//
// Descriptor
//===----------------------------------------------------------------------===//

enum class Kind : uint8_t { Pipeline };
llvm::StringRef kindName(Kind k);

/// Largest descriptor text accepted (bytes) and largest expansion (columns).
constexpr size_t kMaxDescriptorBytes = 64u << 20;
constexpr size_t kMaxColumns = 1u << 20;

class Descriptor {
public:
  /// Parses and validates JSON text. Errors name the JSON path of the fault
  /// and what was expected, e.g.
  /// "steps[2].categories: expected a non-empty array of integers".
  static llvm::Expected<Descriptor> parse(llvm::StringRef json);
  /// Same as parse() on an already parsed JSON value.
  static llvm::Expected<Descriptor> fromJSON(const llvm::json::Value &v);
  /// Reads and parses a file.
  static llvm::Expected<Descriptor> fromFile(llvm::StringRef path);

  Kind kind() const { return kind_; }
  const PipelineSpec &pipeline() const { return *pipeline_; }

  /// Canonical JSON text: sorted keys, defaults filled in, numbers
  /// normalized. The `name` is kept out of it: it does not change meaning.
  const std::string &canonical() const { return canonical_; }
  /// xxh3-128 of canonical(); stable across processes and machines.
  Hash128 hash() const { return hash_; }

  /// Output columns: names and count, and the output element type.
  const std::vector<std::string> &outputNames() const {
    return pipeline_->plan.outputNames;
  }
  size_t numOutputs() const { return pipeline_->plan.outputNames.size(); }
  DType outputType() const { return pipeline_->outputType; }
  const std::vector<InputColumn> &inputs() const { return pipeline_->inputs; }

private:
  Kind kind_ = Kind::Pipeline;
  std::shared_ptr<const PipelineSpec> pipeline_;
  std::string canonical_;
  Hash128 hash_;
  friend class DescriptorParser;
};

/// Fluent C++ construction of a pipeline descriptor. It writes the same JSON
/// a user would and parses it, so errors and hashes are those of JSON text.
class PipelineBuilder {
public:
  explicit PipelineBuilder(std::string name);
  ~PipelineBuilder();
  PipelineBuilder(PipelineBuilder &&);
  PipelineBuilder &operator=(PipelineBuilder &&);

  PipelineBuilder &input(llvm::StringRef name, DType type,
                         std::optional<int64_t> missing = std::nullopt);
  PipelineBuilder &output(DType type, std::vector<std::string> columns = {});

  PipelineBuilder &standardize(llvm::StringRef column, double mean, double std);
  PipelineBuilder &minmax(llvm::StringRef column, double min, double max);
  PipelineBuilder &log(llvm::StringRef column);
  PipelineBuilder &log1p(llvm::StringRef column);
  PipelineBuilder &clip(llvm::StringRef column, std::optional<double> min,
                        std::optional<double> max);
  PipelineBuilder &impute(llvm::StringRef column, double value);
  PipelineBuilder &oneHot(llvm::StringRef column, std::vector<int64_t> categories,
                          UnknownPolicy unknown = UnknownPolicy::Zeros);
  PipelineBuilder &oneHot(llvm::StringRef column,
                          std::vector<std::string> categories,
                          UnknownPolicy unknown = UnknownPolicy::Zeros);
  PipelineBuilder &labelEncode(llvm::StringRef column,
                               std::vector<std::pair<int64_t, double>> mapping,
                               double defaultCode = -1.0);
  PipelineBuilder &labelEncode(llvm::StringRef column,
                               std::vector<std::pair<std::string, double>> mapping,
                               double defaultCode = -1.0);
  PipelineBuilder &polynomial(std::vector<std::string> columns, int degree,
                              bool interactionOnly = false,
                              bool includeBias = true);
  PipelineBuilder &bucketize(llvm::StringRef column, std::vector<double> edges);
  PipelineBuilder &expr(llvm::StringRef name, llvm::StringRef expr);

  /// The JSON text built so far.
  std::string json() const;
  /// Parses and validates the JSON built so far.
  llvm::Expected<Descriptor> build() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace jit
} // namespace specjit

#endif // SPECJIT_DESCRIPTOR_H
