//===- SeriesDescriptorTest.cpp - The series family's descriptors ---------===//
//
// Descriptor::parse on `series` documents: the names of the indicator ops,
// every validation error (document, indicator shape, periods, sources,
// output), the analysis (lookbacks of every op, seed and composite, resolved
// sources and defaults), the canonical text and what the hash does and does
// not depend on.
//
//===----------------------------------------------------------------------===//

#include "DescriptorTestSupport.h"
#include "Families/Series/SeriesSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace specjit::jit;
using namespace specjit_test;

namespace {

/// The lookback of the last indicator of a document.
int64_t lastLookback(const std::string &text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError()) << "\nin: " << text;
    return -1;
  }
  return d->spec<SeriesSpec>().indicators.back().lookback;
}

TEST(DescriptorNames, IndicatorOps) {
  EXPECT_EQ(kindName(Kind::Series), "series");
  EXPECT_EQ(kindName(Kind::Rules), "rules");
  const std::pair<IndicatorOp, const char *> ops[] = {{IndicatorOp::Sma, "sma"},
                                                      {IndicatorOp::Ema, "ema"},
                                                      {IndicatorOp::Wma, "wma"},
                                                      {IndicatorOp::Dema, "dema"},
                                                      {IndicatorOp::Tema, "tema"},
                                                      {IndicatorOp::Hma, "hma"},
                                                      {IndicatorOp::Lsma, "lsma"},
                                                      {IndicatorOp::Kama, "kama"},
                                                      {IndicatorOp::WeightedSum, "weighted_sum"},
                                                      {IndicatorOp::Crossover, "crossover"},
                                                      {IndicatorOp::Trend, "trend"}};
  for (auto [op, name] : ops)
    EXPECT_EQ(indicatorOpName(op), name);
}

TEST(SeriesErrors, Document) {
  const std::string sma = "[" + sind("s", "sma", R"("input":"close","period":3)") + "]";
  ASSERT_PARSES(ok, sdoc(sma));
  EXPECT_EQ(ok.kind(), Kind::Series);
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"series","output":{"type":"f64"},"indicators":[]})",
                     "descriptor", "missing required key 'inputs'");
  EXPECT_PARSE_ERROR(
      R"({"specjit":1,"kind":"series","inputs":[{"name":"a","type":"f64"}],"indicators":[]})",
      "descriptor", "missing required key 'output'");
  EXPECT_PARSE_ERROR(
      R"({"specjit":1,"kind":"series","inputs":[{"name":"a","type":"f64"}],"output":{"type":"f64"}})",
      "descriptor", "missing required key 'indicators'");
  EXPECT_PARSE_ERROR(sdoc("[]"), "indicators",
                     "expected a non-empty array of indicators, got an array");
  EXPECT_PARSE_ERROR(sdoc("{}"), "indicators",
                     "expected a non-empty array of indicators, got an object");
  EXPECT_PARSE_ERROR(sdoc(sma).insert(1, R"("indicator":[],)"), "descriptor",
                     "unknown key 'indicator' (did you mean 'indicators'?); a "
                     "series descriptor takes");
  // Keys of another family are unknown keys.
  EXPECT_PARSE_ERROR(sdoc(sma).insert(1, R"("steps":[],)"), "descriptor", "unknown key 'steps'");
  EXPECT_PARSE_ERROR(sdoc(sma).insert(1, R"("name":["x"],)"), "name",
                     "expected a string, got an array");
  EXPECT_PARSE_ERROR(sdoc(sma, "[]"), "inputs", "expected a non-empty array");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"i64"}])"), "inputs[0].type",
                     "expected one of f64, f32");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"f64","missing":0}])"),
                     "inputs[0].missing", "series inputs take no 'missing'");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"f64","nmae":"x"}])"), "inputs[0]",
                     "unknown key 'nmae' (did you mean 'name'?)");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"close","type":"f64"},{"name":"close","type":"f32"}])"),
                     "inputs[1].name", "duplicate input name 'close' (also inputs[0])");
  EXPECT_PARSE_ERROR(sdoc(sma, R"([{"name":"","type":"f64"}])"), "inputs[0].name",
                     "expected a non-empty string");
  EXPECT_PARSE_ERROR(sdoc(sma, kClose, R"({"type":"i32"})"), "output.type",
                     "expected one of f32, f64, got the string 'i32'");
  EXPECT_PARSE_ERROR(sdoc(sma, kClose, R"({"type":"f64","cols":[]})"), "output",
                     "unknown key 'cols'");
}

