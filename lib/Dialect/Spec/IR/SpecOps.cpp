//===- SpecOps.cpp - Verifiers of the spec dialect ------------------------===//
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "Descriptor/PolynomialTerms.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <set>

using namespace mlir;
using namespace specjit::spec;

#define GET_OP_CLASSES
#include "specjit/Dialect/Spec/IR/SpecOps.cpp.inc"

namespace specjit {
namespace spec {

std::vector<llvm::SmallVector<unsigned, 4>>
polynomialTerms(unsigned n, unsigned degree, bool interactionOnly, bool includeBias) {
  std::vector<llvm::SmallVector<unsigned, 4>> terms;
  jit::forEachPolynomialTerm(n, degree, interactionOnly, includeBias,
                             [&](llvm::ArrayRef<unsigned> t) {
                               terms.emplace_back(t.begin(), t.end());
                               return true;
                             });
  return terms;
}

} // namespace spec
} // namespace specjit

static bool isFinite(FloatAttr a) { return std::isfinite(a.getValueAsDouble()); }

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

static bool isInputType(Type t) {
  return t.isInteger(1) || t.isInteger(32) || t.isInteger(64) || t.isF32() || t.isF64() ||
         isa<StrType>(t);
}

LogicalResult KernelOp::verify() {
  if (getInputNames().size() != getInputTypes().size())
    return emitOpError("has ") << getInputNames().size() << " input names but "
                               << getInputTypes().size() << " input types";
  for (auto [i, t] : llvm::enumerate(getInputTypes())) {
    Type ty = cast<TypeAttr>(t).getValue();
    if (!isInputType(ty))
      return emitOpError("input #") << i << " has unsupported type " << ty;
  }
  Type out = getOutputType();
  if (!out.isF32() && !out.isF64())
    return emitOpError("output type must be f32 or f64, got ") << out;
  Block &body = getBodyBlock();
  if (body.getNumArguments() != 0)
    return emitOpError("body must not have block arguments");
  if (body.empty() || !isa<OutputOp>(body.back()))
    return emitOpError("body must end with spec.output");
  if (llvm::count_if(body, [](Operation &op) { return isa<OutputOp>(op); }) != 1)
    return emitOpError("body must hold exactly one spec.output");
  return success();
}

LogicalResult InputOp::verify() {
  auto kernel = (*this)->getParentOfType<KernelOp>();
  if (!kernel)
    return emitOpError("must be inside a spec.kernel");
  int64_t idx = getIndex();
  if (idx < 0 || idx >= static_cast<int64_t>(kernel.getInputTypes().size()))
    return emitOpError("index ") << idx << " out of range for a kernel with "
                                 << kernel.getInputTypes().size() << " inputs";
  Type declared = cast<TypeAttr>(kernel.getInputTypes()[idx]).getValue();
  Type expected;
  if (isa<StrType>(declared))
    expected = declared;
  else if (isa<IntegerType>(declared))
    expected = IntegerType::get(getContext(), 64);
  else
    expected = Float64Type::get(getContext());
  if (getType() != expected)
    return emitOpError("input #") << idx << " declared as " << declared << " reads as " << expected
                                  << ", not " << getType();
  return success();
}

LogicalResult OutputOp::verify() {
  auto kernel = cast<KernelOp>((*this)->getParentOp());
  if (getValues().size() != kernel.getOutputNames().size())
    return emitOpError("writes ") << getValues().size() << " values but the kernel declares "
                                  << kernel.getOutputNames().size() << " output columns";
  return success();
}

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

LogicalResult StrLookupOp::verify() {
  if (getKeys().empty())
    return emitOpError("needs at least one key");
  llvm::DenseSet<StringRef> seen;
  for (Attribute k : getKeys())
    if (!seen.insert(cast<StringAttr>(k).getValue()).second)
      return emitOpError("duplicate key \"") << cast<StringAttr>(k).getValue() << "\"";
  return success();
}

//===----------------------------------------------------------------------===//
// Stages
//===----------------------------------------------------------------------===//

LogicalResult StandardizeOp::verify() {
  if (!isFinite(getMeanAttr()))
    return emitOpError("mean must be finite");
  double s = getStdAttr().getValueAsDouble();
  if (!std::isfinite(s) || s <= 0)
    return emitOpError("std must be finite and > 0, got ") << s;
  return success();
}

