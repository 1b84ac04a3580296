//===- BuildCode.cpp - Descriptor to loaded native code -------------------===//
#include "Engine/BuildCode.h"

#include "Engine/Codegen.h"
#include "Engine/DiskCache.h"
#include "Engine/JIT.h"
#include "Engine/StageTiming.h"

#include "llvm/ADT/StringExtras.h"

namespace specjit {
namespace engine {

/// specjit_<name>_<hash8>: how the kernel's code is named to perf and GDB
/// (the name reduced to [A-Za-z0-9_], at most 48 characters).
static std::string codeName(const jit::Descriptor &d) {
  std::string name = d.name().empty() ? "kernel" : d.name().substr(0, 48);
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  return "specjit_" + name + "_" + d.hash().hex().substr(0, 8);
}

CodegenOptions codegenOptionsFor(const jit::CompileOptions &o) {
  CodegenOptions co;
  co.optLevel = o.optLevel;
  co.treeLayout = o.treeLayout;
  co.compileThreads = o.compileThreads;
  co.maxKernelOps = o.maxKernelOps;
  return co;
}

std::optional<BuiltCode> loadCodeFromDisk(const jit::Descriptor &d, const jit::CompileOptions &o) {
  if (!diskCacheWanted(o))
    return std::nullopt;
  StageTimer timer;
  BuiltCode built;
  {
    // The one stage a loaded kernel has (stats and timing report it).
    mlir::TimingScope load = timer.scope().nest("disk-load");
    std::optional<ObjectFiles> objects = loadFromDiskCache(diskCacheKey(d, codegenOptionsFor(o)));
    if (!objects)
      return std::nullopt;
    built.units = static_cast<unsigned>(objects->size());
    built.fromDisk = true;
    auto code = loadKernelObjects(std::move(*objects), codeName(d));
    if (!code) {
      llvm::consumeError(code.takeError()); // compiled instead, as if absent
      return std::nullopt;
    }
    built.code = std::move(*code);
  }
  built.stages = timer.finish();
  return built;
}

llvm::Expected<BuiltCode> buildCode(const jit::Descriptor &d, const jit::CompileOptions &o,
                                    std::function<void(jit::Stage, llvm::StringRef)> onStage) {
  CodegenOptions co = codegenOptionsFor(o);
  co.onStage = std::move(onStage);
  StageTimer timer;
  co.timing = &timer.scope();
  BuiltCode built;
  auto objects = compileToObjectsCached(d, co, diskCacheWanted(o), built.fromDisk);
  if (!objects)
    return objects.takeError();
  built.units = static_cast<unsigned>(objects->size());
  {
    mlir::TimingScope link = timer.scope().nest("jit-link");
    auto code = loadKernelObjects(std::move(*objects), codeName(d));
    if (!code)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "jit: " + llvm::toString(code.takeError()));
    built.code = std::move(*code);
  }
  built.stages = timer.finish();
  return built;
}

} // namespace engine
} // namespace specjit
