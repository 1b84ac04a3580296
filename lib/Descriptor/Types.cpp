//===- Types.cpp - Element types and hashes -------------------------------===//
#include "specjit/Types.h"

#include "llvm/ADT/StringSwitch.h"

namespace specjit {
namespace jit {

llvm::StringRef dtypeName(DType t) {
  switch (t) {
  case DType::Bool:
    return "bool";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::String:
    return "string";
  }
  return "?";
}

std::optional<DType> parseDType(llvm::StringRef s) {
  return llvm::StringSwitch<std::optional<DType>>(s)
      .Case("bool", DType::Bool)
      .Case("i32", DType::I32)
      .Case("i64", DType::I64)
      .Case("f32", DType::F32)
      .Case("f64", DType::F64)
      .Case("string", DType::String)
      .Default(std::nullopt);
}

size_t dtypeSize(DType t) {
  switch (t) {
  case DType::Bool:
    return 1;
  case DType::I32:
  case DType::F32:
    return 4;
  case DType::I64:
  case DType::F64:
    return 8;
  case DType::String:
    return 0;
  }
  return 0;
}

std::string Hash128::hex() const {
  static const char digits[] = "0123456789abcdef";
  std::string s(32, '0');
  for (int i = 0; i < 16; ++i) {
    s[15 - i] = digits[(hi >> (4 * i)) & 0xf];
    s[31 - i] = digits[(lo >> (4 * i)) & 0xf];
  }
  return s;
}

} // namespace jit
} // namespace specjit
