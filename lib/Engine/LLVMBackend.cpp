//===- LLVMBackend.cpp - LLVM IR optimization and code emission -----------===//
#include "Engine/LLVMBackend.h"
#include "Engine/Codegen.h"

#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassTimingInfo.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>
#include <optional>

using namespace llvm;

namespace specjit {
namespace engine {

namespace {
bool &vectorMathFlag() {
  static bool flag = false;
  return flag;
}
} // namespace

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    InitializeNativeTargetAsmParser();
    // glibc's vector math library: the loop vectorizer maps log/exp/pow to
    // it, and the JIT resolves its symbols from the process.
    std::string err;
    vectorMathFlag() = Triple(sys::getProcessTriple()).isX86() &&
                       !sys::DynamicLibrary::LoadLibraryPermanently("libmvec.so.1", &err);
  });
}

bool vectorMathAvailable() {
  initializeNativeTarget();
  return vectorMathFlag();
}

static CodeGenOptLevel codegenLevel(int optLevel) {
  switch (optLevel) {
  case 0:
    return CodeGenOptLevel::None;
  case 1:
    return CodeGenOptLevel::Less;
  case 2:
    return CodeGenOptLevel::Default;
  default:
    return CodeGenOptLevel::Aggressive;
  }
}

Expected<std::unique_ptr<TargetMachine>> createHostTargetMachine(int optLevel) {
  initializeNativeTarget();
  auto jtmb = orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  jtmb->setCodeGenOptLevel(codegenLevel(optLevel));
  return jtmb->createTargetMachine();
}

bool hasAVX512(TargetMachine &tm) { return tm.getTargetFeatureString().contains("+avx512f"); }

void prepareModuleForHost(Module &m, TargetMachine &tm) {
  m.setTargetTriple(tm.getTargetTriple().str());
  m.setDataLayout(tm.createDataLayout());
  for (Function &f : m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", tm.getTargetCPU());
    f.addFnAttr("target-features", tm.getTargetFeatureString());
    // Kernels are long row loops: full-width vectors pay for themselves,
    // unless the lowering chose a width for the function.
    if (hasAVX512(tm) && !f.hasFnAttribute("prefer-vector-width"))
      f.addFnAttr("prefer-vector-width", "512");
  }
}

void optimizeModule(Module &m, TargetMachine &tm, int optLevel, raw_ostream *timing) {
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PipelineTuningOptions pto;
  pto.LoopVectorization = optLevel >= 2;
  pto.SLPVectorization = optLevel >= 2;
  PassInstrumentationCallbacks pic;
  std::optional<TimePassesHandler> timePasses;
  if (timing) {
    timePasses.emplace(/*Enabled=*/true);
    timePasses->setOutStream(*timing);
    timePasses->registerCallbacks(pic);
  }
  PassBuilder pb(&tm, pto, std::nullopt, timing ? &pic : nullptr);

  // Registered before the defaults so that this TLI (with the vector
  // library) is the one every pass sees.
  TargetLibraryInfoImpl tlii(tm.getTargetTriple());
  if (vectorMathAvailable()) {
    tlii.addVectorizableFunctionsFromVecLib(TargetLibraryInfoImpl::LIBMVEC_X86,
                                            tm.getTargetTriple());
    // LLVM's libmvec table stops at AVX2; glibc also has the AVX-512
    // variants, which double the throughput of log/exp/pow on such hosts.
    if (hasAVX512(tm)) {
      ElementCount eight = ElementCount::getFixed(8);
      const VecDesc wide[] = {
          {"llvm.log.f64", "_ZGVeN8v_log", eight, false, "_ZGV_LLVM_N8v"},
          {"log", "_ZGVeN8v_log", eight, false, "_ZGV_LLVM_N8v"},
          {"llvm.exp.f64", "_ZGVeN8v_exp", eight, false, "_ZGV_LLVM_N8v"},
          {"exp", "_ZGVeN8v_exp", eight, false, "_ZGV_LLVM_N8v"},
          {"llvm.pow.f64", "_ZGVeN8vv_pow", eight, false, "_ZGV_LLVM_N8vv"},
          {"pow", "_ZGVeN8vv_pow", eight, false, "_ZGV_LLVM_N8vv"},
      };
      tlii.addVectorizableFunctions(wide);
    }
  }
  fam.registerPass([&] { return TargetLibraryAnalysis(tlii); });

  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);

  OptimizationLevel level = optLevel <= 0   ? OptimizationLevel::O0
                            : optLevel == 1 ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2
                                            : OptimizationLevel::O3;
  ModulePassManager mpm = level == OptimizationLevel::O0 ? pb.buildO0DefaultPipeline(level)
                                                         : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(m, mam);
  if (timePasses)
    timePasses->print();
}

Expected<std::string> emitMachineCode(Module &m, TargetMachine &tm, bool assembly,
                                      raw_ostream *timing) {
  SmallString<0> buffer;
  raw_svector_ostream os(buffer);
  legacy::PassManager pm;
  if (tm.addPassesToEmitFile(
          pm, os, nullptr, assembly ? CodeGenFileType::AssemblyFile : CodeGenFileType::ObjectFile))
    return createStringError(inconvertibleErrorCode(), "the target cannot emit this file type");
  bool wasTiming = TimePassesIsEnabled;
  if (timing)
    TimePassesIsEnabled = true;
  pm.run(m);
  if (timing) {
    TimePassesIsEnabled = wasTiming;
    reportAndResetTimings(timing);
  }
  return std::string(buffer.str());
}

} // namespace engine
} // namespace specjit
