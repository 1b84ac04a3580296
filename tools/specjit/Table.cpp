//===- Table.cpp - CSV and generated data for the driver ------------------===//
#include "Table.h"

#include "Families/Family.h"
#include "Families/Pipeline/PipelineSpec.h"

#include "specjit/ReadFile.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>

#include <unistd.h>

using namespace specjit::jit;

namespace specjit {
namespace tools {

int64_t ColumnData::rows() const {
  switch (type) {
  case DType::F64:
    return f64.size();
  case DType::F32:
    return f32.size();
  case DType::I64:
    return i64.size();
  case DType::I32:
    return i32.size();
  case DType::Bool:
    return b.size();
  case DType::String:
    return static_cast<int64_t>(offsets.size()) - 1;
  }
  return 0;
}

Column ColumnData::view() const {
  int64_t n = rows();
  switch (type) {
  case DType::F64:
    return Column::f64(f64.data(), n);
  case DType::F32:
    return Column::f32(f32.data(), n);
  case DType::I64:
    return Column::i64(i64.data(), n);
  case DType::I32:
    return Column::i32(i32.data(), n);
  case DType::Bool:
    return Column::boolean(b.data(), n);
  case DType::String:
    return Column::strings(offsets.data(), bytes.data(), n);
  }
  return {};
}

std::vector<Column> Table::views() const {
  std::vector<Column> v;
  for (const ColumnData &c : columns)
    v.push_back(c.view());
  return v;
}

namespace {

llvm::Error csvError(llvm::StringRef path, size_t line, const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::formatv("{0}:{1}: ", path, line) + msg);
}

/// Splits CSV text into records by the rule of docs/reliability.md ("CSV"):
/// RFC 4180 quoting, records ended by \n, \r\n or \r, the last line
/// terminator optional (it does not start another record).
class CsvRecords {
public:
  explicit CsvRecords(llvm::StringRef text) : text(text) {}

