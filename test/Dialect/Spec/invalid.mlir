// RUN: specjit-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'spec.kernel' op has 2 input names but 1 input types}}
spec.kernel @k attributes {input_names = ["a", "b"], input_types = [f64], output_names = [], output_type = f32} {
  spec.output
}

// -----

// expected-error @+1 {{'spec.kernel' op output type must be f32 or f64, got 'i32'}}
spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = [], output_type = i32} {
  spec.output
}

// -----

// expected-error @+1 {{'spec.kernel' op input #0 has unsupported type 'i8'}}
spec.kernel @k attributes {input_names = ["a"], input_types = [i8], output_names = [], output_type = f32} {
  spec.output
}

// -----

// expected-error @+1 {{'spec.kernel' op body must end with spec.output}}
spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = [], output_type = f32} {
  %0 = spec.input 0 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = [], output_type = f32} {
  // expected-error @+1 {{'spec.input' op index 1 out of range for a kernel with 1 inputs}}
  %0 = spec.input 1 : f64
  spec.output
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i32], output_names = [], output_type = f32} {
  // expected-error @+1 {{'spec.input' op input #0 declared as 'i32' reads as 'i64', not 'f64'}}
  %0 = spec.input 0 : f64
  spec.output
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x", "y"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.output' op writes 1 values but the kernel declares 2 output columns}}
  spec.output %0 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.standardize' op std must be finite and > 0, got 0}}
  %1 = spec.standardize %0 {mean = 1.0 : f64, std = 0.0 : f64}
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.minmax' op max must be greater than min}}
  %1 = spec.minmax %0 {min = 2.0 : f64, max = 2.0 : f64}
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.clip' op needs min, max or both}}
  %1 = spec.clip %0
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.clip' op min must not exceed max}}
  %1 = spec.clip %0 {min = 2.0 : f64, max = 1.0 : f64}
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : i64
  // expected-error @+1 {{'spec.impute' op on i64 needs the missing sentinel}}
  %1 = spec.impute %0 {value = 1.0 : f64} : i64 -> i64
  %2 = spec.to_float %1
  spec.output %2 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : i64
  // expected-error @+1 {{'spec.impute' op result must be 'f64'}}
  %1 = spec.impute %0 {value = 1.5 : f64, missing = -1 : i64} : i64 -> i64
  %2 = spec.to_float %1
  spec.output %2 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : i64
  // expected-error @+1 {{'spec.one_hot' op needs at least one category}}
  %1 = spec.one_hot %0 {categories = []} : i64 -> f64
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i64], output_names = ["x", "y"], output_type = f32} {
  %0 = spec.input 0 : i64
  // expected-error @+1 {{'spec.one_hot' op duplicate category 3}}
  %1:2 = spec.one_hot %0 {categories = [3, 3]} : i64 -> f64, f64
  spec.output %1#0, %1#1 : f64, f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i64], output_names = ["x", "y"], output_type = f32} {
  %0 = spec.input 0 : i64
  // expected-error @+1 {{'spec.one_hot' op category -1 is the missing sentinel}}
  %1:2 = spec.one_hot %0 {categories = [-1, 3], missing = -1 : i64} : i64 -> f64, f64
  spec.output %1#0, %1#1 : f64, f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.one_hot' op categories of an f64 input must be finite f64}}
  %1 = spec.one_hot %0 {categories = [1]} : f64 -> f64
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : i64
  // expected-error @+1 {{'spec.one_hot' op has 1 results for 2 categories}}
  %1 = spec.one_hot %0 {categories = [1, 2]} : i64 -> f64
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [i64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : i64
  // expected-error @+1 {{'spec.label_encode' op has 1 codes for 2 keys}}
  %1 = spec.label_encode %0 {keys = [1, 2], codes = array<f64: 1.0>, default_code = -1.0 : f64} : i64
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [!spec.str], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : !spec.str
  // expected-error @+1 {{'spec.str_lookup' op duplicate key "red"}}
  %1 = spec.str_lookup %0 ["red", "red"]
  %2 = spec.to_float %1
  spec.output %2 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.polynomial' op degree must be in 1..8, got 9}}
  %1 = spec.polynomial %0 {degree = 9 : i64, interaction_only = false, include_bias = false} : (f64) -> f64
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.polynomial' op has 1 results, expected 3}}
  %1 = spec.polynomial %0 {degree = 2 : i64, interaction_only = false, include_bias = true} : (f64) -> f64
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.bucketize' op edges must be strictly increasing}}
  %1 = spec.bucketize %0 {edges = array<f64: 2.0, 1.0>}
  spec.output %1 : f64
}

// -----

spec.kernel @k attributes {input_names = ["a"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.expr' op region takes 0 arguments for 1 inputs}}
  %1 = spec.expr %0 attributes {source = "1"} : f64 {
    %c = arith.constant 1.0 : f64
    spec.yield %c
  }
  spec.output %1 : f64
}

// -----

// expected-error @+1 {{'spec.rules_kernel' op state type must be f32 or f64, got 'i32'}}
spec.rules_kernel @r attributes {meters = ["a"], state_type = i32, steps = 1 : i64} {
^bb0(%a: f64):
  spec.state_yield %a : f64
}

// -----

// expected-error @+1 {{'spec.rules_kernel' op steps must be at least 1, got 0}}
spec.rules_kernel @r attributes {meters = ["a"], state_type = f32, steps = 0 : i64} {
^bb0(%a: f64):
  spec.state_yield %a : f64
}

// -----

// expected-error @+1 {{'spec.rules_kernel' op region must yield the 2 meters}}
spec.rules_kernel @r attributes {meters = ["a", "b"], state_type = f64, steps = 1 : i64} {
^bb0(%a: f64, %b: f64):
  spec.state_yield %a : f64
}

// -----

spec.rules_kernel @r attributes {meters = ["a"], state_type = f64, steps = 1 : i64} {
^bb0(%a: f64):
  // expected-error @+1 {{'spec.rule' op region takes 2 arguments for 1 meters}}
  %0 = spec.rule %a attributes {source = "always"} : (f64) -> f64 {
  ^bb0(%x: f64, %y: f64):
    spec.state_yield %x : f64
  }
  spec.state_yield %0 : f64
}

// -----

// expected-error @+1 {{'spec.series_kernel' op input #0 must be f32 or f64, got 'i64'}}
spec.series_kernel @s attributes {input_names = ["p"], input_types = [i64], output_names = [], output_type = f64} {
  spec.series_output
}

// -----

// expected-error @+1 {{'spec.series_kernel' op writes 1 values for 2 output columns}}
spec.series_kernel @s attributes {input_names = ["p"], input_types = [f64], output_names = ["a", "b"], output_type = f64} {
  %0 = spec.series_input 0
  spec.series_output %0 : f64
}

// -----

spec.series_kernel @s attributes {input_names = ["p"], input_types = [f64], output_names = ["a"], output_type = f64} {
  %0 = spec.series_input 0
  // expected-error @+1 {{'spec.sma' op period must be in 1..100000, got 0}}
  %1 = spec.sma %0 {period = 0 : i64}
  spec.series_output %1 : f64
}

// -----

spec.series_kernel @s attributes {input_names = ["p"], input_types = [f64], output_names = ["a"], output_type = f64} {
  %0 = spec.series_input 0
  // expected-error @+1 {{'spec.kama' op needs 1 <= fast < slow, got fast 30 and slow 2}}
  %1 = spec.kama %0 {period = 10 : i64, fast = 30 : i64, slow = 2 : i64}
  spec.series_output %1 : f64
}

// -----

spec.series_kernel @s attributes {input_names = ["p"], input_types = [f64], output_names = ["a"], output_type = f64} {
  // expected-error @+1 {{'spec.series_input' op index 3 out of range}}
  %0 = spec.series_input 3
  spec.series_output %0 : f64
}

// -----

spec.kernel @k attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  // A layout is one of the enum's cases, checked by the parser.
  %m = spec.tree_ensemble %0 {node_features = array<i32: -1>, thresholds = array<f64: 0.0>,
      left = array<i32: -1>, right = array<i32: -1>, default_left = array<i1: false>,
      leaves = array<f64: 1.0>, roots = array<i32: 0>, groups = array<i32: 0>,
      // expected-error @+2 {{expected ::specjit::spec::TreeLayout to be one of: branches, walk}}
      // expected-error @+1 {{failed to parse Spec_TreeLayoutAttr parameter}}
      base_score = array<f64: 0.0>, average = false, float32 = false, layout = #spec.tree_layout<selects>} : (f64) -> f64
  spec.output %m : f64
}
