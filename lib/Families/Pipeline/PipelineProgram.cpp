//===- PipelineProgram.cpp - The pipeline interpreter's programs ---------===//
//
// GenericInterpreter::build turns the analyzed Plan into two programs:
//
//  - the main program: the nodes whose results reach the output (others are
//    dead and skipped), then a scatter of the output columns;
//  - the check program (only when some one_hot has unknown: "error"): the
//    nodes needed to compute the checked columns, then the checks.
//
// Each program is run a block of rows at a time (PipelineInterpreter.cpp).
// Every value (SSA column of the plan) lives in a block-sized scratch slot:
// f64 for Float values, i64 for Int values (plus an f64 "shadow" slot when
// an op reads the Int as a Float). f64 and i64 inputs are read in place;
// other inputs are widened into slots. Slots are assigned at build() time
// by a linear scan over the program, so values that are dead share storage.
//
// Numerics follow docs/pipeline-semantics.md operation by operation.
//
//===----------------------------------------------------------------------===//

#include "Families/Pipeline/PipelineInterpreter.h"
#include "Families/Pipeline/PipelineSpec.h"

#include "Descriptor/PolynomialTerms.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace specjit {
namespace interp {
namespace pipeline {

namespace {

llvm::Error planError(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "interpreter: " + msg);
}

} // namespace

llvm::Expected<std::unique_ptr<GenericInterpreter>>
GenericInterpreter::build(const jit::PipelineSpec &spec) {
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
    ValueKind want = in.type == DType::String                           ? ValueKind::String
                     : (in.type == DType::F32 || in.type == DType::F64) ? ValueKind::Float
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
        return planError("node " + std::to_string(n) + " reads an undefined value");
    for (int r : pn.results) {
      if (r < 0 || r >= numValues || producer[r] != -1)
        return planError("node " + std::to_string(n) + " writes an invalid value");
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
      return planError("string column '" + plan.values[o].name + "' reaches the output");
  }
  I.outputs_ = plan.outputs;
  for (const Node &nd : I.nodes_)
    I.hasChecks_ |= nd.checkUnknown;
  I.main_ = I.schedule(/*mainProgram=*/true);
  if (I.hasChecks_)
    I.check_ = I.schedule(/*mainProgram=*/false);
  return ip;
}

llvm::Error GenericInterpreter::prepareNode(const jit::PipelineSpec &spec, const jit::PlanNode &pn,
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
      if (!(std::trunc(v) == v && v >= -9223372036854775808.0 && v < 9223372036854775808.0))
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
          if (!(std::trunc(c) == c && c >= -9223372036854775808.0 && c < 9223372036854775808.0))
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
        nd.codesOrDefault.push_back(st.codes.empty() ? static_cast<double>(j) : st.codes[j]);
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
    // Results in scikit-learn's order (PolynomialTerms.h). Like
    // scikit-learn, a term of degree d >= 2 is (the term of all its factors
    // but the first, an earlier result) times its first factor, so results
    // agree bit for bit.
    std::vector<PolyTerm> &terms = nd.poly;
    std::map<std::vector<unsigned>, int> posOf;
    bool tooMany = false;
    jit::forEachPolynomialTerm(
        static_cast<unsigned>(n), static_cast<unsigned>(st.degree), st.interactionOnly,
        st.includeBias, [&](llvm::ArrayRef<unsigned> t) {
          int pos = static_cast<int>(terms.size());
          if (t.size() < 2) {
            terms.push_back({pos, -1, t.empty() ? -1 : static_cast<int>(t[0])});
          } else {
            terms.push_back({pos, posOf.at(std::vector<unsigned>(t.begin() + 1, t.end())),
                             static_cast<int>(t[0])});
            tooMany = terms.size() > pn.results.size();
          }
          if (!t.empty())
            posOf.emplace(std::vector<unsigned>(t.begin(), t.end()), pos);
          return !tooMany;
        });
    if (tooMany)
      return planError(where + ": more polynomial terms than results");
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
        prog.maxExprArgs = std::max(prog.maxExprArgs, static_cast<int>(nd.args.size()));
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

} // namespace pipeline
} // namespace interp
} // namespace specjit
