//===- ParseIR.h - LLVM IR text for engine tests -------------*- C++ -*-===//
//
// Tests of the LLVM-level passes (compile units, linkage, loop flags) start
// from hand-written IR.
//
//===----------------------------------------------------------------------===//
#ifndef SPECJIT_UNITTESTS_PARSEIR_H
#define SPECJIT_UNITTESTS_PARSEIR_H

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"

#include "gtest/gtest.h"

#include <memory>

namespace specjit_test {

/// `text` parsed into `ctx`; null (and a failed test) when it does not parse.
inline std::unique_ptr<llvm::Module> parseIR(llvm::LLVMContext &ctx, const char *text) {
  llvm::SMDiagnostic diag;
  auto m = llvm::parseAssemblyString(text, diag, ctx);
  if (!m)
    ADD_FAILURE() << diag.getMessage().str();
  return m;
}

} // namespace specjit_test

#endif
