//===- EvalCommand.cpp - specjit eval -------------------------------------===//
#include "Driver.h"

namespace specjit {
namespace tools {

int cmdEval(int, char **) { return fail("eval: not available in this build"); }

} // namespace tools
} // namespace specjit
