//===- specjit-opt.cpp - The opt driver for the spec dialect --------------===//
//
// Runs specjit's passes (spec-expand, convert-spec-to-loops and the
// specjit-* pipelines) and the generic canonicalize/cse on .mlir files, for
// lit tests of each lowering.
//
//===----------------------------------------------------------------------===//

#include "specjit/Conversion/Passes.h"
#include "specjit/Dialect/Spec/IR/SpecDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  specjit::registerSpecjitPasses();
  mlir::DialectRegistry registry;
  registry.insert<specjit::spec::SpecDialect, mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::func::FuncDialect, mlir::scf::SCFDialect, mlir::cf::ControlFlowDialect,
                  mlir::LLVM::LLVMDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "specjit optimizer driver\n", registry));
}
