//===- PipelineInterpreter.cpp - The generic interpreter of `pipeline` ----===//
//
// Runs the programs PipelineProgram.cpp builds a block of rows at a time:
// gathers (and widens) the inputs, computes each node into its scratch slot,
// runs the data checks, and scatters the output columns. The check program
// runs over every row before the main program writes anything.
//
// Numerics follow docs/pipeline-semantics.md operation by operation.
//
// Also the pipeline family's entry points: the interpreter of a pipeline
// descriptor, and the FeatureProgram other families' preprocessing runs on.
//
//===----------------------------------------------------------------------===//

#include "Families/Pipeline/PipelineInterpreter.h"
#include "Families/Pipeline/PipelineSpec.h"

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
namespace pipeline {

namespace {

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

} // namespace

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

void GenericInterpreter::gatherInputs(const Program &prog, Frame &fr, const void *const *args,
                                      int64_t base, int64_t n) const {
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

void GenericInterpreter::computeNode(const Node &nd, const Item &it, const Program &prog, Frame &fr,
                                     const void *const *args, int64_t base, int64_t n) const {
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
      nd.stringLookup.lookup(stringOffsets(args, a, base), stringBytes(args, a), n, idx);
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
      nd.stringLookup.lookup(stringOffsets(args, a, base), stringBytes(args, a), n, idx);
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
        std::memcpy(d, fr.fv[nd.args[t.arg]], static_cast<size_t>(n) * sizeof(double));
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
        d[r] =
            static_cast<double>(std::upper_bound(edges.begin(), edges.end(), x[r]) - edges.begin());
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

int64_t GenericInterpreter::checkNode(const Node &nd, Frame &fr, const void *const *args,
                                      int64_t base, int64_t n) const {
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
    nd.stringLookup.lookup(stringOffsets(args, a, base), stringBytes(args, a), n, idx);
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
                                            const void *const *args, int64_t base,
                                            int64_t r) const {
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
    return quoteBytes(stringBytes(args, a) + off[0], static_cast<size_t>(off[1] - off[0]));
  }
  }
  return "?";
}

/// Interleaves `M` f64 columns into rows of `m` elements of T (starting at
/// `o`), converting each value by a plain cast.
template <class T, int M> void interleave(const double *const *cols, T *o, int64_t m, int64_t n) {
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
void GenericInterpreter::scatter(const double *const *cols, T *out, int64_t base, int64_t n) const {
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

int64_t GenericInterpreter::execute(const Program &prog, const void *const *args,
                                    const BlockSink *sink, int64_t begin, int64_t end,
                                    Failure *fail) const {
  Frame fr;
  int64_t slotBytes = (static_cast<int64_t>(prog.numF) + prog.numI + 1) * 8;
  fr.B = std::max<int64_t>(
      1, std::min<int64_t>(kInterpreterBlockRows, kScratchBudgetBytes / slotBytes));
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

int64_t GenericInterpreter::runBlocks(const void *const *args, int64_t rows, BlockSink sink) const {
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

int64_t GenericInterpreter::run(const void *const *args, void *out, int64_t rows) const {
  auto scatterBlock = [&](const double *const *cols, int64_t base, int64_t n) {
    if (outType_ == DType::F32)
      scatter(cols, static_cast<float *>(out), base, n);
    else
      scatter(cols, static_cast<double *>(out), base, n);
  };
  return runBlocks(args, rows, scatterBlock);
}

std::string GenericInterpreter::describeFailure(const void *const *args, int64_t row) const {
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
  return head + "steps[" + std::to_string(nd.step) + "] (" + jit::stepOpName(nd.op).str() +
         " of '" + nd.column + "'): value " + fail.value + " is not one of the categories";
}

namespace {

/// The pipeline program of another family's preprocessing.
class PipelineFeatures final : public FeatureProgram {
public:
  explicit PipelineFeatures(std::unique_ptr<GenericInterpreter> ip) : ip_(std::move(ip)) {}
  size_t numColumns() const override { return ip_->numOutputColumns(); }
  int64_t run(const void *const *args, int64_t rows, BlockFn fn) const override {
    return ip_->runBlocks(args, rows, fn);
  }
  std::string describeFailure(const void *const *args, int64_t row) const override {
    return ip_->describeFailure(args, row);
  }

private:
  std::unique_ptr<GenericInterpreter> ip_;
};

} // namespace
} // namespace pipeline

llvm::Expected<std::unique_ptr<FeatureProgram>>
FeatureProgram::create(const jit::PipelineSpec &spec) {
  auto ip = pipeline::GenericInterpreter::buildFeatures(spec);
  if (!ip)
    return ip.takeError();
  return std::unique_ptr<FeatureProgram>(
      std::make_unique<pipeline::PipelineFeatures>(std::move(*ip)));
}

llvm::Expected<std::unique_ptr<Interpreter>>
createPipelineInterpreter(const jit::PipelineSpec &spec) {
  auto ip = pipeline::GenericInterpreter::build(spec);
  if (!ip)
    return ip.takeError();
  return std::unique_ptr<Interpreter>(std::move(*ip));
}

} // namespace interp
} // namespace specjit
