//===- PipelineDescriptorTest.cpp - The pipeline family's descriptors -----===//
//
// Descriptor::parse on `pipeline` documents: the names of the step ops,
// every validation error of the inputs, the output and each step (with its
// JSON path), the analyzed plan of each op (scikit-learn's polynomial feature
// names among them), the canonical text and what the hash does and does not
// depend on, PipelineBuilder, and schemas/pipeline.schema.json.
//
//===----------------------------------------------------------------------===//

#include "DescriptorTestSupport.h"
#include "Families/Pipeline/PipelineSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace specjit::jit;
using namespace specjit_test;
using llvm::StringRef;

namespace {

//===----------------------------------------------------------------------===//
// Names of enums
//===----------------------------------------------------------------------===//

TEST(DescriptorNames, OpsAndKinds) {
  EXPECT_EQ(kindName(Kind::Pipeline), "pipeline");
  EXPECT_EQ(stepOpName(StepOp::Standardize), "standardize");
  EXPECT_EQ(stepOpName(StepOp::MinMax), "minmax");
  EXPECT_EQ(stepOpName(StepOp::Log), "log");
  EXPECT_EQ(stepOpName(StepOp::Log1p), "log1p");
  EXPECT_EQ(stepOpName(StepOp::Clip), "clip");
  EXPECT_EQ(stepOpName(StepOp::Impute), "impute");
  EXPECT_EQ(stepOpName(StepOp::OneHot), "one_hot");
  EXPECT_EQ(stepOpName(StepOp::LabelEncode), "label_encode");
  EXPECT_EQ(stepOpName(StepOp::Polynomial), "polynomial");
  EXPECT_EQ(stepOpName(StepOp::Bucketize), "bucketize");
  EXPECT_EQ(stepOpName(StepOp::Expr), "expr");
  EXPECT_EQ(exprOpName(Expr::Op::Add), "+");
  EXPECT_EQ(exprOpName(Expr::Op::Le), "<=");
  EXPECT_EQ(exprOpName(Expr::Op::Ne), "!=");
  EXPECT_EQ(exprOpName(Expr::Op::And), "and");
  EXPECT_EQ(exprOpName(Expr::Op::Not), "not");
  EXPECT_EQ(exprOpName(Expr::Op::Log1p), "log1p");
  EXPECT_EQ(exprOpName(Expr::Op::Select), "select");
}

//===----------------------------------------------------------------------===//
// Errors: JSON path and what was expected
//===----------------------------------------------------------------------===//

TEST(DescriptorErrors, Inputs) {
  EXPECT_PARSE_ERROR(doc("[]", "[]"), "inputs", "expected a non-empty array of input columns");
  EXPECT_PARSE_ERROR(doc("{}", "[]"), "inputs",
                     "expected a non-empty array of input columns, got an "
                     "object");
  EXPECT_PARSE_ERROR(doc(R"(["a"])", "[]"), "inputs[0]", "expected an input column object");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"nme":"b","type":"f64"}])", "[]"),
                     "inputs[1]", "unknown key 'nme' (did you mean 'name'?)");
  EXPECT_PARSE_ERROR(doc(R"([{"type":"f64"}])", "[]"), "inputs[0]", "missing required key 'name'");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"","type":"f64"}])", "[]"), "inputs[0].name",
                     "expected a non-empty string");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"name":"a","type":"i64"}])", "[]"),
                     "inputs[1].name", "duplicate input name 'a' (also inputs[0])");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a"}])", "[]"), "inputs[0]", "missing required key 'type'");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"name":"b","type":"int64"}])", "[]"),
                     "inputs[1].type", "expected one of bool, i32, i64, f32, f64, string");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64","missing":-1}])", "[]"), "inputs[0].missing",
                     "only bool, i32 and i64 inputs take a 'missing' sentinel");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"string","missing":0}])", "[]"),
                     "inputs[0].missing", "string columns have no missing value");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"i64","missing":1.5}])", "[]"), "inputs[0].missing",
                     "expected an integer");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"i64","missing":"x"}])", "[]"), "inputs[0].missing",
                     "expected an integer");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"i32","missing":3000000000}])", "[]"),
                     "inputs[0].missing", "within the range of i32");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"bool","missing":2}])", "[]"), "inputs[0].missing",
                     "within the range of bool ([0, 1])");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"i64","missing":9223372036854775808}])", "[]"),
                     "inputs[0].missing", "within the range of i64");
}

TEST(DescriptorErrors, Output) {
  std::string in = R"([{"name":"a","type":"f64"},{"name":"s","type":"string"}])";
  EXPECT_PARSE_ERROR(doc(kABC, "[]", "[]"), "output", "expected an object");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({})"), "output", "missing required key 'type'");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"i32"})"), "output.type",
                     "expected one of f32, f64");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","colums":["a"]})"), "output",
                     "unknown key 'colums' (did you mean 'columns'?)");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":[]})"), "output.columns",
                     "expected a non-empty array");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":["a",3]})"), "output.columns[1]",
                     "expected a column name");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":["a","b","a"]})"),
                     "output.columns[2]", "duplicate output column 'a'");
  EXPECT_PARSE_ERROR(doc(kABC, "[]", R"({"type":"f32","columns":["a","x"]})"), "output.columns[1]",
                     "unknown column 'x'");
  // A string column may not reach the output, listed or implied.
  EXPECT_PARSE_ERROR(doc(in, "[]"), "output",
                     "column 's' is a string column and cannot be written");
  EXPECT_PARSE_ERROR(doc(in, "[]", R"({"type":"f32","columns":["s"]})"), "output.columns[0]",
                     "'s' is a string column");
  // Dropping it with output.columns is fine.
  parseOk(doc(in, "[]", R"({"type":"f32","columns":["a"]})"));
}

TEST(DescriptorErrors, StepShape) {
  EXPECT_PARSE_ERROR(doc(kABC, "[1]"), "steps[0]", "expected a step object");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"column":"a"}])"), "steps[0]",
                     "missing required key 'op' (one of standardize, minmax,");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":7}])"), "steps[0].op", "expected one of standardize");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"standardise","column":"a"}])"), "steps[0].op",
                     "unknown op 'standardise' (expected one of standardize, "
                     "minmax, log, log1p, clip, impute, one_hot, label_encode, "
                     "polynomial, bucketize, expr)");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log","column":"a"},)"
                               R"({"op":"standardize","colum":"a","mean":0,"std":1}])"),
                     "steps[1]", "unknown key 'colum'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log","column":"a","mean":0}])"), "steps[0]",
                     "unknown key 'mean'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log"}])"), "steps[0]", "missing required key 'column'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log","column":""}])"), "steps[0].column",
                     "expected a column name");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"log","column":["a"]}])"), "steps[0].column",
                     "expected a column name");
}

TEST(DescriptorErrors, UnknownColumns) {
  std::string steps = R"([{"op":"log","column":"a"},{"op":"log","column":"b"},)"
                      R"({"op":"log","column":"c"},{"op":"log","column":"foo"}])";
  EXPECT_PARSE_ERROR(doc(kABC, steps), "steps[3].column",
                     "unknown column 'foo' (current columns: a, b, c)");
  // A column consumed by an earlier step is gone.
  EXPECT_PARSE_ERROR(doc(R"([{"name":"c","type":"i64"}])",
                         R"([{"op":"one_hot","column":"c","categories":[1,2]},)"
                         R"({"op":"log","column":"c"}])"),
                     "steps[1].column", "unknown column 'c' (current columns: c=1, c=2)");
}

