//===- Codegen.cpp - Descriptor to a host object file ---------------------===//
//
// Drives the stages in order; each stage's text is produced only when someone
// asked to see it.
//
//===----------------------------------------------------------------------===//

#include "Engine/Codegen.h"

#include "Engine/CompileUnits.h"
#include "Engine/KernelSize.h"
#include "Engine/LLVMBackend.h"
#include "Engine/StageTiming.h"
#include "Families/Family.h"
#include "Runtime/KernelABI.h"

#include "specjit/Conversion/Passes.h"
#include "specjit/Dialect/Spec/IR/SpecDialect.h"
#include "specjit/Errors.h"
#include "specjit/Testing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FormatVariadic.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

using namespace mlir;
using namespace specjit;
using jit::Stage;

namespace {

std::atomic<int> injectedStage{-1};

const DialectRegistry &registry() {
  static const DialectRegistry *r = [] {
    auto *reg = new DialectRegistry();
    reg->insert<spec::SpecDialect, arith::ArithDialect, math::MathDialect, func::FuncDialect,
                scf::SCFDialect, cf::ControlFlowDialect, LLVM::LLVMDialect>();
    registerBuiltinDialectTranslation(*reg);
    registerLLVMDialectTranslation(*reg);
    return reg;
  }();
  return *r;
}

/// Gives an exported kernel its own global names (CodegenOptions::entrySymbol).
/// Local symbols (internal, private) cannot clash between objects and keep
/// theirs; declarations (libm, libmvec) must keep theirs.
llvm::Error renameGlobals(llvm::Module &m, const std::string &entry) {
  std::vector<std::pair<llvm::GlobalValue *, std::string>> renames;
  for (llvm::GlobalValue &g : m.global_values()) {
    if (g.isDeclaration() || g.hasLocalLinkage())
      continue;
    llvm::StringRef name = g.getName();
    if (name == kKernelEntryName)
      renames.emplace_back(&g, entry);
    else if (name == kStateBytesName)
      renames.emplace_back(&g, entry + "_state_bytes");
    else
      renames.emplace_back(&g, entry + "_" + name.str());
  }
  for (auto &[g, name] : renames) {
    g->setName(name);
    // LLVM makes a taken name unique by appending to it: that would not
    // be the symbol the header declares.
    if (g->getName() != name)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "cannot name the kernel's symbol '" + name +
                                         "': the module already defines it");
  }
  return llvm::Error::success();
}

llvm::Error stageError(Stage s, const llvm::Twine &msg) {
  return llvm::make_error<jit::StageError>(jit::stageName(s).str(), msg.str());
}

} // namespace

namespace specjit {
namespace jit {
namespace testing {
void setFailureInjection(std::optional<Stage> stage) {
  injectedStage.store(stage ? static_cast<int>(*stage) : -1);
}
} // namespace testing
} // namespace jit

namespace engine {

llvm::Error checkInjectedFailure(Stage s) {
  if (injectedStage.load(std::memory_order_relaxed) == static_cast<int>(s))
    return stageError(s, "injected failure (test hook)");
  return llvm::Error::success();
}

bool failureInjectionActive() { return injectedStage.load() >= 0; }

llvm::Expected<ObjectFiles> compileToObjects(const jit::Descriptor &d,
                                             const CodegenOptions &options) {
  // Each stage runs in a timing scope nested in options.timing (inactive
  // scopes when there is none; StageTiming.h). --pass-timing without a
  // caller's timer times the MLIR stages, their passes nested, here, and
  // prints them after the llvm-dialect stage.
  mlir::TimingScope noTiming;
  std::optional<mlir::DefaultTimingManager> passTimer;
  std::optional<mlir::TimingScope> passRoot;
  if (options.passTiming && !options.timing) {
    passTimer.emplace();
    passTimer->setEnabled(true);
    passTimer->setDisplayMode(mlir::DefaultTimingManager::DisplayMode::Tree);
    passTimer->setOutput(
        std::make_unique<PassTimeTree>(*options.passTiming, "MLIR stages and passes"));
    passRoot.emplace(passTimer->getRootScope());
  }
  mlir::TimingScope *parent = options.timing ? options.timing : passRoot ? &*passRoot : &noTiming;
  mlir::TimingScope current;
  auto begin = [&](llvm::StringRef name) { current = parent->nest(name); };

  // Ends a stage: stops its clock (printing is not part of a stage's time)
  // and reports its text if asked; true when the pipeline stops here.
  // With stopAfter, only the last stage's text is wanted (--emit); without
  // it, every stage's (--dump-dir).
  auto wants = [&](Stage s) {
    return options.onStage && (!options.stopAfter || *options.stopAfter == s);
  };
  auto reached = [&](Stage s, llvm::function_ref<void(llvm::raw_ostream &)> print) {
    current.stop();
    if (wants(s)) {
      std::string text;
      llvm::raw_string_ostream os(text);
      print(os);
      options.onStage(s, os.str());
    }
    return options.stopAfter && *options.stopAfter == s;
  };
  auto printMLIR = [](ModuleOp m) {
    // Locations name the descriptor step each op came from.
    return [m](llvm::raw_ostream &os) mutable {
      m.print(os, OpPrintingFlags().enableDebugInfo(true, /*prettyForm=*/false));
    };
  };

  begin(jit::stageName(Stage::Descriptor));
  if (auto err = checkInjectedFailure(Stage::Descriptor))
    return std::move(err);
  if (reached(Stage::Descriptor, [&](llvm::raw_ostream &os) { os << d.canonical() << "\n"; }))
    return ObjectFiles();

  begin(jit::stageName(Stage::Spec));
  MLIRContext ctx(registry(), MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    if (!diagnostics.empty())
      diagnostics += "; ";
    llvm::raw_string_ostream os(diagnostics);
    os << diag.getLocation() << ": " << diag.str();
    return success();
  });

