//===- CompileService.cpp - Background compiles for tiered kernels --------===//
#include "Engine/CompileService.h"
#include "Engine/Threads.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cstdlib>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace specjit {
namespace engine {

namespace {
size_t envCount(const char *name, size_t fallback, size_t max) {
  const char *v = std::getenv(name);
  unsigned long long n = 0;
  if (!v || llvm::StringRef(v).trim().getAsInteger(10, n) || n == 0)
    return fallback;
  return std::min<size_t>(n, max);
}
} // namespace

CompileService::CompileService() {
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  wantThreads =
      static_cast<unsigned>(envCount("SPECJIT_COMPILE_THREADS", std::max(1u, hw / 2), 64));
  capacity = envCount("SPECJIT_COMPILE_QUEUE", 64, 1 << 16);
  if (const char *v = std::getenv("SPECJIT_COMPILE_NICE")) {
    unsigned long long n = 0;
    if (!llvm::StringRef(v).trim().getAsInteger(10, n))
      niceness = static_cast<int>(std::min<unsigned long long>(n, 19));
  }
}

CompileService &CompileService::instance() {
  // Never destroyed; its workers are joined by stopAtExit before the
  // statics they use (LLVM's, MLIR's) go.
  static CompileService *s = new CompileService();
  return *s;
}

void CompileService::start() {
  started = true;
  // Fewer threads than asked for still serve, and with none callers compile
  // in their own thread (Threads.h).
  auto body = +[](void *self) -> void * {
    // Callers' threads come first: a compile is background work. On Linux
    // a thread's nice value is its own (setpriority on its thread id).
    auto *service = static_cast<CompileService *>(self);
    if (service->niceness > 0)
      (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), service->niceness);
    service->work();
    return nullptr;
  };
  workers = startThreads(wantThreads, body, this);
  if (!workers.empty())
    std::atexit(stopAtExit);
}

void CompileService::stopAtExit() {
  CompileService &s = instance();
  std::vector<pthread_t> threads;
  {
    MutexLock lock(s.mu);
    s.stopping = true;
    s.queue.clear(); // queued kernels stay on the interpreter
    threads.swap(s.workers);
  }
  for (pthread_t t : threads)
    pthread_join(t, nullptr); // a compile in flight finishes first
}

CompileService::Submitted CompileService::submit(std::function<double()> hotness,
                                                 std::function<void()> job) {
  MutexLock lock(mu);
  if (!started)
    start();
  if (workers.empty() || stopping)
    return Submitted::NoThreads;
  if (queue.size() >= capacity) {
    refused.fetch_add(1, std::memory_order_relaxed);
    return Submitted::Full;
  }
  queue.push_back({std::move(hotness), std::move(job)});
  queued.fetch_add(1, std::memory_order_relaxed);
  return Submitted::Queued;
}

void CompileService::work() {
  for (;;) {
    Job job;
    {
      MutexLock lock(mu);
      mu.await(absl::Condition(
          +[](CompileService *s)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return s->stopping || !s->queue.empty(); },
          this));
      if (stopping)
        return;
      auto hottest = std::max_element(queue.begin(), queue.end(), [](const Job &a, const Job &b) {
        return a.hotness() < b.hotness();
      });
      job = std::move(*hottest);
      queue.erase(hottest);
      ++running;
    }
    job.run();
    MutexLock lock(mu);
    --running;
  }
}

bool CompileService::waitIdle(absl::Duration timeout) {
  MutexLock lock(mu);
  return mu.awaitWithTimeout(absl::Condition(
                                 +[](CompileService *s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                   return s->queue.empty() && s->running == 0;
                                 },
                                 this),
                             timeout);
}

jit::CompileServiceStats CompileService::stats() {
  jit::CompileServiceStats s;
  s.queued = queued.load();
  s.refused = refused.load();
  s.compiled = compiled.load();
  s.failed = failed.load();
  s.promoted = promoted.load();
  s.rejected = rejected.load();
  s.capacity = capacity;
  MutexLock lock(mu);
  s.threads = static_cast<unsigned>(workers.size());
  s.pending = queue.size();
  return s;
}

} // namespace engine
} // namespace specjit
