//===- Interpreter.cpp - The generic descriptor interpreter ---------------===//
//
// create() turns the analyzed Plan into two programs:
//
//  - the main program: the nodes whose results reach the output (others are
//    dead and skipped), then a scatter of the output columns;
//  - the check program (only when some one_hot has unknown: "error"): the
//    nodes needed to compute the checked columns, then the checks.
//
// Each program is run a block of rows at a time. Every value (SSA column of
// the plan) lives in a block-sized scratch slot: f64 for Float values, i64
// for Int values (plus an f64 "shadow" slot when an op reads the Int as a
// Float). f64 and i64 inputs are read in place; other inputs are widened into
// slots. Slots are assigned at create() time by a linear scan over the
// program, so values that are dead share storage.
//
// Numerics follow docs/pipeline-semantics.md operation by operation.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"

#include "Interpreter/ExprCode.h"
#include "Interpreter/Families.h"
#include "Interpreter/Lookup.h"

#include <map>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

namespace specjit {
namespace interp {

Interpreter::~Interpreter() = default;

namespace {

using jit::DType;
using jit::StepOp;
using jit::ValueKind;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// execute() result when scratch space cannot be allocated.
constexpr int64_t kOutOfMemory = -2;

/// Branchless selects: compilers tend to branch on i64 compares, which
/// mispredicts on real data.
inline int64_t selectI64(bool c, int64_t a, int64_t b) {
  int64_t m = -static_cast<int64_t>(c);
  return (a & m) | (b & ~m);
}
inline double selectF64(bool c, double a, double b) {
  uint64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  uint64_t m = -static_cast<uint64_t>(c);
  x = (x & m) | (y & ~m);
  double r;
  std::memcpy(&r, &x, sizeof r);
  return r;
}

llvm::Error planError(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "interpreter: " + msg);
}

/// One term of a polynomial expansion, in result order.
struct PolyTerm {
  /// Result position written.
  int dst = 0;
  /// Result position of the term of all factors but the first, or -1.
  int prefix = -1;
  /// Argument position of the first factor, or -1 for the bias.
  int arg = -1;
};

/// A plan node with its configuration resolved for execution.
struct Node {
  StepOp op = StepOp::Standardize;
  int step = -1;
  std::vector<int> args, results;
  std::string column; // for messages

  /// Kind and sentinel of args[0].
  ValueKind inKind = ValueKind::Float;
  bool inHasMissing = false;
  int64_t inMissing = 0;
  /// Kind of results[0].
  ValueKind outKind = ValueKind::Float;

  // standardize: p0 = mean, p1 = std; minmax: p0 = min, p1 = max - min;
  // clip: p0 = min, p1 = max (+-inf when absent); impute: p0 = value.
  double p0 = 0.0, p1 = 0.0;
  int64_t imputeInt = 0;

  // one_hot, label_encode
  bool checkUnknown = false;
  std::vector<int64_t> intCats;
  std::vector<double> floatCats;
  IntLookup intLookup;
  FloatLookup floatLookup;
  StringLookup stringLookup;
  /// label_encode: the default, then the code of each category.
  std::vector<double> codesOrDefault;

  // bucketize
  std::vector<double> edges;

  // polynomial
  std::vector<PolyTerm> poly;

  // expr
  ExprCode code;
};

/// An input column: where it is in the argument array and how it is stored.
struct InputInfo {
  DType type = DType::F64;
  int argSlot = 0;
};

/// One entry of a program: a node to compute and/or to check.
struct Item {
  int node = 0;
  bool compute = false;
  bool check = false;
  /// Float slots of the expression's temporary registers.
  std::vector<int> temps;
};

/// A schedule plus its scratch layout.
struct Program {
  std::vector<Item> items;
  /// Input values read by this program.
  std::vector<int> inputs;
  /// Per value: its f64 slot (Float values), i64 slot (Int values) and f64
  /// shadow slot (Int values read as Float); -1 when none.
  std::vector<int> fslot, islot, shadow;
  int numF = 0, numI = 0;
  bool needIdx = false;
  int maxExprArgs = 0, maxTemps = 0;
};

/// Where a check failed.
struct Failure {
  int node = -1;
  std::string value;
};

/// Per-call scratch. Allocation never throws: allocate() reports failure.
struct Frame {
  int64_t B = 0;
  std::unique_ptr<double[]> f;
  std::unique_ptr<int64_t[]> i;
  std::unique_ptr<int32_t[]> idx;
  /// Per value: Float view (Float values, or the shadow of Int values) and
  /// Int view.
  std::unique_ptr<const double *[]> fv;
  std::unique_ptr<const int64_t *[]> iv;
  std::unique_ptr<const double *[]> exprArgs;
  std::unique_ptr<double *[]> exprTemps;
  std::unique_ptr<const double *[]> outCols;

  double *fslot(int s) const { return f.get() + static_cast<int64_t>(s) * B; }
  int64_t *islot(int s) const { return i.get() + static_cast<int64_t>(s) * B; }

  template <class T> static bool alloc(std::unique_ptr<T[]> &p, size_t n) {
    if (n == 0)
      return true;
    // Pointer tables start null; data arrays need no initialization.
    if constexpr (std::is_pointer_v<T>)
      p.reset(new (std::nothrow) T[n]());
    else
      p.reset(new (std::nothrow) T[n]);
    return p != nullptr;
  }

