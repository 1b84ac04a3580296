//===- RunPool.cpp - Threads that share the rows of one run ---------------===//
#include "Engine/RunPool.h"
#include "Engine/Threads.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

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

void RunPool::work() {
  for (;;) {
    Job *job;
    {
      MutexLock lock(mu);
      mu.await(absl::Condition(
          +[](RunPool *p)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return p->stopping || !p->jobs.empty(); },
          this));
      if (stopping)
        return;
      job = jobs.front();
      ++job->active;
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
  if (it != jobs.end())
    jobs.erase(it);
  job.done += ran;
}

void RunPool::parallelFor(unsigned tasks, llvm::function_ref<void(unsigned)> fn) {
  if (tasks == 0)
    return;
  Job job;
  job.fn = fn;
  job.tasks = tasks;
  {
    MutexLock lock(mu);
    if (!started)
      startLocked();
    if (tasks > 1 && !workers.empty() && !stopping)
      jobs.push_back(&job);
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
    threads.swap(p.workers);
  }
  for (pthread_t t : threads)
    pthread_join(t, nullptr);
}

} // namespace engine
} // namespace specjit
