//===- CompileUnits.cpp - One kernel module as parallel compile units -----===//
#include "Engine/CompileUnits.h"
#include "Engine/LLVMBackend.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <queue>
#include <thread>

using namespace llvm;

namespace specjit {
namespace engine {

namespace {

/// Units are tracked in 64-bit masks.
constexpr unsigned kMaxUnits = 64;

Error splitError(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(),
                           "cannot split the module into compile units: " + msg);
}

/// Runs work(0..n-1), each on its own thread (the caller runs unit 0).
void parallelFor(unsigned n, function_ref<void(unsigned)> work) {
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (unsigned i = 1; i < n; ++i)
    threads.emplace_back([work, i] { work(i); });
  if (n)
    work(0);
  for (std::thread &t : threads)
    t.join();
}

/// Joins the errors of the units that failed, naming each unit.
Error joinErrors(ArrayRef<std::string> errors) {
  std::string all;
  for (size_t i = 0; i < errors.size(); ++i)
    if (!errors[i].empty())
      all += (all.empty() ? "" : "; ") + ("compile unit " + Twine(i) + ": " + errors[i]).str();
  if (all.empty())
    return Error::success();
  return createStringError(inconvertibleErrorCode(), all);
}

} // namespace

unsigned hardwareThreads() {
  return std::max(1u, llvm::hardware_concurrency().compute_thread_count());
}

std::optional<UnitPlan> planCompileUnits(const Module &m, unsigned maxUnits,
                                         size_t minInstructions) {
  std::vector<size_t> sizes;
  for (const Function &f : m)
    if (!f.isDeclaration())
      sizes.push_back(f.getInstructionCount());
  size_t total = std::accumulate(sizes.begin(), sizes.end(), size_t(0));
  unsigned n = maxUnits ? maxUnits : hardwareThreads();
  n = std::min<size_t>({n, sizes.size(), kMaxUnits});
  if (n < 2 || total < minInstructions)
    return std::nullopt;

  // Largest function first, each to the least loaded unit (ties: the lower
  // unit, so the plan is deterministic).
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  UnitPlan plan;
  plan.units = n;
  plan.unitOfFunction.assign(sizes.size(), 0);
  plan.instructions.assign(n, 0);
  using Load = std::pair<size_t, unsigned>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> loads;
  for (unsigned u = 0; u < n; ++u)
    loads.push({0, u});
  for (size_t f : order) {
    auto [load, u] = loads.top();
    loads.pop();
    plan.unitOfFunction[f] = u;
    plan.instructions[u] = load + sizes[f];
    loads.push({plan.instructions[u], u});
  }
  // The wall time is that of the largest unit: splitting pays only when
  // enough work leaves it.
  size_t largest = *std::max_element(plan.instructions.begin(), plan.instructions.end());
  if (total - largest < minInstructions / 2)
    return std::nullopt;
  return plan;
}

/// What every unit reads: the bitcode of the whole (externalized) module
/// and which units define each global.
struct CompileUnits::Shared {
  SmallVector<char, 0> bitcode;
  StringMap<uint64_t> definedIn; ///< name -> mask of the units defining it

  bool inUnit(const GlobalValue &gv, unsigned u) const {
    auto it = definedIn.find(gv.getName());
    return it != definedIn.end() && ((it->second >> u) & 1);
  }

