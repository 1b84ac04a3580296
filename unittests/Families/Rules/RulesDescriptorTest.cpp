//===- RulesDescriptorTest.cpp - The rules family's descriptors -----------===//
//
// Descriptor::parse on `rules` documents: every validation error (document,
// clamp, rules and their actions), the order and resolution of the actions,
// the canonical text and what the hash does and does not depend on.
//
//===----------------------------------------------------------------------===//

#include "DescriptorTestSupport.h"
#include "Families/Rules/RulesSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace specjit::jit;
using namespace specjit_test;

namespace {

/// A rules document over the meters energy, mood, hunger.
std::string rdoc(const std::string &rules, const std::string &extra = "") {
  return R"({"specjit":1,"kind":"rules","meters":["energy","mood","hunger"],"rules":)" + rules +
         (extra.empty() ? "" : "," + extra) + "}";
}

TEST(RulesErrors, Document) {
  ASSERT_PARSES(ok, rdoc("[]"));
  EXPECT_EQ(ok.kind(), Kind::Rules);
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","rules":[]})", "descriptor",
                     "missing required key 'meters'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a"]})", "descriptor",
                     "missing required key 'rules'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":[],"rules":[]})", "meters",
                     "expected a non-empty array of unique meter names, got an array");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":"a","rules":[]})", "meters",
                     "got the string 'a'");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a",""],"rules":[]})", "meters[1]",
                     "expected a meter name (a non-empty string)");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a",1],"rules":[]})", "meters[1]",
                     "got 1");
  EXPECT_PARSE_ERROR(R"({"specjit":1,"kind":"rules","meters":["a","b","a"],"rules":[]})",
                     "meters[2]", "duplicate meter 'a' (also meters[0])");
  EXPECT_PARSE_ERROR(rdoc("{}"), "rules",
                     "expected an array of rules (may be empty), got an object");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("typ":"f32")"), "descriptor",
                     "unknown key 'typ' (did you mean 'type'?); a rules descriptor takes "
                     "clamp, kind, meters, name, rules, specjit, steps, type");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("inputs":[])"), "descriptor", "unknown key 'inputs'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("name":1)"), "name", "expected a string, got 1");
  EXPECT_PARSE_ERROR(
      rdoc("[]", R"("type":"i32")"), "type",
      "expected one of f32, f64 (the state matrix's element type), got the string 'i32'");
  // steps: 1..1000000.
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":0)"), "steps",
                     "expected an integer in 1..1000000, got 0");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":-1)"), "steps",
                     "expected an integer in 1..1000000, got -1");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":1000001)"), "steps", "got 1000001");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":2.5)"), "steps", "got 2.5");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":"10")"), "steps", "got the string '10'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("steps":1e999)"), "steps", "infinity");
  EXPECT_EQ(parseOk(rdoc("[]", R"("steps":1000000)")).spec<RulesSpec>().steps, 1000000);
  EXPECT_EQ(parseOk(rdoc("[]", R"("steps":1e1)")).spec<RulesSpec>().steps, 10);
}

