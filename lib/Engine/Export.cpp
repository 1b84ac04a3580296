//===- Export.cpp - Ahead-of-time kernels ---------------------------------===//
//
// One object from the JIT's compile path (one compile unit, the kernel's
// globals renamed by the code generator), checked for the symbols it
// defines and needs, and a header written from the descriptor.
//
//===----------------------------------------------------------------------===//

#include "specjit/Export.h"

#include "Engine/Codegen.h"
#include "Engine/LLVMBackend.h"
#include "Engine/RuntimeSymbols.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <set>

using namespace specjit;
using namespace specjit::jit;

namespace {

llvm::Error exportError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "export: " + msg);
}

/// Text from the descriptor (names can hold anything JSON allows) made safe
/// inside a C block comment.
std::string commentText(llvm::StringRef s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '*' && i + 1 < s.size() && s[i + 1] == '/')
      out += "*\\";
    else if (c < 0x20 || c == 0x7f)
      out += llvm::formatv("\\x{0:x-2}", unsigned(c)).str();
    else
      out += char(c);
  }
  return out;
}

const char *cTypeOf(DType t) {
  switch (t) {
  case DType::Bool:
    return "const uint8_t *";
  case DType::I32:
    return "const int32_t *";
  case DType::I64:
    return "const int64_t *";
  case DType::F32:
    return "const float *";
  case DType::F64:
    return "const double *";
  case DType::String:
    return "const int64_t *";
  }
  return "?";
}

const char *cElementOf(DType t) { return t == DType::F32 ? "float" : "double"; }

struct ObjectSymbols {
  std::vector<std::string> defined, undefined;
};

llvm::Expected<ObjectSymbols> scanSymbols(llvm::StringRef object) {
  auto file = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(object, "kernel.o"));
  if (!file)
    return file.takeError();
  ObjectSymbols out;
  std::set<std::string> undefined;
  for (const llvm::object::SymbolRef &sym : (*file)->symbols()) {
    auto flags = sym.getFlags();
    auto name = sym.getName();
    if (!flags || !name)
      return exportError("cannot read the object's symbol table");
    if (!(*flags & llvm::object::SymbolRef::SF_Global) || name->empty())
      continue;
    if (*flags & llvm::object::SymbolRef::SF_Undefined)
      undefined.insert(name->str());
    else
      out.defined.push_back(name->str());
  }
  out.undefined.assign(undefined.begin(), undefined.end());
  return out;
}

std::string makeHeader(const Descriptor &d, const ExportOptions &o, const ExportedKernel &k,
                       llvm::StringRef cpu) {
  const std::string &sym = o.symbol;
  std::string guard = "SPECJIT_EXPORT_" + llvm::StringRef(sym).upper() + "_H";
  bool series = d.runShape() == RunShape::Stream, rules = d.runShape() == RunShape::State;
  const auto &inputs = d.inputs();
  const auto &outputs = d.outputNames();

  std::string h;
  llvm::raw_string_ostream os(h);
  os << "/* " << sym << ": a specjit kernel compiled ahead of time (specjit export).\n"
     << " *\n"
     << " * descriptor: " << commentText(d.name().empty() ? "(unnamed)" : d.name()) << " (kind "
     << kindName(d.kind()) << ")\n"
     << " * descriptor hash: " << d.hash().hex() << "\n"
     << " * compiled for: the host CPU (" << commentText(cpu)
     << "); the code uses its instruction set\n"
     << " * link with: " << k.linkFlags << "\n"
     << " * code model: the JIT's (absolute addresses): link into a non-PIE executable\n"
     << " * (cc -no-pie), or a PIE gets text relocations (the linker warns)\n"
     << " *\n"
     << " * int64_t " << sym << "(const void *const *args, void *out, int64_t rows);\n"
     << " *\n";
  size_t slots = 0;
  if (rules) {
    os << " * args: not read (the rules family has no inputs; pass NULL).\n";
  } else {
    os << " * args: one slot per input, two per string input, in this order; each\n"
       << " * points at `rows` contiguous values (bool: one byte, 0 or 1):\n";
    for (const InputColumn &in : inputs) {
      std::string name = commentText(in.name);
      if (in.type == DType::String) {
        os << llvm::formatv(" *   args[{0}]  {1,-24} string offsets  const int64_t * "
                            "(rows + 1 byte offsets into args[{2}])\n",
                            slots, name, slots + 1);
        os << llvm::formatv(" *   args[{0}]  {1,-24} string bytes    const char *    "
                            "(row i is bytes[offsets[i], offsets[i+1]))\n",
                            slots + 1, name);
        slots += 2;
        continue;
      }
      os << llvm::formatv(" *   args[{0}]  {1,-24} {2,-15} {3}", slots, name, dtypeName(in.type),
                          cTypeOf(in.type));
      if (in.missing)
        os << " (missing: " << *in.missing << ")";
      else if (in.type == DType::F32 || in.type == DType::F64)
        os << " (missing: NaN)";
      os << "\n";
      ++slots;
    }
    if (series) {
      os << " *   args[" << slots << "]  the stream state: " << sym
         << "_state_bytes() bytes, 8-byte aligned,\n"
         << " *             all zero for a fresh stream; a call continues the stream "
            "it holds\n";
      ++slots;
    }
  }
  os << " *\n";
  if (rules)
    os << " * out: the state matrix, rows (agents) x " << outputs.size() << " "
       << cElementOf(d.outputType())
       << ", row-major, read and updated in place; its columns (meters):\n";
  else
    os << " * out: rows x " << outputs.size() << " " << cElementOf(d.outputType()) << ", row-major"
       << (series ? " (rows are time steps)" : "") << "; its columns:\n";
  for (size_t i = 0; i < outputs.size(); ++i)
    os << llvm::formatv(" *   {0,4}  {1}\n", i, commentText(outputs[i]));
  os << " *\n"
     << " * returns: 0, or r > 0 when row r-1 failed a data check (e.g. an unknown\n"
     << " * category under unknown: \"error\"); `out` is then left untouched.\n"
     << " */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "int64_t " << sym << "(const void *const *args, void *out, int64_t rows);\n";
  if (series)
    os << "/* The size of the stream state args[" << slots - 1 << "] points at. */\n"
       << "int64_t " << sym << "_state_bytes(void);\n";
  os << "\n"
     << "#define " << sym << "_NUM_ARGS " << slots << "\n"
     << "#define " << sym << "_NUM_OUTPUTS " << outputs.size() << "\n"
     << "#define " << sym << "_HASH \"" << d.hash().hex() << "\"\n"
     << "\n#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n"
     << "#endif /* " << guard << " */\n";
  return os.str();
}

} // namespace

