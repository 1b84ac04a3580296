//===- FamilyReferenceTest.cpp - Series and rules against their references ===//
//
// Every file in test/data/series/*.json (written by
// test/reference/gen_series_reference.py from pandas and a plain model of
// docs/series-semantics.md) and test/data/rules/*.json (written by
// test/reference/gen_rules_reference.py from a plain Python loop of
// docs/rules-semantics.md) is one test. The descriptor runs through the JIT
// (specialize = true; it must compile) and through the interpreter
// (specialize = false). Both must match the file's `expected` within its
// rtol/atol (NaN matches NaN), and they must match each other bit for bit
// (within 4 ulp when a rules expression uses exp/log/log1p/pow, which
// compiled code may take from a vector math library).
//
// Series kernels are also fed through Kernel::stream() in chunks of many
// sizes (zero included): the concatenated chunks must equal one run() bit
// for bit, on both backends. Rules kernels are also run on an unaligned
// slice of the state matrix (rows are independent).
//
// Files:
//   series: {"descriptor", "inputs": {name: [values]}, "columns",
//            "expected": [[...]], "rtol", "atol"}
//   rules:  {"descriptor", "state": [[...]] (initial rows x meters),
//            "expected": [[...]], "rtol", "atol"}
// Values: numbers, null for NaN, "inf"/"-inf". For an f32 rules state the
// expected values are the shortest decimals of the f32 results: they are
// rounded to f32 before comparing. For an f32 series output the expected
// values are f64 results: one f32 rounding is added to the tolerance.
//
//===----------------------------------------------------------------------===//

#include "Families/Rules/RulesSpec.h"
#include "Families/Series/SeriesSpec.h"
#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Kernel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "KernelArgs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace specjit;
using namespace specjit::jit;

namespace {

//===----------------------------------------------------------------------===//
// Files and values
//===----------------------------------------------------------------------===//

std::string familyDir(llvm::StringRef family) {
  return std::string(SPECJIT_SOURCE_DIR) + "/test/data/" + family.str();
}

/// File names (not paths) of every case of `family`, sorted.
std::vector<std::string> familyFiles(llvm::StringRef family) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(familyDir(family), ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef path = it->path();
    if (llvm::sys::path::extension(path) == ".json")
      files.push_back(llvm::sys::path::filename(path).str());
  }
  std::sort(files.begin(), files.end());
  return files;
}

using specjit_test::jsonDouble;

/// Reads `key` of `top` as a rows x `cols` matrix; returns an error message
/// or "".
std::string readMatrix(const llvm::json::Object &top, llvm::StringRef key, size_t cols,
                       std::vector<std::vector<double>> &out) {
  const llvm::json::Array *rows = top.getArray(key);
  if (!rows)
    return "missing \"" + key.str() + "\"";
  for (size_t r = 0; r < rows->size(); ++r) {
    const llvm::json::Array *row = (*rows)[r].getAsArray();
    std::string where = key.str() + "[" + std::to_string(r) + "]";
    if (!row || row->size() != cols)
      return where + ": expected an array of " + std::to_string(cols) + " values";
    std::vector<double> values;
    for (const llvm::json::Value &v : *row) {
      auto x = jsonDouble(v);
      if (!x)
        return where + ": bad value";
      values.push_back(*x);
    }
    out.push_back(std::move(values));
  }
  return "";
}

std::string readTolerances(const llvm::json::Object &top, double &rtol, double &atol) {
  auto r = top.getNumber("rtol");
  auto a = top.getNumber("atol");
  if (!r || !a || *r < 0 || *a < 0)
    return "\"rtol\" and \"atol\" must be non-negative numbers";
  rtol = *r;
  atol = *a;
  return "";
}

/// Parses the file and its descriptor; returns an error message or "".
std::string loadDocument(const std::string &path, llvm::json::Value &doc,
                         std::optional<Descriptor> &desc) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return path + ": " + buffer.getError().message();
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse((*buffer)->getBuffer());
  if (!parsed)
    return path + ": " + llvm::toString(parsed.takeError());
  doc = std::move(*parsed);
  const llvm::json::Object *top = doc.getAsObject();
  if (!top)
    return path + ": expected a JSON object";
  const llvm::json::Value *d = top->get("descriptor");
  if (!d)
    return path + ": missing \"descriptor\"";
  llvm::Expected<Descriptor> parsedDesc = Descriptor::fromJSON(*d);
  if (!parsedDesc)
    return path + ": descriptor: " + llvm::toString(parsedDesc.takeError());
  desc.emplace(std::move(*parsedDesc));
  return "";
}

