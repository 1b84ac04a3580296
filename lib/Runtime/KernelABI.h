//===- KernelABI.h - The calling convention of every backend ----*- C++ -*-===//
//
// Compiled kernels and the interpreter share one entry signature:
//
//   int64_t kernel(const void *const *args, void *out, int64_t rows);
//
// `args` holds one slot per numeric or bool input (its data pointer) and two
// per string input (offsets, then bytes), in descriptor input order. `out` is
// the row-major output matrix. The result is 0 on success, or r > 0 when row
// r-1 failed a data check (e.g. an unknown category under unknown: "error");
// a kernel checks every row before it writes any output, so a failing call
// leaves `out` untouched.
//
// Per family:
// - pipeline: as above.
// - rules: no inputs; `out` is the rows x meters state matrix, read and
//   updated in place.
// - series: `rows` is the number of time steps; after the inputs, `args`
//   holds one more slot, a pointer to the kernel's streaming state (its size
//   and layout are the backend's own; all zero means a fresh stream).
//   Compiled series kernels export `int64_t specjit_state_bytes(void)`.
// - eval (the metrics kernel of spec.metrics_pass): `args` = {labels,
//   row-major scores, scratch}, `out` the statistics slots of
//   Runtime/MetricsABI.h; r > 0 names the first row with a non-finite score.
//
// Kernels exported ahead of time (`specjit export`, specjit/Export.h) keep
// this ABI under their own names: the entry is NAME, the state size
// NAME_state_bytes.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_RUNTIME_KERNELABI_H
#define SPECJIT_RUNTIME_KERNELABI_H

#include <cstdint>

namespace specjit {

using KernelFn = int64_t (*)(const void *const *args, void *out, int64_t rows);

/// Name of the entry symbol of a compiled kernel module.
constexpr const char *kKernelEntryName = "specjit_kernel";
/// Name of the function returning a compiled series kernel's state size.
constexpr const char *kStateBytesName = "specjit_state_bytes";

} // namespace specjit

#endif // SPECJIT_RUNTIME_KERNELABI_H
