//===- SeriesDescriptor.cpp - The `series` family -------------------------===//
//
// Parsing, validation and analysis of `kind: "series"` descriptors
// (docs/series-semantics.md): input price columns, an ordered list of
// indicators each reading inputs or earlier indicators, and the output
// columns. The analysis resolves every source to an id (inputs first, then
// indicators), fills in the defaults and computes each indicator's lookback.
//
// The canonical form is written in SeriesCanonical.cpp.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Series/SeriesSpec.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {

llvm::StringRef indicatorOpName(IndicatorOp op) {
  switch (op) {
  case IndicatorOp::Sma:
    return "sma";
  case IndicatorOp::Ema:
    return "ema";
  case IndicatorOp::Wma:
    return "wma";
  case IndicatorOp::Dema:
    return "dema";
  case IndicatorOp::Tema:
    return "tema";
  case IndicatorOp::Hma:
    return "hma";
  case IndicatorOp::Lsma:
    return "lsma";
  case IndicatorOp::Kama:
    return "kama";
  case IndicatorOp::WeightedSum:
    return "weighted_sum";
  case IndicatorOp::Crossover:
    return "crossover";
  case IndicatorOp::Trend:
    return "trend";
  }
  return "?";
}

namespace {

using detail::asInt64;
using detail::checkKeys;
using detail::expected;
using detail::failAt;
using detail::formatNumber;
using detail::indexPath;
using detail::keyPath;
using detail::listNames;
using detail::numberAttr;
using detail::quoted;
using detail::readFinite;
using detail::readNonEmptyString;
using detail::requireKey;
using detail::suggestName;

constexpr IndicatorOp kAllIndicatorOps[] = {
    IndicatorOp::Sma,         IndicatorOp::Ema,       IndicatorOp::Wma,   IndicatorOp::Dema,
    IndicatorOp::Tema,        IndicatorOp::Hma,       IndicatorOp::Lsma,  IndicatorOp::Kama,
    IndicatorOp::WeightedSum, IndicatorOp::Crossover, IndicatorOp::Trend,
};

/// Periods (and kama's fast/slow) are integers in 1..kMaxPeriod.
constexpr int64_t kMaxPeriod = 100000;

bool hasSeed(IndicatorOp op) {
  return op == IndicatorOp::Ema || op == IndicatorOp::Dema || op == IndicatorOp::Tema;
}

bool isMovingAverage(IndicatorOp op) {
  switch (op) {
  case IndicatorOp::WeightedSum:
  case IndicatorOp::Crossover:
  case IndicatorOp::Trend:
    return false;
  default:
    return true;
  }
}

/// floor(sqrt(n)), exactly.
int64_t isqrt(int64_t n) {
  int64_t s = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
  while (s > 0 && s * s > n)
    --s;
  while ((s + 1) * (s + 1) <= n)
    ++s;
  return s;
}

/// The lookback an op adds to its source's (docs/series-semantics.md).
int64_t ownLookback(const Indicator &ind) {
  int64_t n = ind.period;
  bool sma = ind.seed == EmaSeed::Sma;
  switch (ind.op) {
  case IndicatorOp::Sma:
  case IndicatorOp::Wma:
  case IndicatorOp::Lsma:
    return n - 1;
  case IndicatorOp::Ema:
    return sma ? n - 1 : 0;
  case IndicatorOp::Dema:
    return sma ? 2 * (n - 1) : 0;
  case IndicatorOp::Tema:
    return sma ? 3 * (n - 1) : 0;
  case IndicatorOp::Hma:
    return n - 1 + isqrt(n) - 1;
  case IndicatorOp::Kama:
    return n;
  default:
    return 0;
  }
}

class SeriesParser {
public:
  Expected<Descriptor> run(const json::Object &root);

private:
  SeriesSpec spec;
  /// Input names and the names of the indicators parsed so far -> source id.
  llvm::StringMap<int> sourceId;
  /// Every indicator name in the document -> its first index (for "a later
  /// indicator" errors).
  llvm::StringMap<size_t> declaredAt;
  std::vector<std::string> inputNames, indicatorNames;
  std::vector<std::string> outputColumns;

  Error parseInputs(const json::Object &root);
  Error parseOutputShape(const json::Object &root);
  Error parseIndicators(const json::Object &root);
  Error parseIndicator(const json::Value &v, size_t index);
  Error resolveOutputs();