TEST(SeriesErrors, IndicatorShape) {
  auto one = [](const std::string &ind) { return sdoc("[" + ind + "]"); };
  EXPECT_PARSE_ERROR(one("3"), "indicators[0]", "expected an indicator object");
  EXPECT_PARSE_ERROR(one(R"({"name":"x","input":"close","period":3})"), "indicators[0]",
                     "missing required key 'op' (one of sma, "
                     "ema, wma, dema, tema, hma, lsma, kama, weighted_sum, "
                     "crossover, trend)");
  EXPECT_PARSE_ERROR(one(sind("x", "emaa", R"("input":"close","period":3)")), "indicators[0].op",
                     "unknown op 'emaa' (expected one of sma, ema");
  EXPECT_PARSE_ERROR(one(sind("x", "emaa", R"("input":"close","period":3)")), "indicators[0].op",
                     "did you mean 'ema'?");
  EXPECT_PARSE_ERROR(one(R"({"name":"x","op":7,"input":"close","period":3})"), "indicators[0].op",
                     "got 7");
  EXPECT_PARSE_ERROR(one(R"({"op":"sma","input":"close","period":3})"), "indicators[0]",
                     "missing required key 'name'");
  EXPECT_PARSE_ERROR(one(R"({"name":"","op":"sma","input":"close","period":3})"),
                     "indicators[0].name", "expected a non-empty string");
  EXPECT_PARSE_ERROR(one(R"({"name":5,"op":"sma","input":"close","period":3})"),
                     "indicators[0].name", "expected a non-empty string, got 5");
  // Unknown keys, per op: a key of another op is unknown too.
  EXPECT_PARSE_ERROR(one(sind("x", "sma", R"("input":"close","period":3,"seed":"sma")")),
                     "indicators[0]",
                     "unknown key 'seed'; a sma indicator takes "
                     "input, name, op, period");
  EXPECT_PARSE_ERROR(one(sind("x", "ema", R"("input":"close","period":3,"sed":"sma")")),
                     "indicators[0]", "unknown key 'sed' (did you mean 'seed'?)");
  EXPECT_PARSE_ERROR(one(sind("x", "kama", R"("input":"close","period":3,"weights":[1])")),
                     "indicators[0]", "unknown key 'weights'");
  EXPECT_PARSE_ERROR(one(sind("x", "crossover", R"("fast":"close","slow":"close","period":3)")),
                     "indicators[0]", "unknown key 'period'");
  EXPECT_PARSE_ERROR(
      one(sind("x", "weighted_sum", R"("terms":[{"input":"close","weight":1}],"input":"close")")),
      "indicators[0]", "unknown key 'input'");
  EXPECT_PARSE_ERROR(one(sind("x", "trend", R"("input":"close","against":["close"],"bias":1)")),
                     "indicators[0]", "unknown key 'bias'");
  EXPECT_PARSE_ERROR(
      one(sind("x", "weighted_sum", R"("terms":[{"input":"close","weight":1,"w":2}])")),
      "indicators[0].terms[0]", "unknown key 'w'");
}

