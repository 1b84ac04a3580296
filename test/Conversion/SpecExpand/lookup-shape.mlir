// RUN: specjit-opt %s --spec-expand="lookup-table-min-keys=3 lookup-table-min-int-keys=3" | FileCheck %s

// spec-expand gives every lookup a code shape, recorded as spec.lookup:
// with at least lookup-table-min-keys keys (strings or i64) the table, left
// for convert-spec-to-loops; fewer keys, float categories and ops that
// already say "chain" are expanded into compare chains here.

// CHECK-LABEL: spec.kernel @shapes
// CHECK: spec.str_lookup %{{.+}} ["x", "y", "z"] {spec.lookup = "table"}
// CHECK: spec.str_lookup %{{.+}} ["p", "q"] {spec.lookup = "chain"}
// CHECK: spec.label_encode %{{.+}} {codes = {{.+}}, keys = [0, 1, 2], {{.+}}spec.lookup = "table"} : i64
// CHECK: spec.one_hot %{{.+}} {categories = [5, 6, 7], spec.lookup = "table"} : i64 -> f64, f64, f64
// CHECK-NOT: spec.one_hot
// CHECK-NOT: spec.label_encode
// CHECK: spec.output
spec.kernel @shapes attributes {input_names = ["s", "t", "i", "f"], input_types = [!spec.str, !spec.str, i64, f64], output_names = ["a", "b", "c", "d", "e", "f", "g", "h", "k", "l", "m", "n"], output_type = f64} {
  %s = spec.input 0 : !spec.str
  %t = spec.input 1 : !spec.str
  %i = spec.input 2 : i64
  %f = spec.input 3 : f64
  %0 = spec.str_lookup %s ["x", "y", "z"]
  %1 = spec.str_lookup %t ["p", "q"]
  %2 = spec.label_encode %0 {keys = [0, 1, 2], codes = array<f64: 1.0, 2.0, 3.0>, default_code = -1.0 : f64, missing = -1 : i64} : i64
  %3 = spec.label_encode %1 {keys = [0, 1], codes = array<f64: 1.0, 2.0>, default_code = -1.0 : f64, missing = -1 : i64} : i64
  %4:3 = spec.one_hot %i {categories = [5, 6, 7]} : i64 -> f64, f64, f64
  %5:2 = spec.one_hot %i {categories = [8, 9]} : i64 -> f64, f64
  %6:3 = spec.one_hot %f {categories = [0.5, 1.5, 2.5]} : f64 -> f64, f64, f64
  %7:3 = spec.one_hot %i {categories = [1, 2, 3], spec.lookup = "chain"} : i64 -> f64, f64, f64
  spec.output %2, %3, %4#0, %4#1, %4#2, %5#0, %5#1, %6#0, %6#1, %6#2, %7#0, %7#1 : f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64
}
