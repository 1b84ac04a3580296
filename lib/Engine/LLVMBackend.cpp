//===- LLVMBackend.cpp - LLVM IR optimization and code emission -----------===//
#include "Engine/LLVMBackend.h"
#include "Engine/Codegen.h"
#include "Runtime/KernelABI.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassTimingInfo.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <array>
#include <cstdlib>
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

/// The value of environment variable `name`, empty when unset.
static StringRef envValue(const char *name) {
  const char *v = std::getenv(name);
  return v ? StringRef(v).trim() : StringRef();
}

Expected<orc::JITTargetMachineBuilder> hostTargetBuilder() {
  initializeNativeTarget();
  auto jtmb = orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  if (StringRef cpu = envValue("SPECJIT_TARGET_CPU"); !cpu.empty()) {
    // Checked here: LLVM itself only warns on stderr and compiles for a
    // generic CPU.
    std::string triple = jtmb->getTargetTriple().str(), error;
    const Target *target = TargetRegistry::lookupTarget(triple, error);
    if (!target)
      return createStringError(inconvertibleErrorCode(), error);
    std::unique_ptr<MCSubtargetInfo> info(target->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(cpu))
      return createStringError(inconvertibleErrorCode(),
                               "SPECJIT_TARGET_CPU: '" + cpu + "' is not a CPU of " + triple);
    jtmb->setCPU(cpu.str());
    // Without a feature list the CPU's own features apply.
    jtmb->getFeatures() = SubtargetFeatures(envValue("SPECJIT_TARGET_FEATURES"));
  }
  // Kernels are small and self-contained: the small code model addresses
  // their constants and calls PC-relative (the JIT's default, the large
  // model, loads every address as a 64-bit immediate), and position-
  // independent code reaches the libraries it calls through the GOT and PLT
  // that JITLink (or the static linker, for exported objects) builds.
  jtmb->setCodeModel(CodeModel::Small);
  jtmb->setRelocationModel(Reloc::PIC_);
  return jtmb;
}

Expected<std::unique_ptr<TargetMachine>> createHostTargetMachine(int optLevel) {
  auto jtmb = hostTargetBuilder();
  if (!jtmb)
    return jtmb.takeError();
  jtmb->setCodeGenOptLevel(codegenLevel(optLevel));
  return jtmb->createTargetMachine();
}

Expected<TargetMachine &> threadHostTargetMachine(int optLevel) {
  // One per thread and level: a TargetMachine is used by one compile at a
  // time, and making one costs about a millisecond of a 10 ms compile.
  thread_local std::array<std::unique_ptr<TargetMachine>, 4> machines;
  std::unique_ptr<TargetMachine> &slot = machines[std::clamp(optLevel, 0, 3)];
  if (!slot) {
    auto tm = createHostTargetMachine(optLevel);
    if (!tm)
      return tm.takeError();
    slot = std::move(*tm);
  }
  return *slot;
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

void setKernelLinkage(Module &m) {
  for (GlobalValue &g : m.global_values())
    if (!g.isDeclaration() && !g.hasLocalLinkage() && g.getName() != kKernelEntryName &&
        g.getName() != kStateBytesName)
      g.setLinkage(GlobalValue::InternalLinkage);
  Function *entry = m.getFunction(kKernelEntryName);
  if (!entry)
    return;
  // A body called once from the entry is compiled once, as its own
  // function: inlined, the row loop would be optimized a second time in the
  // entry (its noalias arguments become scopes there, which vectorize the
  // same).
  for (Function &f : m) {
    if (f.isDeclaration() || &f == entry || f.hasFnAttribute(Attribute::AlwaysInline) ||
        !f.hasOneUse())
      continue;
    auto *call = dyn_cast<CallInst>(f.user_back());
    if (call && call->getFunction() == entry && call->getCalledFunction() == &f)
      f.addFnAttr(Attribute::NoInline);
  }
}

/// PassPipeline::Lean. instcombine runs one round each time, without
/// LLVM's check that one round reached a fixpoint (which is fatal, not an
/// error).
static constexpr const char *kLeanPipeline =
    "always-inline,"
    "function("
    "sroa<modify-cfg>,early-cse<>,simplifycfg,"
    "instcombine<max-iterations=1;no-verify-fixpoint>,"
    "loop-mssa(loop-rotate,licm),loop(indvars,loop-deletion),"
    "inject-tli-mappings,loop-vectorize,"
    "instcombine<max-iterations=1;no-verify-fixpoint>,simplifycfg),"
    "globaldce";

void markCountedLoops(Module &m) {
  constexpr uint64_t kMaxStep = 1 << 16;
  for (Function &f : m) {
    if (f.isDeclaration())
      continue;
    DominatorTree dt(f);
    LoopInfo li(dt);
    for (Loop *loop : li.getLoopsInPreorder()) {
      BasicBlock *header = loop->getHeader(), *latch = loop->getLoopLatch();
      auto *br = dyn_cast<BranchInst>(header->getTerminator());
      if (!latch || !br || !br->isConditional() || !loop->contains(br->getSuccessor(0)) ||
          loop->contains(br->getSuccessor(1)))
        continue;
      auto *cmp = dyn_cast<ICmpInst>(br->getCondition());
      if (!cmp || cmp->getPredicate() != ICmpInst::ICMP_SLT ||
          !loop->isLoopInvariant(cmp->getOperand(1)))
        continue;
      auto *iv = dyn_cast<PHINode>(cmp->getOperand(0));
      if (!iv || iv->getParent() != header)
        continue;
      auto *next = dyn_cast<BinaryOperator>(iv->getIncomingValueForBlock(latch));
      if (!next || next->getOpcode() != Instruction::Add || next->getOperand(0) != iv)
        continue;
      auto *step = dyn_cast<ConstantInt>(next->getOperand(1));
      if (step && step->getValue().isStrictlyPositive() && step->getValue().ule(kMaxStep))
        next->setHasNoSignedWrap(true);
    }
  }
}

void optimizeModule(Module &m, TargetMachine &tm, int optLevel, PassPipeline pipeline,
                    raw_ostream *timing) {
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
  ModulePassManager mpm;
  if (level == OptimizationLevel::O0) {
    mpm = pb.buildO0DefaultPipeline(level);
  } else if (pipeline == PassPipeline::Lean && optLevel >= 2) {
    // A fixed text of registered passes: failing to parse it is a bug in
    // this file, caught by every test that compiles a pipeline kernel.
    cantFail(pb.parsePassPipeline(mpm, kLeanPipeline));
  } else {
    mpm = pb.buildPerModuleDefaultPipeline(level);
  }
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
