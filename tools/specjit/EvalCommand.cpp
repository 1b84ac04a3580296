//===- EvalCommand.cpp - specjit eval -------------------------------------===//
//
// `specjit eval EVAL.json --input DATA.csv [--json] [--no-specialize]
// [--threads N]`: reads the columns the eval descriptor names (d.inputs():
// scores or model/train inputs, then the label) from the CSV, runs
// jit::evaluate and prints the metrics as a table, or with --json as
// exactly one JSON object (jit::evalResultJson). Data errors name the CSV
// file and line; warnings (small classes under stratified folds) go to
// stderr.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "Table.h"

#include "specjit/Errors.h"
#include "specjit/Eval.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>

namespace specjit {
namespace tools {

namespace {

using jit::EvalResult;
using jit::MetricValue;

/// A value for the table: six significant digits, "nan" for NaN.
std::string cellText(double v) { return shortNumber(v, "nan"); }

std::string matrixText(const MetricValue &v) {
  std::string out = "[";
  for (size_t t = 0; t < v.matrix.size(); ++t) {
    out += t ? ", [" : "[";
    for (size_t p = 0; p < v.matrix[t].size(); ++p)
      out += (p ? ", " : "") + cellText(v.matrix[t][p]);
    out += "]";
  }
  return out + "]";
}

/// ", 5-fold cross-validation", or nothing.
std::string sourceText(const EvalResult &r) {
  if (!r.crossValidated)
    return "";
  return ", " + std::to_string(r.folds.size()) + "-fold cross-validation";
}

void printTable(const jit::Descriptor &d, const EvalResult &r) {
  llvm::raw_ostream &os = llvm::outs();
  os << "specjit eval: " << (d.name().empty() ? "(unnamed)" : d.name()) << " [" << d.hash().hex()
     << "]\n";
  os << "  " << r.rows << " rows" << sourceText(r) << "\n";
  size_t width = 6;
  for (const std::string &n : d.outputNames())
    width = std::max(width, n.size());
  if (!r.crossValidated) {
    for (const MetricValue &v : r.metrics)
      os << "  " << llvm::left_justify(v.name, width) << "  "
         << (v.isMatrix() ? matrixText(v) : cellText(v.value)) << "\n";
    return;
  }
  // One row per metric: its value in each fold, the mean and the std.
  os << "  " << llvm::left_justify("metric", width);
  for (size_t f = 0; f < r.folds.size(); ++f)
    os << "  " << llvm::right_justify("fold " + std::to_string(f + 1), 10);
  os << "  " << llvm::right_justify("mean", 10) << "  " << llvm::right_justify("std", 10) << "\n";
  for (size_t m = 0; m < r.mean.size(); ++m) {
    if (r.mean[m].isMatrix())
      continue;
    os << "  " << llvm::left_justify(r.mean[m].name, width);
    for (const jit::FoldResult &f : r.folds)
      os << "  " << llvm::right_justify(cellText(f.metrics[m].value), 10);
    os << "  " << llvm::right_justify(cellText(r.mean[m].value), 10) << "  "
       << llvm::right_justify(cellText(r.std[m].value), 10) << "\n";
  }
  for (size_t m = 0; m < r.mean.size(); ++m) {
    if (!r.mean[m].isMatrix())
      continue;
    os << "  " << r.mean[m].name << ":\n";
    for (size_t f = 0; f < r.folds.size(); ++f)
      os << "    fold " << f + 1 << "  " << matrixText(r.folds[f].metrics[m]) << "\n";
    os << "    mean    " << matrixText(r.mean[m]) << "\n";
    os << "    std     " << matrixText(r.std[m]) << "\n";
  }
}

} // namespace

int cmdEval(int argc, char **argv) {
  Args a(argc, argv, {"json", "no-specialize"}, {"input", "threads"});
  if (!a.error.empty())
    return fail("eval: " + a.error);
  if (a.positional.size() != 1 || !a.has("input"))
    return fail("usage: specjit eval EVAL.json --input DATA.csv [--json] "
                "[--no-specialize] [--threads N]");
  auto d = jit::Descriptor::fromFile(a.positional[0]);
  if (!d)
    return fail(d.takeError());
  if (d->kind() != jit::Kind::Eval)
    return fail(a.positional[0] + ": expected an eval descriptor, got kind '" +
                jit::kindName(d->kind()) + "'");
  jit::EvalOptions options;
  if (a.has("no-specialize"))
    options.specialize = false;
  if (a.has("threads")) {
    int64_t n = 0;
    if (!parseCount(a.get("threads"), n) || n > 1024)
      return fail("--threads: expected a count in 0..1024, got '" + a.get("threads") + "'");
    options.threads = static_cast<unsigned>(n);
  }
  std::string path = a.get("input");
  uint64_t bytes = 0;
  if (!llvm::sys::fs::file_size(path, bytes) && bytes == 0)
    return fail(path + ": the file is empty (expected a header naming " + "the columns)");
  auto table = readCsv(path, d->inputs());
  if (!table)
    return fail(table.takeError());
  if (table->rows == 0)
    return fail(path + ": no data rows (only a header)");
  std::vector<jit::Column> columns = table->views();
  auto result = jit::evaluate(*d, columns, options);
  if (!result) {
    // A data error names the CSV file and the row's line.
    const std::vector<int64_t> &lines = table->lines;
    return fail(llvm::handleErrors(result.takeError(), [&](const jit::RowError &e) -> llvm::Error {
      bool known = e.row() >= 0 && static_cast<size_t>(e.row()) < lines.size();
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          path + ":" + (known ? std::to_string(lines[e.row()]) : "row " + std::to_string(e.row())) +
              ": " + e.detail());
    }));
  }
  for (const std::string &w : result->warnings)
    llvm::errs() << "specjit: warning: " << w << "\n";
  if (a.has("json"))
    llvm::outs() << jit::evalResultJson(*result) << "\n";
  else
    printTable(*d, *result);
  return 0;
}

} // namespace tools
} // namespace specjit