//===----------------------------------------------------------------------===//
// Results and comparisons
//===----------------------------------------------------------------------===//

/// A matrix in the kernel's output type, kept in that type so comparisons
/// are exact.
struct Matrix {
  DType type = DType::F64;
  int64_t rows = 0, cols = 0;
  std::vector<double> f64;
  std::vector<float> f32;

  void init(DType t, int64_t r, int64_t c, double fill) {
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
};

/// A value no case produces, so unwritten cells show up.
constexpr double kPoison = 1.2345e30;

/// Distance in units in the last place between two finite values of the
/// same type (+0 and -0 are one apart).
template <typename T, typename U> uint64_t ulpDistance(T a, T b) {
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

struct Tolerance {
  double rtol = 0, atol = 0;
  /// Added to rtol (one f32 rounding of an f64 reference).
  double extraRel = 0;
  /// Round expected values to f32 before comparing (f32 rules states).
  bool roundExpectedToF32 = false;
};

/// Checks rows [0, got.rows) of `got` against expected rows [begin, ...).
void expectMatches(const std::string &file, const std::vector<std::vector<double>> &expected,
                   const std::vector<std::string> &columns, const Matrix &got, int64_t begin,
                   const Tolerance &tol, llvm::StringRef what) {
  int reported = 0;
  int64_t failures = 0;
  for (int64_t r = 0; r < got.rows; ++r) {
    for (int64_t c = 0; c < got.cols; ++c) {
      double want = expected[static_cast<size_t>(begin + r)][static_cast<size_t>(c)];
      if (tol.roundExpectedToF32)
        want = static_cast<double>(static_cast<float>(want));
      double have = got.at(r, c);
      bool ok;
      if (std::isnan(want))
        ok = std::isnan(have);
      else if (std::isinf(want) || std::isinf(have))
        ok = want == have;
      else
        ok = !std::isnan(have) &&
             std::fabs(have - want) <= tol.atol + (tol.rtol + tol.extraRel) * std::fabs(want);
      if (!ok) {
        ++failures;
        if (reported++ < 10)
          ADD_FAILURE() << file << " (" << what.str() << "): row " << begin + r << ", column '"
                        << columns[static_cast<size_t>(c)] << "': got " << have << ", expected "
                        << want << " (rtol " << tol.rtol << ", atol " << tol.atol << ")";
      }
    }
  }
  EXPECT_EQ(failures, 0) << file << " (" << what.str() << "): values outside tolerance";
}

/// Bit for bit (any NaN matches any NaN), or within 4 ulp when
/// `transcendental`.
void expectSame(const std::string &file, const std::vector<std::string> &columns, const Matrix &a,
                const Matrix &b, bool transcendental, llvm::StringRef what) {
  ASSERT_EQ(a.type, b.type);
  ASSERT_EQ(a.rows, b.rows);
  ASSERT_EQ(a.cols, b.cols);
  int reported = 0;
  int64_t failures = 0;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t c = 0; c < a.cols; ++c) {
      double x = a.at(r, c), y = b.at(r, c);
      bool ok;
      if (std::isnan(x) || std::isnan(y)) {
        ok = std::isnan(x) && std::isnan(y); // payload and sign may differ
      } else if (!transcendental) {
        ok = a.sameBits(b, r, c);
      } else if (std::isinf(x) || std::isinf(y)) {
        ok = x == y;
      } else {
        size_t i = static_cast<size_t>(r * a.cols + c);
        uint64_t ulps = a.type == DType::F64 ? ulpDistance<double, uint64_t>(a.f64[i], b.f64[i])
                                             : ulpDistance<float, uint32_t>(a.f32[i], b.f32[i]);
        ok = ulps <= 4;
      }
      if (!ok) {
        ++failures;
        if (reported++ < 10)
          ADD_FAILURE() << file << " (" << what.str() << "): row " << r << ", column '"
                        << columns[static_cast<size_t>(c)] << "': " << x << " != " << y;
      }
    }
  }
  EXPECT_EQ(failures, 0) << file << " (" << what.str() << "): differ"
                         << (transcendental ? " beyond 4 ulp" : "");
}

