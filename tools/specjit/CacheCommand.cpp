//===- CacheCommand.cpp - specjit cache stats|list|clear -----------------===//
//
//   specjit cache stats [--json]   directory, entries, bytes, bound, and this
//                                  process's hits/misses/stores/rejections
//   specjit cache list [--json]    one line (object) per entry, least
//                                  recently used first
//   specjit cache clear [--json]   remove every entry
//
// The cache is the one jit::compile() uses (SPECJIT_CACHE_DIR, ...;
// include/specjit/Cache.h).
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "specjit/Cache.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <ctime>

using namespace specjit;
using namespace specjit::jit;

namespace specjit {
namespace tools {

namespace {

std::string isoTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int stats(bool json) {
  DiskCacheStats s = diskCacheStats();
  llvm::json::Object rejected;
  for (size_t i = 0; i < kDiskCacheRejectKinds; ++i)
    rejected[diskCacheRejectName(static_cast<DiskCacheReject>(i))] = s.rejected[i];
  if (json) {
    llvm::json::Object o{{"enabled", s.enabled},
                         {"directory", s.directory},
                         {"entries", s.entries},
                         {"bytes", s.bytes},
                         {"max_bytes", s.maxBytes},
                         {"hits", s.hits},
                         {"misses", s.misses},
                         {"stores", s.stores},
                         {"store_failures", s.storeFailures},
                         {"evictions", s.evictions},
                         {"rejected", std::move(rejected)}};
    if (!s.enabled)
      o["disabled_reason"] = s.disabledReason;
    llvm::outs() << llvm::json::Value(std::move(o)) << "\n";
    return 0;
  }
  llvm::outs() << "directory  " << s.directory << "\n";
  llvm::outs() << "enabled    " << (s.enabled ? "yes" : "no (" + s.disabledReason + ")") << "\n";
  llvm::outs() << llvm::formatv("entries    {0}\n", s.entries);
  llvm::outs() << llvm::formatv("bytes      {0} of {1} ({2:f1} of {3:f1} MiB)\n", s.bytes,
                                s.maxBytes, s.bytes / 1048576.0, s.maxBytes / 1048576.0);
  llvm::outs() << llvm::formatv("this process: hits {0}, misses {1}, stores {2}, "
                                "store failures {3}, evictions {4}\n",
                                s.hits, s.misses, s.stores, s.storeFailures, s.evictions);
  llvm::outs() << "rejected  ";
  for (size_t i = 0; i < kDiskCacheRejectKinds; ++i)
    llvm::outs() << " " << diskCacheRejectName(static_cast<DiskCacheReject>(i)) << " "
                 << s.rejected[i];
  llvm::outs() << "\n";
  return 0;
}

int list(bool json) {
  auto entries = listDiskCache();
  if (!entries)
    return fail(entries.takeError());
  for (const DiskCacheEntry &e : *entries) {
    if (json) {
      llvm::json::Object o{
          {"file", e.file},   {"hash", e.kernelHash},           {"kind", e.kind},
          {"bytes", e.bytes}, {"last_use", isoTime(e.lastUse)}, {"key", e.keySummary}};
      if (!e.problem.empty())
        o["problem"] = e.problem;
      llvm::outs() << llvm::json::Value(std::move(o)) << "\n";
      continue;
    }
    llvm::outs() << llvm::formatv("{0,-32} {1,-9} {2,10} {3}  ",
                                  e.kernelHash.empty() ? "?" : e.kernelHash,
                                  e.kind.empty() ? "?" : e.kind, e.bytes, isoTime(e.lastUse));
    if (e.problem.empty())
      llvm::outs() << e.keySummary << "\n";
    else
      llvm::outs() << "[" << e.problem << "] " << e.file << "\n";
  }
  return 0;
}

int clear(bool json) {
  auto removed = clearDiskCache();
  if (!removed)
    return fail(removed.takeError());
  if (json)
    llvm::outs() << llvm::json::Value(llvm::json::Object{{"removed", *removed}}) << "\n";
  else
    llvm::outs() << "removed " << *removed << " entries from " << diskCacheStats().directory
                 << "\n";
  return 0;
}

} // namespace

int cmdCache(int argc, char **argv) {
  Args a(argc, argv, {"json"}, {});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1)
    return fail("usage: specjit cache stats|list|clear [--json]");
  bool json = a.has("json");
  const std::string &what = a.positional[0];
  if (what == "stats")
    return stats(json);
  if (what == "list")
    return list(json);
  if (what == "clear")
    return clear(json);
  return fail("specjit cache: unknown action '" + what + "' (expected stats, list or clear)");
}

} // namespace tools
} // namespace specjit
