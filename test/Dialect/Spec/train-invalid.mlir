// RUN: specjit-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'spec.train_step' op has 2 widths for 2 layers (expected one more than layers)}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["relu", "identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op width #1 must be at least 1, got 0}}
spec.train_step @t {widths = array<i64: 4, 0>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op unknown activation 'gelu'}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["gelu"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op mse needs one output, got 2}}
spec.train_step @t {widths = array<i64: 4, 2>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op cross_entropy needs at least two outputs, got 1}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "cross_entropy", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op unknown loss 'hinge'}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "hinge", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op unknown optimizer 'rmsprop'}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "rmsprop", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op learning_rate must be finite and positive}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.0 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op momentum must be in [0, 1)}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 1.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op beta1 and beta2 must be in [0, 1)}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "adam", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 1.0 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op epsilon must be finite and positive}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "adam", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 0.0 : f64, l2 = 0.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op l2 must be finite and non-negative}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = -1.0 : f64}

// -----

// expected-error @+1 {{'spec.train_step' op epoch_batch must be non-negative, got -2}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64, epoch_batch = -2}

// -----

// expected-error @+1 {{'spec.train_step' op batch_rows (16) must be 0 or epoch_batch (32)}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64, batch_rows = 16, epoch_batch = 32}

// -----

// expected-error @+1 {{'spec.train_step' op batch_rows must be non-negative, got -1}}
spec.train_step @t {widths = array<i64: 4, 1>, activations = ["identity"], loss = "mse", optimizer = "sgd", learning_rate = 0.1 : f64, momentum = 0.0 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, l2 = 0.0 : f64, batch_rows = -1}