/// The JIT kernel (which must run compiled code) and the interpreter kernel
/// for `d`.
void compileBoth(const std::string &file, const Descriptor &d, std::optional<Kernel> &jitKernel,
                 std::optional<Kernel> &interpKernel) {
  CompileOptions jitOpts;
  jitOpts.specialize = true;
  llvm::Expected<Kernel> jk = compile(d, jitOpts);
  ASSERT_TRUE(static_cast<bool>(jk)) << file << ": " << llvm::toString(jk.takeError());
  EXPECT_EQ(backendName(jk->backend()).str(), "jit")
      << file << ": fell back to the interpreter: " << jk->fallbackReason();
  EXPECT_TRUE(jk->specialized());
  EXPECT_EQ(jk->hash(), d.hash());
  EXPECT_EQ(jk->numInputs(), d.inputs().size());
  EXPECT_EQ(jk->outputNames(), d.outputNames());
  EXPECT_EQ(jk->outputType(), d.outputType());
  jitKernel.emplace(std::move(*jk));

  CompileOptions interpOpts;
  interpOpts.specialize = false;
  interpOpts.useCache = false;
  llvm::Expected<Kernel> ik = compile(d, interpOpts);
  ASSERT_TRUE(static_cast<bool>(ik)) << file << ": " << llvm::toString(ik.takeError());
  EXPECT_EQ(backendName(ik->backend()).str(), "interpreter") << file;
  EXPECT_FALSE(ik->specialized());
  EXPECT_EQ(ik->outputNames(), d.outputNames());
  interpKernel.emplace(std::move(*ik));
}

