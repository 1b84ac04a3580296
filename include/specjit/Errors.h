//===- specjit/Errors.h - Kinds of failure callers can branch on -*- C++ -*-===//
//
// Errors travel as llvm::Error. Where a caller needs to know more than the
// message, the error has a kind: an llvm::ErrorInfo subclass carrying the
// fact (a data row), so callers test the kind (llvm::handleErrors,
// Error::isA) instead of parsing message text.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ERRORS_H
#define SPECJIT_ERRORS_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace specjit {
namespace jit {

/// A data check failed at one row of the caller's columns (0-based): a
/// label out of range, a missing value where none is allowed, a non-finite
/// feature. The message starts with "row N: ".
class RowError : public llvm::ErrorInfo<RowError> {
public:
  static char ID;
  RowError(int64_t row, std::string message)
      : row_(row), message_(std::move(message)) {}
  int64_t row() const { return row_; }
  /// The message without the "row N: " prefix.
  const std::string &detail() const { return message_; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

private:
  int64_t row_;
  std::string message_;
};

} // namespace jit
} // namespace specjit

#endif // SPECJIT_ERRORS_H
