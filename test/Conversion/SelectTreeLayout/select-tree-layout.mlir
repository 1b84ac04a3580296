// spec-select-tree-layout: every tree ensemble without a layout gets one by
// the rule of specjit/Conversion/SelectTreeLayout.h; one that has a layout
// keeps it.
// RUN: specjit-opt %s -split-input-file --spec-select-tree-layout | FileCheck %s --check-prefix=AUTO
// RUN: specjit-opt %s -split-input-file --spec-select-tree-layout=layout=walk | FileCheck %s --check-prefix=WALK
// RUN: specjit-opt %s -split-input-file --spec-select-tree-layout=layout=branches | FileCheck %s --check-prefix=BRANCHES

// -----

// A tree of depth 5: branches under auto.
// AUTO-LABEL: spec.kernel @depth5
// AUTO: layout = #spec.tree_layout<branches>
// WALK-LABEL: spec.kernel @depth5
// WALK: layout = #spec.tree_layout<walk>
// BRANCHES-LABEL: spec.kernel @depth5
// BRANCHES: layout = #spec.tree_layout<branches>
spec.kernel @depth5 attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  %m = spec.tree_ensemble %0 {node_features = array<i32: 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, -1>,
      thresholds = array<f64: 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0, 0.0>,
      left = array<i32: 2, -1, 4, -1, 6, -1, 8, -1, 10, -1, -1>,
      right = array<i32: 1, -1, 3, -1, 5, -1, 7, -1, 9, -1, -1>,
      default_left = array<i1: true, false, true, false, true, false, true, false, true, false, false>,
      leaves = array<f64: 0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 9.0>,
      roots = array<i32: 0>, groups = array<i32: 0>, base_score = array<f64: 0.0>,
      average = false, float32 = false} : (f64) -> f64
  spec.output %m : f64
}

// -----

// Depth 6: the walk wins from there on.
// AUTO-LABEL: spec.kernel @depth6
// AUTO: layout = #spec.tree_layout<walk>
// BRANCHES-LABEL: spec.kernel @depth6
// BRANCHES: layout = #spec.tree_layout<branches>
spec.kernel @depth6 attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  %m = spec.tree_ensemble %0 {node_features = array<i32: 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, -1>,
      thresholds = array<f64: 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0, 5.0, 0.0, 0.0>,
      left = array<i32: 2, -1, 4, -1, 6, -1, 8, -1, 10, -1, 12, -1, -1>,
      right = array<i32: 1, -1, 3, -1, 5, -1, 7, -1, 9, -1, 11, -1, -1>,
      default_left = array<i1: true, false, true, false, true, false, true, false, true, false, true, false, false>,
      leaves = array<f64: 0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0, 5.0, 9.0>,
      roots = array<i32: 0>, groups = array<i32: 0>, base_score = array<f64: 0.0>,
      average = false, float32 = false} : (f64) -> f64
  spec.output %m : f64
}

// -----

