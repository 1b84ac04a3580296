//===- DiskCache.cpp - Compiled objects kept on disk ----------------------===//
//
// A writable cache directory is code execution: everything here assumes the
// directory may hold files someone else put there, and runs nothing that is
// not a whole entry, owned by this user, made for exactly this key.
//
//===----------------------------------------------------------------------===//

#include "Engine/DiskCache.h"
#include "Engine/LLVMBackend.h"
#include "Engine/RuntimeSymbols.h"

#include "mlir/Support/Timing.h"

#include "specjit/ReadFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

#ifndef SPECJIT_VERSION
#error "SPECJIT_VERSION must be defined by the build"
#endif

using namespace llvm;

namespace specjit {

namespace jit {
StringRef diskCacheRejectName(DiskCacheReject r) {
  switch (r) {
  case DiskCacheReject::Truncated:
    return "truncated";
  case DiskCacheReject::Checksum:
    return "checksum";
  case DiskCacheReject::Magic:
    return "magic";
  case DiskCacheReject::FormatVersion:
    return "format-version";
  case DiskCacheReject::ForeignKey:
    return "foreign-key";
  case DiskCacheReject::NotOwned:
    return "not-owned";
  case DiskCacheReject::TooLarge:
    return "too-large";
  case DiskCacheReject::Unreadable:
    return "unreadable";
  case DiskCacheReject::Unlinkable:
    return "unlinkable";
  }
  return "unknown";
}
} // namespace jit

namespace engine {

using jit::DiskCacheReject;

char DiskCacheRejection::ID = 0;
void DiskCacheRejection::log(raw_ostream &os) const {
  os << jit::diskCacheRejectName(reason) << ": " << detail;
}

namespace {

constexpr char kMagic[8] = {'S', 'P', 'J', 'I', 'T', 'O', 'B', 'J'};
/// Bumped whenever the layout of an entry file changes; older entries are
/// rejected (FormatVersion) and replaced.
constexpr uint32_t kFormatVersion = 1;
constexpr StringRef kEntrySuffix = ".sjc";
constexpr StringRef kTempPrefix = ".tmp-";
/// Temporary files older than this are a crashed writer's: removed.
constexpr auto kStaleTemp = std::chrono::minutes(10);
/// Sanity bound on the object count of one entry (kernels have 1..threads).
constexpr uint32_t kMaxObjects = 4096;

const jit::ReadLimit kCacheSizeLimit = {"SPECJIT_CACHE_MAX_MB", 512, "persistent cache"};

Error reject(DiskCacheReject r, const Twine &detail) {
  return make_error<DiskCacheRejection>(r, detail.str());
}

std::string hex128(StringRef bytes) {
  XXH128_hash_t h = xxh3_128bits(arrayRefFromStringRef(bytes));
  jit::Hash128 v;
  v.hi = h.high64;
  v.lo = h.low64;
  return v.hex();
}

//===----------------------------------------------------------------------===//
// The host and the build
//===----------------------------------------------------------------------===//

/// The file holding this code (the executable or the shared object specjit
/// is linked into), identified by path, size and mtime: a rebuilt specjit
/// never runs objects an older build of the same version made.
std::string buildIdentity() {
  // The file, not its path: one binary started by two different paths is
  // one build. The main program's dli_fname may be a relative argv[0].
  Dl_info info;
  struct stat st;
  bool found = dladdr(reinterpret_cast<void *>(&buildIdentity), &info) && info.dli_fname &&
               *info.dli_fname && ::stat(info.dli_fname, &st) == 0;
  if (!found && ::stat("/proc/self/exe", &st) != 0)
    return "unknown";
  std::string id = formatv("{0}:{1}:{2}:{3}.{4}", st.st_dev, st.st_ino, st.st_size,
                           st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
                       .str();
  return hex128(id).substr(0, 16);
}

struct HostFields {
  std::string triple, cpu, features, build;
  bool vectorMath = false;
};

const HostFields &host() {
  static const HostFields h = [] {
    HostFields f;
    f.vectorMath = vectorMathAvailable(); // also loads libmvec for lookups
    f.build = buildIdentity();
    // What kernels are compiled for.
    if (auto jtmb = hostTargetBuilder()) {
      f.triple = jtmb->getTargetTriple().str();
      f.cpu = jtmb->getCPU();
      // Sorted: the key must not depend on the order features are listed.
      std::vector<std::string> features = jtmb->getFeatures().getFeatures();
      llvm::sort(features);
      f.features = llvm::join(features, ",");
    } else {
      consumeError(jtmb.takeError());
      f.triple = "unknown";
    }
    return f;
  }();
  return h;
}

/// The fields that describe the host and the build, in key order.
constexpr const char *kHostFieldNames[] = {"specjit", "build",    "llvm",       "triple",
                                           "cpu",     "features", "vector-math"};

void setHostFields(DiskCacheKey &key) {
  const HostFields &h = host();
  key.set("specjit", SPECJIT_VERSION);
  key.set("build", h.build);
  key.set("llvm", LLVM_VERSION_STRING);
  key.set("triple", h.triple);
  key.set("cpu", h.cpu);
  key.set("features", h.features);
  key.set("vector-math", h.vectorMath ? "libmvec" : "none");
}

/// Parses "name=value" lines back into a key (for listing entries).
DiskCacheKey parseKeyText(StringRef text) {
  DiskCacheKey key;
  SmallVector<StringRef, 16> lines;
  text.split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef line : lines) {
    auto [name, value] = line.split('=');
    key.fields.emplace_back(name.str(), value.str());
  }
  return key;
}

//===----------------------------------------------------------------------===//
// Configuration and counters
//===----------------------------------------------------------------------===//

struct Config {
  /// The switch: configureDiskCache's, else SPECJIT_CACHE. compile() uses
  /// the cache by default only when it is on.
  bool on = false;
  /// Whether the directory is resolved and safe; entries are read and
  /// written only then. `problem` says why not.
  bool usable = false;
  std::string problem;
  std::string directory;
  uint64_t maxBytes = 0;
  std::string disabledReason() const {
    if (!on)
      return "switched off (SPECJIT_CACHE=0 or configureDiskCache)";
    return problem;
  }
};

struct Counters {
  std::atomic<uint64_t> hits{0}, misses{0}, stores{0}, storeFailures{0}, evictions{0};
  std::array<std::atomic<uint64_t>, jit::kDiskCacheRejectKinds> rejected{};
};

struct DiskCacheState {
  std::mutex mu;
  jit::DiskCacheSettings overrides;
  std::optional<Config> config; // resolved on first use after a change
  Counters counters;
};

DiskCacheState &state() {
  static DiskCacheState *s = new DiskCacheState(); // used from exit-time code
  return *s;
}

bool envSaysOff(const char *value) {
  if (!value)
    return false;
  std::string v = StringRef(value).trim().lower();
  return v == "0" || v == "false" || v == "off" || v == "no";
}

std::string defaultDirectory() {
  if (const char *dir = std::getenv("SPECJIT_CACHE_DIR"); dir && *dir)
    return dir;
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/')
    return (Twine(xdg) + "/specjit").str();
  if (const char *home = std::getenv("HOME"); home && *home)
    return (Twine(home) + "/.cache/specjit").str();
  return "";
}

/// Creates `dir` (0700) if needed and checks it is a directory this user
/// owns that nobody else can write to. The reason when it is not.
std::string checkDirectory(const std::string &dir) {
  if (std::error_code ec =
          sys::fs::create_directories(dir, /*IgnoreExisting=*/true, sys::fs::perms::owner_all))
    return "cannot create the cache directory '" + dir + "': " + ec.message();
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return "cannot stat the cache directory '" + dir + "': " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode))
    return "the cache path '" + dir + "' is not a directory";
  if (st.st_uid != ::geteuid())
    return formatv("refusing the cache directory '{0}': owned by uid {1}, not "
                   "by this user (uid {2})",
                   dir, st.st_uid, ::geteuid())
        .str();
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return formatv("refusing the cache directory '{0}': writable by group or "
                   "others (mode {1}); chmod 700 it",
                   dir, llvm::format("%o", st.st_mode & 07777))
        .str();
  return "";
}

Config resolve(const jit::DiskCacheSettings &o) {
  Config c;
  c.on = o.enabled ? *o.enabled : !envSaysOff(std::getenv("SPECJIT_CACHE"));
  if (o.maxBytes) {
    c.maxBytes = *o.maxBytes;
  } else {
    auto bytes = jit::limitBytes(kCacheSizeLimit);
    if (!bytes) {
      c.problem = toString(bytes.takeError());
      return c;
    }
    c.maxBytes = *bytes;
  }
  c.directory = o.directory ? *o.directory : defaultDirectory();
  if (c.directory.empty()) {
    c.problem = "no cache directory (set SPECJIT_CACHE_DIR or HOME)";
    return c;
  }
  c.problem = checkDirectory(c.directory);
  c.usable = c.problem.empty();
  return c;
}

Config currentConfig() {
  DiskCacheState &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.config)
    s.config = resolve(s.overrides);
  return *s.config;
}

