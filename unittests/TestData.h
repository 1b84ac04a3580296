//===- TestData.h - Descriptors and input columns for public-API tests ----===//
//
// What the tests of jit::compile and its kernels feed them: descriptors
// parsed or the test ended, the churn pipeline and its data, and
// deterministic inputs for any descriptor's declared columns, as
// jit::Column values. (KernelArgs.h lays columns out
// for the internal kernel ABI instead, for the interpreter and reference
// tests.)
//
//===----------------------------------------------------------------------===//
#ifndef SPECJIT_UNITTESTS_TESTDATA_H
#define SPECJIT_UNITTESTS_TESTDATA_H

#include "specjit/specjit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace specjit_test {

/// `text` parsed; a parse error fails the test and ends the process (the
/// test cannot go on without its descriptor).
inline specjit::jit::Descriptor parseOrDie(const std::string &text) {
  auto d = specjit::jit::Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError());
    std::abort();
  }
  return std::move(*d);
}

/// The churn pipeline (4 inputs, 6 f32 outputs) with its first mean as a
/// parameter, in tenths (412: 41.2): distinct descriptors whose kernels
/// have the same size.
inline std::string churnText(int meanTenths = 412) {
  std::string mean = std::to_string(meanTenths / 10) + "." + std::to_string(meanTenths % 10);
  return R"({
  "specjit": 1, "kind": "pipeline", "name": "churn",
  "inputs": [{"name": "age", "type": "i64"},
             {"name": "income", "type": "f64"},
             {"name": "engagement", "type": "f64"},
             {"name": "category", "type": "i64", "missing": -1}],
  "output": {"type": "f32"},
  "steps": [
    {"op": "standardize", "column": "age", "mean": )" +
         mean + R"(, "std": 12.7},
    {"op": "log", "column": "income"},
    {"op": "standardize", "column": "income", "mean": 10.8, "std": 0.9},
    {"op": "clip", "column": "engagement", "min": 0, "max": 1},
    {"op": "impute", "column": "category", "value": 1},
    {"op": "one_hot", "column": "category", "categories": [0, 1, 2]}
  ]})";
}

/// `n` rows of the churn pipeline's inputs: every 13th income NaN, every
/// 11th category missing (-1), and categories 3 that it does not know.
struct ChurnData {
  std::vector<int64_t> age, category;
  std::vector<double> income, engagement;
  explicit ChurnData(int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      age.push_back(18 + (i * 7) % 60);
      income.push_back(i % 13 == 0 ? NAN : 5000.0 + 37.5 * (i % 1000));
      engagement.push_back(-0.2 + 0.01 * (i % 150));
      category.push_back(i % 11 == 0 ? -1 : i % 4); // 3 is unknown
    }
  }
  std::vector<specjit::jit::Column> columns() const {
    using specjit::jit::Column;
    int64_t n = age.size();
    return {Column::i64(age.data(), n), Column::f64(income.data(), n),
            Column::f64(engagement.data(), n), Column::i64(category.data(), n)};
  }
};

/// Deterministic inputs for any descriptor's declared columns (numbers in a
/// small range, salted with NaN; strings from a few words), in `cols`.
struct DeclaredInputs {
  std::vector<std::vector<double>> f64;
  std::vector<std::vector<float>> f32;
  std::vector<std::vector<int64_t>> i64;
  std::vector<std::vector<int32_t>> i32;
  std::vector<std::vector<uint8_t>> b;
  std::vector<std::vector<int64_t>> offsets;
  std::vector<std::string> bytes;
  std::vector<specjit::jit::Column> cols;
  DeclaredInputs(const specjit::jit::Descriptor &d, int64_t rows, unsigned seed = 1) {
    using specjit::jit::Column;
    using specjit::jit::DType;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-2, 60);
    size_t n = d.inputs().size();
    f64.resize(n), f32.resize(n), i64.resize(n), i32.resize(n), b.resize(n);
    offsets.resize(n), bytes.resize(n);
    for (size_t i = 0; i < n; ++i) {
      for (int64_t r = 0; r < rows; ++r) {
        double v = u(rng);
        switch (d.inputs()[i].type) {
        case DType::F64:
          f64[i].push_back(r % 17 == 5 ? NAN : v);
          break;
        case DType::F32:
          f32[i].push_back(float(v));
          break;
        case DType::I64:
          i64[i].push_back(int64_t(v) % 6 - 1);
          break;
        case DType::I32:
          i32[i].push_back(int32_t(v) % 6);
          break;
        case DType::Bool:
          b[i].push_back(v > 20);
          break;
        case DType::String: {
          if (offsets[i].empty())
            offsets[i].push_back(0);
          static const char *words[] = {"a", "bb", "ccc", "", "dd"};
          bytes[i] += words[r % 5];
          offsets[i].push_back(int64_t(bytes[i].size()));
          break;
        }
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      switch (d.inputs()[i].type) {
      case DType::F64:
        cols.push_back(Column::f64(f64[i].data(), rows));
        break;
      case DType::F32:
        cols.push_back(Column::f32(f32[i].data(), rows));
        break;
      case DType::I64:
        cols.push_back(Column::i64(i64[i].data(), rows));
        break;
      case DType::I32:
        cols.push_back(Column::i32(i32[i].data(), rows));
        break;
      case DType::Bool:
        cols.push_back(Column::boolean(b[i].data(), rows));
        break;
      case DType::String:
        cols.push_back(Column::strings(offsets[i].data(), bytes[i].data(), rows));
        break;
      }
    }
  }
};

} // namespace specjit_test

#endif