TEST(RulesErrors, Clamp) {
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[1,0]})"), "clamp.energy",
                     "expected lo <= hi, got [1, 0]");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0.5,0.25]})"), "clamp.energy",
                     "expected lo <= hi, got [0.5, 0.25]");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0,1e999]})"), "clamp.energy[1]",
                     "expected a finite number, got a number too large for f64 (infinity)");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[-1e999,0]})"), "clamp.energy[0]",
                     "(-infinity)");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0,"1"]})"), "clamp.energy[1]",
                     "got the string '1'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0]})"), "clamp.energy",
                     "expected [lo, hi], an array of two finite numbers, got an array");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":[0,1,2]})"), "clamp.energy",
                     "expected [lo, hi]");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"energy":1})"), "clamp.energy",
                     "expected [lo, hi], an array of two finite numbers, got 1");
  EXPECT_PARSE_ERROR(
      rdoc("[]", R"("clamp":{"enrgy":[0,1]})"), "clamp.enrgy",
      "unknown meter 'enrgy' (meters: energy, mood, hunger); did you mean 'energy'?");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":{"a b":[0,1]})"), R"(clamp["a b"])",
                     "unknown meter 'a b'");
  EXPECT_PARSE_ERROR(rdoc("[]", R"("clamp":[[0,1]])"), "clamp",
                     "expected an object {meter: [lo, hi]}, got an array");
  // lo == hi is fine; so is an empty object (no clamps).
  ASSERT_PARSES(eq, rdoc("[]", R"("clamp":{"mood":[0.5,0.5]})"));
  EXPECT_EQ(eq.spec<RulesSpec>().clamp[1], std::make_pair(0.5, 0.5));
  ASSERT_PARSES(none, rdoc("[]", R"("clamp":{})"));
  EXPECT_EQ(none.spec<RulesSpec>().clamp.size(), 3u);
  EXPECT_FALSE(none.spec<RulesSpec>().clamp[0].has_value());
}

TEST(RulesErrors, Rules) {
  EXPECT_PARSE_ERROR(rdoc("[3]"), "rules[0]", "expected a rule object");
  // A rule with no action.
  EXPECT_PARSE_ERROR(rdoc(R"([{"mul":{"mood":"2"}},{"if":"mood < 1"}])"), "rules[1]",
                     "a rule needs at least one action: set, add, sub or mul");
  EXPECT_PARSE_ERROR(rdoc(R"([{}])"), "rules[0]", "a rule needs at least one action");
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{}}])"), "rules[0].set",
                     "expected a non-empty object {meter: expression}, got an object");
  EXPECT_PARSE_ERROR(rdoc(R"([{"add":["mood"]}])"), "rules[0].add",
                     "expected a non-empty object {meter: expression}, got an array");
  // Unknown keys.
  EXPECT_PARSE_ERROR(
      rdoc(R"([{"sett":{"mood":"1"}}])"), "rules[0]",
      "unknown key 'sett' (did you mean 'set'?); a rule takes add, if, mul, set, sub");
  EXPECT_PARSE_ERROR(rdoc(R"([{"when":"mood","set":{"mood":"1"}}])"), "rules[0]",
                     "unknown key 'when'");
  // Unknown target meters.
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mod":"1"}}])"), "rules[0].set.mod",
                     "unknown meter 'mod' (meters: energy, mood, hunger); did you mean 'mood'?");
  EXPECT_PARSE_ERROR(rdoc(R"([{"sub":{"x y":"1"}}])"), R"(rules[0].sub["x y"])",
                     "unknown meter 'x y'");
  // A meter targeted twice in one rule (named with the first action).
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"1"},"add":{"mood":"2"}}])"), "rules[0].add.mood",
                     "meter 'mood' is already the target of rules[0].set (a meter may be the "
                     "target of at most one action per rule)");
  EXPECT_PARSE_ERROR(rdoc(R"([{"sub":{"energy":"1"},"mul":{"mood":"2","energy":"3"}}])"),
                     "rules[0].mul.energy", "already the target of rules[0].sub");
  // ... but across rules it is fine.
  ASSERT_PARSES(twice, rdoc(R"([{"set":{"mood":"1"}},{"add":{"mood":"2"}}])"));
  // Expressions naming unknown meters: the path, the name, the offset.
  EXPECT_PARSE_ERROR(
      rdoc(R"([{"mul":{"mood":"2"}},{"add":{"mood":"1"}},{"set":{"mood":"1 + x"}}])"),
      "rules[2].set.mood", "unknown meter 'x' at offset 4 (meters: energy, mood, hunger)");
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"mod * 2"}}])"), "rules[0].set.mood",
                     "unknown meter 'mod' at offset 0 (meters: energy, mood, hunger); did you "
                     "mean 'mood'?");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"hunger > 0.5 and thirst > 0.5","set":{"mood":"0"}}])"),
                     "rules[0].if", "unknown meter 'thirst' at offset 17");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"`energy ` > 1","set":{"mood":"0"}}])"), "rules[0].if",
                     "unknown meter 'energy ' at offset 0");
  // Syntax errors and constants out of range.
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"1 +"}}])"), "rules[0].set.mood", "at offset 3");
  EXPECT_PARSE_ERROR(rdoc(R"([{"set":{"mood":"mood * 1e999"}}])"), "rules[0].set.mood",
                     "number '1e999' is out of range at offset 7");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"","set":{"mood":"1"}}])"), "rules[0].if",
                     "expected an expression at offset 0");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":"mood = 1","set":{"mood":"1"}}])"), "rules[0].if",
                     "did you mean '=='?");
  // Wrong types.
  EXPECT_PARSE_ERROR(rdoc(R"([{"mul":{"energy":0.999}}])"), "rules[0].mul.energy",
                     "expected an expression over the meters (a string), got 0.999; write it "
                     "as \"0.999\"");
  EXPECT_PARSE_ERROR(rdoc(R"([{"mul":{"energy":null}}])"), "rules[0].mul.energy",
                     "expected an expression over the meters (a string), got null");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":true,"mul":{"energy":"1"}}])"), "rules[0].if",
                     "expected a condition over the meters (a string), got true");
  EXPECT_PARSE_ERROR(rdoc(R"([{"if":1,"mul":{"energy":"1"}}])"), "rules[0].if",
                     "write it as \"1\"");
}

