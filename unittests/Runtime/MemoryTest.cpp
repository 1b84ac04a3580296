//===- MemoryTest.cpp - Resident memory stays flat under a cache bound ----===//
//
// Compiles 10,000 distinct descriptors (SPECJIT_MEMORY_TEST_KERNELS to
// change) with the in-memory cache bounded to 100 kernels, and reports the
// resident set size every 1,000. Evicted kernels release their JIT code
// (their JITDylib is removed), so after a warm-up the RSS must stay flat.
//
//===----------------------------------------------------------------------===//

#include "specjit/specjit.h"

#include "Engine/JIT.h"

#include "gtest/gtest.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace specjit::jit;

namespace {

/// VmRSS of this process in MiB (Linux).
double residentMiB() {
  auto status = llvm::MemoryBuffer::getFileAsStream("/proc/self/status");
  if (!status)
    return 0;
  llvm::StringRef text = (*status)->getBuffer();
  size_t at = text.find("VmRSS:");
  if (at == llvm::StringRef::npos)
    return 0;
  llvm::StringRef value = text.substr(at + 6).ltrim();
  unsigned long long kib = 0;
  value.consumeInteger(10, kib);
  return kib / 1024.0;
}

TEST(RuntimeMemory, TenThousandKernelsUnderABoundOfOneHundredKeepResidentMemoryFlat) {
  int total = 10000;
  if (const char *env = std::getenv("SPECJIT_MEMORY_TEST_KERNELS"))
    total = std::max(2000, std::atoi(env));
  CacheLimits before = cacheLimits();
  setCacheLimits({100, 0});
  CompileOptions o;
  o.specialize = true;
  o.optLevel = 0; // the point is memory, not code quality: compile fast
  std::vector<double> rss;
  CompileOptions interp;
  interp.specialize = false;
  interp.useCache = false;
  double x = 1.5, out[5] = {}, want[5] = {};
  for (int i = 1; i <= total; ++i) {
    auto d = Descriptor::parse(llvm::formatv(R"({{"specjit": 1, "kind": "pipeline",
      "inputs": [{{"name": "x", "type": "f64"}], "output": {{"type": "f64"},
      "steps": [{{"op": "standardize", "column": "x", "mean": {0}, "std": 3},
                {{"op": "polynomial", "columns": ["x"], "degree": 4}]})",
                                             i)
                                   .str());
    ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
    auto k = compile(*d, o);
    ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
    ASSERT_EQ(k->backend(), Backend::Jit) << k->fallbackReason();
    ASSERT_FALSE(k->run({Column::f64(&x, 1)}, Output::f64(out, 1, k->numOutputs())));
    auto ref = compile(*d, interp);
    ASSERT_TRUE(static_cast<bool>(ref));
    ASSERT_FALSE(ref->run({Column::f64(&x, 1)}, Output::f64(want, 1, k->numOutputs())));
    ASSERT_EQ(std::memcmp(out, want, sizeof out), 0) << i;
    if (i % 1000 == 0) {
      rss.push_back(residentMiB());
      std::printf("kernels %5d: RSS %7.1f MiB, cached %zu, loaded %zu\n", i, rss.back(),
                  cacheStats().entries, specjit::engine::loadedKernelCount());
      RecordProperty(llvm::formatv("rss_mib_at_{0}", i).str(), std::to_string(rss.back()));
    }
  }
  setCacheLimits(before);
  EXPECT_LE(cacheStats().entries, 100u);
  EXPECT_LE(specjit::engine::loadedKernelCount(), 100u);
  // Flat after the warm-up: without the bound and the release, 10,000
  // kernels added ~270 MB; allow allocator noise.
  ASSERT_GE(rss.size(), 2u);
  EXPECT_LT(rss.back() - rss[1], 24.0)
      << "RSS grew from " << rss[1] << " MiB to " << rss.back() << " MiB";
}

} // namespace