TEST(SeriesErrors, Periods) {
  auto ma = [](const std::string &op, const std::string &extra) {
    return sdoc("[" + sind("x", op, R"("input":"close",)" + extra) + "]");
  };
  for (const char *op : {"sma", "ema", "wma", "dema", "tema", "hma", "lsma", "kama"}) {
    EXPECT_PARSE_ERROR(ma(op, R"("period":0)"), "indicators[0].period",
                       "expected an integer in 1..100000, got 0");
    EXPECT_PARSE_ERROR(ma(op, R"("period":-3)"), "indicators[0].period",
                       "expected an integer in 1..100000, got -3");
    EXPECT_PARSE_ERROR(ma(op, R"("period":2.5)"), "indicators[0].period",
                       "expected an integer in 1..100000, got 2.5");
    EXPECT_PARSE_ERROR(ma(op, R"("period":"12")"), "indicators[0].period", "got the string '12'");
    EXPECT_PARSE_ERROR(ma(op, R"("period":100001)"), "indicators[0].period",
                       "expected an integer in 1..100000");
    EXPECT_PARSE_ERROR(ma(op, R"("period":1e999)"), "indicators[0].period", "too large for f64");
    EXPECT_PARSE_ERROR(ma(op, R"("period":null)"), "indicators[0].period", "got null");
    EXPECT_PARSE_ERROR(ma(op, R"("perio":3)"), "indicators[0]",
                       "unknown key 'perio' (did you mean 'period'?)");
    std::string noPeriod = sdoc("[" + sind("x", op, R"("input":"close")") + "]");
    EXPECT_PARSE_ERROR(noPeriod, "indicators[0]",
                       "missing required key 'period' (an integer in 1..100000)");
    // Integral spellings are integers.
    EXPECT_EQ(parseOk(ma(op, R"("period":1.2e1)")).spec<SeriesSpec>().indicators[0].period, 12);
  }
  EXPECT_PARSE_ERROR(ma("ema", R"("period":3,"seed":"last")"), "indicators[0].seed",
                     "expected one of first, sma, got the string 'last'");
  EXPECT_PARSE_ERROR(ma("tema", R"("period":3,"seed":1)"), "indicators[0].seed",
                     "expected one of first, sma, got 1");
  // kama: 1 <= fast < slow.
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":30,"slow":30)"), "indicators[0].slow",
                     "kama needs fast < slow, got fast 30 and slow 30");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":40)"), "indicators[0].fast",
                     "kama needs fast < slow, got fast 40 and slow 30 (the default)");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"slow":2)"), "indicators[0].slow",
                     "got fast 2 (the default) and slow 2");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":0)"), "indicators[0].fast",
                     "expected an integer in 1..100000, got 0");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"slow":2.5)"), "indicators[0].slow",
                     "expected an integer in 1..100000, got 2.5");
  EXPECT_PARSE_ERROR(ma("kama", R"("period":10,"fast":"2")"), "indicators[0].fast",
                     "got the string '2'");
}

