//===- specjit/Cache.h - The persistent kernel cache ------------*- C++ -*-===//
//
// Compiled kernels are kept on disk so that a restart, or another worker on
// the same machine, loads a kernel instead of compiling it (docs/runtime.md,
// "Persistent cache"). jit::compile() uses the cache by itself; this header
// is for host apps and the driver (`specjit cache stats|list|clear`): where
// the cache is, what it holds, what this process did with it, and clearing.
//
// Environment (read when the cache is first used):
//
//   SPECJIT_CACHE=0          no persistent cache
//   SPECJIT_CACHE_DIR        its directory (default $XDG_CACHE_HOME/specjit,
//                            else $HOME/.cache/specjit)
//   SPECJIT_CACHE_MAX_MB     size bound in MiB (default 512), least recently
//                            used entries are evicted beyond it
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_CACHE_H
#define SPECJIT_CACHE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace specjit {
namespace jit {

/// Why an entry file was not loaded. Rejected entries are never run; the
/// next store of the same key replaces them.
enum class DiskCacheReject : uint8_t {
  Truncated,     ///< shorter than its header or its object sizes say
  Checksum,      ///< contents do not match the stored checksum
  Magic,         ///< not a specjit cache entry
  FormatVersion, ///< written by another version of the entry format
  ForeignKey,    ///< made for another key (CPU, LLVM, specjit, options)
  NotOwned,      ///< not a regular file owned by this user, or writable by others
  TooLarge,      ///< larger than the cache's size bound
  Unreadable,    ///< could not be opened or read
  Unlinkable,    ///< its objects do not parse or need symbols the process lacks
};
constexpr size_t kDiskCacheRejectKinds = 9;
/// "truncated", "checksum", "magic", "format-version", "foreign-key",
/// "not-owned", "too-large", "unreadable", "unlinkable".
llvm::StringRef diskCacheRejectName(DiskCacheReject r);

/// The cache's configuration and this process's use of it.
struct DiskCacheStats {
  /// Switched on and its directory is safe to use.
  bool enabled = false;
  /// Why the cache is off (SPECJIT_CACHE=0, an unsafe directory, ...);
  /// empty when enabled.
  std::string disabledReason;
  std::string directory;
  /// Entry files in the directory now, and their bytes.
  uint64_t entries = 0, bytes = 0;
  /// The size bound (bytes).
  uint64_t maxBytes = 0;
  /// This process: kernels loaded, looked up and not found, stored, stores
  /// that failed (disk full, permissions), entries evicted.
  uint64_t hits = 0, misses = 0, stores = 0, storeFailures = 0, evictions = 0;
  /// This process: entries rejected, by DiskCacheReject.
  std::array<uint64_t, kDiskCacheRejectKinds> rejected{};
  uint64_t rejectedFor(DiskCacheReject r) const { return rejected[static_cast<size_t>(r)]; }
};
DiskCacheStats diskCacheStats();

/// One entry file of the cache.
struct DiskCacheEntry {
  std::string file;       ///< file name inside the cache directory
  std::string kernelHash; ///< the descriptor's canonical hash (hex)
  std::string kind;       ///< the descriptor's family
  uint64_t bytes = 0;
  /// Last load or store, seconds since the Unix epoch (the file's mtime).
  int64_t lastUse = 0;
  /// Opt level, tree layout, CPU, LLVM version, in one line.
  std::string keySummary;
  /// Why this process would not load it (an unreadable or foreign entry);
  /// empty when it would.
  std::string problem;
};
/// The entries, least recently used first. Fails when the directory cannot
/// be used (missing HOME, unsafe permissions); works with the switch off.
llvm::Expected<std::vector<DiskCacheEntry>> listDiskCache();
/// Removes every entry and temporary file; returns how many entries. Other
/// files are left alone. Fails as listDiskCache() does.
llvm::Expected<uint64_t> clearDiskCache();

/// Overrides of the environment for this process (host apps, tests); each
/// call replaces the previous overrides, and a field left unset follows the
/// environment (configureDiskCache({}) goes back to it). Takes effect for
/// the next compile; kernels already loaded stay loaded.
struct DiskCacheSettings {
  std::optional<bool> enabled;
  std::optional<std::string> directory;
  std::optional<uint64_t> maxBytes;
};
void configureDiskCache(const DiskCacheSettings &settings);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_CACHE_H