TEST(DescriptorErrors, NumericParameters) {
  auto step = [](const std::string &s) { return doc(kABC, "[" + s + "]"); };
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":0,"std":0})"), "steps[0].std",
                     "expected a finite number > 0, got 0");
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":0,"std":-2})"), "steps[0].std",
                     "expected a finite number > 0");
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","std":1})"), "steps[0]",
                     "missing required key 'mean'");
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":"0","std":1})"),
                     "steps[0].mean", "expected a finite number, got the string '0'");
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":null,"std":1})"),
                     "steps[0].mean", "expected a finite number, got null");
  // 1e999 parses to infinity: rejected.
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":1e999,"std":1})"),
                     "steps[0].mean", "expected a finite number");
  EXPECT_PARSE_ERROR(step(R"({"op":"standardize","column":"a","mean":0,"std":1e999})"),
                     "steps[0].std", "expected a finite number > 0");
  EXPECT_PARSE_ERROR(step(R"({"op":"minmax","column":"a","min":1,"max":1})"), "steps[0].max",
                     "expected a finite number > min (1)");
  EXPECT_PARSE_ERROR(step(R"({"op":"minmax","column":"a","min":2,"max":1})"), "steps[0].max",
                     "> min");
  EXPECT_PARSE_ERROR(step(R"({"op":"minmax","column":"a","min":0})"), "steps[0]",
                     "missing required key 'max'");
  EXPECT_PARSE_ERROR(step(R"({"op":"minmax","column":"a","min":-1e308,"max":1e308})"),
                     "steps[0].max", "max - min overflows");
  EXPECT_PARSE_ERROR(step(R"({"op":"clip","column":"a"})"), "steps[0]", "clip needs a bound");
  EXPECT_PARSE_ERROR(step(R"({"op":"clip","column":"a","min":3,"max":1})"), "steps[0].max",
                     "expected a finite number >= min (3)");
  EXPECT_PARSE_ERROR(step(R"({"op":"clip","column":"a","min":-1e999})"), "steps[0].min",
                     "expected a finite number");
  EXPECT_PARSE_ERROR(step(R"({"op":"impute","column":"a","value":1e999})"), "steps[0].value",
                     "expected a finite number");
  EXPECT_PARSE_ERROR(step(R"({"op":"impute","column":"a"})"), "steps[0]",
                     "missing required key 'value'");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[]})"), "steps[0].edges",
                     "expected a non-empty array");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[1,3,2]})"),
                     "steps[0].edges[2]",
                     "expected edges in strictly increasing order, got 2 "
                     "after 3");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[1,1]})"), "steps[0].edges[1]",
                     "strictly increasing");
  EXPECT_PARSE_ERROR(step(R"({"op":"bucketize","column":"a","edges":[1,"2"]})"),
                     "steps[0].edges[1]", "expected a finite number");
}

TEST(DescriptorErrors, StringColumns) {
  std::string in = R"([{"name":"s","type":"string"},{"name":"x","type":"f64"}])";
  for (const char *op : {"log", "log1p"})
    EXPECT_PARSE_ERROR(
        doc(in, std::string(R"([{"op":")") + op + R"(","column":"s"}])"), "steps[0].column",
        "column 's' is a string column, but " + std::string(op) + " needs a numeric column");
  EXPECT_PARSE_ERROR(doc(in, R"([{"op":"standardize","column":"s","mean":0,"std":1}])"),
                     "steps[0].column", "string column");
  EXPECT_PARSE_ERROR(doc(in, R"([{"op":"impute","column":"s","value":0}])"), "steps[0].column",
                     "is a string column, which has no missing values");
  EXPECT_PARSE_ERROR(doc(in, R"([{"op":"polynomial","columns":["x","s"],"degree":2}])"),
                     "steps[0].columns[1]", "string column");
  EXPECT_PARSE_ERROR(doc(in, R"([{"op":"expr","name":"y","expr":"x + s"}])"), "steps[0].expr",
                     "column 's' at offset 4 is a string column");
}

TEST(DescriptorErrors, Impute) {
  EXPECT_PARSE_ERROR(
      doc(R"([{"name":"n","type":"i64"}])", R"([{"op":"impute","column":"n","value":0}])"),
      "steps[0].column", "integer column without a 'missing' sentinel");
  // After an impute the column has no sentinel any more.
  EXPECT_PARSE_ERROR(doc(R"([{"name":"n","type":"i64","missing":-1}])",
                         R"([{"op":"impute","column":"n","value":0},)"
                         R"({"op":"impute","column":"n","value":0}])"),
                     "steps[1].column", "without a 'missing' sentinel");
}

TEST(DescriptorErrors, OneHot) {
  std::string ints = R"([{"name":"c","type":"i64","missing":-1}])";
  std::string floats = R"([{"name":"f","type":"f64"}])";
  std::string strs = R"([{"name":"s","type":"string"}])";
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"log","column":"c"},{"op":"log","column":"c"},)"
                               R"({"op":"one_hot","column":"c","categories":[]}])"),
                     "steps[2].categories", "expected a non-empty array of numbers");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c","categories":[]}])"),
                     "steps[0].categories", "expected a non-empty array of integers");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c","categories":"0,1"}])"),
                     "steps[0].categories", "expected a non-empty array of integers");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c"}])"), "steps[0]",
                     "missing required key 'categories'");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c","categories":[1,1.5]}])"),
                     "steps[0].categories[1]",
                     "expected an integer (column 'c' is an integer column), got 1.5");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c","categories":[1,"a"]}])"),
                     "steps[0].categories[1]", "expected an integer");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c","categories":[1,2,1]}])"),
                     "steps[0].categories[2]", "duplicate category '1' (also at index 0)");
  // 2 and 2.0 are the same integer.
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c","categories":[2,2.0]}])"),
                     "steps[0].categories[1]", "duplicate category '2'");
  EXPECT_PARSE_ERROR(doc(ints, R"([{"op":"one_hot","column":"c","categories":[0,-1]}])"),
                     "steps[0].categories[1]", "category -1 is the missing sentinel of column 'c'");
  EXPECT_PARSE_ERROR(doc(floats, R"([{"op":"one_hot","column":"f","categories":[0.5,5e-1]}])"),
                     "steps[0].categories[1]", "duplicate category '0.5'");
  EXPECT_PARSE_ERROR(doc(floats, R"([{"op":"one_hot","column":"f","categories":[0,-0.0]}])"),
                     "steps[0].categories[1]", "duplicate category");
  EXPECT_PARSE_ERROR(doc(floats, R"([{"op":"one_hot","column":"f","categories":["a"]}])"),
                     "steps[0].categories[0]",
                     "expected a finite number (column 'f' is a "
                     "float column)");
  EXPECT_PARSE_ERROR(doc(strs, R"([{"op":"one_hot","column":"s","categories":[1]}])"),
                     "steps[0].categories[0]", "expected a string");
  EXPECT_PARSE_ERROR(doc(strs, R"([{"op":"one_hot","column":"s","categories":["x","x"]}])"),
                     "steps[0].categories[1]", "duplicate category 'x'");
  EXPECT_PARSE_ERROR(doc(strs, R"([{"op":"one_hot","column":"s","categories":["x"],)"
                               R"("unknown":"ignore"}])"),
                     "steps[0].unknown", "expected one of zeros, error");
}

