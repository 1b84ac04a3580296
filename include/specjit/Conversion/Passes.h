//===- Passes.h - specjit conversion passes ---------------------*- C++ -*-===//
#ifndef SPECJIT_CONVERSION_PASSES_H
#define SPECJIT_CONVERSION_PASSES_H

#include "specjit/Compile.h"

#include "mlir/Pass/Pass.h"

#include <optional>

namespace mlir {
class OpPassManager;
namespace arith {
class ArithDialect;
}
namespace math {
class MathDialect;
}
namespace func {
class FuncDialect;
}
namespace scf {
class SCFDialect;
}
namespace LLVM {
class LLVMDialect;
}
} // namespace mlir

namespace specjit {

/// String lookups (and the one_hot / label_encode on their indices) with at
/// least this many keys lower to constant tables searched at run time; fewer
/// keys to a compare chain, which is faster there (docs/pipeline-semantics.md,
/// "How lookups lower", has the measurements).
constexpr unsigned kLookupTableMinKeys = 32;
/// The same for one_hot / label_encode on integer columns, whose chain of
/// compares vectorizes and so wins up to more keys.
constexpr unsigned kLookupTableMinIntKeys = 128;

/// spec-expand splits a branches-layout tree ensemble of more than twice
/// this many nodes into functions of whole trees of about this many nodes
/// (code generation stays linear in the trees; option tree-chunk-nodes).
constexpr int64_t kTreeChunkNodes = 256;
/// The largest block of rows the walk layout runs through its trees at once
/// (fewer when the block's scratch would pass 256 KiB; option
/// walk-max-block-rows of convert-spec-to-loops).
constexpr int64_t kWalkMaxBlockRows = 256;
/// The smallest, and the multiple every block is rounded down to.
constexpr int64_t kWalkMinBlockRows = 8;

/// The code shape of a lookup op: the discardable attribute `spec.lookup`.
enum class LookupShape { Chain, Table };
inline constexpr const char *kLookupShapeAttr = "spec.lookup";

/// Whether `op` is a lookup (spec.str_lookup, spec.one_hot, spec.label_encode)
/// and, if so, the shape spec-expand gives it: the one recorded on the op,
/// else Table when it has at least `tableMinKeys` keys (strings, and the
/// indices a string lookup yields) or `tableMinIntKeys` keys (integer
/// columns); never when the limit is 0. Float categories take the chain.
std::optional<LookupShape> lookupShape(mlir::Operation *op, unsigned tableMinKeys,
                                       unsigned tableMinIntKeys);

#define GEN_PASS_DECL
#include "specjit/Conversion/Passes.h.inc"

/// spec -> scf/arith/math: spec-select-tree-layout (with `treeLayout`),
/// spec-expand, convert-spec-to-loops, canonicalize, cse.
void buildSpecToLoopsPipeline(mlir::OpPassManager &pm,
                              jit::TreeLayout treeLayout = jit::TreeLayout::Auto);
/// scf/arith/math/func -> llvm dialect (the standard conversions).
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers the passes and the `specjit-lower-to-llvm` pipeline (both of the
/// above) with the global registry, for specjit-opt.
void registerSpecjitPasses();

} // namespace specjit

#endif // SPECJIT_CONVERSION_PASSES_H
