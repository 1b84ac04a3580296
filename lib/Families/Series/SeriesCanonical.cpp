//===- SeriesCanonical.cpp - The canonical text of a series descriptor ----===//
//
// Written from the validated specification (not from the JSON), so that
// descriptors meaning the same series get the same text and hash.
//
// Canonical form: compact JSON, keys sorted bytewise, the top-level `name`
// dropped (an indicator's `name` is kept: it names an output column),
// defaults written out (ema/dema/tema "seed", kama "fast"/"slow",
// weighted_sum "bias", trend "weights"/"upper"/"lower", and output
// "columns": every indicator in order when absent), numbers as
// formatNumber() spells them. Indicators keep their order.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Series/SeriesSpec.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace json = llvm::json;

namespace specjit {
namespace jit {

namespace detail {

std::string canonicalSeriesText(const SeriesSpec &spec) {
  auto nameOf = [&](int id) -> const std::string & {
    size_t n = spec.inputs.size();
    return static_cast<size_t>(id) < n ? spec.inputs[id].name : spec.indicators[id - n].name;
  };
  std::string out;
  llvm::raw_string_ostream os(out);
  {
    json::OStream j(os);
    j.object([&] {
      j.attributeArray("indicators", [&] {
        for (const Indicator &ind : spec.indicators)
          j.object([&] {
            auto name = [&] { j.attribute("name", ind.name); };
            auto op = [&] { j.attribute("op", indicatorOpName(ind.op)); };
            auto input = [&] { j.attribute("input", nameOf(ind.sources[0])); };
            auto period = [&] { j.attribute("period", static_cast<int64_t>(ind.period)); };
            switch (ind.op) {
            case IndicatorOp::Sma:
            case IndicatorOp::Wma:
            case IndicatorOp::Hma:
            case IndicatorOp::Lsma:
              input();
              name();
              op();
              period();
              break;
            case IndicatorOp::Ema:
            case IndicatorOp::Dema:
            case IndicatorOp::Tema:
              input();
              name();
              op();
              period();
              j.attribute("seed", ind.seed == EmaSeed::Sma ? "sma" : "first");
              break;
            case IndicatorOp::Kama:
              j.attribute("fast", static_cast<int64_t>(ind.fast));
              input();
              name();
              op();
              period();
              j.attribute("slow", static_cast<int64_t>(ind.slow));
              break;
            case IndicatorOp::WeightedSum:
              numberAttr(j, "bias", ind.bias);
              name();
              op();
              j.attributeArray("terms", [&] {
                for (size_t t = 0; t < ind.sources.size(); ++t)
                  j.object([&] {
                    j.attribute("input", nameOf(ind.sources[t]));
                    numberAttr(j, "weight", ind.weights[t]);
                  });
              });
              break;
            case IndicatorOp::Crossover:
              j.attribute("fast", nameOf(ind.sources[0]));
              name();
              op();
              j.attribute("slow", nameOf(ind.sources[1]));
              break;
            case IndicatorOp::Trend:
              j.attributeArray("against", [&] {
                for (size_t a = 1; a < ind.sources.size(); ++a)
                  j.value(nameOf(ind.sources[a]));
              });
              input();
              numberAttr(j, "lower", ind.lower);
              name();
              op();
              numberAttr(j, "upper", ind.upper);
              j.attributeArray("weights", [&] {
                for (double w : ind.weights)
                  j.rawValue(formatNumber(w));
              });
              break;
            }
          });
      });
      j.attributeArray("inputs", [&] {
        for (const InputColumn &in : spec.inputs)
          j.object([&] {
            j.attribute("name", in.name);
            j.attribute("type", dtypeName(in.type));
          });
      });
      j.attribute("kind", kindName(Kind::Series));
      j.attributeObject("output", [&] {
        j.attributeArray("columns", [&] {
          for (const std::string &c : spec.outputNames)
            j.value(c);
        });
        j.attribute("type", dtypeName(spec.outputType));
      });
      j.attribute("specjit", 1);
    });
  }
  os.flush();
  return out;
}

} // namespace detail
} // namespace jit
} // namespace specjit