  /// False at the end of the text. Otherwise reads the next record into
  /// `fields`; `line` is the line it starts on, `blank` whether it was an
  /// empty line (no characters at all, not even `""`). An unterminated
  /// quoted field is an error (`error` set, false returned).
  bool next(std::vector<std::string> &fields, size_t &line, bool &blank, std::string &error) {
    fields.clear();
    if (pos >= text.size())
      return false;
    line = lineNo;
    size_t start = pos;
    std::string field;
    while (true) {
      if (pos < text.size() && text[pos] == '"') {
        // A quoted field: up to the closing quote ("" is a quote); then,
        // as pandas does, anything up to the delimiter is kept as is.
        size_t quoteLine = lineNo;
        ++pos;
        while (true) {
          if (pos >= text.size()) {
            error = llvm::formatv("unterminated quoted field (opened on line {0})", quoteLine);
            return false;
          }
          char c = text[pos++];
          if (c == '"') {
            if (pos < text.size() && text[pos] == '"') {
              field += '"';
              ++pos;
              continue;
            }
            break;
          }
          if (c == '\n' || (c == '\r' && (pos >= text.size() || text[pos] != '\n')))
            ++lineNo;
          field += c;
        }
      }
      while (pos < text.size() && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r')
        field += text[pos++];
      fields.push_back(std::move(field));
      field.clear();
      if (pos >= text.size())
        break;
      char c = text[pos++];
      if (c == ',')
        continue;
      if (c == '\r' && pos < text.size() && text[pos] == '\n')
        ++pos;
      ++lineNo;
      break;
    }
    blank = fields.size() == 1 && fields[0].empty() && start < text.size() &&
            (text[start] == '\n' || text[start] == '\r');
    return true;
  }

private:
  llvm::StringRef text;
  size_t pos = 0;
  size_t lineNo = 1;
};

/// A decimal number as numpy reads it: std::from_chars (also "inf",
/// "infinity", "nan", any case), an optional leading '+', surrounding
/// spaces; out-of-range values round as IEEE 754 says (1e400 -> inf,
/// 1e-400 -> 0), not rejected.
bool parseDouble(llvm::StringRef s, double &out) {
  s = s.trim();
  if (s.consume_front("+") && (s.starts_with("+") || s.starts_with("-")))
    return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ptr != s.data() + s.size())
    return false;
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars matched a whole decimal but reports no value: strtod
    // rounds it correctly (to +-inf, a subnormal or +-0).
    std::string copy = s.str();
    out = std::strtod(copy.c_str(), nullptr);
    return true;
  }
  return r.ec == std::errc();
}

bool parseInt(llvm::StringRef s, int64_t &out) {
  s = s.trim();
  if (s.consume_front("+") && (s.starts_with("+") || s.starts_with("-")))
    return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

} // namespace

llvm::Expected<Table> readCsv(llvm::StringRef path, const std::vector<InputColumn> &inputs) {
  llvm::Expected<std::string> contents = readBoundedFile(path, kCsvReadLimit);
  if (!contents)
    return contents.takeError();
  return readCsvText(*contents, path, inputs);
}

llvm::Expected<Table> readCsvText(llvm::StringRef text, llvm::StringRef path,
                                  const std::vector<InputColumn> &inputs) {
  text.consume_front("\xEF\xBB\xBF"); // a UTF-8 byte order mark
  CsvRecords records(text);
  std::vector<std::string> fields;
  size_t line = 1;
  bool blank = false;
  std::string err;
  if (!records.next(fields, line, blank, err))
    return csvError(path, 1, err.empty() ? "missing header (the file is empty)" : err);
  if (blank)
    return csvError(path, 1, "the header is an empty line");

  llvm::StringMap<size_t> header;
  for (size_t i = 0; i < fields.size(); ++i) {
    auto [it, added] = header.try_emplace(fields[i], i);
    if (!added)
      return csvError(path, 1,
                      llvm::formatv("the header names '{0}' twice (columns {1} "
                                    "and {2})",
                                    fields[i], it->second + 1, i + 1));
  }
  size_t width = fields.size();
  std::vector<size_t> fieldOf;
  Table t;
  for (const InputColumn &in : inputs) {
    auto it = header.find(in.name);
    if (it == header.end())
      return csvError(path, 1, "the header has no column '" + in.name + "'");
    fieldOf.push_back(it->second);
    ColumnData c;
    c.type = in.type;
    t.columns.push_back(std::move(c));
  }

  while (records.next(fields, line, blank, err)) {
    // An empty line is one empty field: a missing value where the header
    // has one column (pandas writes NaN so), an error anywhere else.
    if (blank && width != 1)
      return csvError(path, line, llvm::formatv("empty line (the header has {0} columns)", width));
    if (fields.size() != width)
      return csvError(
          path, line,
          llvm::formatv("expected {0} fields (as in the header), got {1}", width, fields.size()));
    for (size_t k = 0; k < inputs.size(); ++k) {
      llvm::StringRef f = fields[fieldOf[k]];
      ColumnData &c = t.columns[k];
      const InputColumn &in = inputs[k];
      bool empty = f.trim().empty();
      auto bad = [&](const char *what) {
        return csvError(path, line,
                        "column '" + in.name + "': expected " + what + ", got '" + f + "'");
      };
      switch (in.type) {
      case DType::F64:
      case DType::F32: {
        double v = std::numeric_limits<double>::quiet_NaN();
        if (!empty && !parseDouble(f, v))
          return bad("a number");
        // f32 as numpy's np.float32("...") does: the decimal rounded to f64,
        // then to f32 (IEEE: beyond FLT_MAX rounds to inf).
        if (in.type == DType::F64)
          c.f64.push_back(v);
        else
          c.f32.push_back(static_cast<float>(v));
        break;
      }
      case DType::I64:
      case DType::I32:
      case DType::Bool: {
        int64_t v = 0;
        if (empty) {
          if (!in.missing)
            return bad("a value (the input declares no missing sentinel)");
          v = *in.missing;
        } else if (in.type == DType::Bool) {
          llvm::StringRef l = f.trim();
          if (l == "1" || l.equals_insensitive("true"))
            v = 1;
          else if (l == "0" || l.equals_insensitive("false"))
            v = 0;
          else
            return bad("0, 1, true or false");
        } else if (!parseInt(f, v)) {
          return bad("a 64-bit integer");
        }
        if (in.type == DType::I64)
          c.i64.push_back(v);
        else if (in.type == DType::I32) {
          if (v < INT32_MIN || v > INT32_MAX)
            return bad("a 32-bit integer");
          c.i32.push_back(static_cast<int32_t>(v));
        } else
          c.b.push_back(static_cast<uint8_t>(v));
        break;
      }
      case DType::String:
        c.bytes.append(f.data(), f.size());
        c.offsets.push_back(static_cast<int64_t>(c.bytes.size()));
        break;
      }
    }
    ++t.rows;
    t.lines.push_back(static_cast<int64_t>(line));
  }
  if (!err.empty())
    return csvError(path, line, err);
  return t;
}

Output StateMatrix::view(const Descriptor &d) {
  int64_t cols = static_cast<int64_t>(d.numOutputs());
  return f32.empty() ? Output::f64(f64.data(), rows, cols) : Output::f32(f32.data(), rows, cols);
}

static StateMatrix fromColumns(const Descriptor &d, const Table &t) {
  StateMatrix m;
  m.rows = t.rows;
  size_t cols = t.columns.size();
  bool narrow = d.outputType() == DType::F32;
  (narrow ? (void)m.f32.resize(t.rows * cols) : m.f64.resize(t.rows * cols));
  for (size_t j = 0; j < cols; ++j)
    for (int64_t r = 0; r < t.rows; ++r) {
      double v = t.columns[j].f64[r];
      if (narrow)
        m.f32[r * cols + j] = static_cast<float>(v);
      else
        m.f64[r * cols + j] = v;
    }
  return m;
}

llvm::Expected<StateMatrix> readStateCsv(llvm::StringRef path, const Descriptor &d) {
  std::vector<InputColumn> meters;
  for (const std::string &m : d.outputNames())
    meters.push_back({m, DType::F64, std::nullopt});
  auto t = readCsv(path, meters);
  if (!t)
    return t.takeError();
  return fromColumns(d, *t);
}

StateMatrix generateState(const Descriptor &d, int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Table t;
  t.rows = rows;
  for (size_t j = 0; j < d.numOutputs(); ++j) {
    ColumnData c;
    for (int64_t r = 0; r < rows; ++r)
      c.f64.push_back(unit(rng));
    t.columns.push_back(std::move(c));
  }
  return fromColumns(d, t);
}

llvm::Error writeCsv(llvm::StringRef path, const std::vector<std::string> &names, const void *data,
                     DType type, int64_t rows) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write '" + path + "': " + ec.message());
  for (size_t j = 0; j < names.size(); ++j) {
    bool quote = llvm::StringRef(names[j]).find_first_of(",\"\n") != llvm::StringRef::npos;
    if (j)
      os << ',';
    if (quote) {
      os << '"';
      for (char c : names[j])
        os << (c == '"' ? "\"\"" : std::string(1, c));
      os << '"';
    } else {
      os << names[j];
    }
  }
  os << '\n';
  size_t cols = names.size();
  char buf[64];
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < cols; ++j) {
      double v = type == DType::F32 ? static_cast<const float *>(data)[r * cols + j]
                                    : static_cast<const double *>(data)[r * cols + j];
      if (j)
        os << ',';
      if (std::isnan(v))
        continue; // missing: empty field
      std::to_chars_result res = type == DType::F32
                                     ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                                     : std::to_chars(buf, buf + sizeof buf, v);
      os.write(buf, res.ptr - buf);
    }
    os << '\n';
  }
  return llvm::Error::success();
}

