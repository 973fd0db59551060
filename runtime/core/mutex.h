// magpie::core::Mutex / MutexLock — std::mutex with Clang thread-safety
// annotations, so fields can be ABSL_GUARDED_BY a lock that ThreadSanitizer
// also understands (Debian's absl::Mutex is not TSan-instrumented).
//
// Threads: like std::mutex. Rule 8 of STYLE.md applies: no user code (poll,
// wake, destroy a future) while one of these is held.

#ifndef MAGPIE_RUNTIME_CORE_MUTEX_H_
#define MAGPIE_RUNTIME_CORE_MUTEX_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

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
  template <class Duration>
  void wait_for(std::condition_variable& cv, Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_->native(), std::adopt_lock);
    cv.wait_for(lock, timeout);
    lock.release();
  }

 private:
  Mutex* mu_;
};

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_MUTEX_H_
