// RUN: specjit-opt %s | specjit-opt | FileCheck %s

// Every op parses, verifies and prints back the same.

// CHECK-LABEL: spec.kernel @all_ops
// CHECK-SAME: input_names = ["age", "income", "color", "flag"]
// CHECK-SAME: input_types = [i64, f32, !spec.str, i1]
// CHECK-SAME: output_type = f64
spec.kernel @all_ops attributes {input_names = ["age", "income", "color", "flag"], input_types = [i64, f32, !spec.str, i1], output_names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"], output_type = f64} {
  // CHECK: %[[AGE:.+]] = spec.input 0 : i64
  %age = spec.input 0 : i64
  // CHECK: %[[INC:.+]] = spec.input 1 : f64
  %inc = spec.input 1 : f64
  // CHECK: %[[COLOR:.+]] = spec.input 2 : !spec.str
  %color = spec.input 2 : !spec.str
  // CHECK: spec.to_float %[[AGE]] {missing = -1 : i64}
  %agef = spec.to_float %age {missing = -1 : i64}
  // CHECK: spec.standardize %{{.+}} {mean = 3.500000e+01 : f64, std = 1.500000e+01 : f64}
  %s = spec.standardize %agef {mean = 35.0 : f64, std = 15.0 : f64}
  // CHECK: spec.minmax
  %mm = spec.minmax %inc {min = 0.0 : f64, max = 10.0 : f64}
  // CHECK: spec.log %[[INC]]
  %l = spec.log %inc
  // CHECK: spec.log1p %[[INC]]
  %l1 = spec.log1p %inc
  // CHECK: spec.clip %[[INC]] {max = 1.000000e+00 : f64}
  %c = spec.clip %inc {max = 1.0 : f64}
  // CHECK: spec.impute %[[AGE]] {missing = -1 : i64, value = 3.000000e+00 : f64} : i64 -> i64
  %imp = spec.impute %age {missing = -1 : i64, value = 3.0 : f64} : i64 -> i64
  // CHECK: spec.impute %[[INC]] {value = 2.500000e+00 : f64} : f64 -> f64
  %impf = spec.impute %inc {value = 2.5 : f64} : f64 -> f64
  // CHECK: spec.one_hot %{{.+}} {categories = [0, 1], unknown_error} : i64 -> f64, f64
  %oh:2 = spec.one_hot %imp {categories = [0, 1], unknown_error} : i64 -> f64, f64
  // CHECK: spec.str_lookup %[[COLOR]] ["red", "blue"]
  %idx = spec.str_lookup %color ["red", "blue"]
  // CHECK: spec.label_encode %{{.+}} {codes = array<f64: 1.000000e+01, 2.000000e+01>, default_code = -1.000000e+00 : f64, keys = [0, 1], missing = -1 : i64} : i64
  %le = spec.label_encode %idx {keys = [0, 1], codes = array<f64: 10.0, 20.0>, default_code = -1.0 : f64, missing = -1 : i64} : i64
  // CHECK: spec.polynomial %{{.+}}, %{{.+}} {degree = 2 : i64, include_bias = false, interaction_only = true} : (f64, f64) -> (f64, f64, f64)
  %p:3 = spec.polynomial %s, %mm {degree = 2 : i64, interaction_only = true, include_bias = false} : (f64, f64) -> (f64, f64, f64)
  // CHECK: spec.bucketize %[[INC]] {edges = array<f64: 1.000000e+00, 2.000000e+00>}
  %bk = spec.bucketize %inc {edges = array<f64: 1.0, 2.0>}
  // CHECK: spec.expr %{{.+}}, %{{.+}} attributes {source = "a + b"} : f64, f64 {
  // CHECK: ^bb0(%[[A:.+]]: f64, %[[B:.+]]: f64):
  // CHECK:   %[[SUM:.+]] = arith.addf %[[A]], %[[B]] : f64
  // CHECK:   spec.yield %[[SUM]]
  %e = spec.expr %s, %l attributes {source = "a + b"} : f64, f64 {
  ^bb0(%a: f64, %b: f64):
    %sum = arith.addf %a, %b : f64
    spec.yield %sum
  }
  // CHECK: spec.output
  spec.output %s, %mm, %l, %l1, %c, %impf, %oh#0, %oh#1, %le, %p#0, %p#1, %p#2, %bk, %e, %agef : f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64
}
