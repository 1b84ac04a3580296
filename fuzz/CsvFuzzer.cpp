//===- CsvFuzzer.cpp - libFuzzer harness for the driver's CSV reader ------===//
//
// Any bytes as a CSV file (tools::readCsvText): a table or an error naming
// a line, never a crash. The first byte picks the inputs read: one f64
// column `x` (the one-column rule) or the columns x:f64, c:i64 (missing -1),
// s:string, b:bool, f:f32. Every column of a table must have its row
// count. Built by scripts/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "Table.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace specjit::jit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  static const std::vector<InputColumn> one = {{"x", DType::F64, std::nullopt}};
  static const std::vector<InputColumn> five = {{"x", DType::F64, std::nullopt},
                                                {"c", DType::I64, -1},
                                                {"s", DType::String, std::nullopt},
                                                {"b", DType::Bool, std::nullopt},
                                                {"f", DType::F32, std::nullopt}};
  const auto &inputs = data[0] & 1 ? five : one;
  llvm::StringRef text(reinterpret_cast<const char *>(data + 1), size - 1);
  llvm::Expected<specjit::tools::Table> t = specjit::tools::readCsvText(text, "fuzz.csv", inputs);
  if (!t) {
    llvm::consumeError(t.takeError());
    return 0;
  }
  for (const specjit::tools::ColumnData &c : t->columns)
    if (c.rows() != t->rows) {
      std::fprintf(stderr, "a column has %lld rows, the table %lld\n",
                   static_cast<long long>(c.rows()), static_cast<long long>(t->rows));
      std::abort();
    }
  return 0;
}
