//===- Threads.h - Starting the runtime's worker threads --------*- C++ -*-===//
//
// The compile service and the run pool start their workers the same way:
// pthread_create reports a failure as a value (std::thread would throw, and
// specjit builds without exceptions), so a pool keeps however many threads
// did start, and with none its callers do the work themselves.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_THREADS_H
#define SPECJIT_ENGINE_THREADS_H

#include <pthread.h>
#include <vector>

namespace specjit {
namespace engine {

/// Starts up to `n` threads running `body(arg)`; returns the ones that
/// started (fewer when the system refuses more).
inline std::vector<pthread_t> startThreads(unsigned n, void *(*body)(void *), void *arg) {
  std::vector<pthread_t> started;
  for (unsigned i = 0; i < n; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, body, arg) != 0)
      break;
    started.push_back(t);
  }
  return started;
}

} // namespace engine
} // namespace specjit

#endif
