// RUN: specjit-opt %s --spec-expand --convert-spec-to-loops | FileCheck %s

// Windows of period 65 and more call the exact rolling sums of
// Runtime/ExactWindow.h once per block; period 64 is still recomputed per
// row in vector registers. State: [0] rows seen; the sma's 63-value history
// at 8; the wma's exact window (14 header words + 65 ring values) at 512;
// kama's {k, run, seeded} at 1144 and its exact window (14 + 101 words) at
// 1168.
spec.series_kernel @long attributes {input_names = ["close"], input_types = [f64], output_names = ["sma64", "wma65", "kama100"], output_type = f64} {
  %0 = spec.series_input 0
  %1 = spec.sma %0 {period = 64 : i64}
  %2 = spec.wma %0 {period = 65 : i64}
  %3 = spec.kama %0 {period = 100 : i64, fast = 2 : i64, slow = 30 : i64}
  spec.series_output %1, %2, %3 : f64, f64, f64
}

// CHECK: llvm.func @specjit_rt_exact_window(i64, i64, !llvm.ptr, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK-SAME: %{{[a-z0-9]+}}: !llvm.ptr {llvm.noalias}, %[[S:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %{{[a-z0-9]+}}: !llvm.ptr {llvm.noalias}, %{{[a-z0-9]+}}: i64) -> i64
// Only the sma's history is filled with NaN on a fresh stream: the exact
// windows initialize their own state.
// CHECK: scf.if
// CHECK: scf.for %{{.+}} = %{{.+}} to %c63_i64
// CHECK: 0x7FF8000000000000
// CHECK-NOT: scf.for
// CHECK: }
// CHECK: scf.for %{{.+}} step %c256_i64
// The sma of 64: 32 rows at a time over a constant 64-value window.
// CHECK: scf.for %{{.+}} step %c32_i64
// CHECK: scf.for %{{.+}} = %{{.+}} to %c64_i64 step %{{.+}} iter_args({{.+}}) -> (vector<8xf64>, vector<8xf64>, vector<8xf64>, vector<8xf64>)
// The wma of 65: kind 1 (Weighted), its state at byte 512, no kama columns.
// CHECK: %[[WST:.+]] = llvm.getelementptr inbounds %[[S]][%c512_i64] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: llvm.call @specjit_rt_exact_window(%c1_i64{{[_0-9]*}}, %c65_i64, %[[WST]], %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %[[NONE:[0-9]+]], %[[NONE]])
// kama of 100: kind 3, its window at byte 1168, writing the volatility,
// x[t-n] and x[t-1] columns that the recurrence then reads.
// CHECK: %[[KST:.+]] = llvm.getelementptr inbounds %[[S]][%c1168_i64] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: llvm.call @specjit_rt_exact_window(%c3_i64, %c100_i64, %[[KST]], %{{[0-9]+}}, %{{[0-9]+}}, %[[VOL:[0-9]+]], %[[FIRST:[0-9]+]], %[[BEFORE:[0-9]+]])
// CHECK-NOT: vector<8xf64>
// CHECK: scf.for
// CHECK-DAG: llvm.getelementptr inbounds %[[FIRST]]
// CHECK-DAG: llvm.getelementptr inbounds %[[BEFORE]]
// CHECK-DAG: llvm.getelementptr inbounds %[[VOL]]
// CHECK: scf.if
// CHECK-LABEL: func.func @specjit_state_bytes() -> i64
