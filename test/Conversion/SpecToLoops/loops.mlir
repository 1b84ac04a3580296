// RUN: specjit-opt %s -split-input-file --convert-spec-to-loops | FileCheck %s

// The kernel ABI: the entry loads one pointer per numeric input and calls the
// body, whose pointers are noalias; the row loop loads, widens and stores.

// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK-SAME: %[[B:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %[[I:[a-z0-9]+]]: !llvm.ptr {llvm.noalias},
// CHECK-SAME: %[[F:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %[[OUT:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %[[ROWS:[a-z0-9]+]]: i64) -> i64
// CHECK-NOT: scf.while
// CHECK: scf.if
// CHECK: scf.for %[[IV:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[ROW:.+]] = arith.index_cast %[[IV]] : index to i64
// bool: one byte, zero-extended
// CHECK: %[[BP:.+]] = llvm.getelementptr inbounds %[[B]][%[[ROW]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[BV:.+]] = llvm.load %[[BP]] : !llvm.ptr -> i8
// CHECK: arith.extui %[[BV]] : i8 to i64
// i32: sign-extended
// CHECK: %[[IP:.+]] = llvm.getelementptr inbounds %[[I]][%[[ROW]]] : (!llvm.ptr, i64) -> !llvm.ptr, i32
// CHECK: %[[IV32:.+]] = llvm.load %[[IP]] : !llvm.ptr -> i32
// CHECK: arith.extsi %[[IV32]] : i32 to i64
// f32: widened exactly
// CHECK: %[[FP:.+]] = llvm.getelementptr inbounds %[[F]][%[[ROW]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK: %[[FV:.+]] = llvm.load %[[FP]] : !llvm.ptr -> f32
// CHECK: %[[FW:.+]] = arith.extf %[[FV]] : f32 to f64
// row-major output: out[row * 3 + j], rounded to f32, each column stored
// as soon as its value is computed (here the f32 input, column 2, first);
// index arithmetic wraps neither signed nor unsigned
// CHECK: arith.truncf %[[FW]] : f64 to f32
// CHECK: %[[BASE:.+]] = arith.muli %[[ROW]], %{{[^ ]+}} overflow<nsw, nuw> : i64
// CHECK: %[[J2:.+]] = arith.addi %[[BASE]], %c2_i64 overflow<nsw, nuw> : i64
// CHECK: llvm.getelementptr inbounds %[[OUT]][%[[J2]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK: llvm.store
// CHECK: arith.sitofp
// CHECK: arith.truncf %{{.+}} : f64 to f32
// CHECK: arith.addi %[[BASE]], %c0_i64{{.*}} overflow<nsw, nuw> : i64
// CHECK: llvm.store
// CHECK: arith.sitofp
// CHECK-NOT: arith.muli
// CHECK: arith.addi %[[BASE]], %c1_i64{{.*}} overflow<nsw, nuw> : i64
// CHECK: llvm.store
// CHECK: return
// CHECK-LABEL: func.func @specjit_kernel(
// CHECK-SAME: %[[ARGS:.+]]: !llvm.ptr, %[[O:.+]]: !llvm.ptr, %[[N:.+]]: i64) -> i64
// CHECK-COUNT-3: llvm.load %{{.+}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S:.+]] = call @specjit_kernel_body(%{{.+}}, %{{.+}}, %{{.+}}, %[[O]], %[[N]])
// CHECK: return %[[S]] : i64
// CHECK-NOT: spec.kernel
spec.kernel @types attributes {input_names = ["b", "i", "f"], input_types = [i1, i32, f32], output_names = ["b", "i", "f"], output_type = f32} {
  %0 = spec.input 0 : i64
  %1 = spec.input 1 : i64
  %2 = spec.input 2 : f64
  %3 = arith.sitofp %0 : i64 to f64
  %4 = arith.sitofp %1 : i64 to f64
  spec.output %3, %4, %2 : f64, f64, f64
}

