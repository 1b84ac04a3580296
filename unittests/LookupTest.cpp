//===- LookupTest.cpp - Lookups: chain and table shapes, the size guard ---===//
//
// Every lookup shape (string compare chain, string hash table, integer
// chain, identity range, dense index, sorted binary search) against the
// interpreter, on known keys, unknown keys under each `unknown` policy,
// missing values, empty strings, prefixes of keys and bytes >= 0x80; and
// the kernel-size guard, which must decide before lowering. Descriptors are
// generated here (large key counts included); none is committed.
//
//===----------------------------------------------------------------------===//
#include "specjit/specjit.h"

#include "gtest/gtest.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace specjit::jit;
namespace json = llvm::json;

namespace {

constexpr int64_t kMissing = -1;

std::string text(const json::Value &v) { return llvm::formatv("{0}", v).str(); }

/// A pipeline of one lookup step over a string or i64 column `c` (missing
/// sentinel -1 for i64). label_encode maps key j to 0.5 * j + 1.
std::string lookupPipeline(llvm::StringRef op, const std::vector<std::string> *strKeys,
                           const std::vector<int64_t> *intKeys, llvm::StringRef unknown = "") {
  json::Object input{{"name", "c"}};
  if (strKeys) {
    input["type"] = "string";
  } else {
    input["type"] = "i64";
    input["missing"] = kMissing;
  }
  size_t n = strKeys ? strKeys->size() : intKeys->size();
  auto keyText = [&](size_t j) { return strKeys ? (*strKeys)[j] : std::to_string((*intKeys)[j]); };
  json::Object step{{"op", op}, {"column", "c"}};
  if (op == "one_hot") {
    json::Array cats;
    for (size_t j = 0; j < n; ++j) {
      if (strKeys)
        cats.push_back((*strKeys)[j]);
      else
        cats.push_back((*intKeys)[j]);
    }
    step["categories"] = std::move(cats);
    if (!unknown.empty())
      step["unknown"] = unknown;
  } else {
    json::Object mapping;
    for (size_t j = 0; j < n; ++j)
      mapping[keyText(j)] = 0.5 * static_cast<double>(j) + 1;
    step["mapping"] = std::move(mapping);
    step["default"] = -7.0;
  }
  json::Object d{{"specjit", 1},
                 {"kind", "pipeline"},
                 {"inputs", json::Array{std::move(input)}},
                 {"output", json::Object{{"type", "f64"}}},
                 {"steps", json::Array{std::move(step)}}};
  return text(json::Value(std::move(d)));
}

CompileOptions jitOptions() {
  CompileOptions o;
  o.specialize = true;
  o.useCache = false;
  return o;
}
CompileOptions interpreterOptions() {
  CompileOptions o;
  o.specialize = false;
  o.useCache = false;
  return o;
}

struct StringColumn {
  std::vector<int64_t> offsets{0};
  std::string bytes;
  explicit StringColumn(const std::vector<std::string> &values) {
    for (const std::string &s : values) {
      bytes += s;
      offsets.push_back(static_cast<int64_t>(bytes.size()));
    }
  }
  Column column() const {
    return Column::strings(offsets.data(), bytes.data(), static_cast<int64_t>(offsets.size()) - 1);
  }
};

/// Runs both kernels on `in` and expects the same bits, or the same failing
/// row.
void expectSameResults(const Kernel &jit, const Kernel &ref, const Column &in) {
  int64_t rows = in.rows;
  size_t cols = jit.numOutputs();
  std::vector<double> a(rows * cols, -123.0), b(rows * cols, -123.0);
  llvm::Error ea = jit.run({in}, Output::f64(a.data(), rows, cols));
  llvm::Error eb = ref.run({in}, Output::f64(b.data(), rows, cols));
  std::string ta = ea ? llvm::toString(std::move(ea)) : "";
  std::string tb = eb ? llvm::toString(std::move(eb)) : "";
  ASSERT_EQ(ta, tb);
  int bad = 0;
  for (size_t k = 0; k < a.size() && bad < 5; ++k)
    if (std::memcmp(&a[k], &b[k], sizeof(double)) != 0) {
      ++bad;
      ADD_FAILURE() << "row " << k / cols << " column '" << jit.outputNames()[k % cols] << "': jit "
                    << a[k] << " interpreter " << b[k];
    }
}

/// Compiles `desc` both ways; the JIT kernel must be compiled.
std::pair<Kernel, Kernel> bothKernels(const std::string &desc) {
  auto d = Descriptor::parse(desc);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError());
    return {};
  }
  auto jit = compile(*d, jitOptions());
  auto ref = compile(*d, interpreterOptions());
  if (!jit || !ref) {
    ADD_FAILURE() << "compile failed";
    return {};
  }
  EXPECT_EQ(jit->backend(), Backend::Jit) << jit->fallbackReason();
  return {std::move(*jit), std::move(*ref)};
}

