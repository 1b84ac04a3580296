//===- DifferentialFuzzer.cpp - compiled kernels == the interpreter -------===//
//
// Any bytes: when they parse as a descriptor, it runs twice on small
// deterministic data, once on the interpreter (specialization off) and once
// compiled (jit::compile with specialization on, no cache), and both must
// give the same result: the same bits in every output (any NaN equals any
// NaN), or the same error. Where the semantics documents allow the compiled
// code a vector math library (log, exp, pow, tanh and the links built on
// them: docs/pipeline-semantics.md, docs/model-semantics.md,
// docs/rules-semantics.md, "Agreement"), outputs of such descriptors agree
// within a few ulp instead. Series kernels are also fed through a stream in
// two chunks, which must equal the one run.
//
// Built by the ASan build (SPECJIT_FUZZ, scripts/sanitize.sh asan) and run
// by `scripts/fuzz.sh SECONDS differential` (docs/reliability.md, "Fuzzing").
//
//===----------------------------------------------------------------------===//

#include "Families/Rules/RulesSpec.h"
#include "Families/Series/SeriesSpec.h"
#include "specjit/specjit.h"

#include "Families/Eval/EvalSpec.h"
#include "Families/Train/TrainSpec.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <list>
#include <string>
#include <vector>

using namespace specjit::jit;

namespace {

/// Rows of generated data: enough for every family (train needs a few rows
/// per fold), few enough that the compile dominates each input.
constexpr int64_t kRows = 11;
/// Work bounds: descriptors above them are valid but too slow to fuzz, so
/// they are skipped, not run (a run must stay well under libFuzzer's timeout).
constexpr size_t kMaxOutputs = 512;
constexpr int64_t kMaxRulesSteps = 4096;
constexpr int64_t kMaxTrainingWork = 2000000; // epochs x parameters
constexpr int kMaxPeriod = 1 << 16;

[[noreturn]] void fail(const char *what, const std::string &detail) {
  std::fprintf(stderr, "differential: %s\n%s\n", what, detail.c_str());
  std::abort();
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

/// Two profiles: `adversarial` mixes NaN, infinities, -0.0, huge values,
/// missing sentinels and unknown strings into every column; `tame` holds
/// small finite values and labels 0/1, so trainings and evals get past their
/// data checks.
enum class Profile { Adversarial, Tame };

/// The strings a descriptor mentions (categories, mappings): the data holds
/// them so that lookups hit as well as miss.
std::vector<std::string> stringsOf(const Descriptor &d) {
  std::vector<std::string> out{"", "x"};
  llvm::StringRef text = d.canonical();
  while (out.size() < 12) {
    size_t open = text.find('"');
    if (open == llvm::StringRef::npos)
      break;
    size_t close = text.find('"', open + 1);
    while (close != llvm::StringRef::npos && text[close - 1] == '\\')
      close = text.find('"', close + 1);
    if (close == llvm::StringRef::npos)
      break;
    llvm::StringRef s = text.slice(open + 1, close);
    text = text.drop_front(close + 1);
    // Keys are followed by ':'; values are what data would hold.
    if (!text.starts_with(":") && s.size() <= 32 &&
        std::find(out.begin(), out.end(), s.str()) == out.end())
      out.push_back(s.str());
  }
  return out;
}

/// Caller-owned columns for `inputs`, kRows each.
class Data {
public:
  Data(const std::vector<InputColumn> &inputs, const std::vector<std::string> &pool,
       Profile profile, bool lastIsLabel) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const double adversarial[] = {0.5, -1,   2, nan,   0,    -0.0,     3.25, inf,
                                  1,   -inf, 7, 1e300, -2.5, 4.9e-324, 1e-3, 65504};
    const double tame[] = {0.5, -1, 2, 0.25, 0, 1.5, -0.75, 3, 1, -2, 0.125};
    const int64_t ints[] = {0, 1, 2, -1, 3, 7, 1, 0, -5, 2, 1 << 20};
    for (size_t c = 0; c < inputs.size(); ++c) {
      const InputColumn &in = inputs[c];
      bool label = lastIsLabel && c + 1 == inputs.size();
      auto real = [&](int64_t r) {
        if (label)
          return double((r + r / 3) % 2);
        return profile == Profile::Tame ? tame[(r * 3 + c) % std::size(tame)]
                                        : adversarial[(r * 5 + c) % std::size(adversarial)];
      };
      auto integer = [&](int64_t r) -> int64_t {
        if (label)
          return (r + r / 3) % 2;
        if (profile == Profile::Adversarial && in.missing && r % 4 == 3)
          return *in.missing;
        return ints[(r * 3 + c) % std::size(ints)];
      };
      switch (in.type) {
      case DType::F64: {
        std::vector<double> &v = f64_.emplace_back();
        for (int64_t r = 0; r < kRows; ++r)
          v.push_back(real(r));
        cols_.push_back(Column::f64(v.data(), kRows));
        break;
      }
      case DType::F32: {
        std::vector<float> &v = f32_.emplace_back();
        for (int64_t r = 0; r < kRows; ++r)
          v.push_back(static_cast<float>(real(r)));
        cols_.push_back(Column::f32(v.data(), kRows));
        break;
      }
      case DType::I64: {
        std::vector<int64_t> &v = i64_.emplace_back();
        for (int64_t r = 0; r < kRows; ++r)
          v.push_back(integer(r));
        cols_.push_back(Column::i64(v.data(), kRows));
        break;
      }
      case DType::I32: {
        std::vector<int32_t> &v = i32_.emplace_back();
        for (int64_t r = 0; r < kRows; ++r)
          v.push_back(static_cast<int32_t>(integer(r)));
        cols_.push_back(Column::i32(v.data(), kRows));
        break;
      }
      case DType::Bool: {
        std::vector<uint8_t> &v = u8_.emplace_back();
        for (int64_t r = 0; r < kRows; ++r)
          v.push_back(static_cast<uint8_t>((r + c + r / 2) % 2));
        cols_.push_back(Column::boolean(v.data(), kRows));
        break;
      }
      case DType::String: {
        std::vector<int64_t> &off = i64_.emplace_back(1, 0);
        std::string &bytes = bytes_.emplace_back();
        for (int64_t r = 0; r < kRows; ++r) {
          bytes += pool[(r * 7 + c) % pool.size()];
          off.push_back(static_cast<int64_t>(bytes.size()));
        }
        cols_.push_back(Column::strings(off.data(), bytes.data(), kRows));
        break;
      }
      }
    }
  }
  const std::vector<Column> &columns() const { return cols_; }
  /// The same columns restricted to rows [begin, end).
  std::vector<Column> slice(int64_t begin, int64_t end) const {
    std::vector<Column> out;
    for (const Column &c : cols_) {
      Column s = c;
      s.rows = end - begin;
      if (c.type == DType::String)
        s.offsets = c.offsets + begin;
      else
        s.data = static_cast<const char *>(c.data) + begin * dtypeSize(c.type);
      out.push_back(s);
    }
    return out;
  }

private:
  std::list<std::vector<double>> f64_;
  std::list<std::vector<float>> f32_;
  std::list<std::vector<int64_t>> i64_;
  std::list<std::vector<int32_t>> i32_;
  std::list<std::vector<uint8_t>> u8_;
  std::list<std::string> bytes_;
  std::vector<Column> cols_;
};

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

/// Bit-exact agreement (NaN equals NaN), or within a few ulp when `approx`.
template <typename T> bool agree(T a, T b, bool approx) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  if (std::memcmp(&a, &b, sizeof(T)) == 0)
    return true;
  if (!approx || std::isinf(a) || std::isinf(b))
    return false;
  // As unittests/DifferentialTest.cpp: a few ulp of f64, one of f32 after
  // the rounding, relative to the value or to 1 near zero.
  double tol = std::is_same_v<T, float> ? 2e-7 : 1e-13;
  return std::fabs(double(a) - double(b)) <= tol * std::max(1.0, std::fabs(double(b)));
}