// Deeper than 64 levels, branches cannot be built: the walk even when
// branches are asked for.
// AUTO-LABEL: spec.kernel @depth65
// AUTO: layout = #spec.tree_layout<walk>
// BRANCHES-LABEL: spec.kernel @depth65
// BRANCHES: layout = #spec.tree_layout<walk>
spec.kernel @depth65 attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  %m = spec.tree_ensemble %0 {node_features = array<i32: 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, -1>,
      thresholds = array<f64: 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0, 5.0, 0.0, 6.0, 0.0, 7.0, 0.0, 8.0, 0.0, 9.0, 0.0, 10.0, 0.0, 11.0, 0.0, 12.0, 0.0, 13.0, 0.0, 14.0, 0.0, 15.0, 0.0, 16.0, 0.0, 17.0, 0.0, 18.0, 0.0, 19.0, 0.0, 20.0, 0.0, 21.0, 0.0, 22.0, 0.0, 23.0, 0.0, 24.0, 0.0, 25.0, 0.0, 26.0, 0.0, 27.0, 0.0, 28.0, 0.0, 29.0, 0.0, 30.0, 0.0, 31.0, 0.0, 32.0, 0.0, 33.0, 0.0, 34.0, 0.0, 35.0, 0.0, 36.0, 0.0, 37.0, 0.0, 38.0, 0.0, 39.0, 0.0, 40.0, 0.0, 41.0, 0.0, 42.0, 0.0, 43.0, 0.0, 44.0, 0.0, 45.0, 0.0, 46.0, 0.0, 47.0, 0.0, 48.0, 0.0, 49.0, 0.0, 50.0, 0.0, 51.0, 0.0, 52.0, 0.0, 53.0, 0.0, 54.0, 0.0, 55.0, 0.0, 56.0, 0.0, 57.0, 0.0, 58.0, 0.0, 59.0, 0.0, 60.0, 0.0, 61.0, 0.0, 62.0, 0.0, 63.0, 0.0, 64.0, 0.0, 0.0>,
      left = array<i32: 2, -1, 4, -1, 6, -1, 8, -1, 10, -1, 12, -1, 14, -1, 16, -1, 18, -1, 20, -1, 22, -1, 24, -1, 26, -1, 28, -1, 30, -1, 32, -1, 34, -1, 36, -1, 38, -1, 40, -1, 42, -1, 44, -1, 46, -1, 48, -1, 50, -1, 52, -1, 54, -1, 56, -1, 58, -1, 60, -1, 62, -1, 64, -1, 66, -1, 68, -1, 70, -1, 72, -1, 74, -1, 76, -1, 78, -1, 80, -1, 82, -1, 84, -1, 86, -1, 88, -1, 90, -1, 92, -1, 94, -1, 96, -1, 98, -1, 100, -1, 102, -1, 104, -1, 106, -1, 108, -1, 110, -1, 112, -1, 114, -1, 116, -1, 118, -1, 120, -1, 122, -1, 124, -1, 126, -1, 128, -1, 130, -1, -1>,
      right = array<i32: 1, -1, 3, -1, 5, -1, 7, -1, 9, -1, 11, -1, 13, -1, 15, -1, 17, -1, 19, -1, 21, -1, 23, -1, 25, -1, 27, -1, 29, -1, 31, -1, 33, -1, 35, -1, 37, -1, 39, -1, 41, -1, 43, -1, 45, -1, 47, -1, 49, -1, 51, -1, 53, -1, 55, -1, 57, -1, 59, -1, 61, -1, 63, -1, 65, -1, 67, -1, 69, -1, 71, -1, 73, -1, 75, -1, 77, -1, 79, -1, 81, -1, 83, -1, 85, -1, 87, -1, 89, -1, 91, -1, 93, -1, 95, -1, 97, -1, 99, -1, 101, -1, 103, -1, 105, -1, 107, -1, 109, -1, 111, -1, 113, -1, 115, -1, 117, -1, 119, -1, 121, -1, 123, -1, 125, -1, 127, -1, 129, -1, -1>,
      default_left = array<i1: true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, false>,
      leaves = array<f64: 0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0, 5.0, 0.0, 6.0, 0.0, 7.0, 0.0, 8.0, 0.0, 9.0, 0.0, 10.0, 0.0, 11.0, 0.0, 12.0, 0.0, 13.0, 0.0, 14.0, 0.0, 15.0, 0.0, 16.0, 0.0, 17.0, 0.0, 18.0, 0.0, 19.0, 0.0, 20.0, 0.0, 21.0, 0.0, 22.0, 0.0, 23.0, 0.0, 24.0, 0.0, 25.0, 0.0, 26.0, 0.0, 27.0, 0.0, 28.0, 0.0, 29.0, 0.0, 30.0, 0.0, 31.0, 0.0, 32.0, 0.0, 33.0, 0.0, 34.0, 0.0, 35.0, 0.0, 36.0, 0.0, 37.0, 0.0, 38.0, 0.0, 39.0, 0.0, 40.0, 0.0, 41.0, 0.0, 42.0, 0.0, 43.0, 0.0, 44.0, 0.0, 45.0, 0.0, 46.0, 0.0, 47.0, 0.0, 48.0, 0.0, 49.0, 0.0, 50.0, 0.0, 51.0, 0.0, 52.0, 0.0, 53.0, 0.0, 54.0, 0.0, 55.0, 0.0, 56.0, 0.0, 57.0, 0.0, 58.0, 0.0, 59.0, 0.0, 60.0, 0.0, 61.0, 0.0, 62.0, 0.0, 63.0, 0.0, 64.0, 9.0>,
      roots = array<i32: 0>, groups = array<i32: 0>, base_score = array<f64: 0.0>,
      average = false, float32 = false} : (f64) -> f64
  spec.output %m : f64
}

// -----

// A layout already chosen stays.
// AUTO-LABEL: spec.kernel @chosen
// AUTO: layout = #spec.tree_layout<walk>
// WALK-LABEL: spec.kernel @chosen
// WALK: layout = #spec.tree_layout<walk>
// BRANCHES-LABEL: spec.kernel @chosen
// BRANCHES: layout = #spec.tree_layout<walk>
spec.kernel @chosen attributes {input_names = ["x"], input_types = [f64], output_names = ["m"], output_type = f32} {
  %0 = spec.input 0 : f64
  %m = spec.tree_ensemble %0 {node_features = array<i32: 0, -1, 0, -1, -1>,
      thresholds = array<f64: 0.0, 0.0, 1.0, 0.0, 0.0>,
      left = array<i32: 2, -1, 4, -1, -1>,
      right = array<i32: 1, -1, 3, -1, -1>,
      default_left = array<i1: true, false, true, false, false>,
      leaves = array<f64: 0.0, 0.0, 0.0, 1.0, 9.0>,
      roots = array<i32: 0>, groups = array<i32: 0>, base_score = array<f64: 0.0>,
      average = false, float32 = false, layout = #spec.tree_layout<walk>} : (f64) -> f64
  spec.output %m : f64
}