TEST(DescriptorErrors, LabelEncode) {
  std::string ints = R"([{"name":"c","type":"i64","missing":-1}])";
  std::string floats = R"([{"name":"f","type":"f64"}])";
  std::string strs = R"([{"name":"s","type":"string"}])";
  auto le = [](const std::string &col, const std::string &rest) {
    return R"([{"op":"label_encode","column":")" + col + "\"," + rest + "}]";
  };
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{})")), "steps[0].mapping",
                     "expected a non-empty object {category: code} or a "
                     "non-empty array of strings");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":[])")), "steps[0].mapping", "non-empty");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":3)")), "steps[0].mapping", "got 3");
  EXPECT_PARSE_ERROR(doc(strs, "[{\"op\":\"label_encode\",\"column\":\"s\"}]"), "steps[0]",
                     "missing required key 'mapping'");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{"a":"x"})")), "steps[0].mapping.a",
                     "expected a finite number (the code)");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{"a":1e999})")), "steps[0].mapping.a",
                     "expected a finite number");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":{"a":1},"default":"z")")), "steps[0].default",
                     "expected a finite number");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":["a","b","a"])")), "steps[0].mapping[2]",
                     "duplicate category 'a'");
  EXPECT_PARSE_ERROR(doc(strs, le("s", R"("mapping":["a",1])")), "steps[0].mapping[1]",
                     "expected a string");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"1.5":0})")), "steps[0].mapping[\"1.5\"]",
                     "expected a decimal integer key");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"abc":0})")), "steps[0].mapping.abc",
                     "expected a decimal integer key");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"1":0,"01":1})")), "steps[0].mapping.1",
                     "duplicate category '1'");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":{"-1":0})")), "steps[0].mapping[\"-1\"]",
                     "category -1 is the missing sentinel");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":[1,-1])")), "steps[0].mapping[1]",
                     "missing sentinel");
  EXPECT_PARSE_ERROR(doc(ints, le("c", R"("mapping":[1,2.5])")), "steps[0].mapping[1]",
                     "expected an integer");
  EXPECT_PARSE_ERROR(doc(floats, le("f", R"("mapping":{"x":0})")), "steps[0].mapping.x",
                     "expected a key that is a finite JSON number");
  EXPECT_PARSE_ERROR(doc(floats, le("f", R"("mapping":{"1":0,"1.0":1})")),
                     "steps[0].mapping[\"1.0\"]", "duplicate category '1'");
  EXPECT_PARSE_ERROR(doc(floats, le("f", R"("mapping":{"1e999":0})")), "steps[0].mapping.1e999",
                     "finite JSON number");
}

TEST(DescriptorErrors, Polynomial) {
  auto poly = [](const std::string &rest) {
    return doc(kABC, R"([{"op":"polynomial",)" + rest + "}]");
  };
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":0)"), "steps[0].degree",
                     "expected an integer in 1..8, got 0");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":9)"), "steps[0].degree",
                     "expected an integer in 1..8, got 9");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":2.5)"), "steps[0].degree",
                     "expected an integer in 1..8");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":"2")"), "steps[0].degree",
                     "expected an integer in 1..8");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"])"), "steps[0]", "missing required key 'degree'");
  EXPECT_PARSE_ERROR(poly(R"("columns":[],"degree":2)"), "steps[0].columns",
                     "expected a non-empty array of numeric column names");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b","a"],"degree":2)"), "steps[0].columns[2]",
                     "duplicate column 'a'");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","z"],"degree":2)"), "steps[0].columns[1]",
                     "unknown column 'z'");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":2,"interaction_only":"yes")"),
                     "steps[0].interaction_only", "expected true or false");
  EXPECT_PARSE_ERROR(poly(R"("columns":["a","b"],"degree":2,"include_bias":1)"),
                     "steps[0].include_bias", "expected true or false");
  EXPECT_PARSE_ERROR(poly(R"("column":"a","degree":2)"), "steps[0]",
                     "unknown key 'column' (did you mean 'columns'?)");
  // A produced name may not collide with a column that stays.
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"name":"b","type":"f64"},)"
                         R"({"name":"a b","type":"f64"}])",
                         R"([{"op":"polynomial","columns":["a","b"],"degree":2}])"),
                     "steps[0]",
                     "polynomial produces the column 'a b', which collides with the current "
                     "column 'a b' (from inputs[2])");
}

TEST(DescriptorErrors, Expr) {
  std::string steps = R"([{"op":"log","column":"a"},{"op":"log","column":"a"},)"
                      R"({"op":"log","column":"a"},{"op":"log","column":"a"},)"
                      R"({"op":"expr","name":"y","expr":"a + b * z"}])";
  EXPECT_PARSE_ERROR(doc(kABC, steps), "steps[4].expr",
                     "unknown column 'z' at offset 8 (current columns: a, b, c)");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":"a + (b"}])"), "steps[0].expr",
                     "expected ')'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":""}])"), "steps[0].expr",
                     "expected an expression at offset 0");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":3}])"), "steps[0].expr",
                     "expected the expression text");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","expr":"a"}])"), "steps[0]",
                     "missing required key 'name'");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"","expr":"a"}])"), "steps[0].name",
                     "expected a column name");
  EXPECT_PARSE_ERROR(doc(kABC, R"([{"op":"expr","name":"y","expr":"`a b`"}])"), "steps[0].expr",
                     "unknown column 'a b' at offset 0");
}

TEST(DescriptorErrors, NameCollisions) {
  EXPECT_PARSE_ERROR(doc(R"([{"name":"c","type":"i64"},{"name":"c=1","type":"f64"}])",
                         R"([{"op":"one_hot","column":"c","categories":[0,1]}])"),
                     "steps[0]",
                     "one_hot produces the column 'c=1', which collides with the current "
                     "column 'c=1' (from inputs[1])");
  EXPECT_PARSE_ERROR(doc(R"([{"name":"c","type":"i64"},{"name":"d","type":"f64"}])",
                         R"([{"op":"expr","name":"c=1","expr":"d"},)"
                         R"({"op":"one_hot","column":"c","categories":[0,1]}])"),
                     "steps[1]", "(from steps[0])");
  // Polynomial names can repeat with unusual column names.
  EXPECT_PARSE_ERROR(doc(R"([{"name":"a","type":"f64"},{"name":"a^2","type":"f64"}])",
                         R"([{"op":"polynomial","columns":["a","a^2"],"degree":2}])"),
                     "steps[0]", "would produce the column 'a^2' twice");
}

//===----------------------------------------------------------------------===//
// Plans
//===----------------------------------------------------------------------===//