/// Keys that stress the string comparisons: empty, prefixes of each other,
/// word boundaries (7, 8, 9 bytes), bytes >= 0x80; then "key<i>" up to n.
std::vector<std::string> stringKeys(size_t n) {
  std::vector<std::string> keys = {"",          "a",
                                   "ab",        "abc",
                                   "abcdefg",   "abcdefgh",
                                   "abcdefghi", "abcdefghijklmnop",
                                   "\xc3\xa9",  "\xe6\x97\xa5\xe6\x9c\xac",
                                   "A",         "b"};
  keys.resize(std::min(keys.size(), n));
  for (size_t i = 0; keys.size() < n; ++i)
    keys.push_back("key" + std::to_string(i * 7 + 3));
  return keys;
}

/// Every key, then values that are not keys: prefixes and extensions of
/// keys, other bytes >= 0x80 (including invalid UTF-8), near misses.
std::vector<std::string> stringInputs(const std::vector<std::string> &keys, bool knownOnly) {
  std::vector<std::string> in(keys.begin(), keys.end());
  if (knownOnly)
    return in;
  for (const char *s :
       {"abcd", "abcdefghij", "abcdefghijklmno", "abcdefghijklmnopq", "\xc3", "\xff",
        "\xe6\x97\xa5", "B", "key", "key1 ", " key3", "KEY3", "key4", "abc\0"})
    in.push_back(s);
  in.push_back(std::string("ab\0", 3));
  for (size_t i = 0; i < keys.size(); i += 1 + keys.size() / 50) {
    in.push_back(keys[i] + "x");
    if (!keys[i].empty())
      in.push_back(keys[i].substr(0, keys[i].size() - 1));
  }
  // Mix known and unknown rows.
  std::mt19937_64 g(7);
  std::shuffle(in.begin(), in.end(), g);
  return in;
}

void checkStrings(size_t n, llvm::StringRef op, llvm::StringRef unknown = "") {
  SCOPED_TRACE(llvm::formatv("{0} over {1} string keys {2}", op, n, unknown).str());
  std::vector<std::string> keys = stringKeys(n);
  auto [jit, ref] = bothKernels(lookupPipeline(op, &keys, nullptr, unknown));
  if (!jit)
    return;
  StringColumn mixed(stringInputs(keys, false));
  expectSameResults(jit, ref, mixed.column());
  StringColumn known(stringInputs(keys, true));
  expectSameResults(jit, ref, known.column());
}

TEST(Lookup, StringLabelEncodeBothShapes) {
  for (size_t n : {5, 12, 31, 32, 40, 1000})
    checkStrings(n, "label_encode");
}

TEST(Lookup, StringOneHotBothShapesAndPolicies) {
  for (size_t n : {5, 12, 40, 300})
    for (const char *unknown : {"zeros", "error"})
      checkStrings(n, "one_hot", unknown);
}

/// Integer keys of each table mode, with the sentinel (-1) never a key.
std::vector<int64_t> intKeys(llvm::StringRef mode, size_t n) {
  std::vector<int64_t> keys;
  if (mode == "identity") {
    for (size_t i = 0; i < n; ++i)
      keys.push_back(static_cast<int64_t>(i));
  } else if (mode == "dense") {
    // A permuted range with holes, starting below zero.
    for (size_t i = 0; i < n; ++i)
      keys.push_back(static_cast<int64_t>((i * 37) % (2 * n)) * 1 - 3 * static_cast<int64_t>(n));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (size_t i = 0; keys.size() < n; ++i)
      keys.push_back(static_cast<int64_t>(n) + static_cast<int64_t>(i));
    std::reverse(keys.begin(), keys.end());
  } else {
    // Sparse, both signs, and the extremes of i64.
    keys = {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), -2, 0};
    for (size_t i = 0; keys.size() < n; ++i)
      keys.push_back(static_cast<int64_t>((i * 2654435761u) % 1000003) * 7919 - 4000000000);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    keys.erase(std::remove(keys.begin(), keys.end(), kMissing), keys.end());
    std::mt19937_64 g(3);
    std::shuffle(keys.begin(), keys.end(), g);
  }
  return keys;
}