void countReject(DiskCacheReject r) {
  state().counters.rejected[static_cast<size_t>(r)].fetch_add(1);
}

//===----------------------------------------------------------------------===//
// Entry files
//===----------------------------------------------------------------------===//

/// An entry's parts, pointing into its bytes.
struct ParsedEntry {
  StringRef keyText;
  std::vector<StringRef> objects;
};

/// Checks the structure and the checksum of an entry (not its key).
Expected<ParsedEntry> parseEntry(StringRef bytes) {
  using support::endian::read32le;
  using support::endian::read64le;
  size_t pos = 0;
  auto need = [&](uint64_t n, const char *what) -> Error {
    if (n > bytes.size() - pos)
      return reject(DiskCacheReject::Truncated,
                    formatv("{0} bytes end inside the {1}", bytes.size(), what));
    return Error::success();
  };
  if (auto err = need(sizeof kMagic, "magic"))
    return std::move(err);
  if (bytes.substr(0, sizeof kMagic) != StringRef(kMagic, sizeof kMagic))
    return reject(DiskCacheReject::Magic, "not a specjit cache entry");
  pos += sizeof kMagic;
  if (auto err = need(4, "format version"))
    return std::move(err);
  uint32_t version = read32le(bytes.data() + pos);
  pos += 4;
  if (version != kFormatVersion)
    return reject(DiskCacheReject::FormatVersion,
                  formatv("format version {0}, this build reads {1}", version, kFormatVersion));
  // The checksum is last: everything else lies in `body`.
  if (bytes.size() < pos + 16)
    return reject(DiskCacheReject::Truncated, "no room for the checksum");
  StringRef body = bytes.drop_back(16);
  auto needBody = [&](uint64_t n, const char *what) -> Error {
    if (n > body.size() - pos)
      return reject(DiskCacheReject::Truncated,
                    formatv("{0} bytes end inside the {1}", bytes.size(), what));
    return Error::success();
  };
  ParsedEntry e;
  if (auto err = needBody(4, "key size"))
    return std::move(err);
  uint32_t keyBytes = read32le(body.data() + pos);
  pos += 4;
  if (auto err = needBody(keyBytes, "key"))
    return std::move(err);
  e.keyText = body.substr(pos, keyBytes);
  pos += keyBytes;
  if (auto err = needBody(4, "object count"))
    return std::move(err);
  uint32_t count = read32le(body.data() + pos);
  pos += 4;
  if (count == 0 || count > kMaxObjects)
    return reject(DiskCacheReject::Checksum, formatv("implausible object count {0}", count));
  if (auto err = needBody(uint64_t(count) * 8, "object sizes"))
    return std::move(err);
  std::vector<uint64_t> sizes(count);
  for (uint32_t i = 0; i < count; ++i, pos += 8)
    sizes[i] = read64le(body.data() + pos);
  for (uint32_t i = 0; i < count; ++i) {
    if (auto err = needBody(sizes[i], "objects"))
      return std::move(err);
    e.objects.push_back(body.substr(pos, sizes[i]));
    pos += sizes[i];
  }
  if (pos != body.size())
    return reject(DiskCacheReject::Checksum,
                  formatv("{0} bytes after the objects", body.size() - pos));
  XXH128_hash_t sum = xxh3_128bits(arrayRefFromStringRef(body));
  const char *stored = bytes.data() + body.size();
  if (read64le(stored) != sum.low64 || read64le(stored + 8) != sum.high64)
    return reject(DiskCacheReject::Checksum, "the contents do not match the checksum");
  return e;
}