TEST(DescriptorPlan, InputKinds) {
  ASSERT_PARSES(d, doc(R"([{"name":"b","type":"bool","missing":0},)"
                       R"({"name":"i","type":"i32"},)"
                       R"({"name":"l","type":"i64","missing":-9},)"
                       R"({"name":"f","type":"f32"},{"name":"g","type":"f64"},)"
                       R"({"name":"s","type":"string"}])",
                       "[]", R"({"type":"f64","columns":["g","b"]})"));
  const PipelineSpec &p = d.spec<PipelineSpec>();
  ASSERT_EQ(p.inputs.size(), 6u);
  EXPECT_EQ(p.inputs[0].type, DType::Bool);
  EXPECT_EQ(p.inputs[0].missing, std::optional<int64_t>(0));
  EXPECT_EQ(p.inputs[1].missing, std::nullopt);
  EXPECT_EQ(p.inputs[5].type, DType::String);
  ASSERT_EQ(p.plan.values.size(), 6u);
  ValueKind kinds[] = {ValueKind::Int,   ValueKind::Int,   ValueKind::Int,
                       ValueKind::Float, ValueKind::Float, ValueKind::String};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(p.plan.values[i].kind, kinds[i]) << i;
    EXPECT_EQ(p.plan.values[i].name, p.inputs[i].name);
  }
  EXPECT_EQ(p.plan.values[0].missing, std::optional<int64_t>(0));
  EXPECT_EQ(p.plan.values[2].missing, std::optional<int64_t>(-9));
  EXPECT_EQ(p.plan.values[3].missing, std::nullopt);
  EXPECT_TRUE(p.plan.nodes.empty());
  EXPECT_EQ(p.plan.outputs, (std::vector<int>{4, 0}));
  EXPECT_EQ(d.outputNames(), (std::vector<std::string>{"g", "b"}));
  EXPECT_EQ(d.outputType(), DType::F64);
  EXPECT_EQ(d.numOutputs(), 2u);
  EXPECT_EQ(p.outputColumns, (std::vector<std::string>{"g", "b"}));
}

TEST(DescriptorPlan, ElementwiseOps) {
  ASSERT_PARSES(d, doc(R"([{"name":"a","type":"i64"},{"name":"b","type":"f32"}])",
                       R"([{"op":"standardize","column":"a","mean":35,"std":15},)"
                       R"({"op":"minmax","column":"b","min":-1,"max":3},)"
                       R"({"op":"log","column":"a"},{"op":"log1p","column":"b"},)"
                       R"({"op":"clip","column":"a","min":0},)"
                       R"({"op":"clip","column":"b","max":2.5},)"
                       R"({"op":"clip","column":"b","min":-1,"max":1},)"
                       R"({"op":"bucketize","column":"a","edges":[0,1.5,3]}])"));
  const PipelineSpec &p = d.spec<PipelineSpec>();
  ASSERT_EQ(p.steps.size(), 8u);
  ASSERT_EQ(p.plan.nodes.size(), 8u);
  EXPECT_EQ(p.steps[0].mean, 35.0);
  EXPECT_EQ(p.steps[0].std, 15.0);
  EXPECT_EQ(p.steps[0].column, "a");
  EXPECT_EQ(p.steps[1].min, -1.0);
  EXPECT_EQ(p.steps[1].max, 3.0);
  EXPECT_EQ(p.steps[4].min, 0.0);
  EXPECT_EQ(p.steps[4].max, INFINITY);
  EXPECT_EQ(p.steps[5].min, -INFINITY);
  EXPECT_EQ(p.steps[5].max, 2.5);
  EXPECT_EQ(p.steps[7].edges, (std::vector<double>{0, 1.5, 3}));
  // SSA: each step reads the current value and appends one Float value.
  int expectArgs[] = {0, 1, 2, 3, 4, 5, 7, 6};
  for (int i = 0; i < 8; ++i) {
    const PlanNode &n = p.plan.nodes[i];
    EXPECT_EQ(n.op, p.steps[i].op);
    EXPECT_EQ(n.step, i);
    EXPECT_EQ(n.args, std::vector<int>{expectArgs[i]}) << i;
    EXPECT_EQ(n.results, std::vector<int>{2 + i}) << i;
    EXPECT_EQ(p.plan.values[2 + i].kind, ValueKind::Float);
    EXPECT_EQ(p.plan.values[2 + i].missing, std::nullopt);
  }
  EXPECT_EQ(p.plan.values[9].name, "a");
  EXPECT_EQ(p.plan.outputs, (std::vector<int>{9, 8}));
  EXPECT_EQ(names(d), (std::vector<std::string>{"a", "b"}));
}

TEST(DescriptorPlan, Impute) {
  ASSERT_PARSES(d, doc(R"([{"name":"a","type":"i64","missing":-1},)"
                       R"({"name":"b","type":"i32","missing":0},)"
                       R"({"name":"c","type":"i64","missing":-1},)"
                       R"({"name":"f","type":"f64"}])",
                       R"([{"op":"impute","column":"a","value":7},)"
                       R"({"op":"impute","column":"b","value":0.5},)"
                       R"({"op":"impute","column":"c","value":1e19},)"
                       R"({"op":"impute","column":"f","value":2}])"));
  const Plan &plan = d.spec<PipelineSpec>().plan;
  ASSERT_EQ(plan.values.size(), 8u);
  // Int with sentinel and integral value: stays Int, without sentinel.
  EXPECT_EQ(plan.values[4].kind, ValueKind::Int);
  EXPECT_EQ(plan.values[4].missing, std::nullopt);
  // Non-integral value, or integral beyond i64: becomes Float.
  EXPECT_EQ(plan.values[5].kind, ValueKind::Float);
  EXPECT_EQ(plan.values[6].kind, ValueKind::Float);
  EXPECT_EQ(plan.values[7].kind, ValueKind::Float);
  EXPECT_EQ(d.spec<PipelineSpec>().steps[0].value, 7.0);
  // The imputed Int column can then be one-hot encoded with integers.
  ASSERT_PARSES(e, doc(R"([{"name":"a","type":"i64","missing":-1}])",
                       R"([{"op":"impute","column":"a","value":-1},)"
                       R"({"op":"one_hot","column":"a","categories":[-1,0]}])"));
  EXPECT_EQ(e.spec<PipelineSpec>().steps[1].intCategories, (std::vector<int64_t>{-1, 0}));
}

TEST(DescriptorPlan, OneHot) {
  ASSERT_PARSES(d, doc(R"([{"name":"x","type":"f64"},{"name":"c","type":"i64","missing":-1},)"
                       R"({"name":"f","type":"f32"},{"name":"s","type":"string"},)"
                       R"({"name":"y","type":"f64"}])",
                       R"([{"op":"one_hot","column":"c","categories":[2,0,10]},)"
                       R"({"op":"one_hot","column":"f","categories":[0.5,1.0,-2.5,1e20],)"
                       R"("unknown":"error"},)"
                       R"({"op":"one_hot","column":"s","categories":["red","a b",""]}])"));
  const PipelineSpec &p = d.spec<PipelineSpec>();
  EXPECT_EQ(p.steps[0].intCategories, (std::vector<int64_t>{2, 0, 10}));
  EXPECT_TRUE(p.steps[0].floatCategories.empty());
  EXPECT_EQ(p.steps[0].unknown, UnknownPolicy::Zeros);
  EXPECT_EQ(p.steps[1].floatCategories, (std::vector<double>{0.5, 1.0, -2.5, 1e20}));
  EXPECT_EQ(p.steps[1].unknown, UnknownPolicy::Error);
  EXPECT_EQ(p.steps[2].stringCategories, (std::vector<std::string>{"red", "a b", ""}));
  // Expanded in place, in category order.
  EXPECT_EQ(names(d), (std::vector<std::string>{"x", "c=2", "c=0", "c=10", "f=0.5", "f=1", "f=-2.5",
                                                "f=1e+20", "s=red", "s=a b", "s=", "y"}));
  const PlanNode &n0 = p.plan.nodes[0];
  EXPECT_EQ(n0.args, std::vector<int>{1});
  EXPECT_EQ(n0.results, (std::vector<int>{5, 6, 7}));
  for (int v : n0.results)
    EXPECT_EQ(p.plan.values[v].kind, ValueKind::Float);
  EXPECT_EQ(p.plan.nodes[2].args, std::vector<int>{3});
  EXPECT_EQ(p.plan.outputs.front(), 0);
  EXPECT_EQ(p.plan.outputs.back(), 4);
}

