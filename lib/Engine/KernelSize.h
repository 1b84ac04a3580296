//===- KernelSize.h - The lowered size of a kernel, before lowering -*- C++ -*-===//
//
// The compile-time guard: from the spec module right after import, in one
// walk over its ops, an estimate of how many operations the lowered kernel
// will have (the count CompileOptions::maxKernelOps bounds), so that a
// kernel LLVM would take too long to compile falls back to the interpreter
// before any lowering runs. The estimate follows the lowering's own
// decisions (a lookup's chain or table shape, a tree ensemble's layout and
// chunks) and counts, per op, what its lowering emits per key, category,
// term, edge, node or weight; docs/architecture.md ("Compile-time budget")
// lists the weights and how they were measured.
//
//===----------------------------------------------------------------------===//
#ifndef SPECJIT_ENGINE_KERNELSIZE_H
#define SPECJIT_ENGINE_KERNELSIZE_H

#include "specjit/Compile.h"
#include "specjit/Descriptor.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <string>

namespace specjit {
namespace engine {

struct KernelSizeEstimate {
  /// Operations of the largest function after lowering (the row loop's, or
  /// a chunk of trees'), and of all functions.
  size_t largest = 0, total = 0;
  /// The op that contributes most, as "steps[2] one_hot of 100000
  /// categories (chain)", and its share of the operations.
  std::string dominant;
  size_t dominantOps = 0;
};

/// Estimates the lowered size of the kernel in `module` (a spec module from
/// the importer), with lookups taking the shape spec-expand gives them
/// (`lookupTableMinKeys` for strings, kLookupTableMinIntKeys for integers;
/// 0: every lookup a chain).
KernelSizeEstimate estimateKernelSize(mlir::ModuleOp module, unsigned lookupTableMinKeys);

/// A part of the same estimate read from the descriptor alone, before
/// import (which itself costs seconds for steps of ~10^6 columns): the
/// polynomial terms and bucketize edges of a pipeline (or a model's
/// pipeline) and the stores of the output columns that are not one_hot
/// columns taking the table. Never more than estimateKernelSize().
KernelSizeEstimate estimateDescriptorFloor(const jit::Descriptor &d, unsigned lookupTableMinKeys);

/// The work of compiling `d`, in lowered operations, read from the
/// descriptor alone (the tiering cost model asks before anything is
/// imported, in the caller's thread): the pipeline part as
/// estimateDescriptorFloor() counts it plus each stage's lowered operations
/// as estimateKernelSize() weighs them (a tree ensemble in the layout
/// resolveTreeLayout() gives it; the walk's node tables, constant data,
/// count one unit per 400 nodes). Within a small factor of
/// estimateKernelSize()'s total on the same kernel; the cost model
/// calibrates the rest away with measured compile times.
size_t estimateCompileWork(const jit::Descriptor &d, jit::TreeLayout layout,
                           unsigned lookupTableMinKeys);

/// Fails, naming the dominant op and the numbers, when the estimate exceeds
/// the limits of CompileOptions::maxKernelOps: `maxKernelOps` for the
/// largest function, 40 times that in all. 0 means no limit.
llvm::Error checkKernelSize(const KernelSizeEstimate &e, size_t maxKernelOps);

/// The limit on all functions together for a given maxKernelOps.
constexpr size_t totalKernelOpsLimit(size_t maxKernelOps) { return 40 * maxKernelOps; }

} // namespace engine
} // namespace specjit

#endif