std::string testName(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = llvm::sys::path::stem(info.param).str();
  for (char &ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return name;
}

/// A deterministic seed per file, so chunkings are reproducible.
uint64_t seedFor(const std::string &file) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (char ch : file)
    h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

//===----------------------------------------------------------------------===//
// Series
//===----------------------------------------------------------------------===//

struct SeriesInput {
  DType type = DType::F64;
  std::vector<double> f64;
  std::vector<float> f32;
  Column column(int64_t begin, int64_t n) const {
    return type == DType::F64 ? Column::f64(f64.data() + begin, n)
                              : Column::f32(f32.data() + begin, n);
  }
};

struct SeriesCase {
  std::string file;
  std::optional<Descriptor> descriptor;
  std::vector<SeriesInput> inputs;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> expected;
  double rtol = 0, atol = 0;
  int64_t rows = 0;

  std::vector<Column> columnsAt(int64_t begin, int64_t n) const {
    std::vector<Column> cols;
    for (const SeriesInput &in : inputs)
      cols.push_back(in.column(begin, n));
    return cols;
  }
};

std::string loadSeries(const std::string &file, SeriesCase &sc) {
  sc.file = file;
  std::string path = familyDir("series") + "/" + file;
  llvm::json::Value doc(nullptr);
  std::string err = loadDocument(path, doc, sc.descriptor);
  if (!err.empty())
    return err;
  const llvm::json::Object &top = *doc.getAsObject();
  const Descriptor &d = *sc.descriptor;
  if (d.kind() != Kind::Series)
    return path + ": not a series descriptor";

  const llvm::json::Object *inputs = top.getObject("inputs");
  if (!inputs)
    return path + ": missing \"inputs\" object";
  sc.rows = -1;
  for (const InputColumn &in : d.inputs()) {
    const llvm::json::Array *values = inputs->getArray(in.name);
    if (!values)
      return path + ": inputs." + in.name + ": missing";
    if (in.type != DType::F64 && in.type != DType::F32)
      return path + ": inputs." + in.name + ": series inputs are f64 or f32";
    SeriesInput buf;
    buf.type = in.type;
    for (size_t i = 0; i < values->size(); ++i) {
      auto x = jsonDouble((*values)[i]);
      if (!x)
        return path + ": inputs." + in.name + "[" + std::to_string(i) + "]: bad value";
      if (in.type == DType::F64)
        buf.f64.push_back(*x);
      else
        buf.f32.push_back(static_cast<float>(*x));
    }
    int64_t n = static_cast<int64_t>(values->size());
    if (sc.rows >= 0 && n != sc.rows)
      return path + ": inputs." + in.name + ": row count differs";
    sc.rows = n;
    sc.inputs.push_back(std::move(buf));
  }

  const llvm::json::Array *columns = top.getArray("columns");
  if (!columns)
    return path + ": missing \"columns\"";
  for (const llvm::json::Value &c : *columns) {
    auto s = c.getAsString();
    if (!s)
      return path + ": columns: expected strings";
    sc.columns.push_back(s->str());
  }
  err = readMatrix(top, "expected", sc.columns.size(), sc.expected);
  if (!err.empty())
    return path + ": " + err;
  if (static_cast<int64_t>(sc.expected.size()) != sc.rows)
    return path + ": expected has " + std::to_string(sc.expected.size()) + " rows, the inputs " +
           std::to_string(sc.rows);
  err = readTolerances(top, sc.rtol, sc.atol);
  if (!err.empty())
    return path + ": " + err;
  return "";
}

/// One run() over the whole series.
std::string runSeries(const Kernel &k, const SeriesCase &sc, Matrix &out) {
  out.init(k.outputType(), sc.rows, static_cast<int64_t>(k.numOutputs()), kPoison);
  if (llvm::Error err = k.run(sc.columnsAt(0, sc.rows), out.view(0, sc.rows)))
    return llvm::toString(std::move(err));
  return "";
}

/// Feeds the series through one stream in chunks of `sizes` (cycled until
/// every row is consumed).
std::string streamSeries(const Kernel &k, const SeriesCase &sc, const std::vector<int64_t> &sizes,
                         Matrix &out) {
  out.init(k.outputType(), sc.rows, static_cast<int64_t>(k.numOutputs()), kPoison);
  llvm::Expected<Stream> stream = k.stream();
  if (!stream)
    return "stream(): " + llvm::toString(stream.takeError());
  if (stream->backend() != k.backend())
    return "the stream runs on " + backendName(stream->backend()).str() + ", its kernel on " +
           backendName(k.backend()).str();
  int64_t begin = 0;
  for (size_t i = 0; begin < sc.rows; i = (i + 1) % sizes.size()) {
    int64_t n = std::min(sizes[i], sc.rows - begin);
    if (llvm::Error err = stream->run(sc.columnsAt(begin, n), out.view(begin, n)))
      return "chunk at row " + std::to_string(begin) + " (" + std::to_string(n) +
             " rows): " + llvm::toString(std::move(err));
    begin += n;
    if (stream->rowsSeen() != begin)
      return "rowsSeen() is " + std::to_string(stream->rowsSeen()) + " after " +
             std::to_string(begin) + " rows";
  }
  return "";
}

/// Chunkings of one series: single rows, small random sizes with zeros, and
/// a few large random pieces.
std::vector<std::pair<std::string, std::vector<int64_t>>> chunkings(const SeriesCase &sc) {
  std::mt19937_64 rng(seedFor(sc.file));
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  out.push_back({"chunks of 1 row", {1}});
  std::vector<int64_t> small;
  for (int i = 0; i < 64; ++i)
    small.push_back(static_cast<int64_t>(rng() % 18)); // 0..17, zeros included
  small.push_back(1);                                  // never only zeros
  out.push_back({"random chunks of 0..17 rows", small});
  std::vector<int64_t> large;
  int64_t cap = std::max<int64_t>(2, sc.rows / 2);
  for (int i = 0; i < 8; ++i)
    large.push_back(1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(cap)));
  out.push_back({"random chunks of up to half the series", large});
  return out;
}

class SeriesReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SeriesReferenceTest, MatchesReference) {
  SeriesCase sc;
  std::string err = loadSeries(GetParam(), sc);
  ASSERT_TRUE(err.empty()) << err;
  const Descriptor &d = *sc.descriptor;
  ASSERT_EQ(d.outputNames(), sc.columns) << sc.file << ": output columns";
  ASSERT_GT(sc.rows, 0) << sc.file;

  std::optional<Kernel> jit, interp;
  compileBoth(sc.file, d, jit, interp);
  if (HasFatalFailure())
    return;

  Matrix jitOut, interpOut;
  err = runSeries(*jit, sc, jitOut);
  ASSERT_TRUE(err.empty()) << sc.file << " (jit): " << err;
  err = runSeries(*interp, sc, interpOut);
  ASSERT_TRUE(err.empty()) << sc.file << " (interpreter): " << err;

