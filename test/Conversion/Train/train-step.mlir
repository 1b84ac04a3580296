// RUN: specjit-opt %s -split-input-file --spec-expand --convert-spec-to-loops | FileCheck %s

// A 2-3-1 tanh MLP trained on mse with sgd (lr 0.25, momentum 0.75), no l2:
// the widths, the loss and the hyper-parameters are constants in the code.

// CHECK-LABEL: func.func private @specjit_train_body(
// CHECK-SAME: %[[X:[^:]+]]: !llvm.ptr {llvm.noalias}, %{{[^:]+}}: !llvm.ptr {llvm.noalias}, %[[ROWS:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[P:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[M1:[^:]+]]: !llvm.ptr {llvm.noalias},
// CHECK-SAME: %[[N:[^:]+]]: i64, %[[MODE:[^:]+]]: i64) -> i64
// Forward: each row's index, times the feature count (2), addresses its row.
// CHECK: scf.for %[[R:.+]] = %{{.+}} to %[[N]]
// CHECK: %[[IDX:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: %[[OFF:.+]] = arith.muli %[[IDX]], %c2_i64 overflow<nsw, nuw>
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
// Backward, last layer first: the hidden layer's deltas through the output
// weights (before their update), times tanh' = 1 - a^2.
// CHECK: arith.mulf %[[A:.+]], %[[A]]
// CHECK: arith.subf %cst{{.*}}, %{{.+}}
// Then per output: its weight row's gradient summed over the rows, and at
// once sgd on that row (weights 9..11, then its bias 12):
// v = 0.75 v + g; theta -= 0.25 v.
// CHECK: %[[ROW:.+]] = arith.addi %c9_i64{{.*}}, %{{.+}}
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %c3_i64
// CHECK: %[[G:.+]] = llvm.load
// CHECK: %[[P:.+]] = arith.addi %[[ROW]], %[[I]]
// CHECK: %[[MU:.+]] = arith.constant 7.500000e-01 : f64
// CHECK: %[[MV:.+]] = arith.mulf %[[MU]]
// CHECK: %[[V:.+]] = arith.addf %[[MV]], %[[G]]
// CHECK: llvm.store %[[V]]
// CHECK: %[[LR:.+]] = arith.constant 2.500000e-01 : f64
// CHECK: arith.mulf %[[LR]], %[[V]]
// CHECK: arith.subf
// CHECK: arith.addi %c12_i64{{.*}}, %{{.+}}
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
// adam: the bias corrections from pow(beta, t) once per step.
// CHECK: %[[T:.+]] = arith.sitofp
// CHECK: func.call @pow(%{{.+}}, %[[T]])
// CHECK: func.call @pow(%{{.+}}, %[[T]])
// Per output of the last layer (2 x 4 weights): l2 * W added to the
// weight gradient, the update with the constants folded, then its bias.
// CHECK: scf.for %{{.+}} = %{{.+}} to %c2_i64
// CHECK: arith.constant 5.000000e-01 : f64
// CHECK: math.sqrt
// CHECK: math.sqrt
// And the same for the first layer (4 x 3).
// CHECK: scf.for %{{.+}} = %{{.+}} to %c4_i64
// CHECK: arith.constant 5.000000e-01 : f64
// CHECK: math.sqrt
// CHECK: math.sqrt
// CHECK-DAG: func.func private @exp(f64) -> f64
// CHECK-DAG: func.func private @log(f64) -> f64
// CHECK-DAG: func.func private @pow(f64, f64) -> f64
spec.train_step @c {widths = array<i64: 3, 4, 2>, activations = ["relu", "identity"], loss = "cross_entropy", optimizer = "adam", learning_rate = 1.0e-02 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.5 : f64}

// -----

// Logistic regression over 4 features with plain sgd (momentum 0) and an
// epoch of batches of 8 in one call (epoch_batch).