  /// Turns `m` (the whole module, possibly lazily read) into unit `u`:
  /// the other units' bodies are dropped without being read, then what no
  /// longer has a use.
  Error keepOnly(Module &m, unsigned u) const {
    for (Function &f : m)
      if (!f.isDeclaration() && !inUnit(f, u))
        f.deleteBody();
    if (Error err = m.materializeAll())
      return err;
    for (GlobalVariable &g : make_early_inc_range(m.globals()))
      if (!g.isDeclaration() && !inUnit(g, u)) {
        if (g.use_empty()) {
          g.eraseFromParent();
        } else { // not reached: split() keeps shared data out
          g.setInitializer(nullptr);
          g.setLinkage(GlobalValue::ExternalLinkage);
        }
      }
    for (Function &f : make_early_inc_range(m))
      if (f.isDeclaration() && f.use_empty() && !f.isIntrinsic() && definedIn.count(f.getName()))
        f.eraseFromParent();
    return Error::success();
  }
};

struct CompileUnits::Unit {
  unsigned index = 0;
  /// Null for unit 0, which stays in the caller's context.
  std::unique_ptr<LLVMContext> ctx;
  std::unique_ptr<Module> module;
  bool trimmed = false;
  std::unique_ptr<TargetMachine> tm;
  std::string object;
  std::string error;

