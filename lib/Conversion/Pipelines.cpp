//===- Pipelines.cpp - The spec -> LLVM dialect pass pipelines ------------===//
#include "specjit/Conversion/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace specjit {
namespace {
#define GEN_PASS_REGISTRATION
#include "specjit/Conversion/Passes.h.inc"
} // namespace

void buildSpecToLoopsPipeline(mlir::OpPassManager &pm, jit::TreeLayout treeLayout) {
  pm.addPass(createSpecSelectTreeLayout({treeLayout}));
  pm.addPass(createSpecExpand());
  pm.addPass(createConvertSpecToLoops());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm) {
  pm.addPass(mlir::createConvertSCFToCFPass());
  pm.addPass(mlir::createConvertMathToLLVMPass());
  // What has no LLVM intrinsic (tanh) becomes a libm call; exp and log stay
  // intrinsics above, so the vectorizer can still map them to libmvec.
  pm.addPass(mlir::createConvertMathToLibmPass());
  pm.addPass(mlir::createArithToLLVMConversionPass());
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  pm.addPass(mlir::createConvertControlFlowToLLVMPass());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
}

void registerSpecjitPasses() {
  registerSpecjitConversionPasses();
  mlir::PassPipelineRegistration<>("specjit-spec-to-loops",
                                   "spec -> scf/arith/math (the lowered stage)",
                                   [](mlir::OpPassManager &pm) { buildSpecToLoopsPipeline(pm); });
  mlir::PassPipelineRegistration<>("specjit-loops-to-llvm", "scf/arith/math/func -> llvm dialect",
                                   buildLoopsToLLVMPipeline);
  mlir::PassPipelineRegistration<>("specjit-lower-to-llvm", "spec -> llvm dialect (both pipelines)",
                                   [](mlir::OpPassManager &pm) {
                                     buildSpecToLoopsPipeline(pm);
                                     buildLoopsToLLVMPipeline(pm);
                                   });
}

} // namespace specjit
