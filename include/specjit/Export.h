//===- specjit/Export.h - Ahead-of-time kernels -----------------*- C++ -*-===//
//
// jit::exportKernel() compiles a descriptor into a relocatable object file
// and a C header, for programs that link the kernel instead of running a JIT
// (`specjit export`, docs/export.md). The object holds the code the JIT runs
// for the descriptor on this machine, under a symbol of the caller's choice,
// with the calling convention of compiled kernels (lib/Runtime/KernelABI.h).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_EXPORT_H
#define SPECJIT_EXPORT_H

#include "specjit/Compile.h"

#include <string>
#include <vector>

namespace specjit {
namespace jit {

struct ExportOptions {
  /// The entry's symbol; a C identifier. The object's other global symbols
  /// are this followed by `_` (a series kernel's state size is
  /// `<symbol>_state_bytes`), so kernels exported under different symbols
  /// link into one program.
  std::string symbol = "specjit_kernel";
  /// As in CompileOptions; the defaults are the JIT's.
  int optLevel = 3;
  TreeLayout treeLayout = TreeLayout::Auto;
};

struct ExportedKernel {
  /// An ELF relocatable object for the host CPU.
  std::string object;
  /// A header that compiles as C and C++: the entry's declaration, and in
  /// comments the argument slots, the output columns and the descriptor hash.
  std::string header;
  /// Symbols the object refers to but does not define (libc, libm, and
  /// libmvec's `_ZGV*` vector functions), sorted.
  std::vector<std::string> undefinedSymbols;
  /// Whether the object calls libmvec (link with -lmvec).
  bool usesVectorMath = false;
  /// Whether the object calls specjit's runtime routines (series windows of
  /// period 128 and more): link with libspecjit_rt.a (-lspecjit_rt; in the
  /// build's lib/ or the installation's).
  bool usesRuntime = false;
  /// The libraries to link, as the header's "link with:" line says them
  /// ("-lm", then "-lmvec" and "-lspecjit_rt" where needed).
  std::string linkFlags;
};

/// Whether `name` can be an exported kernel's symbol: a C identifier
/// ([A-Za-z_][A-Za-z0-9_]*) that is not reserved (no leading `__` or `_`
/// plus an upper-case letter).
bool isExportSymbol(llvm::StringRef name);

/// Compiles `d` ahead of time. Fails with a clear message for a bad symbol,
/// for families that do not compile to one kernel (train, eval), and when
/// the compiler fails (there is no interpreter to fall back to here).
llvm::Expected<ExportedKernel> exportKernel(const Descriptor &d, const ExportOptions &options = {});

} // namespace jit
} // namespace specjit

#endif // SPECJIT_EXPORT_H
