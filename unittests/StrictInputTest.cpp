//===- StrictInputTest.cpp - Strict JSON and bounded reading of inputs ----===//
//
// Regression tests for what hostile input did to the readers of descriptors
// and XGBoost models (docs/reliability.md): non-standard JSON accepted,
// deep nesting crashing the importer, endless files read until the process
// ran out of memory.
//
//===----------------------------------------------------------------------===//

#include "specjit/Descriptor.h"
#include "specjit/Import.h"
#include "specjit/ReadFile.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

using namespace specjit::jit;
using llvm::StringRef;

namespace {

std::string descriptorError(StringRef text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (d)
    return "<no error>";
  return llvm::toString(d.takeError());
}

std::string importError(StringRef text) {
  llvm::Expected<std::string> t = importXGBoostJSON(text);
  if (t)
    return "<no error>";
  return llvm::toString(t.takeError());
}

/// A valid pipeline descriptor with `value` as the standardize mean.
std::string withMean(const std::string &value) {
  return R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"a","type":"f64"}],)"
         R"("output":{"type":"f64"},"steps":[{"op":"standardize","column":"a",)"
         R"("mean":)" +
         value + R"(,"std":1}]})";
}
/// Column of the mean's value in withMean().
const size_t kMeanColumn = withMean("").size() - std::string(R"(,"std":1}]})").size() + 1;

/// Sets an environment variable for the life of the object.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char *n, const char *value) : name(n) { setenv(n, value, 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

TEST(StrictJson, NumbersOutsideRfc8259AreErrorsWithPathLineAndColumn) {
  struct Case {
    const char *number, *why;
  } cases[] = {
      {".5", "a number needs a digit before the '.'"},
      {"-.5", "a number needs a digit before the '.'"},
      {"1.", "a number needs a digit after the '.'"},
      {"01", "a number cannot have a leading zero"},
      {"-01", "a number cannot have a leading zero"},
      {"+1", "a number cannot start with '+'"},
  };
  for (const Case &c : cases) {
    std::string err = descriptorError(withMean(c.number));
    std::string where = "line 1, column " + std::to_string(kMeanColumn);
    EXPECT_EQ(err, std::string("steps[0].mean: invalid JSON at ") + where + ": '" + c.number +
                       "': " + c.why)
        << c.number;
  }
  // llvm::json rejects these itself; still with line and column (its
  // column is just after the token).
  for (const char *bad : {"-", "1e", "1e+", "1.5.2", "--1"}) {
    std::string err = descriptorError(withMean(bad));
    EXPECT_EQ(err.rfind("descriptor: invalid JSON at line 1, column ", 0), 0u) << err;
    EXPECT_NE(err.find("invalid JSON value (number?)"), std::string::npos) << err;
  }
  // What RFC 8259 allows still parses.
  for (const char *ok : {"0", "-0", "0.5", "-0.5", "10", "1e5", "1E+5", "2.5e-3", "0e0"}) {
    llvm::Expected<Descriptor> d = Descriptor::parse(withMean(ok));
    EXPECT_TRUE(static_cast<bool>(d)) << ok << ": " << llvm::toString(d.takeError());
  }
}

TEST(StrictJson, StringsOutsideRfc8259AreErrors) {
  auto named = [](const std::string &name) {
    return R"({"specjit":1,"kind":"pipeline","inputs":[{"name":")" + name +
           R"(","type":"f64"}],"output":{"type":"f64"},"steps":[]})";
  };
  std::string lone = descriptorError(named("\\ud800"));
  EXPECT_EQ(lone.rfind("inputs[0].name: invalid JSON at line 1, column ", 0), 0u) << lone;
  EXPECT_NE(lone.find("the escape '\\ud800' is a lone surrogate"), std::string::npos) << lone;
  EXPECT_NE(descriptorError(named("\\udc00")).find("lone surrogate"), std::string::npos);
  EXPECT_NE(descriptorError(named("\\ud800\\u0041")).find("lone surrogate"), std::string::npos);
  EXPECT_NE(descriptorError(named("a\\ud800")).find("lone surrogate"), std::string::npos);
  // Raw control characters: an error with line and column (a key, too).
  for (char c : {'\x01', '\t', '\n', '\x1f'}) {
    std::string err = descriptorError(named(std::string("a") + c + "b"));
    EXPECT_NE(err.find("invalid JSON at line"), std::string::npos) << err;
    EXPECT_NE(err.find("control character"), std::string::npos) << err;
  }
  std::string key = descriptorError("{\"spec\x01jit\":1}");
  EXPECT_EQ(key, "descriptor: invalid JSON at line 1, column 8: control character in string");
  // A surrogate pair is one character: fine.
  llvm::Expected<Descriptor> d = Descriptor::parse(named("\\ud83d\\ude00"));
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->inputs()[0].name, "\xF0\x9F\x98\x80");
}

