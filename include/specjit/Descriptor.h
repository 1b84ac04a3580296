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
// The series family (docs/series-semantics.md)
//===----------------------------------------------------------------------===//

enum class IndicatorOp : uint8_t {
  Sma, Ema, Wma, Dema, Tema, Hma, Lsma, Kama, // moving averages
  WeightedSum, Crossover, Trend,              // composites
};
/// The descriptor spelling ("sma", ..., "weighted_sum", "crossover", "trend").
llvm::StringRef indicatorOpName(IndicatorOp op);

/// How the EMA family starts: with the first value (pandas
/// ewm(adjust=False)) or with the SMA of the first `period` values (TA-Lib).
enum class EmaSeed : uint8_t { First, Sma };

struct Indicator {
  std::string name;
  IndicatorOp op = IndicatorOp::Sma;
  /// What it reads, resolved: ids < inputs.size() are input columns, id
  /// inputs.size() + k is indicator k (always an earlier one). Moving
  /// averages read sources[0]; weighted_sum reads one per term; crossover
  /// reads {fast, slow}; trend reads {price, against...}.
  std::vector<int> sources;
  int period = 0;                 // moving averages
  EmaSeed seed = EmaSeed::First;  // ema, dema, tema
  int fast = 2, slow = 30;        // kama
  std::vector<double> weights;    // weighted_sum (per term), trend (per against)
  double bias = 0.0;              // weighted_sum
  double upper = 0.0, lower = 0.0; // trend: relative band around the mix
  /// Rows before the first non-NaN output (for finite inputs).
  int64_t lookback = 0;
};

struct SeriesSpec {
  std::string name;
  std::vector<InputColumn> inputs; // f64 or f32
  DType outputType = DType::F64;
  std::vector<Indicator> indicators;
  std::vector<int> outputs;        // indicator indices, in output order
  std::vector<std::string> outputNames;
};

//===----------------------------------------------------------------------===//
// The rules family (docs/rules-semantics.md)
//===----------------------------------------------------------------------===//

struct RuleAction {
  enum class Kind : uint8_t { Set, Add, Sub, Mul };
  Kind kind = Kind::Set;
  int meter = 0;        // index into RulesSpec::meters
  std::string text;
  ExprPtr expr;         // Column nodes carry `arg` = meter index
};

struct Rule {
  std::string condText; // empty: always
  ExprPtr cond;         // null: always
  std::vector<RuleAction> actions; // in canonical order: set, add, sub, mul; by meter
};

struct RulesSpec {
  std::string name;
  std::vector<std::string> meters;
  DType type = DType::F64;          // the state matrix's element type
  std::vector<Rule> rules;
  /// Per meter: clamp bounds (lo <= hi), applied after every write.
  std::vector<std::optional<std::pair<double, double>>> clamp;
  int64_t steps = 1;
};

//===----------------------------------------------------------------------===//
// The model family (docs/model-semantics.md)
//===----------------------------------------------------------------------===//

enum class ModelType : uint8_t { Linear, TreeEnsemble, Mlp };
/// How margins become the output: identity, logistic (1 / (1 + exp(-m))) per
/// output, softmax across the outputs, or argmax (the index of the largest
/// margin, one output column).
enum class Link : uint8_t { Identity, Logistic, Softmax, Argmax };
enum class Activation : uint8_t { Identity, Relu, Tanh, Logistic };
llvm::StringRef modelTypeName(ModelType t);
llvm::StringRef linkName(Link l);
llvm::StringRef activationName(Activation a);

/// One node of a decision tree; node 0 is the root. A split sends `x` to
/// `left` when `x < threshold`, to `right` otherwise, and a missing (NaN)
/// `x` to the default side.
struct TreeNode {
  int32_t feature = -1;   ///< -1 for a leaf
  double threshold = 0.0;
  int32_t left = -1, right = -1;
  bool defaultLeft = true;
  double leaf = 0.0;      ///< leaves only
};

