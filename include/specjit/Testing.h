//===- specjit/Testing.h - Fault injection for tests ------------*- C++ -*-===//
//
// Hooks that make the compiler or the runtime misbehave on purpose, so that
// tests can check the fallbacks and the verification that guard users from
// such faults. Not part of the API host apps use (specjit/specjit.h does
// not include this header); every hook is process-wide.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_TESTING_H
#define SPECJIT_TESTING_H

#include "specjit/Compile.h"

#include <optional>

namespace specjit {
namespace jit {
namespace testing {

/// Makes the compiler fail at `stage` (std::nullopt: never) so tests can
/// check the interpreter fallback for every stage. Process-wide.
void setFailureInjection(std::optional<Stage> stage);
/// Makes promotion see wrong compiled results (one bit of the first output
/// flipped), as a miscompile would, so tests can check that verification
/// catches it and the code is never served. Process-wide.
void setCorruptCompiledResults(bool on);

} // namespace testing
} // namespace jit
} // namespace specjit

#endif // SPECJIT_TESTING_H
