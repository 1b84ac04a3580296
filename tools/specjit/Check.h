//===- Check.h - What the reference-case checks share ----------*- C++ -*-===//
//
// `specjit check` (CheckCommand.cpp: the file comment lists the case
// formats) is split by family shape: rows, streams and state matrices in
// CheckCommand.cpp, training and evaluation in CheckTrainEval.cpp. This
// header holds what both use: the failure report, case values and input
// columns.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_TOOLS_CHECK_H
#define SPECJIT_TOOLS_CHECK_H

#include "specjit/Descriptor.h"
#include "specjit/Types.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace specjit {
namespace tools {
namespace check {

using jit::Column;
using jit::DType;

//===----------------------------------------------------------------------===//
// Failures
//===----------------------------------------------------------------------===//

/// What went wrong in one case: the first lines of each comparison's
/// failures and how many there were.
class Report {
public:
  /// One failed expectation.
  void fail(const std::string &msg) {
    ++failures_;
    if (lines_.size() < kMaxLines)
      lines_.push_back(msg);
  }
  bool failed() const { return failures_ != 0; }
  void print(llvm::raw_ostream &os) const {
    for (const std::string &line : lines_)
      os << "  " << line << "\n";
    if (failures_ > lines_.size())
      os << "  ... " << failures_ - lines_.size() << " more\n";
  }

private:
  static constexpr size_t kMaxLines = 40;
  std::vector<std::string> lines_;
  size_t failures_ = 0;
};

/// An error loading a case: what is wrong and where.
inline llvm::Error caseError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

inline std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// How close a value must be to the reference: |have - want| <= atol +
/// (rtol + extraRel) |want|.
struct Tolerance {
  double rtol = 0, atol = 0;
  /// Added to rtol (one f32 rounding of an f64 reference).
  double extraRel = 0;
  /// Round expected values to f32 before comparing (f32 rules states).
  bool roundExpectedToF32 = false;
  /// Also equal to the expected value rounded to f32, bit for bit
  /// (XGBoost's own f32 arithmetic).
  bool exactF32 = false;
};

/// "rtol" and "atol" of `top`, non-negative numbers; both absent is exact
/// when `optional`.
llvm::Expected<Tolerance> readTolerance(const llvm::json::Object &top, bool optional);

/// Whether `have` is within atol + rtol |want| of `want`: a NaN matches
/// only a NaN, an infinity only itself.
inline bool withinTolerance(double have, double want, double atol, double rtol) {
  if (std::isnan(want))
    return std::isnan(have);
  if (std::isinf(want) || std::isinf(have))
    return want == have;
  return !std::isnan(have) && std::fabs(have - want) <= atol + rtol * std::fabs(want);
}

//===----------------------------------------------------------------------===//
// Values, inputs and outputs
//===----------------------------------------------------------------------===//

/// What caseDouble accepts, for errors.
constexpr const char *kCaseDoubleForms = "a number, null, \"inf\", \"+inf\", \"-inf\" or \"nan\"";

inline std::optional<double> caseDouble(const llvm::json::Value &v) {
  if (v.getAsNull())
    return std::numeric_limits<double>::quiet_NaN();
  if (auto d = v.getAsNumber())
    return *d;
  if (auto s = v.getAsString()) {
    if (*s == "inf" || *s == "+inf")
      return std::numeric_limits<double>::infinity();
    if (*s == "-inf")
      return -std::numeric_limits<double>::infinity();
    if (*s == "nan")
      return std::numeric_limits<double>::quiet_NaN();
  }
  return std::nullopt;
}

/// Caller-owned storage for one input column, in its declared type.
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

/// Fills `buf` with the values of input `in` (path `where`).
llvm::Error fillInput(const jit::InputColumn &in, const llvm::json::Array &values,
                      const std::string &where, InputBuffer &buf);

/// The columns `columns` names, read in their declared types from the
/// object `key` of `top` ({name: [values]}); `rows` is their common length
/// (-1 when there are none). Errors name the column and the element.
llvm::Expected<std::vector<InputBuffer>> readColumns(const llvm::json::Object &top,
                                                     llvm::StringRef key,
                                                     const std::vector<jit::InputColumn> &columns,
                                                     int64_t &rows);

/// Views of rows [begin, begin + n) of `inputs`.
std::vector<Column> columnsAt(const std::vector<InputBuffer> &inputs, int64_t begin, int64_t n);

/// A case: the file's JSON, its descriptor (absent for XGBoost and fold
/// cases) and where the file lives (model files are beside it).
struct Case {
  std::string path;
  llvm::json::Object top;
  std::optional<jit::Descriptor> descriptor;
};

/// Train cases (CheckTrainEval.cpp): {"descriptor" (train), "data":
/// {name: [values]} (the inputs, then the label), "rows", "rtol",
/// "expected": {"features", "model", "history", "stop_reason",
/// "best_epoch", "prediction_columns", "predictions"}}. Returns a summary.
llvm::Expected<std::string> checkTrain(Report &report, const Case &c);
/// Eval cases: metrics {"descriptor", "columns", "expected", "errors",
/// "atol", "rtol"} or cross-validation {"descriptor", "columns", "folds",
/// "mean", "std", "atol", "rtol"}.
llvm::Expected<std::string> checkEval(Report &report, const Case &c);
/// Fold cases: {"n", "k", "labels", "kfold", "stratified",
/// "stratified_error", "stratified_warning"} (no descriptor).
llvm::Expected<std::string> checkFolds(Report &report, const Case &c);

} // namespace check
} // namespace tools
} // namespace specjit

#endif // SPECJIT_TOOLS_CHECK_H
