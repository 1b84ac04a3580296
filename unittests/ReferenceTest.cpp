//===- ReferenceTest.cpp - Pipelines against scikit-learn / numpy ---------===//
//
// Every file in test/data/reference/*.json (written by
// test/reference/gen_pipeline_reference.py) holds a pipeline descriptor, its
// input columns and the matrix scikit-learn or numpy computes for them. Each
// file is one test: the descriptor runs through the JIT and through the
// interpreter; both must match the reference within the file's rtol/atol,
// and they must match each other bit for bit (within 4 ulp when the
// descriptor uses log/log1p/exp/pow, which compiled code may take from a
// vector math library).
//
// Value encoding in the files: float columns use numbers, null for NaN and
// the strings "inf"/"-inf"; integer columns use integers (the missing
// sentinel included); bool columns true/false (or 0/1); string columns
// strings.
//
//===----------------------------------------------------------------------===//

#include "Families/Model/ModelSpec.h"
#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Kernel.h"

#include "llvm/ADT/SmallString.h"
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
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace specjit;
using namespace specjit::jit;

namespace {

std::string referenceDir() { return std::string(SPECJIT_SOURCE_DIR) + "/test/data"; }

/// Paths (relative to test/data) of every reference case, sorted: the
/// pipeline cases and the scikit-learn model cases (models/sk_*.json), which
/// share the format.
std::vector<std::string> referenceFiles() {
  std::vector<std::string> files;
  for (const char *dir : {"reference", "models"}) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(referenceDir() + "/" + dir, ec), end;
         !ec && it != end; it.increment(ec)) {
      llvm::StringRef name = llvm::sys::path::filename(it->path());
      if (llvm::sys::path::extension(name) != ".json")
        continue;
      if (llvm::StringRef(dir) == "models" && !name.starts_with("sk_"))
        continue;
      files.push_back(std::string(dir) + "/" + name.str());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

using specjit_test::jsonDouble;

/// Caller-owned storage for one input column.
struct InputBuffer {
  DType type = DType::F64;
  int64_t rows = 0;
  std::vector<double> f64;
  std::vector<float> f32;
  std::vector<int64_t> i64;
  std::vector<int32_t> i32;
  std::vector<uint8_t> boolean;
  std::vector<int64_t> offsets;
  std::string bytes;

  /// A view of rows [begin, begin + n).
  Column column(int64_t begin, int64_t n) const {
    switch (type) {
    case DType::F64:
      return Column::f64(f64.data() + begin, n);
    case DType::F32:
      return Column::f32(f32.data() + begin, n);
    case DType::I64:
      return Column::i64(i64.data() + begin, n);
    case DType::I32:
      return Column::i32(i32.data() + begin, n);
    case DType::Bool:
      return Column::boolean(boolean.data() + begin, n);
    case DType::String:
      return Column::strings(offsets.data() + begin, bytes.data(), n);
    }
    return {};
  }
};

/// Fills `buf` from the JSON array `values`; returns an error message or "".
std::string fillInput(const InputColumn &in, const llvm::json::Array &values, InputBuffer &buf) {
  buf.type = in.type;
  buf.rows = static_cast<int64_t>(values.size());
  if (in.type == DType::String)
    buf.offsets.push_back(0);
  for (size_t i = 0; i < values.size(); ++i) {
    const llvm::json::Value &v = values[i];
    std::string where = "inputs." + in.name + "[" + std::to_string(i) + "]";
    switch (in.type) {
    case DType::F64:
    case DType::F32: {
      auto d = jsonDouble(v);
      if (!d)
        return where + ": expected a number, null, \"inf\" or \"-inf\"";
      if (in.type == DType::F64)
        buf.f64.push_back(*d);
      else
        buf.f32.push_back(static_cast<float>(*d));
      break;
    }
    case DType::I64:
    case DType::I32: {
      auto n = v.getAsInteger();
      if (!n)
        return where + ": expected an integer";
      if (in.type == DType::I64) {
        buf.i64.push_back(*n);
      } else {
        if (*n < std::numeric_limits<int32_t>::min() || *n > std::numeric_limits<int32_t>::max())
          return where + ": out of range for i32";
        buf.i32.push_back(static_cast<int32_t>(*n));
      }
      break;
    }
    case DType::Bool: {
      if (auto b = v.getAsBoolean()) {
        buf.boolean.push_back(*b ? 1 : 0);
      } else if (auto n = v.getAsInteger(); n && (*n == 0 || *n == 1)) {
        buf.boolean.push_back(static_cast<uint8_t>(*n));
      } else {
        return where + ": expected true, false, 0 or 1";
      }
      break;
    }
    case DType::String: {
      auto s = v.getAsString();
      if (!s)
        return where + ": expected a string";
      buf.bytes.append(s->data(), s->size());
      buf.offsets.push_back(static_cast<int64_t>(buf.bytes.size()));
      break;
    }
    }
  }
  return "";
}

/// Whether any step computes log/log1p/exp/pow (which compiled code may take
/// from a vector math library: results then agree within 4 ulp).
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

bool usesTranscendental(const Descriptor &d) {
  const PipelineSpec &front =
      d.kind() == Kind::Model ? d.spec<ModelSpec>().pipeline : d.spec<PipelineSpec>();
  if (d.kind() == Kind::Model) {
    const ModelSpec &m = d.spec<ModelSpec>();
    if (!m.margin && (m.link == Link::Logistic || m.link == Link::Softmax))
      return true;
    for (const DenseLayer &l : m.layers)
      if (l.activation == Activation::Tanh || l.activation == Activation::Logistic)
        return true;
  }
  for (const Step &s : front.steps) {
    if (s.op == StepOp::Log || s.op == StepOp::Log1p)
      return true;
    if (s.op == StepOp::Expr) {
      if (s.expr) {
        if (exprUsesTranscendental(s.expr.get()))
          return true;
      } else if (auto parsed = parseExpr(s.exprText)) {
        if (exprUsesTranscendental(parsed->get()))
          return true;
      } else {
        llvm::consumeError(parsed.takeError());
        return true; // be lenient rather than guess
      }
    }
  }
  return false;
}

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

/// A run's output, kept in the output type so comparisons are exact.
struct Result {
  DType type = DType::F64;
  int64_t rows = 0, cols = 0;
  std::vector<double> f64;
  std::vector<float> f32;

  double at(int64_t r, int64_t c) const {
    size_t i = static_cast<size_t>(r * cols + c);
    return type == DType::F64 ? f64[i] : static_cast<double>(f32[i]);
  }
};

/// One loaded reference case.
struct ReferenceCase {
  std::string file;
  std::optional<Descriptor> descriptor;
  std::vector<InputBuffer> inputs;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> expected; // rows x columns
  double rtol = 0.0, atol = 0.0;
  int64_t rows = 0;
};

/// Loads `file`; returns an error message or "".
std::string loadCase(const std::string &file, ReferenceCase &rc) {
  rc.file = file;
  std::string path = referenceDir() + "/" + file;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return path + ": " + buffer.getError().message();
  llvm::Expected<llvm::json::Value> doc = llvm::json::parse((*buffer)->getBuffer());
  if (!doc)
    return path + ": " + llvm::toString(doc.takeError());
  const llvm::json::Object *top = doc->getAsObject();
  if (!top)
    return path + ": expected a JSON object";

  const llvm::json::Value *desc = top->get("descriptor");
  if (!desc)
    return path + ": missing \"descriptor\"";
  llvm::Expected<Descriptor> d = Descriptor::fromJSON(*desc);
  if (!d)
    return path + ": descriptor: " + llvm::toString(d.takeError());
  rc.descriptor.emplace(std::move(*d));

  const llvm::json::Object *inputs = top->getObject("inputs");
  if (!inputs)
    return path + ": missing \"inputs\" object";
  rc.rows = -1;
  for (const InputColumn &in : rc.descriptor->inputs()) {
    const llvm::json::Array *values = inputs->getArray(in.name);
    if (!values)
      return path + ": inputs." + in.name + ": missing";
    InputBuffer buf;
    std::string err = fillInput(in, *values, buf);
    if (!err.empty())
      return path + ": " + err;
    if (rc.rows >= 0 && buf.rows != rc.rows)
      return path + ": inputs." + in.name + ": row count differs";
    rc.rows = buf.rows;
    rc.inputs.push_back(std::move(buf));
  }

  const llvm::json::Array *columns = top->getArray("columns");
  if (!columns)
    return path + ": missing \"columns\"";
  for (const llvm::json::Value &c : *columns) {
    auto s = c.getAsString();
    if (!s)
      return path + ": columns: expected strings";
    rc.columns.push_back(s->str());
  }

  const llvm::json::Array *expected = top->getArray("expected");
  if (!expected)
    return path + ": missing \"expected\"";
  if (static_cast<int64_t>(expected->size()) != rc.rows)
    return path + ": expected: " + std::to_string(expected->size()) + " rows, inputs have " +
           std::to_string(rc.rows);
  for (size_t r = 0; r < expected->size(); ++r) {
    const llvm::json::Array *row = (*expected)[r].getAsArray();
    if (!row || row->size() != rc.columns.size())
      return path + ": expected[" + std::to_string(r) + "]: expected an array of " +
             std::to_string(rc.columns.size()) + " values";
    std::vector<double> values;
    for (const llvm::json::Value &v : *row) {
      auto x = jsonDouble(v);
      if (!x)
        return path + ": expected[" + std::to_string(r) + "]: bad value";
      values.push_back(*x);
    }
    rc.expected.push_back(std::move(values));
  }

  auto rtol = top->getNumber("rtol");
  auto atol = top->getNumber("atol");
  if (!rtol || !atol || *rtol < 0 || *atol < 0)
    return path + ": \"rtol\" and \"atol\" must be non-negative numbers";
  rc.rtol = *rtol;
  rc.atol = *atol;
  return "";
}

/// Runs `k` over rows [begin, begin + n) of the case's inputs. Returns an
/// error message or "".
std::string runKernel(const Kernel &k, const ReferenceCase &rc, int64_t begin, int64_t n,
                      Result &out) {
  std::vector<Column> cols;
  for (const InputBuffer &b : rc.inputs)
    cols.push_back(b.column(begin, n));
  out.type = k.outputType();
  out.rows = n;
  out.cols = static_cast<int64_t>(k.numOutputs());
  size_t cells = static_cast<size_t>(n * out.cols);
  // Pre-fill with a value no case produces, so unwritten cells show up.
  constexpr double kPoison = 1.2345e300;
  Output o;
  if (out.type == DType::F64) {
    out.f64.assign(cells, kPoison);
    o = Output::f64(out.f64.data(), n, out.cols);
  } else {
    out.f32.assign(cells, std::numeric_limits<float>::max());
    o = Output::f32(out.f32.data(), n, out.cols);
  }
  if (llvm::Error err = k.run(cols, o))
    return llvm::toString(std::move(err));
  return "";
}

/// Checks a run against the reference, rows [begin, begin + got.rows).
void expectMatchesReference(const ReferenceCase &rc, const Result &got, int64_t begin,
                            llvm::StringRef what) {
  // An f32 output adds one rounding to f32 on top of the reference tolerance.
  double extraRel = got.type == DType::F32 ? std::numeric_limits<float>::epsilon() : 0.0;
  int reported = 0;
  int64_t failures = 0;
  for (int64_t r = 0; r < got.rows; ++r) {
    for (int64_t c = 0; c < got.cols; ++c) {
      double want = rc.expected[static_cast<size_t>(begin + r)][static_cast<size_t>(c)];
      double have = got.at(r, c);
      bool ok;
      if (std::isnan(want))
        ok = std::isnan(have);
      else if (std::isinf(want) || std::isinf(have))
        ok = want == have;
      else
        ok = !std::isnan(have) &&
             std::fabs(have - want) <= rc.atol + (rc.rtol + extraRel) * std::fabs(want);
      if (!ok) {
        ++failures;
        if (reported++ < 10)
          ADD_FAILURE() << rc.file << " (" << what.str() << "): row " << begin + r << ", column '"
                        << rc.columns[static_cast<size_t>(c)] << "': got " << have << ", expected "
                        << want << " (rtol " << rc.rtol << ", atol " << rc.atol << ")";
      }
    }
  }
  EXPECT_EQ(failures, 0) << rc.file << " (" << what.str() << "): values outside tolerance";
}

/// Checks that the JIT and the interpreter agree: bit for bit, or within
/// 4 ulp when the descriptor uses log/log1p/exp/pow. In the latter case a
/// later linear step (e.g. standardize after log) can cancel leading digits,
/// which turns 4 ulp of the log into more ulp of the result: an absolute
/// difference of up to 64 machine epsilons is accepted as well.
void expectJitMatchesInterpreter(const ReferenceCase &rc, const Result &jit, const Result &interp,
                                 bool transcendental) {
  ASSERT_EQ(jit.type, interp.type);
  ASSERT_EQ(jit.rows, interp.rows);
  ASSERT_EQ(jit.cols, interp.cols);
  int reported = 0;
  int64_t failures = 0;
  for (int64_t r = 0; r < jit.rows; ++r) {
    for (int64_t c = 0; c < jit.cols; ++c) {
      size_t i = static_cast<size_t>(r * jit.cols + c);
      bool ok;
      double a = jit.at(r, c), b = interp.at(r, c);
      if (std::isnan(a) || std::isnan(b)) {
        ok = std::isnan(a) && std::isnan(b); // payload and sign may differ
      } else if (!transcendental) {
        ok = jit.type == DType::F64 ? std::memcmp(&jit.f64[i], &interp.f64[i], sizeof(double)) == 0
                                    : std::memcmp(&jit.f32[i], &interp.f32[i], sizeof(float)) == 0;
      } else if (std::isinf(a) || std::isinf(b)) {
        ok = a == b;
      } else {
        uint64_t ulps = jit.type == DType::F64
                            ? ulpDistance<double, uint64_t>(jit.f64[i], interp.f64[i])
                            : ulpDistance<float, uint32_t>(jit.f32[i], interp.f32[i]);
        double eps = jit.type == DType::F64 ? std::numeric_limits<double>::epsilon()
                                            : std::numeric_limits<float>::epsilon();
        ok = ulps <= 4 || std::fabs(a - b) <= 64 * eps;
      }
      if (!ok) {
        ++failures;
        if (reported++ < 10)
          ADD_FAILURE() << rc.file << ": row " << r << ", column '"
                        << rc.columns[static_cast<size_t>(c)] << "': jit " << a
                        << " != interpreter " << b;
      }
    }
  }
  EXPECT_EQ(failures, 0) << rc.file << ": JIT and interpreter disagree"
                         << (transcendental ? " (beyond 4 ulp)" : "");
}

class ReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceTest, MatchesReference) {
  ReferenceCase rc;
  std::string err = loadCase(GetParam(), rc);
  ASSERT_TRUE(err.empty()) << err;
  const Descriptor &d = *rc.descriptor;