TEST(DescriptorPlan, LabelEncode) {
  ASSERT_PARSES(d, doc(R"([{"name":"s","type":"string"},{"name":"i","type":"i64","missing":-1},)"
                       R"({"name":"f","type":"f64"},{"name":"t","type":"string"}])",
                       R"([{"op":"label_encode","column":"s","mapping":{"b":1,"a":0.5,"c":7}},)"
                       R"({"op":"label_encode","column":"i","mapping":{"10":1,"-3":2,"2":3},)"
                       R"("default":99},)"
                       R"({"op":"label_encode","column":"f","mapping":{"0.5":1,"-1e0":2}},)"
                       R"({"op":"label_encode","column":"t","mapping":["z","x","y"]}])"));
  const PipelineSpec &p = d.spec<PipelineSpec>();
  // Categories are kept sorted by value; codes follow their category.
  EXPECT_EQ(p.steps[0].stringCategories, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(p.steps[0].codes, (std::vector<double>{0.5, 1, 7}));
  EXPECT_EQ(p.steps[0].defaultCode, -1.0);
  EXPECT_EQ(p.steps[1].intCategories, (std::vector<int64_t>{-3, 2, 10}));
  EXPECT_EQ(p.steps[1].codes, (std::vector<double>{2, 3, 1}));
  EXPECT_EQ(p.steps[1].defaultCode, 99.0);
  EXPECT_EQ(p.steps[2].floatCategories, (std::vector<double>{-1, 0.5}));
  EXPECT_EQ(p.steps[2].codes, (std::vector<double>{2, 1}));
  // Array form: the code is the position.
  EXPECT_EQ(p.steps[3].stringCategories, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(p.steps[3].codes, (std::vector<double>{1, 2, 0}));
  for (const PlanNode &n : p.plan.nodes) {
    ASSERT_EQ(n.results.size(), 1u);
    EXPECT_EQ(p.plan.values[n.results[0]].kind, ValueKind::Float);
  }
  EXPECT_EQ(names(d), (std::vector<std::string>{"s", "i", "f", "t"}));
}

std::vector<std::string> polyNames(const std::string &cols, int degree, bool interactionOnly,
                                   bool includeBias) {
  std::string step = R"([{"op":"polynomial","columns":)" + cols + R"(,"degree":)" +
                     std::to_string(degree) + R"(,"interaction_only":)" +
                     (interactionOnly ? "true" : "false") + R"(,"include_bias":)" +
                     (includeBias ? "true" : "false") + "}]";
  Descriptor d = parseOk(doc(kABC, step));
  return d.outputNames();
}

TEST(DescriptorPlan, PolynomialNamesMatchScikitLearn) {
  using V = std::vector<std::string>;
  // Expected lists are PolynomialFeatures(...).get_feature_names_out(["a",
  // "b", "c"]) from scikit-learn.
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, false, true),
            (V{"1", "a", "b", "c", "a^2", "a b", "a c", "b^2", "b c", "c^2"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, false, false),
            (V{"a", "b", "c", "a^2", "a b", "a c", "b^2", "b c", "c^2"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, true, true),
            (V{"1", "a", "b", "c", "a b", "a c", "b c"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 2, true, false), (V{"a", "b", "c", "a b", "a c", "b c"}));
  EXPECT_EQ(
      polyNames(R"(["a","b","c"])", 3, false, true),
      (V{"1",   "a",     "b",     "c",     "a^2",   "a b",   "a c", "b^2",   "b c",   "c^2",
         "a^3", "a^2 b", "a^2 c", "a b^2", "a b c", "a c^2", "b^3", "b^2 c", "b c^2", "c^3"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 3, true, false),
            (V{"a", "b", "c", "a b", "a c", "b c", "a b c"}));
  EXPECT_EQ(polyNames(R"(["a","b","c"])", 3, true, true),
            (V{"1", "a", "b", "c", "a b", "a c", "b c", "a b c"}));
  // Interaction-only beyond the column count stops at all columns.
  EXPECT_EQ(polyNames(R"(["a","b"])", 5, true, false), (V{"a", "b", "a b", "c"}));
  // Degree 1, and the listed order (not the input order) is feature order.
  EXPECT_EQ(polyNames(R"(["c","a"])", 1, false, true), (V{"b", "1", "c", "a"}));
  EXPECT_EQ(polyNames(R"(["b"])", 3, false, false), (V{"a", "b", "b^2", "b^3", "c"}));
  EXPECT_EQ(polyNames(R"(["c","a"])", 2, false, false), (V{"b", "c", "a", "c^2", "c a", "a^2"}));
}

TEST(DescriptorPlan, PolynomialPositionAndValues) {
  ASSERT_PARSES(d, doc(R"([{"name":"p","type":"f64"},{"name":"x","type":"i64"},)"
                       R"({"name":"q","type":"f64"},{"name":"y","type":"f32"},)"
                       R"({"name":"r","type":"f64"}])",
                       R"([{"op":"polynomial","columns":["x","y"],"degree":2,)"
                       R"("include_bias":false}])"));
  // The new columns take the place of the first listed column; the others
  // listed are removed.
  EXPECT_EQ(names(d), (std::vector<std::string>{"p", "x", "y", "x^2", "x y", "y^2", "q", "r"}));
  const PipelineSpec &p = d.spec<PipelineSpec>();
  const PlanNode &n = p.plan.nodes[0];
  EXPECT_EQ(n.op, StepOp::Polynomial);
  EXPECT_EQ(n.args, (std::vector<int>{1, 3}));
  EXPECT_EQ(n.results, (std::vector<int>{5, 6, 7, 8, 9}));
  for (int v : n.results)
    EXPECT_EQ(p.plan.values[v].kind, ValueKind::Float);
  EXPECT_EQ(p.steps[0].columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(p.steps[0].degree, 2);
  EXPECT_FALSE(p.steps[0].includeBias);
  EXPECT_FALSE(p.steps[0].interactionOnly);
  EXPECT_TRUE(p.steps[0].column.empty());
}

TEST(DescriptorPlan, Expr) {
  ASSERT_PARSES(d, doc(kABC, R"([{"op":"expr","name":"y","expr":"b * 2 + a - b / `c`"},)"
                             R"({"op":"expr","name":"a","expr":"-a"},)"
                             R"({"op":"expr","name":"k","expr":"1"}])"));
  const PipelineSpec &p = d.spec<PipelineSpec>();
  // Appended at the end when new; replaced in place when existing.
  EXPECT_EQ(names(d), (std::vector<std::string>{"a", "b", "c", "y", "k"}));
  const PlanNode &n0 = p.plan.nodes[0];
  // Distinct columns, in order of first appearance.
  EXPECT_EQ(n0.args, (std::vector<int>{1, 0, 2}));
  EXPECT_EQ(n0.results, std::vector<int>{3});
  EXPECT_EQ(sexpr(*p.steps[0].expr), "(- (+ (* b$0 2) a$1) (/ b$0 c$2))");
  EXPECT_EQ(p.steps[0].exprText, "b * 2 + a - b / `c`");
  EXPECT_EQ(p.steps[0].name, "y");
  EXPECT_EQ(p.plan.values[3].kind, ValueKind::Float);
  EXPECT_EQ(p.plan.nodes[1].args, std::vector<int>{0});
  EXPECT_EQ(p.plan.nodes[1].results, std::vector<int>{4});
  EXPECT_TRUE(p.plan.nodes[2].args.empty());
  EXPECT_EQ(p.plan.outputs, (std::vector<int>{4, 1, 2, 3, 5}));
  // Expressions see columns produced by earlier steps, by backquoted name.
  ASSERT_PARSES(e, doc(R"([{"name":"c","type":"i64"}])",
                       R"([{"op":"one_hot","column":"c","categories":[1,2]},)"
                       R"({"op":"expr","name":"any","expr":"`c=1` or `c=2`"}])",
                       R"({"type":"f32","columns":["any"]})"));
  EXPECT_EQ(e.spec<PipelineSpec>().plan.nodes[1].args, (std::vector<int>{1, 2}));
  EXPECT_EQ(e.outputNames(), std::vector<std::string>{"any"});
  // The Int input converts: reading it in an expression is fine.
  ASSERT_PARSES(f, doc(R"([{"name":"n","type":"i64","missing":0}])",
                       R"([{"op":"expr","name":"n","expr":"n * 2"}])"));
  EXPECT_EQ(f.spec<PipelineSpec>().plan.values[1].kind, ValueKind::Float);
}

//===----------------------------------------------------------------------===//
// Canonical form and hash
//===----------------------------------------------------------------------===//

TEST(DescriptorCanonical, ExactText) {
  ASSERT_PARSES(e, R"({"name":"ignored","steps":[
      {"op":"clip","column":"a","max":1e20},
      {"op":"label_encode","column":"s","mapping":["y","x"]},
      {"op":"expr","name":"z","expr":"(a+s)*-2"},
      {"op":"polynomial","columns":["a","z"],"degree":1}],
      "output":{"columns":["z","1"],"type":"f64"},
      "kind":"pipeline","specjit":1.0,
      "inputs":[{"type":"i64","name":"a","missing":-1},{"name":"s","type":"string"}]})");
  EXPECT_EQ(
      e.canonical(),
      R"({"inputs":[{"missing":-1,"name":"a","type":"i64"},{"name":"s","type":"string"}],)"
      R"("kind":"pipeline","output":{"columns":["z","1"],"type":"f64"},"specjit":1,)"
      R"("steps":[{"column":"a","max":1e+20,"op":"clip"},)"
      R"({"column":"s","default":-1,"mapping":{"x":1,"y":0},"op":"label_encode"},)"
      R"({"expr":"(a + s) * -2","name":"z","op":"expr"},)"
      R"({"columns":["a","z"],"degree":1,"include_bias":true,"interaction_only":false,"op":"polynomial"}]})");
}

TEST(DescriptorCanonical, RoundTrip) {
  std::vector<std::string> texts = {
      kFull,
      doc(kABC, "[]"),
      doc(R"([{"name":"f","type":"f64"}])",
          R"([{"op":"one_hot","column":"f","categories":[0.1,-0.0,1e300,)"
          R"(123456789012345678,2.5e-8]},)"
          R"({"op":"expr","name":"q","expr":"`f=0.1` ** -`f=-0.0` ** 2"}])"),
      doc(R"([{"name":"f","type":"f64"}])",
          R"([{"op":"label_encode","column":"f","mapping":{"1e-7":1,"-0.0":2.5,)"
          R"("123456789012345678":3}}])"),
      doc(kABC, R"([{"op":"expr","name":"y","expr":)"
                R"("not a < b and (c or not not a) ? -(a ** b) ** -c : )"
                R"x(select(a, b, min(a, (b - c) - (a - b))) / (a * (b / c))"}])x"),
      doc(kABC, R"([{"op":"expr","name":"and","expr":"a"},)"
                R"x({"op":"expr","name":"y","expr":"`and` + (-a) * -(b + c)"}])x"),
      doc(R"([{"name":"big","type":"i64","missing":-9223372036854775808}])",
          R"([{"op":"one_hot","column":"big","categories":)"
          R"([9223372036854775807,-9223372036854775807]}])"),
  };
  for (const std::string &text : texts) {
    ASSERT_PARSES(d, text);
    ASSERT_PARSES(again, d.canonical());
    EXPECT_EQ(again.canonical(), d.canonical()) << text;
    EXPECT_EQ(again.hash(), d.hash());
    EXPECT_EQ(again.outputNames(), d.outputNames());
    // The canonical text is compact JSON that llvm::json reads back.
    EXPECT_TRUE(static_cast<bool>(llvm::json::parse(d.canonical())));
    EXPECT_EQ(d.canonical().find('\n'), std::string::npos);
    EXPECT_EQ(d.canonical().find("\"name\":\"everything\""), std::string::npos);
  }
}

