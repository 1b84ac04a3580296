//===- Compile.cpp - jit::compile, the kernel cache and the switch --------===//
#include "specjit/Compile.h"

#include "Engine/Codegen.h"
#include "Engine/DiskCache.h"
#include "Engine/JIT.h"
#include "Engine/KernelState.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <future>
#include <unordered_map>

namespace specjit {
namespace jit {

//===----------------------------------------------------------------------===//
// Stages
//===----------------------------------------------------------------------===//

namespace {
struct StageInfo {
  Stage stage;
  const char *name;
  const char *ext;
};
constexpr StageInfo kStages[] = {
    {Stage::Descriptor, "descriptor", "json"},
    {Stage::Spec, "spec", "mlir"},
    {Stage::Lowered, "lowered", "mlir"},
    {Stage::LLVMDialect, "llvm-dialect", "mlir"},
    {Stage::LLVM, "llvm", "ll"},
    {Stage::LLVMOpt, "llvm-opt", "ll"},
    {Stage::Asm, "asm", "s"},
    {Stage::Obj, "obj", "o"},
};
} // namespace

llvm::StringRef stageName(Stage s) { return kStages[static_cast<int>(s)].name; }
llvm::StringRef stageExtension(Stage s) { return kStages[static_cast<int>(s)].ext; }
llvm::StringRef treeLayoutName(TreeLayout l) {
  switch (l) {
  case TreeLayout::Auto: return "auto";
  case TreeLayout::Branches: return "branches";
  case TreeLayout::Walk: return "walk";
  }
  return "auto";
}
std::optional<TreeLayout> parseTreeLayout(llvm::StringRef s) {
  for (TreeLayout l : {TreeLayout::Auto, TreeLayout::Branches, TreeLayout::Walk})
    if (s == treeLayoutName(l))
      return l;
  return std::nullopt;
}
std::optional<Stage> parseStage(llvm::StringRef s) {
  for (const StageInfo &i : kStages)
    if (s == i.name)
      return i.stage;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// The switch
//===----------------------------------------------------------------------===//

namespace {
std::atomic<bool> &specializeFlag() {
  static std::atomic<bool> flag([] {
    const char *env = std::getenv("SPECJIT_SPECIALIZE");
    if (!env)
      return true;
    return !llvm::StringSwitch<bool>(llvm::StringRef(env).trim().lower())
                .Cases("0", "false", "off", "no", true)
                .Default(false);
  }());
  return flag;
}
} // namespace

void setSpecialize(bool on) { specializeFlag().store(on); }
bool specializeEnabled() { return specializeFlag().load(); }

//===----------------------------------------------------------------------===//
// Building one kernel
//===----------------------------------------------------------------------===//

namespace {

double millisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

/// The code generator's share of the compile options.
engine::CodegenOptions codegenOptions(const CompileOptions &o) {
  engine::CodegenOptions co;
  co.optLevel = o.optLevel;
  co.treeLayout = o.treeLayout;
  co.compileThreads = o.compileThreads;
  return co;
}

/// Writes every stage to DIR/NN-stage.ext as the compiler produces it.
std::function<void(Stage, llvm::StringRef)> dumpTo(const std::string &dir,
                                                   std::string &firstError) {
  return [dir, &firstError](Stage s, llvm::StringRef text) {
    int number = static_cast<int>(s) + 1;
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, llvm::formatv("{0}{1}-{2}.{3}", number < 10 ? "0" : "",
                                                number, stageName(s), stageExtension(s))
                                      .str());
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
    if (ec) {
      if (firstError.empty())
        firstError = "cannot write " + std::string(path) + ": " + ec.message();
      return;
    }
    os << text;
  };
}

llvm::Expected<std::shared_ptr<KernelState>> buildKernel(const Descriptor &d,
                                                         const CompileOptions &o,
                                                         bool specialize) {
  auto t0 = std::chrono::steady_clock::now();
  auto state = std::make_shared<KernelState>(d);
  state->specialize = specialize;
  auto interpreter = interp::Interpreter::create(d);
  if (!interpreter)
    return interpreter.takeError();
  state->interpreter = std::move(*interpreter);
  if (!specialize) {
    state->setFallback("", millisSince(t0));
    return state;
  }

  engine::CodegenOptions co = codegenOptions(o);
  co.maxKernelOps = o.maxKernelOps;
  std::string dumpError;
  if (!o.dumpDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(o.dumpDir))
      return llvm::createStringError(ec, "cannot create dump directory '" +
                                             o.dumpDir + "': " + ec.message());
    co.onStage = dumpTo(o.dumpDir, dumpError);
  }
  auto objects = engine::compileToObjectsCached(d, co, engine::diskCacheWanted(o),
                                                state->codeFromDisk);
  if (!dumpError.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), dumpError);
  if (!objects) {
    state->setFallback(llvm::toString(objects.takeError()), millisSince(t0));
    return state;
  }
  unsigned units = objects->size();
  auto fn = engine::loadKernelObjects(std::move(*objects),
                                      "kernel_" + d.hash().hex());
  if (!fn) {
    state->setFallback("jit: " + llvm::toString(fn.takeError()), millisSince(t0));
    return state;
  }
  state->compiledStateBytes.store(fn->stateBytes);
  state->compiledUnits.store(units);
  state->setCompiled(fn->fn, millisSince(t0));
  return state;
}

//===----------------------------------------------------------------------===//
// The cache
//===----------------------------------------------------------------------===//

struct CacheKey {
  Hash128 hash;
  bool specialize;
  int optLevel;
  size_t maxKernelOps;
  TreeLayout treeLayout;
  bool operator==(const CacheKey &o) const {
    return hash == o.hash && specialize == o.specialize && optLevel == o.optLevel &&
           maxKernelOps == o.maxKernelOps && treeLayout == o.treeLayout;
  }
};
struct CacheKeyHash {
  size_t operator()(const CacheKey &k) const {
    return static_cast<size_t>(k.hash.lo ^ (k.hash.hi * 0x9e3779b97f4a7c15ull) ^
                               (k.specialize ? 1 : 0) ^ (k.optLevel << 1));
  }
};
/// A finished (or in-flight) compile. `error` is set when it failed.
struct CacheResult {
  std::shared_ptr<KernelState> state;
  std::string error;
};

struct KernelCache {
  std::mutex mu;
  std::unordered_map<CacheKey, std::shared_future<CacheResult>, CacheKeyHash> map;
  std::atomic<uint64_t> hits{0}, misses{0}, compiles{0};
};

KernelCache &cache() {
  static KernelCache *c = new KernelCache(); // never destroyed: kernels outlive statics
  return *c;
}

CacheResult toResult(llvm::Expected<std::shared_ptr<KernelState>> r) {
  if (!r)
    return {nullptr, llvm::toString(r.takeError())};
  return {std::move(*r), ""};
}

} // namespace