  /// Makes the unit's module (unit 0: trims the caller's; the others: read
  /// from the shared bitcode into their own context) and TargetMachine. On
  /// the unit's thread.
  bool load(const Shared &shared, int optLevel) {
    if (!module) {
      ctx = std::make_unique<LLVMContext>();
      auto lazy = getLazyBitcodeModule(
          MemoryBufferRef(StringRef(shared.bitcode.data(), shared.bitcode.size()),
                          "specjit_kernel"),
          *ctx);
      if (!lazy) {
        error = "reading bitcode: " + toString(lazy.takeError());
        return false;
      }
      module = std::move(*lazy);
      module->setModuleInlineAsm("");
    }
    if (!trimmed) {
      if (Error err = shared.keepOnly(*module, index)) {
        error = "reading bitcode: " + toString(std::move(err));
        return false;
      }
      trimmed = true;
    }
    if (tm)
      return true;
    auto machine = createHostTargetMachine(optLevel);
    if (!machine) {
      error = toString(machine.takeError());
      return false;
    }
    tm = std::move(*machine);
    return true;
  }
  /// Frees the module and its context (on the unit's thread: large modules
  /// take a while to tear down).
  void release() {
    module.reset();
    tm.reset();
    ctx.reset();
  }
};

CompileUnits::CompileUnits() = default;
CompileUnits::~CompileUnits() = default;

Expected<std::unique_ptr<CompileUnits>> CompileUnits::split(std::unique_ptr<Module> &whole,
                                                            const UnitPlan &plan, int optLevel) {
  Module &m = *whole;
  if (plan.units < 2 || plan.units > kMaxUnits)
    return splitError("bad plan of " + Twine(plan.units) + " units");
  if (!m.alias_empty() || !m.ifunc_empty())
    return splitError("the module has aliases or ifuncs");
  if (!m.isMaterialized())
    return splitError("the module is not fully read");

  // Home unit of each defined function.
  DenseMap<const GlobalValue *, unsigned> home;
  size_t index = 0;
  for (Function &f : m)
    if (!f.isDeclaration()) {
      if (index >= plan.unitOfFunction.size())
        return splitError("the plan does not match the module");
      home[&f] = plan.unitOfFunction[index++];
    }
  if (index != plan.unitOfFunction.size())
    return splitError("the plan does not match the module");

  // The units whose functions use `gv` (through constant expressions too);
  // `other` is set when something else (a global's initializer) uses it.
  auto usersOf = [&](const GlobalValue &gv, bool &other) {
    uint64_t mask = 0;
    SmallVector<const User *, 16> work(gv.users().begin(), gv.users().end());
    SmallPtrSet<const User *, 16> seen;
    while (!work.empty()) {
      const User *u = work.pop_back_val();
      if (!seen.insert(u).second)
        continue;
      if (auto *inst = dyn_cast<Instruction>(u)) {
        auto it = home.find(inst->getFunction());
        if (it == home.end())
          other = true;
        else
          mask |= uint64_t(1) << it->second;
      } else if (isa<Constant>(u) && !isa<GlobalValue>(u)) {
        work.append(u->user_begin(), u->user_end());
      } else {
        other = true;
      }
    }
    return mask;
  };

  // Globals first: they are only checked, so a module the split does not
  // handle is left as it was. Internal constants go to every unit that
  // reads them (the kernels never compare their addresses); anything else
  // must be used by one unit only: a reference to data in another object
  // could be out of the range of a 32-bit displacement.
  DenseMap<GlobalValue *, uint64_t> unitsOf;
  for (GlobalVariable &g : m.globals()) {
    if (g.hasAppendingLinkage())
      return splitError("the module has an appending global ('" + g.getName() + "')");
    if (g.isDeclaration())
      continue;
    bool other = false;
    uint64_t users = usersOf(g, other);
    if (other)
      return splitError("global '" + g.getName() + "' is used outside functions");
    if (!(g.hasLocalLinkage() && g.isConstant()) && llvm::popcount(users) > 1)
      return splitError("global '" + g.getName() + "' is used by several units");
    unitsOf[&g] = users ? users : 1;
  }

  // Internal functions used from another unit become hidden external
  // definitions in their home unit (one JITDylib holds all the units, so
  // hidden symbols resolve between them and stay out of its interface).
  for (Function &f : m) {
    if (f.isDeclaration())
      continue;
    uint64_t own = uint64_t(1) << home[&f];
    unitsOf[&f] = own;
    bool other = false;
    uint64_t users = usersOf(f, other);
    if (f.hasLocalLinkage() && (other || (users & ~own))) {
      f.setLinkage(GlobalValue::ExternalLinkage);
      f.setVisibility(GlobalValue::HiddenVisibility);
    }
  }

  // Units find their definitions by name: name what has none (the module
  // keeps names unique).
  auto result = std::unique_ptr<CompileUnits>(new CompileUnits());
  result->optLevel_ = optLevel;
  result->shared_ = std::make_unique<Shared>();
  Shared &shared = *result->shared_;
  for (auto &[gv, units] : unitsOf) {
    if (!gv->hasName())
      gv->setName("specjit.unit.anon");
    shared.definedIn[gv->getName()] = units;
  }
  // The other units read the whole module lazily, each only its own bodies.
  raw_svector_ostream os(shared.bitcode);
  WriteBitcodeToFile(m, os);
  for (unsigned u = 0; u < plan.units; ++u) {
    result->units_.push_back(std::make_unique<Unit>());
    result->units_.back()->index = u;
  }
  result->units_[0]->module = std::move(whole);
  return std::move(result);
}

Error CompileUnits::optimize() {
  std::vector<std::string> errors(units_.size());
  parallelFor(size(), [&](unsigned i) {
    Unit &u = *units_[i];
    if (u.load(*shared_, optLevel_))
      optimizeModule(*u.module, *u.tm, optLevel_);
    errors[i] = u.error;
  });
  shared_->bitcode = {}; // every unit has read its part
  return joinErrors(errors);
}

Expected<std::vector<std::unique_ptr<MemoryBuffer>>> CompileUnits::emit() {
  std::vector<std::string> errors(units_.size());
  parallelFor(size(), [&](unsigned i) {
    Unit &u = *units_[i];
    if (u.load(*shared_, optLevel_)) {
      auto object = emitMachineCode(*u.module, *u.tm, /*assembly=*/false);
      if (object)
        u.object = std::move(*object);
      else
        u.error = toString(object.takeError());
    }
    u.release();
    errors[i] = u.error;
  });
  if (auto err = joinErrors(errors))
    return std::move(err);
  std::vector<std::unique_ptr<MemoryBuffer>> objects;
  for (unsigned i = 0; i < size(); ++i) {
    objects.push_back(MemoryBuffer::getMemBufferCopy(units_[i]->object,
                                                     ("specjit_kernel." + Twine(i) + ".o").str()));
    units_[i]->object = {};
  }
  return std::move(objects);
}

} // namespace engine
} // namespace specjit
