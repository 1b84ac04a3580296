//===- JsonText.cpp - Strict, bounded reading of JSON text ----------------===//
//
// parseStrictJson() (JsonText.h). The pre-scan is one pass over the text
// with an explicit stack of frames (one per open array or object, reused),
// so its cost is linear and its memory bounded by maxDepth frames whatever
// the input. Limits are errors at once; what llvm::json would accept but
// RFC 8259 does not, and duplicate keys, are remembered (the first one in
// text order) and reported only if llvm::json then parses the text, so that
// a plain syntax error is always reported as such.
//
//===----------------------------------------------------------------------===//

#include "JsonText.h"

#include "DescriptorInternal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

namespace json = llvm::json;
using llvm::Error;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {
namespace detail {

void lineColumn(StringRef text, size_t offset, size_t &line, size_t &column) {
  offset = std::min(offset, text.size());
  StringRef before = text.take_front(offset);
  line = 1 + before.count('\n');
  size_t nl = before.rfind('\n');
  column = nl == StringRef::npos ? offset + 1 : offset - nl;
}

namespace {

/// Reads the 4 hex digits at raw[at, at + 4).
bool hex4(StringRef raw, size_t at, uint32_t &cp) {
  if (at + 4 > raw.size())
    return false;
  cp = 0;
  for (size_t k = at; k < at + 4; ++k) {
    unsigned h = llvm::hexDigitValue(raw[k]);
    if (h == ~0U)
      return false;
    cp = cp * 16 + h;
  }
  return true;
}

/// Decodes the raw text of a JSON string (between the quotes), for
/// comparing keys. Malformed escapes are kept as written: llvm::json
/// rejects them anyway.
std::string decodeJsonString(StringRef raw) {
  if (!raw.contains('\\'))
    return raw.str();
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out += c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'n':
      out += '\n';
      break;
    case 'r':
      out += '\r';
      break;
    case 't':
      out += '\t';
      break;
    case 'u': {
      uint32_t cp;
      if (!hex4(raw, i + 1, cp)) {
        out += "\\u";
        break;
      }
      i += 4;
      uint32_t low;
      if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < raw.size() && raw[i + 1] == '\\' &&
          raw[i + 2] == 'u' && hex4(raw, i + 3, low) && low >= 0xDC00 && low < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 6;
      }
      char buf[8];
      char *p = buf;
      if (llvm::ConvertCodePointToUTF8(cp, p))
        out.append(buf, p);
      break;
    }
    default:
      out += e;
      break; // \" \\ \/
    }
  }
  return out;
}

/// Why `tok` (a run of [0-9+-.eE]) is not an RFC 8259 number
/// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?); empty when it is one.
std::string numberProblem(StringRef tok) {
  size_t i = 0, n = tok.size();
  auto digit = [&](size_t k) { return k < n && llvm::isDigit(tok[k]); };
  if (tok.starts_with("+"))
    return "a number cannot start with '+'";
  if (i < n && tok[i] == '-')
    ++i;
  if (i < n && tok[i] == '.')
    return "a number needs a digit before the '.'";
  if (!digit(i))
    return i ? "a '-' must be followed by a digit" : "a number must start with a digit or '-'";
  if (tok[i] == '0' && digit(i + 1))
    return "a number cannot have a leading zero";
  while (digit(i))
    ++i;
  if (i < n && tok[i] == '.') {
    ++i;
    if (!digit(i))
      return "a number needs a digit after the '.'";
    while (digit(i))
      ++i;
  }
  if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
    ++i;
    if (i < n && (tok[i] == '+' || tok[i] == '-'))
      ++i;
    if (!digit(i))
      return "an exponent needs a digit";
    while (digit(i))
      ++i;
  }
  if (i != n)
    return "unexpected '" + std::string(1, tok[i]) + "' in a number";
  return "";
}

/// Why the raw string text `raw` (between the quotes) is not RFC 8259, with
/// the offset of the fault in `at`; empty when it is fine. llvm::json checks
/// the UTF-8 and the escape letters itself.
std::string stringProblem(StringRef raw, size_t &at) {
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c < 0x20) {
      at = i;
      return llvm::formatv("a control character (U+{0:X-4}) must be written as "
                           "an escape in a string",
                           static_cast<unsigned>(c))
          .str();
    }
    if (c != '\\')
      continue;
    if (i + 1 < raw.size() && raw[i + 1] == 'u') {
      uint32_t cp, low;
      if (hex4(raw, i + 2, cp) && cp >= 0xD800 && cp < 0xE000) {
        bool paired = cp < 0xDC00 && i + 12 <= raw.size() && raw[i + 6] == '\\' &&
                      raw[i + 7] == 'u' && hex4(raw, i + 8, low) && low >= 0xDC00 && low < 0xE000;
        if (!paired) {
          at = i;
          return "the escape '" + raw.substr(i, 6).str() + "' is a lone surrogate, not a character";
        }
        i += 11;
        continue;
      }
    }
    ++i; // the escaped character
  }
  return "";
}

