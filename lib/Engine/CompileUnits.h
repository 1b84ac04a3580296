//===- CompileUnits.h - One kernel module as parallel compile units -*- C++ -*-===//
//
// LLVM's optimizer and code generator run on one module on one thread. A
// large kernel (big tree ensembles: the kernel plus many noinline
// `specjit_trees_N` chunks) is split by function into a few modules balanced
// by instruction count; each moves into its own LLVMContext (through bitcode
// in memory) and is optimized and compiled on its own thread with its own
// TargetMachine. The objects all go into the kernel's one JITDylib.
//
// LLVM-only: kept apart from the MLIR half of the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_COMPILEUNITS_H
#define SPECJIT_ENGINE_COMPILEUNITS_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace specjit {
namespace engine {

/// Below this many LLVM IR instructions (before optimization) a kernel
/// compiles as one unit. A split costs ~10-15 ms of CPU whatever the size
/// (bitcode, a TargetMachine and a thread per unit, the declarations every
/// unit repeats) plus ~3% of the LLVM work; at 8000 instructions (~250 ms of
/// O3 and codegen on one thread) two units already cut the LLVM wall time
/// by ~45%. Measured on tree ensembles: bench/notes.md, "Large kernels as
/// parallel compile units".
constexpr size_t kMinSplitInstructions = 8000;

/// The hardware threads this process may run on (at least 1).
unsigned hardwareThreads();

/// Which unit each defined function of a module goes to, in module order.
struct UnitPlan {
  unsigned units = 1;
  std::vector<unsigned> unitOfFunction; ///< one per defined function
  std::vector<size_t> instructions;     ///< per unit
};

/// A split of `m` into at most `maxUnits` (0: hardwareThreads()) units
/// balanced by instruction count, or std::nullopt when `m` should compile as
/// one unit: fewer than `minInstructions`, a single defined function, or
/// too little work outside the largest function for a second thread.
std::optional<UnitPlan> planCompileUnits(const llvm::Module &m, unsigned maxUnits,
                                         size_t minInstructions = kMinSplitInstructions);

/// The units of one kernel, each in its own LLVMContext.
class CompileUnits {
public:
  /// Splits `m` as `plan` says. Internal functions referenced from another
  /// unit become external (hidden) definitions in their unit and
  /// declarations in the others; internal constants are copied into each
  /// unit that uses them. `m` is written to bitcode once; units 1.. read it
  /// lazily into their own contexts, each materializing only its own
  /// bodies; unit 0 is what remains of `m`, which it takes (its LLVMContext
  /// must outlive the units). Fails, leaving `m` as it was (the caller
  /// compiles it whole), on what the split does not handle: aliases,
  /// ifuncs, appending globals, non-constant globals used by several units.
  static llvm::Expected<std::unique_ptr<CompileUnits>> split(std::unique_ptr<llvm::Module> &m,
                                                             const UnitPlan &plan, int optLevel);
  ~CompileUnits();

  unsigned size() const { return static_cast<unsigned>(units_.size()); }

  /// Reads each unit into its own context and runs optimizeModule on it,
  /// one thread per unit (unit 0 on the caller's).
  llvm::Error optimize();
  /// One object file per unit, one thread per unit.
  llvm::Expected<std::vector<std::unique_ptr<llvm::MemoryBuffer>>> emit();

  struct Shared;
  struct Unit;

private:
  CompileUnits();
  int optLevel_ = 3;
  std::unique_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Unit>> units_;
};

} // namespace engine
} // namespace specjit

#endif
