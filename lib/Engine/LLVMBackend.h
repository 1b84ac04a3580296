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
} // namespace llvm

namespace specjit {
namespace engine {

/// A TargetMachine for the host CPU (all its features), at `optLevel`.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createHostTargetMachine(int optLevel);

/// Whether `tm` targets a CPU with AVX-512F.
bool hasAVX512(llvm::TargetMachine &tm);

/// Sets triple, data layout and host CPU attributes on `m`.
void prepareModuleForHost(llvm::Module &m, llvm::TargetMachine &tm);

/// The O0-O3 pipeline with the host's TargetTransformInfo and, where
/// available, the vector math library mappings (libmvec). With `timing`,
/// appends the time of every pass (LLVM's -time-passes report).
void optimizeModule(llvm::Module &m, llvm::TargetMachine &tm, int optLevel,
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
