//===- LLVMBackend.h - LLVM IR optimization and code emission ---*- C++ -*-===//
//
// Kept apart from the MLIR half of the compiler so that neither translation
// unit carries both sets of heavy headers.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_LLVMBACKEND_H
#define SPECJIT_ENGINE_LLVMBACKEND_H

#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
namespace orc {
class JITTargetMachineBuilder;
} // namespace orc
} // namespace llvm

namespace specjit {
namespace engine {

/// What kernels are compiled for: the host CPU with all its features, the
/// small code model, position-independent code. SPECJIT_TARGET_CPU (and
/// optionally SPECJIT_TARGET_FEATURES, LLVM's "+avx512f,..." list) name
/// another CPU instead: a diagnostic for measuring compiles under emulators
/// such as valgrind, whose emulated CPU hides AVX-512 (kernels compiled for
/// features the host lacks cannot run on it); an unknown CPU name is an
/// error. Each thread reads them when it makes its first TargetMachine.
llvm::Expected<llvm::orc::JITTargetMachineBuilder> hostTargetBuilder();

/// A TargetMachine for hostTargetBuilder()'s target at `optLevel`.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createHostTargetMachine(int optLevel);

/// This thread's TargetMachine for `optLevel`, made on first use and then
/// reused by the thread's compiles (one at a time).
llvm::Expected<llvm::TargetMachine &> threadHostTargetMachine(int optLevel);

/// Whether `tm` targets a CPU with AVX-512F.
bool hasAVX512(llvm::TargetMachine &tm);

/// Keeps only the kernel ABI's entry points (KernelABI.h) external: every
/// other definition becomes internal, and a function called once, from the
/// entry, is kept out of line unless it asks to be inlined.
void setKernelLinkage(llvm::Module &m);

/// Marks the counter increment of every counted loop nsw: a loop whose
/// header tests `iv < bound` (signed, bound invariant) and whose latch adds
/// a positive constant step of at most 2^16 to iv. The body runs only with
/// iv < bound, and every bound a kernel loops to is a row count, a block
/// size or a constant, all far below 2^63 - 2^16, so iv + step cannot wrap.
/// The lowering's scf.for loops reach LLVM without the flag; with it, the
/// loop vectorizer knows strided row addresses do not wrap and emits no
/// run-time overflow checks for them.
void markCountedLoops(llvm::Module &m);

/// Sets triple, data layout and host CPU attributes on `m`.
void prepareModuleForHost(llvm::Module &m, llvm::TargetMachine &tm);

/// Which LLVM pass pipeline optimizes a kernel at -O2/-O3.
enum class PassPipeline {
  /// LLVM's own per-module default pipeline for the level.
  Default,
  /// The passes row-loop kernels need, once each: SROA, early CSE, CFG
  /// simplification, one round of instcombine, loop rotation and LICM,
  /// induction variables, the loop vectorizer with the vector math
  /// mappings, then instcombine and CFG clean-up. No inliner (kernel bodies
  /// are out of line by design, setKernelLinkage; always-inline helpers
  /// are still inlined), GVN, SLP or unrolling. For the families that say
  /// it runs as fast (Family::leanOptimization); -O0/-O1 ignore it.
  Lean,
};

/// The O0-O3 pipeline (or the lean one) with the host's
/// TargetTransformInfo and, where available, the vector math library
/// mappings (libmvec). With `timing`, appends the time of every pass
/// (LLVM's -time-passes report).
void optimizeModule(llvm::Module &m, llvm::TargetMachine &tm, int optLevel,
                    PassPipeline pipeline = PassPipeline::Default,
                    llvm::raw_ostream *timing = nullptr);

/// Machine code for `m`, as assembly text or an object file. With
/// `timing`, appends the time of every code generation pass (this sets
/// LLVM's process-wide -time-passes flag for the duration: diagnostic use,
/// one compile at a time).
llvm::Expected<std::string> emitMachineCode(llvm::Module &m, llvm::TargetMachine &tm, bool assembly,
                                            llvm::raw_ostream *timing = nullptr);

} // namespace engine
} // namespace specjit

#endif
