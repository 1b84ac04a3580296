//===- DescriptorInternal.h - Shared helpers of the descriptor library ----===//
//
// Not installed: what the families' parsers share (lib/Descriptor and
// every lib/Families/<Family>/*Descriptor.cpp): Descriptor construction,
// messages and JSON paths (Diagnostics.cpp), readers of common values, and
// numbers. The expression language is Expr.h; each family's entry point is
// its Family (lib/Families/Family.h).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_DESCRIPTOR_DESCRIPTORINTERNAL_H
#define SPECJIT_LIB_DESCRIPTOR_DESCRIPTORINTERNAL_H

#include "specjit/Descriptor.h"

#include "Descriptor/Expr.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace specjit {
namespace jit {

/// Builds a Descriptor from a validated specification and its canonical
/// text (the friend of Descriptor that sets its private members, and
/// computes the hash). Used by every family's parser.
class DescriptorParser {
public:
  /// `Spec` is a family's analyzed form, with its `kKind`.
  template <typename Spec> static Descriptor make(Spec spec, std::string canonical) {
    return make(Spec::kKind, std::make_shared<const Spec>(std::move(spec)), std::move(canonical));
  }

private:
  static Descriptor make(Kind kind, std::shared_ptr<const void> spec, std::string canonical);
};

namespace detail {

/// Deepest nesting accepted in JSON text and in expressions.
constexpr int kMaxNesting = 256;
/// Names listed in messages ("current columns: ...", listNames) before
/// "... (N in all)".
constexpr size_t kMaxListed = 20;

/// An llvm::StringError with inconvertibleErrorCode().
llvm::Error makeError(const llvm::Twine &message);

/// A copy of an error that can be kept (llvm::Error cannot be copied) and
/// made again with its kind (specjit/Errors.h): the kernel cache hands one
/// failed compile to every caller that waited for it.
struct ErrorRecord {
  enum class Kind { None, Row, Descriptor, Stage, Other };
  Kind kind = Kind::None;
  int64_t row = 0;
  std::string where; ///< the path (Descriptor) or the stage (Stage)
  std::string detail;