/// A rules document over the meters energy, mood, hunger, fun.
std::string rdoc4(const std::string &rules, const std::string &extra = "") {
  return R"({"specjit":1,"kind":"rules","meters":["energy","mood","hunger","fun"],"rules":)" +
         rules + (extra.empty() ? "" : "," + extra) + "}";
}

std::string actionsOf(const Rule &r) {
  static const char *kinds[] = {"set", "add", "sub", "mul"};
  std::string out;
  for (const RuleAction &a : r.actions)
    out += std::string(out.empty() ? "" : " ") + kinds[static_cast<int>(a.kind)] + ":" +
           std::to_string(a.meter);
  return out;
}

TEST(RulesAnalysis, ActionOrderAndResolution) {
  ASSERT_PARSES(
      d,
      rdoc4(R"([{"mul":{"fun":"2","energy":"mood"},"sub":{"mood":"hunger"},)"
            R"("set":{"hunger":"energy + hunger * `mood`"},"if":"hunger > 0.5 or not energy"},)"
            R"({"add":{"fun":"0.01","energy":"0.02","mood":"0.03"}},)"
            R"({"mul":{"mood":"1"},"add":{"fun":"1"},"sub":{"energy":"1"},"set":{"hunger":"1"}}])",
            R"("clamp":{"hunger":[0,1],"energy":[-1,2.5]},"type":"f32","steps":7)"));
  const RulesSpec &r = d.spec<RulesSpec>();
  EXPECT_EQ(r.meters, (std::vector<std::string>{"energy", "mood", "hunger", "fun"}));
  ASSERT_EQ(r.rules.size(), 3u);
  // set, add, sub, mul; by meter index within a kind.
  EXPECT_EQ(actionsOf(r.rules[0]), "set:2 sub:1 mul:0 mul:3");
  EXPECT_EQ(actionsOf(r.rules[1]), "add:0 add:1 add:3");
  EXPECT_EQ(actionsOf(r.rules[2]), "set:2 add:3 sub:0 mul:1");
  // Column nodes carry the meter index.
  const Rule &r0 = r.rules[0];
  ASSERT_TRUE(r0.cond);
  EXPECT_EQ(r0.condText, "hunger > 0.5 or not energy");
  EXPECT_EQ(sexpr(*r0.cond), "(or (> hunger$2 0.5) (not energy$0))");
  EXPECT_EQ(r0.actions[0].text, "energy + hunger * `mood`");
  EXPECT_EQ(sexpr(*r0.actions[0].expr), "(+ energy$0 (* hunger$2 mood$1))");
  EXPECT_EQ(sexpr(*r0.actions[1].expr), "hunger$2");
  EXPECT_EQ(sexpr(*r0.actions[2].expr), "mood$1");
  EXPECT_EQ(sexpr(*r0.actions[3].expr), "2");
  EXPECT_EQ(r0.actions[0].kind, RuleAction::Kind::Set);
  EXPECT_EQ(r0.actions[3].kind, RuleAction::Kind::Mul);
  // No condition: always.
  EXPECT_FALSE(r.rules[1].cond);
  EXPECT_TRUE(r.rules[1].condText.empty());
  // Clamps, per meter.
  ASSERT_EQ(r.clamp.size(), 4u);
  EXPECT_EQ(r.clamp[0], std::make_pair(-1.0, 2.5));
  EXPECT_FALSE(r.clamp[1].has_value());
  EXPECT_EQ(r.clamp[2], std::make_pair(0.0, 1.0));
  EXPECT_FALSE(r.clamp[3].has_value());
  EXPECT_EQ(r.type, DType::F32);
  EXPECT_EQ(r.steps, 7);
  // The state matrix is the output; there are no inputs.
  EXPECT_EQ(d.outputNames(), r.meters);
  EXPECT_EQ(d.numOutputs(), 4u);
  EXPECT_EQ(d.outputType(), DType::F32);
  EXPECT_TRUE(d.inputs().empty());
  // Defaults.
  ASSERT_PARSES(e, rdoc("[]"));
  EXPECT_EQ(e.spec<RulesSpec>().type, DType::F64);
  EXPECT_EQ(e.spec<RulesSpec>().steps, 1);
  EXPECT_TRUE(e.spec<RulesSpec>().rules.empty());
  EXPECT_EQ(e.spec<RulesSpec>().clamp.size(), 3u);
  // Meter names that need backquotes in expressions.
  ASSERT_PARSES(q, R"({"specjit":1,"kind":"rules","meters":["a b","and"],)"
                   R"("rules":[{"set":{"a b":"`and` + 1"}}]})");
  EXPECT_EQ(sexpr(*q.spec<RulesSpec>().rules[0].actions[0].expr), "(+ and$1 1)");
}