LogicalResult MinMaxOp::verify() {
  if (!isFinite(getMinAttr()) || !isFinite(getMaxAttr()))
    return emitOpError("min and max must be finite");
  if (!(getMaxAttr().getValueAsDouble() > getMinAttr().getValueAsDouble()))
    return emitOpError("max must be greater than min");
  return success();
}

LogicalResult ClipOp::verify() {
  auto lo = getMinAttr(), hi = getMaxAttr();
  if (!lo && !hi)
    return emitOpError("needs min, max or both");
  if ((lo && !isFinite(lo)) || (hi && !isFinite(hi)))
    return emitOpError("bounds must be finite");
  if (lo && hi && lo.getValueAsDouble() > hi.getValueAsDouble())
    return emitOpError("min must not exceed max");
  return success();
}

LogicalResult ImputeOp::verify() {
  double v = getValueAttr().getValueAsDouble();
  if (!std::isfinite(v))
    return emitOpError("value must be finite");
  bool intIn = getInput().getType().isInteger(64);
  if (intIn && !getMissingAttr())
    return emitOpError("on i64 needs the missing sentinel");
  if (!intIn && getMissingAttr())
    return emitOpError("on f64 takes no sentinel: NaN is missing");
  bool integral = std::trunc(v) == v && std::fabs(v) < 9.2e18;
  Type expected = intIn && integral ? getInput().getType() : Type(Float64Type::get(getContext()));
  if (getType() != expected)
    return emitOpError("result must be ") << expected;
  return success();
}

/// Checks that `cats` are non-empty, unique and typed like `input`.
static LogicalResult verifyCategories(Operation *op, Value input, ArrayAttr cats,
                                      std::optional<int64_t> missing) {
  if (cats.empty())
    return op->emitOpError("needs at least one category");
  bool intIn = input.getType().isInteger(64);
  if (!intIn && missing)
    return op->emitOpError("takes a missing sentinel only on i64");
  // Not a DenseSet<int64_t>: its reserved keys are INT64_MAX and INT64_MIN,
  // which are categories like any other. (The f64 bit patterns DenseSet
  // reserves are NaNs, never finite categories.)
  std::set<int64_t> ints;
  llvm::DenseSet<uint64_t> floats;
  for (Attribute a : cats) {
    if (intIn) {
      auto i = dyn_cast<IntegerAttr>(a);
      if (!i || !i.getType().isInteger(64))
        return op->emitOpError("categories of an i64 input must be i64");
      if (!ints.insert(i.getInt()).second)
        return op->emitOpError("duplicate category ") << i.getInt();
      if (missing && i.getInt() == *missing)
        return op->emitOpError("category ") << i.getInt() << " is the missing sentinel";
    } else {
      auto f = dyn_cast<FloatAttr>(a);
      if (!f || !f.getType().isF64() || !isFinite(f))
        return op->emitOpError("categories of an f64 input must be finite f64");
      double d = f.getValueAsDouble();
      if (d == 0)
        d = 0; // -0.0 and 0.0 are one category
      if (!floats.insert(llvm::bit_cast<uint64_t>(d)).second)
        return op->emitOpError("duplicate category ") << d;
    }
  }
  return success();
}

LogicalResult OneHotOp::verify() {
  if (failed(verifyCategories(*this, getInput(), getCategories(), getMissing())))
    return failure();
  if (getNumResults() != getCategories().size())
    return emitOpError("has ") << getNumResults() << " results for " << getCategories().size()
                               << " categories";
  return success();
}

LogicalResult LabelEncodeOp::verify() {
  if (failed(verifyCategories(*this, getInput(), getKeys(), getMissing())))
    return failure();
  if (getCodes().size() != getKeys().size())
    return emitOpError("has ") << getCodes().size() << " codes for " << getKeys().size() << " keys";
  for (double c : getCodes())
    if (!std::isfinite(c))
      return emitOpError("codes must be finite");
  if (!isFinite(getDefaultCodeAttr()))
    return emitOpError("default_code must be finite");
  return success();
}

LogicalResult PolynomialOp::verify() {
  int64_t degree = getDegree();
  if (degree < 1 || degree > 8)
    return emitOpError("degree must be in 1..8, got ") << degree;
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  size_t expected =
      polynomialTerms(getInputs().size(), degree, getInteractionOnly(), getIncludeBias()).size();
  if (getNumResults() != expected)
    return emitOpError("has ") << getNumResults() << " results, expected " << expected;
  return success();
}