llvm::Error dumpStages(const Descriptor &d, llvm::StringRef dir,
                       const CompileOptions &o) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError(ec, "cannot create dump directory '" + dir +
                                           "': " + ec.message());
  engine::CodegenOptions co = codegenOptions(o);
  std::string dumpError;
  co.onStage = dumpTo(dir.str(), dumpError);
  auto objects = engine::compileToObjects(d, co);
  if (!dumpError.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), dumpError);
  if (!objects)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "compilation failed: " +
                                       llvm::toString(objects.takeError()));
  return llvm::Error::success();
}

llvm::Expected<Kernel> compile(const Descriptor &d, const CompileOptions &o) {
  bool specialize = o.specialize.value_or(specializeEnabled());
  KernelCache &c = cache();
  // Dumps and the failure hook must run the compiler: they bypass the cache.
  bool cacheable = o.useCache && o.dumpDir.empty() &&
                   !engine::failureInjectionActive();
  if (!cacheable) {
    c.compiles.fetch_add(1);
    auto state = buildKernel(d, o, specialize);
    if (!state)
      return state.takeError();
    return Kernel(std::move(*state));
  }

  CacheKey key{d.hash(), specialize, o.optLevel, o.maxKernelOps, o.treeLayout};
  std::shared_future<CacheResult> future;
  std::promise<CacheResult> promise;
  bool owner = false;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.map.find(key);
    if (it != c.map.end()) {
      future = it->second;
      c.hits.fetch_add(1, std::memory_order_relaxed);
    } else {
      future = promise.get_future().share();
      c.map.emplace(key, future);
      c.misses.fetch_add(1, std::memory_order_relaxed);
      owner = true;
    }
  }
  if (owner) {
    c.compiles.fetch_add(1);
    CacheResult result = toResult(buildKernel(d, o, specialize));
    if (!result.error.empty()) {
      std::lock_guard<std::mutex> lock(c.mu);
      c.map.erase(key); // let a later call try again
    }
    promise.set_value(std::move(result));
  }
  const CacheResult &r = future.get();
  if (!r.error.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), r.error);
  return Kernel(r.state);
}

CacheStats cacheStats() {
  KernelCache &c = cache();
  CacheStats s;
  s.hits = c.hits.load();
  s.misses = c.misses.load();
  s.compiles = c.compiles.load();
  std::lock_guard<std::mutex> lock(c.mu);
  s.entries = c.map.size();
  return s;
}

void clearCache() {
  KernelCache &c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.map.clear();
}

llvm::Expected<std::string> emitStage(const Descriptor &d, Stage stage,
                                      const CompileOptions &o) {
  engine::CodegenOptions co = codegenOptions(o);
  co.stopAfter = stage;
  std::string text;
  co.onStage = [&](Stage, llvm::StringRef t) { text = t.str(); };
  auto r = engine::compileToObjects(d, co);
  if (!r)
    return r.takeError();
  return text;
}

llvm::Expected<StageTimes> timeStages(const Descriptor &d, const CompileOptions &o) {
  engine::CodegenOptions co = codegenOptions(o);
  StageTimes times;
  co.onTiming = [&](llvm::StringRef name, double ms) {
    times.stages.emplace_back(name.str(), ms);
  };
  auto r = engine::compileToObjects(d, co);
  if (!r)
    return r.takeError();
  times.units = r->size();
  auto t0 = std::chrono::steady_clock::now();
  auto fn = engine::loadKernelObjects(std::move(*r), "timing_" + d.hash().hex());
  if (!fn)
    return fn.takeError();
  times.stages.emplace_back("jit-link", millisSince(t0));
  return times;
}

} // namespace jit
} // namespace specjit
