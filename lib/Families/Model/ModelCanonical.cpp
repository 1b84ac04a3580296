//===- ModelCanonical.cpp - The canonical text of a model descriptor ------===//
//
// Written from the validated specification (not from the JSON), so that
// descriptors meaning the same model get the same text and hash.
//
// Canonical form: compact JSON, keys sorted bytewise, the top-level `name`
// dropped, defaults written out ("steps": [], "features": every feature in
// order, model "link", tree_ensemble "base_score"/"average"/"float32",
// output "margin" and "columns"), every tree in the columnar form whatever
// form it was written in (writeTree: unused entries 0, default_left 1/0),
// steps exactly as the pipeline family writes them, numbers as
// formatNumber() spells them (as written: a float32 model's values are not
// rounded in the canonical form). Trees, nodes, layers, rows and features
// keep their order.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Model/ModelSpec.h"
#include "Families/Pipeline/PipelineFrontEnd.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::StringRef;

namespace specjit {
namespace jit {
namespace {

using detail::formatNumber;

void numbers(json::OStream &j, ArrayRef<double> values) {
  j.array([&] {
    for (double d : values)
      j.rawValue(formatNumber(d));
  });
}

void matrix(json::OStream &j, ArrayRef<double> values, size_t cols) {
  j.array([&] {
    if (cols == 0) // cannot happen: a model has at least one feature
      return;
    for (size_t at = 0; at + cols <= values.size(); at += cols)
      numbers(j, values.slice(at, cols));
  });
}

/// A tree in the columnar form, keys sorted. Entries a node does not use
/// are written as 0 (a leaf's threshold and default_left, a split's leaf),
/// a leaf's feature, left and right as -1, default_left as 1/0: the text
/// depends only on what the tree computes.
void writeTree(json::OStream &j, const Tree &tree) {
  auto column = [&](StringRef key, auto &&entry) {
    j.attributeArray(key, [&] {
      for (const TreeNode &node : tree.nodes)
        entry(node.feature >= 0, node);
    });
  };
  auto integer = [&](int64_t v) { j.value(v); };
  j.object([&] {
    column("default_left",
           [&](bool split, const TreeNode &node) { integer(split && node.defaultLeft ? 1 : 0); });
    column("feature",
           [&](bool split, const TreeNode &node) { integer(split ? node.feature : -1); });
    j.attribute("group", static_cast<int64_t>(tree.group));
    column("leaf", [&](bool split, const TreeNode &node) {
      j.rawValue(split ? "0" : formatNumber(node.leaf));
    });
    column("left", [&](bool split, const TreeNode &node) { integer(split ? node.left : -1); });
    column("right", [&](bool split, const TreeNode &node) { integer(split ? node.right : -1); });
    column("threshold", [&](bool split, const TreeNode &node) {
      j.rawValue(split ? formatNumber(node.threshold) : "0");
    });
  });
}

} // namespace

namespace detail {

std::string canonicalModelText(const ModelSpec &spec) {
  std::string out;
  llvm::raw_string_ostream os(out);
  {
    json::OStream j(os);
    j.object([&] {
      j.attributeArray("features", [&] {
        for (const std::string &f : spec.pipeline.plan.outputNames)
          j.value(f);
      });
      j.attributeBegin("inputs");
      writeCanonicalInputs(j, spec.pipeline.inputs);
      j.attributeEnd();
      j.attribute("kind", kindName(Kind::Model));
      j.attributeObject("model", [&] {
        switch (spec.type) {
        case ModelType::Linear:
          j.attributeBegin("intercepts");
          numbers(j, spec.intercepts);
          j.attributeEnd();
          j.attribute("link", linkName(spec.link));
          j.attribute("type", modelTypeName(spec.type));
          j.attributeBegin("weights");
          matrix(j, spec.weights, spec.numFeatures);
          j.attributeEnd();
          break;
        case ModelType::TreeEnsemble:
          j.attribute("average", spec.average);
          j.attributeBegin("base_score");
          numbers(j, spec.baseScore);
          j.attributeEnd();
          j.attribute("float32", spec.float32);
          j.attribute("link", linkName(spec.link));
          j.attribute("num_outputs", static_cast<int64_t>(spec.numOutputs));
          j.attributeArray("trees", [&] {
            for (const Tree &tree : spec.trees)
              writeTree(j, tree);
          });
          j.attribute("type", modelTypeName(spec.type));
          break;
        case ModelType::Mlp:
          j.attributeArray("layers", [&] {
            for (const DenseLayer &layer : spec.layers)
              j.object([&] {
                j.attribute("activation", activationName(layer.activation));
                j.attributeBegin("biases");
                numbers(j, layer.biases);
                j.attributeEnd();
                j.attributeBegin("weights");
                matrix(j, layer.weights, layer.inputs);
                j.attributeEnd();
              });
          });
          j.attribute("link", linkName(spec.link));
          j.attribute("type", modelTypeName(spec.type));
          break;
        }
      });
      j.attributeObject("output", [&] {
        j.attributeArray("columns", [&] {
          for (const std::string &c : spec.outputNames)
            j.value(c);
        });
        j.attribute("margin", spec.margin);
        j.attribute("type", dtypeName(spec.outputType));
      });
      j.attribute("specjit", 1);
      j.attributeArray("steps", [&] {
        for (const Step &s : spec.pipeline.steps)
          writeCanonicalStep(j, s);
      });
    });
  }
  os.flush();
  return out;
}

std::string modelDescriptorText(const ModelSpec &spec) {
  std::string body = canonicalModelText(spec);
  // canonicalModelText writes a JSON object; put the name first.
  return "{\"name\":" + jsonString(spec.name) + "," + body.substr(1);
}

} // namespace detail
} // namespace jit
} // namespace specjit