TEST(SeriesErrors, Sources) {
  const std::string e = sind("e", "ema", R"("input":"close","period":3)");
  const std::string s = sind("s", "sma", R"("input":"close","period":5)");
  // Unknown: the path, the indicator and the name.
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("x", "sma", R"("input":"clos","period":3)") + "]"),
                     "indicators[1].input",
                     "unknown source 'clos' for indicator 'x' (inputs: close; "
                     "earlier indicators: e); did you mean 'close'?");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":"volume","period":3)") + "]"),
                     "indicators[0].input",
                     "unknown source 'volume' for indicator 'x' (inputs: close; "
                     "earlier indicators: none)");
  // A later indicator: a forward reference, named with its index.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":"e","period":3)") + "," + e + "]"),
                     "indicators[0].input",
                     "indicator 'x' reads 'e', a later indicator (indicators[1])");
  // Itself: a cycle.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "ema", R"("input":"x","period":3)") + "]"),
                     "indicators[0].input", "indicator 'x' reads itself (a cycle)");
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"c","slow":"e")") + "]"),
                     "indicators[1].fast", "indicator 'c' reads itself");
  // A two-indicator cycle is a forward reference.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("a", "sma", R"("input":"b","period":3)") + "," +
                          sind("b", "sma", R"("input":"a","period":3)") + "]"),
                     "indicators[0].input", "'b', a later indicator (indicators[1])");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":"","period":3)") + "]"),
                     "indicators[0].input",
                     "expected the name of an input or an earlier indicator");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("input":["close"],"period":3)") + "]"),
                     "indicators[0].input", "got an array");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("x", "sma", R"("period":3)") + "]"), "indicators[0]",
                     "missing required key 'input'");
  // Duplicate names: indicator vs indicator, indicator vs input.
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("e", "sma", R"("input":"close","period":3)") + "]"),
                     "indicators[1].name", "duplicate indicator name 'e' (also indicators[0])");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("close", "sma", R"("input":"close","period":3)") + "]"),
                     "indicators[0].name", "indicator name 'close' is also the name of inputs[0]");
  // crossover: two different sources.
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"e","slow":"e")") + "]"),
                     "indicators[1].slow",
                     "crossover needs two different sources, got 'e' for both");
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"e")") + "]"),
                     "indicators[1]", "missing required key 'slow'");
  EXPECT_PARSE_ERROR(sdoc("[" + e + "," + sind("c", "crossover", R"("fast":"e","slow":"q")") + "]"),
                     "indicators[1].slow", "unknown source 'q' for indicator 'c'");
  // weighted_sum.
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[])") + "]"),
                     "indicators[0].terms", "expected a non-empty array of terms");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", "") + "]"), "indicators[0]",
                     "missing required key 'terms'");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":["close"])") + "]"),
                     "indicators[0].terms[0]", "expected a term object");
  EXPECT_PARSE_ERROR(sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close"}])") + "]"),
                     "indicators[0].terms[0]", "missing required key 'weight'");
  EXPECT_PARSE_ERROR(
      sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1e999}])") + "]"),
      "indicators[0].terms[0].weight",
      "expected a finite number, got a number too large for f64 (infinity)");
  EXPECT_PARSE_ERROR(
      sdoc("[" + sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":"1"}])") + "]"),
      "indicators[0].terms[0].weight", "got the string '1'");
  EXPECT_PARSE_ERROR(
      sdoc("[" +
           sind("w", "weighted_sum",
                R"("terms":[{"input":"close","weight":1},{"input":"w","weight":1}])") +
           "]"),
      "indicators[0].terms[1].input", "indicator 'w' reads itself");
  EXPECT_PARSE_ERROR(
      sdoc("[" +
           sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1}],"bias":-1e999)") +
           "]"),
      "indicators[0].bias", "(-infinity)");
  EXPECT_PARSE_ERROR(
      sdoc("[" +
           sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1}],"bias":true)") +
           "]"),
      "indicators[0].bias", "expected a finite number, got true");
  // trend.
  EXPECT_PARSE_ERROR(
      sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":[])") + "]"),
      "indicators[1].against", "expected a non-empty array of sources");
  EXPECT_PARSE_ERROR(
      sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":"s")") + "]"),
      "indicators[1].against", "got the string 's'");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," + sind("t", "trend", R"("input":"close")") + "]"),
                     "indicators[1]", "missing required key 'against'");
  EXPECT_PARSE_ERROR(
      sdoc("[" + s + "," + sind("t", "trend", R"("input":"close","against":["s","z"])") + "]"),
      "indicators[1].against[1]", "unknown source 'z' for indicator 't'");
  EXPECT_PARSE_ERROR(
      sdoc("[" + s + "," +
           sind("t", "trend", R"("input":"close","against":["s","close"],"weights":[1])") + "]"),
      "indicators[1].weights", "expected 2 weights (one per 'against' source), got 1");
  EXPECT_PARSE_ERROR(
      sdoc("[" + s + "," +
           sind("t", "trend", R"("input":"close","against":["s"],"weights":[1,2,3])") + "]"),
      "indicators[1].weights", "expected 1 weight (one per 'against' source), got 3");
  EXPECT_PARSE_ERROR(
      sdoc("[" + s + "," +
           sind("t", "trend", R"("input":"close","against":["s"],"weights":[1e999])") + "]"),
      "indicators[1].weights[0]", "expected a finite number");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," +
                          sind("t", "trend", R"("input":"close","against":["s"],"weights":0.5)") +
                          "]"),
                     "indicators[1].weights", "expected an array of 1 finite numbers");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," +
                          sind("t", "trend", R"("input":"close","against":["s"],"upper":-0.01)") +
                          "]"),
                     "indicators[1].upper", "expected a finite number >= 0, got -0.01");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," +
                          sind("t", "trend", R"("input":"close","against":["s"],"lower":"0.1")") +
                          "]"),
                     "indicators[1].lower", "expected a finite number >= 0, got the string '0.1'");
  EXPECT_PARSE_ERROR(sdoc("[" + s + "," +
                          sind("t", "trend", R"("input":"close","against":["s"],"lower":1e999)") +
                          "]"),
                     "indicators[1].lower", "infinity");
  EXPECT_PARSE_ERROR(
      sdoc("[" + s + "," + sind("t", "trend", R"("input":"nope","against":["s"])") + "]"),
      "indicators[1].input", "unknown source 'nope' for indicator 't'");
}

