//===- InterpreterTestSupport.h - Descriptors to interpreters in tests ----===//
#ifndef SPECJIT_UNITTESTS_INTERPRETERTESTSUPPORT_H
#define SPECJIT_UNITTESTS_INTERPRETERTESTSUPPORT_H

#include "Interpreter/Interpreter.h"
#include "specjit/Descriptor.h"

#include "gtest/gtest.h"

#include <memory>
#include <optional>
#include <string>

namespace specjit_test {

/// A parsed descriptor and its interpreter.
struct Compiled {
  std::unique_ptr<specjit::jit::Descriptor> desc;
  std::unique_ptr<specjit::interp::Interpreter> interp;
  size_t cols = 0;
  explicit operator bool() const { return interp != nullptr; }
};

/// Parses `json` (which must be of `kind` when given) and creates its
/// interpreter; failures are reported as test failures and leave it empty.
inline Compiled compile(const std::string &json,
                        std::optional<specjit::jit::Kind> kind = std::nullopt) {
  using specjit::jit::Descriptor;
  Compiled c;
  auto d = Descriptor::parse(json);
  if (!d) {
    ADD_FAILURE() << "parse failed: " << llvm::toString(d.takeError()) << "\n" << json;
    return c;
  }
  c.desc = std::make_unique<Descriptor>(std::move(*d));
  if (kind && c.desc->kind() != *kind) {
    ADD_FAILURE() << "parsed as a " << specjit::jit::kindName(c.desc->kind()).str()
                  << " descriptor, not a " << specjit::jit::kindName(*kind).str();
    return c;
  }
  c.cols = c.desc->numOutputs();
  auto ip = specjit::interp::Interpreter::create(*c.desc);
  if (!ip) {
    ADD_FAILURE() << "create failed: " << llvm::toString(ip.takeError());
    return c;
  }
  c.interp = std::move(*ip);
  return c;
}

} // namespace specjit_test

#endif
