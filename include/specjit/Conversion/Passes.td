//===- Passes.td - specjit conversion passes ---------------*- tablegen -*-===//
#ifndef SPECJIT_CONVERSION_PASSES
#define SPECJIT_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def SpecSelectTreeLayout : Pass<"spec-select-tree-layout", "::mlir::ModuleOp"> {
  let summary = "Choose the code shape of every spec.tree_ensemble";
  let description = [{
    Gives every spec.tree_ensemble without a `layout` one:
    `#spec.tree_layout<branches>` (nested scf.if, expanded by spec-expand)
    or `#spec.tree_layout<walk>` (constant node arrays walked by
    convert-spec-to-loops), by the rule of specjit/Conversion/
    SelectTreeLayout.h applied to the op's node count, input count and
    deepest tree: `layout=auto` (the default) chooses, `layout=branches`
    asks for branches (trees deeper than 64 levels still take the walk),
    `layout=walk` for the walk. An op that already carries a layout keeps it.
  }];
  let options = [
    Option<"layout", "layout", "::specjit::jit::TreeLayout",
           /*default=*/"::specjit::jit::TreeLayout::Auto",
           "The layout asked for: auto, branches or walk",
           [{::llvm::cl::values(
               clEnumValN(::specjit::jit::TreeLayout::Auto, "auto", "choose by the rule"),
               clEnumValN(::specjit::jit::TreeLayout::Branches, "branches", "nested branches"),
               clEnumValN(::specjit::jit::TreeLayout::Walk, "walk", "the level walk"))}]>,
  ];
}

def SpecExpand : Pass<"spec-expand", "::mlir::ModuleOp"> {
  let summary = "Expand spec stage ops into arith and math ops";
  let description = [{
    Rewrites every stage op (standardize, one_hot, polynomial, expr, ...) of
    every spec.kernel into arith/math ops on scalars, with its configuration
    as constants. Data checks become spec.check. Leaves spec.kernel,
    spec.input, spec.output, spec.check and spec.str_lookup for
    convert-spec-to-loops.

    Lookups (spec.str_lookup, and spec.one_hot / spec.label_encode on i64)
    get a code shape, recorded as the attribute `spec.lookup`: "chain" (one
    compare per key, expanded here) or "table" (constant tables searched at
    run time, left for convert-spec-to-loops). String lookups (and the
    one_hot / label_encode on their indices) with at least
    `lookup-table-min-keys` keys take the table, integer columns with at
    least `lookup-table-min-int-keys` (0: never); an op that already
    carries `spec.lookup` keeps it.
  }];
  let options = [
    Option<"lookupTableMinKeys", "lookup-table-min-keys", "unsigned",
           /*default=*/"::specjit::kLookupTableMinKeys",
           "String lookups with at least this many keys lower to tables (0: never)">,
    Option<"lookupTableMinIntKeys", "lookup-table-min-int-keys", "unsigned",
           /*default=*/"::specjit::kLookupTableMinIntKeys",
           "Integer lookups with at least this many keys lower to tables (0: never)">,
    Option<"treeChunkNodes", "tree-chunk-nodes", "int64_t",
           /*default=*/"::specjit::kTreeChunkNodes",
           "Branches-layout ensembles of more than twice this many nodes become "
           "functions of whole trees of about this many nodes (at least 1)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect"];
}

def ConvertSpecToLoops : Pass<"convert-spec-to-loops", "::mlir::ModuleOp"> {
  let summary = "Turn spec.kernel into a row loop with the kernel C ABI";
  let description = [{
    Each spec.kernel becomes `func.func @specjit_kernel(%args: !llvm.ptr,
    %out: !llvm.ptr, %rows: i64) -> i64`, which loads the column pointers and
    calls a private body function whose pointer arguments are `noalias`. The
    body checks every row first when the kernel has data checks (returning
    row + 1 of the first failure), then runs an scf.for over the rows that
    loads the inputs, computes the row, and stores the output row.
    spec.rules_kernel, spec.series_kernel, spec.train_step and
    spec.metrics_pass become the same entry over their own loops (the state
    matrix, blocks of time steps, one batch of training, the rows of an
    evaluation). Lookups with `spec.lookup = "table"` read constant
    tables (LLVM globals): a string hash table, or for integers an identity
    range, a dense index or a sorted array searched by binary search; a
    one_hot run of output columns is zeroed with a memset and its one 1.0
    stored. In a series kernel, windows shorter than 128 values are
    recomputed per row in vector registers (weighted ones up to 32 values
    unrolled with constant weights), longer ones call
    `specjit_rt_exact_window` (declared in the module; its exact rolling
    sums live in lib/Runtime) once per block of 256 rows; ema stages and
    kama run their steady rows first on the speculation that the block
    holds no NaN, and again with the NaN rules when it did.
  }];
  let options = [
    Option<"walkMaxBlockRows", "walk-max-block-rows", "int64_t",
           /*default=*/"::specjit::kWalkMaxBlockRows",
           "The largest block of rows a walk-layout tree ensemble runs at once "
           "(a multiple of 8, at least 8)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

#endif // SPECJIT_CONVERSION_PASSES