TEST(SeriesErrors, Output) {
  const std::string inds = "[" + sind("e", "ema", R"("input":"close","period":3)") + "," +
                           sind("s", "sma", R"("input":"close","period":3)") + "]";
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["e","x"]})"),
                     "output.columns[1]", "unknown indicator 'x' (indicators: e, s)");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["ee"]})"), "output.columns[0]",
                     "did you mean 'e'?");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["close"]})"),
                     "output.columns[0]",
                     "'close' is an input column; the output holds indicators");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":["e","e"]})"),
                     "output.columns[1]", "duplicate output column 'e' (also output.columns[0])");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":[]})"), "output.columns",
                     "expected a non-empty array of indicator names");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"type":"f64","columns":[3]})"), "output.columns[0]",
                     "expected an indicator name");
  EXPECT_PARSE_ERROR(sdoc(inds, kClose, R"({"columns":["e"]})"), "output",
                     "missing required key 'type'");
}

TEST(SeriesAnalysis, LookbackOfEveryOpAndSeed) {
  auto lb = [](const std::string &op, int n, const std::string &extra = "") {
    return lastLookback(sdoc(
        "[" + sind("x", op, R"("input":"close","period":)" + std::to_string(n) + extra) + "]"));
  };
  for (int n : {1, 2, 3, 4, 9, 10, 16, 17, 24, 25, 26, 100, 100000}) {
    int64_t sq = static_cast<int64_t>(std::floor(std::sqrt(static_cast<double>(n))));
    EXPECT_EQ(lb("sma", n), n - 1) << n;
    EXPECT_EQ(lb("wma", n), n - 1) << n;
    EXPECT_EQ(lb("lsma", n), n - 1) << n;
    EXPECT_EQ(lb("ema", n), 0) << n;
    EXPECT_EQ(lb("ema", n, R"(,"seed":"first")"), 0) << n;
    EXPECT_EQ(lb("ema", n, R"(,"seed":"sma")"), n - 1) << n;
    EXPECT_EQ(lb("dema", n), 0) << n;
    EXPECT_EQ(lb("dema", n, R"(,"seed":"sma")"), 2 * (n - 1)) << n;
    EXPECT_EQ(lb("tema", n), 0) << n;
    EXPECT_EQ(lb("tema", n, R"(,"seed":"sma")"), 3 * (n - 1)) << n;
    EXPECT_EQ(lb("hma", n), n - 1 + sq - 1) << n;
    EXPECT_EQ(lb("kama", n), n) << n;
    EXPECT_EQ(lb("kama", n, R"(,"fast":5,"slow":50)"), n) << n;
  }
  // Spot values from the table.
  EXPECT_EQ(lb("hma", 16), 15 + 3);
  EXPECT_EQ(lb("hma", 15), 14 + 2);
  EXPECT_EQ(lb("hma", 1), 0);
  EXPECT_EQ(lb("kama", 10), 10);
  EXPECT_EQ(lb("tema", 15, R"(,"seed":"sma")"), 42);
}

