//===- RunPool.h - Threads that share the rows of one run ------*- C++ -*-===//
//
// CompileOptions::threads splits the rows of one Kernel::run into blocks
// that run on this pool's threads and the caller's. The pool is the compile
// service's twin, kept apart so that a run never waits behind a compile:
// created on first use with one thread fewer than the hardware has (the
// caller is the last), at normal priority, joined at exit. When no thread
// can be created the caller runs every block itself.
//
// A run hands out more blocks than it has threads, taken in turn, so a
// worker that starts late still takes a share instead of holding the run
// up. After a job a worker polls for the next one for kSpinMicros before it
// sleeps: waking a sleeping thread can take as long as a small run (tens to
// hundreds of microseconds where the virtual CPU halts), and back-to-back
// runs are what a split is for.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_RUNPOOL_H
#define SPECJIT_ENGINE_RUNPOOL_H

#include "Engine/Sync.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <atomic>
#include <pthread.h>
#include <vector>

namespace specjit {
namespace engine {

class RunPool {
public:
  static RunPool &instance();

  /// Runs fn(0) .. fn(tasks - 1), each once, on the caller's thread and at
  /// most `threads - 1` of the pool's, and returns when all have returned.
  /// Safe to call from many threads at once (their tasks interleave on the
  /// pool).
  void parallelFor(unsigned tasks, unsigned threads, llvm::function_ref<void(unsigned)> fn);

  /// How long a worker polls for a job before it sleeps.
  static constexpr int64_t kSpinMicros = 300;

  /// Threads that can run a run's blocks at once: the workers and the caller.
  unsigned concurrency();

private:
  RunPool() = default;
  struct Job {
    llvm::function_ref<void(unsigned)> fn;
    unsigned tasks = 0;
    std::atomic<unsigned> next{0};
    unsigned seats = 0;  ///< workers that may join (fixed before queued)
    unsigned done = 0;   ///< guarded by the pool's mutex
    unsigned active = 0; ///< workers holding the job (guarded likewise)
    unsigned joined = 0; ///< workers that took a seat (guarded likewise)
  };
  /// Takes the first queued job (which has a free seat) off the queue
  /// once its last seat is taken.
  Job *takeSeatLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  /// Makes a change to `jobs` visible to polling workers.
  void publishQueueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    queued.store(static_cast<unsigned>(jobs.size()), std::memory_order_relaxed);
  }
  void startLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void work();
  /// Runs tasks of `job` until none is left; returns how many it ran.
  static unsigned drain(Job &job);
  /// After a drain: takes `job` off the queue and counts the tasks `ran`.
  void finishLocked(Job &job, unsigned ran) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  static void stopAtExit();

  Mutex mu;
  std::vector<Job *> jobs ABSL_GUARDED_BY(mu);
  /// jobs.size() and stopping, for workers that poll without the lock.
  std::atomic<unsigned> queued{0};
  std::atomic<bool> stopRequested{false};
  std::vector<pthread_t> workers ABSL_GUARDED_BY(mu);
  bool started ABSL_GUARDED_BY(mu) = false;
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

} // namespace engine
} // namespace specjit

#endif
