// RUN: specjit-opt %s -split-input-file --spec-expand --convert-spec-to-loops | FileCheck %s
// RUN: specjit-opt %s -split-input-file --spec-expand --convert-spec-to-loops=walk-max-block-rows=16 | FileCheck %s --check-prefix=SMALL
// RUN: not specjit-opt %s -split-input-file --convert-spec-to-loops=walk-max-block-rows=12 2>&1 | FileCheck %s --check-prefix=BAD

// The walk layout: spec-expand leaves the ensemble alone; convert-spec-to-loops
// keeps the nodes in constant arrays, renumbered breadth-first per tree so a
// split's children are adjacent (right = left + 1), and a leaf is its own
// left child. A node's meta word is (row * blockRows) << 32 | (left - self),
// where row is the feature-matrix row it reads: feature f with NaN as -inf
// (row f) for splits sending NaN left, with NaN as +inf (row F + f) for the
// others, and row 2F (all -inf) for leaves. Here F = 2 and blocks have 256
// rows: 1 << 40 = row 4 (leaves), 768 << 32 | 1 = row 3 (b, NaN right) with
// the left child next, 1 = row 0 (a, NaN left) with the left child next.
//
// tree 0: a < 0.5 (NaN left) ? 1.0 : (b < 2 (NaN right) ? 2.0 : 3.0)
// tree 1: b < 2 (NaN right) ? -1.0 : 1.0
// Trees go in groups of 8 walked together, as deep as the deepest; the last
// group is filled with trees of one leaf (node 8) adding -0.0.
// CHECK-DAG: llvm.mlir.global private constant @specjit_tree_value(dense<[5.000000e-01, 1.000000e+00, 2.000000e+00, 2.000000e+00, 3.000000e+00, 2.000000e+00, -1.000000e+00, 1.000000e+00, -0.000000e+00]> : tensor<9xf32>)
// CHECK-DAG: llvm.mlir.global private constant @specjit_tree_meta(dense<[1, 4398046511104, 3298534883329, 4398046511104, 4398046511104, 3298534883329, 4398046511104, 4398046511104, 4398046511104]> : tensor<9xi64>)
// CHECK-DAG: llvm.mlir.global private constant @specjit_tree_root(dense<[0, 5, 8, 8, 8, 8, 8, 8]> : tensor<8xi32>)
// CHECK-DAG: llvm.mlir.global private constant @specjit_tree_output(dense<0> : tensor<8xi32>)
// CHECK-DAG: llvm.mlir.global private constant @specjit_group_depth(dense<2> : tensor<1xi32>)
// With walk-max-block-rows=16, blocks of 16 rows: the meta words' rows and
// the scratch shrink with them.
// SMALL-DAG: llvm.mlir.global private constant @specjit_tree_meta(dense<[1, 274877906944, 206158430209, 274877906944, 274877906944, 206158430209, 274877906944, 274877906944, 274877906944]> : tensor<9xi64>)
// SMALL-LABEL: func.func private @specjit_kernel_body(
// SMALL: llvm.alloca %c80_i64 x f32 {alignment = 64 : i64}
// SMALL: llvm.alloca %c128_i64 x i32 {alignment = 64 : i64}
// SMALL: llvm.alloca %c16_i64 x f32 {alignment = 64 : i64}
// BAD: walk-max-block-rows must be a multiple of 8 of at least 8, not 12
// CHECK-LABEL: func.func private @specjit_kernel_body(
// The scratch: 5 feature rows x 256 f32, 8 x 256 node indices, 256 f32 sums.
// CHECK: llvm.alloca %c1280_i64 x f32 {alignment = 64 : i64}
// CHECK: llvm.alloca %c2048_i64 x i32 {alignment = 64 : i64}
// CHECK: llvm.alloca %c256_i64 x f32 {alignment = 64 : i64}
// The blocks, then per block: 1. the features in f32, twice (NaN as -inf,
// then as +inf) ...
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[X:.+]] = arith.truncf %{{.+}} : f64 to f32
// CHECK: %[[NAN:.+]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK: arith.select %[[NAN]], %{{.+}}, %[[X]] : f32
// CHECK: llvm.store
// CHECK: arith.select %[[NAN]], %{{.+}}, %[[X]] : f32
// CHECK: llvm.store
// ... 2. the walk ...
// CHECK: func.call @specjit_tree_walk(
// ... 3. the rest of the row from the sums.
// CHECK: arith.extf %{{.+}} : f32 to f64
// CHECK: llvm.store
// The walk, which LLVM keeps scalar: sums start at the base score ...
// CHECK-LABEL: func.func private @specjit_tree_walk(
// CHECK-SAME: attributes {passthrough = ["noinline", "noimplicitfloat"]}
// CHECK: arith.constant 1.000000e-01 : f32
// ... fewer than 4 rows: a row at a time, 8 trees stepped together (one
// compare per step, x >= t: x is never NaN), then their leaves in order ...
// CHECK: %[[FEW:.+]] = arith.cmpi slt, %{{.+}}, %c4_i64 : i64
// CHECK: scf.if %[[FEW]] {
// CHECK: scf.for {{.+}} iter_args({{.+}}) -> (i64, i64, i64, i64, i64, i64, i64, i64)  : i64 {
// CHECK-COUNT-8: arith.cmpf uge, %{{.+}}, %{{.+}} : f32
// CHECK: scf.yield
// CHECK-COUNT-8: arith.addf %{{.+}}, %{{.+}} : f32
// ... else level by level over the block: the roots, the deeper levels, the
// leaves added in tree order.
// CHECK: } else {
// CHECK: arith.cmpf uge, %{{.+}}, %{{.+}} : f32
// CHECK: arith.cmpf uge, %{{.+}}, %{{.+}} : f32
// CHECK: arith.addf %{{.+}}, %{{.+}} : f32
// CHECK-NOT: scf.if
// CHECK: return
spec.kernel @trees attributes {input_names = ["a", "b"], input_types = [f64, f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.input 1 : f64
  %m = spec.tree_ensemble %0, %1 {node_features = array<i32: 0, -1, 1, -1, -1, 1, -1, -1>,
      thresholds = array<f64: 0.5, 0.0, 2.0, 0.0, 0.0, 2.0, 0.0, 0.0>,
      left = array<i32: 1, -1, 3, -1, -1, 6, -1, -1>, right = array<i32: 2, -1, 4, -1, -1, 7, -1, -1>,
      default_left = array<i1: true, true, false, true, true, false, true, true>,
      leaves = array<f64: 0.0, 1.0, 0.0, 2.0, 3.0, 0.0, -1.0, 1.0>,
      roots = array<i32: 0, 5>, groups = array<i32: 0, 0>, base_score = array<f64: 0.1>,
      average = false, float32 = true, layout = #spec.tree_layout<walk>} : (f64, f64) -> f64
  spec.output %m : f64
}

// -----

// Averaged f64 forests: the sums start at -0.0 (which adds exactly) and the
// margin is base + sum / count, as the branches layout computes it.
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK: %[[N:.+]] = arith.constant 2.000000e+00 : f64
// CHECK: %[[MEAN:.+]] = arith.divf %{{.+}}, %[[N]] : f64
// CHECK: arith.addf %{{.+}}, %[[MEAN]] : f64
// CHECK-LABEL: func.func private @specjit_tree_walk(
// CHECK: arith.constant -0.000000e+00 : f64
// CHECK: arith.addf %{{.+}}, %{{.+}} : f64
spec.kernel @forest attributes {input_names = ["a"], input_types = [f64], output_names = ["m"], output_type = f64} {
  %0 = spec.input 0 : f64
  %m = spec.tree_ensemble %0 {node_features = array<i32: 0, -1, -1, -1>,
      thresholds = array<f64: 0.5, 0.0, 0.0, 0.0>,
      left = array<i32: 1, -1, -1, -1>, right = array<i32: 2, -1, -1, -1>,
      default_left = array<i1: false, false, false, false>,
      leaves = array<f64: 0.0, 1.0, 3.0, 7.0>,
      roots = array<i32: 0, 3>, groups = array<i32: 0, 0>, base_score = array<f64: 0.25>,
      average = true, float32 = false, layout = #spec.tree_layout<walk>} : (f64) -> f64
  spec.output %m : f64
}

