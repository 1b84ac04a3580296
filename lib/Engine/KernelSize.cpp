//===- KernelSize.cpp - The lowered size of a kernel, before lowering -----===//
//
// Weights are operations after `specjit-spec-to-loops` (what Codegen.cpp
// counted after lowering), measured on kernels of one op each of growing
// size with `specjit compile --emit=lowered`; they need only be right within
// a small factor, since the limits sit far from the sizes LLVM still
// compiles quickly.
//
//===----------------------------------------------------------------------===//

#include "Engine/KernelSize.h"
#include "Families/Family.h"
#include "Families/Model/ModelToSpec.h"
#include "Families/Rules/RulesSpec.h"
#include "Families/Series/SeriesSpec.h"

#include "specjit/Conversion/Passes.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include "llvm/ADT/MapVector.h"

#include <algorithm>
#include <map>

using namespace mlir;
using namespace specjit::spec;

namespace specjit {
namespace engine {

namespace {

// Operations per element of what each op's lowering repeats.
constexpr size_t kPerCategory =
    4; // one_hot / label_encode chain: compare, constant, select or convert
constexpr size_t kPerKeyWord = 3;      // str_lookup chain: constant, compare, and per 8 key bytes
constexpr size_t kPerKey = 3;          // str_lookup chain: the select and its index
constexpr size_t kPerLengthGroup = 12; // str_lookup chain: the length test and word loads
constexpr size_t kTableLookup = 40;    // any table search (hash, dense or binary search)
constexpr size_t kPerTerm = 2;         // polynomial: the product and its bookkeeping
constexpr size_t kPerEdge = 4;         // bucketize
constexpr size_t kPerColumn = 4;       // output: index, address, convert, store
constexpr size_t kZeroedRun = 12;      // output: memset and the conditional store
constexpr size_t kPerNode = 4;         // branches: compare, constant, if, yield
constexpr size_t kPerWeight = 2;       // linear / mlp: multiply, add
constexpr size_t kPerUnit = 4;         // mlp: bias and activation
constexpr size_t kWalk = 300;          // tree walk: fixed code over node arrays
constexpr size_t kSeriesOp = 60;       // a window or recurrence: fixed loops
constexpr size_t kTrainStep = 600;     // the batch step: loops over the shapes
constexpr int64_t kChunkNodes = kTreeChunkNodes; // spec-expand's chunks of trees

std::string where(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str() + " ";
  return "";
}

/// The shape spec-expand gives a lookup with the default thresholds.
std::optional<LookupShape> shapeOf(Operation *op, unsigned minKeys) {
  return lookupShape(op, minKeys, minKeys ? kLookupTableMinIntKeys : 0);
}

/// Whether `v` is a column of a one_hot that takes the table shape.
bool isTableColumn(Value v, unsigned minKeys) {
  auto r = dyn_cast<OpResult>(v);
  return r && isa<OneHotOp>(r.getOwner()) && shapeOf(r.getOwner(), minKeys) == LookupShape::Table;
}

class Estimator {
public:
  explicit Estimator(unsigned minKeys) : minKeys(minKeys) {}

  KernelSizeEstimate run(ModuleOp module) {
    module.walk([&](Operation *op) { visit(op); });
    KernelSizeEstimate e;
    e.largest = std::max(body, largestSeparate);
    e.total = body + separate;
    for (auto &[op, ops] : share)
      if (ops > e.dominantOps) {
        e.dominantOps = ops;
        e.dominant = where(op) + what[op];
      }
    return e;
  }

private:
  /// Adds `ops` to the row function and to `op`'s share, `description`
  /// naming the op.
  void add(Operation *op, size_t ops, const llvm::Twine &description) {
    body += ops;
    note(op, ops, description);
  }
  void note(Operation *op, size_t ops, const llvm::Twine &description) {
    share[op] += ops;
    if (!what.count(op))
      what[op] = description.str();
  }
  const char *shapeName(Operation *op) {
    return shapeOf(op, minKeys) == LookupShape::Table ? "table" : "chain";
  }

  void visit(Operation *op);
  void visitTrees(TreeEnsembleOp op);