TEST(RulesCanonical, ExactText) {
  ASSERT_PARSES(d, kRulesFull);
  EXPECT_EQ(
      d.canonical(),
      R"({"clamp":{"energy":[0,1],"mood":[0,1]},"kind":"rules","meters":["energy","mood","hunger"],)"
      R"j("rules":[{"if":"mood < 0.2","sub":{"energy":"0.01 * (0.2 - mood)"}},)j"
      R"({"add":{"hunger":"0.01"},"if":"hunger > 0.8 and energy > 0.1","set":{"mood":"mood - 0.05"}},)"
      R"({"mul":{"energy":"0.999","mood":"mood"}}],"specjit":1,"steps":10,"type":"f32"})");
  EXPECT_EQ(d.spec<RulesSpec>().name, "n");
  // Defaults written out; meter keys sorted bytewise, not in meter order.
  ASSERT_PARSES(e, R"({"specjit":1,"kind":"rules","meters":["zeta","alpha"],)"
                   R"("rules":[{"add":{"zeta":"1","alpha":"alpha"}}]})");
  EXPECT_EQ(
      e.canonical(),
      R"({"kind":"rules","meters":["zeta","alpha"],"rules":[{"add":{"alpha":"alpha","zeta":"1"}}],)"
      R"("specjit":1,"steps":1,"type":"f64"})");
  EXPECT_EQ(actionsOf(e.spec<RulesSpec>().rules[0]), "add:0 add:1");
}