TEST(DescriptorHash, Invariance) {
  ASSERT_PARSES(base, kFull);
  // Key order permuted, whitespace, number spellings, name changed.
  std::string permuted = R"json({"steps": [
    {"std": 15, "mean": 3.5e1, "column": "age", "op": "standardize"},
    {"column": "income", "op": "log1p"},
    {"unknown": "zeros", "categories": [0e0, 1.0, 2], "op": "one_hot", "column": "category"},
    {"op": "label_encode", "default": -1.0, "mapping": ["paris", "oslo"], "column": "city"},
    {"min": 25e-2, "op": "clip", "column": "h"},
    {"max": 1.0, "op": "minmax", "column": "flag", "min": -0},
    {"value": 3.0, "column": "w", "op": "impute"},
    {"edges": [0.0, 25e-1, 1e1], "column": "w", "op": "bucketize"},
    {"op": "log", "column": "age"},
    {"interaction_only": false, "include_bias": true, "op": "polynomial", "degree": 2.0,
     "columns": ["income", "h"]},
    {"expr": "select(income/max(h,0.001)>2,1,0)", "name": "ratio", "op": "expr"}],
  "name": "another name", "output": {"type": "f32"},
  "inputs": [{"type": "i64", "name": "age"}, {"name": "income", "type": "f64"},
             {"missing": -1.0, "type": "i64", "name": "category"},
             {"name": "city", "type": "string"}, {"name": "flag", "type": "bool"},
             {"name": "h", "type": "f32"}, {"type": "i32", "missing": -7, "name": "w"}],
  "kind": "pipeline", "specjit": 1e0})json";
  ASSERT_PARSES(same, permuted);
  EXPECT_EQ(same.canonical(), base.canonical());
  EXPECT_EQ(same.hash(), base.hash());
  // The name is not part of the hash; removing it changes nothing.
  std::string noName = kFull;
  noName.replace(noName.find(R"("name": "everything",)"), strlen(R"("name": "everything",)"), "");
  ASSERT_PARSES(unnamed, noName);
  EXPECT_EQ(unnamed.hash(), base.hash());
  EXPECT_EQ(unnamed.spec<PipelineSpec>().name, "");
  EXPECT_EQ(base.spec<PipelineSpec>().name, "everything");
  // Number spellings: 1, 1.0, 1e0 and 0.5, 5e-1.
  auto one = [](const std::string &mean, const std::string &std) {
    return doc(kABC,
               R"([{"op":"standardize","column":"a","mean":)" + mean + R"(,"std":)" + std + "}]");
  };
  ASSERT_PARSES(n1, one("1", "0.5"));
  for (auto [m, s] : std::vector<std::pair<const char *, const char *>>{
           {"1.0", "5e-1"}, {"1e0", "0.50"}, {"10e-1", "5E-1"}, {"0.1e1", "0.5e0"}}) {
    ASSERT_PARSES(n2, one(m, s));
    EXPECT_EQ(n2.hash(), n1.hash()) << m << " " << s;
  }
  // Label-encode mapping: object or array, key spellings.
  auto le = [](const std::string &mapping) {
    return doc(R"([{"name":"i","type":"i64"}])",
               R"([{"op":"label_encode","column":"i","mapping":)" + mapping + "}]");
  };
  ASSERT_PARSES(l1, le(R"([5, -2, 30])"));
  ASSERT_PARSES(l2, le(R"({"30":2,"5":0,"-2":1})"));
  ASSERT_PARSES(l3, le(R"({"030":2.0,"5":0,"-2":1e0})"));
  EXPECT_EQ(l1.hash(), l2.hash());
  EXPECT_EQ(l1.hash(), l3.hash());
  // Defaults written or not.
  ASSERT_PARSES(
      s1,
      R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"a","type":"f64"}],"output":{"type":"f32"}})");
  ASSERT_PARSES(s2, doc(R"([{"name":"a","type":"f64"}])", "[]"));
  EXPECT_EQ(s1.hash(), s2.hash());
  // Expression spacing and spelling.
  auto ex = [](const std::string &e) {
    return doc(kABC, R"([{"op":"expr","name":"y","expr":")" + e + "\"}]");
  };
  ASSERT_PARSES(e1, ex("a+b*c"));
  ASSERT_PARSES(e2, ex(" a + (b * c) "));
  ASSERT_PARSES(e3, ex("`a` + b*`c`"));
  EXPECT_EQ(e1.hash(), e2.hash());
  EXPECT_EQ(e1.hash(), e3.hash());
  ASSERT_PARSES(e4, ex("a < b && !c || a"));
  ASSERT_PARSES(e5, ex("(a < b and not c) or a"));
  EXPECT_EQ(e4.hash(), e5.hash());
  ASSERT_PARSES(e6, ex("a ** 2"));
  ASSERT_PARSES(e7, ex("pow(a, 2.0)"));
  EXPECT_EQ(e6.hash(), e7.hash());
}

