// RUN: specjit-opt %s -split-input-file --spec-expand="lookup-table-min-keys=4 lookup-table-min-int-keys=4" --convert-spec-to-loops | FileCheck %s

// Lookups with at least lookup-table-min-keys keys read constant tables; the
// code does not grow with the keys. Strings: a hash table of key indices over
// a blob of the keys and their offsets; the row's bytes are hashed as 8-byte
// words, then bytes; a candidate is compared by length, then with memcmp.
// label_encode on the indices 0..n-1 is a range check and a gather from the
// codes (default first).

// Tables are byte arrays of little-endian elements: f64 codes (-1 first),
// 16 i32 slots, i64 offsets, the key bytes.
// CHECK-DAG: llvm.mlir.global private constant @specjit_lookup[[L:[0-9]+]]_codes("\00\00\00\00\00\00\F0\BF\00\00\00\00\00\00\F0?{{.+}}")
// CHECK-DAG: llvm.func @memcmp(!llvm.ptr, !llvm.ptr, i64) -> i32
// CHECK-DAG: llvm.mlir.global private constant @specjit_lookup[[S:[0-9]+]]_slots("{{.+}}\04\00\00\00")
// CHECK-DAG: llvm.mlir.global private constant @specjit_lookup[[S]]_offsets("\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\01\00\00\00\00\00\00\00\03\00\00\00\00\00\00\00\0C\00\00\00\00\00\00\00\0E\00\00\00\00\00\00\00")
// CHECK-DAG: llvm.mlir.global private constant @specjit_lookup[[S]]_bytes("aababcdefghi\C3\A9")
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK: llvm.mlir.addressof @specjit_lookup[[S]]_slots
// CHECK: scf.for {{.+}} iter_args
// CHECK: llvm.load %{{.+}} {alignment = 1 : i64} : !llvm.ptr -> i64
// CHECK: scf.for {{.+}} iter_args
// CHECK: llvm.load %{{.+}} : !llvm.ptr -> i8
// CHECK: scf.while
// CHECK: llvm.call @memcmp
// CHECK: scf.condition
// CHECK: %[[IDX:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: %[[IN:.+]] = arith.cmpi ult, %[[IDX]], %{{.+}} : i64
// CHECK: %[[POS:.+]] = arith.select %[[IN]], %[[IDX]], %{{.+}} : i64
// CHECK: %[[AT:.+]] = arith.addi %[[POS]], %{{.+}} : i64
// CHECK: llvm.getelementptr inbounds %{{.+}}[%[[AT]]] : (!llvm.ptr, i64) -> !llvm.ptr, f64
// CHECK-NOT: arith.cmpi eq, %{{.+}}, %c
spec.kernel @string_table attributes {input_names = ["s"], input_types = [!spec.str], output_names = ["s"], output_type = f64} {
  %0 = spec.input 0 : !spec.str
  %1 = spec.str_lookup %0 ["", "a", "ab", "abcdefghi", "\C3\A9"]
  %2 = spec.label_encode %1 {keys = [0, 1, 2, 3, 4], codes = array<f64: 1.0, 2.0, 3.0, 4.0, 5.0>, default_code = -1.0 : f64, missing = -1 : i64} : i64
  spec.output %2 : f64
}

// -----

// Under the threshold the chain stays: keys grouped by length, compared as
// words; no table.
// CHECK-NOT: llvm.mlir.global
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK-NOT: memcmp
// CHECK: arith.cmpi eq
// CHECK: scf.if
spec.kernel @string_chain attributes {input_names = ["s"], input_types = [!spec.str], output_names = ["s"], output_type = f64} {
  %0 = spec.input 0 : !spec.str
  %1 = spec.str_lookup %0 ["red", "blue"]
  %2 = spec.label_encode %1 {keys = [0, 1], codes = array<f64: 1.0, 2.0>, default_code = -1.0 : f64, missing = -1 : i64} : i64
  spec.output %2 : f64
}

// -----

