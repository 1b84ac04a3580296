// RUN: specjit-opt %s --convert-spec-to-loops -verify-diagnostics

spec.kernel @k attributes {input_names = ["x"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  // expected-error @+1 {{'spec.log' op must be expanded before convert-spec-to-loops (run spec-expand first)}}
  %1 = spec.log %0
  spec.output %1 : f64
}
