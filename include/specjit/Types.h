//===- specjit/Types.h - Element types, hashes and buffer views -*- C++ -*-===//
//
// Small value types shared by the whole public API. No MLIR or LLVM types
// beyond llvm::StringRef appear here.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_TYPES_H
#define SPECJIT_TYPES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace specjit {
namespace jit {

/// Element type of an input column or of the output matrix.
enum class DType : uint8_t { Bool, I32, I64, F32, F64, String };

/// The spelling used in descriptors ("bool", "i32", "i64", "f32", "f64",
/// "string").
llvm::StringRef dtypeName(DType t);
/// Parses a descriptor spelling; std::nullopt when unknown.
std::optional<DType> parseDType(llvm::StringRef s);
/// Size in bytes of one element (0 for String, which is offsets + bytes).
size_t dtypeSize(DType t);

/// A stable 128-bit hash (xxh3-128 of the canonical descriptor text).
struct Hash128 {
  uint64_t hi = 0, lo = 0;
  /// 32 lowercase hex digits, hi first.
  std::string hex() const;
  friend bool operator==(const Hash128 &a, const Hash128 &b) {
    return a.hi == b.hi && a.lo == b.lo;
  }
  friend bool operator!=(const Hash128 &a, const Hash128 &b) { return !(a == b); }
};

/// A read-only view of one caller-owned input column. Numeric and bool
/// columns point at `rows` contiguous elements (bool: one byte each, 0 or 1).
/// String columns are Arrow-style: `offsets` holds rows+1 non-decreasing byte
/// offsets into `bytes`, row i being bytes[offsets[i], offsets[i+1]).
struct Column {
  DType type = DType::F64;
  const void *data = nullptr;
  const int64_t *offsets = nullptr;
  int64_t rows = 0;

  static Column f64(const double *p, int64_t n) { return {DType::F64, p, nullptr, n}; }
  static Column f32(const float *p, int64_t n) { return {DType::F32, p, nullptr, n}; }
  static Column i64(const int64_t *p, int64_t n) { return {DType::I64, p, nullptr, n}; }
  static Column i32(const int32_t *p, int64_t n) { return {DType::I32, p, nullptr, n}; }
  static Column boolean(const uint8_t *p, int64_t n) { return {DType::Bool, p, nullptr, n}; }
  static Column strings(const int64_t *offsets, const char *bytes, int64_t n) {
    return {DType::String, bytes, offsets, n};
  }
};

/// A caller-owned row-major output matrix of `rows` x `cols` elements of
/// `type` (F32 or F64).
struct Output {
  DType type = DType::F32;
  void *data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;

  static Output f32(float *p, int64_t rows, int64_t cols) { return {DType::F32, p, rows, cols}; }
  static Output f64(double *p, int64_t rows, int64_t cols) { return {DType::F64, p, rows, cols}; }
};

} // namespace jit
} // namespace specjit

#endif // SPECJIT_TYPES_H
