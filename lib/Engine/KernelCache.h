//===- KernelCache.h - The process-wide in-memory kernel cache --*- C++ -*-===//
//
// Kernels by cache key (descriptor hash and the options that change the
// code). A key is built once even when many threads ask at the same moment
// (single flight: the others wait for the first). The cache holds at most
// CacheLimits::maxKernels kernels and maxCodeBytes of JIT code; beyond
// either, the least recently used are dropped, and each releases its code
// when its last Kernel handle goes.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_KERNELCACHE_H
#define SPECJIT_ENGINE_KERNELCACHE_H

#include "Engine/KernelState.h"
#include "Engine/Sync.h"
#include "specjit/Compile.h"

#include "absl/container/flat_hash_map.h"

#include <functional>
#include <list>
#include <memory>

namespace specjit {
namespace engine {

struct CacheKey {
  jit::Hash128 hash;
  bool specialize;
  int optLevel;
  size_t maxKernelOps;
  jit::TreeLayout treeLayout;
  jit::Tier tier;
  bool operator==(const CacheKey &o) const {
    return hash == o.hash && specialize == o.specialize && optLevel == o.optLevel &&
           maxKernelOps == o.maxKernelOps && treeLayout == o.treeLayout && tier == o.tier;
  }
  template <typename H> friend H AbslHashValue(H h, const CacheKey &k) {
    return H::combine(std::move(h), k.hash.hi, k.hash.lo, k.specialize, k.optLevel, k.maxKernelOps,
                      k.treeLayout, k.tier);
  }
  /// The key of `d` compiled with `o`, its switch and tier resolved.
  static CacheKey of(const jit::Descriptor &d, const jit::CompileOptions &o, bool specialize,
                     jit::Tier tier) {
    return {d.hash(), specialize, o.optLevel, o.maxKernelOps, o.treeLayout, tier};
  }
};

class KernelCache {
public:
  static KernelCache &instance();

  using Build = std::function<llvm::Expected<std::shared_ptr<jit::KernelState>>()>;
  /// The kernel for `key`, built by `build` when absent (a failed build is
  /// not cached: a later call tries again). `hit` says whether it was found.
  llvm::Expected<std::shared_ptr<jit::KernelState>> getOrBuild(const CacheKey &key,
                                                               const Build &build, bool &hit);
  /// Counts the code `k` holds now (a tiered kernel's code arrives after it
  /// was cached) when `k` is the cached kernel of its key, and re-applies
  /// the bounds.
  void codeInstalled(const jit::KernelState &k);
  void clear();
  jit::CacheStats stats();
  void setLimits(const jit::CacheLimits &limits);
  jit::CacheLimits limits();

  std::atomic<uint64_t> compiles{0};

private:
  KernelCache();
  struct Entry;
  void evictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  /// Brings `e`'s share of codeBytes up to the code its kernel holds now.
  void countLocked(Entry &e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  Mutex mu;
  /// Most recently used first.
  std::list<CacheKey> lru ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<CacheKey, std::shared_ptr<Entry>> map ABSL_GUARDED_BY(mu);
  jit::CacheLimits bounds ABSL_GUARDED_BY(mu);
  /// The code bytes of the cached kernels as last counted (the sum of the
  /// entries' `counted`): what maxCodeBytes bounds, kept as kernels come
  /// and go so that an insert does not walk the cache.
  size_t codeBytes ABSL_GUARDED_BY(mu) = 0;
  uint64_t hits ABSL_GUARDED_BY(mu) = 0, misses ABSL_GUARDED_BY(mu) = 0,
                evictions ABSL_GUARDED_BY(mu) = 0;
};

} // namespace engine
} // namespace specjit

#endif
