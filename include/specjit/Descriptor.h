//===- specjit/Descriptor.h - Validated computation descriptors -*- C++ -*-===//
//
// A Descriptor is a parsed, validated and analyzed description of one
// configuration-driven computation. JSON text and the C++ builders produce the
// same Descriptor (the builders emit JSON and go through the same parser), so
// the same meaning always yields the same canonical form and hash.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_DESCRIPTOR_H
#define SPECJIT_DESCRIPTOR_H

#include "specjit/Types.h"

#include "llvm/Support/Error.h"

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Value;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

//===----------------------------------------------------------------------===//
// What data a descriptor reads
//===----------------------------------------------------------------------===//

struct InputColumn {
  std::string name;
  DType type = DType::F64;
  /// Integer and bool inputs only: the value that means "missing".
  std::optional<int64_t> missing;
};

/// one_hot and label_encode: what an unknown category gives.
enum class UnknownPolicy : uint8_t { Zeros, Error };

//===----------------------------------------------------------------------===//
// Descriptor
//===----------------------------------------------------------------------===//

/// The descriptor families. Each lives in its own directory,
/// lib/Families/<Family>/, and is registered once, in
/// lib/Families/Families.def (docs/architecture.md, "Adding a family").
enum class Kind : uint8_t { Pipeline, Series, Rules, Model, Train, Eval };
llvm::StringRef kindName(Kind k);

/// How a family's kernel maps data to its output: what `specjit run`,
/// Kernel::run and the Python binding hand it.
enum class RunShape : uint8_t {
  /// Each row of the inputs gives one row of outputs (pipeline, model);
  /// rows are independent, so a run may split them over threads.
  Rows,
  /// The rows are one time series in order (series): a run carries state
  /// from row to row and from call to call (Kernel::resetStream).
  Stream,
  /// No inputs: the output is a state matrix that a run reads and updates
  /// in place (rules: one row per agent, one column per meter).
  State,
  /// Not a kernel: run through its own API (train: jit::train, eval:
  /// jit::evaluate) and its own `specjit` command.
  Driven,
};

/// Largest descriptor text accepted by default (bytes; SPECJIT_MAX_DESCRIPTOR_MB
/// sets another limit, specjit/ReadFile.h) and largest expansion (columns).
constexpr size_t kMaxDescriptorBytes = 64u << 20;
constexpr size_t kMaxColumns = 1u << 20;

class Descriptor {
public:
  /// Parses and validates JSON text. Errors name the JSON path of the fault
  /// and what was expected, e.g.
  /// "steps[2].categories: expected a non-empty array of integers".
  static llvm::Expected<Descriptor> parse(llvm::StringRef json);
  /// Same as parse() on an already parsed JSON value.
  static llvm::Expected<Descriptor> fromJSON(const llvm::json::Value &v);
  /// Reads and parses a file.
  static llvm::Expected<Descriptor> fromFile(llvm::StringRef path);

  Kind kind() const { return kind_; }
  RunShape runShape() const;
  /// The descriptor's `name` (not hashed; may be empty).
  const std::string &name() const;
  /// What `specjit info` says of the family beyond the common lines (each
  /// "key: value\n"), e.g. "steps: 3\nmodel: linear, ...".
  std::string summary() const;

  /// Canonical JSON text: sorted keys, defaults filled in, numbers
  /// normalized. The `name` is kept out of it: it does not change meaning.
  const std::string &canonical() const { return canonical_; }
  /// xxh3-128 of canonical(); stable across processes and machines.
  Hash128 hash() const { return hash_; }

  /// Output columns: names and count, and the output element type. For
  /// rules, the output is the state matrix (one column per meter), which a
  /// run reads and updates in place.
  const std::vector<std::string> &outputNames() const;
  size_t numOutputs() const { return outputNames().size(); }
  DType outputType() const;
  /// What the output columns are called in messages and `specjit info`:
  /// "outputs", "meters" (rules), "features" (train).
  llvm::StringRef outputNoun() const;
  /// The columns a data file must provide, in order: the inputs (none for
  /// rules); for train, the inputs then the label; for eval, the columns it
  /// reads (see docs/eval-semantics.md).
  const std::vector<InputColumn> &inputs() const;

  /// The family's analyzed form: one of the internal types of
  /// lib/Families/<Family>/<Family>Spec.h, whose `kKind` is kind().
  template <typename Spec> const Spec &spec() const {
    assert(kind_ == Spec::kKind && "the descriptor is of another family");
    return *static_cast<const Spec *>(spec_.get());
  }

private:
  Kind kind_ = Kind::Pipeline;
  /// The family's spec (the type spec() names).
  std::shared_ptr<const void> spec_;
  std::string canonical_;
  Hash128 hash_;
  friend class DescriptorParser;
};

/// Fluent C++ construction of a pipeline descriptor. It writes the same JSON
/// a user would and parses it, so errors and hashes are those of JSON text.
class PipelineBuilder {
public:
  explicit PipelineBuilder(std::string name);
  ~PipelineBuilder();
  PipelineBuilder(PipelineBuilder &&);
  PipelineBuilder &operator=(PipelineBuilder &&);

  PipelineBuilder &input(llvm::StringRef name, DType type,
                         std::optional<int64_t> missing = std::nullopt);
  PipelineBuilder &output(DType type, std::vector<std::string> columns = {});

  PipelineBuilder &standardize(llvm::StringRef column, double mean, double std);
  PipelineBuilder &minmax(llvm::StringRef column, double min, double max);
  PipelineBuilder &log(llvm::StringRef column);
  PipelineBuilder &log1p(llvm::StringRef column);
  PipelineBuilder &clip(llvm::StringRef column, std::optional<double> min,
                        std::optional<double> max);
  PipelineBuilder &impute(llvm::StringRef column, double value);
  PipelineBuilder &oneHot(llvm::StringRef column, std::vector<int64_t> categories,
                          UnknownPolicy unknown = UnknownPolicy::Zeros);
  PipelineBuilder &oneHot(llvm::StringRef column, std::vector<std::string> categories,
                          UnknownPolicy unknown = UnknownPolicy::Zeros);
  PipelineBuilder &labelEncode(llvm::StringRef column,
                               std::vector<std::pair<int64_t, double>> mapping,
                               double defaultCode = -1.0);
  PipelineBuilder &labelEncode(llvm::StringRef column,
                               std::vector<std::pair<std::string, double>> mapping,
                               double defaultCode = -1.0);
  PipelineBuilder &polynomial(std::vector<std::string> columns, int degree,
                              bool interactionOnly = false, bool includeBias = true);
  PipelineBuilder &bucketize(llvm::StringRef column, std::vector<double> edges);
  PipelineBuilder &expr(llvm::StringRef name, llvm::StringRef expr);

  /// The JSON text built so far.
  std::string json() const;
  /// Parses and validates the JSON built so far.
  llvm::Expected<Descriptor> build() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace jit
} // namespace specjit

#endif // SPECJIT_DESCRIPTOR_H