/// Reads the entry at `path` if it is a regular file this user owns, that
/// nobody else may write, of at most `maxBytes`. `missing` when there is
/// no such file.
Expected<std::string> readEntryFile(const std::string &path, uint64_t maxBytes, bool &missing) {
  missing = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) {
      missing = true;
      return std::string();
    }
    if (e == ELOOP)
      return reject(DiskCacheReject::NotOwned, "is a symbolic link");
    return reject(DiskCacheReject::Unreadable, std::strerror(e));
  }
  auto closeFd = llvm::make_scope_exit([&] { ::close(fd); });
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return reject(DiskCacheReject::Unreadable, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return reject(DiskCacheReject::NotOwned, "not a regular file");
  if (st.st_uid != ::geteuid())
    return reject(DiskCacheReject::NotOwned,
                  formatv("owned by uid {0}, not by this user", st.st_uid));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return reject(DiskCacheReject::NotOwned, "writable by group or others");
  if (static_cast<uint64_t>(st.st_size) > maxBytes)
    return reject(DiskCacheReject::TooLarge,
                  formatv("{0} bytes, more than the cache bound of {1}", st.st_size, maxBytes));
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd, &bytes[got], bytes.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return reject(DiskCacheReject::Unreadable, std::strerror(errno));
    if (n == 0)
      break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

/// Whether the objects parse and every symbol they need is defined by one
/// of them or by the process (as the JIT resolves it). A failed check costs
/// a compile; a failed link would cost the JIT.
Error checkLinkable(const ObjectFiles &objects) {
  StringSet<> defined;
  std::vector<std::string> undefined;
  for (const auto &buffer : objects) {
    auto obj = object::ObjectFile::createObjectFile(buffer->getMemBufferRef());
    if (!obj)
      return reject(DiskCacheReject::Unlinkable, toString(obj.takeError()));
    for (const object::SymbolRef &sym : (*obj)->symbols()) {
      Expected<uint32_t> flags = sym.getFlags();
      Expected<StringRef> name = sym.getName();
      if (!flags || !name) {
        consumeError(flags.takeError());
        consumeError(name.takeError());
        return reject(DiskCacheReject::Unlinkable, "unreadable symbol table");
      }
      if (name->empty())
        continue;
      if (*flags & object::SymbolRef::SF_Undefined)
        undefined.push_back(name->str());
      else
        defined.insert(*name);
    }
  }
  sys::DynamicLibrary process = sys::DynamicLibrary::getPermanentLibrary(nullptr);
  for (const std::string &name : undefined) {
    // The linker's own symbols (the GOT) are not looked up.
    if (defined.contains(name) || name == "_GLOBAL_OFFSET_TABLE_" || isRuntimeSymbol(name))
      continue;
    if (!process.getAddressOfSymbol(name.c_str()) &&
        !sys::DynamicLibrary::SearchForAddressOfSymbol(name))
      return reject(DiskCacheReject::Unlinkable,
                    "needs '" + name + "', which this process does not define");
  }
  return Error::success();
}

std::string entryPath(const Config &c, StringRef fileName) {
  SmallString<256> p(c.directory);
  sys::path::append(p, fileName);
  return std::string(p);
}

struct FileInfo {
  std::string name;
  uint64_t bytes = 0;
  struct timespec mtime{};
};

bool olderThan(const FileInfo &a, const FileInfo &b) {
  if (a.mtime.tv_sec != b.mtime.tv_sec)
    return a.mtime.tv_sec < b.mtime.tv_sec;
  if (a.mtime.tv_nsec != b.mtime.tv_nsec)
    return a.mtime.tv_nsec < b.mtime.tv_nsec;
  return a.name < b.name;
}

/// The entry files of the directory, least recently used first; stale
/// temporary files are removed on the way when `sweepTemps`.
std::vector<FileInfo> scanEntries(const Config &c, bool sweepTemps) {
  std::vector<FileInfo> files;
  std::error_code ec;
  auto now = std::chrono::system_clock::now();
  for (sys::fs::directory_iterator it(c.directory, ec), end; it != end && !ec; it.increment(ec)) {
    StringRef name = sys::path::filename(it->path());
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (name.starts_with(kTempPrefix)) {
      auto mtime = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
      if (sweepTemps && now - mtime > kStaleTemp)
        (void)::unlink(it->path().c_str());
      continue;
    }
    if (!name.ends_with(kEntrySuffix))
      continue;
    files.push_back({name.str(), static_cast<uint64_t>(st.st_size), st.st_mtim});
  }
  llvm::sort(files, olderThan);
  return files;
}

/// Removes the least recently used entries until the directory is within
/// the bound; `keep` (the entry just stored) goes last.
void evict(const Config &c, StringRef keep) {
  std::vector<FileInfo> files = scanEntries(c, /*sweepTemps=*/true);
  uint64_t total = 0;
  for (const FileInfo &f : files)
    total += f.bytes;
  if (total <= c.maxBytes)
    return;
  std::stable_partition(files.begin(), files.end(),
                        [&](const FileInfo &f) { return f.name != keep; });
  for (const FileInfo &f : files) {
    if (total <= c.maxBytes)
      break;
    // Another process may have evicted it already: only count our own.
    if (::unlink(entryPath(c, f.name).c_str()) == 0)
      state().counters.evictions.fetch_add(1);
    total -= f.bytes;
  }
}

/// Writes `bytes` to a unique temporary file in the directory, syncs it and
/// renames it to `fileName`.
Error publish(const Config &c, StringRef fileName, StringRef bytes) {
  SmallString<256> model(c.directory);
  sys::path::append(model, (kTempPrefix + fileName + ".%%%%%%%%%%%%").str());
  int fd = -1;
  SmallString<256> temp;
  if (std::error_code ec =
          sys::fs::createUniqueFile(model, fd, temp, sys::fs::OF_None,
                                    sys::fs::perms::owner_read | sys::fs::perms::owner_write))
    return createStringError(ec, "cannot create a file in '" + c.directory + "': " + ec.message());
  auto fail = [&](const Twine &what) {
    int e = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return createStringError(std::error_code(e, std::generic_category()),
                             what + " '" + temp + "': " + std::strerror(e));
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail("cannot write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return fail("cannot sync");
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    return createStringError(std::error_code(e, std::generic_category()),
                             "cannot close '" + temp + "'");
  }
  std::string target = entryPath(c, fileName);
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    return createStringError(std::error_code(e, std::generic_category()),
                             "cannot rename to '" + target + "': " + std::strerror(e));
  }
  // Make the rename itself durable.
  int dirFd = ::open(c.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    (void)::fsync(dirFd);
    ::close(dirFd);
  }
  return Error::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Keys
//===----------------------------------------------------------------------===//

std::string DiskCacheKey::text() const {
  std::string out;
  for (const auto &[name, value] : fields)
    out += name + "=" + value + "\n";
  return out;
}

std::string DiskCacheKey::fileName() const { return hex128(text()) + kEntrySuffix.str(); }

StringRef DiskCacheKey::get(StringRef name) const {
  for (const auto &f : fields)
    if (f.first == name)
      return f.second;
  return "";
}

void DiskCacheKey::set(StringRef name, StringRef value) {
  // A newline would let one field forge others.
  std::string v = value.str();
  std::replace(v.begin(), v.end(), '\n', ' ');
  for (auto &f : fields)
    if (f.first == name) {
      f.second = v;
      return;
    }
  fields.emplace_back(name.str(), v);
}

DiskCacheKey diskCacheKey(const jit::Descriptor &d, const CodegenOptions &o) {
  DiskCacheKey key;
  key.set("descriptor", d.hash().hex());
  key.set("kind", jit::kindName(d.kind()));
  setHostFields(key);
  key.set("opt", std::to_string(o.optLevel));
  key.set("tree-layout", jit::treeLayoutName(o.treeLayout));
  key.set("max-kernel-ops", std::to_string(o.maxKernelOps));
  return key;
}

//===----------------------------------------------------------------------===//
// Entries
//===----------------------------------------------------------------------===//

std::string encodeDiskCacheEntry(const DiskCacheKey &key, const ObjectFiles &objects) {
  using support::endian::write32le;
  using support::endian::write64le;
  std::string keyText = key.text();
  std::string out(kMagic, sizeof kMagic);
  char word[8];
  auto put32 = [&](uint32_t v) {
    write32le(word, v);
    out.append(word, 4);
  };
  auto put64 = [&](uint64_t v) {
    write64le(word, v);
    out.append(word, 8);
  };
  put32(kFormatVersion);
  put32(static_cast<uint32_t>(keyText.size()));
  out += keyText;
  put32(static_cast<uint32_t>(objects.size()));
  for (const auto &o : objects)
    put64(o->getBufferSize());
  for (const auto &o : objects)
    out += o->getBuffer();
  XXH128_hash_t sum = xxh3_128bits(arrayRefFromStringRef(out));
  put64(sum.low64);
  put64(sum.high64);
  return out;
}

Expected<ObjectFiles> decodeDiskCacheEntry(StringRef bytes, const DiskCacheKey &expected) {
  auto parsed = parseEntry(bytes);
  if (!parsed)
    return parsed.takeError();
  std::string want = expected.text();
  if (parsed->keyText != want) {
    // Name the first field that differs: the useful part of the message.
    DiskCacheKey got = parseKeyText(parsed->keyText);
    std::string field = "key";
    for (const auto &[name, value] : expected.fields)
      if (got.get(name) != value) {
        field = name + " is '" + got.get(name).str() + "', not '" + value + "'";
        break;
      }
    return reject(DiskCacheReject::ForeignKey, "made for another key: " + field);
  }
  ObjectFiles objects;
  for (size_t i = 0; i < parsed->objects.size(); ++i)
    objects.push_back(MemoryBuffer::getMemBufferCopy(parsed->objects[i],
                                                     formatv("specjit_kernel.{0}.o", i).str()));
  return std::move(objects);
}

//===----------------------------------------------------------------------===//
// Load and store
//===----------------------------------------------------------------------===//

std::string diskCacheDirectory() {
  Config c = currentConfig();
  return c.usable ? c.directory : "";
}

std::optional<ObjectFiles> loadFromDiskCache(const DiskCacheKey &key) {
  Config c = currentConfig();
  if (!c.usable)
    return std::nullopt;
  Counters &n = state().counters;
  auto rejected = [&](Error err) -> std::optional<ObjectFiles> {
    handleAllErrors(std::move(err), [&](const DiskCacheRejection &r) { countReject(r.reason); });
    n.misses.fetch_add(1);
    return std::nullopt;
  };
  bool missing = false;
  auto bytes = readEntryFile(entryPath(c, key.fileName()), c.maxBytes, missing);
  if (!bytes)
    return rejected(bytes.takeError());
  if (missing) {
    n.misses.fetch_add(1);
    return std::nullopt;
  }
  auto objects = decodeDiskCacheEntry(*bytes, key);
  if (!objects)
    return rejected(objects.takeError());
  if (auto err = checkLinkable(*objects))
    return rejected(std::move(err));
  // A use: the entry moves to the back of the eviction order.
  (void)::utimensat(AT_FDCWD, entryPath(c, key.fileName()).c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
  n.hits.fetch_add(1);
  return std::move(*objects);
}

void storeInDiskCache(const DiskCacheKey &key, const ObjectFiles &objects) {
  Config c = currentConfig();
  if (!c.usable || objects.empty())
    return;
  Counters &n = state().counters;
  std::string bytes = encodeDiskCacheEntry(key, objects);
  // An entry larger than the bound would evict everything, itself included.
  if (bytes.size() > c.maxBytes) {
    n.storeFailures.fetch_add(1);
    return;
  }
  std::string name = key.fileName();
  if (auto err = publish(c, name, bytes)) {
    consumeError(std::move(err));
    n.storeFailures.fetch_add(1);
    return;
  }
  n.stores.fetch_add(1);
  evict(c, name);
}

Expected<ObjectFiles> compileToObjectsCached(const jit::Descriptor &d,
                                             const CodegenOptions &options, bool useDisk,
                                             bool &fromDisk) {
  // Stage texts (dumps, --emit) and the failure hook need the compiler to run.
  if (!useDisk || options.onStage || options.stopAfter || failureInjectionActive())
    return compileToObjects(d, options);
  // The one stage a loaded kernel has (stats and timing report it).
  mlir::TimingScope load = options.timing ? options.timing->nest("disk-load") : mlir::TimingScope();
  DiskCacheKey key = diskCacheKey(d, options);
  if (std::optional<ObjectFiles> objects = loadFromDiskCache(key)) {
    fromDisk = true;
    return std::move(*objects);
  }
  load = mlir::TimingScope(); // a miss: no stage
  auto objects = compileToObjects(d, options);
  if (objects)
    storeInDiskCache(key, *objects);
  return objects;
}

bool diskCacheWanted(const jit::CompileOptions &o) {
  if (o.diskCache)
    return *o.diskCache;
  return o.useCache && currentConfig().on;
}

} // namespace engine

//===----------------------------------------------------------------------===//
// Public API (include/specjit/Cache.h)
//===----------------------------------------------------------------------===//

namespace jit {

using engine::Config;

DiskCacheStats diskCacheStats() {
  Config c = engine::currentConfig();
  DiskCacheStats s;
  s.enabled = c.on && c.usable;
  s.disabledReason = s.enabled ? "" : c.disabledReason();
  s.directory = c.directory;
  s.maxBytes = c.maxBytes;
  if (c.usable)
    for (const engine::FileInfo &f : engine::scanEntries(c, /*sweepTemps=*/false)) {
      ++s.entries;
      s.bytes += f.bytes;
    }
  engine::Counters &n = engine::state().counters;
  s.hits = n.hits.load();
  s.misses = n.misses.load();
  s.stores = n.stores.load();
  s.storeFailures = n.storeFailures.load();
  s.evictions = n.evictions.load();
  for (size_t i = 0; i < kDiskCacheRejectKinds; ++i)
    s.rejected[i] = n.rejected[i].load();
  return s;
}

static Error unusable(const Config &c) {
  return createStringError(inconvertibleErrorCode(),
                           "the persistent cache cannot be used: " + c.problem);
}

Expected<std::vector<DiskCacheEntry>> listDiskCache() {
  Config c = engine::currentConfig();
  if (!c.usable)
    return unusable(c);
  std::vector<DiskCacheEntry> out;
  for (const engine::FileInfo &f : engine::scanEntries(c, /*sweepTemps=*/false)) {
    DiskCacheEntry e;
    e.file = f.name;
    e.bytes = f.bytes;
    e.lastUse = f.mtime.tv_sec;
    bool missing = false;
    auto bytes = engine::readEntryFile(engine::entryPath(c, f.name), c.maxBytes, missing);
    if (!bytes || missing) {
      e.problem = bytes ? "removed while listing" : toString(bytes.takeError());
      out.push_back(std::move(e));
      continue;
    }
    auto parsed = engine::parseEntry(*bytes);
    if (!parsed) {
      e.problem = toString(parsed.takeError());
      out.push_back(std::move(e));
      continue;
    }
    engine::DiskCacheKey key = engine::parseKeyText(parsed->keyText);
    e.kernelHash = key.get("descriptor").str();
    e.kind = key.get("kind").str();
    e.keySummary =
        formatv("opt={0} tree-layout={1} cpu={2} llvm={3} specjit={4}", key.get("opt"),
                key.get("tree-layout"), key.get("cpu"), key.get("llvm"), key.get("specjit"))
            .str();
    // What this process would compare on a load: the same key on this host.
    engine::DiskCacheKey here = key;
    engine::setHostFields(here);
    if (key.fileName() != f.name) {
      e.problem = "the file name does not match its key";
    } else {
      for (const char *field : engine::kHostFieldNames)
        if (key.get(field) != here.get(field)) {
          e.problem = formatv("foreign-key: made for {0} '{1}', this host has '{2}'", field,
                              key.get(field), here.get(field))
                          .str();
          break;
        }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Expected<uint64_t> clearDiskCache() {
  Config c = engine::currentConfig();
  if (!c.usable)
    return unusable(c);
  uint64_t removed = 0;
  std::error_code ec;
  for (sys::fs::directory_iterator it(c.directory, ec), end; it != end && !ec; it.increment(ec)) {
    StringRef name = sys::path::filename(it->path());
    bool entry = name.ends_with(engine::kEntrySuffix) && !name.starts_with(engine::kTempPrefix);
    if (!entry && !name.starts_with(engine::kTempPrefix))
      continue; // not ours: left alone
    if (::unlink(it->path().c_str()) == 0 && entry)
      ++removed;
  }
  if (ec)
    return createStringError(ec, "cannot read the cache directory '" + c.directory +
                                     "': " + ec.message());
  return removed;
}

void configureDiskCache(const DiskCacheSettings &settings) {
  engine::DiskCacheState &s = engine::state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.overrides = settings;
  s.config.reset();
}

} // namespace jit
} // namespace specjit
