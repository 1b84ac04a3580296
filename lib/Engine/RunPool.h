//===- RunPool.h - Threads that share the rows of one run ------*- C++ -*-===//
//
// CompileOptions::threads splits the rows of one Kernel::run into blocks
// that run on this pool's threads and the caller's. The pool is the compile
// service's twin, kept apart so that a run never waits behind a compile:
// created on first use with one thread fewer than the hardware has (the
// caller is the last), at normal priority, joined at exit. When no thread
// can be created the caller runs every block itself.
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

  /// Runs fn(0) .. fn(tasks - 1), each once, on the pool's threads and the
  /// caller's, and returns when all have returned. Safe to call from many
  /// threads at once (their tasks interleave on the pool).
  void parallelFor(unsigned tasks, llvm::function_ref<void(unsigned)> fn);

  /// Threads that can run a run's blocks at once: the workers and the caller.
  unsigned concurrency();

private:
  RunPool() = default;
  struct Job {
    llvm::function_ref<void(unsigned)> fn;
    unsigned tasks = 0;
    std::atomic<unsigned> next{0};
    unsigned done = 0;   ///< guarded by the pool's mutex
    unsigned active = 0; ///< workers holding the job (guarded likewise)
  };
  void startLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void work();
  /// Runs tasks of `job` until none is left; returns how many it ran.
  static unsigned drain(Job &job);
  /// After a drain: takes `job` off the queue and counts the tasks `ran`.
  void finishLocked(Job &job, unsigned ran) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  static void stopAtExit();

  Mutex mu;
  std::vector<Job *> jobs ABSL_GUARDED_BY(mu);
  std::vector<pthread_t> workers ABSL_GUARDED_BY(mu);
  bool started ABSL_GUARDED_BY(mu) = false;
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

} // namespace engine
} // namespace specjit

#endif
