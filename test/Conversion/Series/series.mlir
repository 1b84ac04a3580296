// RUN: specjit-opt %s --spec-expand --convert-spec-to-loops | FileCheck %s

// sma of 3, an ema stage of 4 seeded by the mean of the first 4, and their
// crossover. State: [0] rows seen; sma history (2 f64) at 8; ema {e, sum,
// count} at 24; crossover's previous values at 48: 64 persistent bytes. The
// call's scratch follows on the heap, not the stack: the block columns of
// the values read across loops (the price, the sma), 256 + 32 rows each, and
// the sma's window extent of 2 + 256 + 32 values: 6928 bytes; 6992 in all.
spec.series_kernel @tiny attributes {input_names = ["close"], input_types = [f64], output_names = ["sma3", "ema4", "cross"], output_type = f64} {
  %0 = spec.series_input 0
  %1 = spec.sma %0 {period = 3 : i64}
  %2 = spec.ema %0 {period = 4 : i64, seed_sma}
  %3 = spec.crossover %1, %2
  spec.series_output %1, %2, %3 : f64, f64, f64
}

// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK-SAME: %[[X:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %[[S:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %[[OUT:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %[[ROWS:[a-z0-9]+]]: i64) -> i64
// A fresh stream fills the histories with NaN.
// CHECK: %[[T0:.+]] = llvm.load %[[S]] : !llvm.ptr -> i64
// CHECK: scf.if
// CHECK: 0x7FF8000000000000
// Blocks of 256 rows.
// CHECK: scf.for %[[START:.+]] = %{{.+}} to %[[ROWS]] step %c256_i64
// The input column, copied into the block.
// CHECK: scf.for
// CHECK: llvm.load %{{.+}} : !llvm.ptr -> f64
// The sma: 4 groups of 8 rows side by side, each accumulating a 3-value window
// in a vector register, divided by 3.
// CHECK: scf.for %{{.+}} step %c32_i64
// CHECK: scf.for %{{.+}} = %{{.+}} to %c3_i64 step %{{.+}} iter_args({{.+}}) -> (vector<8xf64>, vector<8xf64>, vector<8xf64>, vector<8xf64>)
// CHECK-COUNT-4: arith.addf %{{.+}}, %{{.+}} : vector<8xf64>
// CHECK: arith.divf %{{.+}}, %{{.+}} : vector<8xf64>
// The rest of the row fused: seeding rows first, then the steady loop whose
// recurrence is a*x + (1-a)*e with a = 0.4, first speculating that no row
// is NaN: the new e is the arithmetic alone (no select on the recurrence),
// and an i1 flag ORs the NaN tests; if it is set, the same rows run again
// with the NaN skip (the select).
// CHECK: scf.while
// CHECK: } do {
// CHECK: %[[SPEC:.+]]:6 = scf.for %{{.+}} iter_args(%[[E:.+]] = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %[[SEEN:.+]] = %false) -> (f64, f64, i64, f64, f64, i1)
// CHECK: %[[ISNAN:.+]] = arith.cmpf uno
// CHECK: %[[AX:.+]] = arith.mulf %{{.+}}, %{{.+}} : f64
// CHECK: %[[BE:.+]] = arith.mulf %{{.+}}, %[[E]] : f64
// CHECK: %[[REC:.+]] = arith.addf %[[AX]], %[[BE]] : f64
// CHECK: %[[SEEN2:.+]] = arith.ori %[[SEEN]], %[[ISNAN]] : i1
// CHECK: scf.yield %[[REC]], {{.+}}, %[[SEEN2]] : f64, f64, i64, f64, f64, i1
// CHECK: scf.if %[[SPEC]]#5 -> (f64, f64, i64, f64, f64) {
// CHECK: scf.for %{{.+}} iter_args(%[[E2:.+]] = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (f64, f64, i64, f64, f64)
// CHECK: %[[ISNAN2:.+]] = arith.cmpf uno
// CHECK: %[[REC2:.+]] = arith.addf
// CHECK: arith.select %[[ISNAN2]], %[[E2]], %[[REC2]] : f64
// CHECK: } else {
// CHECK: scf.yield %[[SPEC]]#0, %[[SPEC]]#1, %[[SPEC]]#2, %[[SPEC]]#3, %[[SPEC]]#4
// The state advances by the rows consumed.
// CHECK: %[[T1:.+]] = arith.addi %[[T0]], %[[ROWS]] : i64
// CHECK: llvm.store %[[T1]], %[[S]] : i64, !llvm.ptr
// CHECK-LABEL: func.func @specjit_kernel(
// CHECK-LABEL: func.func @specjit_state_bytes() -> i64
// CHECK-NOT: llvm.alloca
// CHECK: %[[SIZE:.+]] = arith.constant 6992 : i64
// CHECK: return %[[SIZE]] : i64
