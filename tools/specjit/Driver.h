//===- Driver.h - What the driver's commands share -------------*- C++ -*-===//
//
// Option parsing and error reporting for the subcommands of `specjit`, which
// live in one file each where they are large (TrainCommand.cpp,
// EvalCommand.cpp, CheckCommand.cpp, ...) and in specjit.cpp otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_TOOLS_DRIVER_H
#define SPECJIT_TOOLS_DRIVER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace specjit {
namespace tools {

inline int fail(const llvm::Twine &msg) {
  llvm::errs() << "specjit: error: " << msg << "\n";
  return 1;
}
inline int fail(llvm::Error err) { return fail(llvm::toString(std::move(err))); }

/// Minimal option parsing: positionals plus --key=value / --key value / --flag.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::string error;

  Args(int argc, char **argv, std::initializer_list<const char *> flags,
       std::initializer_list<const char *> valued) {
    for (int i = 0; i < argc; ++i) {
      llvm::StringRef a(argv[i]);
      if (!a.starts_with("-") || a == "-") {
        positional.push_back(a.str());
        continue;
      }
      llvm::StringRef key = a.ltrim('-'), value;
      bool hasValue = false;
      if (size_t eq = key.find('='); eq != llvm::StringRef::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
        hasValue = true;
      }
      bool isFlag = std::find(flags.begin(), flags.end(), key) != flags.end();
      bool isValued = std::find(valued.begin(), valued.end(), key) != valued.end();
      if (!isFlag && !isValued) {
        error = "unknown option '" + a.str() + "'";
        return;
      }
      if (isValued && !hasValue) {
        if (i + 1 >= argc) {
          error = "option '" + a.str() + "' needs a value";
          return;
        }
        value = argv[++i];
      }
      options[key.str()] = value.str();
    }
  }
  bool has(const std::string &k) const { return options.count(k) != 0; }
  std::string get(const std::string &k, const std::string &def = "") const {
    auto it = options.find(k);
    return it == options.end() ? def : it->second;
  }
};

/// A value for the driver's tables and progress lines: six significant
/// digits (%.6g), `nanText` for NaN.
inline std::string shortNumber(double v, const char *nanText) {
  if (v != v)
    return nanText;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

inline bool parseCount(const std::string &s, int64_t &out) {
  return !llvm::StringRef(s).getAsInteger(10, out) && out >= 0;
}

/// `specjit train` (TrainCommand.cpp) and `specjit eval` (EvalCommand.cpp):
/// argc/argv after the command name.
int cmdTrain(int argc, char **argv);
int cmdEval(int argc, char **argv);
/// `specjit cache` (CacheCommand.cpp).
int cmdCache(int argc, char **argv);
/// `specjit export` (ExportCommand.cpp).
int cmdExport(int argc, char **argv);
/// `specjit check` (CheckCommand.cpp).
int cmdCheck(int argc, char **argv);

} // namespace tools
} // namespace specjit

#endif // SPECJIT_TOOLS_DRIVER_H