/// One open array or object of the pre-scan.
struct Frame {
  bool object = false;
  bool expectKey = false;
  size_t index = 0;
  std::string key;
  std::vector<std::string> few; // keys seen, while there are few
  std::unordered_set<std::string> many;

  /// Records a key; false if it was seen before.
  bool insert(const std::string &k) {
    if (many.empty()) {
      if (llvm::is_contained(few, k))
        return false;
      if (few.size() < 16) {
        few.push_back(k);
        return true;
      }
      many.insert(few.begin(), few.end());
    }
    return many.insert(k).second;
  }
};

class Scanner {
public:
  Scanner(StringRef text, const JsonReadOptions &opts) : text(text), opts(opts) {}

  /// Runs the pre-scan: limit errors are returned, the first finding is
  /// kept in `finding`; NaN/Infinity tokens (when allowed) are recorded in
  /// `nonFinite` by offset.
  Error run();

  /// The first deferred finding, formatted; empty when there is none.
  std::string finding;
  /// Offsets of the NaN, Infinity and -Infinity tokens, in order.
  std::vector<size_t> nonFinite;

  /// "line L, column C" of an offset.
  std::string where(size_t offset) const {
    size_t line, column;
    lineColumn(text, offset, line, column);
    return ("line " + Twine(line) + ", column " + Twine(column)).str();
  }
  /// "<path>: " or "<subject>: " (or both) for a message.
  std::string prefix(StringRef path) const {
    if (opts.subjectBeforePath)
      return (opts.subject + ": " + (path.empty() ? "" : path + ": ")).str();
    return ((path.empty() ? opts.subject : path) + ": ").str();
  }

private:
  /// The JSON path of frames[0, n). The keys have not been checked yet
  /// (llvm::json checks UTF-8 after the scan): invalid UTF-8 is replaced.
  std::string path(size_t n) const {
    std::string p;
    for (size_t f = 0; f < n; ++f) {
      const std::string &key = frames[f].key;
      p = !frames[f].object   ? indexPath(p, frames[f].index)
          : json::isUTF8(key) ? keyPath(p, key)
                              : keyPath(p, json::fixUTF8(key));
    }
    return p;
  }
  void note(size_t pathDepth, size_t offset, const std::string &problem) {
    if (finding.empty())
      finding =
          prefix(path(pathDepth)) + opts.invalid.str() + " at " + where(offset) + ": " + problem;
  }
  Error limit(const Twine &msg, size_t offset) const {
    return makeError(opts.subject + ": " + msg + " (" + where(offset) + ")");
  }

  StringRef text;
  const JsonReadOptions &opts;
  std::vector<Frame> frames; // frames[0, depth) are live; the rest reused
  size_t depth = 0;
};