  /// Sizes everything for `prog` with blocks of B rows.
  bool allocate(const Program &prog, size_t numValues, size_t numOutputs) {
    size_t b = static_cast<size_t>(B);
    return alloc(f, static_cast<size_t>(prog.numF) * b) &&
           alloc(i, static_cast<size_t>(prog.numI) * b) &&
           (!prog.needIdx || alloc(idx, b)) && alloc(fv, numValues) &&
           alloc(iv, numValues) && alloc(exprArgs, prog.maxExprArgs) &&
           alloc(exprTemps, prog.maxTemps) && alloc(outCols, numOutputs);
  }
};

/// Scratch budget per call: blocks shrink below kInterpreterBlockRows when a
/// program has so many live values that full blocks would exceed it.
constexpr int64_t kScratchBudgetBytes = 8 << 20;

//===----------------------------------------------------------------------===//
// Formatting for messages
//===----------------------------------------------------------------------===//

std::string formatDouble(double x) {
  if (std::isnan(x))
    return "missing";
  if (std::isinf(x))
    return x < 0 ? "-inf" : "inf";
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  return buf;
}

std::string quoteBytes(const char *p, size_t n) {
  std::string s = "\"";
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '"' || c == '\\') {
      s += '\\';
      s += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      s += buf;
    } else {
      s += static_cast<char>(c);
    }
  }
  s += '"';
  return s;
}

//===----------------------------------------------------------------------===//
// The interpreter
//===----------------------------------------------------------------------===//

/// Receives the f64 output columns of a block of the main program.
using BlockSink = FeatureProgram::BlockFn;

class GenericInterpreter final : public Interpreter {
public:
  /// Builds everything from the descriptor; the result keeps no reference to
  /// it.
  static llvm::Expected<std::unique_ptr<GenericInterpreter>>
  build(const jit::Descriptor &d);
  /// Builds from a pipeline spec whose plan outputs feed another family (the
  /// output type is not used).
  static llvm::Expected<std::unique_ptr<GenericInterpreter>>
  buildFeatures(const jit::PipelineSpec &spec);

  int64_t run(const void *const *args, void *out, int64_t rows) const override;
  std::string describeFailure(const void *const *args,
                              int64_t row) const override;

  /// Checks every row, then hands each block's output columns (f64) to
  /// `sink`. Same results as run(); the sink is never called when a check
  /// fails or scratch space cannot be allocated.
  int64_t runBlocks(const void *const *args, int64_t rows,
                    BlockSink sink) const;
  size_t numOutputColumns() const { return outputs_.size(); }

private:
  llvm::Error prepareNode(const jit::PipelineSpec &spec,
                          const jit::PlanNode &pn, Node &nd) const;
  Program schedule(bool mainProgram) const;

  static llvm::Expected<std::unique_ptr<GenericInterpreter>>
  buildSpec(const jit::PipelineSpec &spec);

  /// Runs `prog` over rows [begin, end). The main program hands its output
  /// columns to `*sink` block by block. Returns the first row failing a
  /// check (described in *fail), or -1.
  int64_t execute(const Program &prog, const void *const *args,
                  const BlockSink *sink, int64_t begin, int64_t end,
                  Failure *fail) const;
  void gatherInputs(const Program &prog, Frame &fr, const void *const *args,
                    int64_t base, int64_t n) const;
  void computeNode(const Node &nd, const Item &it, const Program &prog,
                   Frame &fr, const void *const *args, int64_t base,
                   int64_t n) const;
  /// First row in [0, n) of the block failing `nd`'s check, or -1.
  int64_t checkNode(const Node &nd, Frame &fr, const void *const *args,
                    int64_t base, int64_t n) const;
  /// The value of `nd`'s (checked) argument at row r of the block.
  std::string formatValue(const Node &nd, const Frame &fr,
                          const void *const *args, int64_t base,
                          int64_t r) const;
  template <class T>
  void scatter(const double *const *cols, T *out, int64_t base,
               int64_t n) const;

  /// A string input's offsets (positioned at row `base`) and bytes.
  const int64_t *stringOffsets(const void *const *args, int v,
                               int64_t base) const {
    return static_cast<const int64_t *>(args[inputs_[v].argSlot]) + base;
  }
  const char *stringBytes(const void *const *args, int v) const {
    return static_cast<const char *>(args[inputs_[v].argSlot + 1]);
  }

  std::vector<InputInfo> inputs_;
  std::vector<jit::PlanValue> values_;
  std::vector<Node> nodes_;
  std::vector<int> outputs_;
  DType outType_ = DType::F32;
  Program main_, check_;
  bool hasChecks_ = false;
};

llvm::Expected<std::unique_ptr<GenericInterpreter>>
GenericInterpreter::build(const jit::Descriptor &d) {
  if (d.kind() != jit::Kind::Pipeline)
    return planError("unsupported descriptor kind");
  const jit::PipelineSpec &spec = d.pipeline();
  if (spec.outputType != DType::F32 && spec.outputType != DType::F64)
    return planError("output type must be f32 or f64");
  auto ip = buildSpec(spec);
  if (ip)
    (*ip)->outType_ = spec.outputType;
  return ip;
}

llvm::Expected<std::unique_ptr<GenericInterpreter>>
GenericInterpreter::buildFeatures(const jit::PipelineSpec &spec) {
  return buildSpec(spec);
}