llvm::Error checkRowsFit(int64_t rows, uint64_t rowBytes, const llvm::Twine &what) {
  uint64_t bytes = 0;
  bool overflow = rows < 0 || __builtin_mul_overflow(static_cast<uint64_t>(rows), rowBytes, &bytes);
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  uint64_t memory = pages > 0 && pageSize > 0
                        ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize)
                        : 0;
  if (!overflow && (memory == 0 || bytes <= memory))
    return llvm::Error::success();
  std::string size = overflow ? std::string("over 2^64 bytes")
                              : llvm::formatv("{0:f1} GiB", bytes / double(1ull << 30)).str();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      what + llvm::formatv(": {0} rows x {1} bytes per row need {2}; this machine "
                           "has {3:f1} GiB of memory",
                           rows, rowBytes, size, memory / double(1ull << 30)));
}

uint64_t generatedRowBytes(const Descriptor &d) {
  uint64_t bytes = 0;
  for (const InputColumn &in : d.inputs())
    bytes += in.type == DType::String ? 24 : dtypeSize(in.type);
  if (d.runShape() == RunShape::State)
    bytes += d.numOutputs() * (sizeof(double) + dtypeSize(d.outputType()));
  return bytes;
}

/// Positive random-walk prices, one column per series input.
static Table generateSeries(const Descriptor &d, int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 0.01);
  Table t;
  t.rows = rows;
  for (const InputColumn &in : d.inputs()) {
    ColumnData c;
    c.type = in.type;
    double price = 100.0;
    for (int64_t r = 0; r < rows; ++r) {
      price *= std::exp(step(rng));
      if (in.type == DType::F32)
        c.f32.push_back(static_cast<float>(price));
      else
        c.f64.push_back(price);
    }
    t.columns.push_back(std::move(c));
  }
  return t;
}