void checkInts(llvm::StringRef mode, size_t n, llvm::StringRef op, llvm::StringRef unknown = "") {
  std::vector<int64_t> keys = intKeys(mode, n);
  SCOPED_TRACE(
      llvm::formatv("{0} over {1} {2} integer keys {3}", op, keys.size(), mode, unknown).str());
  auto [jit, ref] = bothKernels(lookupPipeline(op, nullptr, &keys, unknown));
  if (!jit)
    return;
  std::vector<int64_t> in(keys.begin(), keys.end());
  for (int64_t k : keys) {
    if (k != std::numeric_limits<int64_t>::max())
      in.push_back(k + 1);
    if (k != std::numeric_limits<int64_t>::min())
      in.push_back(k - 1);
  }
  for (int64_t v : {kMissing, int64_t(0), std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max(), int64_t(1) << 40})
    in.push_back(v);
  expectSameResults(jit, ref, Column::i64(in.data(), static_cast<int64_t>(in.size())));
  std::vector<int64_t> known(keys.begin(), keys.end());
  expectSameResults(jit, ref, Column::i64(known.data(), static_cast<int64_t>(known.size())));
}

TEST(Lookup, IntegerLabelEncodeEveryMode) {
  for (const char *mode : {"identity", "dense", "sorted"})
    for (size_t n : {5, 40, 2000})
      checkInts(mode, n, "label_encode");
}

TEST(Lookup, IntegerOneHotEveryModeAndPolicy) {
  for (const char *mode : {"identity", "dense", "sorted"})
    for (size_t n : {5, 40, 700})
      for (const char *unknown : {"zeros", "error"})
        checkInts(mode, n, "one_hot", unknown);
}

TEST(Lookup, HundredThousandKeysCompileQuicklyAndAgree) {
  // The table shape's code does not grow with the keys: these compile in a
  // fraction of a second (bench/lookup_bench.py measures it).
  for (const char *op : {"label_encode", "one_hot"}) {
    std::vector<std::string> keys = stringKeys(100000);
    auto [jit, ref] = bothKernels(lookupPipeline(op, &keys, nullptr));
    if (!jit)
      return;
    std::vector<std::string> in;
    for (size_t i = 0; i < keys.size(); i += 997)
      in.push_back(keys[i]);
    in.push_back("key2");
    in.push_back("nope");
    StringColumn column(in);
    expectSameResults(jit, ref, column.column());

    std::vector<int64_t> ints = intKeys("sorted", 100000);
    auto [ijit, iref] = bothKernels(lookupPipeline(op, nullptr, &ints));
    if (!ijit)
      return;
    std::vector<int64_t> iv;
    for (size_t i = 0; i < ints.size(); i += 991) {
      iv.push_back(ints[i]);
      iv.push_back(ints[i] + 1);
    }
    iv.push_back(kMissing);
    expectSameResults(ijit, iref, Column::i64(iv.data(), static_cast<int64_t>(iv.size())));
  }
}

//===----------------------------------------------------------------------===//
// The guard
//===----------------------------------------------------------------------===//

