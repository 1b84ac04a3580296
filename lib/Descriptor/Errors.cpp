//===- Errors.cpp - Kinds of failure (specjit/Errors.h) -------------------===//
#include "specjit/Errors.h"

#include "Descriptor/DescriptorInternal.h"

#include "llvm/Support/raw_ostream.h"

namespace specjit {
namespace jit {

char RowError::ID = 0;
char DescriptorError::ID = 0;
char StageError::ID = 0;

void RowError::log(llvm::raw_ostream &os) const { os << "row " << row_ << ": " << message_; }

void DescriptorError::log(llvm::raw_ostream &os) const { os << path_ << ": " << detail_; }

void StageError::log(llvm::raw_ostream &os) const { os << stage_ << ": " << detail_; }

namespace detail {

ErrorRecord ErrorRecord::of(llvm::Error e) {
  ErrorRecord r;
  llvm::handleAllErrors(
      std::move(e),
      [&](const RowError &x) {
        r.kind = Kind::Row;
        r.row = x.row();
        r.detail = x.detail();
      },
      [&](const DescriptorError &x) {
        r.kind = Kind::Descriptor;
        r.where = x.path();
        r.detail = x.detail();
      },
      [&](const StageError &x) {
        r.kind = Kind::Stage;
        r.where = x.stage();
        r.detail = x.detail();
      },
      [&](const llvm::ErrorInfoBase &x) {
        r.kind = Kind::Other;
        r.detail = x.message();
      });
  return r;
}

llvm::Error ErrorRecord::rebuild() const {
  switch (kind) {
  case Kind::None:
    return llvm::Error::success();
  case Kind::Row:
    return llvm::make_error<RowError>(row, detail);
  case Kind::Descriptor:
    return llvm::make_error<DescriptorError>(where, detail);
  case Kind::Stage:
    return llvm::make_error<StageError>(where, detail);
  case Kind::Other:
    break;
  }
  return llvm::createStringError(llvm::inconvertibleErrorCode(), detail);
}

} // namespace detail

} // namespace jit
} // namespace specjit
