//===- KernelArgs.h - Kernel argument arrays in tests ---------------------===//
#ifndef SPECJIT_UNITTESTS_KERNELARGS_H
#define SPECJIT_UNITTESTS_KERNELARGS_H

#include <cstdint>
#include <list>
#include <string>
#include <vector>

namespace specjit_test {

/// Caller-owned input columns laid out for the kernel ABI.
class Inputs {
public:
  Inputs &f64(std::vector<double> v) {
    d_.push_back(std::move(v));
    ptrs_.push_back(d_.back().data());
    return *this;
  }
  Inputs &f32(std::vector<float> v) {
    f_.push_back(std::move(v));
    ptrs_.push_back(f_.back().data());
    return *this;
  }
  Inputs &i64(std::vector<int64_t> v) {
    l_.push_back(std::move(v));
    ptrs_.push_back(l_.back().data());
    return *this;
  }
  Inputs &i32(std::vector<int32_t> v) {
    i_.push_back(std::move(v));
    ptrs_.push_back(i_.back().data());
    return *this;
  }
  Inputs &boolean(std::vector<uint8_t> v) {
    b_.push_back(std::move(v));
    ptrs_.push_back(b_.back().data());
    return *this;
  }
  Inputs &str(const std::vector<std::string> &v) {
    std::vector<int64_t> off{0};
    std::string bytes;
    for (const std::string &s : v) {
      bytes += s;
      off.push_back(static_cast<int64_t>(bytes.size()));
    }
    l_.push_back(std::move(off));
    s_.push_back(std::move(bytes));
    ptrs_.push_back(l_.back().data());
    ptrs_.push_back(s_.back().data());
    return *this;
  }
  const void *const *args() const { return ptrs_.data(); }

private:
  std::list<std::vector<double>> d_;
  std::list<std::vector<float>> f_;
  std::list<std::vector<int64_t>> l_;
  std::list<std::vector<int32_t>> i_;
  std::list<std::vector<uint8_t>> b_;
  std::list<std::string> s_;
  std::vector<const void *> ptrs_;
};

} // namespace specjit_test

#endif
