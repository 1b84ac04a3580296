//===- KernelAccess.h - The engine's side of jit::Kernel -------*- C++ -*-===//
//
// jit::Kernel's public API is what host apps use; making a kernel from its
// state, and reaching that state (the compiled function, the code, the
// tier), is for the engine, the tests and the benchmarks, through here.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_KERNELACCESS_H
#define SPECJIT_ENGINE_KERNELACCESS_H

#include "Engine/KernelState.h"
#include "specjit/Kernel.h"

#include <memory>

namespace specjit {
namespace engine {

struct KernelAccess {
  static jit::Kernel make(std::shared_ptr<jit::KernelState> s, jit::KernelSource source,
                          unsigned threads) {
    return jit::Kernel(std::move(s), source, threads);
  }
  static const std::shared_ptr<jit::KernelState> &state(const jit::Kernel &k) { return k.state_; }
};

} // namespace engine
} // namespace specjit

#endif // SPECJIT_ENGINE_KERNELACCESS_H
