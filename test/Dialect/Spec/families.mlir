// RUN: specjit-opt %s | specjit-opt | FileCheck %s

// The rules and series ops parse, verify and print back the same.

// CHECK-LABEL: spec.rules_kernel @needs
// CHECK-SAME: meters = ["energy", "mood"], state_type = f32, steps = 3 : i64
// CHECK: ^bb0(%[[E:.+]]: f64, %[[M:.+]]: f64):
// CHECK: %[[R:.+]]:2 = spec.rule %[[E]], %[[M]] attributes {source = "if mood < 0.2; sub energy = 0.01"} : (f64, f64) -> (f64, f64) {
// CHECK: spec.state_yield
// CHECK: spec.state_yield %[[R]]#0, %[[R]]#1 : f64, f64
spec.rules_kernel @needs attributes {meters = ["energy", "mood"], state_type = f32, steps = 3 : i64} {
^bb0(%energy: f64, %mood: f64):
  %r:2 = spec.rule %energy, %mood attributes {source = "if mood < 0.2; sub energy = 0.01"} : (f64, f64) -> (f64, f64) {
  ^bb0(%e: f64, %m: f64):
    %k = arith.constant 1.000000e-02 : f64
    %n = arith.subf %e, %k : f64
    spec.state_yield %n, %m : f64, f64
  }
  spec.state_yield %r#0, %r#1 : f64, f64
}

// CHECK-LABEL: spec.series_kernel @strategy
// CHECK: %[[P:.+]] = spec.series_input 0
// CHECK: %[[S:.+]] = spec.sma %[[P]] {period = 20 : i64}
// CHECK: %[[W:.+]] = spec.wma %[[P]] {period = 10 : i64}
// CHECK: %[[L:.+]] = spec.lsma %[[P]] {period = 14 : i64}
// CHECK: %[[E:.+]] = spec.ema %[[P]] {period = 12 : i64, seed_sma}
// CHECK: %[[K:.+]] = spec.kama %[[P]] {fast = 2 : i64, period = 10 : i64, slow = 30 : i64}
// CHECK: %[[X:.+]] = spec.crossover %[[E]], %[[S]]
// CHECK: spec.series_output %[[S]], %[[W]], %[[L]], %[[E]], %[[K]], %[[X]] : f64, f64, f64, f64, f64, f64
spec.series_kernel @strategy attributes {input_names = ["close"], input_types = [f32], output_names = ["s", "w", "l", "e", "k", "x"], output_type = f64} {
  %p = spec.series_input 0
  %s = spec.sma %p {period = 20 : i64}
  %w = spec.wma %p {period = 10 : i64}
  %l = spec.lsma %p {period = 14 : i64}
  %e = spec.ema %p {period = 12 : i64, seed_sma}
  %k = spec.kama %p {period = 10 : i64, fast = 2 : i64, slow = 30 : i64}
  %x = spec.crossover %e, %s
  spec.series_output %s, %w, %l, %e, %k, %x : f64, f64, f64, f64, f64, f64
}
