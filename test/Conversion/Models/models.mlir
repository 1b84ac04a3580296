// RUN: specjit-opt %s -split-input-file --spec-select-tree-layout --spec-expand | FileCheck %s
// RUN: specjit-opt %s -split-input-file --spec-select-tree-layout --spec-expand=tree-chunk-nodes=2 | FileCheck %s --check-prefix=CHUNKS
// RUN: not specjit-opt %s -split-input-file --spec-expand=tree-chunk-nodes=0 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: tree-chunk-nodes must be at least 1, not 0

// Linear: the dot product left to right, then the intercept.
// CHECK-LABEL: spec.kernel @linear
// CHECK: %[[A:.+]] = spec.input 0 : f64
// CHECK: %[[B:.+]] = spec.input 1 : f64
// (constants print on the right: IEEE multiplication commutes bit for bit)
// CHECK: %[[P0:.+]] = arith.mulf %[[A]], %{{.+}} : f64
// CHECK: %[[P1:.+]] = arith.mulf %[[B]], %{{.+}} : f64
// CHECK: %[[D:.+]] = arith.addf %[[P0]], %[[P1]] : f64
// CHECK: %[[M:.+]] = arith.addf %[[D]], %{{.+}} : f64
// Logistic link: 1 / (1 + exp(-m)).
// CHECK: %[[N:.+]] = arith.negf %[[M]] : f64
// CHECK: %[[E:.+]] = math.exp %[[N]] : f64
// CHECK: %[[S:.+]] = arith.addf %[[E]], %{{.+}} : f64
// CHECK: %[[P:.+]] = arith.divf %{{.+}}, %[[S]] : f64
// CHECK: spec.output %[[P]]
spec.kernel @linear attributes {input_names = ["a", "b"], input_types = [f64, f64], output_names = ["p"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.input 1 : f64
  %m = spec.linear %0, %1 {weights = array<f64: 0.5, -2.0>, intercepts = array<f64: 0.25>} : (f64, f64) -> f64
  %p = spec.link %m {kind = "logistic"} : (f64) -> f64
  spec.output %p : f64
}

// -----

// Trees: one compare per split; NaN goes left with `ult` (unordered or less)
// and right with `olt`. With float32 the features and constants are f32 and
// the margin is summed in f32 from the base score, tree by tree.
// CHECK-LABEL: spec.kernel @trees
// CHECK-DAG: %[[T0:.+]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[T1:.+]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[BASE:.+]] = arith.constant 1.000000e-01 : f32
// CHECK: %[[X0:.+]] = arith.truncf %{{.+}} : f64 to f32
// CHECK: %[[X1:.+]] = arith.truncf %{{.+}} : f64 to f32
// CHECK: %[[C0:.+]] = arith.cmpf ult, %[[X0]], %[[T0]] : f32
// CHECK: %[[V0:.+]] = scf.if %[[C0]] -> (f32) {
// CHECK: } else {
// CHECK: %[[C1:.+]] = arith.cmpf olt, %[[X1]], %[[T1]] : f32
// CHECK: scf.if %[[C1]] -> (f32) {
// CHECK: %[[S0:.+]] = arith.addf %[[V0]], %[[BASE]] : f32
// CHECK: %[[V1:.+]] = scf.if
// CHECK: %[[S1:.+]] = arith.addf %[[S0]], %[[V1]] : f32
// CHECK: %[[M:.+]] = arith.extf %[[S1]] : f32 to f64
// CHECK: spec.output %[[M]]
// With tree-chunk-nodes=2 (8 nodes: more than twice that), each tree is a
// function of its own, called in tree order with the running sum.
// CHUNKS-LABEL: spec.kernel @trees
// CHUNKS: %[[S0:.+]] = func.call @specjit_trees_0(%{{.+}}, %{{.+}}, %{{.+}}) : (f32, f32, f32) -> f32
// CHUNKS: func.call @specjit_trees_1(%{{.+}}, %{{.+}}, %[[S0]]) : (f32, f32, f32) -> f32
// CHUNKS: func.func private @specjit_trees_0(
// CHUNKS: func.func private @specjit_trees_1(
spec.kernel @trees attributes {input_names = ["a", "b"], input_types = [f64, f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.input 1 : f64
  // tree 0: a < 0.5 (NaN left) ? 1.0 : (b < 2 (NaN right) ? 2.0 : 3.0); tree 1: b < 2 ? -1 : 1
  %m = spec.tree_ensemble %0, %1 {node_features = array<i32: 0, -1, 1, -1, -1, 1, -1, -1>,
      thresholds = array<f64: 0.5, 0.0, 2.0, 0.0, 0.0, 2.0, 0.0, 0.0>,
      left = array<i32: 1, -1, 3, -1, -1, 6, -1, -1>, right = array<i32: 2, -1, 4, -1, -1, 7, -1, -1>,
      default_left = array<i1: true, true, false, true, true, false, true, true>,
      leaves = array<f64: 0.0, 1.0, 0.0, 2.0, 3.0, 0.0, -1.0, 1.0>,
      roots = array<i32: 0, 5>, groups = array<i32: 0, 0>, base_score = array<f64: 0.1>,
      average = false, float32 = true} : (f64, f64) -> f64
  spec.output %m : f64
}

// -----

// MLP: relu(z) = z > 0 ? z : 0; softmax subtracts the largest margin, sums
// the exponentials left to right and divides.
// CHECK-LABEL: spec.kernel @mlp
// CHECK: %[[Z:.+]] = arith.addf %{{.+}}, %{{.+}} : f64
// CHECK: %[[POS:.+]] = arith.cmpf ogt, %[[Z]], %{{.+}} : f64
// CHECK: arith.select %[[POS]], %[[Z]], %{{.+}} : f64
// CHECK: %[[GT:.+]] = arith.cmpf ogt, %[[M1:[0-9]+]], %[[M0:[0-9]+]] : f64
// CHECK-NEXT: %[[MAX:.+]] = arith.select %[[GT]], %[[M1]], %[[M0]] : f64
// CHECK: %[[D0:.+]] = arith.subf %[[M0]], %[[MAX]] : f64
// CHECK: %[[E0:.+]] = math.exp %[[D0]] : f64
// CHECK: %[[D1:.+]] = arith.subf %[[M1]], %[[MAX]] : f64
// CHECK: %[[E1:.+]] = math.exp %[[D1]] : f64
// CHECK: %[[SUM:.+]] = arith.addf %[[E0]], %[[E1]] : f64
// CHECK: %[[P0:.+]] = arith.divf %[[E0]], %[[SUM]] : f64
// CHECK: %[[P1:.+]] = arith.divf %[[E1]], %[[SUM]] : f64
// CHECK: spec.output %[[P0]], %[[P1]]
spec.kernel @mlp attributes {input_names = ["a"], input_types = [f64], output_names = ["p0", "p1"], output_type = f32} {
  %0 = spec.input 0 : f64
  %m:2 = spec.mlp %0 {sizes = array<i32: 1, 2, 2>, weights = array<f64: 1.0, -1.0, 0.5, 0.25, 2.0, -3.0>,
      biases = array<f64: 0.0, 0.1, 0.2, 0.3>, activations = ["relu", "identity"]} : (f64) -> (f64, f64)
  %p:2 = spec.link %m#0, %m#1 {kind = "softmax"} : (f64, f64) -> (f64, f64)
  spec.output %p#0, %p#1 : f64, f64
}

// -----

// argmax: the smallest index of the largest margin; a NaN best loses.
// CHECK-LABEL: spec.kernel @argmax
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf uno
// CHECK: arith.cmpf ord
// CHECK: %[[K:.+]] = arith.select %{{.+}}, %{{.+}}, %{{.+}} : f64
// CHECK: spec.output %[[K]]
spec.kernel @argmax attributes {input_names = ["a", "b"], input_types = [f64, f64], output_names = ["class"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.input 1 : f64
  %k = spec.link %0, %1 {kind = "argmax"} : (f64, f64) -> f64
  spec.output %k : f64
}
