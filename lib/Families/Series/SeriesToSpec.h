//===- SeriesToSpec.h - A series descriptor in the spec dialect ---*- C++ -*-===//
//
// The series family's import: one primitive (window, ema stage, kama,
// crossover) per stateful piece, arith for the rest, in the order of
// docs/series-semantics.md and of the interpreter.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_SERIES_SERIESTOSPEC_H
#define SPECJIT_LIB_FAMILIES_SERIES_SERIESTOSPEC_H

#include "Families/Series/SeriesSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace specjit {
namespace jit {

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importSeries(mlir::MLIRContext &ctx,
                                                               const SeriesSpec &spec);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_SERIES_SERIESTOSPEC_H
