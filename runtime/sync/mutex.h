// magpie::sync::Mutex<T> — an async mutex: lock() is a future, so a task
// that waits for the lock yields its worker instead of blocking it.
// tokio::sync::Mutex in C++.
//
//   sync::Mutex<std::vector<int>> m;
//   {
//     auto guard = co_await m.lock();   // MutexGuard<std::vector<int>>
//     guard->push_back(1);              // may co_await while holding it
//   }                                   // unlocked here
//
// When to use it: only when the lock must be held across a co_await. For
// short critical sections without awaits a plain std::mutex (core::Mutex) is
// faster and fine inside tasks.
//
// Fairness: built on a Semaphore with one permit, so waiters get the lock in
// FIFO order, and an unlock hands the lock straight to the oldest waiter.
//
// Ownership: the Mutex owns the value and must outlive its guards and Lock
// futures; a MutexGuard (move-only) is the lock; destroying it unlocks.
// Threads: every member from any thread; a guard may be moved to and
// destroyed on another thread (a task that migrates between workers).
//
// Cancellation: lock() is cancellation-safe: a Lock future dropped at any
// point — even after the lock was handed to it but before it was polled —
// passes the lock on to the next waiter (Semaphore rule 2). No handoff is
// lost.
//
// Memory ordering: the semaphore's acquire/release on its permit word (and
// its mutex for handoffs) orders every write under one guard before every
// read under the next.

#ifndef MAGPIE_RUNTIME_SYNC_MUTEX_H_
#define MAGPIE_RUNTIME_SYNC_MUTEX_H_

#include <cassert>
#include <optional>
#include <utility>

#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/sync/semaphore.h"

namespace magpie::sync {

template <class T>
class Mutex;

// Holds the lock of a Mutex<T>; unlocks when destroyed. Move-only.
template <class T>
class [[nodiscard]] MutexGuard {
 public:
  MutexGuard(MutexGuard&& other) noexcept
      : mutex_(std::exchange(other.mutex_, nullptr)) {}
  MutexGuard& operator=(MutexGuard&& other) noexcept {
    MutexGuard taken(std::move(other));
    std::swap(mutex_, taken.mutex_);
    return *this;
  }
  ~MutexGuard() {
    if (mutex_ != nullptr) mutex_->sem_.release(1);
  }

  T& operator*() const noexcept { return mutex_->value_; }
  T* operator->() const noexcept { return &mutex_->value_; }

 private:
  friend class Mutex<T>;
  explicit MutexGuard(Mutex<T>* mutex) noexcept : mutex_(mutex) {}

  Mutex<T>* mutex_;
};

template <class T>
class Mutex {
 public:
  class Lock;

  Mutex() : value_() {}
  explicit Mutex(T value) : value_(std::move(value)) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Waits for the lock, FIFO. Output: MutexGuard<T>. Cancellation-safe.
  Lock lock() { return Lock(this); }

  // The lock if it is free now and nobody waits for it.
  std::optional<MutexGuard<T>> try_lock() {
    auto permit = sem_.try_acquire(1);
    if (!permit.ok()) return std::nullopt;
    permit->forget();
    return MutexGuard<T>(this);
  }

  // Direct access for a caller that has the Mutex to itself (no guard or
  // Lock future alive anywhere).
  T& get_mut() noexcept { return value_; }

 private:
  friend class MutexGuard<T>;

  Semaphore sem_{1};
  T value_;
};

// The future of Mutex::lock(). Movable only before its first poll.
template <class T>
class [[nodiscard]] Mutex<T>::Lock {
 public:
  using Output = MutexGuard<T>;

  Lock(Lock&&) noexcept = default;
  Lock& operator=(Lock&&) = delete;

  Poll<MutexGuard<T>> poll(Context& cx) {
    auto p = acquire_.poll(cx);  // spends coop budget on Ready only
    if (p.is_pending()) return Pending;
    auto permit = std::move(p).value();
    assert(permit.ok() && "a Mutex's semaphore is never closed");
    permit->forget();  // the guard releases it
    return MutexGuard<T>(mutex_);
  }

 private:
  friend class Mutex<T>;
  explicit Lock(Mutex<T>* mutex)
      : mutex_(mutex), acquire_(mutex->sem_.acquire(1)) {}

  Mutex<T>* mutex_;
  Semaphore::Acquire acquire_;
};

}  // namespace magpie::sync

#endif  // MAGPIE_RUNTIME_SYNC_MUTEX_H_
