// RUN: specjit-opt %s -split-input-file --spec-expand --convert-spec-to-loops --canonicalize | FileCheck %s

// Binary counts and log loss at threshold 0.25: one pass over the rows in
// buffers of 8192, the four confusion counts in registers, the log losses
// summed pairwise per buffer (numpy's add.reduce), the threshold and the
// clipping bounds constants.

// numpy's pairwise_sum, recursive: below 8 in order, up to 128 with 8
// partial sums, above split at n / 2 rounded down to a multiple of 8.
// CHECK-LABEL: func.func private @specjit_metrics_pairwise_sum(
// CHECK: arith.cmpi slt, %{{.+}}, %c8_i64
// CHECK: arith.cmpi sle, %{{.+}}, %c128_i64
// CHECK: scf.for {{.+}} step %c8_i64 iter_args({{.+}}) -> (f64, f64, f64, f64, f64, f64, f64, f64)
// CHECK: arith.divsi %{{.+}}, %c2_i64
// CHECK: arith.remsi
// CHECK: func.call @specjit_metrics_pairwise_sum(
// CHECK: func.call @specjit_metrics_pairwise_sum(

// CHECK-LABEL: func.func private @specjit_metrics_body(
// CHECK-SAME: %[[Y:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[S:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[SCRATCH:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[OUT:[^:]+]]: !llvm.ptr {llvm.noalias}, %[[N:[^:]+]]: i64) -> i64
// CHECK-DAG: %[[HI:.+]] = arith.constant 0.999999999999999 : f64
// CHECK-DAG: %[[LO:.+]] = arith.constant 1.000000e-15 : f64
// CHECK-DAG: %[[T:.+]] = arith.constant 2.500000e-01 : f64
// CHECK: scf.for %[[BASE:.+]] = %c0_i64 to %[[N]] step %c8192_i64 iter_args
// CHECK: %[[LEN:.+]] = arith.minsi %{{.+}}, %c8192_i64
// CHECK: scf.for %[[I:.+]] = %c0_i64 to %[[LEN]] step %c1_i64 iter_args
// CHECK: llvm.getelementptr inbounds %[[Y]][
// CHECK: llvm.getelementptr inbounds %[[S]][
// CHECK-NEXT: %[[SCORE:.+]] = llvm.load
// Non-finite scores are counted in the row loop (an add reduction).
// CHECK: math.absf
// CHECK: arith.cmpf olt, %{{.+}}, %cst
// CHECK: arith.extui
// CHECK: arith.addi
// The predicted class and the cell t * 2 + p, counted by compares.
// CHECK: arith.cmpf ogt, %[[SCORE]], %[[T]]
// CHECK: arith.extui
// CHECK: arith.cmpi eq, %[[CELL:.+]], %c0_i64
// CHECK: arith.cmpi eq, %[[CELL]], %c3_i64
// Log loss: clip, (1 - q1, q1), renormalize, the C library's log.
// CHECK: arith.cmpf olt, %[[SCORE]], %[[LO]]
// CHECK: arith.cmpf olt, %[[HI]]
// CHECK: func.call @log(
// CHECK: arith.negf
// CHECK: llvm.getelementptr inbounds %[[SCRATCH]][%[[I]]]
// A buffer with a non-finite score is scanned again for the first one.
// CHECK: scf.if %{{.+}} -> (i64)
// CHECK: scf.for %{{.+}} = %c0_i64 to %[[LEN]]
// CHECK: func.call @specjit_metrics_pairwise_sum(%[[SCRATCH]], %[[LEN]])
// The confusion cells go to slots 6..9.
// CHECK: llvm.getelementptr inbounds %[[OUT]][6] {{.+}} i64
// CHECK: llvm.getelementptr inbounds %[[OUT]][9] {{.+}} i64
// CHECK: func.func private @log(f64) -> f64 attributes {passthrough = ["nobuiltin", "nounwind", "willreturn"]}
// The entry has the kernel ABI and loads labels, scores and scratch.
// CHECK-LABEL: func.func @specjit_kernel(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: i64) -> i64
// CHECK: call @specjit_metrics_body(
spec.metrics_pass @churn {task = "binary", classes = 2, threshold = 0.25 : f64, accumulators = ["counts", "log_loss"]}

// -----

// Multiclass (k = 3, a constant): the cells zeroed, the first argmax, a
// cell of `out` counted; the clipped row summed pairwise (k < 8: in order);
// np.allclose(1, row sum) for roc_auc.
// CHECK-LABEL: func.func private @specjit_metrics_body(
// CHECK: scf.for %{{.+}} = %c0_i64 to %c9_i64
// CHECK: llvm.store %c0_i64
// CHECK: scf.for {{.+}} step %c8192_i64
// CHECK: arith.muli %{{.+}}, %c3_i64 overflow<nsw, nuw>
// CHECK: scf.for %[[J:.+]] = %c1_i64 to %c3_i64 {{.+}} -> (i64, f64)
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: arith.addi %{{.+}}, %c1_i64
// CHECK: llvm.store %{{.+}} : i64, !llvm.ptr
// CHECK: scf.for %{{.+}} = %c0_i64 to %c3_i64 {{.+}} -> (f64)
// CHECK: func.call @log(
// CHECK: %[[ROWSUM:.+]] = scf.for %{{.+}} = %c0_i64 to %c3_i64 {{.+}} -> (f64)
// CHECK: %[[DIFF:.+]] = arith.subf %cst{{.*}}, %[[ROWSUM]]
// CHECK: math.absf %[[DIFF]]
// CHECK: math.absf %[[ROWSUM]]
// CHECK: arith.cmpf ole
spec.metrics_pass @iris {task = "multiclass", classes = 3, accumulators = ["counts", "log_loss", "row_sums"]}

// -----

// Regression mae and r2: |s - y| and (y - s)^2 into their term buffers, the
// labels summed pairwise in place, then a second pass over the labels for
// sum (y - mean)^2 with numpy's mean (the sum divided by n).
// CHECK-LABEL: func.func private @specjit_metrics_body(
// CHECK-SAME: %[[Y:[^:]+]]: !llvm.ptr {llvm.noalias}, %{{[^:]+}}: !llvm.ptr {llvm.noalias}, %[[SCRATCH:[^:]+]]: !llvm.ptr {llvm.noalias}, %{{[^:]+}}: !llvm.ptr {llvm.noalias}, %[[N:[^:]+]]: i64) -> i64
// CHECK-NOT: func.call @log
// CHECK: scf.for %[[BASE:.+]] = %c0_i64 to %[[N]] step %c8192_i64
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: math.absf
// CHECK: func.call @specjit_metrics_pairwise_sum(
// CHECK: func.call @specjit_metrics_pairwise_sum(
// CHECK: %[[YB:.+]] = llvm.getelementptr inbounds %[[Y]][%[[BASE]]]
// CHECK: func.call @specjit_metrics_pairwise_sum(%[[YB]],
// CHECK: %[[NF:.+]] = arith.sitofp %[[N]] : i64 to f64
// CHECK: %[[MEAN:.+]] = arith.divf %{{.+}}, %[[NF]]
// CHECK: scf.for {{.+}} = %c0_i64 to %[[N]] step %c8192_i64
// CHECK: arith.subf %{{.+}}, %[[MEAN]]
// CHECK: func.call @specjit_metrics_pairwise_sum(
spec.metrics_pass @house {task = "regression", classes = 0, accumulators = ["absolute_error", "r2"]}