TEST(StrictJson, FirstFindingInTextOrderAndSyntaxErrorsFirst) {
  // A duplicate key before a bad number: the duplicate is reported.
  std::string dup = descriptorError(R"({"specjit":1,"specjit":01})");
  EXPECT_EQ(dup, "descriptor: duplicate key 'specjit' (line 1, column 14)");
  // A syntax error anywhere wins over a strictness finding before it
  // (llvm::json's column is just after the '}').
  EXPECT_EQ(descriptorError(R"({"specjit":01,"kind":})"),
            "descriptor: invalid JSON at line 1, column 23: invalid JSON value");
}

TEST(StrictJson, XGBoostModelsAreStrictToo) {
  std::string err = importError(R"({"learner": {"x": [1, .5]}})");
  EXPECT_EQ(err, "xgboost model: learner.x[1]: not valid JSON at line 1, column 23: "
                 "'.5': a number needs a digit before the '.'");
  EXPECT_NE(importError(R"({"learner": "\udfff"})")
                .find("xgboost model: learner: not valid "
                      "JSON at line 1, column 14"),
            std::string::npos);
  // XGBoost's bare NaN and Infinity are read (the model error comes next),
  // and syntax errors after them keep their original column: the '}' is
  // column 17 (llvm::json says 18, just after it), 21 in the text where
  // each NaN became null.
  EXPECT_EQ(importError(R"({"learner": [NaN, -Infinity, Infinity]})"),
            "xgboost model: learner: expected an object");
  std::string after = importError("[NaN, NaN, NaN, }");
  EXPECT_EQ(after, "xgboost model: not valid JSON at line 1, column 18: invalid JSON value");
}

TEST(StrictJson, DeepXGBoostModelIsAnErrorNotACrash) {
  // 50,000 levels used to overflow the stack in llvm::json::parse.
  std::string deep = std::string(50000, '[') + std::string(50000, ']');
  EXPECT_EQ(importError(deep),
            "xgboost model: JSON nested deeper than 256 levels (line 1, column 257)");
  std::string deepObjects;
  for (int i = 0; i < 50000; ++i)
    deepObjects += "{\"learner\":";
  EXPECT_NE(importError(deepObjects).find("nested deeper than 256 levels"), std::string::npos);
}

TEST(ReadLimits, DevicesAndPipesStopAtTheLimit) {
  for (const char *device : {"/dev/zero", "/dev/urandom"}) {
    llvm::Expected<Descriptor> d = Descriptor::fromFile(device);
    ASSERT_FALSE(static_cast<bool>(d));
    EXPECT_EQ(llvm::toString(d.takeError()),
              std::string(device) + ": the descriptor is larger than the limit of 64 MiB "
                                    "(67108864 bytes; set SPECJIT_MAX_DESCRIPTOR_MB to "
                                    "change it)");
  }
  ScopedEnv small("SPECJIT_MAX_MODEL_MB", "2");
  llvm::Expected<std::string> m = importXGBoostFile("/dev/zero");
  ASSERT_FALSE(static_cast<bool>(m));
  EXPECT_EQ(llvm::toString(m.takeError()),
            "/dev/zero: the model file is larger than the limit of 2 MiB (2097152 bytes; "
            "set SPECJIT_MAX_MODEL_MB to change it)");
}

TEST(ReadLimits, RegularFilesAndTheEnvironment) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("specjit-limit", "json", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << std::string((1 << 20) + 1, ' ');
  }
  {
    ScopedEnv one("SPECJIT_MAX_DESCRIPTOR_MB", "1");
    llvm::Expected<Descriptor> d = Descriptor::fromFile(path);
    ASSERT_FALSE(static_cast<bool>(d));
    EXPECT_NE(llvm::toString(d.takeError()).find("larger than the limit of 1 MiB"),
              std::string::npos);
    // The same limit holds for text given directly.
    EXPECT_NE(descriptorError(std::string((1 << 20) + 1, ' '))
                  .find("more than the limit of 1048576 bytes"),
              std::string::npos);
  }
  {
    // Exactly at the limit is read (and then is not a descriptor).
    ScopedEnv two("SPECJIT_MAX_DESCRIPTOR_MB", "2");
    llvm::Expected<std::string> text = readBoundedFile(path, kDescriptorReadLimit);
    ASSERT_TRUE(static_cast<bool>(text)) << llvm::toString(text.takeError());
    EXPECT_EQ(text->size(), (1u << 20) + 1);
  }
  for (const char *bad : {"0", "-1", "abc", "1.5", "99999999"}) {
    ScopedEnv env("SPECJIT_MAX_DESCRIPTOR_MB", bad);
    llvm::Expected<Descriptor> d = Descriptor::fromFile(path);
    ASSERT_FALSE(static_cast<bool>(d));
    EXPECT_EQ(llvm::toString(d.takeError()),
              std::string("SPECJIT_MAX_DESCRIPTOR_MB: expected a whole number of MiB "
                          "from 1 to 1048576, got '") +
                  bad + "'");
  }
  llvm::sys::fs::remove(path);
  llvm::Expected<std::string> missing =
      readBoundedFile("/nonexistent/x.json", kDescriptorReadLimit);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()).rfind("cannot read '/nonexistent/x.json': ", 0),
            0u);
}

} // namespace