  Tolerance tol;
  tol.rtol = sc.rtol;
  tol.atol = sc.atol;
  if (d.outputType() == DType::F32)
    tol.extraRel = std::numeric_limits<float>::epsilon();
  expectMatches(sc.file, sc.expected, sc.columns, jitOut, 0, tol, "jit");
  expectMatches(sc.file, sc.expected, sc.columns, interpOut, 0, tol, "interpreter");
  // Series are built from + - * / abs and comparisons: exact agreement.
  expectSame(sc.file, sc.columns, jitOut, interpOut, false, "jit vs interpreter");

  // Streaming: any chunking gives the bits of one call, on both backends.
  for (const auto &[what, sizes] : chunkings(sc)) {
    Matrix streamed;
    err = streamSeries(*jit, sc, sizes, streamed);
    ASSERT_TRUE(err.empty()) << sc.file << " (jit, " << what << "): " << err;
    expectSame(sc.file, sc.columns, streamed, jitOut, false,
               "jit stream, " + what + ", vs one jit run");
    err = streamSeries(*interp, sc, sizes, streamed);
    ASSERT_TRUE(err.empty()) << sc.file << " (interpreter, " << what << "): " << err;
    expectSame(sc.file, sc.columns, streamed, interpOut, false,
               "interpreter stream, " + what + ", vs one interpreter run");
  }
}

INSTANTIATE_TEST_SUITE_P(Series, SeriesReferenceTest, ::testing::ValuesIn(familyFiles("series")),
                         testName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SeriesReferenceTest);

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

struct RulesCase {
  std::string file;
  std::optional<Descriptor> descriptor;
  std::vector<std::vector<double>> state;
  std::vector<std::vector<double>> expected;
  double rtol = 0, atol = 0;
  int64_t rows = 0;
};

std::string loadRules(const std::string &file, RulesCase &rc) {
  rc.file = file;
  std::string path = familyDir("rules") + "/" + file;
  llvm::json::Value doc(nullptr);
  std::string err = loadDocument(path, doc, rc.descriptor);
  if (!err.empty())
    return err;
  const llvm::json::Object &top = *doc.getAsObject();
  const Descriptor &d = *rc.descriptor;
  if (d.kind() != Kind::Rules)
    return path + ": not a rules descriptor";
  size_t meters = d.numOutputs();
  err = readMatrix(top, "state", meters, rc.state);
  if (!err.empty())
    return path + ": " + err;
  err = readMatrix(top, "expected", meters, rc.expected);
  if (!err.empty())
    return path + ": " + err;
  if (rc.expected.size() != rc.state.size())
    return path + ": state and expected have different row counts";
  rc.rows = static_cast<int64_t>(rc.state.size());
  // Absent tolerances mean exact: the reference performs the prescribed
  // operations in the prescribed order.
  if (top.get("rtol") || top.get("atol")) {
    err = readTolerances(top, rc.rtol, rc.atol);
    if (!err.empty())
      return path + ": " + err;
  }
  return "";
}

bool exprUsesTranscendental(const Expr *e) {
  if (!e)
    return false;
  if (e->kind == Expr::Kind::Op && (e->op == Expr::Op::Exp || e->op == Expr::Op::Log ||
                                    e->op == Expr::Op::Log1p || e->op == Expr::Op::Pow))
    return true;
  for (const ExprPtr &a : e->args)
    if (exprUsesTranscendental(a.get()))
      return true;
  return false;
}

bool textUsesTranscendental(const ExprPtr &resolved, const std::string &text) {
  if (resolved)
    return exprUsesTranscendental(resolved.get());
  if (text.empty())
    return false;
  llvm::Expected<ExprPtr> parsed = parseExpr(text);
  if (!parsed) {
    llvm::consumeError(parsed.takeError());
    return true; // be lenient rather than guess
  }
  return exprUsesTranscendental(parsed->get());
}

bool usesTranscendental(const RulesSpec &spec) {
  for (const Rule &rule : spec.rules) {
    if (textUsesTranscendental(rule.cond, rule.condText))
      return true;
    for (const RuleAction &a : rule.actions)
      if (textUsesTranscendental(a.expr, a.text))
        return true;
  }
  return false;
}

