// RUN: specjit-opt %s -split-input-file | specjit-opt | FileCheck %s

// The metrics_pass op round-trips with the task, the class count, the
// threshold and the accumulators as attributes.
// CHECK-LABEL: spec.metrics_pass @churn
// CHECK-SAME: accumulators = ["counts", "log_loss"]
// CHECK-SAME: classes = 2 : i64
// CHECK-SAME: task = "binary"
// CHECK-SAME: threshold = 2.500000e-01 : f64
spec.metrics_pass @churn {task = "binary", classes = 2, threshold = 0.25 : f64, accumulators = ["counts", "log_loss"]}

// -----

// The threshold defaults to 0.5 (and is not printed then).
// CHECK-LABEL: spec.metrics_pass @iris
// CHECK-SAME: accumulators = ["counts", "log_loss", "row_sums"]
// CHECK-SAME: classes = 3 : i64
// CHECK-SAME: task = "multiclass"
// CHECK-NOT: threshold
spec.metrics_pass @iris {task = "multiclass", classes = 3, accumulators = ["counts", "log_loss", "row_sums"]}

// -----

// CHECK-LABEL: spec.metrics_pass @house
// CHECK-SAME: accumulators = ["absolute_error", "r2"]
// CHECK-SAME: classes = 0 : i64
// CHECK-SAME: task = "regression"
spec.metrics_pass @house {task = "regression", classes = 0, accumulators = ["absolute_error", "r2"]}

// -----

// No accumulator: the pass only checks the scores (roc_auc alone).
// CHECK-LABEL: spec.metrics_pass @auc
// CHECK-SAME: accumulators = []
spec.metrics_pass @auc {task = "binary", classes = 2, accumulators = []}