TEST(SeriesAnalysis, LookbackOfComposites) {
  const std::string base = sind("s10", "sma", R"("input":"close","period":10)") + "," + // 9
                           sind("e5", "ema", R"("input":"close","period":5,"seed":"sma")") +
                           "," +                                                      // 4
                           sind("k", "kama", R"("input":"close","period":7)") + "," + // 7
                           sind("f", "ema", R"("input":"close","period":3)");         // 0
  auto last = [&](const std::string &ind) {
    return lastLookback(sdoc("[" + base + "," + ind + "]",
                             R"([{"name":"close","type":"f64"},{"name":"open","type":"f32"}])"));
  };
  EXPECT_EQ(last(sind("w", "weighted_sum",
                      R"("terms":[{"input":"s10","weight":1},{"input":"e5","weight":-1}])")),
            9);
  EXPECT_EQ(last(sind("w", "weighted_sum", R"("terms":[{"input":"close","weight":1}])")), 0);
  EXPECT_EQ(last(sind("w", "weighted_sum",
                      R"("terms":[{"input":"open","weight":1},{"input":"f","weight":1}])")),
            0);
  EXPECT_EQ(last(sind("w", "weighted_sum",
                      R"("terms":[{"input":"k","weight":1},{"input":"close","weight":1}])")),
            7);
  EXPECT_EQ(last(sind("c", "crossover", R"("fast":"e5","slow":"s10")")), 10);
  EXPECT_EQ(last(sind("c", "crossover", R"("fast":"close","slow":"open")")), 1);
  EXPECT_EQ(last(sind("c", "crossover", R"("fast":"f","slow":"close")")), 1);
  EXPECT_EQ(last(sind("t", "trend", R"("input":"close","against":["e5","k"])")), 7);
  EXPECT_EQ(last(sind("t", "trend", R"("input":"s10","against":["f"])")), 9);
  EXPECT_EQ(last(sind("t", "trend", R"("input":"close","against":["open"])")), 0);
  // A moving average of an indicator starts where its source does.
  EXPECT_EQ(last(sind("m", "sma", R"("input":"s10","period":4)")), 9 + 3);
  EXPECT_EQ(last(sind("m", "ema", R"("input":"s10","period":4)")), 9);
  EXPECT_EQ(last(sind("m", "ema", R"("input":"k","period":4,"seed":"sma")")), 7 + 3);
  EXPECT_EQ(last(sind("m", "kama", R"("input":"e5","period":6)")), 4 + 6);
  // Chains of composites accumulate (+1 per crossover).
  ASSERT_PARSES(d, sdoc("[" + base + "," + sind("c", "crossover", R"("fast":"e5","slow":"s10")") +
                        "," + sind("w", "weighted_sum", R"("terms":[{"input":"c","weight":1}])") +
                        "," + sind("c2", "crossover", R"("fast":"w","slow":"k")") + "]"));
  const auto &inds = d.spec<SeriesSpec>().indicators;
  EXPECT_EQ(inds[4].lookback, 10);
  EXPECT_EQ(inds[5].lookback, 10);
  EXPECT_EQ(inds[6].lookback, 11);
}

