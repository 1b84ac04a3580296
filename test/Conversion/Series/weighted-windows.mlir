// RUN: specjit-opt %s --spec-expand --convert-spec-to-loops | FileCheck %s

// wma windows up to 32 values are unrolled with each weight a constant (no
// weight recurrence between window positions); longer ones keep a loop that
// carries the weight. Either way each row adds 1*x_oldest + 2*x_next + ...
// from 0.0, four tiles of 8 rows side by side.
spec.series_kernel @weighted attributes {input_names = ["close"], input_types = [f64], output_names = ["wma3", "wma40"], output_type = f64} {
  %0 = spec.series_input 0
  %1 = spec.wma %0 {period = 3 : i64}
  %2 = spec.wma %0 {period = 40 : i64}
  spec.series_output %1, %2 : f64, f64
}

// wma3: three positions, weights 1, 2, 3, then the division by 6.
// CHECK: scf.for %{{.+}} step %c32_i64
// CHECK-NOT: iter_args
// CHECK: %[[W1:.+]] = arith.constant dense<1.000000e+00> : vector<8xf64>
// CHECK-COUNT-4: arith.mulf %[[W1]], %{{.+}} : vector<8xf64>
// CHECK: %[[W2:.+]] = arith.constant dense<2.000000e+00> : vector<8xf64>
// CHECK-COUNT-4: arith.mulf %[[W2]], %{{.+}} : vector<8xf64>
// CHECK: %[[W3:.+]] = arith.constant dense<3.000000e+00> : vector<8xf64>
// CHECK-COUNT-4: arith.mulf %[[W3]], %{{.+}} : vector<8xf64>
// CHECK: %[[D6:.+]] = arith.constant dense<6.000000e+00> : vector<8xf64>
// CHECK: arith.divf %{{.+}}, %[[D6]] : vector<8xf64>
// wma40: a loop over the 40 positions carrying the weight, which grows by
// 1.0 per position.
// CHECK: scf.for %{{.+}} step %c32_i64
// CHECK: scf.for %{{.+}} to %c40_i64 step %{{.+}} iter_args({{.+}}, %[[W:.+]] = %{{.+}}) -> (vector<8xf64>, vector<8xf64>, vector<8xf64>, vector<8xf64>, vector<8xf64>)
// CHECK-COUNT-4: arith.mulf %[[W]], %{{.+}} : vector<8xf64>
// CHECK: arith.addf %[[W]], %{{.+}} : vector<8xf64>
