//===- DiskCache.h - Compiled objects kept on disk --------------*- C++ -*-===//
//
// The persistent cache behind jit::compile() (public side:
// include/specjit/Cache.h; format and rules: docs/runtime.md). One file per
// key, named from a hash of the whole key, holding
//
//   magic "SPJITOBJ" | u32 format version | u32 key bytes | key text
//   | u32 object count | u64 size per object | the objects
//   | xxh3-128 of everything before it (16 bytes)
//
// all integers little-endian. A load checks the owner, the size bound, the
// magic, the format version, every size against the file, the checksum and
// then the whole key; anything else is rejected and never run. Stores write
// a unique temporary file in the directory, fsync it and rename it over the
// entry, so readers see an old file or a new one, whole.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_DISKCACHE_H
#define SPECJIT_ENGINE_DISKCACHE_H

#include "Engine/Codegen.h"
#include "specjit/Cache.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <atomic>
#include <string>
#include <utility>
#include <vector>

namespace specjit {
namespace engine {

/// Everything that changes a kernel's code, as ordered name=value fields.
struct DiskCacheKey {
  std::vector<std::pair<std::string, std::string>> fields;

  /// One "name=value" line per field, in order: what the entry stores and
  /// a load compares.
  std::string text() const;
  /// The entry's file name: a hash of text(), in hex, plus ".sjc".
  std::string fileName() const;
  /// The value of `name` ("" when absent).
  llvm::StringRef get(llvm::StringRef name) const;
  /// Replaces the value of `name` (tests make foreign keys with it).
  void set(llvm::StringRef name, llvm::StringRef value);
};

/// The key of `d` compiled with `options` on this host by this build:
/// descriptor hash and family, specjit version and build, LLVM version,
/// target triple, CPU name and features, the vector math library, and the
/// codegen options that change code (opt level, tree layout, the kernel
/// size limit). compileThreads is not in it: a split kernel computes what
/// the whole one does.
DiskCacheKey diskCacheKey(const jit::Descriptor &d, const CodegenOptions &options);

/// Why an entry was rejected, for callers that branch on the kind.
class DiskCacheRejection : public llvm::ErrorInfo<DiskCacheRejection> {
public:
  static char ID;
  DiskCacheRejection(jit::DiskCacheReject reason, std::string detail)
      : reason(reason), detail(std::move(detail)) {}
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }
  jit::DiskCacheReject reason;
  std::string detail;
};

/// The bytes of an entry file for `key` holding `objects`.
std::string encodeDiskCacheEntry(const DiskCacheKey &key, const ObjectFiles &objects);
/// The objects of an entry file's bytes, when it is whole and made for
/// `expected`; a DiskCacheRejection otherwise.
llvm::Expected<ObjectFiles> decodeDiskCacheEntry(llvm::StringRef bytes,
                                                 const DiskCacheKey &expected);

/// The directory entries live in now ("" when the cache is off).
std::string diskCacheDirectory();

/// Loads the objects stored for `key`. None when the cache is off, has no
/// entry, or the entry is rejected (then counted by reason).
std::optional<ObjectFiles> loadFromDiskCache(const DiskCacheKey &key);
/// Publishes `objects` under `key` and evicts beyond the size bound. A
/// failure is counted, never reported: the kernel still runs.
void storeInDiskCache(const DiskCacheKey &key, const ObjectFiles &objects);

/// compileToObjects() through the persistent cache: the stored objects of
/// `d` when an entry loads and links (then `fromDisk` is set), else a
/// compile whose objects are then stored. Without `useDisk` (or with the
/// cache off) exactly compileToObjects().
llvm::Expected<ObjectFiles> compileToObjectsCached(const jit::Descriptor &d,
                                                   const CodegenOptions &options, bool useDisk,
                                                   bool &fromDisk);

/// Whether compile() with `o` uses the persistent cache: o.diskCache when
/// set; otherwise when o.useCache and the environment allow it.
bool diskCacheWanted(const jit::CompileOptions &o);

} // namespace engine
} // namespace specjit

#endif
