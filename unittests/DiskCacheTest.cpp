//===- DiskCacheTest.cpp - The persistent cache of compiled kernels -------===//
//
// Every test points the cache at its own fresh directory. Entries are made
// by compiling, then damaged, forged or raced on purpose; a rejected entry
// must never run, the kernel must still be compiled code, and the next
// store must replace the entry with one that loads.
//
//===----------------------------------------------------------------------===//

#include "Engine/KernelAccess.h"
#include "specjit/Cache.h"
#include "specjit/Testing.h"
#include "specjit/specjit.h"

#include "Engine/DiskCache.h"
#include "Engine/KernelState.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

#include "gtest/gtest.h"

#include "TestData.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

using specjit::engine::KernelAccess;

extern char **environ;

using namespace specjit;
using namespace specjit::jit;
using specjit_test::ChurnData;

namespace {

Descriptor churn(int meanTenths = 412) {
  auto d = Descriptor::parse(specjit_test::churnText(meanTenths));
  EXPECT_TRUE(static_cast<bool>(d)) << (d ? "" : llvm::toString(d.takeError()));
  return std::move(*d);
}

/// The kernel's output over ChurnData(1000), as raw bytes.
std::string runBytes(const Kernel &k) {
  ChurnData data(1000);
  std::vector<float> out(1000 * k.numOutputs());
  llvm::Error err = k.run(data.columns(), Output::f32(out.data(), 1000, k.numOutputs()));
  EXPECT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  return std::string(reinterpret_cast<const char *>(out.data()), out.size() * sizeof(float));
}

bool fromDisk(const Kernel &k) { return KernelAccess::state(k)->codeFromDisk.load(); }

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string &path, const std::string &bytes) {
  ::unlink(path.c_str()); // a fresh inode owned by us, as a writer would make
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), bytes.size());
  out.close();
  ::chmod(path.c_str(), 0600);
}

bool exists(const std::string &path) { return ::access(path.c_str(), F_OK) == 0; }

