//===- Compile.cpp - jit::compile, the kernel cache and the switch --------===//
#include "specjit/Compile.h"

#include "Engine/BuildCode.h"
#include "Engine/Codegen.h"
#include "Engine/KernelAccess.h"
#include "Engine/KernelCache.h"
#include "Engine/KernelState.h"
#include "Engine/Tiering.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>

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
llvm::StringRef tierName(Tier t) { return t == Tier::Tiered ? "tiered" : "sync"; }
std::optional<Tier> parseTier(llvm::StringRef s) {
  for (Tier t : {Tier::Sync, Tier::Tiered})
    if (s == tierName(t))
      return t;
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
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// Writes every stage to DIR/NN-stage.ext as the compiler produces it.
std::function<void(Stage, llvm::StringRef)> dumpTo(const std::string &dir,
                                                   std::string &firstError) {
  return [dir, &firstError](Stage s, llvm::StringRef text) {
    int number = static_cast<int>(s) + 1;
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, llvm::formatv("{0}{1}-{2}.{3}", number < 10 ? "0" : "", number,
                                                stageName(s), stageExtension(s))
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

/// The process-wide tier default: SPECJIT_TIER (sync | tiered).
Tier defaultTier() {
  static Tier tier = [] {
    const char *env = std::getenv("SPECJIT_TIER");
    if (!env)
      return Tier::Sync;
    return parseTier(llvm::StringRef(env).trim().lower()).value_or(Tier::Sync);
  }();
  return tier;
}

llvm::Expected<std::shared_ptr<KernelState>>
buildKernel(const Descriptor &d, const CompileOptions &o, bool specialize, Tier tier) {
  auto t0 = std::chrono::steady_clock::now();
  auto state = std::make_shared<KernelState>(d);
  state->specialize = specialize;
  state->options = o;
  auto interpreter = interp::Interpreter::create(d);
  if (!interpreter)
    return interpreter.takeError();
  state->interpreter = std::move(*interpreter);
  registerForStats(state);
  if (!specialize) {
    state->setFallback("", millisSince(t0));
    state->settle(TierState::Interpreting);
    return state;
  }
  if (tier == Tier::Tiered) {
    state->mode = Tier::Tiered;
    state->tiering = std::make_unique<engine::Tiering>(o.tierPolicy, d, o.treeLayout);
    // Code in the persistent cache loads in well under a millisecond: take
    // it now rather than interpret and compile again.
    if (auto onDisk = engine::loadCodeFromDisk(d, o)) {
      state->setStageTimes(onDisk->stages);
      state->codeFromDisk.store(true);
      state->install(onDisk->code, onDisk->units, millisSince(t0));
      state->setPromotion("disk", millisSince(t0), 0);
      state->settle(TierState::Compiled);
      return state;
    }
    engine::Tiering::atCompile(state);
    return state;
  }

  std::string dumpError;
  std::function<void(Stage, llvm::StringRef)> onStage;
  if (!o.dumpDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(o.dumpDir))
      return llvm::createStringError(ec, "cannot create dump directory '" + o.dumpDir +
                                             "': " + ec.message());
    onStage = dumpTo(o.dumpDir, dumpError);
  }
  auto built = engine::buildCode(d, o, onStage);
  if (!dumpError.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), dumpError);
  if (!built) {
    state->setFallback(llvm::toString(built.takeError()), millisSince(t0));
    state->settle(TierState::Failed);
    return state;
  }
  state->setStageTimes(built->stages);
  state->codeFromDisk.store(built->fromDisk);
  state->install(built->code, built->units, millisSince(t0));
  state->settle(TierState::Compiled);
  return state;
}

} // namespace

llvm::Error dumpStages(const Descriptor &d, llvm::StringRef dir, const CompileOptions &o) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError(ec,
                                   "cannot create dump directory '" + dir + "': " + ec.message());
  engine::CodegenOptions co = engine::codegenOptionsFor(o);
  co.maxKernelOps = 0; // stages are shown whatever the size
  std::string dumpError;
  co.onStage = dumpTo(dir.str(), dumpError);
  auto objects = engine::compileToObjects(d, co);
  if (!dumpError.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), dumpError);
  if (!objects)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "compilation failed: " + llvm::toString(objects.takeError()));
  return llvm::Error::success();
}

llvm::Expected<Kernel> compile(const Descriptor &d, const CompileOptions &o) {
  bool specialize = o.specialize.value_or(specializeEnabled());
  // Dumps are of one compile in the caller.
  Tier tier = o.dumpDir.empty() ? o.tier.value_or(defaultTier()) : Tier::Sync;
  engine::KernelCache &c = engine::KernelCache::instance();
  // Dumps and the failure hook must run the compiler: they bypass the cache.
  bool cacheable = o.useCache && o.dumpDir.empty() && !engine::failureInjectionActive();
  if (!cacheable) {
    c.compiles.fetch_add(1);
    auto state = buildKernel(d, o, specialize, tier);
    if (!state)
      return state.takeError();
    return engine::KernelAccess::make(std::move(*state), KernelSource::Compiled, o.threads);
  }
  engine::CacheKey key = engine::CacheKey::of(d, o, specialize, tier);
  bool hit = false;
  auto state = c.getOrBuild(key, [&] { return buildKernel(d, o, specialize, tier); }, hit);
  if (!state)
    return state.takeError();
  KernelSource source = hit                             ? KernelSource::Memory
                        : (*state)->codeFromDisk.load() ? KernelSource::Disk
                                                        : KernelSource::Compiled;
  return engine::KernelAccess::make(std::move(*state), source, o.threads);
}

CacheStats cacheStats() { return engine::KernelCache::instance().stats(); }
void clearCache() { engine::KernelCache::instance().clear(); }
void setCacheLimits(const CacheLimits &limits) {
  engine::KernelCache::instance().setLimits(limits);
}
CacheLimits cacheLimits() { return engine::KernelCache::instance().limits(); }

llvm::Expected<std::string> emitStage(const Descriptor &d, Stage stage, const CompileOptions &o) {
  engine::CodegenOptions co = engine::codegenOptionsFor(o);
  co.maxKernelOps = 0; // stages are shown whatever the size
  co.stopAfter = stage;
  std::string text;
  co.onStage = [&](Stage, llvm::StringRef t) { text = t.str(); };
  auto r = engine::compileToObjects(d, co);
  if (!r)
    return r.takeError();
  return text;
}

llvm::Expected<StageTimes> timeStages(const Descriptor &d, const CompileOptions &o) {
  CompileOptions unlimited = o;
  unlimited.maxKernelOps = 0;
  auto built = engine::buildCode(d, unlimited);
  if (!built)
    return built.takeError();
  StageTimes times;
  times.stages = std::move(built->stages);
  times.units = built->units;
  return times;
}

llvm::Expected<std::string> passTimes(const Descriptor &d, const CompileOptions &o) {
  engine::CodegenOptions co = engine::codegenOptionsFor(o);
  co.maxKernelOps = 0;
  std::string text;
  llvm::raw_string_ostream os(text);
  co.passTiming = &os;
  auto objects = engine::compileToObjects(d, co);
  if (!objects)
    return objects.takeError();
  return os.str();
}

} // namespace jit
} // namespace specjit