namespace specjit {
namespace jit {

bool isExportSymbol(llvm::StringRef name) {
  if (name.empty() || llvm::isDigit(name[0]))
    return false;
  if (name.starts_with("__") || (name.size() > 1 && name[0] == '_' && llvm::isUpper(name[1])))
    return false;
  return llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

llvm::Expected<ExportedKernel> exportKernel(const Descriptor &d, const ExportOptions &o) {
  if (!isExportSymbol(o.symbol))
    return exportError("--symbol '" + o.symbol +
                       "' is not a usable C identifier ([A-Za-z_][A-Za-z0-9_]*, "
                       "not starting with '__' or '_' and a capital)");
  if (d.runShape() == RunShape::Driven)
    return exportError(llvm::Twine("a ") + kindName(d.kind()) +
                       " descriptor does not compile to one kernel; export takes "
                       "pipeline, model, series and rules descriptors");
  if (o.optLevel < 0 || o.optLevel > 3)
    return exportError("the optimization level must be 0-3, not " + llvm::Twine(o.optLevel));

  // The JIT's compile path, kept to one unit so that there is one object.
  engine::CodegenOptions co;
  co.optLevel = o.optLevel;
  co.treeLayout = o.treeLayout;
  co.compileThreads = 1;
  co.entrySymbol = o.symbol;
  auto objects = engine::compileToObjects(d, co);
  if (!objects)
    return exportError("compilation failed: " + llvm::toString(objects.takeError()));
  if (objects->size() != 1)
    return exportError("the compiler produced " + llvm::Twine(objects->size()) +
                       " objects instead of one");

  ExportedKernel k;
  k.object = (*objects)[0]->getBuffer().str();
  auto symbols = scanSymbols(k.object);
  if (!symbols)
    return exportError("cannot read the compiled object: " + llvm::toString(symbols.takeError()));
  // What makes two exported kernels link into one program.
  bool hasEntry = false;
  for (const std::string &s : symbols->defined) {
    hasEntry |= s == o.symbol;
    if (s != o.symbol && !llvm::StringRef(s).starts_with(o.symbol + "_"))
      return exportError("the object defines the global symbol '" + s +
                         "', which does not carry the prefix '" + o.symbol + "_'");
  }
  if (!hasEntry)
    return exportError("the object does not define the entry '" + o.symbol + "'");
  k.undefinedSymbols = std::move(symbols->undefined);
  k.usesVectorMath = llvm::any_of(k.undefinedSymbols, [](const std::string &s) {
    return llvm::StringRef(s).starts_with("_ZGV");
  });
  k.usesRuntime = llvm::any_of(k.undefinedSymbols, engine::isRuntimeSymbol);
  k.linkFlags = std::string("-lm") + (k.usesVectorMath ? " -lmvec" : "") +
                (k.usesRuntime ? " -lspecjit_rt" : "");

  auto tm = engine::createHostTargetMachine(o.optLevel);
  if (!tm)
    return exportError(llvm::toString(tm.takeError()));
  k.header = makeHeader(d, o, k, (*tm)->getTargetCPU());
  return k;
}

} // namespace jit
} // namespace specjit
