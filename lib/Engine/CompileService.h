//===- CompileService.h - Background compiles for tiered kernels -*- C++ -*-===//
//
// One pool per process, created on first use: a bounded number of worker
// threads (SPECJIT_COMPILE_THREADS, default half the hardware threads, at
// least one) draining a bounded queue (SPECJIT_COMPILE_QUEUE, default 64).
// A full queue refuses new work instead of blocking the caller (the kernel
// keeps interpreting and asks again later); workers take the hottest job
// first, hotness being read when a worker picks, not when the job was
// queued. When no thread can be created, submit() says so and the caller
// compiles in its own thread. Workers run at nice 10
// (SPECJIT_COMPILE_NICE) so that callers' threads win the CPU from them.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_COMPILESERVICE_H
#define SPECJIT_ENGINE_COMPILESERVICE_H

#include "Engine/Sync.h"
#include "specjit/Stats.h"

#include <atomic>
#include <functional>
#include <pthread.h>
#include <thread>
#include <vector>

namespace specjit {
namespace engine {

class CompileService {
public:
  static CompileService &instance();

  enum class Submitted { Queued, Full, NoThreads };
  /// Queues `job`; `hotness` (higher runs first) is called under the
  /// service's lock whenever a worker picks, so it must be cheap and must
  /// not call back into the service.
  Submitted submit(std::function<double()> hotness, std::function<void()> job);

  /// Blocks until nothing is queued or running, at most `timeout`; returns
  /// whether that happened.
  bool waitIdle(absl::Duration timeout);

  /// Outcome counters, kept here so that stats() has them in one place.
  std::atomic<uint64_t> compiled{0}, failed{0}, promoted{0}, rejected{0};

  jit::CompileServiceStats stats();

private:
  CompileService();
  void start() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void work();
  static void stopAtExit();

  struct Job {
    std::function<double()> hotness;
    std::function<void()> run;
  };
  Mutex mu;
  std::vector<Job> queue ABSL_GUARDED_BY(mu);
  std::vector<pthread_t> workers ABSL_GUARDED_BY(mu);
  bool started ABSL_GUARDED_BY(mu) = false;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  unsigned running ABSL_GUARDED_BY(mu) = 0;
  unsigned wantThreads = 1;
  /// Nice value of the workers (SPECJIT_COMPILE_NICE, default 10, 0-19).
  int niceness = 10;
  size_t capacity = 64;
  std::atomic<uint64_t> queued{0}, refused{0};
};

} // namespace engine
} // namespace specjit

#endif
