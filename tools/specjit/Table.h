//===- Table.h - Typed columns for the driver: CSV and generated data -----===//
#ifndef SPECJIT_TOOLS_TABLE_H
#define SPECJIT_TOOLS_TABLE_H

#include "specjit/Descriptor.h"
#include "specjit/Types.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace specjit {
namespace tools {

/// Owns the storage of one input column and hands out a jit::Column view.
struct ColumnData {
  jit::DType type = jit::DType::F64;
  std::vector<double> f64;
  std::vector<float> f32;
  std::vector<int64_t> i64;
  std::vector<int32_t> i32;
  std::vector<uint8_t> b;
  std::vector<int64_t> offsets{0};
  std::string bytes;

  int64_t rows() const;
  jit::Column view() const;
};

/// The inputs of a descriptor, in descriptor order.
struct Table {
  std::vector<ColumnData> columns;
  int64_t rows = 0;
  /// readCsv only: the 1-based line where each row starts in the file (a
  /// quoted field may span lines, so rows and lines need not be in step).
  std::vector<int64_t> lines;
  std::vector<jit::Column> views() const;
};

/// Reads a CSV file with a header naming (at least) every input of `d`, by
/// the rule of docs/reliability.md ("CSV"): a UTF-8 BOM is skipped, header
/// names are unique, every row has as many fields as the header, an empty
/// line is a missing value in a one-column file (an error otherwise).
/// Empty fields are missing: NaN for floats, the input's sentinel for
/// integers (an error when it has none), "" for strings. Numbers read as
/// numpy reads them (1e400 -> inf; f32 via f64). The file is read under
/// SPECJIT_MAX_CSV_MB (specjit/ReadFile.h). Errors are "PATH:LINE: what".
llvm::Expected<Table> readCsv(llvm::StringRef path, const std::vector<jit::InputColumn> &columns);
/// readCsv() of text already in memory; `path` names it in errors.
llvm::Expected<Table> readCsvText(llvm::StringRef text, llvm::StringRef path,
                                  const std::vector<jit::InputColumn> &columns);

/// Reads a rules kernel's state matrix: a CSV (the readCsv() rule) whose
/// header names (at least) every meter; returns it row-major in the
/// descriptor's state type.
struct StateMatrix {
  std::vector<float> f32;
  std::vector<double> f64;
  int64_t rows = 0;
  jit::Output view(const jit::Descriptor &d);
  const void *data() const {
    return f32.empty() ? static_cast<const void *>(f64.data()) : f32.data();
  }
};
llvm::Expected<StateMatrix> readStateCsv(llvm::StringRef path, const jit::Descriptor &d);

/// A state matrix of `rows` agents with meters uniform in [0, 1).
StateMatrix generateState(const jit::Descriptor &d, int64_t rows, uint64_t seed);

/// Writes a row-major matrix as CSV with a header.
llvm::Error writeCsv(llvm::StringRef path, const std::vector<std::string> &names, const void *data,
                     jit::DType type, int64_t rows);

/// Checks before allocating that `rows` rows of `rowBytes` bytes each fit:
/// an error naming `what` when the product overflows or is more than the
/// physical memory of the machine (sysconf), so that a huge --rows or
/// output is a message, not an out-of-memory abort.
llvm::Error checkRowsFit(int64_t rows, uint64_t rowBytes, const llvm::Twine &what);

/// Bytes per row that generateInputs() (and, for rules, generateState())
/// allocate for `d`; strings are counted at 24 bytes.
uint64_t generatedRowBytes(const jit::Descriptor &d);

/// Random inputs for `d`: categories seen in its steps (plus some unknown
/// values), missing values at ~1%, positive floats. Deterministic in `seed`.
Table generateInputs(const jit::Descriptor &d, int64_t rows, uint64_t seed);

} // namespace tools
} // namespace specjit

#endif
