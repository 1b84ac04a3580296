//===- ExportCommand.cpp - specjit export ---------------------------------===//
//
// `specjit export DESC.json -o kernel.o --header kernel.h [--symbol NAME]
// [--opt=N] [--tree-layout=L]`: writes the kernel the JIT would run as a
// relocatable object plus a C header (jit::exportKernel, docs/export.md).
// Nothing is written unless the kernel compiled; a file that cannot be
// written in full is removed.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "specjit/Export.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"

namespace specjit {
namespace tools {

namespace {

/// Writes `text` to `path` through a temporary file, so that a failed
/// export never leaves a half-written file behind.
llvm::Error writeFile(const std::string &path, llvm::StringRef text) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write '" + path + "': " + ec.message());
  out.os() << text;
  out.os().flush();
  if (out.os().has_error()) {
    std::error_code wec = out.os().error();
    out.os().clear_error();
    return llvm::createStringError(wec, "cannot write '" + path + "': " + wec.message());
  }
  out.keep();
  return llvm::Error::success();
}

} // namespace

int cmdExport(int argc, char **argv) {
  Args a(argc, argv, {}, {"o", "header", "symbol", "opt", "tree-layout"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1 || !a.has("o") || !a.has("header"))
    return fail("usage: specjit export DESC.json -o KERNEL.o --header KERNEL.h "
                "[--symbol NAME] [--opt=N] [--tree-layout=L]");
  if (a.get("o").empty() || a.get("header").empty())
    return fail("-o and --header need a file name");
  if (a.get("o") == a.get("header"))
    return fail("-o and --header name the same file '" + a.get("o") + "'");
  jit::ExportOptions opts;
  if (a.has("symbol"))
    opts.symbol = a.get("symbol");
  if (!jit::isExportSymbol(opts.symbol))
    return fail("--symbol: '" + opts.symbol +
                "' is not a usable C identifier ([A-Za-z_][A-Za-z0-9_]*, not "
                "starting with '__' or '_' and a capital letter)");
  int64_t opt = 3;
  if (a.has("opt") && (!parseCount(a.get("opt"), opt) || opt > 3))
    return fail("--opt: expected 0, 1, 2 or 3");
  opts.optLevel = static_cast<int>(opt);
  if (a.has("tree-layout")) {
    auto layout = jit::parseTreeLayout(a.get("tree-layout"));
    if (!layout)
      return fail("--tree-layout: expected auto, branches or walk");
    opts.treeLayout = *layout;
  }

  auto d = jit::Descriptor::fromFile(a.positional[0]);
  if (!d)
    return fail(d.takeError());
  auto k = jit::exportKernel(*d, opts);
  if (!k)
    return fail(k.takeError());
  if (auto err = writeFile(a.get("o"), k->object))
    return fail(std::move(err));
  if (auto err = writeFile(a.get("header"), k->header))
    return fail(std::move(err));
  llvm::outs() << "exported " << opts.symbol << " (" << jit::kindName(d->kind()) << ", hash "
               << d->hash().hex() << ") to " << a.get("o") << " and " << a.get("header")
               << "; link with " << k->linkFlags << "\n";
  return 0;
}

} // namespace tools
} // namespace specjit
