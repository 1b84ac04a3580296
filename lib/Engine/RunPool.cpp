//===- RunPool.cpp - Threads that share the rows of one run ---------------===//
#include "Engine/RunPool.h"
#include "Engine/Threads.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace specjit {
namespace engine {

RunPool &RunPool::instance() {
  // Never destroyed: its workers are joined by stopAtExit.
  static RunPool *p = new RunPool();
  return *p;
}

void RunPool::startLocked() {
  started = true;
  // The caller is the last thread of a run; with no worker it runs alone.
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  auto body = +[](void *self) -> void * {
    static_cast<RunPool *>(self)->work();
    return nullptr;
  };
  workers = startThreads(hw - 1, body, this);
  if (!workers.empty())
    std::atexit(stopAtExit);
}

unsigned RunPool::concurrency() {
  MutexLock lock(mu);
  if (!started)
    startLocked();
  return static_cast<unsigned>(workers.size()) + 1;
}

unsigned RunPool::drain(Job &job) {
  unsigned ran = 0;
  for (unsigned t; (t = job.next.fetch_add(1)) < job.tasks; ++ran)
    job.fn(t);
  return ran;
}

/// Waits a little inside a polling loop without hogging the core's pipeline.
static inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Polls `ready` for up to RunPool::kSpinMicros; true when it held.
template <typename Ready> static bool spinUntil(Ready ready) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point until = Clock::now() + std::chrono::microseconds(RunPool::kSpinMicros);
  do {
    for (int i = 0; i < 64; ++i) {
      if (ready())
        return true;
      relax();
    }
  } while (Clock::now() < until);
  return ready();
}

RunPool::Job *RunPool::takeSeatLocked() {
  Job *job = jobs.front();
  ++job->active;
  if (++job->joined == job->seats) {
    jobs.erase(jobs.begin());
    publishQueueLocked();
  }
  return job;
}

void RunPool::work() {
  for (;;) {
    spinUntil([&] {
      return queued.load(std::memory_order_relaxed) != 0 ||
             stopRequested.load(std::memory_order_relaxed);
    });
    Job *job;
    {
      MutexLock lock(mu);
      mu.await(absl::Condition(
          +[](RunPool *p)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return p->stopping || !p->jobs.empty(); },
          this));
      if (stopping)
        return;
      job = takeSeatLocked();
    }
    unsigned ran = drain(*job);
    MutexLock lock(mu);
    finishLocked(*job, ran);
    --job->active;
  }
}

void RunPool::finishLocked(Job &job, unsigned ran) {
  // Every task is taken: no one else needs to pick the job up.
  auto it = std::find(jobs.begin(), jobs.end(), &job);
  if (it != jobs.end()) {
    jobs.erase(it);
    publishQueueLocked();
  }
  job.done += ran;
}

void RunPool::parallelFor(unsigned tasks, unsigned threads, llvm::function_ref<void(unsigned)> fn) {
  if (tasks == 0)
    return;
  Job job;
  job.fn = fn;
  job.tasks = tasks;
  {
    MutexLock lock(mu);
    if (!started)
      startLocked();
    job.seats =
        std::min({tasks - 1, std::max(threads, 1u) - 1, static_cast<unsigned>(workers.size())});
    if (job.seats > 0 && !stopping) {
      jobs.push_back(&job);
      publishQueueLocked();
    }
  }
  unsigned ran = drain(job);
  MutexLock lock(mu);
  finishLocked(job, ran);
  // The job lives on this stack: wait until every task has returned and no
  // worker still holds it.
  mu.await(absl::Condition(
      +[](Job *j) ABSL_NO_THREAD_SAFETY_ANALYSIS { return j->done == j->tasks && j->active == 0; },
      &job));
}

void RunPool::stopAtExit() {
  RunPool &p = instance();
  std::vector<pthread_t> threads;
  {
    MutexLock lock(p.mu);
    p.stopping = true;
    p.stopRequested.store(true, std::memory_order_relaxed);
    threads.swap(p.workers);
  }
  for (pthread_t t : threads)
    pthread_join(t, nullptr);
}

} // namespace engine
} // namespace specjit