/// Per-test cache directory and a jit::compile that goes through it.
class DiskCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("specjit-diskcache", dir));
    root = std::string(dir);
    cacheDir = root + "/cache";
    configure();
    clearCache();
  }
  void TearDown() override {
    configureDiskCache({});
    clearCache();
    llvm::sys::fs::remove_directories(root);
  }
  void configure(std::optional<uint64_t> maxBytes = std::nullopt) {
    DiskCacheSettings s;
    s.enabled = true;
    s.directory = cacheDir;
    s.maxBytes = maxBytes;
    configureDiskCache(s);
  }
  /// A compile as a fresh process would do it: nothing in memory.
  Kernel compileFresh(const Descriptor &d, CompileOptions o = {}) {
    clearCache();
    o.specialize = true;
    auto k = compile(d, o);
    EXPECT_TRUE(static_cast<bool>(k)) << (k ? "" : llvm::toString(k.takeError()));
    EXPECT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
    return std::move(*k);
  }
  engine::DiskCacheKey keyOf(const Descriptor &d, CompileOptions o = {}) {
    engine::CodegenOptions co;
    co.optLevel = o.optLevel;
    co.treeLayout = o.treeLayout;
    co.maxKernelOps = o.maxKernelOps;
    return engine::diskCacheKey(d, co);
  }
  std::string entryPath(const engine::DiskCacheKey &key) { return cacheDir + "/" + key.fileName(); }
  std::vector<std::string> filesInCache() {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(cacheDir, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string root, cacheDir;
};

TEST_F(DiskCacheTest, SecondCompileLoadsFromDiskWithIdenticalResults) {
  Descriptor d = churn();
  DiskCacheStats before = diskCacheStats();
  EXPECT_TRUE(before.enabled) << before.disabledReason;
  EXPECT_EQ(before.directory, cacheDir);

  Kernel cold = compileFresh(d);
  EXPECT_FALSE(fromDisk(cold));
  DiskCacheStats stored = diskCacheStats();
  EXPECT_EQ(stored.misses - before.misses, 1u);
  EXPECT_EQ(stored.stores - before.stores, 1u);
  EXPECT_EQ(stored.entries, 1u);
  EXPECT_TRUE(exists(entryPath(keyOf(d))));

  // The directory is private.
  struct stat st;
  ASSERT_EQ(::stat(cacheDir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(entryPath(keyOf(d)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);

  Kernel warm = compileFresh(d);
  EXPECT_TRUE(fromDisk(warm));
  EXPECT_NE(KernelAccess::state(warm), KernelAccess::state(cold));
  EXPECT_EQ(warm.compileUnits(), cold.compileUnits());
  DiskCacheStats loaded = diskCacheStats();
  EXPECT_EQ(loaded.hits - stored.hits, 1u);
  EXPECT_EQ(loaded.stores, stored.stores);

  std::string a = runBytes(cold), b = runBytes(warm);
  EXPECT_EQ(a, b);
  // And both agree with the interpreter (what the kernels compute).
  CompileOptions io;
  io.specialize = false;
  io.useCache = false;
  auto interp = compile(d, io);
  ASSERT_TRUE(static_cast<bool>(interp));
  EXPECT_EQ(runBytes(*interp), a);
}

TEST_F(DiskCacheTest, KeyCoversOptionsThatChangeCode) {
  Descriptor d = churn();
  CompileOptions o2;
  o2.optLevel = 2;
  compileFresh(d);
  Kernel other = compileFresh(d, o2);
  EXPECT_FALSE(fromDisk(other)); // another key: compiled and stored
  EXPECT_EQ(diskCacheStats().entries, 2u);
  EXPECT_NE(keyOf(d).fileName(), keyOf(d, o2).fileName());
  CompileOptions walk;
  walk.treeLayout = TreeLayout::Walk;
  EXPECT_NE(keyOf(d).fileName(), keyOf(d, walk).fileName());
  CompileOptions ops;
  ops.maxKernelOps = 10;
  EXPECT_NE(keyOf(d).fileName(), keyOf(d, ops).fileName());
  CompileOptions threads;
  threads.compileThreads = 7; // splits compute the same: not in the key
  EXPECT_EQ(keyOf(d).fileName(), keyOf(d, threads).fileName());
  // Every field this host fills in is present and non-empty.
  engine::DiskCacheKey key = keyOf(d);
  for (const char *field : {"descriptor", "kind", "specjit", "build", "llvm", "triple", "cpu",
                            "features", "vector-math", "opt", "tree-layout", "max-kernel-ops"})
    EXPECT_FALSE(key.get(field).empty()) << field;
}

TEST_F(DiskCacheTest, OptionsAndSwitchDecideUse) {
  Descriptor d = churn();
  CompileOptions off;
  off.diskCache = false;
  compileFresh(d, off);
  EXPECT_EQ(diskCacheStats().entries, 0u);
  // useCache = false (a cold compile) leaves the disk alone by default...
  CompileOptions cold;
  cold.useCache = false;
  compileFresh(d, cold);
  EXPECT_EQ(diskCacheStats().entries, 0u);
  // ...unless asked.
  cold.diskCache = true;
  compileFresh(d, cold);
  EXPECT_EQ(diskCacheStats().entries, 1u);

  // Switched off through the environment.
  ASSERT_EQ(::setenv("SPECJIT_CACHE", "0", 1), 0);
  ASSERT_EQ(::setenv("SPECJIT_CACHE_DIR", cacheDir.c_str(), 1), 0);
  configureDiskCache({});
  DiskCacheStats s = diskCacheStats();
  EXPECT_FALSE(s.enabled);
  EXPECT_NE(s.disabledReason.find("SPECJIT_CACHE=0"), std::string::npos);
  Kernel k = compileFresh(churn(413));
  EXPECT_FALSE(fromDisk(k));
  EXPECT_EQ(diskCacheStats().entries, 1u);
  ::unsetenv("SPECJIT_CACHE");
  configureDiskCache({});
  EXPECT_TRUE(diskCacheStats().enabled);
  EXPECT_EQ(diskCacheStats().directory, cacheDir);
  ::unsetenv("SPECJIT_CACHE_DIR");
}

TEST_F(DiskCacheTest, DumpsAndFailureInjectionBypassTheDisk) {
  Descriptor d = churn();
  compileFresh(d); // stored
  uint64_t hits = diskCacheStats().hits;
  CompileOptions dump;
  dump.dumpDir = root + "/dump";
  Kernel k = compileFresh(d, dump);
  EXPECT_FALSE(fromDisk(k));
  EXPECT_TRUE(exists(root + "/dump/08-obj.o"));
  specjit::jit::testing::setFailureInjection(Stage::Obj);
  clearCache();
  CompileOptions o;
  o.specialize = true;
  auto failed = compile(d, o);
  specjit::jit::testing::setFailureInjection(std::nullopt);
  ASSERT_TRUE(static_cast<bool>(failed));
  EXPECT_EQ(failed->backend(), Backend::Interpreter);
  EXPECT_EQ(diskCacheStats().hits, hits);
}

/// One damaged entry: written over the real one, it must be rejected for
/// `reason`, the compile must produce compiled code anyway, and the entry
/// must afterwards be one that loads.
struct Damage {
  std::string what;
  std::function<std::string(const std::string &good)> make;
  DiskCacheReject reason;
};

TEST_F(DiskCacheTest, DamagedAndForeignEntriesAreRejectedAndReplaced) {
  Descriptor d = churn();
  engine::DiskCacheKey key = keyOf(d);
  std::string path = entryPath(key);
  Kernel reference = compileFresh(d);
  std::string expected = runBytes(reference);
  const std::string good = readFile(path);
  ASSERT_GT(good.size(), 200u);
  size_t keyStart = 16, keyLen = key.text().size();
  size_t objectsStart = keyStart + keyLen + 4 + 8;
  ASSERT_LT(objectsStart + 100, good.size());

  // The objects of the good entry, for forging entries with other keys.
  auto objects = engine::decodeDiskCacheEntry(good, key);
  ASSERT_TRUE(static_cast<bool>(objects)) << llvm::toString(objects.takeError());

  auto truncate = [](size_t n) {
    return [n](const std::string &g) { return g.substr(0, std::min(n, g.size())); };
  };
  auto flip = [](size_t at) {
    return [at](const std::string &g) {
      std::string b = g;
      b[at] ^= 0x40;
      return b;
    };
  };
  auto forged = [&](const char *field, const char *value) {
    return [&, field, value](const std::string &) {
      engine::DiskCacheKey k = key;
      k.set(field, value);
      return engine::encodeDiskCacheEntry(k, *objects);
    };
  };
  std::vector<Damage> damages = {
      {"empty", truncate(0), DiskCacheReject::Truncated},
      {"inside the magic", truncate(5), DiskCacheReject::Truncated},
      {"inside the version", truncate(10), DiskCacheReject::Truncated},
      {"inside the key", truncate(keyStart + keyLen / 2), DiskCacheReject::Truncated},
      {"inside the sizes", truncate(keyStart + keyLen + 6), DiskCacheReject::Truncated},
      {"inside the object", truncate(objectsStart + 50), DiskCacheReject::Truncated},
      {"inside the checksum", truncate(good.size() - 5), DiskCacheReject::Truncated},
      {"without the checksum", truncate(good.size() - 16), DiskCacheReject::Truncated},
      {"trailing bytes", [](const std::string &g) { return g + "xx"; }, DiskCacheReject::Checksum},
      {"flipped byte in the object", flip(objectsStart + 64), DiskCacheReject::Checksum},
      {"flipped byte in the key", flip(keyStart + 3), DiskCacheReject::Checksum},
      {"flipped byte in the checksum", flip(good.size() - 3), DiskCacheReject::Checksum},
      {"wrong magic", flip(0), DiskCacheReject::Magic},
      {"old format version",
       [](const std::string &g) {
         std::string b = g;
         llvm::support::endian::write32le(&b[8], 0);
         return b;
       },
       DiskCacheReject::FormatVersion},
      {"other CPU", forged("cpu", "pentium4"), DiskCacheReject::ForeignKey},
      {"other features", forged("features", "+sse2"), DiskCacheReject::ForeignKey},
      {"other LLVM", forged("llvm", "18.1.8"), DiskCacheReject::ForeignKey},
      {"other specjit", forged("specjit", "0.0.1"), DiskCacheReject::ForeignKey},
      {"other build", forged("build", "0000000000000000"), DiskCacheReject::ForeignKey},
      {"other triple", forged("triple", "aarch64-unknown-linux-gnu"), DiskCacheReject::ForeignKey},
      {"other opt level", forged("opt", "0"), DiskCacheReject::ForeignKey},
      {"other tree layout", forged("tree-layout", "walk"), DiskCacheReject::ForeignKey},
      {"other kernel limit", forged("max-kernel-ops", "1"), DiskCacheReject::ForeignKey},
      {"other vector math", forged("vector-math", "svml"), DiskCacheReject::ForeignKey},
      {"other descriptor", forged("descriptor", "00000000000000000000000000000000"),
       DiskCacheReject::ForeignKey},
      {"objects that are not objects",
       [&](const std::string &) {
         engine::ObjectFiles junk;
         junk.push_back(llvm::MemoryBuffer::getMemBufferCopy(std::string(4096, 'x')));
         return engine::encodeDiskCacheEntry(key, junk);
       },
       DiskCacheReject::Unlinkable},
  };

  for (const Damage &damage : damages) {
    SCOPED_TRACE(damage.what);
    writeFile(path, damage.make(good));
    // Only the damaged entry would be rejected, not a good one.
    ASSERT_NE(readFile(path), good);
    DiskCacheStats before = diskCacheStats();
    Kernel k = compileFresh(d);
    EXPECT_FALSE(fromDisk(k));
    EXPECT_EQ(runBytes(k), expected);
    DiskCacheStats after = diskCacheStats();
    EXPECT_EQ(after.rejectedFor(damage.reason) - before.rejectedFor(damage.reason), 1u)
        << "rejected as something else";
    EXPECT_EQ(after.hits, before.hits);
    EXPECT_EQ(after.stores - before.stores, 1u);
    // Replaced: the entry loads again.
    EXPECT_EQ(readFile(path), good);
    Kernel again = compileFresh(d);
    EXPECT_TRUE(fromDisk(again));
    EXPECT_EQ(runBytes(again), expected);
  }
}

TEST_F(DiskCacheTest, EntriesNotOwnedOrWritableByOthersAreIgnored) {
  Descriptor d = churn();
  std::string path = entryPath(keyOf(d));
  compileFresh(d);
  const std::string good = readFile(path);

  struct Case {
    const char *what;
    std::function<void()> apply;
  };
  std::vector<Case> cases = {
      {"owned by another user", [&] { ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0); }},
      {"group-writable", [&] { ASSERT_EQ(::chmod(path.c_str(), 0620), 0); }},
      {"world-writable", [&] { ASSERT_EQ(::chmod(path.c_str(), 0606), 0); }},
      {"a symbolic link",
       [&] {
         std::string elsewhere = root + "/elsewhere.sjc";
         writeFile(elsewhere, good);
         ::unlink(path.c_str());
         ASSERT_EQ(::symlink(elsewhere.c_str(), path.c_str()), 0);
       }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    writeFile(path, good);
    c.apply();
    DiskCacheStats before = diskCacheStats();
    Kernel k = compileFresh(d);
    EXPECT_FALSE(fromDisk(k));
    DiskCacheStats after = diskCacheStats();
    EXPECT_EQ(after.rejectedFor(DiskCacheReject::NotOwned) -
                  before.rejectedFor(DiskCacheReject::NotOwned),
              1u);
    // Replaced by our own entry, which loads.
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_uid, ::geteuid());
    EXPECT_EQ(st.st_mode & 0077, 0u);
    EXPECT_TRUE(fromDisk(compileFresh(d)));
  }
}

TEST_F(DiskCacheTest, UnsafeDirectoriesAreRefused) {
  Descriptor d = churn();
  struct Case {
    const char *what;
    std::function<void(const std::string &)> apply;
    const char *reason;
  };
  std::vector<Case> cases = {
      {"group-writable", [](const std::string &dir) { ::chmod(dir.c_str(), 0770); },
       "writable by group"},
      {"world-writable", [](const std::string &dir) { ::chmod(dir.c_str(), 0707); },
       "writable by group or others"},
      {"owned by another user",
       [](const std::string &dir) { ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0); },
       "owned by uid 65534"},
      {"a file",
       [](const std::string &dir) {
         ::rmdir(dir.c_str());
         writeFile(dir, "not a directory");
       },
       "not a directory"},
  };
  int n = 0;
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    std::string dir = root + "/unsafe" + std::to_string(n++);
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    c.apply(dir);
    DiskCacheSettings s;
    s.enabled = true;
    s.directory = dir;
    configureDiskCache(s);
    DiskCacheStats stats = diskCacheStats();
    EXPECT_FALSE(stats.enabled);
    EXPECT_NE(stats.disabledReason.find(c.reason), std::string::npos) << stats.disabledReason;
    // Compiling still works; nothing is read or written there.
    Kernel k = compileFresh(d);
    EXPECT_FALSE(fromDisk(k));
    EXPECT_EQ(diskCacheStats().stores, stats.stores);
    auto listed = listDiskCache();
    EXPECT_FALSE(static_cast<bool>(listed));
    llvm::consumeError(listed.takeError());
  }
}

TEST_F(DiskCacheTest, EvictsLeastRecentlyUsedBeyondTheBound) {
  std::vector<Descriptor> ds;
  for (int mean : {401, 402, 403, 404})
    ds.push_back(churn(mean));
  auto path = [&](int i) { return entryPath(keyOf(ds[i])); };
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); };

  compileFresh(ds[0]);
  uint64_t size = readFile(path(0)).size();
  // Room for three entries and a half.
  configure(size * 3 + size / 2);
  pause();
  compileFresh(ds[1]);
  pause();
  compileFresh(ds[2]);
  ASSERT_EQ(readFile(path(1)).size(), size);
  ASSERT_EQ(readFile(path(2)).size(), size);
  pause();
  // A use of the oldest moves it to the back.
  EXPECT_TRUE(fromDisk(compileFresh(ds[0])));
  pause();
  uint64_t evictions = diskCacheStats().evictions;
  compileFresh(ds[3]);
  EXPECT_EQ(diskCacheStats().evictions - evictions, 1u);
  EXPECT_TRUE(exists(path(0)));
  EXPECT_FALSE(exists(path(1))); // least recently used
  EXPECT_TRUE(exists(path(2)));
  EXPECT_TRUE(exists(path(3)));
  DiskCacheStats s = diskCacheStats();
  EXPECT_EQ(s.entries, 3u);
  EXPECT_LE(s.bytes, s.maxBytes);

  // The order listDiskCache reports is the eviction order.
  auto listed = listDiskCache();
  ASSERT_TRUE(static_cast<bool>(listed));
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].kernelHash, ds[2].hash().hex());
  EXPECT_EQ((*listed)[1].kernelHash, ds[0].hash().hex());
  EXPECT_EQ((*listed)[2].kernelHash, ds[3].hash().hex());
  for (const DiskCacheEntry &e : *listed) {
    EXPECT_EQ(e.kind, "pipeline");
    EXPECT_EQ(e.bytes, size);
    EXPECT_TRUE(e.problem.empty()) << e.problem;
  }

  // A bound smaller than one entry: nothing is stored.
  configure(size / 2);
  uint64_t failures = diskCacheStats().storeFailures;
  compileFresh(churn(405));
  EXPECT_EQ(diskCacheStats().storeFailures - failures, 1u);
  EXPECT_FALSE(exists(entryPath(keyOf(churn(405)))));
}

