// RUN: specjit-opt %s -split-input-file --convert-spec-to-loops -verify-diagnostics

spec.kernel @k attributes {input_names = ["x"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.log' op must be expanded before convert-spec-to-loops (run spec-expand first)}}
  %1 = spec.log %0
  spec.output %1 : f64
}

// -----

spec.kernel @trees attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.tree_ensemble' op with the branches layout must be expanded before convert-spec-to-loops (run spec-expand first)}}
  %m = spec.tree_ensemble %0 {node_features = array<i32: -1>, thresholds = array<f64: 0.0>,
      left = array<i32: -1>, right = array<i32: -1>, default_left = array<i1: false>,
      leaves = array<f64: 1.0>, roots = array<i32: 0>, groups = array<i32: 0>,
      base_score = array<f64: 0.0>, average = false, float32 = false,
      layout = #spec.tree_layout<branches>} : (f64) -> f64
  spec.output %m : f64
}

// -----

// A layout is spec-select-tree-layout's to choose; without one, nothing
// lowers the ensemble.
spec.kernel @unchosen attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.tree_ensemble' op has no layout (run spec-select-tree-layout first)}}
  %m = spec.tree_ensemble %0 {node_features = array<i32: -1>, thresholds = array<f64: 0.0>,
      left = array<i32: -1>, right = array<i32: -1>, default_left = array<i1: false>,
      leaves = array<f64: 1.0>, roots = array<i32: 0>, groups = array<i32: 0>,
      base_score = array<f64: 0.0>, average = false, float32 = false} : (f64) -> f64
  spec.output %m : f64
}

// -----

spec.kernel @twice attributes {input_names = ["x"], input_types = [f64], output_names = ["m", "n"], output_type = f32} {
  %0 = spec.input 0 : f64
  %m = spec.tree_ensemble %0 {node_features = array<i32: -1>, thresholds = array<f64: 0.0>,
      left = array<i32: -1>, right = array<i32: -1>, default_left = array<i1: false>,
      leaves = array<f64: 1.0>, roots = array<i32: 0>, groups = array<i32: 0>,
      base_score = array<f64: 0.0>, average = false, float32 = false, layout = #spec.tree_layout<walk>} : (f64) -> f64
  // expected-error @+1 {{'spec.tree_ensemble' op is the second tree ensemble of the kernel; the walk layout takes one}}
  %n = spec.tree_ensemble %0 {node_features = array<i32: -1>, thresholds = array<f64: 0.0>,
      left = array<i32: -1>, right = array<i32: -1>, default_left = array<i1: false>,
      leaves = array<f64: 2.0>, roots = array<i32: 0>, groups = array<i32: 0>,
      base_score = array<f64: 0.0>, average = false, float32 = false, layout = #spec.tree_layout<walk>} : (f64) -> f64
  spec.output %m, %n : f64, f64
}

// -----

spec.kernel @crossing attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  %m = spec.tree_ensemble %0 {node_features = array<i32: -1>, thresholds = array<f64: 0.0>,
      left = array<i32: -1>, right = array<i32: -1>, default_left = array<i1: false>,
      leaves = array<f64: 1.0>, roots = array<i32: 0>, groups = array<i32: 0>,
      base_score = array<f64: 0.0>, average = false, float32 = false, layout = #spec.tree_layout<walk>} : (f64) -> f64
  // expected-error @+1 {{'arith.addf' op uses a value computed before the walked tree ensemble; only its margins cross it}}
  %s = arith.addf %m, %0 : f64
  spec.output %s : f64
}

// -----

spec.kernel @overflow attributes {input_names = ["a"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  // -1e39 is -inf in f32: a leaf there would pass the compare against the
  // leaves' row of -inf.
  // expected-error @+1 {{'spec.tree_ensemble' op leaf 1 is not above -inf, which the walk layout needs}}
  %m = spec.tree_ensemble %0 {node_features = array<i32: 0, -1, -1>,
      thresholds = array<f64: 0.5, 0.0, 0.0>,
      left = array<i32: 1, -1, -1>, right = array<i32: 2, -1, -1>,
      default_left = array<i1: true, false, false>,
      leaves = array<f64: 0.0, -1.0e39, 3.0>,
      roots = array<i32: 0>, groups = array<i32: 0>, base_score = array<f64: 0.0>,
      average = false, float32 = true, layout = #spec.tree_layout<walk>} : (f64) -> f64
  spec.output %m : f64
}
