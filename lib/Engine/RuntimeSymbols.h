//===- RuntimeSymbols.h - What compiled kernels call in specjit -*- C++ -*-===//
//
// Kernels may call routines of specjit's own runtime library (lib/Runtime,
// libspecjit_rt.a). The JIT defines them in every kernel's JITDylib from
// this one table, the persistent cache counts them as resolvable, and an
// exported kernel that calls them names the archive on its link line.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_RUNTIMESYMBOLS_H
#define SPECJIT_ENGINE_RUNTIMESYMBOLS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace specjit {
namespace engine {

struct RuntimeSymbol {
  llvm::StringRef name;
  void *address;
};

/// Every routine of lib/Runtime that generated code may call.
llvm::ArrayRef<RuntimeSymbol> runtimeSymbols();

/// Whether `name` is one of them.
bool isRuntimeSymbol(llvm::StringRef name);

} // namespace engine
} // namespace specjit

#endif // SPECJIT_ENGINE_RUNTIMESYMBOLS_H
