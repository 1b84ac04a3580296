//===- BuildCode.h - Descriptor to loaded native code -----------*- C++ -*-===//
//
// The one path from a descriptor to code in the JIT, taken by sync compiles
// in the caller and by tiered compiles in the compile service: the
// compiler (timed per stage), then ORC.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_BUILDCODE_H
#define SPECJIT_ENGINE_BUILDCODE_H

#include "Engine/Codegen.h"
#include "specjit/Compile.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace specjit {
namespace engine {

class LoadedCode;

struct BuiltCode {
  std::shared_ptr<LoadedCode> code;
  unsigned units = 1;
  /// Wall ms of each stage, as jit::StageTimes names them.
  std::vector<std::pair<std::string, double>> stages;
  bool fromDisk = false;
};

/// Compiles and loads `d`'s kernel. A failure's message says why the kernel
/// cannot be compiled; a link failure starts with "jit: ". `onStage`, when
/// set, receives every stage's text (dumps). The maxKernelOps limit applies.
llvm::Expected<BuiltCode> buildCode(const jit::Descriptor &d, const jit::CompileOptions &o,
                                    std::function<void(jit::Stage, llvm::StringRef)> onStage = {});

/// `d`'s code from the persistent cache alone (no compile), when `o` wants
/// the cache and an entry loads and links; a tiered compile() takes it at
/// once, so a restarted process reaches compiled code without interpreting.
std::optional<BuiltCode> loadCodeFromDisk(const jit::Descriptor &d, const jit::CompileOptions &o);

/// The code generator's share of the compile options (all of them but the
/// stage callbacks).
CodegenOptions codegenOptionsFor(const jit::CompileOptions &o);

} // namespace engine
} // namespace specjit

#endif
