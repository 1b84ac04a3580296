//===- Sync.h - Locks the runtime uses, visible to ThreadSanitizer -*- C++ -*-===//
//
// The runtime's caches, compile service and promotion use absl::Mutex: its
// conditional critical sections (Await with a Condition, and with a
// timeout) say what a waiter waits for without a condition variable to keep
// in step, and it is cheaper than std::mutex when uncontended.
//
// Debian's libabsl is not built with ThreadSanitizer, so TSan cannot see the
// happens-before edges absl::Mutex creates inside the library and would
// report a race on every access it guards. Mutex here wraps absl::Mutex and
// tells TSan about each acquire and release (no code in other builds).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_ENGINE_SYNC_H
#define SPECJIT_ENGINE_SYNC_H

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#if defined(__SANITIZE_THREAD__)
#define SPECJIT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPECJIT_TSAN 1
#endif
#endif
#ifdef SPECJIT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace specjit {
namespace engine {

/// absl's deadlock detector (on in Debian's build of libabsl) keeps a
/// process-wide graph of lock orders that every acquire updates: a cost on
/// every lock, and, its own locks being uninstrumented, a source of
/// ThreadSanitizer reports inside it (absl's GraphCycles). It is switched
/// off before the first Mutex exists; the 16-thread tests under TSan cover
/// lock ordering instead (docs/runtime.md, "Locks and Abseil").
inline void ignoreAbslDeadlockCycles() {
  static const bool once = [] {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
    return true;
  }();
  (void)once;
}

class ABSL_LOCKABLE Mutex {
public:
  Mutex() { ignoreAbslDeadlockCycles(); }
  Mutex(const Mutex &) = delete;
  Mutex &operator=(const Mutex &) = delete;

  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.Lock();
    acquired();
  }
  bool tryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    if (!mu_.TryLock())
      return false;
    acquired();
    return true;
  }
  void unlock() ABSL_UNLOCK_FUNCTION() {
    released();
    mu_.Unlock();
  }
  /// With the lock held: releases it until `cond` holds, then holds it again.
  void await(const absl::Condition &cond) {
    Annotated a{this, &cond}; // before the release: other threads read it
    released();
    mu_.Await(absl::Condition(&Annotated::eval, &a));
    acquired();
  }
  /// As await(), giving up after `timeout`; returns whether `cond` holds.
  bool awaitWithTimeout(const absl::Condition &cond, absl::Duration timeout) {
    Annotated a{this, &cond};
    released();
    bool held = mu_.AwaitWithTimeout(absl::Condition(&Annotated::eval, &a), timeout);
    acquired();
    return held;
  }

private:
  /// absl evaluates a waiter's condition inside the library, holding the
  /// lock, in the waiter's thread or in the one unlocking (after that one's
  /// release): the condition reads guarded state, so TSan must see an
  /// acquire before it and a release after it.
  struct Annotated {
    Mutex *mu;
    const absl::Condition *cond;
    static bool eval(Annotated *a) {
      a->mu->acquired();
      bool holds = a->cond->Eval();
      a->mu->released();
      return holds;
    }
  };
  void acquired() {
#ifdef SPECJIT_TSAN
    __tsan_acquire(this);
#endif
  }
  void released() {
#ifdef SPECJIT_TSAN
    __tsan_release(this);
#endif
  }
  absl::Mutex mu_;
};

/// Holds a Mutex for a scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
public:
  explicit MutexLock(Mutex &mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  MutexLock(const MutexLock &) = delete;
  MutexLock &operator=(const MutexLock &) = delete;

private:
  Mutex &mu_;
};

} // namespace engine
} // namespace specjit

#endif