  Error readSource(const json::Value &v, StringRef path, const Indicator &ind, int &id);
  Error readInt(const json::Object &o, StringRef path, StringRef key, bool required, int64_t lo,
                int64_t hi, int &out);
  Error readNonNegative(const json::Object &o, StringRef path, StringRef key, double &out);
  int64_t sourceLookback(int id) const {
    size_t n = spec.inputs.size();
    return static_cast<size_t>(id) < n ? 0 : spec.indicators[id - n].lookback;
  }
  std::string sourceName(int id) const {
    size_t n = spec.inputs.size();
    return static_cast<size_t>(id) < n ? spec.inputs[id].name : spec.indicators[id - n].name;
  }
};

//===----------------------------------------------------------------------===//
// Inputs and output
//===----------------------------------------------------------------------===//

Error SeriesParser::parseInputs(const json::Object &root) {
  const json::Value *v;
  StringRef what = "a non-empty array of input columns {\"name\", \"type\"}";
  if (Error e = requireKey(root, "", "inputs", what, v))
    return e;
  const json::Array *inputs = v->getAsArray();
  if (!inputs || inputs->empty())
    return expected("inputs", what, *v);
  if (inputs->size() > kMaxColumns)
    return failAt("inputs", Twine(inputs->size()) + " input columns, more than the limit of " +
                                Twine(kMaxColumns));
  for (size_t i = 0; i < inputs->size(); ++i) {
    std::string path = indexPath("inputs", i);
    const json::Object *o = (*inputs)[i].getAsObject();
    if (!o)
      return expected(path, "an input column object {\"name\", \"type\"}", (*inputs)[i]);
    if (o->get("missing"))
      return failAt(keyPath(path, "missing"),
                    "series inputs take no 'missing' sentinel (they are f64 "
                    "or f32 columns: NaN is missing)");
    if (Error e = checkKeys(*o, path, {"name", "type"}, "a series input"))
      return e;
    InputColumn in;
    const json::Value *f;
    if (Error e = requireKey(*o, path, "name", "a non-empty string", f))
      return e;
    std::string namePath = keyPath(path, "name");
    if (Error e = readNonEmptyString(*f, namePath, in.name, "a non-empty string"))
      return e;
    auto [it, inserted] = sourceId.try_emplace(in.name, static_cast<int>(i));
    if (!inserted)
      return failAt(namePath, "duplicate input name " + quoted(in.name) + " (also inputs[" +
                                  Twine(it->second) + "])");
    if (Error e = requireKey(*o, path, "type", "f64 or f32", f))
      return e;
    std::optional<StringRef> type = f->getAsString();
    if (type && *type == "f64")
      in.type = DType::F64;
    else if (type && *type == "f32")
      in.type = DType::F32;
    else
      return expected(keyPath(path, "type"), "one of f64, f32 (series inputs are float columns)",
                      *f);
    inputNames.push_back(in.name);
    spec.inputs.push_back(std::move(in));
  }
  return Error::success();
}

Error SeriesParser::parseOutputShape(const json::Object &root) {
  // Shape now; names are resolved after the indicators.
  return detail::parseOutputObject(root, "indicator", spec.outputType, outputColumns);
}

Error SeriesParser::resolveOutputs() {
  size_t nInputs = spec.inputs.size();
  if (outputColumns.empty()) {
    for (size_t k = 0; k < spec.indicators.size(); ++k) {
      spec.outputs.push_back(static_cast<int>(k));
      spec.outputNames.push_back(spec.indicators[k].name);
    }
    return Error::success();
  }
  for (size_t i = 0; i < outputColumns.size(); ++i) {
    std::string path = indexPath("output.columns", i);
    StringRef name = outputColumns[i];
    auto it = sourceId.find(name);
    if (it == sourceId.end())
      return failAt(path, "unknown indicator " + quoted(name) + " (indicators: " +
                              listNames(indicatorNames) + ")" + suggestName(name, indicatorNames));
    if (static_cast<size_t>(it->second) < nInputs)
      return failAt(path, quoted(name) +
                              " is an input column; the output holds "
                              "indicators (indicators: " +
                              listNames(indicatorNames) + ")");
    spec.outputs.push_back(it->second - static_cast<int>(nInputs));
    spec.outputNames.push_back(name.str());
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Indicators
//===----------------------------------------------------------------------===//

Error SeriesParser::parseIndicators(const json::Object &root) {
  const json::Value *v;
  StringRef what = "a non-empty array of indicators";
  if (Error e = requireKey(root, "", "indicators", what, v))
    return e;
  const json::Array *list = v->getAsArray();
  if (!list || list->empty())
    return expected("indicators", what, *v);
  // Every name up front, so that a reference to a later indicator gets an
  // error saying so (the shape of each entry is checked in order below).
  for (size_t i = 0; i < list->size(); ++i)
    if (const json::Object *o = (*list)[i].getAsObject())
      if (std::optional<StringRef> name = o->getString("name"))
        declaredAt.try_emplace(*name, i);
  for (size_t i = 0; i < list->size(); ++i)
    if (Error e = parseIndicator((*list)[i], i))
      return e;
  return Error::success();
}

Error SeriesParser::readSource(const json::Value &v, StringRef path, const Indicator &ind,
                               int &id) {
  std::optional<StringRef> name = v.getAsString();
  if (!name || name->empty())
    return expected(path,
                    "the name of an input or an earlier indicator (a "
                    "non-empty string)",
                    v);
  if (*name == ind.name)
    return failAt(path, "indicator " + quoted(ind.name) +
                            " reads itself (a cycle); an indicator reads "
                            "inputs and earlier indicators only");
  auto it = sourceId.find(*name);
  if (it != sourceId.end()) {
    id = it->second;
    return Error::success();
  }
  auto later = declaredAt.find(*name);
  if (later != declaredAt.end())
    return failAt(path, "indicator " + quoted(ind.name) + " reads " + quoted(*name) +
                            ", a later indicator (indicators[" + Twine(later->second) +
                            "]); an indicator reads inputs and earlier "
                            "indicators only, so move it before " +
                            quoted(ind.name));
  std::vector<std::string> all = inputNames;
  all.insert(all.end(), indicatorNames.begin(), indicatorNames.end());
  return failAt(path, "unknown source " + quoted(*name) + " for indicator " + quoted(ind.name) +
                          " (inputs: " + listNames(inputNames) + "; earlier indicators: " +
                          listNames(indicatorNames) + ")" + suggestName(*name, all));
}

Error SeriesParser::readInt(const json::Object &o, StringRef path, StringRef key, bool required,
                            int64_t lo, int64_t hi, int &out) {
  std::string what = ("an integer in " + Twine(lo) + ".." + Twine(hi)).str();
  const json::Value *v = o.get(key);
  if (!v) {
    if (!required)
      return Error::success();
    return requireKey(o, path, key, what, v);
  }
  std::optional<int64_t> i = asInt64(*v);
  if (!i || *i < lo || *i > hi)
    return expected(keyPath(path, key), what, *v);
  out = static_cast<int>(*i);
  return Error::success();
}

Error SeriesParser::readNonNegative(const json::Object &o, StringRef path, StringRef key,
                                    double &out) {
  const json::Value *v = o.get(key);
  if (!v)
    return Error::success();
  std::string p = keyPath(path, key);
  if (Error e = readFinite(*v, p, out, "a finite number >= 0"))
    return e;
  if (!(out >= 0))
    return expected(p, "a finite number >= 0", *v);
  if (out == 0)
    out = 0.0; // -0 is 0
  return Error::success();
}

Error SeriesParser::parseIndicator(const json::Value &v, size_t index) {
  std::string path = indexPath("indicators", index);
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path, "an indicator object {\"name\", \"op\", ...}", v);
  std::vector<std::string> opNames;
  for (IndicatorOp candidate : kAllIndicatorOps)
    opNames.push_back(indicatorOpName(candidate).str());
  Expected<size_t> opIndex = detail::readOp(*o, path, opNames);
  if (!opIndex)
    return opIndex.takeError();
  IndicatorOp op = kAllIndicatorOps[*opIndex];

  Indicator ind;
  ind.op = op;
  StringRef name = indicatorOpName(ind.op);
  std::string what =
      (StringRef("aeiou").contains(name[0]) ? "an " : "a ") + name.str() + " indicator";
  auto allowedKeys = [&]() -> std::vector<StringRef> {
    switch (op) {
    case IndicatorOp::Ema:
    case IndicatorOp::Dema:
    case IndicatorOp::Tema:
      return {"name", "op", "input", "period", "seed"};
    case IndicatorOp::Kama:
      return {"name", "op", "input", "period", "fast", "slow"};
    case IndicatorOp::WeightedSum:
      return {"name", "op", "terms", "bias"};
    case IndicatorOp::Crossover:
      return {"name", "op", "fast", "slow"};
    case IndicatorOp::Trend:
      return {"name", "op", "input", "against", "weights", "upper", "lower"};
    default:
      return {"name", "op", "input", "period"};
    }
  };
  if (Error e = checkKeys(*o, path, allowedKeys(), what))
    return e;

  // The name: unique among the indicators and the inputs.
  const json::Value *f;
  if (Error e = requireKey(*o, path, "name", "the name of the indicator (its output column)", f))
    return e;
  std::string namePath = keyPath(path, "name");
  if (Error e = readNonEmptyString(*f, namePath, ind.name, "a non-empty string"))
    return e;
  auto existing = sourceId.find(ind.name);
  if (existing != sourceId.end()) {
    size_t nInputs = spec.inputs.size();
    size_t id = static_cast<size_t>(existing->second);
    if (id < nInputs)
      return failAt(namePath, "indicator name " + quoted(ind.name) +
                                  " is also the name of inputs[" + Twine(id) +
                                  "] (indicator names must differ from the "
                                  "input names)");
    return failAt(namePath, "duplicate indicator name " + quoted(ind.name) + " (also indicators[" +
                                Twine(id - nInputs) + "])");
  }

  auto source = [&](StringRef key, StringRef desc) -> Error {
    const json::Value *s;
    if (Error e = requireKey(*o, path, key, desc, s))
      return e;
    int id = -1;
    if (Error e = readSource(*s, keyPath(path, key), ind, id))
      return e;
    ind.sources.push_back(id);
    return Error::success();
  };

  if (isMovingAverage(op)) {
    if (Error e = source("input", "the source: an input or an earlier "
                                  "indicator"))
      return e;
    if (Error e = readInt(*o, path, "period", true, 1, kMaxPeriod, ind.period))
      return e;
    if (hasSeed(op))
      if (const json::Value *s = o->get("seed")) {
        std::optional<StringRef> seed = s->getAsString();
        if (seed && *seed == "first")
          ind.seed = EmaSeed::First;
        else if (seed && *seed == "sma")
          ind.seed = EmaSeed::Sma;
        else
          return expected(keyPath(path, "seed"), "one of first, sma", *s);
      }
    if (op == IndicatorOp::Kama) {
      if (Error e = readInt(*o, path, "fast", false, 1, kMaxPeriod, ind.fast))
        return e;
      if (Error e = readInt(*o, path, "slow", false, 1, kMaxPeriod, ind.slow))
        return e;
      if (!(ind.fast < ind.slow)) {
        bool fastGiven = o->get("fast"), slowGiven = o->get("slow");
        StringRef at = fastGiven && !slowGiven ? "fast" : "slow";
        return failAt(keyPath(path, at), "kama needs fast < slow, got fast " + Twine(ind.fast) +
                                             (fastGiven ? "" : " (the default)") + " and slow " +
                                             Twine(ind.slow) + (slowGiven ? "" : " (the default)"));
      }
    }
    ind.lookback = sourceLookback(ind.sources[0]) + ownLookback(ind);
  } else {
    switch (op) {
    case IndicatorOp::WeightedSum: {
      std::string termsWhat = "a non-empty array of terms {\"input\", \"weight\"}";
      if (Error e = requireKey(*o, path, "terms", termsWhat, f))
        return e;
      std::string termsPath = keyPath(path, "terms");
      const json::Array *terms = f->getAsArray();
      if (!terms || terms->empty())
        return expected(termsPath, termsWhat, *f);
      for (size_t t = 0; t < terms->size(); ++t) {
        std::string tPath = indexPath(termsPath, t);
        const json::Object *term = (*terms)[t].getAsObject();
        if (!term)
          return expected(tPath, "a term object {\"input\", \"weight\"}", (*terms)[t]);
        if (Error e = checkKeys(*term, tPath, {"input", "weight"}, "a term"))
          return e;
        const json::Value *s;
        if (Error e = requireKey(*term, tPath, "input", "an input or an earlier indicator", s))
          return e;
        int id = -1;
        if (Error e = readSource(*s, keyPath(tPath, "input"), ind, id))
          return e;
        if (Error e = requireKey(*term, tPath, "weight", "a finite number", s))
          return e;
        double w;
        if (Error e = readFinite(*s, keyPath(tPath, "weight"), w))
          return e;
        ind.sources.push_back(id);
        ind.weights.push_back(w);
      }
      if (const json::Value *b = o->get("bias"))
        if (Error e = readFinite(*b, keyPath(path, "bias"), ind.bias))
          return e;
      break;
    }
    case IndicatorOp::Crossover: {
      if (Error e = source("fast", "the fast line: an input or an earlier "
                                   "indicator"))
        return e;
      if (Error e = source("slow", "the slow line: an input or an earlier "
                                   "indicator"))
        return e;
      if (ind.sources[0] == ind.sources[1])
        return failAt(keyPath(path, "slow"), "crossover needs two different sources, got " +
                                                 quoted(sourceName(ind.sources[0])) +
                                                 " for both fast and slow");
      break;
    }
    case IndicatorOp::Trend: {
      if (Error e = source("input", "the price: an input or an earlier "
                                    "indicator"))
        return e;
      std::string againstWhat = "a non-empty array of sources (inputs or earlier indicators)";
      if (Error e = requireKey(*o, path, "against", againstWhat, f))
        return e;
      std::string againstPath = keyPath(path, "against");
      const json::Array *against = f->getAsArray();
      if (!against || against->empty())
        return expected(againstPath, againstWhat, *f);
      for (size_t a = 0; a < against->size(); ++a) {
        int id = -1;
        if (Error e = readSource((*against)[a], indexPath(againstPath, a), ind, id))
          return e;
        ind.sources.push_back(id);
      }
      size_t n = against->size();
      if (const json::Value *w = o->get("weights")) {
        std::string wPath = keyPath(path, "weights");
        std::string wWhat = ("an array of " + Twine(n) +
                             " finite numbers (one weight per 'against' "
                             "source)")
                                .str();
        const json::Array *weights = w->getAsArray();
        if (!weights)
          return expected(wPath, wWhat, *w);
        if (weights->size() != n)
          return failAt(wPath, "expected " + Twine(n) + (n == 1 ? " weight" : " weights") +
                                   " (one per 'against' source), got " + Twine(weights->size()));
        for (size_t k = 0; k < n; ++k) {
          double d;
          if (Error e = readFinite((*weights)[k], indexPath(wPath, k), d))
            return e;
          ind.weights.push_back(d);
        }
      } else {
        ind.weights.assign(n, 1.0 / static_cast<double>(n));
      }
      if (Error e = readNonNegative(*o, path, "upper", ind.upper))
        return e;
      if (Error e = readNonNegative(*o, path, "lower", ind.lower))
        return e;
      break;
    }
    default:
      break;
    }
    int64_t lookback = 0;
    for (int id : ind.sources)
      lookback = std::max(lookback, sourceLookback(id));
    if (op == IndicatorOp::Crossover)
      ++lookback;
    ind.lookback = lookback;
  }

  int id = static_cast<int>(spec.inputs.size() + spec.indicators.size());
  sourceId[ind.name] = id;
  indicatorNames.push_back(ind.name);
  spec.indicators.push_back(std::move(ind));
  return Error::success();
}

Expected<Descriptor> SeriesParser::run(const json::Object &root) {
  if (Error e = checkKeys(root, "", {"specjit", "kind", "name", "inputs", "output", "indicators"},
                          "a series descriptor"))
    return std::move(e);
  if (Error e = detail::readDescriptorName(root, spec.name))
    return std::move(e);
  if (Error e = parseInputs(root))
    return std::move(e);
  if (Error e = parseOutputShape(root))
    return std::move(e);
  if (Error e = parseIndicators(root))
    return std::move(e);
  if (Error e = resolveOutputs())
    return std::move(e);
  std::string canonical = detail::canonicalSeriesText(spec);
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

} // namespace

namespace detail {

Expected<Descriptor> parseSeries(const json::Object &root) { return SeriesParser().run(root); }

} // namespace detail
} // namespace jit
} // namespace specjit
