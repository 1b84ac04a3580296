// RUN: specjit-opt %s --spec-expand --convert-spec-to-loops | FileCheck %s

// Windows of period 128 and more call the exact rolling sums of
// Runtime/ExactWindow.h once per block; period 127 is still recomputed per
// row in vector registers. State: [0] rows seen; the sma's 126-value
// history at 8; the wma's exact window (14 header words + 128 ring values)
// at 1016; kama's {k, run, seeded} at 2152 and its exact window (14 + 201
// words) at 2176.
spec.series_kernel @long attributes {input_names = ["close"], input_types = [f64], output_names = ["sma127", "wma128", "kama200"], output_type = f64} {
  %0 = spec.series_input 0
  %1 = spec.sma %0 {period = 127 : i64}
  %2 = spec.wma %0 {period = 128 : i64}
  %3 = spec.kama %0 {period = 200 : i64, fast = 2 : i64, slow = 30 : i64}
  spec.series_output %1, %2, %3 : f64, f64, f64
}

// CHECK: llvm.func @specjit_rt_exact_window(i64, i64, !llvm.ptr, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK-SAME: %{{[a-z0-9]+}}: !llvm.ptr {llvm.noalias}, %[[S:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %{{[a-z0-9]+}}: !llvm.ptr {llvm.noalias}, %{{[a-z0-9]+}}: i64) -> i64
// Only the sma's history is filled with NaN on a fresh stream: the exact
// windows initialize their own state.
// CHECK: scf.if
// CHECK: scf.for %{{.+}} = %{{.+}} to %c126_i64
// CHECK: 0x7FF8000000000000
// CHECK-NOT: scf.for
// CHECK: }
// CHECK: scf.for %{{.+}} step %c256_i64
// The sma of 127: 32 rows at a time over a constant 127-value window.
// CHECK: scf.for %{{.+}} step %c32_i64
// CHECK: scf.for %{{.+}} = %{{.+}} to %c127_i64 step %{{.+}} iter_args({{.+}}) -> (vector<8xf64>, vector<8xf64>, vector<8xf64>, vector<8xf64>)
// The wma of 128: kind 1 (Weighted), its state at byte 1016, no kama columns.
// CHECK: %[[WST:.+]] = llvm.getelementptr inbounds %[[S]][%c1016_i64] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: llvm.call @specjit_rt_exact_window(%c1_i64{{[_0-9]*}}, %c128_i64, %[[WST]], %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %[[NONE:[0-9]+]], %[[NONE]])
// kama of 200: kind 3, its window at byte 2176, writing the volatility,
// x[t-n] and x[t-1] columns that the recurrence then reads.
// CHECK: %[[KST:.+]] = llvm.getelementptr inbounds %[[S]][%c2176_i64] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: llvm.call @specjit_rt_exact_window(%c3_i64, %c200_i64, %[[KST]], %{{[0-9]+}}, %{{[0-9]+}}, %[[VOL:[0-9]+]], %[[FIRST:[0-9]+]], %[[BEFORE:[0-9]+]])
// Once seeded, the recurrence speculates that every window of the block is
// clean (k + sc*(x - k), a flag for the others); a dirty block runs again
// with the full rules, and an unseeded one runs them directly.
// CHECK-NOT: vector<8xf64>
// CHECK: %[[SEEDED:.+]] = arith.cmpi ne, %{{.+}}, %c0_i64
// CHECK: scf.if %[[SEEDED]] -> (f64, i64, i64) {
// CHECK: %[[SPEC:.+]]:4 = scf.for {{.+}} -> (f64, i64, i64, i1)
// CHECK-DAG: llvm.getelementptr inbounds %[[FIRST]]
// CHECK-DAG: llvm.getelementptr inbounds %[[VOL]]
// CHECK: %[[DIRTY:.+]] = arith.xori %{{.+}}, %true : i1
// CHECK: arith.ori %{{.+}}, %[[DIRTY]] : i1
// CHECK: scf.if %[[SPEC]]#3 -> (f64, i64, i64) {
// CHECK: scf.for {{.+}} -> (f64, i64, i64)
// CHECK: llvm.getelementptr inbounds %[[BEFORE]]
// CHECK: scf.if
// CHECK: } else {
// CHECK: scf.yield %[[SPEC]]#0, %[[SPEC]]#1, %[[SPEC]]#2 : f64, i64, i64
// CHECK: } else {
// CHECK: scf.for {{.+}} -> (f64, i64, i64)
// CHECK-LABEL: func.func @specjit_state_bytes() -> i64