// Sparse integer keys: sorted with their indices, a branch-free binary search
// of a fixed number of steps (3 for 8 keys). A one_hot run of output columns
// is zeroed with one memset (8 f64 = 64 bytes), then the one 1.0 stored.
// keys: -500, -7, 3, 40, 1000, 7919, 100000, 123456789012; index: 4, 1, 0, 2, 3, 5, 6, 7.
// CHECK-DAG: llvm.mlir.global private constant @specjit_lookup[[T:[0-9]+]]_keys("\0C\FE\FF\FF\FF\FF\FF\FF\F9\FF\FF\FF\FF\FF\FF\FF\03\00\00\00\00\00\00\00({{.+}}\14\1A\99\BE\1C\00\00\00")
// CHECK-DAG: llvm.mlir.global private constant @specjit_lookup[[T]]_index("\04\00\00\00\01\00\00\00\00\00\00\00\02\00\00\00\03\00\00\00\05\00\00\00\06\00\00\00\07\00\00\00")
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK: %[[X:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: %[[SEARCH:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %c3_i64 step %{{.+}} iter_args(%[[BASE:.+]] = %{{.+}}, %[[LEN:.+]] = %c8_i64) -> (i64, i64)
// CHECK: arith.cmpi sle, %{{.+}}, %[[X]] : i64
// CHECK: arith.select
// CHECK: %[[FOUND:.+]] = arith.cmpi eq, %{{.+}}, %[[X]] : i64
// CHECK: %[[POS:.+]] = arith.select %[[FOUND]], %{{.+}}, %{{.+}} : i64
// CHECK: "llvm.intr.memset"(%{{.+}}, %{{.+}}, %c64_i64) <{isVolatile = false}>
// CHECK: %[[REL:.+]] = arith.subi %[[POS]], %{{.+}} : i64
// CHECK: %[[IN:.+]] = arith.cmpi ult, %[[REL]], %c8_i64{{.*}} : i64
// CHECK: scf.if %[[IN]] {
// CHECK: llvm.store %{{.+}}, %{{.+}} : f64, !llvm.ptr
// CHECK: }
// CHECK-NEXT: }
spec.kernel @int_sorted attributes {input_names = ["c"], input_types = [i64], output_names = ["a", "b", "c", "d", "e", "f", "g", "h"], output_type = f64} {
  %0 = spec.input 0 : i64
  %1:8 = spec.one_hot %0 {categories = [3, -7, 40, 1000, -500, 7919, 100000, 123456789012], missing = -1 : i64} : i64 -> f64, f64, f64, f64, f64, f64, f64, f64
  spec.output %1#0, %1#1, %1#2, %1#3, %1#4, %1#5, %1#6, %1#7 : f64, f64, f64, f64, f64, f64, f64, f64
}

// -----

// Keys within a small span: an index array over [min, max] plus one -1 that
// every value outside is clamped to (unsigned min). A one_hot column read by
// another op is materialized as one compare of the position; with
// unknown_error the checking loop tests the position.
// index over 10..14, then the -1 for everything outside: 1, -1, 0, 3, 2, -1.
// CHECK-DAG: llvm.mlir.global private constant @specjit_lookup[[D:[0-9]+]]_dense("\01\00\00\00\FF\FF\FF\FF\00\00\00\00\03\00\00\00\02\00\00\00\FF\FF\FF\FF")
// CHECK-LABEL: func.func private @specjit_kernel_body(
// CHECK: scf.while
// CHECK: %[[D1:.+]] = arith.subi %{{.+}}, %c10_i64 : i64
// CHECK: %[[D2:.+]] = arith.minui %[[D1]], %c5_i64 : i64
// CHECK: arith.cmpi sge
// CHECK: scf.yield
// CHECK: scf.for
// CHECK: arith.minui
// CHECK: %[[P:.+]] = arith.extsi %{{.+}} : i32 to i64
// CHECK: %[[EQ:.+]] = arith.cmpi eq, %[[P]], %c2_i64 : i64
// CHECK: %[[F:.+]] = arith.uitofp %[[EQ]] : i1 to f64
// CHECK: arith.addf %[[F]]
spec.kernel @int_dense attributes {input_names = ["c"], input_types = [i64], output_names = ["x"], output_type = f64} {
  %0 = spec.input 0 : i64
  %1:4 = spec.one_hot %0 {categories = [12, 10, 14, 13], unknown_error} : i64 -> f64, f64, f64, f64
  %c = arith.constant 1.0 : f64
  %2 = arith.addf %1#2, %c : f64
  spec.output %2 : f64
}