TEST(KernelSizeGuard, PolynomialOfDegree8Over16ColumnsFallsBackBeforeLowering) {
  // 735,471 output columns: lowering alone took minutes and gigabytes.
  json::Array inputs, names;
  for (int i = 0; i < 16; ++i) {
    std::string name = "x" + std::to_string(i);
    inputs.push_back(json::Object{{"name", name}, {"type", "f64"}});
    names.push_back(name);
  }
  json::Object d{
      {"specjit", 1},
      {"kind", "pipeline"},
      {"inputs", std::move(inputs)},
      {"output", json::Object{{"type", "f64"}}},
      {"steps", json::Array{json::Object{
                    {"op", "polynomial"}, {"columns", std::move(names)}, {"degree", 8}}}}};
  auto desc = Descriptor::parse(text(json::Value(std::move(d))));
  ASSERT_TRUE(static_cast<bool>(desc)) << llvm::toString(desc.takeError());
  auto k = compile(*desc, jitOptions());
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_EQ(k->backend(), Backend::Interpreter);
  std::string reason = k->fallbackReason();
  EXPECT_NE(reason.find("too large to specialize"), std::string::npos) << reason;
  EXPECT_NE(reason.find("steps[0] polynomial of 735471 output columns"), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("estimated before lowering"), std::string::npos) << reason;
  ASSERT_EQ(k->numOutputs(), 735471u);

  // The interpreter computes it: bias, the inputs, then the products.
  std::vector<std::vector<double>> cols(16);
  std::vector<Column> in;
  for (int i = 0; i < 16; ++i) {
    cols[i] = {1.0 + i, 0.5};
    in.push_back(Column::f64(cols[i].data(), 2));
  }
  std::vector<double> out(2 * 735471);
  ASSERT_FALSE(k->run(in, Output::f64(out.data(), 2, 735471)));
  EXPECT_EQ(out[0], 1.0);
  EXPECT_EQ(out[1], 1.0);
  EXPECT_EQ(out[16], 16.0);
  EXPECT_EQ(out[17], 1.0);                   // x0^2
  EXPECT_EQ(out[735470], std::pow(16.0, 8)); // x15^8
  EXPECT_EQ(out[735471 + 735470], std::pow(0.5, 8));
}

TEST(KernelSizeGuard, WideOneHotUnderASmallLimitFallsBackWithTheStep) {
  std::vector<int64_t> keys = intKeys("sorted", 100000);
  auto desc = Descriptor::parse(lookupPipeline("one_hot", nullptr, &keys));
  ASSERT_TRUE(static_cast<bool>(desc)) << llvm::toString(desc.takeError());
  CompileOptions o = jitOptions();
  o.maxKernelOps = 20;
  auto k = compile(*desc, o);
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_EQ(k->backend(), Backend::Interpreter);
  std::string reason = k->fallbackReason();
  EXPECT_NE(reason.find("too large to specialize"), std::string::npos) << reason;
  EXPECT_NE(reason.find("more than the limits of 20 and 800"), std::string::npos) << reason;
  EXPECT_NE(reason.find("estimated before lowering"), std::string::npos) << reason;

  std::vector<int64_t> in = {keys[5], keys[99999], kMissing, keys[5] + 1};
  std::vector<double> out(4 * keys.size(), 7.0);
  ASSERT_FALSE(k->run({Column::i64(in.data(), 4)}, Output::f64(out.data(), 4, keys.size())));
  EXPECT_EQ(out[5], 1.0);
  EXPECT_EQ(out[keys.size() + 99999], 1.0);
  EXPECT_EQ(std::count(out.begin(), out.end(), 1.0), 2);
  EXPECT_EQ(std::count(out.begin(), out.end(), 0.0), static_cast<long>(out.size()) - 2);

  // With the default limit the same descriptor compiles (tables, memset).
  auto fast = compile(*desc, jitOptions());
  ASSERT_TRUE(static_cast<bool>(fast));
  EXPECT_EQ(fast->backend(), Backend::Jit) << fast->fallbackReason();
}

TEST(KernelSizeGuard, LongFloatChainsFallBackNamingTheStep) {
  // Float categories keep the compare chain, so the estimate grows with them.
  std::string cats;
  for (int i = 0; i < 3000; ++i)
    cats += (i ? "," : "") + std::to_string(i) + ".5";
  std::string desc = R"({"specjit": 1, "kind": "pipeline", "inputs": [{"name": "x", "type": "f64"}],
    "output": {"type": "f64"}, "steps": [{"op": "label_encode", "column": "x", "mapping": [)" +
                     cats + "]}]}";
  auto d = Descriptor::parse(desc);
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  auto k = compile(*d, jitOptions());
  ASSERT_TRUE(static_cast<bool>(k));
  EXPECT_EQ(k->backend(), Backend::Interpreter);
  EXPECT_NE(k->fallbackReason().find("steps[0] label_encode of 3000 keys (chain)"),
            std::string::npos)
      << k->fallbackReason();
}

} // namespace
