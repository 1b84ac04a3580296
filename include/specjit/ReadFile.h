//===- specjit/ReadFile.h - Bounded reading of input files ------*- C++ -*-===//
//
// Every file specjit reads whole (descriptors, CSV data, XGBoost models) goes
// through readBoundedFile(): regular files, pipes and devices alike are read
// in chunks and the read stops at a limit, so `/dev/zero` or an endless pipe
// is an error naming the file and the limit, never an out-of-memory abort.
// The limits are in MiB, from the environment (docs/reliability.md):
//
//   SPECJIT_MAX_DESCRIPTOR_MB   descriptors                       default 64
//   SPECJIT_MAX_CSV_MB          CSV data (run --input)            default 1024
//   SPECJIT_MAX_MODEL_MB        models to import (import xgboost) default 1024
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_READFILE_H
#define SPECJIT_READFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <string>

namespace specjit {
namespace jit {

/// One limit on input size: the environment variable that sets it (in MiB)
/// and its default.
struct ReadLimit {
  const char *envVar;
  size_t defaultMiB;
  /// What the limit applies to, for messages ("descriptor", "CSV file").
  const char *what;
};

/// The limits specjit reads under (see the file comment).
extern const ReadLimit kDescriptorReadLimit;
extern const ReadLimit kCsvReadLimit;
extern const ReadLimit kModelReadLimit;

/// The limit in bytes: the environment variable's value in MiB when it is
/// set (a positive integer, at most 1048576, i.e. 1 TiB), else the default.
/// An invalid value is an error naming the variable.
llvm::Expected<size_t> limitBytes(const ReadLimit &limit);

/// Reads the whole of `path` (a regular file, a pipe, a device; "-" is not
/// special) in chunks. More than limitBytes(limit) bytes is an error naming
/// the file, the limit and the variable that raises it; reading stops there.
llvm::Expected<std::string> readBoundedFile(llvm::StringRef path, const ReadLimit &limit);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_READFILE_H