  unsigned minKeys;
  size_t body = 0, separate = 0, largestSeparate = 0;
  // Each op's share of the estimate (its output columns included) and its
  // description, for naming the op that contributes most.
  llvm::MapVector<Operation *, size_t> share;
  llvm::DenseMap<Operation *, std::string> what;
};

void Estimator::visit(Operation *op) {
  if (isa<ModuleOp>(op))
    return;
  bool table = shapeOf(op, minKeys) == LookupShape::Table;
  if (auto oneHot = dyn_cast<OneHotOp>(op)) {
    size_t n = oneHot.getCategories().size();
    add(op, table ? kTableLookup : kPerCategory * n + 1,
        llvm::formatv("one_hot of {0} categories ({1})", n, shapeName(op)));
    return;
  }
  if (auto encode = dyn_cast<LabelEncodeOp>(op)) {
    size_t n = encode.getKeys().size();
    add(op, table ? kTableLookup : kPerCategory * n + 1,
        llvm::formatv("label_encode of {0} keys ({1})", n, shapeName(op)));
    return;
  }
  if (auto lookup = dyn_cast<StrLookupOp>(op)) {
    size_t n = lookup.getKeys().size(), ops = kTableLookup;
    if (!table) {
      std::map<size_t, size_t> groups;
      ops = 0;
      for (Attribute k : lookup.getKeys()) {
        size_t len = cast<StringAttr>(k).getValue().size();
        ops += kPerKey + kPerKeyWord * ((len + 7) / 8);
        ++groups[len];
      }
      ops += kPerLengthGroup * groups.size();
      // A kernel with data checks looks strings up in the checking loop too.
      auto kernel = op->getParentOfType<KernelOp>();
      if (kernel && !kernel.getBodyBlock().getOps<CheckOp>().empty())
        ops *= 2;
    }
    add(op, ops, llvm::formatv("string lookup of {0} keys ({1})", n, shapeName(op)));
    return;
  }
  if (auto poly = dyn_cast<PolynomialOp>(op)) {
    size_t n = poly.getNumResults();
    add(op, kPerTerm * n, llvm::formatv("polynomial of {0} output columns", n));
    return;
  }
  if (auto bucketize = dyn_cast<BucketizeOp>(op)) {
    size_t n = bucketize.getEdges().size();
    add(op, kPerEdge * n + 1, llvm::formatv("bucketize of {0} edges", n));
    return;
  }
  if (auto output = dyn_cast<OutputOp>(op)) {
    // Each column's store counts towards the op that made the column, so a
    // wide step is named for its columns too.
    auto values = output.getValues();
    std::string description = llvm::formatv("output of {0} columns", values.size()).str();
    auto producer = [&](Value v) {
      Operation *def = v.getDefiningOp();
      return def && share.count(def) ? def : op;
    };
    for (size_t j = 0; j < values.size();) {
      // A run of table one_hot columns is one memset and one store.
      size_t run = 0;
      while (j + run < values.size() && isTableColumn(values[j + run], minKeys))
        ++run;
      if (run >= 8) {
        add(producer(values[j]), kZeroedRun, description);
        j += run;
      } else {
        add(producer(values[j]), kPerColumn, description);
        ++j;
      }
    }
    return;
  }
  if (auto trees = dyn_cast<TreeEnsembleOp>(op)) {
    visitTrees(trees);
    return;
  }
  if (auto linear = dyn_cast<LinearOp>(op)) {
    size_t n = linear.getWeights().size();
    add(op, kPerWeight * n + 2 * linear.getNumResults(),
        llvm::formatv("linear model of {0} weights", n));
    return;
  }
  if (auto mlp = dyn_cast<MlpOp>(op)) {
    size_t units = 0;
    for (int32_t s : mlp.getSizes().drop_front())
      units += s;
    size_t n = mlp.getWeights().size();
    add(op, kPerWeight * n + kPerUnit * units, llvm::formatv("mlp of {0} weights", n));
    return;
  }
  if (isa<SmaOp, WmaOp, LsmaOp, EmaOp, KamaOp, CrossoverOp>(op)) {
    // Windows and recurrences are loops over the period: their code does
    // not grow with it.
    add(op, kSeriesOp, op->getName().getStringRef());
    return;
  }
  if (isa<TrainStepOp>(op)) {
    add(op, kTrainStep, "train step");
    return;
  }
  // Everything else lowers to about one operation (expressions, rules and
  // the scalar stages); rules run their cascade twice, on vectors of 8
  // agents and on the remaining agents.
  body += op->getParentOfType<RulesKernelOp>() ? 2 : 1;
}

void Estimator::visitTrees(TreeEnsembleOp op) {
  size_t nodes = op.getNodeFeatures().size();
  if (op.getLayout() == spec::TreeLayout::Walk) {
    add(op, kWalk, llvm::formatv("tree ensemble of {0} nodes (walk)", nodes));
    return;
  }
  if (op.getAverage() || static_cast<int64_t>(nodes) <= 2 * kChunkNodes) {
    add(op, kPerNode * nodes, llvm::formatv("tree ensemble of {0} nodes (branches)", nodes));
    return;
  }
  // Chunks of whole trees of about kChunkNodes nodes, each a function, as
  // SpecExpand makes them; the row function calls them.
  ArrayRef<int32_t> roots = op.getRoots();
  size_t first = 0, chunks = 0;
  while (first < roots.size()) {
    size_t last = first;
    int64_t chunkNodes = 0;
    do {
      int64_t end = last + 1 < roots.size() ? roots[last + 1] : static_cast<int64_t>(nodes);
      chunkNodes += end - roots[last];
      ++last;
    } while (last < roots.size() && chunkNodes < kChunkNodes);
    size_t ops = kPerNode * chunkNodes + 2 * op.getNumResults();
    separate += ops;
    largestSeparate = std::max(largestSeparate, ops);
    ++chunks;
    first = last;
  }
  body += 2 * chunks;
  note(op, kPerNode * nodes,
       llvm::formatv("tree ensemble of {0} nodes (branches, {1} functions)", nodes, chunks));
}

} // namespace

KernelSizeEstimate estimateKernelSize(ModuleOp module, unsigned lookupTableMinKeys) {
  return Estimator(lookupTableMinKeys).run(module);
}

namespace {
/// The fewest keys at which a lookup over values of `kind` takes the table
/// shape with these thresholds (0: never; float categories always chain).
unsigned tableMinKeys(jit::ValueKind kind, unsigned lookupTableMinKeys) {
  switch (kind) {
  case jit::ValueKind::String:
    return lookupTableMinKeys;
  case jit::ValueKind::Int:
    return lookupTableMinKeys ? kLookupTableMinIntKeys : 0;
  default:
    return 0;
  }
}
} // namespace

KernelSizeEstimate estimateDescriptorFloor(const jit::Descriptor &d, unsigned lookupTableMinKeys) {
  KernelSizeEstimate e;
  const jit::PipelineSpec *p = jit::family(d.kind()).featurePipeline(d);
  if (!p)
    return e;
  // The step that makes each value, and whether it is a one_hot column
  // that the table shape zeroes in runs (not counted: a lower bound).
  std::vector<int> stepOf(p->plan.values.size(), -1);
  std::vector<bool> zeroed(p->plan.values.size(), false);
  std::vector<size_t> share(p->steps.size(), 0);
  auto count = [&](int step, size_t ops) {
    e.largest += ops;
    if (step >= 0)
      share[step] += ops;
  };
  for (const jit::PlanNode &n : p->plan.nodes) {
    const jit::Step &s = p->steps[n.step];
    for (int r : n.results)
      stepOf[r] = n.step;
    if (n.op == jit::StepOp::Polynomial)
      count(n.step, kPerTerm * n.results.size());
    else if (n.op == jit::StepOp::Bucketize)
      count(n.step, kPerEdge * s.edges.size());
    else if (n.op == jit::StepOp::OneHot) {
      unsigned minKeys = tableMinKeys(p->plan.values[n.args[0]].kind, lookupTableMinKeys);
      if (minKeys && n.results.size() >= minKeys)
        for (int r : n.results)
          zeroed[r] = true;
    }
  }
  for (int v : p->plan.outputs)
    if (!zeroed[v])
      count(stepOf[v], kPerColumn);
  e.total = e.largest;
  for (size_t i = 0; i < share.size(); ++i)
    if (share[i] > e.dominantOps) {
      const jit::PlanNode *node = nullptr;
      for (const jit::PlanNode &n : p->plan.nodes)
        if (n.step == static_cast<int>(i))
          node = &n;
      e.dominantOps = share[i];
      const jit::Step &s = p->steps[i];
      e.dominant = s.op == jit::StepOp::Bucketize
                       ? llvm::formatv("steps[{0}] bucketize of {1} edges", i, s.edges.size()).str()
                       : llvm::formatv("steps[{0}] {1} of {2} output columns", i,
                                       jit::stepOpName(s.op), node ? node->results.size() : 0)
                             .str();
    }
  return e;
}

namespace {
/// What the floor leaves out of a pipeline: the lookups (a chain per
/// category or one table search) and about one operation per other step.
size_t pipelineWork(const jit::PipelineSpec &p, unsigned lookupTableMinKeys) {
  size_t work = 0;
  for (const jit::Step &s : p.steps) {
    size_t keys =
        std::max({s.intCategories.size(), s.floatCategories.size(), s.stringCategories.size()});
    jit::ValueKind kind = !s.stringCategories.empty() ? jit::ValueKind::String
                          : !s.intCategories.empty()  ? jit::ValueKind::Int
                                                      : jit::ValueKind::Float;
    unsigned minKeys = tableMinKeys(kind, lookupTableMinKeys);
    if (s.op == jit::StepOp::OneHot || s.op == jit::StepOp::LabelEncode)
      work += minKeys && keys >= minKeys ? kTableLookup : kPerCategory * keys + 1;
    else if (s.op == jit::StepOp::Expr)
      work += 1 + s.exprText.size() / 4; // about one operation per token
    else
      work += 1;
  }
  return work;
}
} // namespace

size_t estimateCompileWork(const jit::Descriptor &d, jit::TreeLayout layout,
                           unsigned lookupTableMinKeys) {
  size_t work = estimateDescriptorFloor(d, lookupTableMinKeys).total;
  switch (d.kind()) {
  case jit::Kind::Pipeline:
    work += pipelineWork(d.spec<jit::PipelineSpec>(), lookupTableMinKeys);
    break;
  case jit::Kind::Model: {
    const jit::ModelSpec &m = d.spec<jit::ModelSpec>();
    work += pipelineWork(m.pipeline, lookupTableMinKeys) + kPerColumn * m.numOutputs;
    switch (m.type) {
    case jit::ModelType::Linear:
      work += kPerWeight * m.weights.size() + 2 * m.numOutputs;
      break;
    case jit::ModelType::Mlp:
      for (const jit::DenseLayer &l : m.layers)
        work += kPerWeight * l.weights.size() + kPerUnit * l.outputs;
      break;
    case jit::ModelType::TreeEnsemble: {
      size_t nodes = 0;
      for (const jit::Tree &t : m.trees)
        nodes += t.nodes.size();
      // The walk's node tables are constant data: measured, about 400
      // nodes cost LLVM what one lowered operation does.
      work += jit::resolveTreeLayout(m, layout) == jit::TreeLayout::Walk ? kWalk + nodes / 400
                                                                         : kPerNode * nodes;
      break;
    }
    }
    break;
  }
  case jit::Kind::Series:
    work += kSeriesOp * d.spec<jit::SeriesSpec>().indicators.size() + kPerColumn * d.numOutputs();
    break;
  case jit::Kind::Rules: {
    // Each condition and action about one operation, twice (vectors of 8
    // agents and the remaining agents).
    for (const jit::Rule &r : d.spec<jit::RulesSpec>().rules)
      work += 2 * (4 + r.actions.size());
    break;
  }
  case jit::Kind::Train:
    work += kTrainStep;
    break;
  case jit::Kind::Eval:
    break;
  }
  return work;
}

llvm::Error checkKernelSize(const KernelSizeEstimate &e, size_t maxKernelOps) {
  if (!maxKernelOps)
    return llvm::Error::success();
  size_t totalLimit = totalKernelOpsLimit(maxKernelOps);
  if (e.largest <= maxKernelOps && e.total <= totalLimit)
    return llvm::Error::success();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("the kernel is too large to specialize: an estimated {0} operations in "
                    "its largest function and {1} in all after lowering, more than the "
                    "limits of {2} and {3} (CompileOptions::maxKernelOps); most from {4}: "
                    "~{5} operations (estimated before lowering)",
                    e.largest, e.total, maxKernelOps, totalLimit, e.dominant, e.dominantOps)
          .str());
}

} // namespace engine
} // namespace specjit
