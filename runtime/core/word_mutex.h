// magpie::core::WordMutex / WordMutexLock — a mutex in one 32-bit word for
// short critical sections on hot paths (OwnedTasks' shards: a few pointer
// writes per spawn and per completion).
//
// Why not core::Mutex (std::mutex): an uncontended lock/unlock pair through
// pthread costs two out-of-line calls and ~110 instructions (callgrind,
// chained_spawn: 46 M of 311 M instructions went to OwnedTasks' two pairs
// per task). Here the uncontended pair is one inlined compare-exchange and
// one inlined exchange. Contention takes the out-of-line slow path: a short
// spin, then a futex sleep through std::atomic::wait (C++20), so a waiter
// whose holder was preempted does not burn the core.
//
// The word (Drepper, "Futexes Are Tricky", mutex 2):
//
//   0  unlocked
//   1  locked, nobody waits
//   2  locked, someone may be waiting: unlock must notify
//
// | event            | from | to | notes                                   |
// |------------------|------|----|-----------------------------------------|
// | lock, fast path  | 0    | 1  | one CAS                                 |
// | lock, slow path  | any  | 2  | exchange(2) until it returned 0; waits  |
// |                  |      |    | while the word is 2                     |
// | unlock           | 1    | 0  | no notify                               |
// | unlock           | 2    | 0  | notify_one: a waiter re-takes it as 2   |
//
// A waiter that takes the lock sets 2 even if it was the only waiter, so
// one spare notify may follow; never a missed one.
//
// Memory ordering: lock is an acquire RMW, unlock a release RMW; they pair,
// so everything written under the lock is visible to the next holder.
// ThreadSanitizer is told it is a mutex (tsan_mutex.h): it takes that
// happens-before from the annotations, reports lock-order inversions, and
// names the held WordMutex in race reports.
//
// Threads: any. Not recursive. Rule 8 of STYLE.md applies: no user code
// while it is held. Never hold it across a blocking call.

#ifndef MAGPIE_RUNTIME_CORE_WORD_MUTEX_H_
#define MAGPIE_RUNTIME_CORE_WORD_MUTEX_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/tsan_mutex.h"

namespace magpie::core {

class ABSL_LOCKABLE WordMutex {
 public:
  WordMutex() = default;
#if defined(MAGPIE_UNDER_TSAN)
  ~WordMutex() { tsan_mutex::destroy(this); }
#endif
  WordMutex(const WordMutex&) = delete;
  WordMutex& operator=(const WordMutex&) = delete;

  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    tsan_mutex::pre_lock(this);
    std::uint32_t expected = kUnlocked;
    // ORDERING: acquire pairs with the release exchange in unlock().
    if (!word_.compare_exchange_strong(expected, kLocked,
                                       std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      lock_contended();
    }
    tsan_mutex::post_lock(this);
  }

  void unlock() ABSL_UNLOCK_FUNCTION() {
    tsan_mutex::pre_unlock(this);
    // ORDERING: release pairs with the acquire RMWs in lock() and
    // lock_contended().
    if (word_.exchange(kUnlocked, std::memory_order_release) == kContended) {
      word_.notify_one();
    }
    tsan_mutex::post_unlock(this);
  }

 private:
  static constexpr std::uint32_t kUnlocked = 0;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kContended = 2;

  void lock_contended();

  Atomic<std::uint32_t> word_{kUnlocked};
};

class ABSL_SCOPED_LOCKABLE WordMutexLock {
 public:
  explicit WordMutexLock(WordMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->lock();
  }
  ~WordMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->unlock(); }
  WordMutexLock(const WordMutexLock&) = delete;
  WordMutexLock& operator=(const WordMutexLock&) = delete;

 private:
  WordMutex* mu_;
};

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_WORD_MUTEX_H_