// CHECK-LABEL: func.func private @specjit_train_body(
// Momentum 0: the velocity is the gradient: theta -= 0.5 g over the 4
// weights, then the bias (parameter 4), with no velocity loaded or stored.
// CHECK: %[[TRAIN:.+]] = arith.cmpi eq, %{{.+}}, %c0_i64
// CHECK: scf.if %[[TRAIN]]
// CHECK: %[[LR:.+]] = arith.constant 5.000000e-01 : f64
// CHECK-NEXT: %[[STEP:.+]] = arith.mulf %[[LR]], %{{.+}}
// CHECK-NEXT: llvm.getelementptr
// CHECK-NEXT: llvm.load
// CHECK-NEXT: arith.subf %{{.+}}, %[[STEP]]
// CHECK-NEXT: llvm.getelementptr
// CHECK-NEXT: llvm.store
// CHECK-NEXT: }
// CHECK: arith.addi %c4_i64{{.*}}, %{{.+}}
// CHECK-NEXT: arith.constant 5.000000e-01 : f64
// CHECK-LABEL: func.func @specjit_kernel(
// CHECK-SAME: %[[ARGS:[^:]+]]: !llvm.ptr, %[[OUT:[^:]+]]: !llvm.ptr, %[[M:[^:]+]]: i64) -> i64
// Mode 2 is the epoch.
// CHECK: %[[EPOCH:.+]] = arith.cmpi eq, %{{.+}}, %c2_i64{{.*}}
// CHECK: scf.if %[[EPOCH]] -> (i64)
// The loss of each batch goes to out[1]; the flags and the batch count come
// from slots 9, 10 and 11.
// CHECK: %[[LAST:.+]] = llvm.getelementptr inbounds %[[OUT]][%c1_i64{{.*}}]
// CHECK: llvm.getelementptr inbounds %[[ARGS]][%c9_i64{{.*}}]
// CHECK: llvm.getelementptr inbounds %[[ARGS]][%c10_i64{{.*}}]
// CHECK: llvm.getelementptr inbounds %[[ARGS]][%c11_i64{{.*}}]
// The batches: while rows remain and nothing stopped; each at most 8 rows
// from its first row on, trained (mode 0) by the body.
// CHECK: scf.while (%{{.+}} = %c0_i64{{.*}}, %{{.+}} = %cst{{.*}}, %{{.+}} = %c0_i64{{.*}}, %{{.+}} = %c0_i64{{.*}})
// CHECK: arith.cmpi slt, %{{.+}}, %[[M]]
// CHECK: arith.cmpi eq, %{{.+}}, %c0_i64{{.*}}
// CHECK: scf.condition
// CHECK: arith.subi %[[M]],
// CHECK: %[[COUNT:.+]] = arith.minsi %c8_i64{{.*}},
// CHECK: func.call @specjit_train_body({{.+}}, %[[LAST]], %[[COUNT]], %c0_i64{{.*}})
// The batch's loss, added to the sum in batch order.
// CHECK: %[[LOSS:.+]] = llvm.load %{{.+}} : !llvm.ptr -> f64
// CHECK: arith.addf %{{.+}}, %[[LOSS]]
// Stop after a non-finite loss (1), the cancellation flag (2), the time
// limit (3); flags are atomic byte loads.
// CHECK: %[[ABS:.+]] = math.absf %[[LOSS]]
// CHECK: arith.cmpf one, %[[ABS]]
// CHECK: llvm.load %{{.+}} atomic monotonic {alignment = 1 : i64} : !llvm.ptr -> i8
// CHECK: llvm.load %{{.+}} atomic monotonic {alignment = 1 : i64} : !llvm.ptr -> i8
// CHECK: arith.select %{{.+}}, %c3_i64{{.*}}, %c0_i64
// CHECK: arith.select %{{.+}}, %c2_i64{{.*}}
// CHECK: arith.select %{{.+}}, %{{.+}}, %c1_i64{{.*}}
// CHECK: arith.addi %{{.+}}, %c8_i64{{.*}}
// The sum to out[0], the batch count to its slot; the status returned.
// CHECK: llvm.store %{{.+}}, %{{.+}} : f64, !llvm.ptr
// CHECK: llvm.store %{{.+}}, %{{.+}} : i64, !llvm.ptr
// Other modes: one call of the body over n rows.
// CHECK: func.call @specjit_train_body(
// CHECK: return
spec.train_step @e {widths = array<i64: 4, 1>, activations = ["identity"], loss = "log_loss", optimizer = "sgd", learning_rate = 5.0e-01 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64, batch_rows = 8, epoch_batch = 8}

// -----

// A 3-8-1 relu MLP in batches of 16: the hidden layer (8 outputs) runs
// forward across its outputs, and backward sums four rows per load and
// store of each gradient.

