// RUN: specjit-opt %s -split-input-file --spec-expand | FileCheck %s

// Each stage op becomes scalar arith/math with its configuration as constants.

// CHECK-LABEL: spec.kernel @standardize
// CHECK-DAG: %[[MEAN:.+]] = arith.constant 3.500000e+01 : f64
// CHECK-DAG: %[[STD:.+]] = arith.constant 1.500000e+01 : f64
// CHECK: %[[X:.+]] = spec.input 0 : f64
// CHECK: %[[C:.+]] = arith.subf %[[X]], %[[MEAN]] : f64
// CHECK: %[[R:.+]] = arith.divf %[[C]], %[[STD]] : f64
// CHECK: spec.output %[[R]]
spec.kernel @standardize attributes {input_names = ["x"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.standardize %0 {mean = 35.0 : f64, std = 15.0 : f64}
  spec.output %1 : f64
}

// -----

// The range max - min is folded into one constant.
// CHECK-LABEL: spec.kernel @minmax
// CHECK-DAG: %[[MIN:.+]] = arith.constant 2.000000e+00 : f64
// CHECK-DAG: %[[RANGE:.+]] = arith.constant 8.000000e+00 : f64
// CHECK: %[[S:.+]] = arith.subf %{{.+}}, %[[MIN]] : f64
// CHECK: arith.divf %[[S]], %[[RANGE]] : f64
spec.kernel @minmax attributes {input_names = ["x"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.minmax %0 {min = 2.0 : f64, max = 10.0 : f64}
  spec.output %1 : f64
}

// -----

// CHECK-LABEL: spec.kernel @log_family
// CHECK: %[[X:.+]] = spec.input 0 : f64
// CHECK: %[[L:.+]] = math.log %[[X]] : f64
// log1p = u == 1 ? x : (u == inf ? u : log(u) * (x / (u - 1))), u = 1 + x
// CHECK: %[[U:.+]] = arith.addf %[[X]], %{{.+}} : f64
// CHECK: %[[UM1:.+]] = arith.subf %[[U]], %{{.+}} : f64
// CHECK: %[[LU:.+]] = math.log %[[U]] : f64
// CHECK: %[[Q:.+]] = arith.divf %[[X]], %[[UM1]] : f64
// CHECK: %[[P:.+]] = arith.mulf %[[LU]], %[[Q]] : f64
// CHECK: %[[INF:.+]] = arith.cmpf oeq, %[[U]], %{{.+}} : f64
// CHECK: %[[BIG:.+]] = arith.select %[[INF]], %[[U]], %[[P]] : f64
// CHECK: %[[ONE:.+]] = arith.cmpf oeq, %[[U]], %{{.+}} : f64
// CHECK: %[[R:.+]] = arith.select %[[ONE]], %[[X]], %[[BIG]] : f64
// CHECK: spec.output %[[L]], %[[R]]
spec.kernel @log_family attributes {input_names = ["x"], input_types = [f64], output_names = ["a", "b"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.log %0
  %2 = spec.log1p %0
  spec.output %1, %2 : f64, f64
}

// -----

// clip: x < min ? min : (x > max ? max : x)
// CHECK-LABEL: spec.kernel @clip
// CHECK-DAG: %[[LO:.+]] = arith.constant 0.000000e+00 : f64
// CHECK-DAG: %[[HI:.+]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[X:.+]] = spec.input 0 : f64
// CHECK: %[[GT:.+]] = arith.cmpf ogt, %[[X]], %[[HI]] : f64
// CHECK: %[[A:.+]] = arith.select %[[GT]], %[[HI]], %[[X]] : f64
// CHECK: %[[LT:.+]] = arith.cmpf olt, %[[X]], %[[LO]] : f64
// CHECK: %[[B:.+]] = arith.select %[[LT]], %[[LO]], %[[A]] : f64
// CHECK: spec.output %[[B]]
spec.kernel @clip attributes {input_names = ["x"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.clip %0 {min = 0.0 : f64, max = 1.0 : f64}
  spec.output %1 : f64
}

// -----

// Integers convert with the sentinel mapped to NaN; impute on the sentinel
// stays i64 for an integral value.
// CHECK-LABEL: spec.kernel @impute
// CHECK-DAG: %[[SENT:.+]] = arith.constant -1 : i64
// CHECK-DAG: %[[FILL:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[FILLF:.+]] = arith.constant 2.500000e+00 : f64
// CHECK: %[[I:.+]] = spec.input 0 : i64
// CHECK: %[[M:.+]] = arith.cmpi eq, %[[I]], %[[SENT]] : i64
// CHECK: %[[IMP:.+]] = arith.select %[[M]], %[[FILL]], %[[I]] : i64
// CHECK: %[[F:.+]] = spec.input 1 : f64
// CHECK: %[[NAN:.+]] = arith.cmpf uno, %[[F]], %[[F]] : f64
// CHECK: arith.select %[[NAN]], %[[FILLF]], %[[F]] : f64
// CHECK: arith.sitofp %[[IMP]] : i64 to f64
spec.kernel @impute attributes {input_names = ["i", "f"], input_types = [i64, f64], output_names = ["i", "f"], output_type = f32} {
  %0 = spec.input 0 : i64
  %1 = spec.impute %0 {missing = -1 : i64, value = 1.0 : f64} : i64 -> i64
  %2 = spec.input 1 : f64
  %3 = spec.impute %2 {value = 2.5 : f64} : f64 -> f64
  %4 = spec.to_float %1
  spec.output %4, %3 : f64, f64
}

// -----

// One 0/1 column per category; with unknown_error a spec.check of "any".
// CHECK-LABEL: spec.kernel @one_hot
// CHECK: %[[X:.+]] = spec.input 0 : i64
// CHECK: %[[E0:.+]] = arith.cmpi eq, %[[X]], %{{.+}} : i64
// CHECK: %[[F0:.+]] = arith.uitofp %[[E0]] : i1 to f64
// CHECK: %[[E1:.+]] = arith.cmpi eq, %[[X]], %{{.+}} : i64
// CHECK: %[[F1:.+]] = arith.uitofp %[[E1]] : i1 to f64
// CHECK: %[[ANY:.+]] = arith.ori %[[E0]], %[[E1]] : i1
// CHECK: spec.check %[[ANY]], "value is not one of the categories"
// CHECK: spec.output %[[F0]], %[[F1]]
spec.kernel @one_hot attributes {input_names = ["c"], input_types = [i64], output_names = ["c=0", "c=7"], output_type = f32} {
  %0 = spec.input 0 : i64
  %1:2 = spec.one_hot %0 {categories = [0, 7], missing = -1 : i64, unknown_error} : i64 -> f64, f64
  spec.output %1#0, %1#1 : f64, f64
}

// -----

// f64 categories compare ordered (NaN matches nothing).
// CHECK-LABEL: spec.kernel @one_hot_f64
// CHECK: arith.cmpf oeq, %{{.+}}, %{{.+}} : f64
// CHECK-NOT: spec.check
spec.kernel @one_hot_f64 attributes {input_names = ["c"], input_types = [f64], output_names = ["c=0.5"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.one_hot %0 {categories = [0.5 : f64]} : f64 -> f64
  spec.output %1 : f64
}

// -----

// CHECK-LABEL: spec.kernel @label_encode
// CHECK-DAG: %[[DEF:.+]] = arith.constant -1.000000e+00 : f64
// CHECK-DAG: %[[C10:.+]] = arith.constant 1.000000e+01 : f64
// CHECK-DAG: %[[C20:.+]] = arith.constant 2.000000e+01 : f64
// CHECK: %[[IDX:.+]] = spec.str_lookup %{{.+}} ["red", "blue"]
// CHECK: %[[E0:.+]] = arith.cmpi eq, %[[IDX]], %{{.+}} : i64
// CHECK: %[[S0:.+]] = arith.select %[[E0]], %[[C10]], %[[DEF]] : f64
// CHECK: %[[E1:.+]] = arith.cmpi eq, %[[IDX]], %{{.+}} : i64
// CHECK: %[[S1:.+]] = arith.select %[[E1]], %[[C20]], %[[S0]] : f64
// CHECK: spec.output %[[S1]]
spec.kernel @label_encode attributes {input_names = ["s"], input_types = [!spec.str], output_names = ["s"], output_type = f32} {
  %0 = spec.input 0 : !spec.str
  %1 = spec.str_lookup %0 ["red", "blue"]
  %2 = spec.label_encode %1 {keys = [0, 1], codes = array<f64: 10.0, 20.0>, default_code = -1.0 : f64, missing = -1 : i64} : i64
  spec.output %2 : f64
}

// -----

// scikit-learn order for degree 2 over (a, b): 1, a, b, a^2, a b, b^2.
// CHECK-LABEL: spec.kernel @polynomial
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[A:.+]] = spec.input 0 : f64
// CHECK: %[[B:.+]] = spec.input 1 : f64
// CHECK: %[[AA:.+]] = arith.mulf %[[A]], %[[A]] : f64
// CHECK: %[[AB:.+]] = arith.mulf %[[B]], %[[A]] : f64
// CHECK: %[[BB:.+]] = arith.mulf %[[B]], %[[B]] : f64
// CHECK: spec.output %[[ONE]], %[[A]], %[[B]], %[[AA]], %[[AB]], %[[BB]]
spec.kernel @polynomial attributes {input_names = ["a", "b"], input_types = [f64, f64], output_names = ["1", "a", "b", "a^2", "a b", "b^2"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.input 1 : f64
  %2:6 = spec.polynomial %0, %1 {degree = 2 : i64, interaction_only = false, include_bias = true} : (f64, f64) -> (f64, f64, f64, f64, f64, f64)
  spec.output %2#0, %2#1, %2#2, %2#3, %2#4, %2#5 : f64, f64, f64, f64, f64, f64
}

// -----

// Degree 3, interaction only, no bias: a, b, c, a b, a c, b c, a b c; as in
// scikit-learn, a b c is (b c) * a, reusing the degree-2 term.
// CHECK-LABEL: spec.kernel @polynomial_interaction
// CHECK: %[[A:.+]] = spec.input 0 : f64
// CHECK: %[[B:.+]] = spec.input 1 : f64
// CHECK: %[[C:.+]] = spec.input 2 : f64
// CHECK: %[[AB:.+]] = arith.mulf %[[B]], %[[A]] : f64
// CHECK: %[[AC:.+]] = arith.mulf %[[C]], %[[A]] : f64
// CHECK: %[[BC:.+]] = arith.mulf %[[C]], %[[B]] : f64
// CHECK: %[[ABC:.+]] = arith.mulf %[[BC]], %[[A]] : f64
// CHECK: spec.output %[[A]], %[[B]], %[[C]], %[[AB]], %[[AC]], %[[BC]], %[[ABC]]
spec.kernel @polynomial_interaction attributes {input_names = ["a", "b", "c"], input_types = [f64, f64, f64], output_names = ["a", "b", "c", "a b", "a c", "b c", "a b c"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.input 1 : f64
  %2 = spec.input 2 : f64
  %3:7 = spec.polynomial %0, %1, %2 {degree = 3 : i64, interaction_only = true, include_bias = false} : (f64, f64, f64) -> (f64, f64, f64, f64, f64, f64, f64)
  spec.output %3#0, %3#1, %3#2, %3#3, %3#4, %3#5, %3#6 : f64, f64, f64, f64, f64, f64, f64
}

// -----

// digitize: the count of edges e with !(x < e), i.e. cmpf uge.
// CHECK-LABEL: spec.kernel @bucketize
// CHECK-DAG: %[[E0:.+]] = arith.constant 1.000000e+00 : f64
// CHECK-DAG: %[[E1:.+]] = arith.constant 5.000000e+00 : f64
// CHECK: %[[X:.+]] = spec.input 0 : f64
// CHECK: %[[G0:.+]] = arith.cmpf uge, %[[X]], %[[E0]] : f64
// CHECK: %[[I0:.+]] = arith.extui %[[G0]] : i1 to i64
// CHECK: %[[G1:.+]] = arith.cmpf uge, %[[X]], %[[E1]] : f64
// CHECK: %[[I1:.+]] = arith.extui %[[G1]] : i1 to i64
// CHECK: %[[N:.+]] = arith.addi %[[I0]], %[[I1]] : i64
// CHECK: arith.sitofp %[[N]] : i64 to f64
spec.kernel @bucketize attributes {input_names = ["x"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.bucketize %0 {edges = array<f64: 1.0, 5.0>}
  spec.output %1 : f64
}

// -----

// The expression region is inlined.
// CHECK-LABEL: spec.kernel @expr
// CHECK: %[[A:.+]] = spec.input 0 : f64
// CHECK: %[[B:.+]] = spec.input 1 : f64
// CHECK: %[[S:.+]] = arith.addf %[[A]], %[[B]] : f64
// CHECK-NOT: spec.expr
// CHECK: spec.output %[[S]]
spec.kernel @expr attributes {input_names = ["a", "b"], input_types = [f64, f64], output_names = ["s"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.input 1 : f64
  %2 = spec.expr %0, %1 attributes {source = "a + b"} : f64, f64 {
  ^bb0(%a: f64, %b: f64):
    %s = arith.addf %a, %b : f64
    spec.yield %s
  }
  spec.output %2 : f64
}

// -----

// An expression that is just a column yields its block argument.
// CHECK-LABEL: spec.kernel @expr_column
// CHECK: %[[A:.+]] = spec.input 0 : f64
// CHECK: spec.output %[[A]], %[[A]]
spec.kernel @expr_column attributes {input_names = ["a"], input_types = [f64], output_names = ["a", "b"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.expr %0 attributes {source = "a"} : f64 {
  ^bb0(%a: f64):
    spec.yield %a
  }
  spec.output %0, %1 : f64, f64
}