TEST(RulesHash, Invariance) {
  ASSERT_PARSES(base, kRulesFull);
  ASSERT_PARSES(same, R"json({"steps":1e1,"clamp":{"energy":[0.0,1e0],"mood":[-0,1]},
   "rules":[{"sub":{"energy":"0.010 * ((0.2) - `mood`)"},"if":"(mood < 2e-1)"},
            {"add":{"hunger":"0.01"},"set":{"mood":"mood-0.05"},"if":"(hunger > 0.8) and (energy > 0.1)"},
            {"mul":{"energy":"999e-3","mood":"mood"}}],
   "type":"f32","meters":["energy","mood","hunger"],"kind":"rules","specjit":1.0,"name":"other"})json");
  EXPECT_EQ(same.canonical(), base.canonical());
  EXPECT_EQ(same.hash(), base.hash());
  // Defaults written or not; an empty clamp is no clamp.
  ASSERT_PARSES(d1, rdoc(R"([{"mul":{"mood":"2"}}])"));
  ASSERT_PARSES(d2, rdoc(R"([{"mul":{"mood":"2"}}])", R"("type":"f64","steps":1,"clamp":{})"));
  EXPECT_EQ(d1.hash(), d2.hash());
  // Expression spellings.
  ASSERT_PARSES(x1, rdoc(R"j([{"if":"not (mood < 1) || hunger","set":{"mood":"pow(mood, 2)"}}])j"));
  ASSERT_PARSES(x2, rdoc(R"([{"if":"!(mood<1) or hunger","set":{"mood":"mood ** 2.0"}}])"));
  EXPECT_EQ(x1.hash(), x2.hash());
}

TEST(RulesHash, Sensitivity) {
  auto replace = [](std::string s, const std::string &from, const std::string &to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::string> variants = {kRulesFull};
  std::vector<std::pair<std::string, std::string>> edits = {
      {R"("type":"f32")", R"("type":"f64")"},
      {R"("steps":10)", R"("steps":11)"},
      {R"(,"steps":10)", ""},
      {R"("mood":[0,1.0],)", ""},
      {R"("mood":[0,1.0])", R"("mood":[0,0.9])"},
      {R"("mood":[0,1.0])", R"("hunger":[0,1.0])"},
      {R"("mood<0.2")", R"("mood<=0.2")"},
      {R"("if":"mood<0.2",)", ""},
      {R"("sub":{"energy")", R"("add":{"energy")"},
      {R"("sub":{"energy")", R"("set":{"energy")"},
      {R"("sub":{"energy")", R"("mul":{"energy")"},
      {R"("sub":{"energy")", R"("sub":{"hunger")"},
      {R"("1e-2")", R"("2e-2")"},
      {R"j("(mood)")j", R"("energy")"},
      {R"(["energy","mood","hunger"])", R"(["energy","mood","hunger","fun"])"},
      {R"(["energy","mood","hunger"])", R"(["mood","energy","hunger"])"},
      {R"j({"mul":{"mood":"(mood)","energy":"0.999"}})j", R"({"mul":{"energy":"0.999"}})"},
  };
  for (const auto &[from, to] : edits)
    variants.push_back(replace(kRulesFull, from, to));
  // Rule order matters.
  variants.push_back(replace(
      replace(kRulesFull, R"j({"if":"mood<0.2","sub":{"energy":"0.01*(0.2-mood)"}},)j", ""),
      R"j({"mul":{"mood":"(mood)","energy":"0.999"}}])j",
      R"j({"mul":{"mood":"(mood)","energy":"0.999"}},{"if":"mood<0.2","sub":{"energy":"0.01*(0.2-mood)"}}])j"));
  std::set<std::pair<uint64_t, uint64_t>> hashes;
  for (const std::string &v : variants) {
    ASSERT_PARSES(d, v);
    hashes.insert({d.hash().hi, d.hash().lo});
  }
  EXPECT_EQ(hashes.size(), variants.size());
}

} // namespace