LogicalResult BucketizeOp::verify() {
  ArrayRef<double> edges = getEdges();
  if (edges.empty())
    return emitOpError("needs at least one edge");
  for (size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i]))
      return emitOpError("edges must be finite");
    if (i && !(edges[i] > edges[i - 1]))
      return emitOpError("edges must be strictly increasing");
  }
  return success();
}

LogicalResult ExprOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("region takes ")
           << body.getNumArguments() << " arguments for " << getInputs().size() << " inputs";
  for (BlockArgument a : body.getArguments())
    if (!a.getType().isF64())
      return emitOpError("region arguments must be f64");
  if (body.empty() || !isa<YieldOp>(body.back()))
    return emitOpError("region must end with spec.yield");
  return success();
}

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

/// The region takes and yields exactly `n` f64 values.
static LogicalResult verifyMeterRegion(Operation *op, Region &region, size_t n) {
  Block &body = region.front();
  if (body.getNumArguments() != n)
    return op->emitOpError("region takes ")
           << body.getNumArguments() << " arguments for " << n << " meters";
  for (BlockArgument a : body.getArguments())
    if (!a.getType().isF64())
      return op->emitOpError("region arguments must be f64");
  auto yield = dyn_cast<StateYieldOp>(body.getTerminator());
  if (!yield || yield.getValues().size() != n)
    return op->emitOpError("region must yield the ") << n << " meters";
  return success();
}

LogicalResult RulesKernelOp::verify() {
  if (getMeters().empty())
    return emitOpError("needs at least one meter");
  Type t = getStateType();
  if (!t.isF32() && !t.isF64())
    return emitOpError("state type must be f32 or f64, got ") << t;
  if (getSteps() < 1)
    return emitOpError("steps must be at least 1, got ") << getSteps();
  return verifyMeterRegion(*this, getBody(), getMeters().size());
}

LogicalResult RuleOp::verify() {
  if (getResults().size() != getMeters().size())
    return emitOpError("has ") << getResults().size() << " results for " << getMeters().size()
                               << " meters";
  return verifyMeterRegion(*this, getBody(), getMeters().size());
}

//===----------------------------------------------------------------------===//
// Series
//===----------------------------------------------------------------------===//

LogicalResult SeriesKernelOp::verify() {
  if (getInputNames().size() != getInputTypes().size())
    return emitOpError("has ") << getInputNames().size() << " input names but "
                               << getInputTypes().size() << " input types";
  for (auto [i, t] : llvm::enumerate(getInputTypes())) {
    Type ty = cast<TypeAttr>(t).getValue();
    if (!ty.isF32() && !ty.isF64())
      return emitOpError("input #") << i << " must be f32 or f64, got " << ty;
  }
  Type out = getOutputType();
  if (!out.isF32() && !out.isF64())
    return emitOpError("output type must be f32 or f64, got ") << out;
  Block &body = getBody().front();
  auto outputs = body.getOps<SeriesOutputOp>();
  if (std::distance(outputs.begin(), outputs.end()) != 1 || !isa<SeriesOutputOp>(body.back()))
    return emitOpError("body must end with its only spec.series_output");
  if ((*outputs.begin()).getValues().size() != getOutputNames().size())
    return emitOpError("writes ") << (*outputs.begin()).getValues().size() << " values for "
                                  << getOutputNames().size() << " output columns";
  for (auto in : body.getOps<SeriesInputOp>())
    if (in.getIndex() < 0 || in.getIndex() >= static_cast<int64_t>(getInputTypes().size()))
      return in.emitOpError("index ") << in.getIndex() << " out of range";
  return success();
}

/// Periods up to the descriptor limit.
static LogicalResult verifyPeriod(Operation *op, int64_t period) {
  if (period < 1 || period > 100000)
    return op->emitOpError("period must be in 1..100000, got ") << period;
  return success();
}

LogicalResult SmaOp::verify() { return verifyPeriod(*this, getPeriod()); }
LogicalResult WmaOp::verify() { return verifyPeriod(*this, getPeriod()); }
LogicalResult LsmaOp::verify() { return verifyPeriod(*this, getPeriod()); }
LogicalResult EmaOp::verify() { return verifyPeriod(*this, getPeriod()); }

