//===- DescriptorFuzzer.cpp - libFuzzer harness for Descriptor::parse -----===//
//
// Any bytes: Descriptor::parse must return a descriptor or an error, never
// crash, hang or abort. A descriptor it accepts must round-trip: its
// canonical text parses to a descriptor with the same hash and canonical
// text. Built by scripts/fuzz.sh (docs/reliability.md, "Fuzzing").
//
//===----------------------------------------------------------------------===//

#include "specjit/Descriptor.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<specjit::jit::Descriptor> d = specjit::jit::Descriptor::parse(text);
  if (!d) {
    llvm::consumeError(d.takeError());
    return 0;
  }
  llvm::Expected<specjit::jit::Descriptor> again = specjit::jit::Descriptor::parse(d->canonical());
  if (!again) {
    std::fprintf(stderr, "canonical text does not parse: %s\n",
                 llvm::toString(again.takeError()).c_str());
    std::abort();
  }
  if (again->canonical() != d->canonical() || again->hash().hex() != d->hash().hex()) {
    std::fprintf(stderr, "canonical text is not a fixed point\n");
    std::abort();
  }
  return 0;
}
