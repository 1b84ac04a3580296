//===- Lookup.cpp - Category lookup tables for the interpreter ------------===//

#include "Interpreter/Lookup.h"

#include <algorithm>
#include <cstring>

namespace specjit {
namespace interp {

//===----------------------------------------------------------------------===//
// IntLookup
//===----------------------------------------------------------------------===//

void IntLookup::build(const std::vector<int64_t> &categories) {
  cats_ = categories;
  table_.clear();
  sorted_.clear();
  if (cats_.empty()) {
    mode_ = Mode::Linear;
    return;
  }
  int64_t lo = *std::min_element(cats_.begin(), cats_.end());
  int64_t hi = *std::max_element(cats_.begin(), cats_.end());
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span < 4 * static_cast<uint64_t>(cats_.size()) + 64) {
    // One extra -1 entry at the end: out-of-range values are clamped to it.
    mode_ = Mode::Dense;
    lo_ = lo;
    table_.assign(span + 2, -1);
    for (size_t j = 0; j < cats_.size(); ++j) {
      uint64_t d = static_cast<uint64_t>(cats_[j]) - static_cast<uint64_t>(lo);
      if (table_[d] < 0)
        table_[d] = static_cast<int32_t>(j);
    }
    return;
  }
  if (cats_.size() <= kLinearLookupMax) {
    mode_ = Mode::Linear;
    return;
  }
  mode_ = Mode::Sorted;
  sorted_.reserve(cats_.size());
  for (size_t j = 0; j < cats_.size(); ++j)
    sorted_.emplace_back(cats_[j], static_cast<int32_t>(j));
  std::stable_sort(sorted_.begin(), sorted_.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
}

int32_t IntLookup::find(int64_t v) const {
  int32_t idx;
  lookup(&v, 1, &idx);
  return idx;
}

void IntLookup::lookup(const int64_t *v, int64_t n, int32_t *idx) const {
  switch (mode_) {
  case Mode::Linear: {
    const int64_t *c = cats_.data();
    int32_t k = static_cast<int32_t>(cats_.size());
    for (int64_t r = 0; r < n; ++r) {
      int64_t x = v[r];
      int32_t m = -1;
      for (int32_t j = k - 1; j >= 0; --j)
        m = x == c[j] ? j : m;
      idx[r] = m;
    }
    return;
  }
  case Mode::Dense: {
    const int32_t *t = table_.data();
    uint64_t last = table_.size() - 1;
    uint64_t lo = static_cast<uint64_t>(lo_);
    for (int64_t r = 0; r < n; ++r) {
      uint64_t d = static_cast<uint64_t>(v[r]) - lo;
      idx[r] = t[d < last ? d : last];
    }
    return;
  }
  case Mode::Sorted: {
    auto cmp = [](const std::pair<int64_t, int32_t> &p, int64_t x) { return p.first < x; };
    for (int64_t r = 0; r < n; ++r) {
      auto it = std::lower_bound(sorted_.begin(), sorted_.end(), v[r], cmp);
      idx[r] = (it != sorted_.end() && it->first == v[r]) ? it->second : -1;
    }
    return;
  }
  }
}

//===----------------------------------------------------------------------===//
// FloatLookup
//===----------------------------------------------------------------------===//

void FloatLookup::build(const std::vector<double> &categories) {
  cats_ = categories;
  sorted_.clear();
  linear_ = cats_.size() <= kLinearLookupMax;
  if (linear_)
    return;
  // NaN categories can never match; leave them out so the order is strict
  // weak.
  for (size_t j = 0; j < cats_.size(); ++j)
    if (cats_[j] == cats_[j])
      sorted_.emplace_back(cats_[j], static_cast<int32_t>(j));
  std::stable_sort(sorted_.begin(), sorted_.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
}

int32_t FloatLookup::find(double x) const {
  int32_t idx;
  lookup(&x, 1, &idx);
  return idx;
}

void FloatLookup::lookup(const double *x, int64_t n, int32_t *idx) const {
  if (linear_) {
    const double *c = cats_.data();
    int32_t k = static_cast<int32_t>(cats_.size());
    for (int64_t r = 0; r < n; ++r) {
      double v = x[r];
      int32_t m = -1;
      for (int32_t j = k - 1; j >= 0; --j)
        m = v == c[j] ? j : m;
      idx[r] = m;
    }
    return;
  }
  auto cmp = [](const std::pair<double, int32_t> &p, double v) { return p.first < v; };
  for (int64_t r = 0; r < n; ++r) {
    double v = x[r];
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), v, cmp);
    idx[r] = (it != sorted_.end() && it->first == v) ? it->second : -1;
  }
}

//===----------------------------------------------------------------------===//
// StringLookup
//===----------------------------------------------------------------------===//

void StringLookup::build(const std::vector<std::string> &categories) {
  cats_ = categories;
  map_.clear();
  linear_ = cats_.size() <= kLinearLookupMax;
  if (linear_)
    return;
  for (size_t j = 0; j < cats_.size(); ++j)
    map_.try_emplace(cats_[j], static_cast<int32_t>(j));
}

int32_t StringLookup::find(const char *p, size_t len) const {
  if (linear_) {
    for (size_t j = 0; j < cats_.size(); ++j) {
      const std::string &c = cats_[j];
      if (c.size() == len && (len == 0 || std::memcmp(c.data(), p, len) == 0))
        return static_cast<int32_t>(j);
    }
    return -1;
  }
  auto it = map_.find(llvm::StringRef(p, len));
  return it == map_.end() ? -1 : it->second;
}

void StringLookup::lookup(const int64_t *offsets, const char *bytes, int64_t n,
                          int32_t *idx) const {
  for (int64_t r = 0; r < n; ++r) {
    int64_t b = offsets[r], e = offsets[r + 1];
    idx[r] = find(bytes + b, static_cast<size_t>(e - b));
  }
}

} // namespace interp
} // namespace specjit