TEST(SeriesAnalysis, SourcesAndDefaults) {
  ASSERT_PARSES(
      d,
      sdoc(
          "[" + sind("e", "ema", R"("input":"open","period":12)") + "," +
              sind("k", "kama", R"("input":"close","period":10)") + "," +
              sind(
                  "w", "weighted_sum",
                  R"("terms":[{"input":"e","weight":0.5},{"input":"close","weight":2},{"input":"e","weight":-1}])") +
              "," + sind("c", "crossover", R"("fast":"k","slow":"e")") + "," +
              sind("t", "trend", R"("input":"w","against":["e","k","open"])") + "," +
              sind("t2", "trend",
                   R"("input":"close","against":["c"],"weights":[3],"upper":0.5,"lower":0.25)") +
              "]",
          R"([{"name":"close","type":"f64"},{"name":"open","type":"f32"}])"));
  const SeriesSpec &s = d.spec<SeriesSpec>();
  ASSERT_EQ(s.indicators.size(), 6u);
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_EQ(s.inputs[1].type, DType::F32);
  // Ids: 0 close, 1 open, 2 e, 3 k, 4 w, 5 c, 6 t, 7 t2.
  EXPECT_EQ(s.indicators[0].sources, std::vector<int>{1});
  EXPECT_EQ(s.indicators[1].sources, std::vector<int>{0});
  EXPECT_EQ(s.indicators[2].sources, (std::vector<int>{2, 0, 2}));
  EXPECT_EQ(s.indicators[3].sources, (std::vector<int>{3, 2}));
  EXPECT_EQ(s.indicators[4].sources, (std::vector<int>{4, 2, 3, 1}));
  EXPECT_EQ(s.indicators[5].sources, (std::vector<int>{0, 5}));
  // Defaults.
  EXPECT_EQ(s.indicators[0].seed, EmaSeed::First);
  EXPECT_EQ(s.indicators[0].period, 12);
  EXPECT_EQ(s.indicators[1].fast, 2);
  EXPECT_EQ(s.indicators[1].slow, 30);
  EXPECT_EQ(s.indicators[2].weights, (std::vector<double>{0.5, 2, -1}));
  EXPECT_EQ(s.indicators[2].bias, 0.0);
  EXPECT_EQ(s.indicators[4].weights, (std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3}));
  EXPECT_EQ(s.indicators[4].upper, 0.0);
  EXPECT_EQ(s.indicators[4].lower, 0.0);
  EXPECT_EQ(s.indicators[5].weights, std::vector<double>{3});
  EXPECT_EQ(s.indicators[5].upper, 0.5);
  EXPECT_EQ(s.indicators[5].lower, 0.25);
  EXPECT_EQ(s.indicators[3].op, IndicatorOp::Crossover);
  // Output: every indicator in order.
  EXPECT_EQ(s.outputs, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(d.outputNames(), (std::vector<std::string>{"e", "k", "w", "c", "t", "t2"}));
  EXPECT_EQ(d.numOutputs(), 6u);
  EXPECT_EQ(d.outputType(), DType::F64);
  EXPECT_EQ(d.inputs().size(), 2u);
  EXPECT_EQ(d.inputs()[0].name, "close");
  // Selected output columns: indicator indices in the listed order.
  ASSERT_PARSES(sel, sdoc("[" + sind("a", "sma", R"("input":"close","period":2)") + "," +
                              sind("b", "wma", R"("input":"close","period":3)") + "," +
                              sind("c", "lsma", R"("input":"close","period":4)") + "]",
                          kClose, R"({"type":"f32","columns":["c","a"]})"));
  EXPECT_EQ(sel.spec<SeriesSpec>().outputs, (std::vector<int>{2, 0}));
  EXPECT_EQ(sel.outputNames(), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(sel.outputType(), DType::F32);
  EXPECT_EQ(sel.spec<SeriesSpec>().outputType, DType::F32);
  // Seeds and kama parameters as given.
  ASSERT_PARSES(g,
                sdoc("[" + sind("d", "dema", R"("input":"close","period":4,"seed":"sma")") + "," +
                     sind("k", "kama", R"("input":"d","period":3,"fast":4,"slow":5)") + "]"));
  EXPECT_EQ(g.spec<SeriesSpec>().indicators[0].seed, EmaSeed::Sma);
  EXPECT_EQ(g.spec<SeriesSpec>().indicators[1].fast, 4);
  EXPECT_EQ(g.spec<SeriesSpec>().indicators[1].slow, 5);
  EXPECT_EQ(g.spec<SeriesSpec>().indicators[1].sources, std::vector<int>{1});
  EXPECT_EQ(g.spec<SeriesSpec>().indicators[1].lookback, 6 + 3);
}

TEST(SeriesCanonical, ExactText) {
  ASSERT_PARSES(d, kSeriesFull);
  EXPECT_EQ(
      d.canonical(),
      R"({"indicators":[{"input":"close","name":"e","op":"ema","period":12,"seed":"first"},)"
      R"({"fast":2,"input":"close","name":"k","op":"kama","period":10,"slow":30},)"
      R"({"bias":0,"name":"w","op":"weighted_sum","terms":[{"input":"e","weight":0.5},{"input":"vol","weight":2}]},)"
      R"({"fast":"e","name":"c","op":"crossover","slow":"k"},)"
      R"({"against":["e","k","w"],"input":"close","lower":0,"name":"t","op":"trend","upper":0.01,)"
      R"("weights":[0.3333333333333333,0.3333333333333333,0.3333333333333333]},)"
      R"({"input":"w","name":"h","op":"hma","period":9},)"
      R"({"input":"close","name":"s","op":"tema","period":5,"seed":"sma"}],)"
      R"("inputs":[{"name":"close","type":"f64"},{"name":"vol","type":"f32"}],"kind":"series",)"
      R"("output":{"columns":["e","k","w","c","t","h","s"],"type":"f32"},"specjit":1})");
  EXPECT_EQ(d.spec<SeriesSpec>().name, "full");
}

TEST(SeriesHash, Invariance) {
  ASSERT_PARSES(base, kSeriesFull);
  // Keys permuted, numbers respelled, defaults written out, output columns
  // spelled out as the default, another name.
  ASSERT_PARSES(same, R"({"indicators": [
    {"seed": "first", "period": 12.0, "input": "close", "op": "ema", "name": "e"},
    {"slow": 3e1, "fast": 2, "period": 10, "op": "kama", "input": "close", "name": "k"},
    {"bias": 0.0e0, "terms": [{"weight": 5e-1, "input": "e"}, {"weight": 2.0, "input": "vol"}], "op": "weighted_sum", "name": "w"},
    {"slow": "k", "fast": "e", "op": "crossover", "name": "c"},
    {"weights": [0.3333333333333333, 0.33333333333333333, 3.333333333333333e-1], "lower": 0, "upper": 0.010, "against": ["e", "k", "w"], "input": "close", "op": "trend", "name": "t"},
    {"period": 9, "input": "w", "op": "hma", "name": "h"},
    {"seed": "sma", "period": 5, "input": "close", "op": "tema", "name": "s"}],
  "output": {"columns": ["e", "k", "w", "c", "t", "h", "s"], "type": "f32"},
  "inputs": [{"type": "f64", "name": "close"}, {"type": "f32", "name": "vol"}],
  "kind": "series", "specjit": 1.0, "name": "other"})");
  EXPECT_EQ(same.canonical(), base.canonical());
  EXPECT_EQ(same.hash(), base.hash());
  // Equal weights written out are the default.
  auto trend = [](const std::string &extra) {
    return sdoc("[" + sind("a", "sma", R"("input":"close","period":3)") + "," +
                sind("b", "sma", R"("input":"close","period":4)") + "," +
                sind("t", "trend", R"("input":"close","against":["a","b"])" + extra) + "]");
  };
  ASSERT_PARSES(t1, trend(""));
  ASSERT_PARSES(t2, trend(R"(,"weights":[0.5,0.5],"upper":0,"lower":0.0)"));
  EXPECT_EQ(t1.hash(), t2.hash());
  // The name is not hashed.
  ASSERT_PARSES(n1, sdoc("[" + sind("a", "sma", R"("input":"close","period":3)") + "]"));
  std::string named = sdoc("[" + sind("a", "sma", R"("input":"close","period":3)") + "]");
  named.insert(1, R"("name":"whatever",)");
  ASSERT_PARSES(n2, named);
  EXPECT_EQ(n1.hash(), n2.hash());
  EXPECT_EQ(n2.spec<SeriesSpec>().name, "whatever");
}