LogicalResult KamaOp::verify() {
  if (failed(verifyPeriod(*this, getPeriod())))
    return failure();
  if (getFast() < 1 || getSlow() <= getFast())
    return emitOpError("needs 1 <= fast < slow, got fast ")
           << getFast() << " and slow " << getSlow();
  return success();
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  size_t f = getFeatures().size(), k = getMargins().size();
  if (k == 0)
    return emitOpError("needs at least one output");
  if (getWeights().size() != f * k)
    return emitOpError("has ") << getWeights().size() << " weights for " << k << " outputs x " << f
                               << " features";
  if (getIntercepts().size() != k)
    return emitOpError("has ") << getIntercepts().size() << " intercepts for " << k << " outputs";
  return success();
}

LogicalResult TreeEnsembleOp::verify() {
  size_t n = getNodeFeatures().size();
  if (getThresholds().size() != n || getLeft().size() != n || getRight().size() != n ||
      getDefaultLeft().size() != n || getLeaves().size() != n)
    return emitOpError("node arrays must all have ") << n << " entries";
  if (getRoots().size() != getGroups().size() || getRoots().empty())
    return emitOpError("needs one group per tree and at least one tree");
  int64_t outputs = getMargins().size();
  if (static_cast<int64_t>(getBaseScore().size()) != outputs)
    return emitOpError("needs one base score per output");
  int64_t features = getFeatures().size();
  for (size_t i = 0; i < n; ++i) {
    int32_t f = getNodeFeatures()[i];
    if (f < 0)
      continue;
    if (f >= features)
      return emitOpError("node ") << i << " splits on feature " << f << " of " << features;
    // Children come after their parent: the tree is acyclic.
    for (int32_t c : {getLeft()[i], getRight()[i]})
      if (c <= static_cast<int32_t>(i) || c >= static_cast<int32_t>(n))
        return emitOpError("node ") << i << " has child " << c << " (children must be later nodes)";
  }
  for (auto [root, group] : llvm::zip(getRoots(), getGroups())) {
    if (root < 0 || root >= static_cast<int32_t>(n))
      return emitOpError("root ") << root << " out of range";
    if (group < 0 || group >= outputs)
      return emitOpError("group ") << group << " out of range";
  }
  return success();
}

LogicalResult MlpOp::verify() {
  ArrayRef<int32_t> sizes = getSizes();
  if (sizes.size() < 2)
    return emitOpError("needs at least one layer");
  if (sizes.front() != static_cast<int32_t>(getFeatures().size()) ||
      sizes.back() != static_cast<int32_t>(getMargins().size()))
    return emitOpError("sizes must start with the features and end with the outputs");
  size_t w = 0, bsz = 0;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    if (sizes[l + 1] < 1)
      return emitOpError("layer ") << l << " has no outputs";
    w += static_cast<size_t>(sizes[l]) * sizes[l + 1];
    bsz += sizes[l + 1];
  }
  if (getWeights().size() != w || getBiases().size() != bsz)
    return emitOpError("weights/biases do not match the layer sizes");
  if (getActivations().size() != sizes.size() - 1)
    return emitOpError("needs one activation per layer");
  for (Attribute a : getActivations()) {
    StringRef k = cast<StringAttr>(a).getValue();
    if (k != "identity" && k != "relu" && k != "tanh" && k != "logistic")
      return emitOpError("unknown activation '") << k << "'";
  }
  return success();
}

LogicalResult LinkOp::verify() {
  StringRef k = getKind();
  size_t n = getMargins().size();
  if (n == 0)
    return emitOpError("needs at least one margin");
  if (k == "argmax")
    return getResults().size() == 1 ? success() : emitOpError("argmax has one result");
  if (k != "logistic" && k != "softmax")
    return emitOpError("unknown link '") << k << "'";
  if (getResults().size() != n)
    return emitOpError("has one result per margin");
  return success();
}

//===----------------------------------------------------------------------===//
// Train
//===----------------------------------------------------------------------===//

