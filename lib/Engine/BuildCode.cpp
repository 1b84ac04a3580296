//===- BuildCode.cpp - Descriptor to loaded native code -------------------===//
#include "Engine/BuildCode.h"

#include "Engine/Codegen.h"
#include "Engine/DiskCache.h"
#include "Engine/JIT.h"

#include "llvm/ADT/StringExtras.h"

#include <chrono>

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
  auto t0 = std::chrono::steady_clock::now();
  std::optional<ObjectFiles> objects = loadFromDiskCache(diskCacheKey(d, codegenOptionsFor(o)));
  if (!objects)
    return std::nullopt;
  BuiltCode built;
  built.units = static_cast<unsigned>(objects->size());
  built.fromDisk = true;
  auto code = loadKernelObjects(std::move(*objects), codeName(d));
  if (!code) {
    llvm::consumeError(code.takeError()); // compiled instead, as if absent
    return std::nullopt;
  }
  built.code = std::move(*code);
  built.stages.emplace_back(
      "disk-load",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  return built;
}

llvm::Expected<BuiltCode> buildCode(const jit::Descriptor &d, const jit::CompileOptions &o,
                                    std::function<void(jit::Stage, llvm::StringRef)> onStage) {
  CodegenOptions co = codegenOptionsFor(o);
  co.onStage = std::move(onStage);
  BuiltCode built;
  co.onTiming = [&](llvm::StringRef name, double ms) { built.stages.emplace_back(name.str(), ms); };
  auto objects = compileToObjectsCached(d, co, diskCacheWanted(o), built.fromDisk);
  if (!objects)
    return objects.takeError();
  built.units = static_cast<unsigned>(objects->size());
  auto t0 = std::chrono::steady_clock::now();
  auto code = loadKernelObjects(std::move(*objects), codeName(d));
  if (!code)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "jit: " + llvm::toString(code.takeError()));
  built.stages.emplace_back(
      "jit-link",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  built.code = std::move(*code);
  return built;
}

} // namespace engine
} // namespace specjit
