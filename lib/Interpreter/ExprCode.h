//===- ExprCode.h - Vector bytecode for expressions -------------*- C++ -*-===//
//
// An Expr tree compiled to register code. Every instruction is a loop over
// the rows of a block: operands are the step's argument columns, temporary
// registers (one block of f64 each) or constants, so the per-row cost of an
// instruction is one tight, usually vectorized, loop iteration.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_INTERPRETER_EXPRCODE_H
#define SPECJIT_INTERPRETER_EXPRCODE_H

#include "Descriptor/Expr.h"
#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace specjit {
namespace interp {

/// Where an instruction operand lives.
struct ExprOperand {
  enum class Kind : uint8_t { Arg, Temp, Const };
  Kind kind = Kind::Const;
  /// Arg: index into the step's args; Temp: temporary register.
  int index = 0;
  /// Const: the value.
  double value = 0.0;
};

/// One vector instruction.
struct ExprInstr {
  enum class Code : uint8_t { Op, Copy };
  Code code = Code::Op;
  jit::Expr::Op op = jit::Expr::Op::Add;
  /// Temporary register written, or -1 for the step's result column.
  int dst = -1;
  ExprOperand a, b, c;
};

/// A compiled expression.
struct ExprCode {
  std::vector<ExprInstr> instrs;
  int numTemps = 0;

  /// Compiles `e`; Column nodes must carry `arg` in [0, numArgs).
  static llvm::Expected<ExprCode> compile(const jit::Expr &e, int numArgs);

  /// Evaluates over `n` rows: `args[i]` is the f64 column of argument i,
  /// `temps[t]` a scratch block per temporary register, `result` the output.
  /// `result` must not alias any argument or temporary.
  void run(const double *const *args, double *const *temps, double *result, int64_t n) const;
};

} // namespace interp
} // namespace specjit

#endif // SPECJIT_INTERPRETER_EXPRCODE_H