llvm::Expected<std::unique_ptr<GenericInterpreter>>
GenericInterpreter::buildSpec(const jit::PipelineSpec &spec) {
  const jit::Plan &plan = spec.plan;
  auto ip = std::make_unique<GenericInterpreter>();
  GenericInterpreter &I = *ip;
  I.values_ = plan.values;
  int numValues = static_cast<int>(plan.values.size());
  if (plan.values.size() < spec.inputs.size())
    return planError("plan has fewer values than inputs");

  int slot = 0;
  for (size_t k = 0; k < spec.inputs.size(); ++k) {
    const jit::InputColumn &in = spec.inputs[k];
    InputInfo info;
    info.type = in.type;
    info.argSlot = slot;
    slot += in.type == DType::String ? 2 : 1;
    ValueKind want = in.type == DType::String ? ValueKind::String
                     : (in.type == DType::F32 || in.type == DType::F64)
                         ? ValueKind::Float
                         : ValueKind::Int;
    if (plan.values[k].kind != want)
      return planError("input '" + in.name + "' has an unexpected kind");
    I.inputs_.push_back(info);
  }

  // Every non-input value must be produced by exactly one node, after its
  // arguments.
  std::vector<int> producer(numValues, -1);
  for (size_t k = 0; k < spec.inputs.size(); ++k)
    producer[k] = -2;
  for (size_t n = 0; n < plan.nodes.size(); ++n) {
    const jit::PlanNode &pn = plan.nodes[n];
    if (pn.step < 0 || pn.step >= static_cast<int>(spec.steps.size()))
      return planError("node " + std::to_string(n) + " has no step");
    for (int a : pn.args)
      if (a < 0 || a >= numValues || producer[a] == -1)
        return planError("node " + std::to_string(n) +
                         " reads an undefined value");
    for (int r : pn.results) {
      if (r < 0 || r >= numValues || producer[r] != -1)
        return planError("node " + std::to_string(n) +
                         " writes an invalid value");
      producer[r] = static_cast<int>(n);
    }
    Node nd;
    if (llvm::Error e = I.prepareNode(spec, pn, nd))
      return e;
    I.nodes_.push_back(std::move(nd));
  }
  for (int o : plan.outputs) {
    if (o < 0 || o >= numValues || producer[o] == -1)
      return planError("output reads an undefined value");
    if (plan.values[o].kind == ValueKind::String)
      return planError("string column '" + plan.values[o].name +
                       "' reaches the output");
  }
  I.outputs_ = plan.outputs;
  for (const Node &nd : I.nodes_)
    I.hasChecks_ |= nd.checkUnknown;
  I.main_ = I.schedule(/*mainProgram=*/true);
  if (I.hasChecks_)
    I.check_ = I.schedule(/*mainProgram=*/false);
  return ip;
}

