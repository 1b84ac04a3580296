//===- JIT.cpp - The process-wide ORC LLJIT -------------------------------===//
//
// One LLJIT per process; every kernel's objects (one, or one per compile
// unit) go into its own JITDylib (so kernels never clash on the fixed entry
// symbol, and so one kernel's code can be released alone) that resolves libm
// and libmvec from the host process and specjit's runtime routines
// (RuntimeSymbols.h) by address.
//
//===----------------------------------------------------------------------===//

#include "Engine/JIT.h"
#include "Engine/Codegen.h"
#include "Engine/RuntimeSymbols.h"

#include "llvm/ExecutionEngine/JITLink/JITLink.h"
#include "llvm/ExecutionEngine/Orc/Debugging/DebuggerSupport.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>

using namespace llvm;
using namespace llvm::orc;

namespace specjit {
namespace engine {

namespace {

bool envFlag(const char *name) {
  const char *v = std::getenv(name);
  return v && StringRef(v).trim() == "1";
}

/// Appends `START SIZE NAME` for every function the JIT links to
/// /tmp/perf-PID.map, the file perf reads to name JIT code (perf's
/// "perf map" convention). NAME is `<dylib>.<symbol>`, the dylib being named
/// after the kernel (specjit_<name>_<hash8>).
class PerfMapPlugin : public ObjectLinkingLayer::Plugin {
public:
  void modifyPassConfig(MaterializationResponsibility &mr, jitlink::LinkGraph &g,
                        jitlink::PassConfiguration &config) override {
    std::string dylib = mr.getTargetJITDylib().getName();
    config.PostFixupPasses.push_back([this, dylib](jitlink::LinkGraph &g) {
      std::lock_guard<std::mutex> lock(mu);
      if (!open())
        return Error::success();
      for (jitlink::Symbol *s : g.defined_symbols()) {
        if (!s->isCallable() || s->getSize() == 0)
          continue;
        std::string sym = s->hasName() ? s->getName().str() : "anon";
        *os << format_hex_no_prefix(s->getAddress().getValue(), 1) << ' '
            << format_hex_no_prefix(s->getSize(), 1) << ' ' << dylib << '.' << sym << '\n';
      }
      os->flush();
      return Error::success();
    });
  }
  Error notifyFailed(MaterializationResponsibility &) override { return Error::success(); }
  Error notifyRemovingResources(JITDylib &, ResourceKey) override { return Error::success(); }
  void notifyTransferringResources(JITDylib &, ResourceKey, ResourceKey) override {}

private:
  bool open() {
    if (os)
      return true;
    std::error_code ec;
    std::string path = "/tmp/perf-" + std::to_string(sys::Process::getProcessId()) + ".map";
    os = std::make_unique<raw_fd_ostream>(path, ec, sys::fs::OF_Append);
    if (ec) {
      os.reset();
      return false;
    }
    return true;
  }
  std::mutex mu;
  std::unique_ptr<raw_fd_ostream> os;
};

struct JITInstance {
  std::unique_ptr<LLJIT> jit;
  std::string error;
};

/// Set once static destruction has begun: code still held then (by kernels
/// in static containers) is left to the process's end rather than removed
/// from a JIT whose LLVM statics may already be gone.
std::atomic<bool> exiting{false};
struct ExitGuard {
  ~ExitGuard() { exiting.store(true); }
};

JITInstance &instance() {
  // Never destroyed (kernels outlive statics). The guard is constructed
  // after every static that held code before the JIT existed, so it is
  // destroyed before them.
  static ExitGuard guard;
  static JITInstance &inst = *new JITInstance([] {
    JITInstance i;
    initializeNativeTarget();
    auto j = LLJITBuilder().create();
    if (!j) {
      i.error = toString(j.takeError());
      return i;
    }
    i.jit = std::move(*j);
    auto *linker = dyn_cast<ObjectLinkingLayer>(&i.jit->getObjLinkingLayer());
    if (linker && envFlag("SPECJIT_PERF"))
      linker->addPlugin(std::make_unique<PerfMapPlugin>());
    // GDB's JIT interface; a failure leaves kernels runnable, not debuggable.
    if (envFlag("SPECJIT_DEBUG"))
      if (Error err = enableDebuggerSupport(*i.jit))
        errs() << "specjit: SPECJIT_DEBUG: " << toString(std::move(err)) << "\n";
    return i;
  }());
  return inst;
}

std::atomic<uint64_t> dylibCounter{0};
std::atomic<size_t> liveDylibs{0};

/// Whether an object refers to libmvec (vector variants are named _ZGV*).
bool callsVectorMath(MemoryBufferRef object) {
  auto file = object::ObjectFile::createObjectFile(object);
  if (!file) {
    consumeError(file.takeError());
    return true; // unknown: assume it may, which only loosens a comparison
  }
  for (const object::SymbolRef &s : (*file)->symbols()) {
    Expected<uint32_t> flags = s.getFlags();
    if (!flags) {
      consumeError(flags.takeError());
      continue;
    }
    if (!(*flags & object::SymbolRef::SF_Undefined))
      continue;
    Expected<StringRef> name = s.getName();
    if (!name) {
      consumeError(name.takeError());
      continue;
    }
    if (name->starts_with("_ZGV"))
      return true;
  }
  return false;
}

} // namespace

LoadedCode::~LoadedCode() {
  if (!dylib || exiting.load())
    return;
  liveDylibs.fetch_sub(1);
  JITInstance &inst = instance();
  if (Error err = inst.jit->getExecutionSession().removeJITDylib(*dylib))
    consumeError(std::move(err)); // the memory stays; nothing else to do
}

size_t loadedKernelCount() { return liveDylibs.load(); }

Expected<std::shared_ptr<LoadedCode>>
loadKernelObjects(std::vector<std::unique_ptr<MemoryBuffer>> objects, StringRef name) {
  if (objects.empty())
    return createStringError(inconvertibleErrorCode(), "no object to load");
  JITInstance &inst = instance();
  if (!inst.jit)
    return createStringError(inconvertibleErrorCode(), "cannot create the JIT: " + inst.error);
  LLJIT &j = *inst.jit;
  std::string dylibName = (name + "." + Twine(dylibCounter.fetch_add(1))).str();
  auto jd = j.createJITDylib(dylibName);
  if (!jd)
    return jd.takeError();
  // From here on the JITDylib is owned by `code`: every early return removes it.
  std::shared_ptr<LoadedCode> code(new LoadedCode());
  code->dylib = &*jd;
  liveDylibs.fetch_add(1);
  auto gen =
      DynamicLibrarySearchGenerator::GetForCurrentProcess(j.getDataLayout().getGlobalPrefix());
  if (!gen)
    return gen.takeError();
  jd->addGenerator(std::move(*gen));
  // specjit's own runtime routines (RuntimeSymbols.h) by address: the host
  // executable need not export them.
  SymbolMap runtime;
  for (const RuntimeSymbol &s : runtimeSymbols())
    runtime[j.mangleAndIntern(s.name)] = {ExecutorAddr::fromPtr(s.address),
                                          JITSymbolFlags::Exported | JITSymbolFlags::Callable};
  if (auto err = jd->define(absoluteSymbols(std::move(runtime))))
    return std::move(err);
  // Compile units refer to each other's (hidden) symbols: all in one
  // JITDylib, they resolve there.
  for (auto &object : objects) {
    code->codeBytes += object->getBufferSize();
    code->usesVectorMath |= callsVectorMath(object->getMemBufferRef());
    if (auto err = j.addObjectFile(*jd, std::move(object)))
      return std::move(err);
  }
  auto addr = j.lookup(*jd, kKernelEntryName);
  if (!addr)
    return addr.takeError();
  code->fn = addr->toPtr<KernelFn>();
  // Only series kernels define the state size.
  if (auto size = j.lookup(*jd, kStateBytesName))
    code->stateBytes = static_cast<size_t>(size->toPtr<int64_t (*)()>()());
  else
    consumeError(size.takeError());
  return code;
}

llvm::Expected<KernelFn> compiledOncePerKey(const jit::Descriptor &d, llvm::StringRef name,
                                            const std::string &key) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<LoadedCode>> compiled;
  std::string fullKey = name.str() + "/" + key;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = compiled.find(fullKey); it != compiled.end())
    return it->second->fn;
  CodegenOptions co;
  auto objects = compileToObjects(d, co);
  if (!objects)
    return objects.takeError();
  auto code = loadKernelObjects(std::move(*objects), name.str() + "_" + d.hash().hex());
  if (!code)
    return code.takeError();
  KernelFn entry = (*code)->fn;
  compiled.emplace(std::move(fullKey), std::move(*code));
  return entry;
}

} // namespace engine
} // namespace specjit
