//===- PipelineCanonical.cpp - The canonical text of a pipeline -----------===//
//
// The canonical text is written from the validated specification, not from
// the JSON: two descriptors that mean the same pipeline get the same text and
// so the same hash. The model and train families write their inputs and
// steps with the same functions (PipelineFrontEnd.h).
//
// Canonical form: compact JSON, keys sorted bytewise, `name` dropped,
// defaults written out ("steps": [], one_hot "unknown", label_encode
// "default", polynomial "interaction_only"/"include_bias"), clip bounds only
// when given, output "columns" only when given, numbers as formatNumber()
// spells them, expressions as printExpr() spells them, and label_encode
// "mapping" always as an object {category: code} whose keys are the
// normalized categories (integers in decimal, floats as formatNumber()
// spells them, strings as is), sorted bytewise like every other key.
//
//===----------------------------------------------------------------------===//

#include "Families/Pipeline/PipelineFrontEnd.h"
#include "Families/Pipeline/PipelineParser.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace json = llvm::json;
using llvm::ArrayRef;

namespace specjit {
namespace jit {

using detail::formatNumber;

namespace {

using detail::numberAttr;

void categories(json::OStream &j, const Step &s) {
  j.array([&] {
    for (int64_t c : s.intCategories)
      j.value(c);
    for (double c : s.floatCategories)
      j.rawValue(formatNumber(c));
    for (const std::string &c : s.stringCategories)
      j.value(c);
  });
}

} // namespace
void writeCanonicalStep(json::OStream &j, const Step &s) {
  j.object([&] {
    auto op = [&] { j.attribute("op", stepOpName(s.op)); };
    auto column = [&] { j.attribute("column", s.column); };
    switch (s.op) {
    case StepOp::Standardize:
      column();
      numberAttr(j, "mean", s.mean);
      op();
      numberAttr(j, "std", s.std);
      break;
    case StepOp::MinMax:
      column();
      numberAttr(j, "max", s.max);
      numberAttr(j, "min", s.min);
      op();
      break;
    case StepOp::Log:
    case StepOp::Log1p:
      column();
      op();
      break;
    case StepOp::Clip:
      column();
      if (std::isfinite(s.max))
        numberAttr(j, "max", s.max);
      if (std::isfinite(s.min))
        numberAttr(j, "min", s.min);
      op();
      break;
    case StepOp::Impute:
      column();
      op();
      numberAttr(j, "value", s.value);
      break;
    case StepOp::OneHot:
      j.attributeBegin("categories");
      categories(j, s);
      j.attributeEnd();
      column();
      op();
      j.attribute("unknown", s.unknown == UnknownPolicy::Error ? "error" : "zeros");
      break;
    case StepOp::LabelEncode: {
      column();
      numberAttr(j, "default", s.defaultCode);
      std::vector<std::pair<std::string, double>> entries;
      entries.reserve(s.codes.size());
      for (size_t i = 0; i < s.codes.size(); ++i) {
        std::string key = i < s.intCategories.size()     ? std::to_string(s.intCategories[i])
                          : i < s.floatCategories.size() ? formatNumber(s.floatCategories[i])
                                                         : s.stringCategories[i];
        entries.emplace_back(std::move(key), s.codes[i]);
      }
      std::sort(entries.begin(), entries.end());
      j.attributeObject("mapping", [&] {
        for (const auto &[key, code] : entries)
          numberAttr(j, key, code);
      });
      op();
      break;
    }
    case StepOp::Polynomial:
      j.attributeArray("columns", [&] {
        for (const std::string &c : s.columns)
          j.value(c);
      });
      j.attribute("degree", static_cast<int64_t>(s.degree));
      j.attribute("include_bias", s.includeBias);
      j.attribute("interaction_only", s.interactionOnly);
      op();
      break;
    case StepOp::Bucketize:
      column();
      j.attributeArray("edges", [&] {
        for (double e : s.edges)
          j.rawValue(formatNumber(e));
      });
      op();
      break;
    case StepOp::Expr:
      j.attribute("expr", detail::printExpr(*s.expr));
      j.attribute("name", s.name);
      op();
      break;
    }
  });
}

void writeCanonicalInputs(json::OStream &j, ArrayRef<InputColumn> inputs) {
  j.array([&] {
    for (const InputColumn &in : inputs)
      j.object([&] {
        if (in.missing)
          j.attribute("missing", *in.missing);
        j.attribute("name", in.name);
        j.attribute("type", dtypeName(in.type));
      });
  });
}

std::string canonicalPipelineText(const PipelineSpec &spec) {
  std::string out;
  llvm::raw_string_ostream os(out);
  {
    json::OStream j(os);
    j.object([&] {
      j.attributeBegin("inputs");
      writeCanonicalInputs(j, spec.inputs);
      j.attributeEnd();
      j.attribute("kind", kindName(Kind::Pipeline));
      j.attributeObject("output", [&] {
        if (!spec.outputColumns.empty())
          j.attributeArray("columns", [&] {
            for (const std::string &c : spec.outputColumns)
              j.value(c);
          });
        j.attribute("type", dtypeName(spec.outputType));
      });
      j.attribute("specjit", 1);
      j.attributeArray("steps", [&] {
        for (const Step &s : spec.steps)
          writeCanonicalStep(j, s);
      });
    });
  }
  os.flush();
  return out;
}

} // namespace jit
} // namespace specjit
