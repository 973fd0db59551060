// magpie::sync::RwLock<T> — an async reader-writer lock: many readers or one
// writer, and the waits are futures. tokio::sync::RwLock in C++.
//
//   sync::RwLock<Config> config;
//   { auto r = co_await config.read();  use(r->port); }    // shared
//   { auto w = co_await config.write(); w->port = 8080; }  // exclusive
//
// Fairness (writer-preferring, as Tokio's): built on a FIFO Semaphore with
// kMaxReads permits; a reader takes one, a writer takes all of them. A
// writer that waits is at the head of the queue and collects permits as the
// readers ahead of it leave, and readers that come after it queue behind
// it: a stream of readers cannot starve a writer, and waiters are served in
// arrival order.
//
// Ownership: the RwLock owns the value and must outlive its guards and
// futures. Guards are move-only and unlock when destroyed. Threads: every
// member from any thread.
//
// Cancellation: read() and write() are cancellation-safe: a future dropped
// mid-wait gives every permit assigned to it to the next waiter (Semaphore
// rule 2), so a dropped writer never strands the readers behind it.
//
// Memory ordering: as Mutex (the semaphore orders the handoffs).

#ifndef MAGPIE_RUNTIME_SYNC_RWLOCK_H_
#define MAGPIE_RUNTIME_SYNC_RWLOCK_H_

#include <cassert>
#include <cstdint>
#include <optional>
#include <utility>

#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/sync/semaphore.h"

namespace magpie::sync {

template <class T>
class RwLock;

// Shared access; releases one read permit when destroyed.
template <class T>
class [[nodiscard]] RwLockReadGuard {
 public:
  RwLockReadGuard(RwLockReadGuard&& other) noexcept
      : lock_(std::exchange(other.lock_, nullptr)) {}
  RwLockReadGuard& operator=(RwLockReadGuard&&) = delete;
  ~RwLockReadGuard() {
    if (lock_ != nullptr) lock_->sem_.release(1);
  }
  const T& operator*() const noexcept { return lock_->value_; }
  const T* operator->() const noexcept { return &lock_->value_; }

 private:
  friend class RwLock<T>;
  explicit RwLockReadGuard(RwLock<T>* lock) noexcept : lock_(lock) {}
  RwLock<T>* lock_;
};

// Exclusive access; releases every permit when destroyed.
template <class T>
class [[nodiscard]] RwLockWriteGuard {
 public:
  RwLockWriteGuard(RwLockWriteGuard&& other) noexcept
      : lock_(std::exchange(other.lock_, nullptr)) {}
  RwLockWriteGuard& operator=(RwLockWriteGuard&&) = delete;
  ~RwLockWriteGuard() {
    if (lock_ != nullptr) lock_->sem_.release(RwLock<T>::kMaxReads);
  }
  T& operator*() const noexcept { return lock_->value_; }
  T* operator->() const noexcept { return &lock_->value_; }

 private:
  friend class RwLock<T>;
  explicit RwLockWriteGuard(RwLock<T>* lock) noexcept : lock_(lock) {}
  RwLock<T>* lock_;
};

template <class T>
class RwLock {
 public:
  // Readers at once (Tokio's MAX_READS); a writer takes them all.
  static constexpr std::uint32_t kMaxReads = UINT32_MAX >> 3;

  template <class Guard, std::uint32_t kPermits>
  class LockFuture;
  using Read = LockFuture<RwLockReadGuard<T>, 1>;
  using Write = LockFuture<RwLockWriteGuard<T>, kMaxReads>;

  RwLock() : value_() {}
  explicit RwLock(T value) : value_(std::move(value)) {}
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  // Output: RwLockReadGuard<T>. Cancellation-safe.
  Read read() { return Read(this); }
  // Output: RwLockWriteGuard<T>. Cancellation-safe.
  Write write() { return Write(this); }

  std::optional<RwLockReadGuard<T>> try_read() {
    auto permit = sem_.try_acquire(1);
    if (!permit.ok()) return std::nullopt;
    permit->forget();
    return RwLockReadGuard<T>(this);
  }
  std::optional<RwLockWriteGuard<T>> try_write() {
    auto permit = sem_.try_acquire(kMaxReads);
    if (!permit.ok()) return std::nullopt;
    permit->forget();
    return RwLockWriteGuard<T>(this);
  }

  // Direct access when no guard or future is alive anywhere.
  T& get_mut() noexcept { return value_; }

 private:
  friend class RwLockReadGuard<T>;
  friend class RwLockWriteGuard<T>;

  Semaphore sem_{kMaxReads};
  T value_;
};

// The future of read() / write(). Movable only before its first poll.
template <class T>
template <class Guard, std::uint32_t kPermits>
class [[nodiscard]] RwLock<T>::LockFuture {
 public:
  using Output = Guard;

  LockFuture(LockFuture&&) noexcept = default;
  LockFuture& operator=(LockFuture&&) = delete;

  Poll<Guard> poll(Context& cx) {
    auto p = acquire_.poll(cx);
    if (p.is_pending()) return Pending;
    auto permit = std::move(p).value();
    assert(permit.ok() && "an RwLock's semaphore is never closed");
    permit->forget();  // the guard releases it
    return Guard(lock_);
  }

 private:
  friend class RwLock<T>;
  explicit LockFuture(RwLock<T>* lock)
      : lock_(lock), acquire_(lock->sem_.acquire(kPermits)) {}

  RwLock<T>* lock_;
  Semaphore::Acquire acquire_;
};

}  // namespace magpie::sync

#endif  // MAGPIE_RUNTIME_SYNC_RWLOCK_H_