  ASSERT_EQ(d.outputNames(), rc.columns) << rc.file << ": output column names";
  ASSERT_GT(rc.rows, 0) << rc.file;
  bool transcendental = usesTranscendental(d);

  // Unspecialized, bypassing the cache: the interpreter.
  CompileOptions interpOpts;
  interpOpts.specialize = false;
  interpOpts.useCache = false;
  llvm::Expected<Kernel> interpKernel = compile(d, interpOpts);
  ASSERT_TRUE(static_cast<bool>(interpKernel))
      << rc.file << ": " << llvm::toString(interpKernel.takeError());
  EXPECT_EQ(interpKernel->backend(), Backend::Interpreter);
  EXPECT_FALSE(interpKernel->specialized());
  EXPECT_EQ(interpKernel->outputNames(), rc.columns);
  Result interpOut;
  err = runKernel(*interpKernel, rc, 0, rc.rows, interpOut);
  ASSERT_TRUE(err.empty()) << rc.file << " (interpreter): " << err;
  expectMatchesReference(rc, interpOut, 0, "interpreter");

  // Specialized: must be compiled code; tree ensembles in both code shapes.
  std::vector<TreeLayout> layouts = {TreeLayout::Auto};
  if (d.kind() == Kind::Model && d.spec<ModelSpec>().type == ModelType::TreeEnsemble)
    layouts = {TreeLayout::Branches, TreeLayout::Walk};
  for (TreeLayout layout : layouts) {
    std::string what = "jit, " + treeLayoutName(layout).str();
    CompileOptions jitOpts;
    jitOpts.specialize = true;
    jitOpts.treeLayout = layout;
    llvm::Expected<Kernel> jitKernel = compile(d, jitOpts);
    ASSERT_TRUE(static_cast<bool>(jitKernel))
        << rc.file << ": " << llvm::toString(jitKernel.takeError());
    EXPECT_EQ(jitKernel->backend(), Backend::Jit)
        << rc.file << " (" << what
        << "): fell back to the interpreter: " << jitKernel->fallbackReason();
    EXPECT_TRUE(jitKernel->specialized());
    EXPECT_EQ(jitKernel->numInputs(), d.inputs().size());
    EXPECT_EQ(jitKernel->outputNames(), rc.columns);
    EXPECT_EQ(jitKernel->hash(), d.hash());

    Result jitOut;
    err = runKernel(*jitKernel, rc, 0, rc.rows, jitOut);
    ASSERT_TRUE(err.empty()) << rc.file << " (" << what << "): " << err;
    ASSERT_EQ(jitOut.cols, static_cast<int64_t>(rc.columns.size()));
    expectMatchesReference(rc, jitOut, 0, what.c_str());
    expectJitMatchesInterpreter(rc, jitOut, interpOut, transcendental);

    // A slice with an odd length starting at an unaligned row: exercises
    // the remainder of vectorized loops and offset input views.
    if (rc.rows > 4) {
      int64_t begin = 3, n = std::min<int64_t>(rc.rows - begin, 37);
      Result slice;
      err = runKernel(*jitKernel, rc, begin, n, slice);
      ASSERT_TRUE(err.empty()) << rc.file << " (" << what << ", slice): " << err;
      expectMatchesReference(rc, slice, begin, (what + ", rows 3..").c_str());
    }
  }
}

std::string caseName(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = llvm::sys::path::stem(info.param).str();
  for (char &ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Pipeline, ReferenceTest, ::testing::ValuesIn(referenceFiles()), caseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ReferenceTest);

TEST(ReferenceData, Present) {
  EXPECT_FALSE(referenceFiles().empty()) << "no reference cases in " << referenceDir()
                                         << " (run test/reference/gen_pipeline_reference.py)";
}

} // namespace
