//===- SeriesSpec.h - The analyzed `series` descriptor ---------*- C++ -*-===//
//
// Internal: what SeriesDescriptor.cpp makes of a `kind: "series"` document
// (docs/series-semantics.md).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_SERIES_SERIESSPEC_H
#define SPECJIT_LIB_FAMILIES_SERIES_SERIESSPEC_H

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Object;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

enum class IndicatorOp : uint8_t {
  Sma,
  Ema,
  Wma,
  Dema,
  Tema,
  Hma,
  Lsma,
  Kama, // moving averages
  WeightedSum,
  Crossover,
  Trend, // composites
};
/// The descriptor spelling ("sma", ..., "weighted_sum", "crossover", "trend").
llvm::StringRef indicatorOpName(IndicatorOp op);

/// How the EMA family starts: with the first value (pandas
/// ewm(adjust=False)) or with the SMA of the first `period` values (TA-Lib).
enum class EmaSeed : uint8_t { First, Sma };

struct Indicator {
  std::string name;
  IndicatorOp op = IndicatorOp::Sma;
  /// What it reads, resolved: ids < inputs.size() are input columns, id
  /// inputs.size() + k is indicator k (always an earlier one). Moving
  /// averages read sources[0]; weighted_sum reads one per term; crossover
  /// reads {fast, slow}; trend reads {price, against...}.
  std::vector<int> sources;
  int period = 0;                  // moving averages
  EmaSeed seed = EmaSeed::First;   // ema, dema, tema
  int fast = 2, slow = 30;         // kama
  std::vector<double> weights;     // weighted_sum (per term), trend (per against)
  double bias = 0.0;               // weighted_sum
  double upper = 0.0, lower = 0.0; // trend: relative band around the mix
  /// Rows before the first non-NaN output (for finite inputs).
  int64_t lookback = 0;
};

struct SeriesSpec {
  static constexpr Kind kKind = Kind::Series;

  std::string name;
  std::vector<InputColumn> inputs; // f64 or f32
  DType outputType = DType::F64;
  std::vector<Indicator> indicators;
  std::vector<int> outputs; // indicator indices, in output order
  std::vector<std::string> outputNames;
};

namespace detail {

/// SeriesDescriptor.cpp: a validated `kind: "series"` document.
llvm::Expected<Descriptor> parseSeries(const llvm::json::Object &root);
/// SeriesCanonical.cpp: the canonical text of a validated spec.
std::string canonicalSeriesText(const SeriesSpec &spec);

} // namespace detail
} // namespace jit

namespace interp {

class Interpreter;

/// SeriesInterpreter.cpp, docs/series-semantics.md; see SeriesInterpreter.cpp for the state layout.
/// The result keeps no reference to the spec.
llvm::Expected<std::unique_ptr<Interpreter>> createSeriesInterpreter(const jit::SeriesSpec &spec);

} // namespace interp
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_SERIES_SERIESSPEC_H
