//===- JIT.h - The process-wide ORC LLJIT -----------------------*- C++ -*-===//
#ifndef SPECJIT_ENGINE_JIT_H
#define SPECJIT_ENGINE_JIT_H

#include "Runtime/KernelABI.h"
#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <vector>

namespace llvm {
namespace orc {
class JITDylib;
} // namespace orc
} // namespace llvm

namespace specjit {
namespace engine {

/// One kernel's code, linked into its own JITDylib of the process-wide
/// LLJIT. Destroying it removes the JITDylib, which releases the code and
/// data memory (ORC's ResourceTracker machinery): hold it for as long as
/// `fn` may be called.
class LoadedCode {
public:
  LoadedCode(const LoadedCode &) = delete;
  LoadedCode &operator=(const LoadedCode &) = delete;
  ~LoadedCode();

  KernelFn fn = nullptr;
  /// Series kernels: bytes of streaming state (0 for other families).
  size_t stateBytes = 0;
  /// Bytes of the objects linked (the measure of "JIT code" that the
  /// in-memory cache bounds).
  size_t codeBytes = 0;
  /// The code calls a vector math library (libmvec's _ZGV* functions), so
  /// its log/exp/pow may differ from libm's by a few ulp.
  bool usesVectorMath = false;

private:
  friend llvm::Expected<std::shared_ptr<LoadedCode>>
      loadKernelObjects(std::vector<std::unique_ptr<llvm::MemoryBuffer>>, llvm::StringRef);
  LoadedCode() = default;
  llvm::orc::JITDylib *dylib = nullptr;
};

/// Links `objects` (one kernel: one object, or one per compile unit) into a
/// fresh JITDylib named `name` (made unique) of the process-wide LLJIT
/// (created on first use, thread-safe) and returns its entry point. With
/// SPECJIT_PERF=1 every function of it is listed in /tmp/perf-PID.map as
/// `name.function`; with SPECJIT_DEBUG=1 it is registered with GDB's JIT
/// interface.
llvm::Expected<std::shared_ptr<LoadedCode>>
loadKernelObjects(std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects, llvm::StringRef name);

/// JITDylibs currently alive (kernels whose code is loaded).
size_t loadedKernelCount();

/// The entry of `d`'s kernel, compiled and loaded once per `name`/`key` and
/// process and kept for the life of the process: for kernels that several
/// descriptors share (a training step, a metrics pass), whose key leaves
/// out what their code does not depend on. `name` also names the
/// JITDylib. An error when the compiler fails, so the caller runs the
/// generic code.
llvm::Expected<KernelFn> compiledOncePerKey(const jit::Descriptor &d, llvm::StringRef name,
                                            const std::string &key);

} // namespace engine
} // namespace specjit

#endif
