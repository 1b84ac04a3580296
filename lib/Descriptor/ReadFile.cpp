//===- ReadFile.cpp - Bounded reading of input files ----------------------===//
//
// readBoundedFile() and the limits of specjit/ReadFile.h. The file is read
// with plain read(2) calls into a growing string, so the only memory it ever
// holds is what it has read, and it stops one chunk past the limit whatever
// the file is (st_size means nothing for pipes and devices).
//
//===----------------------------------------------------------------------===//

#include "specjit/ReadFile.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <cstdlib>

namespace specjit {
namespace jit {

const ReadLimit kDescriptorReadLimit = {"SPECJIT_MAX_DESCRIPTOR_MB", 64, "descriptor"};
const ReadLimit kCsvReadLimit = {"SPECJIT_MAX_CSV_MB", 1024, "CSV file"};
const ReadLimit kModelReadLimit = {"SPECJIT_MAX_MODEL_MB", 1024, "model file"};

namespace {

/// 1 TiB: beyond this the value is a typo, not a limit.
constexpr uint64_t kMaxLimitMiB = 1u << 20;
constexpr size_t kChunk = 1u << 20;

llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Error tooLarge(llvm::StringRef path, const ReadLimit &limit, size_t bytes) {
  return makeError(path + ": the " + limit.what + " is larger than the limit of " +
                   llvm::Twine(bytes >> 20) + " MiB (" + llvm::Twine(bytes) + " bytes; set " +
                   limit.envVar + " to change it)");
}

} // namespace

llvm::Expected<size_t> limitBytes(const ReadLimit &limit) {
  const char *value = std::getenv(limit.envVar);
  if (!value || !*value)
    return limit.defaultMiB << 20;
  uint64_t mib = 0;
  if (llvm::StringRef(value).getAsInteger(10, mib) || mib == 0 || mib > kMaxLimitMiB)
    return makeError(llvm::Twine(limit.envVar) + ": expected a whole number of MiB from 1 to " +
                     llvm::Twine(kMaxLimitMiB) + ", got '" + value + "'");
  return static_cast<size_t>(mib) << 20;
}

llvm::Expected<std::string> readBoundedFile(llvm::StringRef path, const ReadLimit &limit) {
  llvm::Expected<size_t> max = limitBytes(limit);
  if (!max)
    return max.takeError();
  // A regular file says its size: fail before reading any of it.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) &&
      status.type() == llvm::sys::fs::file_type::regular_file && status.getSize() > *max)
    return tooLarge(path, limit, *max);

  llvm::Expected<llvm::sys::fs::file_t> fd = llvm::sys::fs::openNativeFileForRead(path);
  if (!fd)
    return makeError("cannot read '" + path + "': " + llvm::toString(fd.takeError()));
  std::string text;
  if (status.type() == llvm::sys::fs::file_type::regular_file)
    text.reserve(status.getSize());
  std::string failure;
  while (true) {
    if (text.size() > *max) {
      failure = llvm::toString(tooLarge(path, limit, *max));
      break;
    }
    size_t at = text.size();
    // Never more than one chunk past the limit.
    text.resize(at + std::min(kChunk, *max + 1 - at));
    llvm::Expected<size_t> got = llvm::sys::fs::readNativeFile(
        *fd, llvm::MutableArrayRef<char>(&text[at], text.size() - at));
    if (!got) {
      failure = ("cannot read '" + path + "': " + llvm::toString(got.takeError())).str();
      break;
    }
    text.resize(at + *got);
    if (*got == 0)
      break;
  }
  llvm::sys::fs::closeFile(*fd);
  if (!failure.empty())
    return makeError(failure);
  return text;
}

} // namespace jit
} // namespace specjit