// -----

// Data checks run first, in a loop that stops at the first failing row; the
// row loop runs only when every row passed. The check loop stores nothing.
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK: %[[W:.+]]:2 = scf.while (%[[R:.+]] = %{{.+}}, %[[OK:.+]] = %{{.+}}) : (i64, i1) -> (i64, i1)
// CHECK: arith.cmpi slt, %[[R]]
// CHECK: scf.condition
// CHECK: } do {
// CHECK: arith.cmpi eq
// CHECK-NOT: llvm.store
// CHECK: scf.yield
// CHECK: %[[FAILED:.+]] = arith.xori %[[W]]#1, %{{.+}} : i1
// CHECK: %[[STATUS:.+]] = arith.select %[[FAILED]], %[[W]]#0, %{{.+}} : i64
// CHECK: %[[PASS:.+]] = arith.cmpi eq, %[[STATUS]], %{{.+}} : i64
// CHECK: scf.if %[[PASS]] {
// CHECK: scf.for
// CHECK-NOT: spec.check
// CHECK: llvm.store
// CHECK: return %[[STATUS]] : i64
spec.kernel @checked attributes {input_names = ["c"], input_types = [i64], output_names = ["c=1"], output_type = f64} {
  %0 = spec.input 0 : i64
  %c1 = arith.constant 1 : i64
  %1 = arith.cmpi eq, %0, %c1 : i64
  %2 = arith.uitofp %1 : i1 to f64
  spec.check %1, "value is not one of the categories"
  spec.output %2 : f64
}

// -----

// Strings: two slots (offsets, bytes). Rows go in blocks: a first loop
// resolves the block's lookups into a stack buffer, reading bytes only after
// the length matched, as little-endian words ("ab" = 0x6261 = 25185); then
// the branch-free row loop reads the indices.
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK-SAME: %[[OFF:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}, %[[BYTES:[a-z0-9]+]]: !llvm.ptr {llvm.noalias}
// CHECK: %[[BUF:.+]] = llvm.alloca %{{.+}} x i64 {alignment = 64 : i64}
// CHECK: scf.for %[[FIRST:.+]] = %{{.+}} to %{{.+}} step %{{.+}} : i64 {
// CHECK: %[[COUNT:.+]] = arith.minsi
// CHECK: scf.for %[[J:.+]] = %{{.+}} to %[[COUNT]]
// CHECK: %[[START:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: %[[END:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: %[[LEN:.+]] = arith.subi %[[END]], %[[START]] : i64
// CHECK: %[[LENOK:.+]] = arith.cmpi eq, %[[LEN]], %{{.+}} : i64
// CHECK: scf.if %[[LENOK]] -> (i64) {
// CHECK: llvm.getelementptr inbounds %[[BYTES]][%[[START]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[WORD:.+]] = llvm.load %{{.+}} {alignment = 1 : i64} : !llvm.ptr -> i16
// CHECK: arith.cmpi eq, %[[WORD]], %{{.+}} : i16
// CHECK: } else {
// CHECK: llvm.store %{{.+}}, %{{.+}} : i64, !llvm.ptr
// CHECK: scf.for %[[J2:.+]] = %{{.+}} to %[[COUNT]]
// CHECK-NOT: scf.if
// CHECK: llvm.getelementptr inbounds %[[BUF]][%{{.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, i64
// CHECK: llvm.store %{{.+}}, %{{.+}} : f64, !llvm.ptr
// CHECK: llvm.load %{{.+}} : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.load %{{.+}} : !llvm.ptr -> !llvm.ptr
spec.kernel @strings attributes {input_names = ["s"], input_types = [!spec.str], output_names = ["s"], output_type = f64} {
  %0 = spec.input 0 : !spec.str
  %1 = spec.str_lookup %0 ["ab"]
  %2 = arith.sitofp %1 : i64 to f64
  spec.output %2 : f64
}
