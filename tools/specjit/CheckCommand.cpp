//===- CheckCommand.cpp - specjit check: self-checking reference cases ----===//
//
// `specjit check CASE.json...` runs reference cases: files that hold a
// descriptor (or an XGBoost model), its inputs and what an external
// reference (scikit-learn, numpy, pandas, XGBoost, a plain model of the
// semantics pages) computes for them. Each case runs through the JIT (it
// must compile: a fallback to the interpreter is a failure) and through the
// interpreter; both must match the reference within the case's rtol/atol,
// and each other bit for bit (within 4 ulp where exp/log/log1p/pow are
// involved, which compiled code may take from a vector math library). One
// line per case ("ok" or "FAIL", then what failed); exit status 1 when any
// case failed. lit runs every case of test/data/<family>/ this way
// (test/data/lit.local.cfg); test/reference/gen_*_reference.py write them.
//
// Case files, by what they hold:
//   rows (pipeline, model): {"descriptor", "inputs": {name: [values]},
//       "columns", "expected": [[...]], "rtol", "atol"}; tree ensembles run
//       in both code shapes, and every JIT kernel also on an unaligned
//       slice of odd length.
//   series: as rows; the kernels are also fed through Kernel::stream() in
//       chunks of many sizes (zero included), which must give the bits of
//       one run on both backends.
//   rules: {"descriptor", "state": [[...]] (initial rows x meters),
//       "expected", optional "rtol"/"atol" (absent: exact)}; also an
//       unaligned slice, and a second run in place.
//   XGBoost: {"model_file" (beside the case), "inputs", "columns",
//       "columns_margin", "expected" (Booster.predict), "expected_margin"
//       (output_margin=True), "rtol", "atol"}; imported with and without
//       --margin, each in both code shapes. Margins and argmax classes must
//       equal XGBoost's f32 values exactly (`float32: true`).
// Values: numbers, null for NaN, "inf"/"-inf"/"nan"; integers for integer
// inputs, true/false (or 0/1) for bool, strings for string inputs. An f32
// output adds one f32 rounding to the tolerance; for an f32 rules state the
// expected values are the f32 results' shortest decimals, rounded to f32
// before comparing.
//
//===----------------------------------------------------------------------===//

#include "Check.h"
#include "Driver.h"

#include "Families/Family.h"
#include "Families/Model/ModelSpec.h"
#include "Families/Pipeline/PipelineSpec.h"
#include "Families/Rules/RulesSpec.h"

#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Import.h"
#include "specjit/Kernel.h"
#include "specjit/ReadFile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>