LogicalResult TrainStepOp::verify() {
  ArrayRef<int64_t> widths = getWidths();
  size_t layers = getActivations().size();
  if (layers == 0)
    return emitOpError("needs at least one layer");
  if (widths.size() != layers + 1)
    return emitOpError("has ") << widths.size() << " widths for " << layers
                               << " layers (expected one more than layers)";
  for (auto [i, w] : llvm::enumerate(widths))
    if (w < 1)
      return emitOpError("width #") << i << " must be at least 1, got " << w;
  for (Attribute a : getActivations()) {
    StringRef act = cast<StringAttr>(a).getValue();
    if (act != "identity" && act != "relu" && act != "tanh" && act != "logistic")
      return emitOpError("unknown activation '") << act << "'";
  }
  StringRef loss = getLoss();
  int64_t outputs = widths.back();
  if (loss == "mse" || loss == "log_loss") {
    if (outputs != 1)
      return emitOpError(loss) << " needs one output, got " << outputs;
  } else if (loss == "cross_entropy") {
    if (outputs < 2)
      return emitOpError("cross_entropy needs at least two outputs, got ") << outputs;
  } else {
    return emitOpError("unknown loss '") << loss << "'";
  }
  StringRef opt = getOptimizer();
  if (opt != "sgd" && opt != "adam")
    return emitOpError("unknown optimizer '") << opt << "'";
  auto in = [](double x, double lo, double hi) { return x >= lo && x < hi; };
  double lr = getLearningRate().convertToDouble();
  if (!(lr > 0) || !std::isfinite(lr))
    return emitOpError("learning_rate must be finite and positive");
  if (!in(getMomentum().convertToDouble(), 0, 1))
    return emitOpError("momentum must be in [0, 1)");
  if (!in(getBeta1().convertToDouble(), 0, 1) || !in(getBeta2().convertToDouble(), 0, 1))
    return emitOpError("beta1 and beta2 must be in [0, 1)");
  double eps = getEpsilon().convertToDouble();
  if (!(eps > 0) || !std::isfinite(eps))
    return emitOpError("epsilon must be finite and positive");
  double l2 = getL2().convertToDouble();
  if (!(l2 >= 0) || !std::isfinite(l2))
    return emitOpError("l2 must be finite and non-negative");
  // I64Attr reads back unsigned: the signed values come from the attributes.
  int64_t batchRows = getBatchRowsAttr().getInt(), epochBatch = getEpochBatchAttr().getInt();
  if (batchRows < 0)
    return emitOpError("batch_rows must be non-negative, got ") << batchRows;
  if (epochBatch < 0)
    return emitOpError("epoch_batch must be non-negative, got ") << epochBatch;
  if (epochBatch > 0 && batchRows > 0 && batchRows != epochBatch)
    return emitOpError("batch_rows (")
           << batchRows << ") must be 0 or epoch_batch (" << epochBatch << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Eval
//===----------------------------------------------------------------------===//

LogicalResult MetricsPassOp::verify() {
  StringRef task = getTask();
  int64_t k = getClasses();
  bool regression = task == "regression";
  if (task == "binary") {
    if (k != 2)
      return emitOpError("a binary task has 2 classes, got ") << k;
  } else if (task == "multiclass") {
    // The eval family's bound (kMaxEvalClasses): k x k confusion cells.
    if (k < 2 || k > 1024)
      return emitOpError("a multiclass task has 2..1024 classes, got ") << k;
  } else if (regression) {
    if (k != 0)
      return emitOpError("a regression task has no classes (0), got ") << k;
  } else {
    return emitOpError("unknown task '") << task << "' (expected binary, multiclass or regression)";
  }
  double threshold = getThreshold().convertToDouble();
  if (!std::isfinite(threshold))
    return emitOpError("threshold must be finite");
  if (task != "binary" && threshold != 0.5)
    return emitOpError("only a binary task has a threshold");
  llvm::DenseSet<StringRef> seen;
  for (Attribute a : getAccumulators()) {
    StringRef acc = cast<StringAttr>(a).getValue();
    if (!seen.insert(acc).second)
      return emitOpError("accumulator '") << acc << "' is listed twice";
    bool forClasses = acc == "counts" || acc == "log_loss";
    bool forTargets = acc == "squared_error" || acc == "absolute_error" || acc == "r2";
    if (!forClasses && !forTargets && acc != "row_sums")
      return emitOpError("unknown accumulator '")
             << acc
             << "' (expected counts, log_loss, squared_error, absolute_error, r2 or row_sums)";
    if ((forClasses && regression) || (forTargets && !regression) ||
        (acc == "row_sums" && task != "multiclass"))
      return emitOpError("accumulator '") << acc << "' is not defined for a " << task << " task";
  }
  return success();
}
