//===- JIT.cpp - The process-wide ORC LLJIT -------------------------------===//
//
// One LLJIT per process; every kernel's objects (one, or one per compile
// unit) go into its own JITDylib (so kernels never clash on the fixed entry
// symbol) that resolves libm and libmvec from the host process.
//
//===----------------------------------------------------------------------===//

#include "Engine/JIT.h"
#include "Engine/Codegen.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"

#include <atomic>
#include <mutex>

using namespace llvm;
using namespace llvm::orc;

namespace specjit {
namespace engine {

namespace {

struct JITInstance {
  std::unique_ptr<LLJIT> jit;
  std::string error;
};

JITInstance &instance() {
  static JITInstance inst = [] {
    JITInstance i;
    initializeNativeTarget();
    auto j = LLJITBuilder().create();
    if (!j)
      i.error = toString(j.takeError());
    else
      i.jit = std::move(*j);
    return i;
  }();
  return inst;
}

std::atomic<uint64_t> dylibCounter{0};

} // namespace

Expected<LoadedKernel>
loadKernelObjects(std::vector<std::unique_ptr<MemoryBuffer>> objects, StringRef name) {
  if (objects.empty())
    return createStringError(inconvertibleErrorCode(), "no object to load");
  JITInstance &inst = instance();
  if (!inst.jit)
    return createStringError(inconvertibleErrorCode(),
                             "cannot create the JIT: " + inst.error);
  LLJIT &j = *inst.jit;
  std::string dylibName =
      (name + "." + Twine(dylibCounter.fetch_add(1))).str();
  auto jd = j.createJITDylib(dylibName);
  if (!jd)
    return jd.takeError();
  auto gen = DynamicLibrarySearchGenerator::GetForCurrentProcess(
      j.getDataLayout().getGlobalPrefix());
  if (!gen)
    return gen.takeError();
  jd->addGenerator(std::move(*gen));
  // Compile units refer to each other's (hidden) symbols: all in one
  // JITDylib, they resolve there.
  for (auto &object : objects)
    if (auto err = j.addObjectFile(*jd, std::move(object)))
      return std::move(err);
  auto addr = j.lookup(*jd, kKernelEntryName);
  if (!addr)
    return addr.takeError();
  LoadedKernel k;
  k.fn = addr->toPtr<KernelFn>();
  // Only series kernels define the state size.
  if (auto size = j.lookup(*jd, kStateBytesName))
    k.stateBytes = static_cast<size_t>(size->toPtr<int64_t (*)()>()());
  else
    consumeError(size.takeError());
  return k;
}

} // namespace engine
} // namespace specjit
