// RUN: specjit-opt %s --spec-expand | FileCheck %s --check-prefix=EXPAND
// RUN: specjit-opt %s --spec-expand --convert-spec-to-loops | FileCheck %s --check-prefix=LOOPS

// The threshold cascade `if mood < 0.2: energy -= 0.01 * (0.2 - mood)` with
// energy clamped to [0, 1], then `if energy > 0.5: mood = mood * 1.1`,
// which reads the first rule's write; 3 steps over an f32 state matrix.
spec.rules_kernel @needs attributes {meters = ["energy", "mood"], state_type = f32, steps = 3 : i64} {
^bb0(%energy: f64, %mood: f64):
  %r0:2 = spec.rule %energy, %mood attributes {source = "if mood < 0.2; sub energy = 0.01 * (0.2 - mood)"} : (f64, f64) -> (f64, f64) {
  ^bb0(%e: f64, %m: f64):
    %thr = arith.constant 2.000000e-01 : f64
    %k = arith.constant 1.000000e-02 : f64
    %gap = arith.subf %thr, %m : f64
    %dec = arith.mulf %k, %gap : f64
    %new = arith.subf %e, %dec : f64
    %cl = spec.clip %new {min = 0.0 : f64, max = 1.0 : f64}
    %lt = arith.cmpf olt, %m, %thr : f64
    %sel = arith.select %lt, %cl, %e : f64
    spec.state_yield %sel, %m : f64, f64
  }
  %r1:2 = spec.rule %r0#0, %r0#1 attributes {source = "if energy > 0.5; set mood = mood * 1.1"} : (f64, f64) -> (f64, f64) {
  ^bb0(%e: f64, %m: f64):
    %half = arith.constant 5.000000e-01 : f64
    %f = arith.constant 1.100000e+00 : f64
    %gt = arith.cmpf ogt, %e, %half : f64
    %nm = arith.mulf %m, %f : f64
    %sel = arith.select %gt, %nm, %m : f64
    spec.state_yield %e, %sel : f64, f64
  }
  spec.state_yield %r1#0, %r1#1 : f64, f64
}

// Rules are inlined in order; the second reads the first's result.
// EXPAND: spec.rules_kernel @needs
// EXPAND: ^bb0(%[[E:.+]]: f64, %[[M:.+]]: f64):
// EXPAND: %[[LT:.+]] = arith.cmpf olt, %[[M]]
// EXPAND: %[[E1:.+]] = arith.select %[[LT]], %{{.+}}, %[[E]] : f64
// EXPAND: %[[GT:.+]] = arith.cmpf ogt, %[[E1]]
// EXPAND: %[[M1:.+]] = arith.select %[[GT]], %{{.+}}, %[[M]] : f64
// EXPAND: spec.state_yield %[[E1]], %[[M1]] : f64, f64
// EXPAND-NOT: spec.rule

// Tiles of 8 rows: one vector load of 8 x 2 meters, split per meter, the
// steps loop on vector<8xf64> values with no branches, one vector store.
// LOOPS-LABEL: func.func private @specjit_kernel_body(
// LOOPS-SAME: !llvm.ptr {llvm.noalias}, %{{.+}}: i64) -> i64
// LOOPS: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} : i64 {
// LOOPS: %[[TILE:.+]] = llvm.load %{{.+}} {alignment = 4 : i64} : !llvm.ptr -> vector<16xf32>
// LOOPS: llvm.shufflevector %[[TILE]], %[[TILE]] [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xf32>
// LOOPS: arith.extf %{{.+}} : vector<8xf32> to vector<8xf64>
// LOOPS: llvm.shufflevector %[[TILE]], %[[TILE]] [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xf32>
// LOOPS: %[[STEPS:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<8xf64>, vector<8xf64>)
// LOOPS-NOT: scf.if
// LOOPS: arith.cmpf olt, %{{.+}}, %{{.+}} : vector<8xf64>
// LOOPS: arith.select %{{.+}}, %{{.+}}, %{{.+}} : vector<8xi1>, vector<8xf64>
// LOOPS: scf.yield %{{.+}}, %{{.+}} : vector<8xf64>, vector<8xf64>
// LOOPS: arith.truncf %[[STEPS]]#0 : vector<8xf64> to vector<8xf32>
// LOOPS: llvm.store %{{.+}}, %{{.+}} {alignment = 4 : i64} : vector<16xf32>, !llvm.ptr
// The remaining rows, on scalars.
// LOOPS: scf.for
// LOOPS: llvm.load %{{.+}} : !llvm.ptr -> f32
// LOOPS: scf.for %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (f64, f64)
// LOOPS-LABEL: func.func @specjit_kernel(
// LOOPS: call @specjit_kernel_body(%{{.+}}, %{{.+}})
