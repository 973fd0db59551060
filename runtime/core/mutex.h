// magpie::core::Mutex / MutexLock — std::mutex with Clang thread-safety
// annotations, so fields can be ABSL_GUARDED_BY a lock that ThreadSanitizer
// also understands (Debian's absl::Mutex is not TSan-instrumented).
//
// Threads: like std::mutex. Rule 8 of STYLE.md applies: no user code (poll,
// wake, destroy a future) while one of these is held.

#ifndef MAGPIE_RUNTIME_CORE_MUTEX_H_
#define MAGPIE_RUNTIME_CORE_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "runtime/core/saturating_time.h"

namespace magpie::core {

class ABSL_LOCKABLE Mutex {
 public:
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  bool try_lock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    return mu_.try_lock();
  }

  // For std::condition_variable waits: the caller already holds *this.
  std::mutex& native() ABSL_ASSERT_EXCLUSIVE_LOCK() { return mu_; }

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Waits on `cv` with the lock held (released while asleep).
  void wait(std::condition_variable& cv) {
    std::unique_lock<std::mutex> lock(mu_->native(), std::adopt_lock);
    cv.wait(lock);
    lock.release();
  }
  // Waits at most `timeout` (any duration: it saturates, time rule 1 of
  // saturating_time.h; <= 0 returns at once). May wake early: callers loop.
  template <class Rep, class Period>
  void wait_for(std::condition_variable& cv,
                std::chrono::duration<Rep, Period> timeout) {
    wait_until(cv, deadline_after(timeout));
  }
  // Waits until `deadline`; time_point::max() waits without a limit.
  void wait_until(std::condition_variable& cv,
                  std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_->native(), std::adopt_lock);
    // condition_variable::wait_until would convert time_point::max() to a
    // clock it may add to; "never" is simply a wait without a deadline.
    if (is_never(deadline)) {
      cv.wait(lock);
    } else {
      cv.wait_until(lock, deadline);
    }
    lock.release();
  }

 private:
  Mutex* mu_;
};

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_MUTEX_H_
