//===- PipelineBuilder.cpp - Fluent C++ construction of pipelines ---------===//
//
// The builder writes the JSON a user would write (the same keys; defaults
// left out) and validates it with Descriptor::fromJSON, so builder and text
// share every error message, the canonical form and the hash.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Pipeline/PipelineSpec.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

namespace json = llvm::json;

namespace specjit {
namespace jit {

struct PipelineBuilder::Impl {
  std::string name;
  json::Array inputs;
  std::optional<json::Object> output;
  json::Array steps;
  /// The first misuse that JSON cannot carry (a duplicate mapping key would
  /// silently collapse in a json::Object); reported by build().
  std::string error;

  json::Object step(llvm::StringRef op, llvm::StringRef column) {
    // json::Value(StringRef) would keep a reference: copy every string.
    return json::Object{{"op", op.str()}, {"column", column.str()}};
  }
  json::Value document() const {
    json::Object doc{{"specjit", 1}, {"kind", "pipeline"}};
    if (!name.empty())
      doc["name"] = name;
    doc["inputs"] = json::Array(inputs);
    if (output)
      doc["output"] = json::Object(*output);
    doc["steps"] = json::Array(steps);
    return json::Value(std::move(doc));
  }
  template <typename Key>
  void labelEncode(llvm::StringRef column, const std::vector<std::pair<Key, double>> &mapping,
                   double defaultCode, std::string (*keyText)(const Key &)) {
    json::Object m;
    for (const auto &[key, code] : mapping) {
      std::string k = keyText(key);
      if (!m.try_emplace(k, code).second && error.empty())
        error =
            "steps[" + std::to_string(steps.size()) + "].mapping: duplicate category '" + k + "'";
    }
    json::Object o = step("label_encode", column);
    o["mapping"] = std::move(m);
    if (defaultCode != -1.0)
      o["default"] = defaultCode;
    steps.push_back(std::move(o));
  }
};

PipelineBuilder::PipelineBuilder(std::string name) : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
}
PipelineBuilder::~PipelineBuilder() = default;
PipelineBuilder::PipelineBuilder(PipelineBuilder &&) = default;
PipelineBuilder &PipelineBuilder::operator=(PipelineBuilder &&) = default;

PipelineBuilder &PipelineBuilder::input(llvm::StringRef name, DType type,
                                        std::optional<int64_t> missing) {
  json::Object o{{"name", name.str()}, {"type", dtypeName(type).str()}};
  if (missing)
    o["missing"] = *missing;
  impl_->inputs.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::output(DType type, std::vector<std::string> columns) {
  json::Object o{{"type", dtypeName(type).str()}};
  if (!columns.empty()) {
    json::Array cols;
    for (std::string &c : columns)
      cols.push_back(std::move(c));
    o["columns"] = std::move(cols);
  }
  impl_->output = std::move(o);
  return *this;
}

PipelineBuilder &PipelineBuilder::standardize(llvm::StringRef column, double mean, double std) {
  json::Object o = impl_->step("standardize", column);
  o["mean"] = mean;
  o["std"] = std;
  impl_->steps.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::minmax(llvm::StringRef column, double min, double max) {
  json::Object o = impl_->step("minmax", column);
  o["min"] = min;
  o["max"] = max;
  impl_->steps.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::log(llvm::StringRef column) {
  impl_->steps.push_back(impl_->step("log", column));
  return *this;
}

PipelineBuilder &PipelineBuilder::log1p(llvm::StringRef column) {
  impl_->steps.push_back(impl_->step("log1p", column));
  return *this;
}

PipelineBuilder &PipelineBuilder::clip(llvm::StringRef column, std::optional<double> min,
                                       std::optional<double> max) {
  json::Object o = impl_->step("clip", column);
  if (min)
    o["min"] = *min;
  if (max)
    o["max"] = *max;
  impl_->steps.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::impute(llvm::StringRef column, double value) {
  json::Object o = impl_->step("impute", column);
  o["value"] = value;
  impl_->steps.push_back(std::move(o));
  return *this;
}

static void setUnknown(json::Object &o, UnknownPolicy unknown) {
  if (unknown == UnknownPolicy::Error)
    o["unknown"] = "error";
}

PipelineBuilder &PipelineBuilder::oneHot(llvm::StringRef column, std::vector<int64_t> categories,
                                         UnknownPolicy unknown) {
  json::Object o = impl_->step("one_hot", column);
  json::Array cats;
  for (int64_t c : categories)
    cats.push_back(c);
  o["categories"] = std::move(cats);
  setUnknown(o, unknown);
  impl_->steps.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::oneHot(llvm::StringRef column,
                                         std::vector<std::string> categories,
                                         UnknownPolicy unknown) {
  json::Object o = impl_->step("one_hot", column);
  json::Array cats;
  for (std::string &c : categories)
    cats.push_back(std::move(c));
  o["categories"] = std::move(cats);
  setUnknown(o, unknown);
  impl_->steps.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::labelEncode(llvm::StringRef column,
                                              std::vector<std::pair<int64_t, double>> mapping,
                                              double defaultCode) {
  impl_->labelEncode<int64_t>(column, mapping, defaultCode,
                              [](const int64_t &k) { return std::to_string(k); });
  return *this;
}

PipelineBuilder &PipelineBuilder::labelEncode(llvm::StringRef column,
                                              std::vector<std::pair<std::string, double>> mapping,
                                              double defaultCode) {
  impl_->labelEncode<std::string>(column, mapping, defaultCode,
                                  [](const std::string &k) { return k; });
  return *this;
}

PipelineBuilder &PipelineBuilder::polynomial(std::vector<std::string> columns, int degree,
                                             bool interactionOnly, bool includeBias) {
  json::Object o{{"op", "polynomial"}};
  json::Array cols;
  for (std::string &c : columns)
    cols.push_back(std::move(c));
  o["columns"] = std::move(cols);
  o["degree"] = degree;
  if (interactionOnly)
    o["interaction_only"] = true;
  if (!includeBias)
    o["include_bias"] = false;
  impl_->steps.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::bucketize(llvm::StringRef column, std::vector<double> edges) {
  json::Object o = impl_->step("bucketize", column);
  json::Array e;
  for (double d : edges)
    e.push_back(d);
  o["edges"] = std::move(e);
  impl_->steps.push_back(std::move(o));
  return *this;
}

PipelineBuilder &PipelineBuilder::expr(llvm::StringRef name, llvm::StringRef expr) {
  impl_->steps.push_back(json::Object{{"op", "expr"}, {"name", name.str()}, {"expr", expr.str()}});
  return *this;
}

std::string PipelineBuilder::json() const { return llvm::formatv("{0}", impl_->document()).str(); }

llvm::Expected<Descriptor> PipelineBuilder::build() const {
  if (!impl_->error.empty())
    return detail::makeError(impl_->error);
  return Descriptor::fromJSON(impl_->document());
}

} // namespace jit
} // namespace specjit
