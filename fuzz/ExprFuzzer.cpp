//===- ExprFuzzer.cpp - libFuzzer harness for jit::parseExpr --------------===//
//
// Any bytes: parseExpr must return an expression or an error. An
// expression it accepts must print (detail::printExpr) to text that parses
// back to the same printed form. Built by scripts/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "specjit/Descriptor.h"

#include "Descriptor/DescriptorInternal.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<specjit::jit::ExprPtr> e = specjit::jit::parseExpr(text);
  if (!e) {
    llvm::consumeError(e.takeError());
    return 0;
  }
  std::string printed = specjit::jit::detail::printExpr(**e);
  llvm::Expected<specjit::jit::ExprPtr> again = specjit::jit::parseExpr(printed);
  if (!again) {
    std::fprintf(stderr, "printed expression does not parse: '%s': %s\n", printed.c_str(),
                 llvm::toString(again.takeError()).c_str());
    std::abort();
  }
  if (specjit::jit::detail::printExpr(**again) != printed) {
    std::fprintf(stderr, "printExpr is not a fixed point: '%s'\n", printed.c_str());
    std::abort();
  }
  return 0;
}