  // The guard, first from the descriptor alone: importing a step of ~10^6
  // columns costs seconds by itself (KernelSize.h).
  if (options.maxKernelOps) {
    KernelSizeEstimate floor = estimateDescriptorFloor(d, kLookupTableMinKeys);
    if (auto err = checkKernelSize(floor, options.maxKernelOps))
      return stageError(Stage::Spec, llvm::toString(std::move(err)));
  }

  // descriptor -> spec
  if (auto err = checkInjectedFailure(Stage::Spec))
    return std::move(err);
  auto imported = jit::importDescriptor(ctx, d);
  if (!imported)
    return stageError(Stage::Spec, llvm::toString(imported.takeError()) +
                                       (diagnostics.empty() ? "" : ": " + diagnostics));
  ModuleOp module = imported->get();
  // The code shape of each tree ensemble belongs to the spec stage: the size
  // estimate below and --emit=spec see it (the pipeline's own
  // spec-select-tree-layout then keeps it).
  {
    PassManager pm(&ctx);
    pm.addPass(createSpecSelectTreeLayout({options.treeLayout}));
    if (failed(pm.run(module)))
      return stageError(Stage::Spec, diagnostics);
  }
  if (reached(Stage::Spec, printMLIR(module)))
    return ObjectFiles();
  begin(jit::stageName(Stage::Lowered));
  // The guard: decide from the spec module, before any lowering, whether the
  // kernel is small enough to compile (KernelSize.h), so that an oversized
  // kernel falls back in milliseconds rather than after the lowering.
  if (options.maxKernelOps) {
    KernelSizeEstimate estimate = estimateKernelSize(module, kLookupTableMinKeys);
    if (auto err = checkKernelSize(estimate, options.maxKernelOps))
      return stageError(Stage::Spec, llvm::toString(std::move(err)));
  }

  // spec -> scf/arith/math -> llvm dialect
  using BuildPipeline = void (*)(mlir::OpPassManager &);
  BuildPipeline toLoops = [](mlir::OpPassManager &pm) { buildSpecToLoopsPipeline(pm); };
  for (auto [stage, build] :
       {std::pair{Stage::Lowered, toLoops},
        std::pair{Stage::LLVMDialect, BuildPipeline(&buildLoopsToLLVMPipeline)}}) {
    if (stage != Stage::Lowered) // begun before the size guard above
      begin(jit::stageName(stage));
    if (auto err = checkInjectedFailure(stage))
      return std::move(err);
    PassManager pm(&ctx);
    build(pm);
    if (options.passTiming)
      pm.enableTiming(current);
    if (failed(pm.run(module)))
      return stageError(stage, diagnostics);
    if (stage == Stage::Lowered && options.maxKernelOps) {
      // LLVM's cost grows faster than linearly within a function and
      // linearly across functions: bound the largest function, and the total
      // at a multiple of that. The estimate above decided the same before
      // lowering; this count keeps the limit exact where it erred low.
      size_t total = 0, largest = 0;
      for (auto fn : module.getOps<func::FuncOp>()) {
        size_t ops = 0;
        fn.walk([&](Operation *) { ++ops; });
        largest = std::max(largest, ops);
        total += ops;
      }
      size_t totalLimit = totalKernelOpsLimit(options.maxKernelOps);
      if (largest > options.maxKernelOps || total > totalLimit)
        return stageError(stage, llvm::Twine("the kernel is too large to specialize: ") +
                                     llvm::Twine(largest) +
                                     " operations in its largest "
                                     "function and " +
                                     llvm::Twine(total) +
                                     " in all after "
                                     "lowering, more than the limits of " +
                                     llvm::Twine(options.maxKernelOps) + " and " +
                                     llvm::Twine(totalLimit) + " (CompileOptions::maxKernelOps)");
    }
    if (reached(stage, printMLIR(module)))
      return ObjectFiles();
  }

