//===- Passes.h - specjit conversion passes ---------------------*- C++ -*-===//
#ifndef SPECJIT_CONVERSION_PASSES_H
#define SPECJIT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class OpPassManager;
namespace arith { class ArithDialect; }
namespace math { class MathDialect; }
namespace func { class FuncDialect; }
namespace scf { class SCFDialect; }
namespace LLVM { class LLVMDialect; }
} // namespace mlir

namespace specjit {

#define GEN_PASS_DECL
#include "specjit/Conversion/Passes.h.inc"

/// spec -> scf/arith/math: spec-expand, convert-spec-to-loops, canonicalize.
void buildSpecToLoopsPipeline(mlir::OpPassManager &pm);
/// scf/arith/math/func -> llvm dialect (the standard conversions).
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers the passes and the `specjit-lower-to-llvm` pipeline (both of the
/// above) with the global registry, for specjit-opt.
void registerSpecjitPasses();

} // namespace specjit

#endif // SPECJIT_CONVERSION_PASSES_H