TEST(SeriesHash, Sensitivity) {
  auto replace = [](std::string s, const std::string &from, const std::string &to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::string> variants = {kSeriesFull};
  std::vector<std::pair<std::string, std::string>> edits = {
      {R"("period": 12})", R"("period": 13})"},
      {R"("period": 12})", R"("period": 12, "seed": "sma"})"},
      {R"("op": "ema")", R"("op": "sma")"},
      {R"("op": "ema")", R"("op": "dema")"},
      {R"("op": "ema")", R"("op": "tema")"},
      {R"("op": "ema")", R"("op": "wma")"},
      {R"("op": "ema")", R"("op": "lsma")"},
      {R"("op": "ema")", R"("op": "hma")"},
      {R"("period": 10})", R"("period": 10, "fast": 3})"},
      {R"("period": 10})", R"("period": 10, "slow": 31})"},
      {R"("period": 10})", R"("period": 11})"},
      {R"("weight": 0.5})", R"("weight": 0.25})"},
      {R"("weight": 2e0}])", R"("weight": 2e0}], "bias": 1)"},
      {R"({"input": "vol", "weight": 2e0})", R"({"input": "close", "weight": 2e0})"},
      {R"("fast": "e", "slow": "k")", R"("fast": "k", "slow": "e")"},
      {R"("upper": 1e-2)", R"("upper": 2e-2)"},
      {R"("upper": 1e-2)", R"("upper": 1e-2, "lower": 1e-2)"},
      {R"("upper": 1e-2)", R"("upper": 1e-2, "weights": [0.5, 0.25, 0.25])"},
      {R"(["e", "k", "w"])", R"(["e", "k"])"},
      {R"(["e", "k", "w"])", R"(["k", "e", "w"])"},
      {R"("input": "close", "against")", R"("input": "vol", "against")"},
      {R"("input": "w", "period": 9)", R"("input": "close", "period": 9)"},
      {R"("seed": "sma"})", R"("seed": "first"})"},
      {R"({"name": "vol", "type": "f32"})", R"({"name": "vol", "type": "f64"})"},
      {R"("output": {"type": "f32"})", R"("output": {"type": "f64"})"},
      {R"("output": {"type": "f32"})", R"("output": {"type": "f32", "columns": ["t", "c"]})"},
      {R"({"name": "s", "op")", R"({"name": "s2", "op")"},
  };
  for (const auto &[from, to] : edits)
    variants.push_back(replace(kSeriesFull, from, to));
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  for (const std::string &v : variants) {
    SCOPED_TRACE(v);
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
  }
  EXPECT_EQ(hashes.size(), variants.size());
}

} // namespace
