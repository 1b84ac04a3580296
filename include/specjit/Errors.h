//===- specjit/Errors.h - Kinds of failure callers can branch on -*- C++ -*-===//
//
// Errors travel as llvm::Error. Where a caller needs to know more than the
// message, the error has a kind: an llvm::ErrorInfo subclass carrying the
// fact (a data row, a JSON path, a compiler stage), so callers test the kind
// (llvm::handleErrors, Error::isA) instead of parsing message text. Each
// kind prints the message it always printed.
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
  RowError(int64_t row, std::string message) : row_(row), message_(std::move(message)) {}
  int64_t row() const { return row_; }
  /// The message without the "row N: " prefix.
  const std::string &detail() const { return message_; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }

private:
  int64_t row_;
  std::string message_;
};

/// A descriptor (or a model file) that does not parse or validate. The
/// message is "PATH: DETAIL", PATH the JSON path of the fault (`steps[2].op`;
/// "descriptor" for the document as a whole).
class DescriptorError : public llvm::ErrorInfo<DescriptorError> {
public:
  static char ID;
  DescriptorError(std::string path, std::string detail)
      : path_(std::move(path)), detail_(std::move(detail)) {}
  const std::string &path() const { return path_; }
  /// What was expected and what was found, without the path.
  const std::string &detail() const { return detail_; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }

private:
  std::string path_, detail_;
};

/// A stage of the compiler failed (jit::compile then falls back to the
/// interpreter when it may). The message is "STAGE: DETAIL", STAGE as
/// `specjit compile --emit` names it (`spec`, `llvm-opt`, `obj`, ...).
class StageError : public llvm::ErrorInfo<StageError> {
public:
  static char ID;
  StageError(std::string stage, std::string detail)
      : stage_(std::move(stage)), detail_(std::move(detail)) {}
  const std::string &stage() const { return stage_; }
  const std::string &detail() const { return detail_; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }

private:
  std::string stage_, detail_;
};

} // namespace jit
} // namespace specjit

#endif // SPECJIT_ERRORS_H
