//===- XGBoostFuzzer.cpp - libFuzzer harness for importXGBoostJSON --------===//
//
// Any bytes as an XGBoost JSON model: importXGBoostJSON returns descriptor
// text or an error, never a crash; the text it returns must be a valid
// descriptor (Descriptor::parse). Built by scripts/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "specjit/Descriptor.h"
#include "specjit/Import.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<std::string> desc = specjit::jit::importXGBoostJSON(text);
  if (!desc) {
    llvm::consumeError(desc.takeError());
    return 0;
  }
  llvm::Expected<specjit::jit::Descriptor> d = specjit::jit::Descriptor::parse(*desc);
  if (!d) {
    std::fprintf(stderr, "the importer wrote an invalid descriptor: %s\n",
                 llvm::toString(d.takeError()).c_str());
    std::abort();
  }
  return 0;
}