TEST_F(DiskCacheTest, ListAndClear) {
  Descriptor d = churn();
  compileFresh(d);
  // A foreign entry, as another host would leave it.
  engine::DiskCacheKey other = keyOf(churn(499));
  other.set("cpu", "pentium4");
  auto objects = engine::decodeDiskCacheEntry(readFile(entryPath(keyOf(d))), keyOf(d));
  ASSERT_TRUE(static_cast<bool>(objects));
  writeFile(entryPath(other), engine::encodeDiskCacheEntry(other, *objects));
  writeFile(cacheDir + "/junk.sjc", "junk");
  writeFile(cacheDir + "/README", "not ours");

  auto listed = listDiskCache();
  ASSERT_TRUE(static_cast<bool>(listed)) << llvm::toString(listed.takeError());
  ASSERT_EQ(listed->size(), 3u);
  int good = 0, foreign = 0, junk = 0;
  for (const DiskCacheEntry &e : *listed) {
    if (e.file == "junk.sjc") {
      ++junk;
      EXPECT_NE(e.problem.find("truncated"), std::string::npos) << e.problem;
    } else if (e.kernelHash == d.hash().hex()) {
      ++good;
      EXPECT_TRUE(e.problem.empty()) << e.problem;
      EXPECT_NE(e.keySummary.find("opt=3"), std::string::npos);
    } else {
      ++foreign;
      EXPECT_NE(e.problem.find("cpu 'pentium4'"), std::string::npos) << e.problem;
    }
  }
  EXPECT_EQ(good + foreign + junk, 3);
  EXPECT_EQ(good, 1);

  auto removed = clearDiskCache();
  ASSERT_TRUE(static_cast<bool>(removed));
  EXPECT_EQ(*removed, 3u);
  EXPECT_EQ(filesInCache(), std::vector<std::string>{"README"});
}

