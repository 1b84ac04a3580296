// RUN: specjit-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'spec.metrics_pass' op unknown task 'ranking' (expected binary, multiclass or regression)}}
spec.metrics_pass @m {task = "ranking", classes = 2, accumulators = ["counts"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op a binary task has 2 classes, got 3}}
spec.metrics_pass @m {task = "binary", classes = 3, accumulators = ["counts"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op a multiclass task has 2..1024 classes, got 1025}}
spec.metrics_pass @m {task = "multiclass", classes = 1025, accumulators = ["counts"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op a multiclass task has 2..1024 classes, got 1}}
spec.metrics_pass @m {task = "multiclass", classes = 1, accumulators = ["counts"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op a regression task has no classes (0), got 2}}
spec.metrics_pass @m {task = "regression", classes = 2, accumulators = ["r2"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op threshold must be finite}}
spec.metrics_pass @m {task = "binary", classes = 2, threshold = 0x7FF0000000000000 : f64, accumulators = ["counts"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op only a binary task has a threshold}}
spec.metrics_pass @m {task = "multiclass", classes = 3, threshold = 0.25 : f64, accumulators = ["counts"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op unknown accumulator 'hinge' (expected counts, log_loss, squared_error, absolute_error, r2 or row_sums)}}
spec.metrics_pass @m {task = "binary", classes = 2, accumulators = ["hinge"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op accumulator 'counts' is listed twice}}
spec.metrics_pass @m {task = "binary", classes = 2, accumulators = ["counts", "counts"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op accumulator 'r2' is not defined for a binary task}}
spec.metrics_pass @m {task = "binary", classes = 2, accumulators = ["r2"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op accumulator 'log_loss' is not defined for a regression task}}
spec.metrics_pass @m {task = "regression", classes = 0, accumulators = ["log_loss"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op accumulator 'row_sums' is not defined for a binary task}}
spec.metrics_pass @m {task = "binary", classes = 2, accumulators = ["row_sums"]}

// -----

// expected-error @+1 {{'spec.metrics_pass' op requires attribute 'accumulators'}}
spec.metrics_pass @m {task = "binary", classes = 2}
