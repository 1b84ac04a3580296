//===- RuntimeSymbols.cpp - What compiled kernels call in specjit ---------===//

#include "Engine/RuntimeSymbols.h"

#include "Runtime/ExactWindow.h"

#include "llvm/ADT/STLExtras.h"

namespace specjit {
namespace engine {

llvm::ArrayRef<RuntimeSymbol> runtimeSymbols() {
  static const RuntimeSymbol symbols[] = {
      {"specjit_rt_exact_window", reinterpret_cast<void *>(&specjit_rt_exact_window)},
  };
  return symbols;
}

bool isRuntimeSymbol(llvm::StringRef name) {
  return llvm::any_of(runtimeSymbols(), [&](const RuntimeSymbol &s) { return s.name == name; });
}

} // namespace engine
} // namespace specjit
