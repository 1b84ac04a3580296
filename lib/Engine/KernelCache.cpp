//===- KernelCache.cpp - The process-wide in-memory kernel cache ----------===//
#include "Engine/KernelCache.h"

#include "llvm/ADT/StringRef.h"

#include <cstdlib>

namespace specjit {
namespace engine {

/// One key's kernel, or the build in flight that others wait for.
struct KernelCache::Entry {
  Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  std::shared_ptr<jit::KernelState> state ABSL_GUARDED_BY(mu);
  std::string error ABSL_GUARDED_BY(mu);
  std::list<CacheKey>::iterator position; // guarded by the cache's lock
};

namespace {
size_t envSize(const char *name, size_t fallback, size_t unit) {
  const char *v = std::getenv(name);
  unsigned long long n = 0;
  if (!v || llvm::StringRef(v).trim().getAsInteger(10, n))
    return fallback;
  return static_cast<size_t>(n) * unit;
}
} // namespace

KernelCache::KernelCache() {
  jit::CacheLimits defaults;
  bounds.maxKernels = envSize("SPECJIT_CACHE_MAX_KERNELS", defaults.maxKernels, 1);
  bounds.maxCodeBytes =
      envSize("SPECJIT_CACHE_MAX_CODE_MB", defaults.maxCodeBytes, size_t(1) << 20);
}

KernelCache &KernelCache::instance() {
  static KernelCache *c = new KernelCache(); // never destroyed: kernels outlive statics
  return *c;
}

llvm::Expected<std::shared_ptr<jit::KernelState>>
KernelCache::getOrBuild(const CacheKey &key, const Build &build, bool &hit) {
  std::shared_ptr<Entry> entry;
  bool owner = false;
  {
    MutexLock lock(mu);
    auto it = map.find(key);
    if (it != map.end()) {
      entry = it->second;
      lru.splice(lru.begin(), lru, entry->position);
      ++hits;
    } else {
      entry = std::make_shared<Entry>();
      lru.push_front(key);
      entry->position = lru.begin();
      map.emplace(key, entry);
      ++misses;
      owner = true;
    }
  }
  hit = !owner;
  if (owner) {
    compiles.fetch_add(1);
    auto built = build();
    std::string error = built ? "" : llvm::toString(built.takeError());
    {
      MutexLock lock(entry->mu);
      entry->done = true;
      if (error.empty())
        entry->state = *built;
      entry->error = error;
    }
    MutexLock lock(mu);
    auto it = map.find(key);
    if (!error.empty() && it != map.end() && it->second == entry) {
      lru.erase(entry->position); // let a later call try again
      map.erase(it);
    }
    evictLocked();
  }
  MutexLock lock(entry->mu);
  entry->mu.await(absl::Condition(&entry->done));
  if (!entry->error.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), entry->error);
  if (hit)
    entry->state->memoryHits.fetch_add(1, std::memory_order_relaxed);
  return entry->state;
}

void KernelCache::evictLocked() {
  size_t code = 0;
  for (const auto &[key, entry] : map) {
    MutexLock lock(entry->mu);
    if (entry->state)
      code += entry->state->codeBytes.load(std::memory_order_relaxed);
  }
  auto over = [&] {
    return (bounds.maxKernels && map.size() > bounds.maxKernels) ||
           (bounds.maxCodeBytes && code > bounds.maxCodeBytes);
  };
  // From the least recently used end; builds in flight stay.
  auto it = lru.end();
  while (over() && it != lru.begin()) {
    --it;
    auto found = map.find(*it);
    std::shared_ptr<Entry> entry = found->second;
    size_t bytes;
    {
      MutexLock lock(entry->mu);
      if (!entry->done)
        continue;
      bytes = entry->state ? entry->state->codeBytes.load(std::memory_order_relaxed) : 0;
    }
    code -= std::min(code, bytes);
    map.erase(found);
    it = lru.erase(it);
    ++evictions;
  }
}

void KernelCache::enforceLimits() {
  MutexLock lock(mu);
  evictLocked();
}

void KernelCache::clear() {
  MutexLock lock(mu);
  // Builds in flight finish for their waiters; they are simply not kept.
  map.clear();
  lru.clear();
}

jit::CacheStats KernelCache::stats() {
  jit::CacheStats s;
  s.compiles = compiles.load();
  MutexLock lock(mu);
  s.hits = hits;
  s.misses = misses;
  s.evictions = evictions;
  s.entries = map.size();
  for (const auto &[key, entry] : map) {
    MutexLock entryLock(entry->mu);
    if (entry->state)
      s.codeBytes += entry->state->codeBytes.load(std::memory_order_relaxed);
  }
  return s;
}

void KernelCache::setLimits(const jit::CacheLimits &limits) {
  MutexLock lock(mu);
  bounds = limits;
  evictLocked();
}

jit::CacheLimits KernelCache::limits() {
  MutexLock lock(mu);
  return bounds;
}

} // namespace engine
} // namespace specjit