struct Tree {
  std::vector<TreeNode> nodes;
  int32_t group = 0;      ///< the output (class) this tree adds to
};

struct DenseLayer {
  int32_t inputs = 0, outputs = 0;
  std::vector<double> weights; ///< outputs x inputs, row-major
  std::vector<double> biases;  ///< outputs
  Activation activation = Activation::Identity;
};

struct ModelSpec {
  std::string name;
  /// Inputs, optional preprocessing steps and (in plan.outputNames) the
  /// model's features, in order. A model without steps reads its inputs.
  PipelineSpec pipeline;
  ModelType type = ModelType::Linear;
  int32_t numFeatures = 0;
  int32_t numOutputs = 1;
  // linear: weights is numOutputs x numFeatures, row-major
  std::vector<double> weights, intercepts;
  // tree ensembles
  std::vector<Tree> trees;
  std::vector<double> baseScore;   ///< per output, in margin space
  bool average = false;            ///< random forests: sum / number of trees per output
  bool float32 = false;            ///< XGBoost semantics: f32 features, thresholds, leaves and sums
  // mlp
  std::vector<DenseLayer> layers;
  Link link = Link::Identity;
  bool margin = false;             ///< output margins (skip the link)
  DType outputType = DType::F32;
  std::vector<std::string> outputNames;
};

//===----------------------------------------------------------------------===//
// Descriptor
//===----------------------------------------------------------------------===//

/// The descriptor families. Each lives in its own directory (lib/Families/
/// for the newer ones) and is registered once in lib/Descriptor/Families.def.
enum class Kind : uint8_t { Pipeline, Series, Rules, Model, Train, Eval };
llvm::StringRef kindName(Kind k);

/// The analyzed forms of the train and eval families are internal
/// (lib/Families/Train/TrainSpec.h, lib/Families/Eval/EvalSpec.h): users
/// run them through jit::train and jit::evaluate.
struct TrainSpec;
struct EvalSpec;

/// Largest descriptor text accepted by default (bytes; SPECJIT_MAX_DESCRIPTOR_MB
/// sets another limit, specjit/ReadFile.h) and largest expansion (columns).
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
  /// The family's specification; only the one of kind() may be called.
  const PipelineSpec &pipeline() const { return *pipeline_; }
  const SeriesSpec &series() const { return *series_; }
  const RulesSpec &rules() const { return *rules_; }
  const ModelSpec &model() const { return *model_; }
  const TrainSpec &train() const { return *train_; }
  const EvalSpec &eval() const { return *eval_; }
  /// The descriptor's `name` (not hashed; may be empty).
  const std::string &name() const;
  /// Family-specific lines for `specjit info` (each "key: value\n"); empty
  /// for the families the driver describes itself.
  std::string summary() const;

  /// Canonical JSON text: sorted keys, defaults filled in, numbers
  /// normalized. The `name` is kept out of it: it does not change meaning.
  const std::string &canonical() const { return canonical_; }
  /// xxh3-128 of canonical(); stable across processes and machines.
  Hash128 hash() const { return hash_; }

  /// Output columns: names and count, and the output element type. For
  /// rules, the output is the state matrix (one column per meter), which a
  /// run reads and updates in place.
  const std::vector<std::string> &outputNames() const;
  size_t numOutputs() const { return outputNames().size(); }
  DType outputType() const;
  /// The columns a data file must provide, in order: the inputs (none for
  /// rules); for train, the inputs then the label; for eval, the columns it
  /// reads (see docs/eval-semantics.md).
  const std::vector<InputColumn> &inputs() const;

private:
  Kind kind_ = Kind::Pipeline;
  std::shared_ptr<const PipelineSpec> pipeline_;
  std::shared_ptr<const SeriesSpec> series_;
  std::shared_ptr<const RulesSpec> rules_;
  std::shared_ptr<const ModelSpec> model_;
  std::shared_ptr<const TrainSpec> train_;
  std::shared_ptr<const EvalSpec> eval_;
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
