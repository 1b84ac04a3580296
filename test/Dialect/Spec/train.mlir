// RUN: specjit-opt %s | specjit-opt | FileCheck %s

// The train_step op round-trips with every hyper-parameter as an attribute.
// CHECK-LABEL: spec.train_step @churn
// CHECK-SAME: activations = ["tanh", "identity"]
// CHECK-SAME: loss = "log_loss"
// CHECK-SAME: optimizer = "adam"
// CHECK-SAME: widths = array<i64: 4, 8, 1>
spec.train_step @churn {widths = array<i64: 4, 8, 1>, activations = ["tanh", "identity"], loss = "log_loss", optimizer = "adam", learning_rate = 1.0e-03 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}