/// An output matrix of either element type, kept as bytes.
struct Matrix {
  DType type = DType::F64;
  int64_t rows = 0, cols = 0;
  std::vector<double> f64;
  std::vector<float> f32;

  Matrix(DType t, int64_t r, int64_t c) : type(t), rows(r), cols(c) {
    if (t == DType::F32)
      f32.assign(r * c, -123.0f);
    else
      f64.assign(r * c, -123.0);
  }
  Output output() {
    return type == DType::F32 ? Output::f32(f32.data(), rows, cols)
                              : Output::f64(f64.data(), rows, cols);
  }
  Output rowsFrom(int64_t begin, int64_t end) {
    Output o = output();
    o.rows = end - begin;
    o.data = type == DType::F32 ? static_cast<void *>(f32.data() + begin * cols)
                                : static_cast<void *>(f64.data() + begin * cols);
    return o;
  }
  double at(size_t k) const { return type == DType::F32 ? f32[k] : f64[k]; }
};

void compareMatrices(const char *what, const Matrix &a, const Matrix &b, bool approx) {
  size_t n = a.type == DType::F32 ? a.f32.size() : a.f64.size();
  for (size_t k = 0; k < n; ++k) {
    bool same = a.type == DType::F32 ? agree(a.f32[k], b.f32[k], approx)
                                     : agree(a.f64[k], b.f64[k], approx);
    if (!same) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "row %lld column %lld: %.17g vs %.17g",
                    static_cast<long long>(k / a.cols), static_cast<long long>(k % a.cols), a.at(k),
                    b.at(k));
      fail(what, buf);
    }
  }
}