Error Scanner::run() {
  size_t objects = 0, values = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
    case '"': {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"')
        j += text[j] == '\\' ? 2 : 1;
      j = std::min(j, text.size());
      bool isKey = depth && frames[depth - 1].object && frames[depth - 1].expectKey;
      if (finding.empty()) {
        size_t at = 0;
        std::string problem = stringProblem(text.slice(i + 1, j), at);
        if (!problem.empty())
          note(isKey ? depth - 1 : depth, i + 1 + at, problem);
      }
      if (isKey) {
        Frame &top = frames[depth - 1];
        top.expectKey = false;
        top.key = decodeJsonString(text.slice(i + 1, j));
        if (finding.empty() && !top.insert(top.key))
          finding =
              prefix(path(depth - 1)) + "duplicate key " + quoted(top.key) + " (" + where(i) + ")";
      }
      i = j;
      break;
    }
    case '{':
    case '[':
      if (depth >= opts.maxDepth)
        return limit("JSON nested deeper than " + Twine(opts.maxDepth) + " levels", i);
      if (c == '{' && ++objects > opts.maxObjects)
        return limit("more than " + Twine(opts.maxObjects) +
                         " JSON objects; the limit bounds the memory used to "
                         "parse",
                     i);
      if (depth == frames.size())
        frames.emplace_back();
      {
        Frame &f = frames[depth++];
        f.object = c == '{';
        f.expectKey = c == '{';
        f.index = 0;
        f.key.clear();
        f.few.clear();
        f.many.clear();
      }
      break;
    case '}':
    case ']':
      if (depth)
        --depth;
      break;
    case ',':
      if (++values > opts.maxValues)
        return limit("more than " + Twine(opts.maxValues) +
                         " JSON values; the limit bounds the memory used to "
                         "parse",
                     i);
      if (depth) {
        if (frames[depth - 1].object)
          frames[depth - 1].expectKey = true;
        else
          ++frames[depth - 1].index;
      }
      break;
    default: {
      if (opts.nonFiniteTokens) {
        StringRef rest = text.substr(i);
        size_t len = rest.starts_with("NaN")         ? 3
                     : rest.starts_with("Infinity")  ? 8
                     : rest.starts_with("-Infinity") ? 9
                                                     : 0;
        if (len) {
          nonFinite.push_back(i);
          i += len - 1;
          break;
        }
      }
      if (!llvm::isDigit(c) && c != '-' && c != '+' && c != '.')
        break; // literals and whitespace: llvm::json checks them
      size_t j = i;
      while (j < text.size() && (llvm::isDigit(text[j]) || StringRef("+-.eE").contains(text[j])))
        ++j;
      if (finding.empty()) {
        StringRef tok = text.slice(i, j);
        std::string problem = numberProblem(tok);
        if (!problem.empty())
          note(depth, i, "'" + tok.str() + "': " + problem);
      }
      i = j - 1;
      break;
    }
    }
  }
  return Error::success();
}

/// Turns llvm::json's "[L:C, byte=O]: Msg" into "line L, column C: msg",
/// with O mapped back to the original text by `original`.
std::string formatSyntaxError(Error e, const Scanner &scan, const JsonReadOptions &opts,
                              llvm::function_ref<size_t(size_t)> original) {
  std::string raw = llvm::toString(std::move(e));
  StringRef s(raw);
  size_t byteAt = s.find("byte=");
  size_t msgAt = s.find("]: ");
  unsigned long long offset = 0;
  std::string head = scan.prefix("") + opts.invalid.str();
  if (s.starts_with("[") && byteAt != StringRef::npos && msgAt != StringRef::npos &&
      msgAt > byteAt && !s.slice(byteAt + 5, msgAt).getAsInteger(10, offset)) {
    std::string msg = s.drop_front(msgAt + 3).str();
    if (!msg.empty())
      msg[0] = llvm::toLower(msg[0]);
    return head + " at " + scan.where(original(offset)) + ": " + msg;
  }
  return head + ": " + raw;
}

} // namespace

llvm::Expected<json::Value> parseStrictJson(StringRef text, const JsonReadOptions &opts) {
  Scanner scan(text, opts);
  if (Error e = scan.run())
    return std::move(e);
  // llvm::json has no NaN or Infinity: Infinity becomes "1e999   " (the
  // same length; it overflows to inf), NaN becomes null (one byte longer,
  // so error offsets are mapped back through `inserted`).
  std::string replaced;
  std::vector<size_t> inserted; // offsets in `replaced` after each "null"
  StringRef parsed = text;
  if (!scan.nonFinite.empty()) {
    replaced.reserve(text.size() + scan.nonFinite.size());
    size_t from = 0;
    for (size_t at : scan.nonFinite) {
      replaced.append(text.data() + from, at - from);
      if (text[at] == '-') {
        replaced += '-';
        ++at;
      }
      if (text[at] == 'N') {
        replaced += "null";
        inserted.push_back(replaced.size());
        from = at + 3;
      } else {
        replaced += "1e999   ";
        from = at + 8;
      }
    }
    replaced.append(text.data() + from, text.size() - from);
    parsed = replaced;
  }
  auto original = [&](size_t offset) {
    size_t before = std::upper_bound(inserted.begin(), inserted.end(), offset) - inserted.begin();
    return offset - std::min(offset, before);
  };
  llvm::Expected<json::Value> value = json::parse(parsed);
  if (!value)
    return makeError(formatSyntaxError(value.takeError(), scan, opts, original));
  if (!scan.finding.empty())
    return makeError(scan.finding);
  return value;
}

} // namespace detail
} // namespace jit
} // namespace specjit
