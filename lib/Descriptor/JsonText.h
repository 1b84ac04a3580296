//===- JsonText.h - Strict, bounded reading of JSON text --------*- C++ -*-===//
//
// The one place JSON text from users becomes an llvm::json::Value:
// descriptors (Descriptor::parse) and XGBoost models (importXGBoostJSON).
// parseStrictJson() runs
//   1. a linear, non-recursive pre-scan that bounds what llvm::json::parse
//      would do (it recurses once per nesting level, and allocates about
//      4 KiB per object and 40 bytes per value) and, in the same pass, finds
//      what llvm::json accepts but RFC 8259 does not (`.5`, `1.`, `01`,
//      `+1`, `-`, raw control characters in strings, lone surrogate escapes)
//      and duplicate object keys (llvm::json keeps the last one);
//   2. llvm::json::parse, whose syntax errors come first;
//   3. the first pre-scan finding, in text order, if the text parsed.
// Every error says where: "line L, column C", and the JSON path of the value
// when there is one.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_DESCRIPTOR_JSONTEXT_H
#define SPECJIT_DESCRIPTOR_JSONTEXT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstddef>
#include <limits>
#include <string>

namespace specjit {
namespace jit {
namespace detail {

/// How parseStrictJson() reads one kind of document.
struct JsonReadOptions {
  /// Names the document in messages: "descriptor", "xgboost model".
  llvm::StringRef subject = "descriptor";
  /// Words for a syntax error after the subject.
  llvm::StringRef invalid = "invalid JSON";
  /// Errors at a JSON path read "<subject>: <path>: ..." when true, and
  /// "<path>: ..." (the subject for the root) when false, as descriptor
  /// errors do.
  bool subjectBeforePath = false;
  /// Deepest nesting of arrays and objects.
  size_t maxDepth = 256;
  /// Most objects and values (array elements and object members, counted
  /// by their commas); the defaults bound descriptor parsing to under 1 GiB.
  size_t maxObjects = 1u << 17;
  size_t maxValues = 1u << 23;
  /// Accept the bare tokens NaN, Infinity and -Infinity as numbers (XGBoost
  /// writes them; they become null, read as NaN, and +-inf).
  bool nonFiniteTokens = false;
};

/// Parses `text` as RFC 8259 JSON within the bounds of `opts` (see the file
/// comment). Never recurses deeper than opts.maxDepth.
llvm::Expected<llvm::json::Value> parseStrictJson(llvm::StringRef text,
                                                  const JsonReadOptions &opts);

/// 1-based line and column (in bytes) of `offset` in `text`.
void lineColumn(llvm::StringRef text, size_t offset, size_t &line, size_t &column);

} // namespace detail
} // namespace jit
} // namespace specjit

#endif // SPECJIT_DESCRIPTOR_JSONTEXT_H
