//===- Lookup.h - Category lookup tables for the interpreter ----*- C++ -*-===//
//
// Maps a value to the index of the first category equal to it, or -1. Each
// table picks its strategy when built (linear scan for a few categories, a
// dense table or a sorted array / hash map for many) and switches on it once
// per block, not per row.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_INTERPRETER_LOOKUP_H
#define SPECJIT_INTERPRETER_LOOKUP_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace specjit {
namespace interp {

/// Up to this many categories are searched linearly.
constexpr size_t kLinearLookupMax = 8;

/// Integer categories compared as i64.
class IntLookup {
public:
  /// Builds the table; the first of equal categories wins.
  void build(const std::vector<int64_t> &categories);
  /// idx[r] = index of the category equal to v[r], or -1.
  void lookup(const int64_t *v, int64_t n, int32_t *idx) const;
  /// The index of the category equal to v, or -1.
  int32_t find(int64_t v) const;

private:
  enum class Mode : uint8_t { Linear, Dense, Sorted };
  Mode mode_ = Mode::Linear;
  std::vector<int64_t> cats_;
  int64_t lo_ = 0;
  std::vector<int32_t> table_;
  std::vector<std::pair<int64_t, int32_t>> sorted_;
};

/// Float categories compared as f64 (NaN equals nothing).
class FloatLookup {
public:
  /// Builds the table; the first of equal categories wins (0.0 == -0.0).
  void build(const std::vector<double> &categories);
  /// idx[r] = index of the first category equal to x[r], or -1.
  void lookup(const double *x, int64_t n, int32_t *idx) const;
  /// The index of the first category equal to x, or -1.
  int32_t find(double x) const;

private:
  bool linear_ = true;
  std::vector<double> cats_;
  std::vector<std::pair<double, int32_t>> sorted_;
};

/// String categories compared bytewise.
class StringLookup {
public:
  /// Builds the table; the first of equal categories wins.
  void build(const std::vector<std::string> &categories);
  /// idx[r] = index of the category equal to row r of an Arrow-style string
  /// column (`offsets` already positioned at the block's first row), or -1.
  void lookup(const int64_t *offsets, const char *bytes, int64_t n, int32_t *idx) const;
  /// The index of the category equal to the bytes [p, p+len), or -1.
  int32_t find(const char *p, size_t len) const;

private:
  bool linear_ = true;
  std::vector<std::string> cats_;
  llvm::StringMap<int32_t> map_;
};

} // namespace interp
} // namespace specjit

#endif // SPECJIT_INTERPRETER_LOOKUP_H
