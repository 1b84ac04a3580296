//===- Codegen.h - Descriptor to a host object file -------------*- C++ -*-===//
//
// The compiler proper: import -> spec-to-loops -> loops-to-llvm -> LLVM IR ->
// optimization for the host CPU -> object code. Every stage can be observed
// (for --emit and dumps) and made to fail (for fallback tests).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_CODEGEN_H
#define SPECJIT_ENGINE_CODEGEN_H

#include "specjit/Compile.h"

#include "llvm/Support/MemoryBuffer.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class TimingScope;
} // namespace mlir

namespace specjit {
namespace engine {

struct CodegenOptions {
  int optLevel = 3;
  size_t maxKernelOps = 0; ///< 0: no limit
  jit::TreeLayout treeLayout = jit::TreeLayout::Auto;
  /// Most compile units for a large kernel (0: the hardware threads, 1:
  /// never split). See CompileUnits.h.
  unsigned compileThreads = 0;
  /// When set, the kernel is given its own symbol names so that several
  /// kernels link into one program (ahead-of-time export, Export.h): the
  /// entry is renamed to this, the series state-size function to
  /// `<entrySymbol>_state_bytes`, and every other external definition is
  /// prefixed with `<entrySymbol>_`. Applied to the LLVM IR before
  /// optimization; names do not change the code. Empty: the JIT's names
  /// (KernelABI.h).
  std::string entrySymbol;

  /// Stop after producing this stage (its text is still reported).
  std::optional<jit::Stage> stopAfter;
  /// When set, receives the text of every stage as it is produced.
  std::function<void(jit::Stage, llvm::StringRef)> onStage;
  /// When set, each stage runs in a timing scope nested in this one
  /// (StageTiming.h), named as jit::stageName(), plus "split" (dividing the
  /// LLVM module into compile units) when a large kernel is compiled in
  /// parallel (llvm-opt and obj are then the wall times of all units), and
  /// "disk-load" for a kernel the disk cache holds.
  mlir::TimingScope *timing = nullptr;
  /// When set, receives the time of every pass: the MLIR stages with their
  /// passes nested (a tree), then LLVM's optimization and code generation
  /// passes (their -time-passes reports). The module then compiles whole.
  /// Diagnostic (the driver's --pass-timing): one compile at a time.
  llvm::raw_ostream *passTiming = nullptr;
};

/// Relocatable objects of one kernel, to be linked together.
using ObjectFiles = std::vector<std::unique_ptr<llvm::MemoryBuffer>>;

/// Compiles `d` to relocatable objects for the host: one object, or one per
/// compile unit when the kernel is large enough to compile in parallel
/// (CompileUnits.h). A compile that reports stage text (onStage: --emit,
/// dumps) keeps the module whole, so what it shows is what runs. With
/// stopAfter set, the result is empty on success.
llvm::Expected<ObjectFiles> compileToObjects(const jit::Descriptor &d,
                                             const CodegenOptions &options);

/// Fails with an "injected failure" error when the test hook targets `s`.
llvm::Error checkInjectedFailure(jit::Stage s);
/// Whether the failure-injection test hook is set.
bool failureInjectionActive();

/// Whether a vector math library (glibc libmvec) is loaded and used.
bool vectorMathAvailable();

/// Initializes LLVM's native target once (thread-safe).
void initializeNativeTarget();

} // namespace engine
} // namespace specjit

#endif