/// Compiles the churn variants `first`..`first+count-1` into the cache the
/// environment names. Run as a child process by ConcurrentWriters.
void compileVariants(int first, int count) {
  CompileOptions o;
  o.specialize = true;
  o.useCache = false; // every call goes to the disk
  o.diskCache = true;
  for (int i = 0; i < count; ++i) {
    auto k = compile(churn(first + i), o);
    ASSERT_TRUE(static_cast<bool>(k));
    ASSERT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
  }
}

TEST(DiskCacheChild, CompileVariants) {
  const char *spec = std::getenv("SPECJIT_DISKCACHE_TEST_CHILD");
  if (!spec)
    GTEST_SKIP() << "run by DiskCacheTest.ConcurrentWriters";
  int first = 0, count = 0;
  ASSERT_EQ(std::sscanf(spec, "%d:%d", &first, &count), 2);
  compileVariants(first, count);
}

TEST_F(DiskCacheTest, ConcurrentWritersLeaveOnlyWholeEntries) {
  // Processes: the test binary itself, running only DiskCacheChild with the
  // cache directory and its share of descriptors in the environment.
  constexpr int kProcesses = 4, kVariants = 6;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    std::string self = "/proc/self/exe";
    std::string filter = "--gtest_filter=DiskCacheChild.*";
    std::vector<std::string> env;
    for (char **e = environ; *e; ++e)
      if (!llvm::StringRef(*e).starts_with("SPECJIT_CACHE"))
        env.push_back(*e);
    env.push_back("SPECJIT_CACHE_DIR=" + cacheDir);
    // Processes overlap: each compiles half of the variants, from its own start.
    env.push_back("SPECJIT_DISKCACHE_TEST_CHILD=" + std::to_string(300 + p % 2 * 3) + ":" +
                  std::to_string(kVariants / 2 + 1));
    std::vector<char *> argv = {self.data(), filter.data(), nullptr};
    std::vector<char *> envp;
    for (std::string &e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    // The children's gtest chatter is not this test's output.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0);
    children.push_back(pid);
  }
  // Meanwhile 16 threads here: every variant, several threads each.
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([t] { compileVariants(300 + t % kVariants, 1); });
  for (std::thread &t : threads)
    t.join();
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed";
  }

  // Exactly one whole entry per variant, no temporary file left over.
  std::vector<std::string> files = filesInCache();
  EXPECT_EQ(files.size(), static_cast<size_t>(kVariants + 1)); // variants 300..306
  for (const std::string &f : files)
    EXPECT_TRUE(llvm::StringRef(f).ends_with(".sjc")) << f;
  auto listed = listDiskCache();
  ASSERT_TRUE(static_cast<bool>(listed));
  for (const DiskCacheEntry &e : *listed)
    EXPECT_TRUE(e.problem.empty()) << e.file << ": " << e.problem;
  // Every entry loads, verifies and computes what the interpreter does.
  for (int i = 300; i <= 300 + kVariants; ++i) {
    Descriptor d = churn(i);
    SCOPED_TRACE(i);
    auto objects = engine::decodeDiskCacheEntry(readFile(entryPath(keyOf(d))), keyOf(d));
    EXPECT_TRUE(static_cast<bool>(objects));
    if (!objects)
      llvm::consumeError(objects.takeError());
    Kernel k = compileFresh(d);
    EXPECT_TRUE(fromDisk(k));
    CompileOptions io;
    io.specialize = false;
    io.useCache = false;
    auto interp = compile(d, io);
    ASSERT_TRUE(static_cast<bool>(interp));
    EXPECT_EQ(runBytes(k), runBytes(*interp));
  }
}

} // namespace