/// Both results are values, or both errors with the same message.
template <typename A, typename B> bool bothOrNeither(const char *what, A &a, B &b) {
  if (bool(a) && bool(b))
    return true;
  std::string ea = a ? "" : llvm::toString(a.takeError());
  std::string eb = b ? "" : llvm::toString(b.takeError());
  if (ea != eb)
    fail(what,
         "interpreter: " + (ea.empty() ? "ok" : ea) + "\ncompiled: " + (eb.empty() ? "ok" : eb));
  return false;
}

void sameErrors(const char *what, llvm::Error a, llvm::Error b) {
  std::string ea = a ? llvm::toString(std::move(a)) : "";
  std::string eb = b ? llvm::toString(std::move(b)) : "";
  if (ea != eb)
    fail(what,
         "interpreter: " + (ea.empty() ? "ok" : ea) + "\ncompiled: " + (eb.empty() ? "ok" : eb));
}

/// Whether the compiled code of `d` may compute a transcendental function
/// through a vector math library (the documented few-ulp exception).
/// Conservative: any mention in the canonical text counts.
bool mayUseVectorMath(const Descriptor &d) {
  llvm::StringRef t = d.canonical();
  for (const char *f : {"log", "exp", "pow", "**", "tanh", "logistic", "softmax"})
    if (t.contains(f))
      return true;
  return false;
}

//===----------------------------------------------------------------------===//
// Families
//===----------------------------------------------------------------------===//

CompileOptions options(bool specialize) {
  CompileOptions o;
  o.specialize = specialize;
  o.useCache = false;
  o.compileThreads = 1;
  // Large kernels fall back to the interpreter (both sides then agree
  // trivially); this keeps one compile in the milliseconds.
  o.maxKernelOps = 1500;
  return o;
}

/// pipeline, model, series, rules: compile both ways, run, compare.
void runKernels(const Descriptor &d) {
  llvm::Expected<Kernel> interp = compile(d, options(false));
  llvm::Expected<Kernel> jit = compile(d, options(true));
  if (!bothOrNeither("compile: one fails, the other does not", interp, jit))
    return;
  bool approx = mayUseVectorMath(d);
  std::vector<std::string> pool = stringsOf(d);
  int64_t cols = static_cast<int64_t>(d.numOutputs());
  for (Profile p : {Profile::Adversarial, Profile::Tame}) {
    Data data(d.inputs(), pool, p, false);
    if (d.kind() == Kind::Rules) {
      // The state matrix, read and updated in place: the same start for both.
      Matrix a(d.outputType(), 5, cols), b(d.outputType(), 5, cols);
      for (size_t k = 0; k < a.f64.size() + a.f32.size(); ++k) {
        double v = p == Profile::Tame ? double(k % 7) - 2 : double(k % 5) * 1e3 - 0.5;
        if (a.type == DType::F32)
          a.f32[k] = b.f32[k] = static_cast<float>(v);
        else
          a.f64[k] = b.f64[k] = v;
      }
      sameErrors("rules run: errors differ", interp->run({}, a.output()), jit->run({}, b.output()));
      compareMatrices("rules: interpreter and compiled state differ", a, b, approx);
      continue;
    }
    Matrix a(d.outputType(), kRows, cols), b(d.outputType(), kRows, cols);
    llvm::Error ea = interp->run(data.columns(), a.output());
    llvm::Error eb = jit->run(data.columns(), b.output());
    bool ok = !ea && !eb;
    sameErrors("run: errors differ", std::move(ea), std::move(eb));
    if (!ok)
      continue;
    compareMatrices("run: interpreter and compiled outputs differ", a, b, approx);
    if (d.kind() != Kind::Series)
      continue;
    // A stream in two chunks equals the one run, on each backend.
    for (Kernel *k : {&*interp, &*jit}) {
      llvm::Expected<Stream> s = k->stream();
      if (!s)
        fail("series: no stream", llvm::toString(s.takeError()));
      Matrix c(d.outputType(), kRows, cols);
      int64_t cut = kRows / 3;
      if (llvm::Error e = s->run(data.slice(0, cut), c.rowsFrom(0, cut)))
        fail("series: the first chunk fails", llvm::toString(std::move(e)));
      if (llvm::Error e = s->run(data.slice(cut, kRows), c.rowsFrom(cut, kRows)))
        fail("series: the second chunk fails", llvm::toString(std::move(e)));
      compareMatrices("series: two chunks differ from one run", k == &*interp ? a : b, c, false);
    }
  }
}

/// Parameters of the model a train descriptor trains.
int64_t parameters(const TrainSpec &t) {
  if (t.modelType != ModelType::Mlp)
    return int64_t(t.numOutputs) * (t.numFeatures + 1);
  int64_t n = 0, in = t.numFeatures;
  for (const LayerShape &l : t.layers) {
    n += int64_t(l.units) * (in + 1);
    in = l.units;
  }
  return n;
}