namespace specjit {
namespace tools {

namespace check {

using namespace jit;
namespace json = llvm::json;

/// Fills `buf` with the values of input `in` (path `where`).
llvm::Error fillInput(const InputColumn &in, const json::Array &values, const std::string &where,
                      InputBuffer &buf) {
  buf.type = in.type;
  buf.rows = static_cast<int64_t>(values.size());
  if (in.type == DType::String)
    buf.offsets.push_back(0);
  for (size_t i = 0; i < values.size(); ++i) {
    const json::Value &v = values[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    switch (in.type) {
    case DType::F64:
    case DType::F32: {
      auto d = caseDouble(v);
      if (!d)
        return caseError(at + ": expected " + std::string(kCaseDoubleForms));
      if (in.type == DType::F64) {
        buf.f64.push_back(*d);
      } else {
        if (std::isfinite(*d) && std::fabs(*d) > std::numeric_limits<float>::max())
          return caseError(at + ": " + number(*d) + " is outside the f32 range");
        buf.f32.push_back(static_cast<float>(*d));
      }
      break;
    }
    case DType::I64:
    case DType::I32: {
      auto n = v.getAsInteger();
      if (!n)
        return caseError(at + ": expected an integer");
      if (in.type == DType::I64) {
        buf.i64.push_back(*n);
      } else {
        if (*n < std::numeric_limits<int32_t>::min() || *n > std::numeric_limits<int32_t>::max())
          return caseError(at + ": out of range for i32");
        buf.i32.push_back(static_cast<int32_t>(*n));
      }
      break;
    }
    case DType::Bool:
      if (auto b = v.getAsBoolean())
        buf.boolean.push_back(*b ? 1 : 0);
      else if (auto n = v.getAsInteger(); n && (*n == 0 || *n == 1))
        buf.boolean.push_back(static_cast<uint8_t>(*n));
      else
        return caseError(at + ": expected true, false, 0 or 1");
      break;
    case DType::String: {
      auto s = v.getAsString();
      if (!s)
        return caseError(at + ": expected a string");
      buf.bytes.append(s->data(), s->size());
      buf.offsets.push_back(static_cast<int64_t>(buf.bytes.size()));
      break;
    }
    }
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<InputBuffer>> readColumns(const json::Object &top, llvm::StringRef key,
                                                     const std::vector<InputColumn> &columns,
                                                     int64_t &rows) {
  std::vector<InputBuffer> out;
  rows = -1;
  if (columns.empty())
    return out;
  const json::Object *object = top.getObject(key);
  if (!object)
    return caseError("missing \"" + key + "\" object");
  for (const InputColumn &in : columns) {
    std::string where = key.str() + "." + in.name;
    const json::Array *values = object->getArray(in.name);
    if (!values)
      return caseError(where + ": missing");
    InputBuffer buf;
    if (llvm::Error err = fillInput(in, *values, where, buf))
      return std::move(err);
    if (rows >= 0 && buf.rows != rows)
      return caseError(where + ": " + std::to_string(buf.rows) + " rows, the first column " +
                       std::to_string(rows));
    rows = buf.rows;
    out.push_back(std::move(buf));
  }
  return out;
}

std::vector<Column> columnsAt(const std::vector<InputBuffer> &inputs, int64_t begin, int64_t n) {
  std::vector<Column> cols;
  for (const InputBuffer &b : inputs)
    cols.push_back(b.column(begin, n));
  return cols;
}

llvm::Expected<Tolerance> readTolerance(const json::Object &top, bool optional) {
  Tolerance tol;
  if (optional && !top.get("rtol") && !top.get("atol"))
    return tol;
  auto r = top.getNumber("rtol");
  auto a = top.getNumber("atol");
  if (!r || !a || *r < 0 || *a < 0)
    return caseError("\"rtol\" and \"atol\" must be non-negative numbers");
  tol.rtol = *r;
  tol.atol = *a;
  return tol;
}

namespace {

/// The descriptor's inputs, read from the case's "inputs" object.
llvm::Expected<std::vector<InputBuffer>> readInputs(const json::Object &top, const Descriptor &d,
                                                    int64_t &rows) {
  return readColumns(top, "inputs", d.inputs(), rows);
}

using Rows = std::vector<std::vector<double>>;

/// `key` of `top` as `rows` x `cols` values.
llvm::Expected<Rows> readMatrix(const json::Object &top, llvm::StringRef key, size_t cols,
                                int64_t rows) {
  const json::Array *m = top.getArray(key);
  if (!m)
    return caseError("missing \"" + key + "\"");
  if (static_cast<int64_t>(m->size()) != rows)
    return caseError(key + ": " + std::to_string(m->size()) + " rows, the inputs " +
                     std::to_string(rows));
  Rows out;
  for (size_t r = 0; r < m->size(); ++r) {
    const json::Array *row = (*m)[r].getAsArray();
    std::string where = key.str() + "[" + std::to_string(r) + "]";
    if (!row || row->size() != cols)
      return caseError(where + ": expected an array of " + std::to_string(cols) + " values");
    std::vector<double> values;
    for (const json::Value &v : *row) {
      auto x = caseDouble(v);
      if (!x)
        return caseError(where + ": expected a number, null, \"inf\" or \"-inf\"");
      values.push_back(*x);
    }
    out.push_back(std::move(values));
  }
  return out;
}

llvm::Expected<std::vector<std::string>> readStrings(const json::Object &top, llvm::StringRef key) {
  const json::Array *a = top.getArray(key);
  if (!a)
    return caseError("missing \"" + key + "\"");
  std::vector<std::string> out;
  for (const json::Value &v : *a) {
    auto s = v.getAsString();
    if (!s)
      return caseError(key + ": expected strings");
    out.push_back(s->str());
  }
  return out;
}

/// A matrix in a kernel's output type, kept in that type so comparisons
/// are exact.
struct Matrix {
  DType type = DType::F64;
  int64_t rows = 0, cols = 0;
  std::vector<double> f64;
  std::vector<float> f32;

  /// A value no case produces, so unwritten cells show up.
  static constexpr double kPoison = 1.2345e30;

  void init(DType t, int64_t r, int64_t c, double fill = kPoison) {
    type = t;
    rows = r;
    cols = c;
    size_t cells = static_cast<size_t>(r * c);
    f64.clear();
    f32.clear();
    if (t == DType::F64)
      f64.assign(cells, fill);
    else
      f32.assign(cells, static_cast<float>(fill));
  }
  double at(int64_t r, int64_t c) const {
    size_t i = static_cast<size_t>(r * cols + c);
    return type == DType::F64 ? f64[i] : static_cast<double>(f32[i]);
  }
  void set(int64_t r, int64_t c, double v) {
    size_t i = static_cast<size_t>(r * cols + c);
    if (type == DType::F64)
      f64[i] = v;
    else
      f32[i] = static_cast<float>(v);
  }
  /// Rows [begin, begin + n) as an Output view.
  Output view(int64_t begin, int64_t n) {
    size_t off = static_cast<size_t>(begin * cols);
    return type == DType::F64 ? Output::f64(f64.data() + off, n, cols)
                              : Output::f32(f32.data() + off, n, cols);
  }
  bool sameBits(const Matrix &o, int64_t r, int64_t c) const {
    size_t i = static_cast<size_t>(r * cols + c);
    return type == DType::F64 ? std::memcmp(&f64[i], &o.f64[i], sizeof(double)) == 0
                              : std::memcmp(&f32[i], &o.f32[i], sizeof(float)) == 0;
  }
  /// Distance in units in the last place of the output type between two
  /// finite cells (+0 and -0 are one apart).
  uint64_t ulps(const Matrix &o, int64_t r, int64_t c) const {
    size_t i = static_cast<size_t>(r * cols + c);
    return type == DType::F64 ? ulpDistance<double, uint64_t>(f64[i], o.f64[i])
                              : ulpDistance<float, uint32_t>(f32[i], o.f32[i]);
  }

private:
  template <typename T, typename U> static uint64_t ulpDistance(T a, T b) {
    static_assert(sizeof(T) == sizeof(U), "");
    auto key = [](T x) {
      U u;
      std::memcpy(&u, &x, sizeof u);
      constexpr U sign = U(1) << (sizeof(U) * 8 - 1);
      return (u & sign) ? U(~u) : U(u | sign);
    };
    U ka = key(a), kb = key(b);
    return ka > kb ? uint64_t(ka - kb) : uint64_t(kb - ka);
  }
};

/// How closely the JIT must agree with the interpreter: bit for bit
/// (maxUlps 0), or within maxUlps, or within absEpsilons machine epsilons
/// of absolute difference (a linear step after a log can cancel leading
/// digits and turn a few ulp into more).
struct Agreement {
  unsigned maxUlps = 0;
  double absEpsilons = 0;
};
constexpr Agreement kBitForBit{0, 0};
/// Kernels that call exp, log, pow or tanh (Family::callsTranscendentals):
/// a vector math library's results are within 4 ulp of the C library's.
constexpr Agreement kVectorMath{4, 0};
/// ... and rows of a pipeline or model, where a linear step after a log
/// can cancel leading digits: also within 64 epsilons absolute.
constexpr Agreement kVectorMathRows{4, 64};

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

/// Checks rows [0, got.rows) of `got` against expected rows [begin, ...).
void expectMatches(Report &report, const Rows &expected, const std::vector<std::string> &columns,
                   const Matrix &got, int64_t begin, const Tolerance &tol,
                   const std::string &what) {
  if (got.cols != static_cast<int64_t>(columns.size()) || begin < 0 ||
      begin + got.rows > static_cast<int64_t>(expected.size())) {
    report.fail(what + ": " + std::to_string(got.cols) + " output columns over rows " +
                std::to_string(begin) + ".." + std::to_string(begin + got.rows) +
                ", the reference has " + std::to_string(columns.size()) + " columns over " +
                std::to_string(expected.size()) + " rows");
    return;
  }
  size_t outside = 0, inexact = 0, reported = 0;
  for (int64_t r = 0; r < got.rows; ++r) {
    for (int64_t c = 0; c < got.cols; ++c) {
      double want = expected[static_cast<size_t>(begin + r)][static_cast<size_t>(c)];
      if (tol.roundExpectedToF32)
        want = static_cast<double>(static_cast<float>(want));
      double have = got.at(r, c);
      bool ok = withinTolerance(have, want, tol.atol, tol.rtol + tol.extraRel);
      float wantF32 = static_cast<float>(want), haveF32 = static_cast<float>(have);
      bool bits =
          !tol.exactF32 || std::isnan(want) || std::memcmp(&wantF32, &haveF32, sizeof(float)) == 0;
      outside += !ok;
      inexact += !bits;
      if ((!ok || !bits) && reported++ < 10)
        report.fail(what + ": row " + std::to_string(begin + r) + ", column '" +
                    columns[static_cast<size_t>(c)] + "': got " + number(have) + ", expected " +
                    number(want) +
                    (ok ? " (within tolerance, but not bit for bit)"
                        : " (rtol " + shortNumber(tol.rtol, "nan") + ", atol " +
                              shortNumber(tol.atol, "nan") + ")"));
    }
  }
  if (outside)
    report.fail(what + ": " + std::to_string(outside) + " values outside tolerance");
  if (inexact)
    report.fail(what + ": " + std::to_string(inexact) +
                " values differ from the reference's f32 result");
}

/// Checks that `a` and `b` agree as `agreement` says (any NaN matches any
/// NaN: payload and sign may differ).
void expectSame(Report &report, const std::vector<std::string> &columns, const Matrix &a,
                const Matrix &b, Agreement agreement, const std::string &what) {
  if (a.type != b.type || a.rows != b.rows || a.cols != b.cols) {
    report.fail(what + ": the outputs differ in type or shape");
    return;
  }
  double eps = a.type == DType::F64 ? std::numeric_limits<double>::epsilon()
                                    : std::numeric_limits<float>::epsilon();
  size_t failures = 0;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t c = 0; c < a.cols; ++c) {
      double x = a.at(r, c), y = b.at(r, c);
      bool ok;
      if (std::isnan(x) || std::isnan(y))
        ok = std::isnan(x) && std::isnan(y);
      else if (agreement.maxUlps == 0)
        ok = a.sameBits(b, r, c);
      else if (std::isinf(x) || std::isinf(y))
        ok = x == y;
      else
        ok =
            a.ulps(b, r, c) <= agreement.maxUlps || std::fabs(x - y) <= agreement.absEpsilons * eps;
      if (!ok && failures++ < 10)
        report.fail(what + ": row " + std::to_string(r) + ", column '" +
                    columns[static_cast<size_t>(c)] + "': " + number(x) + " != " + number(y));
    }
  }
  if (failures)
    report.fail(what + ": " + std::to_string(failures) + " values differ" +
                (agreement.maxUlps ? " beyond " + std::to_string(agreement.maxUlps) + " ulp" : ""));
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// The interpreter's kernel for `d`.
std::optional<Kernel> interpreterKernel(Report &report, const Descriptor &d,
                                        const std::string &what) {
  CompileOptions opts;
  opts.specialize = false;
  opts.useCache = false;
  llvm::Expected<Kernel> k = compile(d, opts);
  if (!k) {
    report.fail(what + " (interpreter): " + llvm::toString(k.takeError()));
    return std::nullopt;
  }
  if (k->backend() != Backend::Interpreter || k->specialized())
    report.fail(what + ": specialize = false did not give the interpreter");
  if (k->outputNames() != d.outputNames() || k->outputType() != d.outputType())
    report.fail(what + ": the kernel's outputs are not the descriptor's");
  return std::move(*k);
}

/// The compiled kernel for `d` in `layout`; it must run compiled code.
std::optional<Kernel> jitKernel(Report &report, const Descriptor &d, TreeLayout layout,
                                const std::string &what) {
  CompileOptions opts;
  opts.specialize = true;
  opts.useCache = false;
  opts.treeLayout = layout;
  llvm::Expected<Kernel> k = compile(d, opts);
  if (!k) {
    report.fail(what + ": " + llvm::toString(k.takeError()));
    return std::nullopt;
  }
  if (k->backend() != Backend::Jit || !k->specialized())
    report.fail(what + ": fell back to the interpreter: " + k->fallbackReason());
  if (k->hash() != d.hash())
    report.fail(what + ": the kernel's hash is not the descriptor's");
  if (k->numInputs() != d.inputs().size() || k->outputNames() != d.outputNames() ||
      k->outputType() != d.outputType())
    report.fail(what + ": the kernel's inputs or outputs are not the descriptor's");
  return std::move(*k);
}

/// Runs `k` over rows [begin, begin + n) of `inputs` into a fresh `out`.
bool runRows(Report &report, const Kernel &k, const std::vector<InputBuffer> &inputs, int64_t begin,
             int64_t n, Matrix &out, const std::string &what) {
  out.init(k.outputType(), n, static_cast<int64_t>(k.numOutputs()));
  if (llvm::Error err = k.run(columnsAt(inputs, begin, n), out.view(0, n))) {
    report.fail(what + ": " + llvm::toString(std::move(err)));
    return false;
  }
  return true;
}

/// The rows of an unaligned slice of odd length: exercises the remainder
/// of vectorized loops and offset views. {0, 0} when the case is too short.
std::pair<int64_t, int64_t> oddSlice(int64_t rows) {
  if (rows <= 4)
    return {0, 0};
  int64_t n = std::min<int64_t>(rows - 3, 37);
  return {3, n % 2 ? n : n - 1};
}

//===----------------------------------------------------------------------===//
// The cases
//===----------------------------------------------------------------------===//

/// What a rows check leaves for the series checks: the inputs, the
/// kernels and their outputs over every row.
struct RowsRun {
  std::vector<InputBuffer> inputs;
  int64_t rows = 0;
  std::optional<Kernel> jit, interp;
  Matrix jitOut, interpOut;
};

/// What a rows case gives a kernel `d`: its inputs, and the reference's
/// output columns (`columnsKey`, which must be d's output names) and
/// values (`expectedKey`) over at least one row.
struct RowsData {
  std::vector<InputBuffer> inputs;
  int64_t rows = 0;
  std::vector<std::string> columns;
  Rows expected;
};

llvm::Expected<RowsData> readRowsData(const json::Object &top, const Descriptor &d,
                                      llvm::StringRef columnsKey, llvm::StringRef expectedKey) {
  RowsData data;
  auto inputs = readInputs(top, d, data.rows);
  if (!inputs)
    return inputs.takeError();
  if (data.rows <= 0)
    return caseError("the case has no rows");
  auto columns = readStrings(top, columnsKey.str());
  if (!columns)
    return columns.takeError();
  auto expected = readMatrix(top, expectedKey.str(), columns->size(), data.rows);
  if (!expected)
    return expected.takeError();
  if (d.outputNames() != *columns)
    return caseError("\"" + columnsKey + "\" are not the descriptor's output names");
  data.inputs = std::move(*inputs);
  data.columns = std::move(*columns);
  data.expected = std::move(*expected);
  return data;
}

/// The checks every row kernel gets: the interpreter against the reference;
/// then per tree layout the JIT against the reference, against the
/// interpreter (within `agreement`) and, unless the rows are a stream's
/// (each depends on the ones before), over an unaligned odd slice. `run`
/// receives the kernels and their outputs (the last layout's JIT).
void checkKernels(Report &report, const Descriptor &d, const RowsData &data, const Tolerance &tol,
                  Agreement agreement, llvm::ArrayRef<TreeLayout> layouts, bool slices,
                  const std::string &prefix, RowsRun *run) {
  const std::string interpWhat = prefix + "interpreter";
  std::optional<Kernel> interp = interpreterKernel(report, d, interpWhat);
  Matrix interpOut;
  if (!interp || !runRows(report, *interp, data.inputs, 0, data.rows, interpOut, interpWhat))
    return;
  expectMatches(report, data.expected, data.columns, interpOut, 0, tol, interpWhat);
  for (TreeLayout layout : layouts) {
    std::string what = prefix + "jit";
    if (layout != TreeLayout::Auto)
      what += " (" + treeLayoutName(layout).str() + ")";
    std::optional<Kernel> jit = jitKernel(report, d, layout, what);
    Matrix jitOut;
    if (!jit || !runRows(report, *jit, data.inputs, 0, data.rows, jitOut, what))
      continue;
    expectMatches(report, data.expected, data.columns, jitOut, 0, tol, what);
    expectSame(report, data.columns, jitOut, interpOut, agreement, what + " vs interpreter");
    auto [begin, n] = oddSlice(slices ? data.rows : 0);
    Matrix slice;
    if (n && runRows(report, *jit, data.inputs, begin, n, slice, what + ", rows 3.."))
      expectMatches(report, data.expected, data.columns, slice, begin, tol, what + ", rows 3..");
    if (run) {
      run->jit = std::move(jit);
      run->jitOut = std::move(jitOut);
    }
  }
  if (run) {
    run->inputs = data.inputs;
    run->rows = data.rows;
    run->interp = std::move(interp);
    run->interpOut = std::move(interpOut);
  }
}

/// Rows cases (pipeline, model) and series cases: inputs in, a matrix out.
/// Returns a one-line summary; fills `run` when it is given.
llvm::Expected<std::string> checkRows(Report &report, const Case &c, RowsRun *run = nullptr) {
  const Descriptor &d = *c.descriptor;
  auto data = readRowsData(c.top, d, "columns", "expected");
  if (!data)
    return data.takeError();
  auto tol = readTolerance(c.top, /*optional=*/false);
  if (!tol)
    return tol.takeError();
  if (d.outputType() == DType::F32)
    tol->extraRel = std::numeric_limits<float>::epsilon();
  Agreement agreement = family(d.kind()).callsTranscendentals(d) ? kVectorMathRows : kBitForBit;
  std::vector<TreeLayout> layouts = {TreeLayout::Auto};
  if (d.kind() == Kind::Model && d.spec<ModelSpec>().type == ModelType::TreeEnsemble)
    layouts = {TreeLayout::Branches, TreeLayout::Walk};
  checkKernels(report, d, *data, *tol, agreement, layouts,
               /*slices=*/d.runShape() != RunShape::Stream, "", run);
  std::string summary = std::to_string(data->rows) + " rows";
  if (layouts.size() > 1)
    summary += ", both tree layouts";
  return summary;
}

/// Feeds rows through one stream of `k` in chunks of `sizes` (cycled until
/// every row is consumed).
void streamRows(Report &report, const Kernel &k, const std::vector<InputBuffer> &inputs,
                int64_t rows, const std::vector<int64_t> &sizes, Matrix &out,
                const std::string &what) {
  out.init(k.outputType(), rows, static_cast<int64_t>(k.numOutputs()));
  llvm::Expected<Stream> stream = k.stream();
  if (!stream) {
    report.fail(what + ": stream(): " + llvm::toString(stream.takeError()));
    return;
  }
  if (stream->backend() != k.backend())
    report.fail(what + ": the stream runs on " + backendName(stream->backend()).str() +
                ", its kernel on " + backendName(k.backend()).str());
  int64_t begin = 0;
  for (size_t i = 0; begin < rows; i = (i + 1) % sizes.size()) {
    int64_t n = std::min(sizes[i], rows - begin);
    if (llvm::Error err = stream->run(columnsAt(inputs, begin, n), out.view(begin, n))) {
      report.fail(what + ": chunk at row " + std::to_string(begin) + " (" + std::to_string(n) +
                  " rows): " + llvm::toString(std::move(err)));
      return;
    }
    begin += n;
    if (stream->rowsSeen() != begin) {
      report.fail(what + ": rowsSeen() is " + std::to_string(stream->rowsSeen()) + " after " +
                  std::to_string(begin) + " rows");
      return;
    }
  }
}

/// A deterministic seed per case file, so chunkings are reproducible.
uint64_t seedFor(llvm::StringRef name) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (char ch : name)
    h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

/// Series cases: the rows checks, then streaming: any chunking gives the
/// bits of one call, on both backends.
llvm::Expected<std::string> checkSeries(Report &report, const Case &c) {
  RowsRun run;
  auto summary = checkRows(report, c, &run);
  if (!summary || !run.jit || !run.interp)
    return summary;
  std::vector<std::string> columns = c.descriptor->outputNames();

  // Chunkings: single rows, small random sizes with zeros, and a few large
  // random pieces.
  std::mt19937_64 rng(seedFor(llvm::sys::path::filename(c.path)));
  std::vector<std::pair<std::string, std::vector<int64_t>>> chunkings;
  chunkings.push_back({"chunks of 1 row", {1}});
  std::vector<int64_t> small;
  for (int i = 0; i < 64; ++i)
    small.push_back(static_cast<int64_t>(rng() % 18)); // 0..17, zeros included
  small.push_back(1);                                  // never only zeros
  chunkings.push_back({"random chunks of 0..17 rows", small});
  std::vector<int64_t> large;
  int64_t cap = std::max<int64_t>(2, run.rows / 2);
  for (int i = 0; i < 8; ++i)
    large.push_back(1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(cap)));
  chunkings.push_back({"random chunks of up to half the series", large});

  for (const auto &[what, sizes] : chunkings) {
    Matrix streamed;
    streamRows(report, *run.jit, run.inputs, run.rows, sizes, streamed, "jit stream, " + what);
    expectSame(report, columns, streamed, run.jitOut, kBitForBit,
               "jit stream, " + what + ", vs one jit run");
    streamRows(report, *run.interp, run.inputs, run.rows, sizes, streamed,
               "interpreter stream, " + what);
    expectSame(report, columns, streamed, run.interpOut, kBitForBit,
               "interpreter stream, " + what + ", vs one interpreter run");
  }
  return *summary + ", " + std::to_string(chunkings.size()) + " stream chunkings";
}

/// Rules cases: the state runs in place.
llvm::Expected<std::string> checkRules(Report &report, const Case &c) {
  const Descriptor &d = *c.descriptor;
  const std::vector<std::string> &meters = d.outputNames();
  auto state0 = c.top.getArray("state");
  int64_t rows = state0 ? static_cast<int64_t>(state0->size()) : 0;
  auto state = readMatrix(c.top, "state", meters.size(), rows);
  if (!state)
    return state.takeError();
  auto expected = readMatrix(c.top, "expected", meters.size(), rows);
  if (!expected)
    return expected.takeError();
  // Absent tolerances mean exact: the reference performs the prescribed
  // operations in the prescribed order.
  auto tol = readTolerance(c.top, /*optional=*/true);
  if (!tol)
    return tol.takeError();
  if (rows <= 0)
    return caseError("the case has no rows");
  if (!d.inputs().empty())
    return caseError("rules take no inputs");
  tol->roundExpectedToF32 = d.outputType() == DType::F32;
  Agreement agreement = family(d.kind()).callsTranscendentals(d) ? kVectorMath : kBitForBit;

  // Runs `k` in place on a fresh copy of state rows [begin, begin + n).
  auto runState = [&](const Kernel &k, int64_t begin, int64_t n, Matrix &m,
                      const std::string &what) {
    m.init(k.outputType(), n, static_cast<int64_t>(meters.size()), 0.0);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t col = 0; col < m.cols; ++col)
        m.set(r, col, (*state)[static_cast<size_t>(begin + r)][static_cast<size_t>(col)]);
    if (llvm::Error err = k.run({}, m.view(0, n))) {
      report.fail(what + ": " + llvm::toString(std::move(err)));
      return false;
    }
    return true;
  };

  std::optional<Kernel> jit = jitKernel(report, d, TreeLayout::Auto, "jit");
  std::optional<Kernel> interp = interpreterKernel(report, d, "interpreter");
  Matrix jitOut, interpOut;
  if (!jit || !interp || !runState(*jit, 0, rows, jitOut, "jit") ||
      !runState(*interp, 0, rows, interpOut, "interpreter"))
    return "";
  expectMatches(report, *expected, meters, jitOut, 0, *tol, "jit");
  expectMatches(report, *expected, meters, interpOut, 0, *tol, "interpreter");
  expectSame(report, meters, jitOut, interpOut, agreement, "jit vs interpreter");

  // Rows are independent: an unaligned slice gives the same rows.
  auto [begin, n] = oddSlice(rows);
  Matrix slice;
  if (n && runState(*jit, begin, n, slice, "jit, rows 3.."))
    expectMatches(report, *expected, meters, slice, begin, *tol, "jit, rows 3..");

  // A second run in place starts from the first run's result: the kernels
  // read the state they are given, so they still agree (skipped after
  // exp/log/pow, whose few-ulp differences could cross a threshold).
  if (agreement.maxUlps == 0) { // bit for bit
    Matrix jitTwice = jitOut, interpTwice = interpOut;
    if (llvm::Error err = jit->run({}, jitTwice.view(0, rows)))
      report.fail("jit, second run: " + llvm::toString(std::move(err)));
    if (llvm::Error err = interp->run({}, interpTwice.view(0, rows)))
      report.fail("interpreter, second run: " + llvm::toString(std::move(err)));
    expectSame(report, meters, jitTwice, interpTwice, kBitForBit,
               "second run in place, jit vs interpreter");
  }
  return std::to_string(rows) + " rows";
}

/// XGBoost cases: the model imported as prediction and as margin, each in
/// both tree layouts.
llvm::Expected<std::string> checkXGBoost(Report &report, const Case &c) {
  llvm::StringRef modelFile = *c.top.getString("model_file");
  llvm::SmallString<256> modelPath = llvm::sys::path::parent_path(c.path);
  llvm::sys::path::append(modelPath, modelFile);
  auto modelText = readBoundedFile(modelPath, kModelReadLimit);
  if (!modelText)
    return modelText.takeError();
  auto tol = readTolerance(c.top, /*optional=*/false);
  if (!tol)
    return tol.takeError();
  int64_t rows = 0;
  for (bool margin : {false, true}) {
    std::string mode = margin ? "margin" : "prediction";
    XGBoostImportOptions opts;
    opts.margin = margin;
    auto text = importXGBoostJSON(*modelText, opts);
    if (!text)
      return caseError(mode + ": import: " + llvm::toString(text.takeError()));
    auto d = Descriptor::parse(*text);
    if (!d)
      return caseError(mode + ": the imported descriptor: " + llvm::toString(d.takeError()));
    if (d->kind() != Kind::Model)
      return caseError(mode + ": the import is not a model descriptor");
    auto data = readRowsData(c.top, *d, margin ? "columns_margin" : "columns",
                             margin ? "expected_margin" : "expected");
    if (!data)
      return caseError(mode + ": " + llvm::toString(data.takeError()));
    rows = data->rows;
    const ModelSpec &spec = d->spec<ModelSpec>();
    if (!spec.float32 || spec.margin != margin || d->outputType() != DType::F32)
      return caseError(
          mode + ": the import is not an f32 model with margin = " + (margin ? "true" : "false"));
    Tolerance t = *tol;
    t.extraRel = std::numeric_limits<float>::epsilon();
    // Margins are XGBoost's own f32 arithmetic; so is argmax's class index.
    t.exactF32 = margin || spec.link == Link::Identity || spec.link == Link::Argmax;
    // exp is involved only through the link, and only when the link runs.
    Agreement agreement = family(d->kind()).callsTranscendentals(*d) ? kVectorMath : kBitForBit;

    checkKernels(report, *d, *data, t, agreement, {TreeLayout::Branches, TreeLayout::Walk},
                 /*slices=*/true, mode + ", ", nullptr);
  }
  return std::to_string(rows) + " rows, prediction and margin, both tree layouts";
}

/// Loads `path` and checks it; prints its line. Returns whether it passed.
bool checkCase(const std::string &path) {
  llvm::raw_ostream &os = llvm::outs();
  Report report;
  llvm::Expected<std::string> summary = [&]() -> llvm::Expected<std::string> {
    auto text = readBoundedFile(path, kDescriptorReadLimit);
    if (!text)
      return text.takeError();
    auto doc = json::parse(*text);
    if (!doc)
      return doc.takeError();
    Case c;
    c.path = path;
    if (!doc->getAsObject())
      return caseError("expected a JSON object");
    c.top = std::move(*doc->getAsObject());
    if (c.top.getString("model_file"))
      return checkXGBoost(report, c);
    if (!c.top.get("descriptor") && c.top.get("labels"))
      return checkFolds(report, c);
    const json::Value *desc = c.top.get("descriptor");
    if (!desc)
      return caseError("missing \"descriptor\" (or \"model_file\")");
    auto d = Descriptor::fromJSON(*desc);
    if (!d)
      return caseError("descriptor: " + llvm::toString(d.takeError()));
    c.descriptor.emplace(std::move(*d));
    // By how the family's kernel maps data to its output.
    switch (c.descriptor->runShape()) {
    case RunShape::Rows:
      return checkRows(report, c);
    case RunShape::Stream:
      return checkSeries(report, c);
    case RunShape::State:
      return checkRules(report, c);
    case RunShape::Driven:
      break;
    }
    // Kernels driven by an API call (CheckTrainEval.cpp).
    if (c.descriptor->kind() == Kind::Train)
      return checkTrain(report, c);
    if (c.descriptor->kind() == Kind::Eval)
      return checkEval(report, c);
    return caseError("a " + kindName(c.descriptor->kind()) + " descriptor is not a reference case");
  }();
  if (!summary) {
    os << "FAIL " << path << ": " << llvm::toString(summary.takeError()) << "\n";
    report.print(os); // what failed before the case stopped
    return false;
  }
  os << (report.failed() ? "FAIL " : "ok   ") << path << ": " << *summary << "\n";
  report.print(os);
  return !report.failed();
}

} // namespace
} // namespace check

int cmdCheck(int argc, char **argv) {
  Args a(argc, argv, {}, {});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.empty())
    return fail("check needs at least one CASE.json");
  int failed = 0;
  for (const std::string &path : a.positional)
    failed += !check::checkCase(path);
  if (a.positional.size() > 1)
    llvm::outs() << a.positional.size() - failed << " of " << a.positional.size()
                 << " cases passed\n";
  return failed ? 1 : 0;
}

} // namespace tools
} // namespace specjit