llvm::Error GenericInterpreter::prepareNode(const jit::PipelineSpec &spec,
                                            const jit::PlanNode &pn,
                                            Node &nd) const {
  const jit::Step &st = spec.steps[pn.step];
  std::string where = "steps[" + std::to_string(pn.step) + "]";
  if (st.op != pn.op)
    return planError(where + ": node op does not match the step");
  nd.op = pn.op;
  nd.step = pn.step;
  nd.args = pn.args;
  nd.results = pn.results;
  nd.column = st.column;

  auto expectShape = [&](size_t nargs, size_t nresults) -> llvm::Error {
    if (pn.args.size() != nargs || pn.results.size() != nresults)
      return planError(where + ": unexpected number of operands");
    return llvm::Error::success();
  };
  auto resultsFloat = [&]() -> llvm::Error {
    for (int r : pn.results)
      if (values_[r].kind != ValueKind::Float)
        return planError(where + ": result is not a Float");
    return llvm::Error::success();
  };
  auto argsNumeric = [&]() -> llvm::Error {
    for (int a : pn.args)
      if (values_[a].kind == ValueKind::String)
        return planError(where + ": reads a string column");
    return llvm::Error::success();
  };
  if (!pn.args.empty()) {
    const jit::PlanValue &in = values_[pn.args[0]];
    nd.inKind = in.kind;
    nd.inHasMissing = in.kind == ValueKind::Int && in.missing.has_value();
    nd.inMissing = nd.inHasMissing ? *in.missing : 0;
  }
  if (!pn.results.empty())
    nd.outKind = values_[pn.results[0]].kind;

  switch (pn.op) {
  case StepOp::Standardize:
  case StepOp::MinMax:
  case StepOp::Log:
  case StepOp::Log1p:
  case StepOp::Clip:
  case StepOp::Bucketize:
    if (auto e = expectShape(1, 1))
      return e;
    if (auto e = argsNumeric())
      return e;
    if (auto e = resultsFloat())
      return e;
    if (pn.op == StepOp::Standardize) {
      nd.p0 = st.mean;
      nd.p1 = st.std;
    } else if (pn.op == StepOp::MinMax) {
      nd.p0 = st.min;
      nd.p1 = st.max - st.min;
    } else if (pn.op == StepOp::Clip) {
      nd.p0 = st.min;
      nd.p1 = st.max;
    } else if (pn.op == StepOp::Bucketize) {
      nd.edges = st.edges;
      if (nd.edges.empty())
        return planError(where + ": no edges");
    }
    return llvm::Error::success();

  case StepOp::Impute: {
    if (auto e = expectShape(1, 1))
      return e;
    nd.p0 = st.value;
    if (nd.inKind == ValueKind::Float) {
      if (nd.outKind != ValueKind::Float)
        return planError(where + ": impute of a Float must yield a Float");
      return llvm::Error::success();
    }
    if (nd.inKind != ValueKind::Int || !nd.inHasMissing)
      return planError(where + ": impute needs a Float or an Int with a "
                               "missing sentinel");
    if (nd.outKind == ValueKind::Int) {
      double v = st.value;
      if (!(std::trunc(v) == v && v >= -9223372036854775808.0 &&
            v < 9223372036854775808.0))
        return planError(where + ": impute value is not an i64");
      nd.imputeInt = static_cast<int64_t>(v);
    } else if (nd.outKind != ValueKind::Float) {
      return planError(where + ": impute result must be numeric");
    }
    return llvm::Error::success();
  }

  case StepOp::OneHot:
  case StepOp::LabelEncode: {
    bool oneHot = pn.op == StepOp::OneHot;
    if (pn.args.size() != 1 || pn.results.empty())
      return planError(where + ": unexpected number of operands");
    if (!oneHot && pn.results.size() != 1)
      return planError(where + ": unexpected number of operands");
    if (auto e = resultsFloat())
      return e;
    size_t k = 0;
    switch (nd.inKind) {
    case ValueKind::Int:
      nd.intCats = st.intCategories;
      if (nd.intCats.empty()) {
        // Accept integral numbers too.
        for (double c : st.floatCategories) {
          if (!(std::trunc(c) == c && c >= -9223372036854775808.0 &&
                c < 9223372036854775808.0))
            return planError(where + ": non-integer category for an Int "
                                     "column");
          nd.intCats.push_back(static_cast<int64_t>(c));
        }
      }
      if (oneHot && nd.inHasMissing)
        for (int64_t c : nd.intCats)
          if (c == nd.inMissing)
            return planError(where + ": categories contain the missing "
                                     "sentinel");
      nd.intLookup.build(nd.intCats);
      k = nd.intCats.size();
      break;
    case ValueKind::Float:
      nd.floatCats = st.floatCategories;
      if (nd.floatCats.empty())
        for (int64_t c : st.intCategories)
          nd.floatCats.push_back(static_cast<double>(c));
      nd.floatLookup.build(nd.floatCats);
      k = nd.floatCats.size();
      break;
    case ValueKind::String:
      if (pn.args[0] >= static_cast<int>(inputs_.size()))
        return planError(where + ": string value is not an input");
      nd.stringLookup.build(st.stringCategories);
      k = st.stringCategories.size();
      break;
    }
    if (k == 0)
      return planError(where + ": no categories");
    if (oneHot) {
      if (pn.results.size() != k)
        return planError(where + ": one result per category expected");
      nd.checkUnknown = st.unknown == jit::UnknownPolicy::Error;
    } else {
      if (!st.codes.empty() && st.codes.size() != k)
        return planError(where + ": one code per category expected");
      nd.codesOrDefault.push_back(st.defaultCode);
      for (size_t j = 0; j < k; ++j)
        nd.codesOrDefault.push_back(st.codes.empty() ? static_cast<double>(j)
                                                     : st.codes[j]);
    }
    return llvm::Error::success();
  }

  case StepOp::Polynomial: {
    if (auto e = argsNumeric())
      return e;
    if (auto e = resultsFloat())
      return e;
    int n = static_cast<int>(pn.args.size());
    if (n == 0 || st.degree < 1)
      return planError(where + ": empty polynomial");
    nd.column = st.columns.empty() ? std::string() : st.columns[0];
    // scikit-learn order: bias, then degree by degree the (multi)sets of
    // argument indices in lexicographic order. Like scikit-learn, a term of
    // degree d >= 2 is (the term of all its factors but the first, an
    // earlier result) times its first factor, so results agree bit for bit.
    std::vector<PolyTerm> &terms = nd.poly;
    if (st.includeBias)
      terms.push_back({static_cast<int>(terms.size()), -1, -1});
    std::map<std::vector<int>, int> posOf;
    std::vector<std::vector<int>> prev, cur;
    for (int a = 0; a < n; ++a) {
      int pos = static_cast<int>(terms.size());
      terms.push_back({pos, -1, a});
      posOf[{a}] = pos;
      prev.push_back({a});
    }
    for (int deg = 2; deg <= st.degree && !prev.empty(); ++deg) {
      cur.clear();
      // Extending lexicographically ordered combinations at the end keeps
      // the order lexicographic.
      for (const std::vector<int> &p : prev)
        for (int a = st.interactionOnly ? p.back() + 1 : p.back(); a < n; ++a) {
          std::vector<int> t = p;
          t.push_back(a);
          int pos = static_cast<int>(terms.size());
          terms.push_back({pos, posOf.at(std::vector<int>(t.begin() + 1, t.end())), t[0]});
          posOf.emplace(t, pos);
          cur.push_back(std::move(t));
          if (terms.size() > pn.results.size())
            return planError(where + ": more polynomial terms than results");
        }
      prev.swap(cur);
    }
    if (terms.size() != pn.results.size())
      return planError(where + ": polynomial term count does not match the "
                               "plan");
    return llvm::Error::success();
  }

  case StepOp::Expr: {
    if (pn.results.size() != 1)
      return planError(where + ": unexpected number of operands");
    if (auto e = argsNumeric())
      return e;
    if (auto e = resultsFloat())
      return e;
    if (!st.expr)
      return planError(where + ": expression not parsed");
    nd.column = st.name;
    auto code = ExprCode::compile(*st.expr, static_cast<int>(pn.args.size()));
    if (!code)
      return planError(where + ".expr: " + llvm::toString(code.takeError()));
    nd.code = std::move(*code);
    return llvm::Error::success();
  }
  }
  return planError(where + ": unknown op");
}

/// Whether `op` reads its first argument as an Int when it is one (instead of
/// converting it to Float).
bool readsIntDirectly(StepOp op) {
  return op == StepOp::Impute || op == StepOp::OneHot ||
         op == StepOp::LabelEncode;
}