// CHECK-LABEL: func.func private @specjit_train_body(
// The full-batch copy: the weights transposed (8 x 3 into 3 x 8).
// CHECK: scf.for %[[O:.+]] = %{{.+}} to %c8_i64
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %c3_i64
// CHECK: %[[FROM:.+]] = arith.addi %{{.+}}, %[[I]]
// CHECK: %[[TO:.+]] = arith.addi %{{.+}}, %[[O]]
// CHECK: llvm.getelementptr inbounds %{{.+}}[%[[FROM]]]
// CHECK: llvm.load
// CHECK: llvm.getelementptr inbounds %{{.+}}[%[[TO]]]
// CHECK: llvm.store
// Per row the three inputs loaded once, then a loop over the 8 outputs
// with each output's dot product unrolled over the inputs (from 0.0, one
// chain for fewer than 8 inputs), the bias added, stored ...
// CHECK: scf.for %{{.+}} = %{{.+}} to %c16_i64
// CHECK: %[[X0:.+]] = llvm.load %{{.+}} : !llvm.ptr -> f64
// CHECK: %[[X1:.+]] = llvm.load %{{.+}} : !llvm.ptr -> f64
// CHECK: %[[X2:.+]] = llvm.load %{{.+}} : !llvm.ptr -> f64
// CHECK: scf.for %{{.+}} = %{{.+}} to %c8_i64
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[T0:.+]] = arith.mulf %{{.+}}, %[[X0]]
// CHECK: %[[S0:.+]] = arith.addf %[[ZERO]], %[[T0]]
// CHECK: %[[T1:.+]] = arith.mulf %{{.+}}, %[[X1]]
// CHECK: %[[S1:.+]] = arith.addf %[[S0]], %[[T1]]
// CHECK: %[[T2:.+]] = arith.mulf %{{.+}}, %[[X2]]
// CHECK: %[[S2:.+]] = arith.addf %[[S1]], %[[T2]]
// CHECK: arith.addf %[[S2]],
// CHECK: llvm.store
// ... and relu applied in a loop of its own.
// CHECK: scf.for %{{.+}} = %{{.+}} to %c8_i64
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// Backward: the rows in steps of four up to 16 - 16 mod 4, then one by one.
// CHECK: %[[REM:.+]] = arith.remsi %c16_i64{{.*}}, %c4_i64
// CHECK: %[[WHOLE:.+]] = arith.subi %c16_i64{{.*}}, %[[REM]]
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[WHOLE]] step %c4_i64
// CHECK: scf.for %{{.+}} = %[[WHOLE]] to %c16_i64
spec.train_step @w {widths = array<i64: 3, 8, 1>, activations = ["relu", "identity"], loss = "mse", optimizer = "sgd", learning_rate = 1.0e-01 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64, batch_rows = 16, epoch_batch = 16}

// -----

// Batches of one row (SGDClassifier's per-sample update) of a linear model:
// the row step keeps the margin, p and the delta as values, updates the
// weights before it computes the loss (the next row's dot product waits for
// the update, not for the loss's library calls), and asks for 256-bit
// vectors; the epoch loop inlines the body.

// CHECK-LABEL: func.func private @specjit_train_body(
// CHECK-SAME: passthrough = ["alwaysinline", ["prefer-vector-width", "256"]]
// CHECK: %[[ONE:.+]] = arith.cmpi eq, %{{.+}}, %c1_i64
// CHECK: scf.if %[[ONE]] {
// No scratch: the dot product reads the row and the weights.
// CHECK-NOT: llvm.store
// CHECK: %[[DOT:.+]] = scf.for {{.+}} to %c3_i64{{.*}} iter_args
// CHECK: %[[Z:.+]] = arith.addf %[[DOT]], %{{.+}} : f64
// CHECK-NOT: llvm.store
// p = 1 / (1 + exp(-z)), the delta p - y.
// CHECK: %[[NZ:.+]] = arith.negf %[[Z]]
// CHECK: func.call @exp(%[[NZ]])
// CHECK: %[[P:.+]] = arith.divf
// CHECK: %[[D0:.+]] = arith.subf %[[P]], %[[Y:.+]] : f64
// CHECK: %[[D:.+]] = arith.divf %[[D0]], %cst
// CHECK-NOT: func.call
// CHECK: scf.if
// CHECK: scf.for
// CHECK: arith.mulf %[[D]], %{{.+}} : f64
// CHECK: llvm.store
// CHECK: arith.addf %{{.+}}, %[[D]] : f64
// CHECK: llvm.store
// CHECK: }
// Then the loss, softplus of the signed margin, into *out.
// CHECK: arith.cmpf oeq, %[[Y]]
// CHECK: func.call @exp(
// CHECK: func.call @log(
// CHECK: llvm.store
// CHECK: } else {
// CHECK-LABEL: func.func @specjit_kernel(
// CHECK-SAME: passthrough = {{\[}}["prefer-vector-width", "256"]]
spec.train_step @r {widths = array<i64: 3, 1>, activations = ["identity"], loss = "log_loss", optimizer = "sgd", learning_rate = 5.0e-01 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64, batch_rows = 1, epoch_batch = 1}
