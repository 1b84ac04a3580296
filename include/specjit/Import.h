//===- specjit/Import.h - Model descriptors from other formats --*- C++ -*-===//
//
// Importers turn a trained model saved by another library into the text of a
// `model` descriptor (docs/model-semantics.md). The text then goes through
// Descriptor::parse like any other descriptor.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_IMPORT_H
#define SPECJIT_IMPORT_H

#include "specjit/Types.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace specjit {
namespace jit {

struct XGBoostImportOptions {
  /// Input column names, one per model feature, in the model's feature
  /// order. Empty: the model's own `learner.feature_names` when it has them,
  /// else f0 .. f{n-1}.
  std::vector<std::string> featureNames;
  /// Input column types, one per feature (numeric: f32, f64, i32, i64,
  /// bool). Empty: every feature is f32, which is what XGBoost reads (any
  /// other numeric type is rounded to f32 before the comparisons, as XGBoost
  /// does when it builds a DMatrix).
  std::vector<DType> featureTypes;
  /// Output the margins (XGBoost's `output_margin=True`) instead of the
  /// transformed prediction. The link is recorded either way.
  bool margin = false;
  /// Output element type (f32, as XGBoost, or f64).
  DType outputType = DType::F32;
  /// The descriptor's `name` (a label, not part of the hash).
  std::string name = "xgboost";
};

/// Converts the text of an XGBoost JSON model (`Booster.save_model("m.json")`,
/// the documented schema of XGBoost 1.x; verified against 1.7) into the text
/// of a `model` descriptor: a float32 tree ensemble with one output per
/// class (or target), base scores in margin space and the objective's link:
///
///   binary:logistic, reg:logistic   logistic, base_score -> logit(base_score)
///   binary:logitraw                 identity, base_score as is
///   reg:squarederror                identity, base_score as is
///   multi:softprob                  softmax,  base_score as is, per class
///   multi:softmax                   argmax,   base_score as is, per class
///
/// The text must be RFC 8259 JSON (with XGBoost's bare NaN, Infinity and
/// -Infinity tokens), nested at most 256 deep; syntax errors give the line
/// and column, and the JSON path where there is one.
/// Anything the descriptor cannot express exactly (other objectives, the
/// gblinear and dart boosters, categorical splits, vector leaves) is an
/// error naming the JSON path of the fault; the importer never guesses.
llvm::Expected<std::string> importXGBoostJSON(llvm::StringRef modelJson,
                                              const XGBoostImportOptions &opts = {});

/// importXGBoostJSON() of the file `path`, read by readBoundedFile() under
/// kModelReadLimit (SPECJIT_MAX_MODEL_MB, specjit/ReadFile.h): errors name
/// the file when it cannot be read or is too large.
llvm::Expected<std::string> importXGBoostFile(llvm::StringRef path,
                                              const XGBoostImportOptions &opts = {});

} // namespace jit
} // namespace specjit

#endif // SPECJIT_IMPORT_H
