//===- KernelCache.cpp - The process-wide in-memory kernel cache ----------===//
#include "Engine/KernelCache.h"

#include "Descriptor/DescriptorInternal.h"

#include "llvm/ADT/StringRef.h"

#include <cassert>
#include <cstdlib>

namespace specjit {
namespace engine {

/// One key's kernel, or the build in flight that others wait for.
struct KernelCache::Entry {
  Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  std::shared_ptr<jit::KernelState> state ABSL_GUARDED_BY(mu);
  jit::detail::ErrorRecord error ABSL_GUARDED_BY(mu); ///< a failed build, with its kind
  std::list<CacheKey>::iterator position;             // guarded by the cache's lock
  /// What of the cache's codeBytes is this entry's (guarded by the cache's
  /// lock): 0 until its build is done and counted.
  size_t counted = 0;
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
    // The failure kept with its kind, so every waiter gets the same error.
    jit::detail::ErrorRecord error =
        jit::detail::ErrorRecord::of(built ? llvm::Error::success() : built.takeError());
    {
      MutexLock lock(entry->mu);
      entry->done = true;
      if (!error.failed())
        entry->state = *built;
      entry->error = error;
    }
    MutexLock lock(mu);
    auto it = map.find(key);
    if (it != map.end() && it->second == entry) { // not cleared meanwhile
      if (!error.failed()) {
        countLocked(*entry);
      } else {
        lru.erase(entry->position); // let a later call try again
        map.erase(it);
      }
    }
    evictLocked();
  }
  MutexLock lock(entry->mu);
  entry->mu.await(absl::Condition(&entry->done));
  if (entry->error.failed())
    return entry->error.rebuild();
  if (hit)
    entry->state->memoryHits.fetch_add(1, std::memory_order_relaxed);
  return entry->state;
}

void KernelCache::countLocked(Entry &e) {
  size_t now;
  {
    MutexLock lock(e.mu);
    now = e.state ? e.state->codeBytes.load(std::memory_order_relaxed) : 0;
  }
  assert(e.counted <= codeBytes && "an entry's share exceeds the cache's total");
  codeBytes = codeBytes - e.counted + now;
  e.counted = now;
}

void KernelCache::evictLocked() {
  auto over = [&] {
    return (bounds.maxKernels && map.size() > bounds.maxKernels) ||
           (bounds.maxCodeBytes && codeBytes > bounds.maxCodeBytes);
  };
  // From the least recently used end; builds in flight stay.
  auto it = lru.end();
  while (over() && it != lru.begin()) {
    --it;
    auto found = map.find(*it);
    std::shared_ptr<Entry> entry = found->second;
    {
      MutexLock lock(entry->mu);
      if (!entry->done)
        continue;
    }
    assert(entry->counted <= codeBytes && "an entry's share exceeds the cache's total");
    codeBytes -= entry->counted;
    map.erase(found);
    it = lru.erase(it);
    ++evictions;
  }
}

void KernelCache::codeInstalled(const jit::KernelState &k) {
  MutexLock lock(mu);
  auto found = map.find(CacheKey::of(k.desc, k.options, k.specialize, k.mode));
  if (found != map.end()) {
    Entry &e = *found->second;
    bool cached;
    {
      MutexLock entryLock(e.mu);
      cached = e.state.get() == &k;
    }
    // Until its build is done, the entry is counted when it is.
    if (cached)
      countLocked(e);
  }
  evictLocked();
}

void KernelCache::clear() {
  MutexLock lock(mu);
  // Builds in flight finish for their waiters; they are simply not kept.
  map.clear();
  lru.clear();
  codeBytes = 0;
}

jit::CacheStats KernelCache::stats() {
  jit::CacheStats s;
  s.compiles = compiles.load();
  MutexLock lock(mu);
  s.hits = hits;
  s.misses = misses;
  s.evictions = evictions;
  s.entries = map.size();
  // The code the kernels hold now (a tiered kernel's may be on its way to
  // the count); the walk checks the running count on the way.
  size_t counted = 0;
  for (const auto &[key, entry] : map) {
    counted += entry->counted;
    MutexLock entryLock(entry->mu);
    if (entry->state)
      s.codeBytes += entry->state->codeBytes.load(std::memory_order_relaxed);
  }
  assert(counted == codeBytes && "the running count of code bytes is off");
  (void)counted;
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