  /// Consumes `e`; a success gives Kind::None.
  static ErrorRecord of(llvm::Error e);
  llvm::Error rebuild() const;
  bool failed() const { return kind != Kind::None; }
};

/// The canonical spelling of a finite double: integral values within +-2^53
/// as integers ("3", "-12"), -0.0 as "-0.0", anything else in shortest
/// round-trip form ("0.5", "1e+20", "1.5e-07"). Locale independent; the
/// result is valid JSON and a valid expression literal (if not negative).
std::string formatNumber(double v);

//===----------------------------------------------------------------------===//
// Validation helpers shared by the families (Diagnostics.cpp, Descriptor.cpp)
//===----------------------------------------------------------------------===//

/// "<path>: <msg>", with "descriptor" for the root path.
llvm::Error failAt(llvm::StringRef path, const llvm::Twine &msg);
/// A user string for a message: quoted, cut to a sane length.
std::string quoted(llvm::StringRef s);
/// A string as JSON text (with quotes and escapes).
std::string jsonString(llvm::StringRef s);
/// `parent.key`, or `parent["key"]` when the key is not a plain word.
std::string keyPath(llvm::StringRef parent, llvm::StringRef key);
/// `parent[i]`.
std::string indexPath(llvm::StringRef parent, size_t i);
/// An integer JSON value as int64, also from integral doubles (1.0, 1e0);
/// std::nullopt when not an integer or out of range.
std::optional<int64_t> asInt64(const llvm::json::Value &v);
/// True when d is integral and converts to int64 exactly.
bool fitsInt64(double d);
/// What a JSON value is, for "got ..." in messages.
std::string describe(const llvm::json::Value &v);
/// "<path>: expected <what>, got <describe(got)>".
llvm::Error expected(llvm::StringRef path, const llvm::Twine &what, const llvm::json::Value &got);
llvm::Error readFinite(const llvm::json::Value &v, llvm::StringRef path, double &out,
                       llvm::StringRef what = "a finite number");
llvm::Error readBool(const llvm::json::Value &v, llvm::StringRef path, bool &out);
/// Reads the `output` object {type: f32|f64, columns?: unique names} shared
/// by the pipeline, series and model families; `noun` names what the columns
/// are ("column", "indicator").
llvm::Error parseOutputObject(const llvm::json::Object &root, llvm::StringRef noun, DType &type,
                              std::vector<std::string> &columns);

llvm::Error readNonEmptyString(const llvm::json::Value &v, llvm::StringRef path, std::string &out,
                               llvm::StringRef what);
/// Unknown keys are errors everywhere: reports the first one in byte order,
/// with a did-you-mean when it is close to an allowed key.
llvm::Error checkKeys(const llvm::json::Object &o, llvm::StringRef path,
                      llvm::ArrayRef<llvm::StringRef> allowed, llvm::StringRef what);
/// Finds a required key; a missing one is an error saying what belongs there.
llvm::Error requireKey(const llvm::json::Object &o, llvm::StringRef path, llvm::StringRef key,
                       llvm::StringRef what, const llvm::json::Value *&out);

/// Reads the optional top-level `name` (a string; not hashed).
llvm::Error readDescriptorName(const llvm::json::Object &root, std::string &out);
/// Reads the required `op` key of the object at `path` as one of `names`
/// (in their order) and returns its index; errors list the names and suggest
/// the closest one.
llvm::Expected<size_t> readOp(const llvm::json::Object &o, llvm::StringRef path,
                              llvm::ArrayRef<std::string> names);
/// "; did you mean 'x'?" when a candidate is close to `bad`, else "".
std::string suggestName(llvm::StringRef bad, llvm::ArrayRef<std::string> candidates);
/// "a, b, c" (at most 20, then "... (N in all)"), or "none".
std::string listNames(llvm::ArrayRef<std::string> names);

/// "a, b, c": the spelling of every value of `all`.
template <typename T, size_t N>
std::string nameList(const T (&all)[N], llvm::StringRef (*nameOf)(T)) {
  std::string out;
  for (T x : all)
    out += (out.empty() ? "" : ", ") + nameOf(x).str();
  return out;
}

/// Reads a string naming one of `all`; an unknown one is an error listing
/// them, with a did-you-mean.
template <typename T, size_t N>
llvm::Error readEnum(const llvm::json::Value &v, llvm::StringRef path, const T (&all)[N],
                     llvm::StringRef (*nameOf)(T), T &out) {
  std::string list = nameList(all, nameOf);
  std::optional<llvm::StringRef> s = v.getAsString();
  if (!s)
    return expected(path, "one of " + list, v);
  for (T x : all)
    if (nameOf(x) == *s) {
      out = x;
      return llvm::Error::success();
    }
  std::string msg = "unknown value " + quoted(*s) + " (expected one of " + list + ")";
  for (T x : all)
    if (s->edit_distance(nameOf(x), true, 3) <= 2) {
      msg += "; did you mean '" + nameOf(x).str() + "'?";
      break;
    }
  return failAt(path, msg);
}

/// Reads an array of exactly `n` finite numbers ("one per <per>")
/// (Families/Model/ModelDescriptor.cpp).
llvm::Error readVector(const llvm::json::Value &v, llvm::StringRef path, uint64_t n,
                       llvm::StringRef per, std::vector<double> &out);
/// Reads a non-empty array of rows of `cols` finite numbers each, appended
/// row-major to `out`; `rows` is the number of rows read. `weightBudget`
/// (the weights a model may still hold) shrinks by what is read.
llvm::Error readMatrix(const llvm::json::Value &v, llvm::StringRef path, uint64_t cols,
                       llvm::StringRef per, llvm::StringRef rowsWhat, uint64_t &weightBudget,
                       std::vector<double> &out, uint64_t &rows);
/// A generator seed: an integer in 0..2^64-1 (Shuffle.cpp).
llvm::Error readSeed(const llvm::json::Value &v, llvm::StringRef path, uint64_t &out);
/// A `shuffle` value: false (none), true (seed 0) or {"seed": S}.
llvm::Error readShuffle(const llvm::json::Value &v, llvm::StringRef path,
                        std::optional<uint64_t> &seed);
/// Writes `"shuffle": false` or `"shuffle": {"seed": S}` (canonical forms).
void writeShuffle(llvm::json::OStream &j, const std::optional<uint64_t> &seed);

/// Weights of a linear model or of all layers of an MLP.
constexpr uint64_t kMaxWeights = 50000000;

/// Writes `"key": <formatNumber(v)>` to a JSON stream.
void numberAttr(llvm::json::OStream &j, llvm::StringRef key, double v);

} // namespace detail
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_DESCRIPTOR_DESCRIPTORINTERNAL_H
