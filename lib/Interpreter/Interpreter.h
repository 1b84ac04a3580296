//===- Interpreter.h - The generic descriptor interpreter -------*- C++ -*-===//
//
// Executes any descriptor the compiler accepts with generic code: the
// configuration is looked up at run time. It works a block of rows at a time
// (column-at-a-time inside a block), which is the fastest honest shape for a
// generic path: dispatch is paid per block and step, not per row.
//
// It is the reference semantics, the fallback and the oracle for the JIT.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_INTERPRETER_INTERPRETER_H
#define SPECJIT_INTERPRETER_INTERPRETER_H

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace specjit {
namespace interp {

/// Rows processed per block. Programs with very many live values (e.g. a
/// one_hot with tens of thousands of categories) use smaller blocks so that
/// the per-call scratch space stays within a few MiB.
constexpr int64_t kInterpreterBlockRows = 512;

/// Rows (agents) per block of the rules interpreter: the block's meters are
/// held as f64 columns through every step and rule (fewer rows when there
/// are very many meters, so that the scratch space stays within a few MiB).
constexpr int64_t kRulesBlockRows = 256;

/// Time steps per block of the series interpreter.
constexpr int64_t kSeriesBlockRows = 512;

class Interpreter {
public:
  virtual ~Interpreter();

  /// Prepares a descriptor for interpretation: its family's interpreter
  /// (Family::createInterpreter; defined with the registry,
  /// lib/Families/Family.cpp).
  static llvm::Expected<std::unique_ptr<Interpreter>> create(const jit::Descriptor &d);

  /// Runs with the kernel ABI (see Runtime/KernelABI.h): returns 0, or r > 0
  /// when row r-1 fails a data check, in which case `out` is untouched.
  /// Returns -1 (with `out` untouched) if scratch space cannot be allocated.
  /// Thread-safe: scratch space is per call.
  virtual int64_t run(const void *const *args, void *out, int64_t rows) const = 0;

  /// Bytes of streaming state the kernel keeps between calls (series
  /// kernels; 0 otherwise). When non-zero, `args` carries one more slot after
  /// the inputs: a pointer to that many bytes, all zero for a fresh stream.
  /// The layout is the interpreter's own.
  virtual size_t stateBytes() const { return 0; }

  /// Explains why `row` fails a data check, naming the step's JSON path, the
  /// column and the value (e.g. "row 17: steps[3] (one_hot of 'color'):
  /// value \"teal\" is not one of the categories"; integers in decimal, a
  /// missing value as `missing`). Rows that pass every check yield
  /// "row N: no data check fails".
  virtual std::string describeFailure(const void *const *args, int64_t row) const = 0;
};

} // namespace interp
} // namespace specjit

#endif // SPECJIT_INTERPRETER_INTERPRETER_H
