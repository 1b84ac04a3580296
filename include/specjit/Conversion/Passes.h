//===- Passes.h - specjit conversion passes ---------------------*- C++ -*-===//
#ifndef SPECJIT_CONVERSION_PASSES_H
#define SPECJIT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

#include <optional>

namespace mlir {
class OpPassManager;
namespace arith { class ArithDialect; }
namespace math { class MathDialect; }
namespace func { class FuncDialect; }
namespace scf { class SCFDialect; }
namespace LLVM { class LLVMDialect; }
} // namespace mlir

namespace specjit {

/// Lookups (string, one_hot and label_encode keys) with at least this many
/// keys lower to constant tables searched at run time; fewer keys to a
/// compare chain, which is faster there (docs/pipeline-semantics.md,
/// "How lookups lower", has the measurements).
constexpr unsigned kLookupTableMinKeys = 32;

/// The code shape of a lookup op: the discardable attribute `spec.lookup`.
enum class LookupShape { Chain, Table };
inline constexpr const char *kLookupShapeAttr = "spec.lookup";

/// Whether `op` is a lookup (spec.str_lookup, spec.one_hot, spec.label_encode)
/// and, if so, the shape spec-expand gives it: the one recorded on the op,
/// else Table when it has at least `tableMinKeys` keys (never when 0) and its
/// keys are strings or integers. Float categories always take the chain.
std::optional<LookupShape> lookupShape(mlir::Operation *op, unsigned tableMinKeys);

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