  if (passTimer) {
    // The scopes end before the manager prints (and frees) its timers.
    current = mlir::TimingScope();
    parent = &noTiming;
    passRoot.reset();
    passTimer->print();
  }

  // -> LLVM IR
  begin(jit::stageName(Stage::LLVM));
  if (auto err = checkInjectedFailure(Stage::LLVM))
    return std::move(err);
  llvm::LLVMContext llctx;
  std::unique_ptr<llvm::Module> llmod = translateModuleToLLVMIR(module, llctx, "specjit_kernel");
  if (!llmod)
    return stageError(Stage::LLVM, "translation to LLVM IR failed: " + diagnostics);
  // The MLIR module is done with: free it before LLVM takes its memory.
  {
    OwningOpRef<ModuleOp> done = std::move(*imported);
  }
  auto tm = threadHostTargetMachine(options.optLevel);
  if (!tm)
    return stageError(Stage::LLVM, llvm::toString(tm.takeError()));
  setKernelLinkage(*llmod);
  markCountedLoops(*llmod);
  prepareModuleForHost(*llmod, *tm);
  if (!options.entrySymbol.empty())
    if (auto err = renameGlobals(*llmod, options.entrySymbol))
      return stageError(Stage::LLVM, llvm::toString(std::move(err)));
  if (reached(Stage::LLVM, [&](llvm::raw_ostream &os) { llmod->print(os, nullptr); }))
    return ObjectFiles();

  // Large kernels compile as several units in parallel (CompileUnits.h),
  // each optimized and compiled on its own thread. The stage texts are
  // those of the whole module, so a compile that shows any (--emit, dumps)
  // keeps it whole: what it shows is what runs.
  std::optional<UnitPlan> plan;
  if (!options.onStage && !options.passTiming)
    plan = planCompileUnits(*llmod, options.compileThreads);
  if (plan) {
    // A module the split does not handle compiles whole (the split checks
    // before it changes anything).
    begin("split");
    auto units = CompileUnits::split(llmod, *plan, options.optLevel);
    if (units) {
      begin(jit::stageName(Stage::LLVMOpt));
      if (auto err = checkInjectedFailure(Stage::LLVMOpt))
        return std::move(err);
      if (auto err = (*units)->optimize())
        return stageError(Stage::LLVMOpt, llvm::toString(std::move(err)));
      begin(jit::stageName(Stage::Obj));
      // No assembly text is made here, but the failure hook still applies.
      if (auto err = checkInjectedFailure(Stage::Asm))
        return std::move(err);
      if (auto err = checkInjectedFailure(Stage::Obj))
        return std::move(err);
      auto objects = (*units)->emit();
      if (!objects)
        return stageError(Stage::Obj, llvm::toString(objects.takeError()));
      current.stop();
      return std::move(*objects);
    }
    llvm::consumeError(units.takeError());
  }

  // optimized LLVM IR
  begin(jit::stageName(Stage::LLVMOpt));
  if (auto err = checkInjectedFailure(Stage::LLVMOpt))
    return std::move(err);
  PassPipeline pipeline =
      jit::family(d.kind()).leanOptimization(d) ? PassPipeline::Lean : PassPipeline::Default;
  optimizeModule(*llmod, *tm, options.optLevel, pipeline, options.passTiming);
  if (reached(Stage::LLVMOpt, [&](llvm::raw_ostream &os) { llmod->print(os, nullptr); }))
    return ObjectFiles();

  // machine code
  if (auto err = checkInjectedFailure(Stage::Asm))
    return std::move(err);
  if (wants(Stage::Asm) || options.stopAfter == Stage::Asm) {
    begin(jit::stageName(Stage::Asm));
    std::unique_ptr<llvm::Module> copy = llvm::CloneModule(*llmod);
    auto text = emitMachineCode(*copy, *tm, /*assembly=*/true);
    if (!text)
      return stageError(Stage::Asm, llvm::toString(text.takeError()));
    if (reached(Stage::Asm, [&](llvm::raw_ostream &os) { os << *text; }))
      return ObjectFiles();
  }
  begin(jit::stageName(Stage::Obj));
  if (auto err = checkInjectedFailure(Stage::Obj))
    return std::move(err);
  auto object = emitMachineCode(*llmod, *tm, /*assembly=*/false, options.passTiming);
  if (!object)
    return stageError(Stage::Obj, llvm::toString(object.takeError()));
  if (reached(Stage::Obj, [&](llvm::raw_ostream &os) { os << *object; }))
    return ObjectFiles();
  ObjectFiles objects;
  objects.push_back(llvm::MemoryBuffer::getMemBufferCopy(*object, "specjit_kernel.o"));
  return std::move(objects);
}

} // namespace engine
} // namespace specjit