Program GenericInterpreter::schedule(bool mainProgram) const {
  int numValues = static_cast<int>(values_.size());
  int numNodes = static_cast<int>(nodes_.size());
  int numInputs = static_cast<int>(inputs_.size());
  constexpr int kForever = std::numeric_limits<int>::max();

  // Which nodes run, backwards from what the program needs.
  std::vector<char> live(numValues, 0);
  if (mainProgram)
    for (int o : outputs_)
      live[o] = 1;
  std::vector<char> doCompute(numNodes, 0), doCheck(numNodes, 0);
  for (int n = numNodes - 1; n >= 0; --n) {
    const Node &nd = nodes_[n];
    for (int r : nd.results)
      doCompute[n] |= live[r];
    if (!mainProgram)
      doCheck[n] = nd.checkUnknown;
    if (doCompute[n] || doCheck[n])
      for (int a : nd.args)
        live[a] = 1;
  }

  Program prog;
  for (int n = 0; n < numNodes; ++n)
    if (doCompute[n] || doCheck[n]) {
      Item it;
      it.node = n;
      it.compute = doCompute[n];
      it.check = doCheck[n];
      prog.items.push_back(std::move(it));
    }

  // Last use (item index) and whether the value is read as a Float.
  std::vector<int> lastUse(numValues, -1);
  std::vector<char> asFloat(numValues, 0);
  for (int i = 0; i < static_cast<int>(prog.items.size()); ++i) {
    const Item &it = prog.items[i];
    const Node &nd = nodes_[it.node];
    for (int a : nd.args) {
      lastUse[a] = i;
      if (it.compute && !readsIntDirectly(nd.op))
        asFloat[a] = 1;
    }
  }
  if (mainProgram)
    for (int o : outputs_) {
      lastUse[o] = kForever;
      asFloat[o] = 1; // the scatter reads Int outputs through their shadow
    }

  prog.fslot.assign(numValues, -1);
  prog.islot.assign(numValues, -1);
  prog.shadow.assign(numValues, -1);
  std::vector<int> freeF, freeI;
  auto allocF = [&] {
    if (!freeF.empty()) {
      int s = freeF.back();
      freeF.pop_back();
      return s;
    }
    return prog.numF++;
  };
  auto allocI = [&] {
    if (!freeI.empty()) {
      int s = freeI.back();
      freeI.pop_back();
      return s;
    }
    return prog.numI++;
  };
  std::vector<char> released(numValues, 0);
  auto release = [&](int v) {
    if (released[v])
      return;
    released[v] = 1;
    if (prog.fslot[v] >= 0)
      freeF.push_back(prog.fslot[v]);
    if (prog.islot[v] >= 0)
      freeI.push_back(prog.islot[v]);
    if (prog.shadow[v] >= 0)
      freeF.push_back(prog.shadow[v]);
  };
  auto define = [&](int v) {
    const jit::PlanValue &pv = values_[v];
    if (pv.kind == ValueKind::Float) {
      prog.fslot[v] = allocF();
    } else if (pv.kind == ValueKind::Int) {
      prog.islot[v] = allocI();
      if (asFloat[v])
        prog.shadow[v] = allocF();
    }
  };

  for (int v = 0; v < numInputs; ++v) {
    if (lastUse[v] < 0)
      continue;
    prog.inputs.push_back(v);
    DType t = inputs_[v].type;
    if (t == DType::F32)
      prog.fslot[v] = allocF();
    else if (t == DType::Bool || t == DType::I32)
      prog.islot[v] = allocI();
    if (values_[v].kind == ValueKind::Int && asFloat[v])
      prog.shadow[v] = allocF();
  }

  for (int i = 0; i < static_cast<int>(prog.items.size()); ++i) {
    Item &it = prog.items[i];
    const Node &nd = nodes_[it.node];
    if (it.compute) {
      for (int r : nd.results) {
        // Unused one_hot columns are not written at all.
        if (nd.op == StepOp::OneHot && lastUse[r] < 0)
          continue;
        define(r);
      }
      for (int t = 0; t < nd.code.numTemps; ++t)
        it.temps.push_back(allocF());
      for (int s : it.temps)
        freeF.push_back(s);
      if (nd.op == StepOp::Expr) {
        prog.maxExprArgs =
            std::max(prog.maxExprArgs, static_cast<int>(nd.args.size()));
        prog.maxTemps = std::max(prog.maxTemps, nd.code.numTemps);
      }
      if (nd.op == StepOp::OneHot && nd.inKind != ValueKind::Float)
        prog.needIdx = true;
      if (nd.op == StepOp::LabelEncode)
        prog.needIdx = true;
      for (int r : nd.results)
        if (lastUse[r] < 0)
          release(r);
    }
    if (it.check)
      prog.needIdx = true;
    for (int a : nd.args)
      if (lastUse[a] == i)
        release(a);
  }
  return prog;
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

void GenericInterpreter::gatherInputs(const Program &prog, Frame &fr,
                                      const void *const *args, int64_t base,
                                      int64_t n) const {
  for (int v : prog.inputs) {
    const InputInfo &in = inputs_[v];
    const void *src = args[in.argSlot];
    switch (in.type) {
    case DType::F64:
      fr.fv[v] = static_cast<const double *>(src) + base;
      break;
    case DType::F32: {
      const float *__restrict s = static_cast<const float *>(src) + base;
      double *__restrict d = fr.fslot(prog.fslot[v]);
      for (int64_t r = 0; r < n; ++r)
        d[r] = static_cast<double>(s[r]);
      break;
    }
    case DType::I64:
      fr.iv[v] = static_cast<const int64_t *>(src) + base;
      break;
    case DType::I32: {
      const int32_t *__restrict s = static_cast<const int32_t *>(src) + base;
      int64_t *__restrict d = fr.islot(prog.islot[v]);
      for (int64_t r = 0; r < n; ++r)
        d[r] = s[r];
      break;
    }
    case DType::Bool: {
      const uint8_t *__restrict s = static_cast<const uint8_t *>(src) + base;
      int64_t *__restrict d = fr.islot(prog.islot[v]);
      for (int64_t r = 0; r < n; ++r)
        d[r] = s[r];
      break;
    }
    case DType::String:
      break;
    }
    if (prog.shadow[v] >= 0) {
      const int64_t *__restrict s = fr.iv[v];
      double *__restrict d = fr.fslot(prog.shadow[v]);
      if (values_[v].missing) {
        int64_t miss = *values_[v].missing;
        for (int64_t r = 0; r < n; ++r)
          d[r] = selectF64(s[r] == miss, kNaN, static_cast<double>(s[r]));
      } else {
        for (int64_t r = 0; r < n; ++r)
          d[r] = static_cast<double>(s[r]);
      }
    }
  }
}

void GenericInterpreter::computeNode(const Node &nd, const Item &it,
                                     const Program &prog, Frame &fr,
                                     const void *const *args, int64_t base,
                                     int64_t n) const {
  auto outF = [&](int k) -> double * {
    int s = prog.fslot[nd.results[k]];
    return s < 0 ? nullptr : fr.fslot(s);
  };
  const double *__restrict x = nullptr;
  if (!nd.args.empty() && !readsIntDirectly(nd.op))
    x = fr.fv[nd.args[0]];

  switch (nd.op) {
  case StepOp::Standardize: {
    double *__restrict d = outF(0);
    double mean = nd.p0, sd = nd.p1;
    for (int64_t r = 0; r < n; ++r)
      d[r] = (x[r] - mean) / sd;
    return;
  }
  case StepOp::MinMax: {
    double *__restrict d = outF(0);
    double lo = nd.p0, range = nd.p1;
    for (int64_t r = 0; r < n; ++r)
      d[r] = (x[r] - lo) / range;
    return;
  }
  case StepOp::Log: {
    double *__restrict d = outF(0);
    for (int64_t r = 0; r < n; ++r)
      d[r] = std::log(x[r]);
    return;
  }
  case StepOp::Log1p: {
    double *__restrict d = outF(0);
    for (int64_t r = 0; r < n; ++r)
      d[r] = std::log1p(x[r]);
    return;
  }
  case StepOp::Clip: {
    double *__restrict d = outF(0);
    double lo = nd.p0, hi = nd.p1;
    for (int64_t r = 0; r < n; ++r) {
      double v = x[r];
      d[r] = v < lo ? lo : (v > hi ? hi : v);
    }
    return;
  }
  case StepOp::Impute: {
    int a = nd.args[0];
    double value = nd.p0;
    if (nd.inKind == ValueKind::Float) {
      const double *__restrict s = fr.fv[a];
      double *__restrict d = outF(0);
      for (int64_t r = 0; r < n; ++r)
        d[r] = s[r] != s[r] ? value : s[r];
      return;
    }
    const int64_t *__restrict s = fr.iv[a];
    int64_t miss = nd.inMissing;
    if (nd.outKind == ValueKind::Float) {
      double *__restrict d = outF(0);
      for (int64_t r = 0; r < n; ++r)
        d[r] = selectF64(s[r] == miss, value, static_cast<double>(s[r]));
      return;
    }
    int v = nd.results[0];
    int64_t *__restrict d = fr.islot(prog.islot[v]);
    int64_t iv = nd.imputeInt;
    for (int64_t r = 0; r < n; ++r)
      d[r] = selectI64(s[r] == miss, iv, s[r]);
    if (prog.shadow[v] >= 0) {
      // The result has no sentinel.
      double *__restrict f = fr.fslot(prog.shadow[v]);
      for (int64_t r = 0; r < n; ++r)
        f[r] = static_cast<double>(d[r]);
    }
    return;
  }
  case StepOp::OneHot: {
    int a = nd.args[0];
    size_t k = nd.results.size();
    if (nd.inKind == ValueKind::Float) {
      // Compare per category: exact even if two categories compare equal
      // (0.0 and -0.0), and vectorized.
      const double *__restrict s = fr.fv[a];
      for (size_t j = 0; j < k; ++j) {
        double *__restrict d = outF(static_cast<int>(j));
        if (!d)
          continue;
        double c = nd.floatCats[j];
        for (int64_t r = 0; r < n; ++r)
          d[r] = s[r] == c ? 1.0 : 0.0;
      }
      return;
    }
    // Int and String categories are unique: find the index once per row,
    // then expand it column by column (a vectorized i32 compare).
    int32_t *__restrict idx = fr.idx.get();
    if (nd.inKind == ValueKind::Int)
      // Categories never equal the sentinel, so a missing value matches
      // nothing.
      nd.intLookup.lookup(fr.iv[a], n, idx);
    else
      nd.stringLookup.lookup(stringOffsets(args, a, base), stringBytes(args, a),
                             n, idx);
    for (size_t j = 0; j < k; ++j) {
      double *__restrict d = outF(static_cast<int>(j));
      if (!d)
        continue;
      int32_t jj = static_cast<int32_t>(j);
      for (int64_t r = 0; r < n; ++r)
        d[r] = idx[r] == jj ? 1.0 : 0.0;
    }
    return;
  }
  case StepOp::LabelEncode: {
    int a = nd.args[0];
    int32_t *__restrict idx = fr.idx.get();
    if (nd.inKind == ValueKind::Int) {
      const int64_t *s = fr.iv[a];
      nd.intLookup.lookup(s, n, idx);
      if (nd.inHasMissing) {
        int64_t miss = nd.inMissing;
        for (int64_t r = 0; r < n; ++r)
          idx[r] = static_cast<int32_t>(selectI64(s[r] == miss, -1, idx[r]));
      }
    } else if (nd.inKind == ValueKind::Float) {
      nd.floatLookup.lookup(fr.fv[a], n, idx);
    } else {
      nd.stringLookup.lookup(stringOffsets(args, a, base), stringBytes(args, a),
                             n, idx);
    }
    // codesOrDefault[0] is the default, codesOrDefault[j + 1] the code of
    // category j: a branchless gather.
    double *__restrict d = outF(0);
    const double *table = nd.codesOrDefault.data() + 1;
    for (int64_t r = 0; r < n; ++r)
      d[r] = table[idx[r]];
    return;
  }
  case StepOp::Polynomial: {
    for (const PolyTerm &t : nd.poly) {
      double *__restrict d = outF(t.dst);
      if (t.arg < 0) {
        for (int64_t r = 0; r < n; ++r)
          d[r] = 1.0;
      } else if (t.prefix < 0) {
        std::memcpy(d, fr.fv[nd.args[t.arg]],
                    static_cast<size_t>(n) * sizeof(double));
      } else {
        const double *__restrict p = outF(t.prefix);
        const double *__restrict y = fr.fv[nd.args[t.arg]];
        for (int64_t r = 0; r < n; ++r)
          d[r] = p[r] * y[r];
      }
    }
    return;
  }
  case StepOp::Bucketize: {
    double *__restrict d = outF(0);
    const std::vector<double> &edges = nd.edges;
    if (edges.size() <= 16) {
      for (int64_t r = 0; r < n; ++r)
        d[r] = 0.0;
      for (double e : edges)
        for (int64_t r = 0; r < n; ++r)
          d[r] += x[r] < e ? 0.0 : 1.0;
    } else {
      // upper_bound stops at the first edge e with x < e: exactly the count
      // of edges with !(x < e) for strictly increasing edges (NaN: all).
      for (int64_t r = 0; r < n; ++r)
        d[r] = static_cast<double>(
            std::upper_bound(edges.begin(), edges.end(), x[r]) - edges.begin());
    }
    return;
  }
  case StepOp::Expr: {
    for (size_t i = 0; i < nd.args.size(); ++i)
      fr.exprArgs[i] = fr.fv[nd.args[i]];
    for (size_t t = 0; t < it.temps.size(); ++t)
      fr.exprTemps[t] = fr.fslot(it.temps[t]);
    nd.code.run(fr.exprArgs.get(), fr.exprTemps.get(), outF(0), n);
    return;
  }
  }
}

int64_t GenericInterpreter::checkNode(const Node &nd, Frame &fr,
                                      const void *const *args, int64_t base,
                                      int64_t n) const {
  int a = nd.args[0];
  int32_t *idx = fr.idx.get();
  switch (nd.inKind) {
  case ValueKind::Int:
    nd.intLookup.lookup(fr.iv[a], n, idx);
    break;
  case ValueKind::Float:
    nd.floatLookup.lookup(fr.fv[a], n, idx);
    break;
  case ValueKind::String:
    nd.stringLookup.lookup(stringOffsets(args, a, base), stringBytes(args, a),
                           n, idx);
    break;
  }
  int32_t bad = 0;
  for (int64_t r = 0; r < n; ++r)
    bad |= idx[r];
  if (bad >= 0)
    return -1;
  for (int64_t r = 0; r < n; ++r)
    if (idx[r] < 0)
      return r;
  return -1;
}

std::string GenericInterpreter::formatValue(const Node &nd, const Frame &fr,
                                            const void *const *args,
                                            int64_t base, int64_t r) const {
  int a = nd.args[0];
  switch (nd.inKind) {
  case ValueKind::Int: {
    int64_t v = fr.iv[a][r];
    if (nd.inHasMissing && v == nd.inMissing)
      return "missing";
    return std::to_string(v);
  }
  case ValueKind::Float:
    return formatDouble(fr.fv[a][r]);
  case ValueKind::String: {
    const int64_t *off = stringOffsets(args, a, base + r);
    return quoteBytes(stringBytes(args, a) + off[0],
                      static_cast<size_t>(off[1] - off[0]));
  }
  }
  return "?";
}

/// Interleaves `M` f64 columns into rows of `m` elements of T (starting at
/// `o`), converting each value by a plain cast.
template <class T, int M>
void interleave(const double *const *cols, T *o, int64_t m, int64_t n) {
  const double *c[M];
  for (int j = 0; j < M; ++j)
    c[j] = cols[j];
  for (int64_t r = 0; r < n; ++r) {
    T *__restrict row = o + r * m;
    for (int j = 0; j < M; ++j)
      row[j] = static_cast<T>(c[j][r]);
  }
}

template <class T>
void GenericInterpreter::scatter(const double *const *cols, T *out,
                                 int64_t base, int64_t n) const {
  // Every output has an f64 view (Int outputs through their shadow). Rows
  // are written in order, 8 columns at a time, with the column pointers in
  // registers.
  int64_t m = static_cast<int64_t>(outputs_.size());
  T *o = out + base * m;
  int64_t j = 0;
  for (; j + 8 <= m; j += 8)
    interleave<T, 8>(cols + j, o + j, m, n);
  switch (m - j) {
  case 7:
    interleave<T, 7>(cols + j, o + j, m, n);
    break;
  case 6:
    interleave<T, 6>(cols + j, o + j, m, n);
    break;
  case 5:
    interleave<T, 5>(cols + j, o + j, m, n);
    break;
  case 4:
    interleave<T, 4>(cols + j, o + j, m, n);
    break;
  case 3:
    interleave<T, 3>(cols + j, o + j, m, n);
    break;
  case 2:
    interleave<T, 2>(cols + j, o + j, m, n);
    break;
  case 1:
    interleave<T, 1>(cols + j, o + j, m, n);
    break;
  default:
    break;
  }
}

int64_t GenericInterpreter::execute(const Program &prog,
                                    const void *const *args,
                                    const BlockSink *sink, int64_t begin,
                                    int64_t end, Failure *fail) const {
  Frame fr;
  int64_t slotBytes = (static_cast<int64_t>(prog.numF) + prog.numI + 1) * 8;
  fr.B =
      std::max<int64_t>(1, std::min<int64_t>(kInterpreterBlockRows,
                                             kScratchBudgetBytes / slotBytes));
  fr.B = std::min(fr.B, end - begin);
  size_t numValues = values_.size();
  if (!fr.allocate(prog, numValues, sink ? outputs_.size() : 0))
    return kOutOfMemory;
  for (size_t v = 0; v < numValues; ++v) {
    if (prog.fslot[v] >= 0)
      fr.fv[v] = fr.fslot(prog.fslot[v]);
    if (prog.islot[v] >= 0)
      fr.iv[v] = fr.islot(prog.islot[v]);
    if (prog.shadow[v] >= 0)
      fr.fv[v] = fr.fslot(prog.shadow[v]);
  }

  for (int64_t base = begin; base < end; base += fr.B) {
    int64_t n = std::min(fr.B, end - base);
    gatherInputs(prog, fr, args, base, n);
    int64_t firstBad = -1;
    for (const Item &it : prog.items) {
      const Node &nd = nodes_[it.node];
      if (it.check) {
        int64_t r = checkNode(nd, fr, args, base, n);
        if (r >= 0 && (firstBad < 0 || r < firstBad)) {
          firstBad = r;
          if (fail) {
            fail->node = it.node;
            fail->value = formatValue(nd, fr, args, base, r);
          }
        }
      }
      if (it.compute)
        computeNode(nd, it, prog, fr, args, base, n);
    }
    if (firstBad >= 0)
      return base + firstBad;
    if (sink) {
      for (size_t j = 0; j < outputs_.size(); ++j)
        fr.outCols[j] = fr.fv[outputs_[j]];
      (*sink)(fr.outCols.get(), base, n);
    }
  }
  return -1;
}

int64_t GenericInterpreter::runBlocks(const void *const *args, int64_t rows,
                                      BlockSink sink) const {
  if (rows <= 0)
    return 0;
  if (hasChecks_) {
    int64_t bad = execute(check_, args, nullptr, 0, rows, nullptr);
    if (bad == kOutOfMemory)
      return -1;
    if (bad >= 0)
      return bad + 1;
  }
  // The main program allocates before it hands out any block.
  if (execute(main_, args, &sink, 0, rows, nullptr) == kOutOfMemory)
    return -1;
  return 0;
}

int64_t GenericInterpreter::run(const void *const *args, void *out,
                                int64_t rows) const {
  auto scatterBlock = [&](const double *const *cols, int64_t base,
                          int64_t n) {
    if (outType_ == DType::F32)
      scatter(cols, static_cast<float *>(out), base, n);
    else
      scatter(cols, static_cast<double *>(out), base, n);
  };
  return runBlocks(args, rows, scatterBlock);
}

std::string GenericInterpreter::describeFailure(const void *const *args,
                                                int64_t row) const {
  std::string head = "row " + std::to_string(row) + ": ";
  Failure fail;
  if (!hasChecks_ || row < 0)
    return head + "no data check fails";
  int64_t r = execute(check_, args, nullptr, row, row + 1, &fail);
  if (r == kOutOfMemory)
    return head + "out of memory";
  if (r < 0)
    return head + "no data check fails";
  const Node &nd = nodes_[fail.node];
  return head + "steps[" + std::to_string(nd.step) + "] (" +
         jit::stepOpName(nd.op).str() + " of '" + nd.column + "'): value " +
         fail.value + " is not one of the categories";
}

/// The pipeline program of another family's preprocessing.
class PipelineFeatures final : public FeatureProgram {
public:
  explicit PipelineFeatures(std::unique_ptr<GenericInterpreter> ip)
      : ip_(std::move(ip)) {}
  size_t numColumns() const override { return ip_->numOutputColumns(); }
  int64_t run(const void *const *args, int64_t rows,
              BlockFn fn) const override {
    return ip_->runBlocks(args, rows, fn);
  }
  std::string describeFailure(const void *const *args,
                              int64_t row) const override {
    return ip_->describeFailure(args, row);
  }

private:
  std::unique_ptr<GenericInterpreter> ip_;
};

} // namespace

