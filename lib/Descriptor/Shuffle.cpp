//===- Shuffle.cpp - Seeds and the `shuffle` value, for train and eval ----===//
//
// The train family's `shuffle` and `model.init_seed` and the eval family's
// `cross_validation.shuffle` take the same values; one reader and one
// canonical writer serve both (DescriptorInternal.h).
//
//===----------------------------------------------------------------------===//

#include "DescriptorInternal.h"

#include <string>

namespace json = llvm::json;
using llvm::Error;
using llvm::StringRef;

namespace specjit {
namespace jit {
namespace detail {

namespace {
constexpr const char *kSeedWhat = "an integer in 0..2^64-1";
} // namespace

Error readSeed(const json::Value &v, StringRef path, uint64_t &out) {
  if (std::optional<uint64_t> u = v.getAsUINT64()) {
    out = *u;
    return Error::success();
  }
  return expected(path, kSeedWhat, v);
}

Error readShuffle(const json::Value &v, StringRef path, std::optional<uint64_t> &seed) {
  if (std::optional<bool> b = v.getAsBoolean()) {
    seed = *b ? std::optional<uint64_t>(0) : std::nullopt;
    return Error::success();
  }
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path, "false, true (seed 0) or {\"seed\": S}", v);
  if (Error e = checkKeys(*o, path, {"seed"}, "shuffle"))
    return e;
  const json::Value *s;
  if (Error e = requireKey(*o, path, "seed", kSeedWhat, s))
    return e;
  uint64_t value;
  if (Error e = readSeed(*s, keyPath(path, "seed"), value))
    return e;
  seed = value;
  return Error::success();
}

void writeShuffle(json::OStream &j, const std::optional<uint64_t> &seed) {
  if (!seed) {
    j.attribute("shuffle", false);
    return;
  }
  j.attributeObject("shuffle", [&] {
    j.attributeBegin("seed");
    j.rawValue(std::to_string(*seed));
    j.attributeEnd();
  });
}

} // namespace detail
} // namespace jit
} // namespace specjit