/// Copies state rows [begin, begin + n) into `m` in the state's type.
void fillState(const RulesCase &rc, DType type, int64_t begin, int64_t n, Matrix &m) {
  int64_t cols = static_cast<int64_t>(rc.descriptor->numOutputs());
  m.init(type, n, cols, 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < cols; ++c)
      m.set(r, c, rc.state[static_cast<size_t>(begin + r)][static_cast<size_t>(c)]);
}

std::string errorText(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : std::string();
}

/// Runs `k` in place on a fresh copy of state rows [begin, begin + n).
std::string runRules(const Kernel &k, const RulesCase &rc, int64_t begin, int64_t n, Matrix &m) {
  fillState(rc, k.outputType(), begin, n, m);
  if (llvm::Error err = k.run({}, m.view(0, n)))
    return llvm::toString(std::move(err));
  return "";
}

class RulesReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RulesReferenceTest, MatchesReference) {
  RulesCase rc;
  std::string err = loadRules(GetParam(), rc);
  ASSERT_TRUE(err.empty()) << err;
  const Descriptor &d = *rc.descriptor;
  const std::vector<std::string> &meters = d.outputNames();
  ASSERT_EQ(meters, d.spec<RulesSpec>().meters);
  EXPECT_TRUE(d.inputs().empty()) << rc.file << ": rules take no inputs";
  ASSERT_GT(rc.rows, 0) << rc.file;
  bool transcendental = usesTranscendental(d.spec<RulesSpec>());

  std::optional<Kernel> jit, interp;
  compileBoth(rc.file, d, jit, interp);
  if (HasFatalFailure())
    return;
  EXPECT_EQ(jit->numInputs(), 0u);
  EXPECT_EQ(jit->numOutputs(), meters.size());

  Matrix jitOut, interpOut;
  err = runRules(*jit, rc, 0, rc.rows, jitOut);
  ASSERT_TRUE(err.empty()) << rc.file << " (jit): " << err;
  err = runRules(*interp, rc, 0, rc.rows, interpOut);
  ASSERT_TRUE(err.empty()) << rc.file << " (interpreter): " << err;

  Tolerance tol;
  tol.rtol = rc.rtol;
  tol.atol = rc.atol;
  tol.roundExpectedToF32 = d.outputType() == DType::F32;
  expectMatches(rc.file, rc.expected, meters, jitOut, 0, tol, "jit");
  expectMatches(rc.file, rc.expected, meters, interpOut, 0, tol, "interpreter");
  expectSame(rc.file, meters, jitOut, interpOut, transcendental, "jit vs interpreter");

  // Rows are independent: an unaligned slice of odd length gives the same
  // rows (exercises the remainder of the vectorized row loop).
  if (rc.rows > 4) {
    int64_t begin = 3, n = std::min<int64_t>(rc.rows - begin, 37);
    Matrix slice;
    err = runRules(*jit, rc, begin, n, slice);
    ASSERT_TRUE(err.empty()) << rc.file << " (jit, slice): " << err;
    expectMatches(rc.file, rc.expected, meters, slice, begin, tol, "jit, rows 3..");
  }

  // A second run in place starts from the first run's result: the kernels
  // read the state they are given, so they still agree (skipped after
  // exp/log/pow, whose few-ulp differences could cross a threshold).
  if (!transcendental) {
    Matrix jitTwice = jitOut, interpTwice = interpOut;
    err = errorText(jit->run({}, jitTwice.view(0, rc.rows)));
    ASSERT_TRUE(err.empty()) << rc.file << " (jit, second run): " << err;
    err = errorText(interp->run({}, interpTwice.view(0, rc.rows)));
    ASSERT_TRUE(err.empty()) << rc.file << " (interpreter, second run): " << err;
    expectSame(rc.file, meters, jitTwice, interpTwice, false,
               "second run in place, jit vs interpreter");
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, RulesReferenceTest, ::testing::ValuesIn(familyFiles("rules")),
                         testName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RulesReferenceTest);

TEST(FamilyReferenceData, Present) {
  EXPECT_FALSE(familyFiles("series").empty()) << "no series cases in " << familyDir("series")
                                              << " (run test/reference/gen_series_reference.py)";
  EXPECT_FALSE(familyFiles("rules").empty()) << "no rules cases in " << familyDir("rules")
                                             << " (run test/reference/gen_rules_reference.py)";
}

} // namespace