FeatureProgram::~FeatureProgram() = default;

llvm::Expected<std::unique_ptr<FeatureProgram>>
FeatureProgram::create(const jit::PipelineSpec &spec) {
  auto ip = GenericInterpreter::buildFeatures(spec);
  if (!ip)
    return ip.takeError();
  return std::unique_ptr<FeatureProgram>(
      std::make_unique<PipelineFeatures>(std::move(*ip)));
}

llvm::Expected<std::unique_ptr<Interpreter>>
Interpreter::create(const jit::Descriptor &d) {
  switch (d.kind()) {
  case jit::Kind::Series:
    return createSeriesInterpreter(d.series());
  case jit::Kind::Rules:
    return createRulesInterpreter(d.rules());
  case jit::Kind::Model:
    return createModelInterpreter(d.model());
  case jit::Kind::Train:
  case jit::Kind::Eval:
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "kind: a " + jit::kindName(d.kind()) +
            " descriptor does not compile into a kernel; run it with "
            "jit::" + (d.kind() == jit::Kind::Train ? "train" : "evaluate") +
            " or `specjit " + jit::kindName(d.kind()) + "`");
  case jit::Kind::Pipeline:
    break;
  }
  auto ip = GenericInterpreter::build(d);
  if (!ip)
    return ip.takeError();
  return std::unique_ptr<Interpreter>(std::move(*ip));
}

} // namespace interp
} // namespace specjit
