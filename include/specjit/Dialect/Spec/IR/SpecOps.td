//===- SpecOps.td - Ops of the spec dialect ----------------*- tablegen -*-===//
#ifndef SPECJIT_SPEC_OPS
#define SPECJIT_SPEC_OPS

include "specjit/Dialect/Spec/IR/SpecDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Spec_Numeric : AnyTypeOf<[I64, F64]>;

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def Spec_KernelOp : Spec_Op<"kernel", [Spec_LoweredByLoops, Symbol, IsolatedFromAbove, NoTerminator,
    SingleBlock]> {
  let summary = "one kernel: the computation of one row of the output";
  let description = [{
    The body computes one output row from one input row. `input_types` are
    the declared element types (i1 for bool, i32, i64, f32, f64, or
    `!spec.str`); `output_type` is f32 or f64. Lowering turns the kernel into
    a function with the C signature
    `int64_t specjit_kernel(const void *const *args, void *out, int64_t rows)`.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrArrayAttr:$input_names,
                       TypeArrayAttr:$input_types, TypeAttr:$output_type,
                       StrArrayAttr:$output_names);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
  }];
}

def Spec_InputOp : Spec_Op<"input", [Spec_LoweredByLoops, Pure]> {
  let summary = "reads this row's value of an input column";
  let description = [{
    Integer and bool columns read as i64, f32 and f64 columns as f64, string
    columns as `!spec.str`.
  }];
  let arguments = (ins I64Attr:$index);
  let results = (outs AnyTypeOf<[I64, F64, Spec_StrType]>:$result);
  let assemblyFormat = "$index attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Spec_OutputOp : Spec_Op<"output", [Spec_LoweredByLoops, HasParent<"KernelOp">]> {
  let summary = "writes this row of the output matrix";
  let arguments = (ins Variadic<F64>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
  let hasVerifier = 1;
}

def Spec_CheckOp : Spec_Op<"check", [Spec_LoweredByLoops]> {
  let summary = "a data check: the row fails when the condition is false";
  let description = [{
    A kernel checks every row before writing any output; a failing row makes
    the whole call fail and leaves the output untouched.
  }];
  let arguments = (ins I1:$condition, StrAttr:$message);
  let assemblyFormat = "$condition `,` $message attr-dict";
}

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

def Spec_ToFloatOp : Spec_Op<"to_float", [Pure]> {
  let summary = "integer column to f64; the missing sentinel becomes NaN";
  let arguments = (ins I64:$input, OptionalAttr<I64Attr>:$missing);
  let results = (outs F64:$result);
  let assemblyFormat = "$input attr-dict";
}

def Spec_StrLookupOp : Spec_Op<"str_lookup", [Spec_LoweredByLoops, Pure]> {
  let summary = "index of a string among constant keys, or -1";
  let arguments = (ins Spec_StrType:$input, StrArrayAttr:$keys);
  let results = (outs I64:$result);
  let assemblyFormat = "$input $keys attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pipeline stages
//===----------------------------------------------------------------------===//

class Spec_UnaryF64Op<string mnemonic, string sum> : Spec_Op<mnemonic, [Pure]> {
  let summary = sum;
  let results = (outs F64:$result);
}

def Spec_StandardizeOp : Spec_UnaryF64Op<"standardize", "(x - mean) / std"> {
  let arguments = (ins F64:$input, F64Attr:$mean, F64Attr:$std);
  let assemblyFormat = "$input attr-dict";
  let hasVerifier = 1;
}

def Spec_MinMaxOp : Spec_UnaryF64Op<"minmax", "(x - min) / (max - min)"> {
  let arguments = (ins F64:$input, F64Attr:$min, F64Attr:$max);
  let assemblyFormat = "$input attr-dict";
  let hasVerifier = 1;
}

def Spec_LogOp : Spec_UnaryF64Op<"log", "natural logarithm"> {
  let arguments = (ins F64:$input);
  let assemblyFormat = "$input attr-dict";
}

def Spec_Log1pOp : Spec_UnaryF64Op<"log1p", "log(1 + x), accurate near 0"> {
  let arguments = (ins F64:$input);
  let assemblyFormat = "$input attr-dict";
}

def Spec_ClipOp : Spec_UnaryF64Op<"clip", "clamps to [min, max]; NaN passes"> {
  let arguments = (ins F64:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let assemblyFormat = "$input attr-dict";
  let hasVerifier = 1;
}

def Spec_ImputeOp : Spec_Op<"impute", [Pure]> {
  let summary = "replaces missing values (NaN, or the integer sentinel)";
  let description = [{
    On f64 the missing value is NaN. On i64 it is the `missing` sentinel; the
    result stays i64 when `value` is integral, else it is f64.
  }];
  let arguments = (ins Spec_Numeric:$input, F64Attr:$value,
                       OptionalAttr<I64Attr>:$missing);
  let results = (outs Spec_Numeric:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Spec_OneHotOp : Spec_Op<"one_hot", [Pure]> {
  let summary = "one f64 0/1 column per category";
  let description = [{
    `categories` are i64 attributes for an i64 input, f64 for f64. A missing
    value (NaN or the sentinel) matches no category. With `unknown_error`, a
    value matching no category fails the row.
  }];
  let arguments = (ins Spec_Numeric:$input, ArrayAttr:$categories,
                       OptionalAttr<I64Attr>:$missing, UnitAttr:$unknown_error);
  let results = (outs Variadic<F64>:$results);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($results)";
  let hasVerifier = 1;
}

def Spec_LabelEncodeOp : Spec_Op<"label_encode", [Pure]> {
  let summary = "maps categories to codes; others (and missing) to default";
  let arguments = (ins Spec_Numeric:$input, ArrayAttr:$keys,
                       DenseF64ArrayAttr:$codes, F64Attr:$default_code,
                       OptionalAttr<I64Attr>:$missing);
  let results = (outs F64:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Spec_PolynomialOp : Spec_Op<"polynomial", [Pure]> {
  let summary = "polynomial features in scikit-learn's column order";
  let arguments = (ins Variadic<F64>:$inputs, I64Attr:$degree,
                       BoolAttr:$interaction_only, BoolAttr:$include_bias);
  let results = (outs Variadic<F64>:$results);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $results)";
  let hasVerifier = 1;
}

def Spec_BucketizeOp : Spec_UnaryF64Op<"bucketize",
    "numpy.digitize(x, edges, right=False): the count of edges <= x"> {
  let arguments = (ins F64:$input, DenseF64ArrayAttr:$edges);
  let assemblyFormat = "$input attr-dict";
  let hasVerifier = 1;
}

def Spec_ExprOp : Spec_Op<"expr", [Pure, IsolatedFromAbove, SingleBlock]> {
  let summary = "a new column from an arithmetic expression";
  let description = [{
    The region computes the value from its block arguments (the referenced
    columns, f64) with arith and math ops and yields one f64.
  }];
  let arguments = (ins Variadic<F64>:$inputs, StrAttr:$source);
  let results = (outs F64:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$inputs attr-dict-with-keyword `:` type($inputs) $body";
  let hasVerifier = 1;
}

def Spec_YieldOp : Spec_Op<"yield", [Pure, Terminator, HasParent<"ExprOp">,
    ReturnLike]> {
  let summary = "the value of a spec.expr";
  let arguments = (ins F64:$value);
  let assemblyFormat = "$value attr-dict";
}

//===----------------------------------------------------------------------===//
// The rules family
//===----------------------------------------------------------------------===//

def Spec_RulesKernelOp : Spec_Op<"rules_kernel", [Spec_LoweredByLoops, Symbol, IsolatedFromAbove,
    SingleBlock]> {
  let summary = "a rule cascade over an in-place state matrix";
  let description = [{
    The body computes one step for one row: its block arguments are the
    row's meters (f64, in `meters` order) and it yields their new values.
    The kernel applies the body `steps` times to every row of the state
    matrix (`state_type` f32 or f64), reading each row once and writing it
    once.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrArrayAttr:$meters,
                       TypeAttr:$state_type, I64Attr:$steps);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Spec_StateYieldOp : Spec_Op<"state_yield", [Spec_LoweredByLoops, Pure, Terminator,
    ParentOneOf<["RulesKernelOp", "RuleOp"]>, ReturnLike]> {
  let summary = "the meters after a step or a rule";
  let arguments = (ins Variadic<F64>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

def Spec_RuleOp : Spec_Op<"rule", [Pure, IsolatedFromAbove, SingleBlock]> {
  let summary = "one rule: condition, actions and clamps over all meters";
  let description = [{
    The region takes the meters before the rule and yields them after it:
    unchanged where the condition is false, else with the actions applied
    (all reading the meters before the rule) and the targets clamped.
    `source` keeps the rule as written, for diagnostics and dumps.
  }];
  let arguments = (ins Variadic<F64>:$meters, StrAttr:$source);
  let results = (outs Variadic<F64>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$meters attr-dict-with-keyword `:` "
                       "functional-type($meters, $results) $body";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The series family
//===----------------------------------------------------------------------===//

def Spec_SeriesKernelOp : Spec_Op<"series_kernel", [Spec_LoweredByLoops, Symbol, IsolatedFromAbove,
    NoTerminator, SingleBlock]> {
  let summary = "indicators over time: one output row per input row";
  let description = [{
    The body defines the value of every indicator at one time step, from
    `spec.series_input` values and earlier indicators; indicators that need
    the past (windows, recursions, crossovers) keep it in the kernel's
    streaming state. Lowering processes the rows in blocks, computing window
    sums for several rows at once.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrArrayAttr:$input_names,
                       TypeArrayAttr:$input_types, TypeAttr:$output_type,
                       StrArrayAttr:$output_names);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Spec_SeriesInputOp : Spec_Op<"series_input", [Spec_LoweredByLoops, Pure,
    HasParent<"SeriesKernelOp">]> {
  let summary = "this time step's value of an input column, as f64";
  let arguments = (ins I64Attr:$index);
  let results = (outs F64:$result);
  let assemblyFormat = "$index attr-dict";
}

def Spec_SeriesOutputOp : Spec_Op<"series_output", [Spec_LoweredByLoops, HasParent<"SeriesKernelOp">]> {
  let summary = "this time step's output row";
  let arguments = (ins Variadic<F64>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

class Spec_WindowOp<string mnemonic, string sum> : Spec_Op<mnemonic, [Spec_LoweredByLoops, Pure]> {
  let summary = sum;
  let arguments = (ins F64:$input, I64Attr:$period);
  let results = (outs F64:$result);
  let assemblyFormat = "$input attr-dict";
  let hasVerifier = 1;
}

def Spec_SmaOp : Spec_WindowOp<"sma", "mean of the last `period` values">;
def Spec_WmaOp : Spec_WindowOp<"wma",
    "linearly weighted mean of the last `period` values (newest weighs most)">;
def Spec_LsmaOp : Spec_WindowOp<"lsma",
    "least-squares line through the last `period` values, at the newest">;

def Spec_EmaOp : Spec_Op<"ema", [Spec_LoweredByLoops, Pure]> {
  let summary = "one exponential moving average stage";
  let description = [{
    `e = a*x + (1-a)*e` with `a = 2/(period+1)`, seeded by the first value or
    (with `seed_sma`) by the mean of the first `period` values. NaN inputs
    are skipped (the output is NaN there); before the seed completes a NaN
    restarts it.
  }];
  let arguments = (ins F64:$input, I64Attr:$period, UnitAttr:$seed_sma);
  let results = (outs F64:$result);
  let assemblyFormat = "$input attr-dict";
  let hasVerifier = 1;
}

def Spec_KamaOp : Spec_Op<"kama", [Spec_LoweredByLoops, Pure]> {
  let summary = "Kaufman's adaptive moving average";
  let arguments = (ins F64:$input, I64Attr:$period, I64Attr:$fast, I64Attr:$slow);
  let results = (outs F64:$result);
  let assemblyFormat = "$input attr-dict";
  let hasVerifier = 1;
}

def Spec_CrossoverOp : Spec_Op<"crossover", [Spec_LoweredByLoops, Pure]> {
  let summary = "+1 / -1 when `fast` crosses above / below `slow`, else 0";
  let arguments = (ins F64:$fast, F64:$slow);
  let results = (outs F64:$result);
  let assemblyFormat = "$fast `,` $slow attr-dict";
}

//===----------------------------------------------------------------------===//
// The model family (stages inside a spec.kernel, after any preprocessing)
//===----------------------------------------------------------------------===//

def Spec_LinearOp : Spec_Op<"linear", [Pure]> {
  let summary = "linear margins: per output, the dot product then the intercept";
  let arguments = (ins Variadic<F64>:$features, DenseF64ArrayAttr:$weights,
                       DenseF64ArrayAttr:$intercepts);
  let results = (outs Variadic<F64>:$margins);
  let assemblyFormat = "$features attr-dict `:` functional-type($features, $margins)";
  let hasVerifier = 1;
}

def Spec_TreeEnsembleOp : Spec_Op<"tree_ensemble", [Pure]> {
  let summary = "margins of a tree ensemble";
  let description = [{
    The trees are flattened: node `i` splits on `node_features[i]` (-1 for a
    leaf) at `thresholds[i]` (x < threshold goes to `left[i]`, NaN to the
    left when `default_left[i]`), a leaf holds `leaves[i]`; tree `t` starts
    at node `roots[t]` and adds to output `groups[t]`. With `float32`,
    features, thresholds, leaves and sums are f32 (XGBoost); with `average`,
    each output is its base score plus the mean of its trees.

    `layout` is the code shape, chosen by spec-select-tree-layout (absent
    until then): `#spec.tree_layout<branches>` (spec-expand turns every tree
    into nested scf.if with the thresholds as immediates) or
    `#spec.tree_layout<walk>` (convert-spec-to-loops keeps the nodes in
    constant arrays and walks blocks of rows through groups of trees level
    by level, branch-free).
  }];
  let arguments = (ins Variadic<F64>:$features,
                       DenseI32ArrayAttr:$node_features, DenseF64ArrayAttr:$thresholds,
                       DenseI32ArrayAttr:$left, DenseI32ArrayAttr:$right,
                       DenseBoolArrayAttr:$default_left, DenseF64ArrayAttr:$leaves,
                       DenseI32ArrayAttr:$roots, DenseI32ArrayAttr:$groups,
                       DenseF64ArrayAttr:$base_score, BoolAttr:$average,
                       BoolAttr:$float32,
                       OptionalAttr<Spec_TreeLayoutAttr>:$layout);
  let results = (outs Variadic<F64>:$margins);
  let assemblyFormat = "$features attr-dict `:` functional-type($features, $margins)";
  let hasVerifier = 1;
}

def Spec_MlpOp : Spec_Op<"mlp", [Pure]> {
  let summary = "a multi-layer perceptron's margins";
  let description = [{
    `sizes` = [inputs, hidden..., outputs]; layer `l` has a
    sizes[l+1] x sizes[l] row-major block of `weights` and sizes[l+1]
    `biases`, both concatenated over the layers, and `activations[l]`
    (identity, relu, tanh, logistic).
  }];
  let arguments = (ins Variadic<F64>:$features, DenseI32ArrayAttr:$sizes,
                       DenseF64ArrayAttr:$weights, DenseF64ArrayAttr:$biases,
                       StrArrayAttr:$activations);
  let results = (outs Variadic<F64>:$margins);
  let assemblyFormat = "$features attr-dict `:` functional-type($features, $margins)";
  let hasVerifier = 1;
}

def Spec_LinkOp : Spec_Op<"link", [Pure]> {
  let summary = "margins to predictions: logistic, softmax or argmax";
  let arguments = (ins Variadic<F64>:$margins, StrAttr:$kind);
  let results = (outs Variadic<F64>:$results);
  let assemblyFormat = "$margins attr-dict `:` functional-type($margins, $results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The train family
//===----------------------------------------------------------------------===//

def Spec_TrainStepOp : Spec_Op<"train_step", [Spec_LoweredByLoops, Symbol]> {
  let summary = "one batch of a training loop: forward, loss, backward, update";
  let description = [{
    A dense model of `activations.size()` layers, layer `l` taking
    `widths[l]` inputs to `widths[l+1]` outputs (a linear model is one
    identity layer), trained with `loss` (mse, log_loss, cross_entropy) and
    `optimizer` (sgd with `momentum`, or adam with `beta1`, `beta2`,
    `epsilon`) at `learning_rate` with the L2 penalty `l2`
    (docs/train-semantics.md). Every shape and hyper-parameter is an
    attribute, so the lowering folds them into the code.

    convert-spec-to-loops turns it into the kernel entry
    `int64_t specjit_kernel(const void *const *args, void *out, int64_t n)`
    over a batch of `n` rows, with `args` = {features (f64, rows x
    widths[0]), labels (f64), the batch's row indices (i64), parameters,
    first moments, second moments (f64; per layer its weights, row-major
    outputs x inputs, then its biases), scratch (f64, 2 n sum(widths[1:]) +
    twice the parameter count + 4 max(widths[1:])), adam's step count (i64, in/out), mode (i64: 0
    trains, 1 only sums the loss, 2 trains an epoch), the stop flags (two
    bytes read atomically after every batch of an epoch: cancellation and
    the time limit), the epoch's batch count (i64, out)}; `out` receives the
    batch's summed per-row loss (f64). With `batch_rows` B > 0 the lowering
    adds a copy of the step for exactly B rows (every batch but an epoch's
    last), whose loops have constant trip counts.

    Mode 2 runs a whole epoch in one call: the `n` rows of the row-index
    slot cut into consecutive batches of `epoch_batch` rows (the last one
    may be smaller), each trained in turn. `out` is then two f64: the sum
    of the batches' losses (added in batch order) and the last batch's
    loss. After every batch the kernel stops early when that batch's loss
    is not finite (returns 1), when the cancellation flag is set (2) or
    when the time-limit flag is set (3); it returns 0 after the last batch.
    The batch count slot receives how many batches ran. Mode 2 needs
    `epoch_batch` > 0.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, DenseI64ArrayAttr:$widths,
                       StrArrayAttr:$activations, StrAttr:$loss,
                       StrAttr:$optimizer, F64Attr:$learning_rate,
                       F64Attr:$momentum, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$epsilon, F64Attr:$l2,
                       DefaultValuedAttr<I64Attr, "0">:$batch_rows,
                       DefaultValuedAttr<I64Attr, "0">:$epoch_batch);
  let assemblyFormat = "$sym_name attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The eval family
//===----------------------------------------------------------------------===//

def Spec_MetricsPassOp : Spec_Op<"metrics_pass", [Spec_LoweredByLoops, Symbol]> {
  let summary = "one pass over labels and scores: what the metrics need";
  let description = [{
    The statistics the counting and summing metrics of an `eval` descriptor
    need (docs/eval-semantics.md), from one pass over the rows: for `task`
    binary (`classes` = 2, class 1 when `score > threshold`), multiclass
    (`classes` = k >= 2, the first argmax) or regression (`classes` = 0).
    `accumulators` names what is computed, each at most once (none: the
    pass only checks that the scores are finite):

    - `counts`: the k x k confusion matrix (classification);
    - `log_loss`: the sum of the per-row log losses (classification);
    - `squared_error`, `absolute_error`: the sums of (y - s)^2 and |s - y|
      (regression);
    - `r2`: the sum of (y - s)^2, the sum of y, and the sum of
      (y - mean(y))^2 (a second pass over the labels, which needs the mean
      first) (regression);
    - `row_sums`: the first row whose scores do not sum to 1 within
      np.allclose's tolerance (multiclass roc_auc).

    Every sum is numpy's float64 add.reduce (pairwise, in buffers of 8192),
    bit for bit with the generic code.

    convert-spec-to-loops turns it into the kernel entry
    `int64_t specjit_kernel(const void *const *args, void *out, int64_t n)`
    with `args` = {labels (f64, n checked class ids or targets), scores
    (f64, row-major n x (k for multiclass, else 1)), scratch (f64, 3 x
    8192)}; `out` receives the statistics in the slots of
    lib/Runtime/MetricsABI.h. The result is 0, or r > 0 when row r - 1 is
    the first row with a non-finite score (the statistics are then not
    meaningful).
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$task,
                       I64Attr:$classes,
                       DefaultValuedAttr<F64Attr, "0.5">:$threshold,
                       StrArrayAttr:$accumulators);
  let assemblyFormat = "$sym_name attr-dict";
  let hasVerifier = 1;
}

#endif // SPECJIT_SPEC_OPS