TEST(DescriptorHash, Sensitivity) {
  // Every variant differs from the base in one parameter: all hashes differ.
  std::vector<std::string> variants = {
      kFull,
  };
  auto replace = [](std::string s, const std::string &from, const std::string &to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::pair<std::string, std::string>> edits = {
      {R"("mean": 35.0)", R"("mean": 35.5)"},
      {R"("std": 15.0)", R"("std": 16)"},
      {R"("output": {"type": "f32"})", R"("output": {"type": "f64"})"},
      {R"("output": {"type": "f32"})", R"("output": {"type": "f32", "columns": ["ratio"]})"},
      {R"({"name": "age", "type": "i64"})", R"({"name": "age", "type": "i32"})"},
      {R"({"name": "age", "type": "i64"})", R"({"name": "age", "type": "i64", "missing": 0})"},
      {R"("missing": -1})", R"("missing": -2})"},
      {R"("categories": [0, 1, 2])", R"("categories": [0, 2, 1])"},
      {R"("categories": [0, 1, 2])", R"("categories": [0, 1, 2, 3])"},
      {R"("categories": [0, 1, 2])", R"("categories": [0, 1, 2], "unknown": "error")"},
      {R"({"paris": 0, "oslo": 1})", R"({"paris": 1, "oslo": 0})"},
      {R"({"paris": 0, "oslo": 1})", R"({"paris": 0, "oslo": 1, "rome": 2})"},
      {R"({"paris": 0, "oslo": 1})", R"({"paris": 0, "oslo": 1}, "default": 5)"},
      {R"("min": 0.25})", R"("min": 0.26})"},
      {R"("min": 0.25})", R"("max": 0.25})"},
      {R"("min": 0.25})", R"("min": 0.25, "max": 9})"},
      {R"("min": 0, "max": 1})", R"("min": 0, "max": 2})"},
      {R"("value": 3})", R"("value": 3.5})"},
      {R"([0, 2.5, 10])", R"([0, 2.5, 11])"},
      {R"({"op": "log", "column": "age"})", R"({"op": "log1p", "column": "age"})"},
      {R"("degree": 2})", R"("degree": 3})"},
      {R"("degree": 2})", R"("degree": 2, "interaction_only": true})"},
      {R"("degree": 2})", R"("degree": 2, "include_bias": false})"},
      {R"(["income", "h"])", R"(["h", "income"])"},
      {R"("name": "ratio")", R"("name": "ratio2")"},
      {R"(1e-3)", R"(1e-4)"},
      {R"(> 2 ?)", R"(>= 2 ?)"},
      {R"({"name": "h", "type": "f32"})", R"({"name": "h", "type": "f64"})"},
  };
  for (const auto &[from, to] : edits)
    variants.push_back(replace(kFull, from, to));
  // Step order matters.
  variants.push_back(
      replace(replace(kFull, R"({"op": "log1p", "column": "income"},)", ""),
              R"({"op": "log", "column": "age"},)",
              R"({"op": "log", "column": "age"},{"op": "log1p", "column": "income"},)"));
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  std::set<std::string> canon;
  for (const std::string &v : variants) {
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
    canon.insert(d.canonical());
  }
  EXPECT_EQ(hashes.size(), variants.size());
  EXPECT_EQ(canon.size(), variants.size());
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

TEST(PipelineBuilder, SameAsJsonText) {
  PipelineBuilder b("everything");
  b.input("age", DType::I64)
      .input("income", DType::F64)
      .input("category", DType::I64, -1)
      .input("city", DType::String)
      .input("flag", DType::Bool)
      .input("h", DType::F32)
      .input("w", DType::I32, -7)
      .output(DType::F32)
      .standardize("age", 35, 15)
      .log1p("income")
      .oneHot("category", std::vector<int64_t>{0, 1, 2})
      .labelEncode("city", std::vector<std::pair<std::string, double>>{{"paris", 0}, {"oslo", 1}})
      .clip("h", 0.25, std::nullopt)
      .minmax("flag", 0, 1)
      .impute("w", 3)
      .bucketize("w", {0, 2.5, 10})
      .log("age")
      .polynomial({"income", "h"}, 2)
      .expr("ratio", "income / max(h, 1e-3) > 2 ? 1 : 0");
  llvm::Expected<Descriptor> built = b.build();
  ASSERT_TRUE(static_cast<bool>(built)) << llvm::toString(built.takeError());
  ASSERT_PARSES(text, kFull);
  EXPECT_EQ(built->canonical(), text.canonical());
  EXPECT_EQ(built->hash(), text.hash());
  EXPECT_EQ(built->spec<PipelineSpec>().name, "everything");
  // json() is the text a user would write; it parses to the same thing.
  ASSERT_PARSES(fromJson, b.json());
  EXPECT_EQ(fromJson.hash(), text.hash());
  EXPECT_NE(b.json().find("\"name\":\"everything\""), std::string::npos);
}

TEST(PipelineBuilder, AllOps) {
  PipelineBuilder b("x");
  b.input("i", DType::I64, 0)
      .input("s", DType::String)
      .input("f", DType::F64)
      .output(DType::F64, {"s", "i=1", "f", "g"})
      .labelEncode("s", std::vector<std::pair<std::string, double>>{{"a", 2}}, 7)
      .oneHot("i", std::vector<int64_t>{1, 2}, UnknownPolicy::Error)
      .clip("f", -1, 1)
      .polynomial({"f"}, 3, true, false)
      .expr("g", "f * 2")
      .labelEncode("f", std::vector<std::pair<int64_t, double>>{{1, 2}});
  // f is a Float column: integer keys are numbers, fine.
  llvm::Expected<Descriptor> d = b.build();
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->outputNames(), (std::vector<std::string>{"s", "i=1", "f", "g"}));
  EXPECT_EQ(d->spec<PipelineSpec>().steps[0].defaultCode, 7.0);
  EXPECT_EQ(d->spec<PipelineSpec>().steps[1].unknown, UnknownPolicy::Error);
  std::string text = b.json();
  ASSERT_PARSES(t, text);
  EXPECT_EQ(t.hash(), d->hash());
}

TEST(PipelineBuilder, Errors) {
  // Errors are those of the JSON text, with the same paths.
  PipelineBuilder b("e");
  b.input("a", DType::F64).output(DType::F32).standardize("a", 0, 0);
  llvm::Expected<Descriptor> d = b.build();
  ASSERT_FALSE(static_cast<bool>(d));
  EXPECT_EQ(llvm::toString(d.takeError()), errorOf(b.json()));
  PipelineBuilder c("e");
  c.input("a", DType::F64).output(DType::F32).clip("a", std::nullopt, std::nullopt);
  EXPECT_NE(llvm::toString(c.build().takeError()).find("steps[0]: clip needs"), std::string::npos);
  PipelineBuilder n("e");
  n.input("a", DType::F64).output(DType::F32).standardize("a", NAN, 1);
  EXPECT_NE(llvm::toString(n.build().takeError()).find("steps[0].mean: expected a finite number"),
            std::string::npos);
  PipelineBuilder m("e");
  m.input("s", DType::String)
      .output(DType::F32)
      .labelEncode("s", std::vector<std::pair<std::string, double>>{{"a", 1}, {"a", 2}});
  EXPECT_NE(llvm::toString(m.build().takeError()).find("steps[0].mapping: duplicate category 'a'"),
            std::string::npos);
  PipelineBuilder o("no output");
  o.input("a", DType::F64);
  EXPECT_NE(llvm::toString(o.build().takeError()).find("missing required key 'output'"),
            std::string::npos);
  // Moves keep the state.
  PipelineBuilder moved = std::move(b);
  EXPECT_FALSE(static_cast<bool>(moved.build()));
}

//===----------------------------------------------------------------------===//
// Repository files
//===----------------------------------------------------------------------===//

TEST(DescriptorFiles, SchemaDescribesEveryProperty) {
  std::string path = std::string(SPECJIT_SOURCE_DIR) + "/schemas/pipeline.schema.json";
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(static_cast<bool>(buffer)) << path;
  llvm::Expected<llvm::json::Value> schema = llvm::json::parse((*buffer)->getBuffer());
  ASSERT_TRUE(static_cast<bool>(schema)) << llvm::toString(schema.takeError());
  const llvm::json::Object *root = schema->getAsObject();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->getString("$schema").value_or(""),
            "https://json-schema.org/draft/2020-12/schema");
  // Every object with "properties" is closed, and every property documented.
  std::vector<std::pair<std::string, const llvm::json::Value *>> work = {{"", &*schema}};
  int objects = 0;
  while (!work.empty()) {
    auto [where, v] = work.back();
    work.pop_back();
    if (const llvm::json::Object *o = v->getAsObject()) {
      if (const llvm::json::Object *props = o->getObject("properties")) {
        bool conditional = StringRef(where).ends_with("/if") || StringRef(where).ends_with("/then");
        if (!conditional) {
          ++objects;
          const llvm::json::Value *ap = o->get("additionalProperties");
          EXPECT_TRUE(ap && ap->getAsBoolean() == false) << where;
          for (const auto &kv : *props) {
            const llvm::json::Object *p = kv.second.getAsObject();
            EXPECT_TRUE(p && p->getString("description")) << where << "/" << kv.first.str();
          }
        }
      }
      for (const auto &kv : *o)
        work.push_back({where + "/" + kv.first.str(), &kv.second});
    } else if (const llvm::json::Array *a = v->getAsArray()) {
      for (size_t i = 0; i < a->size(); ++i)
        work.push_back({where + "/" + std::to_string(i), &(*a)[i]});
    }
  }
  EXPECT_GE(objects, 14);
  // Every op has a oneOf branch keyed on its const.
  const llvm::json::Object *defs = root->getObject("$defs");
  ASSERT_TRUE(defs);
  for (StepOp op : {StepOp::Standardize, StepOp::MinMax, StepOp::Log, StepOp::Log1p, StepOp::Clip,
                    StepOp::Impute, StepOp::OneHot, StepOp::LabelEncode, StepOp::Polynomial,
                    StepOp::Bucketize, StepOp::Expr}) {
    const llvm::json::Object *def = defs->getObject(stepOpName(op));
    ASSERT_TRUE(def) << stepOpName(op).str();
    const llvm::json::Object *props = def->getObject("properties");
    ASSERT_TRUE(props);
    const llvm::json::Object *opProp = props->getObject("op");
    ASSERT_TRUE(opProp);
    EXPECT_EQ(opProp->getString("const").value_or(""), stepOpName(op));
  }
  // The schema's own example is a valid descriptor.
  const llvm::json::Array *examples = root->getArray("examples");
  ASSERT_TRUE(examples && !examples->empty());
  for (const llvm::json::Value &ex : *examples) {
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(ex);
    EXPECT_TRUE(static_cast<bool>(d)) << (d ? "" : llvm::toString(d.takeError()));
  }
}

} // namespace
