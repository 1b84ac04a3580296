//===- Stats.cpp - jit::stats(), its JSON, and SPECJIT_STATS ---------------===//
#include "specjit/Stats.h"

#include "Engine/CompileService.h"
#include "Engine/JIT.h"
#include "Engine/KernelState.h"
#include "Engine/Sync.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <deque>

namespace specjit {
namespace jit {

namespace {

constexpr size_t kRetiredKept = 1000;

struct Registry {
  engine::Mutex mu;
  std::vector<std::weak_ptr<KernelState>> live ABSL_GUARDED_BY(mu);
  std::deque<KernelStats> retired ABSL_GUARDED_BY(mu);
  uint64_t dropped ABSL_GUARDED_BY(mu) = 0;
  /// live.size() at which expired entries are next swept out.
  size_t sweepAt ABSL_GUARDED_BY(mu) = 64;
};

Registry &registry() {
  static Registry *r = new Registry(); // never destroyed: kernels outlive statics
  return *r;
}

void writeStatsFile() {
  const char *path = std::getenv("SPECJIT_STATS");
  if (!path || !*path)
    return;
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "specjit: SPECJIT_STATS: cannot write " << path << ": " << ec.message() << "\n";
    return;
  }
  os << statsJson(stats()) << "\n";
}

void backendJson(llvm::json::OStream &j, llvm::StringRef key, const BackendTime &t) {
  j.attributeObject(key, [&] {
    j.attribute("calls", int64_t(t.calls));
    j.attribute("rows", int64_t(t.rows));
    j.attribute("ms", t.ms);
  });
}

} // namespace

void registerForStats(const std::shared_ptr<KernelState> &state) {
  static bool atExit = [] {
    if (const char *p = std::getenv("SPECJIT_STATS"); p && *p)
      std::atexit(writeStatsFile);
    return true;
  }();
  (void)atExit;
  Registry &r = registry();
  engine::MutexLock lock(r.mu);
  if (r.live.size() >= r.sweepAt) {
    llvm::erase_if(r.live, [](const std::weak_ptr<KernelState> &w) { return w.expired(); });
    r.sweepAt = std::max<size_t>(64, 2 * r.live.size());
  }
  r.live.push_back(state);
}

void retireForStats(KernelStats final) {
  Registry &r = registry();
  engine::MutexLock lock(r.mu);
  r.retired.push_back(std::move(final));
  if (r.retired.size() > kRetiredKept) {
    r.retired.pop_front();
    ++r.dropped;
  }
}

RuntimeStats stats() {
  RuntimeStats s;
  std::vector<std::shared_ptr<KernelState>> alive;
  {
    Registry &r = registry();
    engine::MutexLock lock(r.mu);
    for (const auto &w : r.live)
      if (auto k = w.lock())
        alive.push_back(std::move(k));
    s.kernels.assign(r.retired.begin(), r.retired.end());
    s.droppedKernels = r.dropped;
  }
  // Records are taken outside the registry's lock (each takes its kernel's).
  for (const auto &k : alive)
    s.kernels.push_back(k->stats());
  s.cache = cacheStats();
  s.cacheLimits = cacheLimits();
  s.service = engine::CompileService::instance().stats();
  s.loadedKernels = engine::loadedKernelCount();
  return s;
}

std::string statsJson(const RuntimeStats &s) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream j(os);
  j.object([&] {
    j.attributeArray("kernels", [&] {
      for (const KernelStats &k : s.kernels)
        j.object([&] {
          j.attribute("name", k.name);
          j.attribute("kind", k.kind);
          j.attribute("hash", k.hash.hex());
          j.attribute("backend", backendName(k.backend));
          j.attribute("source", kernelSourceName(k.source));
          j.attribute("mode", tierName(k.mode));
          j.attribute("tier", tierStateName(k.tier));
          j.attribute("compile_ms", k.compileMs);
          j.attributeObject("compile_stages_ms", [&] {
            for (const auto &[stage, ms] : k.compileStages)
              j.attribute(stage, ms);
          });
          j.attribute("memory_hits", int64_t(k.memoryHits));
          j.attribute("calls", int64_t(k.jit.calls + k.interpreter.calls));
          j.attribute("rows", int64_t(k.jit.rows + k.interpreter.rows));
          backendJson(j, "jit", k.jit);
          backendJson(j, "interpreter", k.interpreter);
          j.attribute("fallback_reason", k.fallbackReason);
          j.attribute("promotion", k.promotion);
          j.attribute("promotion_ms", k.promotionMs);
          j.attribute("verified_rows", int64_t(k.verifiedRows));
          j.attribute("estimated_compile_ms", k.estimatedCompileMs);
        });
    });
    j.attribute("dropped_kernels", int64_t(s.droppedKernels));
    j.attributeObject("cache", [&] {
      j.attribute("hits", int64_t(s.cache.hits));
      j.attribute("misses", int64_t(s.cache.misses));
      j.attribute("compiles", int64_t(s.cache.compiles));
      j.attribute("evictions", int64_t(s.cache.evictions));
      j.attribute("entries", int64_t(s.cache.entries));
      j.attribute("code_bytes", int64_t(s.cache.codeBytes));
      j.attribute("max_kernels", int64_t(s.cacheLimits.maxKernels));
      j.attribute("max_code_bytes", int64_t(s.cacheLimits.maxCodeBytes));
    });
    j.attributeObject("compile_service", [&] {
      j.attribute("threads", int64_t(s.service.threads));
      j.attribute("capacity", int64_t(s.service.capacity));
      j.attribute("pending", int64_t(s.service.pending));
      j.attribute("queued", int64_t(s.service.queued));
      j.attribute("refused", int64_t(s.service.refused));
      j.attribute("compiled", int64_t(s.service.compiled));
      j.attribute("failed", int64_t(s.service.failed));
      j.attribute("promoted", int64_t(s.service.promoted));
      j.attribute("rejected", int64_t(s.service.rejected));
    });
    j.attribute("loaded_kernels", int64_t(s.loadedKernels));
  });
  return text;
}

} // namespace jit
} // namespace specjit