bool trainingTooSlow(const TrainSpec &t) {
  return t.epochs > kMaxTrainingWork / std::max<int64_t>(1, parameters(t));
}

void runTrain(const Descriptor &d) {
  if (trainingTooSlow(d.spec<TrainSpec>()))
    return;
  std::vector<std::string> pool = stringsOf(d);
  for (Profile p : {Profile::Adversarial, Profile::Tame}) {
    Data data(d.inputs(), pool, p, true);
    TrainOptions io, jo;
    io.specialize = false;
    jo.specialize = true;
    llvm::Expected<TrainResult> a = train(d, data.columns(), io);
    llvm::Expected<TrainResult> b = train(d, data.columns(), jo);
    if (!bothOrNeither("train: errors differ", a, b))
      continue;
    // Training is bit for bit (docs/train-semantics.md): the model text and
    // every loss.
    if (a->modelJson != b->modelJson)
      fail("train: the trained models differ", a->modelJson + "\n" + b->modelJson);
    if (a->history.size() != b->history.size() || a->bestEpoch != b->bestEpoch ||
        a->stop != b->stop)
      fail("train: the histories differ", "");
    for (size_t e = 0; e < a->history.size(); ++e)
      if (!agree(a->history[e].trainLoss, b->history[e].trainLoss, false) ||
          !agree(a->history[e].validationLoss, b->history[e].validationLoss, false))
        fail("train: the losses differ", "epoch " + std::to_string(e + 1));
  }
}

void compareMetrics(const std::vector<MetricValue> &a, const std::vector<MetricValue> &b,
                    bool approx) {
  if (a.size() != b.size())
    fail("eval: metric counts differ", "");
  for (size_t m = 0; m < a.size(); ++m) {
    if (a[m].name != b[m].name || !agree(a[m].value, b[m].value, approx) ||
        a[m].matrix.size() != b[m].matrix.size())
      fail("eval: metrics differ",
           a[m].name + ": " + std::to_string(a[m].value) + " vs " + std::to_string(b[m].value));
    for (size_t r = 0; r < a[m].matrix.size(); ++r)
      for (size_t c = 0; c < a[m].matrix[r].size(); ++c)
        if (!agree(a[m].matrix[r][c], b[m].matrix[r].at(c), approx))
          fail("eval: confusion matrices differ", a[m].name);
  }
}

void runEval(const Descriptor &d) {
  const EvalSpec &spec = d.spec<EvalSpec>();
  if (spec.crossValidation && (trainingTooSlow(spec.crossValidation->train.spec<TrainSpec>()) ||
                               spec.crossValidation->k > kRows))
    return;
  // Scores computed by a model may go through the vector math library;
  // a metric of scores near a threshold could then flip, so those evals
  // compare within the ulp bound and would report such a flip.
  bool approx = mayUseVectorMath(d);
  std::vector<std::string> pool = stringsOf(d);
  for (Profile p : {Profile::Adversarial, Profile::Tame}) {
    Data data(d.inputs(), pool, p, true);
    EvalOptions io, jo;
    io.specialize = false;
    jo.specialize = true;
    io.threads = jo.threads = 1;
    llvm::Expected<EvalResult> a = evaluate(d, data.columns(), io);
    llvm::Expected<EvalResult> b = evaluate(d, data.columns(), jo);
    if (!bothOrNeither("eval: errors differ", a, b))
      continue;
    if (a->crossValidated != b->crossValidated || a->folds.size() != b->folds.size())
      fail("eval: the shapes differ", "");
    compareMetrics(a->metrics, b->metrics, approx);
    compareMetrics(a->mean, b->mean, approx);
    compareMetrics(a->std, b->std, approx);
    for (size_t f = 0; f < a->folds.size(); ++f)
      compareMetrics(a->folds[f].metrics, b->folds[f].metrics, approx);
  }
}

bool tooLarge(const Descriptor &d) {
  if (d.numOutputs() > kMaxOutputs)
    return true;
  if (d.kind() == Kind::Rules)
    return d.spec<RulesSpec>().steps > kMaxRulesSteps;
  if (d.kind() == Kind::Series)
    for (const Indicator &i : d.spec<SeriesSpec>().indicators)
      if (i.period > kMaxPeriod || i.slow > kMaxPeriod)
        return true;
  return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (!d) {
    llvm::consumeError(d.takeError());
    return 0;
  }
  if (tooLarge(*d))
    return 0;
  switch (d->kind()) {
  case Kind::Train:
    runTrain(*d);
    break;
  case Kind::Eval:
    runEval(*d);
    break;
  default:
    runKernels(*d);
    break;
  }
  return 0;
}
