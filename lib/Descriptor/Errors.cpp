//===- Errors.cpp - Kinds of failure (specjit/Errors.h) -------------------===//
#include "specjit/Errors.h"

#include "llvm/Support/raw_ostream.h"

namespace specjit {
namespace jit {

char RowError::ID = 0;

void RowError::log(llvm::raw_ostream &os) const {
  os << "row " << row_ << ": " << message_;
}

} // namespace jit
} // namespace specjit
