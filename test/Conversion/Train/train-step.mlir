// RUN: specjit-opt %s -split-input-file --spec-expand --convert-spec-to-loops | FileCheck %s

// A 2-3-1 tanh MLP trained on mse with sgd (lr 0.25, momentum 0.75), no l2:
// the widths, the loss and the hyper-parameters are constants in the code.

// CHECK-LABEL: func.func private @specjit_train_body(
// CHECK-SAME: %[[X:[^:]+]]: !llvm.ptr {llvm.noalias}, %{{[^:]+}}: !llvm.ptr {llvm.noalias}, %[[ROWS:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[P:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[M1:[^:]+]]: !llvm.ptr {llvm.noalias},
// CHECK-SAME: %[[N:[^:]+]]: i64, %[[MODE:[^:]+]]: i64) -> i64
// Forward: each row's index, times the feature count (2), addresses its row.
// CHECK: scf.for %[[R:.+]] = %{{.+}} to %[[N]]
// CHECK: %[[IDX:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: %[[OFF:.+]] = arith.muli %[[IDX]], %c2_i64
// CHECK: llvm.getelementptr inbounds %[[X]][%[[OFF]]]
// The hidden layer's dot product is an ordered sum, then the C library's tanh.
// CHECK: scf.for %{{.+}} = %{{.+}} to %c3_i64
// CHECK: scf.for {{.+}} iter_args
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: func.call @tanh(
// mse: d/dz = 2 (z - y) / n.
// CHECK: %[[E:.+]] = arith.subf
// CHECK: arith.mulf %[[E]], %[[E]]
// CHECK: arith.mulf %cst{{.*}}, %[[E]]
// CHECK: arith.divf
// Training only in mode 0.
// CHECK: %[[TRAIN:.+]] = arith.cmpi eq, %[[MODE]], %c0_i64
// CHECK: scf.if %[[TRAIN]]
// sgd over all 13 parameters: v = 0.75 v + g; theta -= 0.25 v.
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %c13_i64
// CHECK: %[[MU:.+]] = arith.constant 7.500000e-01 : f64
// CHECK: %[[MV:.+]] = arith.mulf %[[MU]]
// CHECK: %[[V:.+]] = arith.addf %[[MV]]
// CHECK: llvm.store %[[V]]
// CHECK: %[[LR:.+]] = arith.constant 2.500000e-01 : f64
// CHECK: arith.mulf %[[LR]], %[[V]]
// CHECK: arith.subf
// The math functions are declared nobuiltin: LLVM keeps the scalar calls.
// CHECK: func.func private @tanh(f64) -> f64 attributes {passthrough = ["nobuiltin", "nounwind", "willreturn"]}
// The entry has the kernel ABI and reads the mode through its slot.
// CHECK-LABEL: func.func @specjit_kernel(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: i64) -> i64
// CHECK: call @specjit_train_body(
spec.train_step @m {widths = array<i64: 2, 3, 1>, activations = ["tanh", "identity"], loss = "mse", optimizer = "sgd", learning_rate = 2.5e-01 : f64, momentum = 7.5e-01 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// Softmax cross-entropy with adam and l2 0.5 over a 3-4-2 relu MLP.

// CHECK-LABEL: func.func private @specjit_train_body(
// relu as a compare and a select.
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// Cross-entropy: the largest margin, exponentials summed in order, their log.
// CHECK: arith.cmpf olt
// CHECK: func.call @exp(
// CHECK: func.call @log(
// CHECK: scf.if
// l2 * W added to the weight gradients (4 x 3 and 2 x 4 weights).
// CHECK: arith.constant 5.000000e-01 : f64
// adam: bias corrections from pow(beta, t), then the update with the
// constants folded.
// CHECK: %[[T:.+]] = arith.sitofp
// CHECK: func.call @pow(%{{.+}}, %[[T]])
// CHECK: func.call @pow(%{{.+}}, %[[T]])
// CHECK: scf.for %{{.+}} = %{{.+}} to %c26_i64
// CHECK: math.sqrt
// CHECK-DAG: func.func private @exp(f64) -> f64
// CHECK-DAG: func.func private @log(f64) -> f64
// CHECK-DAG: func.func private @pow(f64, f64) -> f64
spec.train_step @c {widths = array<i64: 3, 4, 2>, activations = ["relu", "identity"], loss = "cross_entropy", optimizer = "adam", learning_rate = 1.0e-02 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.5 : f64}
