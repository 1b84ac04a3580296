//===- KernelState.cpp - A kernel's backends, tier and record -------------===//
#include "Engine/KernelState.h"

#include "Engine/JIT.h"
#include "Engine/Tiering.h"

namespace specjit {
namespace jit {

KernelState::KernelState(Descriptor d) : desc(std::move(d)) {}

KernelState::~KernelState() { retireForStats(stats()); }

void KernelState::install(std::shared_ptr<engine::LoadedCode> code, unsigned units, double ms) {
  engine::MutexLock lock(mu);
  compileMs = ms;
  compiledStateBytes.store(code ? code->stateBytes : 0);
  compiledUnits.store(code ? units : 0);
  codeBytes.store(code ? code->codeBytes : 0);
  KernelFn fn = code ? code->fn : nullptr;
  code_ = std::move(code); // before the entry point is published
  compiled.store(fn, std::memory_order_release);
}

void KernelState::setFallback(std::string why, double ms) {
  engine::MutexLock lock(mu);
  reason = std::move(why);
  compileMs = ms;
}

void KernelState::settle(TierState final) {
  engine::MutexLock lock(mu);
  tier.store(final);
  settled = true;
}

bool KernelState::waitSettled(absl::Duration timeout) {
  {
    engine::MutexLock lock(mu);
    mu.awaitWithTimeout(absl::Condition(&settled), timeout);
  }
  return compiled.load(std::memory_order_acquire) != nullptr;
}

std::string KernelState::fallbackReason() const {
  engine::MutexLock lock(mu);
  return reason;
}
double KernelState::compileMillis() const {
  engine::MutexLock lock(mu);
  return compileMs;
}
std::shared_ptr<engine::LoadedCode> KernelState::code() const {
  engine::MutexLock lock(mu);
  return code_;
}
void KernelState::setStageTimes(std::vector<std::pair<std::string, double>> s) {
  engine::MutexLock lock(mu);
  stages = std::move(s);
}
void KernelState::setPromotion(std::string outcome, double ms, uint64_t rows) {
  engine::MutexLock lock(mu);
  promotion = std::move(outcome);
  promotionMs = ms;
  verifiedRows = rows;
}

KernelStats KernelState::stats() const {
  KernelStats s;
  s.name = desc.name();
  s.kind = kindName(desc.kind()).str();
  s.hash = desc.hash();
  s.backend = compiled.load(std::memory_order_acquire) ? Backend::Jit : Backend::Interpreter;
  s.source = codeFromDisk.load() ? KernelSource::Disk : KernelSource::Compiled;
  s.mode = mode;
  s.tier = tier.load();
  s.memoryHits = memoryHits.load(std::memory_order_relaxed);
  s.jit = counters[static_cast<int>(Backend::Jit)].snapshot();
  s.interpreter = counters[static_cast<int>(Backend::Interpreter)].snapshot();
  if (tiering)
    s.estimatedCompileMs = tiering->estimatedCompileMs();
  engine::MutexLock lock(mu);
  s.compileStages = stages;
  s.compileMs = compileMs;
  s.fallbackReason = reason;
  s.promotion = promotion;
  s.promotionMs = promotionMs;
  s.verifiedRows = verifiedRows;
  return s;
}

} // namespace jit
} // namespace specjit
