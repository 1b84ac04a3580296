// RUN: specjit-opt %s --specjit-lower-to-llvm | FileCheck %s

// The whole spec -> llvm dialect pipeline leaves only llvm dialect ops; log
// stays an intrinsic so LLVM can vectorize it with a vector math library.

// CHECK-NOT: spec.
// CHECK-NOT: arith.
// CHECK-NOT: scf.
// CHECK-LABEL: llvm.func @specjit_kernel_body(
// CHECK-SAME: !llvm.ptr {llvm.noalias}
// CHECK: llvm.intr.log
// CHECK: llvm.fdiv
// CHECK: llvm.fptrunc %{{.+}} : f64 to f32
// CHECK: llvm.store
// CHECK-LABEL: llvm.func @specjit_kernel(
// CHECK: llvm.call @specjit_kernel_body
spec.kernel @k attributes {input_names = ["x"], input_types = [f64], output_names = ["x"], output_type = f32} {
  %0 = spec.input 0 : f64
  %1 = spec.log %0
  %2 = spec.standardize %1 {mean = 10.0 : f64, std = 2.0 : f64}
  spec.output %2 : f64
}