Table generateInputs(const Descriptor &d, int64_t rows, uint64_t seed) {
  if (d.runShape() == RunShape::Stream)
    return generateSeries(d, rows, seed);
  const PipelineSpec *features = family(d.kind()).featurePipeline(d);
  if (!features) // rules: no inputs
    return Table{{}, rows};
  const PipelineSpec &p = *features;
  bool model = d.kind() == Kind::Model;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Models are usually trained on standardized features.
  std::normal_distribution<double> normal(0.0, 1.0);
  // Categories each input is compared against (first step that reads it).
  std::vector<const Step *> catStep(p.inputs.size(), nullptr);
  for (const PlanNode &n : p.plan.nodes) {
    const Step &s = p.steps[n.step];
    if ((s.op == StepOp::OneHot || s.op == StepOp::LabelEncode) && !n.args.empty() &&
        n.args[0] < static_cast<int>(p.inputs.size()) && !catStep[n.args[0]])
      catStep[n.args[0]] = &s;
  }
  Table t;
  t.rows = rows;
  for (size_t k = 0; k < p.inputs.size(); ++k) {
    const InputColumn &in = p.inputs[k];
    const Step *cs = catStep[k];
    ColumnData c;
    c.type = in.type;
    // Under unknown: "error", every value must be a known category.
    bool strict = cs && cs->unknown == UnknownPolicy::Error;
    for (int64_t r = 0; r < rows; ++r) {
      double u = strict ? 0.5 : unit(rng);
      bool missing = u < 0.01;
      switch (in.type) {
      case DType::F64:
      case DType::F32: {
        double v = missing ? std::numeric_limits<double>::quiet_NaN()
                           : (cs && !cs->floatCategories.empty()
                                  ? cs->floatCategories[rng() % cs->floatCategories.size()]
                              : model ? normal(rng)
                                      : std::exp(unit(rng) * 6.0) - 0.5);
        if (in.type == DType::F64)
          c.f64.push_back(v);
        else
          c.f32.push_back(static_cast<float>(v));
        break;
      }
      case DType::I64:
      case DType::I32:
      case DType::Bool: {
        int64_t v;
        if (missing && in.missing)
          v = *in.missing;
        else if (cs && !cs->intCategories.empty() && u < 0.98)
          v = cs->intCategories[rng() % cs->intCategories.size()];
        else
          v = static_cast<int64_t>(rng() % 100);
        if (in.type == DType::I64)
          c.i64.push_back(v);
        else if (in.type == DType::I32)
          c.i32.push_back(static_cast<int32_t>(v));
        else
          c.b.push_back(static_cast<uint8_t>(in.missing && v == *in.missing ? v : (v & 1)));
        break;
      }
      case DType::String: {
        std::string v = cs && !cs->stringCategories.empty() && u < 0.98
                            ? cs->stringCategories[rng() % cs->stringCategories.size()]
                            : "other" + std::to_string(rng() % 7);
        c.bytes += v;
        c.offsets.push_back(static_cast<int64_t>(c.bytes.size()));
        break;
      }
      }
    }
    t.columns.push_back(std::move(c));
  }
  return t;
}

} // namespace tools
} // namespace specjit
