// magpie::mpsc::internal::Chan<T> — the state shared by the senders and the
// receiver of an mpsc channel (bounded or unbounded). Users see mpsc.h.
//
// The message queue is a std::deque under a core::Mutex. Why not Tokio's
// lock-free block list: correctness under ThreadSanitizer comes first, and
// a deque whose lock is held for one push or pop (plus taking one waker) is
// short enough that the lock is rarely contended; the bounded channel's
// fairness and back-pressure live in its Semaphore, not in the queue. The
// price, stated plainly: T's move constructor runs under the lock (it must
// not touch the channel), while T's destructor never does (dropped messages
// are destroyed after unlocking).
//
// Capacity (bounded only): the Semaphore `slots` starts with `capacity`
// permits. A send takes one (waiting FIFO while the channel is full), the
// message carries it in the queue, and the receiver returns it when it pops
// the message. So (chan rule 1) at any time
//     slots.available + queued messages + outstanding Permits/Sends = capacity.
//
// Closing:
//  - the receiver closes (Receiver::close or its destructor): `rx_closed`;
//    the semaphore closes, so waiting and later sends fail and hand their
//    value back; Sender::closed() futures complete. Messages already queued
//    and sends that already hold a slot (Permit, a Send past its wait) still
//    arrive: the receiver drains them and then answers nullopt (chan rule 2:
//    nullopt after close only when the queue is empty and, bounded, every
//    slot is back).
//  - the last sender (Permits count as senders) goes: `tx_closed`; recv()
//    drains the queue and then answers nullopt.
//
// Threads: senders on any threads; the receiver end on one thread at a time.
//
// Memory ordering: queue, rx_waker and the two closed bits are guarded by
// `mu`; a pushed message is published by the unlock that follows the push.
// `tx_count` is a plain count: increments relaxed (a new sender is made from
// a live one), the decrement acq_rel so the last sender sees the others'
// work before it closes. `rx_closed_flag` mirrors rx_closed for lock-free
// is_closed(); it is stored under mu with release and read with acquire.

#ifndef MAGPIE_RUNTIME_SYNC_MPSC_CHAN_H_
#define MAGPIE_RUNTIME_SYNC_MPSC_CHAN_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll.h"
#include "runtime/sync/notify.h"
#include "runtime/sync/result.h"
#include "runtime/sync/semaphore.h"

namespace magpie::mpsc {

// try_recv() found nothing.
enum class TryRecvError {
  kEmpty,         // no message now; senders remain
  kDisconnected,  // no message, and none can come any more
};

namespace internal {

template <class T>
class Chan {
 public:
  // capacity: nullopt for an unbounded channel.
  explicit Chan(std::optional<std::size_t> capacity)
      : capacity_(capacity.value_or(0)),
        bounded_(capacity.has_value()),
        slots_(capacity.value_or(0)) {}

  bool bounded() const { return bounded_; }
  std::size_t max_capacity() const { return capacity_; }
  sync::Semaphore& slots() { return slots_; }
  sync::Notify& rx_closed_notify() { return rx_closed_notify_; }

  // ---- senders ----

  void add_sender() {
    // ORDERING: relaxed; made from a live sender (see the top).
    tx_count_.fetch_add(1, std::memory_order_relaxed);
  }

  void drop_sender() {
    // ORDERING: acq_rel; the last sender closes after seeing all the others.
    if (tx_count_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    Waker rx;
    {
      core::MutexLock lock(&mu_);
      tx_closed_ = true;
      rx = std::move(rx_waker_);
    }
    std::move(rx).wake();
  }

  bool is_rx_closed() const {
    // ORDERING: acquire pairs with the release store in close_rx().
    return rx_closed_flag_.load(std::memory_order_acquire);
  }

  enum class PushResult { kPushed, kRxClosed };

  // Queues `value` (moved from only when pushed). With `check_closed`, a
  // closed receiver refuses it (unbounded send); sends that hold a slot
  // push regardless (chan rule 2).
  [[nodiscard]] PushResult push(T& value, bool check_closed) {
    Waker rx;
    {
      core::MutexLock lock(&mu_);
      if (check_closed && rx_closed_) return PushResult::kRxClosed;
      queue_.push_back(std::move(value));
      rx = std::move(rx_waker_);
    }
    std::move(rx).wake();
    return PushResult::kPushed;
  }

  // A slot taken but not used (a dropped Permit): back to the semaphore,
  // and a closed receiver that waits for outstanding slots re-checks.
  void release_slot() {
    slots_.release(1);
    Waker rx;
    {
      core::MutexLock lock(&mu_);
      if (rx_closed_) rx = std::move(rx_waker_);
    }
    std::move(rx).wake();
  }

  // ---- the receiver ----

  Poll<std::optional<T>> poll_recv(Context& cx) {
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    std::optional<T> value;
    {
      core::MutexLock lock(&mu_);
      if (!queue_.empty()) {
        value.emplace(std::move(queue_.front()));
        queue_.pop_front();
      } else if (is_finished_locked()) {
        coop->made_progress();
        return std::optional<T>();
      } else {
        // Register and re-check are one lock hold (waiter rule 3).
        if (!rx_waker_.will_wake(cx.waker())) rx_waker_ = cx.waker();
        return Pending;
      }
    }
    if (bounded_) slots_.release(1);  // chan rule 1
    coop->made_progress();
    return value;
  }

  sync::Result<T, TryRecvError> try_recv() {
    std::optional<T> value;
    {
      core::MutexLock lock(&mu_);
      if (queue_.empty()) {
        if (is_finished_locked()) {
          return sync::err(TryRecvError::kDisconnected);
        }
        return sync::err(TryRecvError::kEmpty);
      }
      value.emplace(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (bounded_) slots_.release(1);
    return std::move(*value);
  }

  // Receiver::close(). Idempotent.
  void close_rx() {
    {
      core::MutexLock lock(&mu_);
      if (rx_closed_) return;
      rx_closed_ = true;
      // ORDERING: release pairs with the acquire load in is_rx_closed().
      rx_closed_flag_.store(true, std::memory_order_release);
    }
    if (bounded_) slots_.close();
    rx_closed_notify_.notify_waiters();
  }

  // The receiver is gone: close, and drop what is queued (outside the lock).
  void drop_rx() {
    close_rx();
    std::deque<T> dropped;
    Waker stale;
    {
      core::MutexLock lock(&mu_);
      dropped.swap(queue_);
      stale = std::move(rx_waker_);
    }
    if (bounded_ && !dropped.empty()) slots_.release(dropped.size());
  }

 private:
  // No message can come any more (the queue is empty): every sender is
  // gone, or the receiver closed and every slot is back (chan rule 2).
  bool is_finished_locked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (tx_closed_) return true;
    if (!rx_closed_) return false;
    return !bounded_ || slots_.available_permits() == capacity_;
  }

  const std::size_t capacity_;
  const bool bounded_;
  sync::Semaphore slots_;
  sync::Notify rx_closed_notify_;
  core::Atomic<std::size_t> tx_count_{1};
  core::Atomic<bool> rx_closed_flag_{false};

  core::Mutex mu_;
  std::deque<T> queue_ ABSL_GUARDED_BY(mu_);
  Waker rx_waker_ ABSL_GUARDED_BY(mu_);
  bool rx_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool tx_closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace internal
}  // namespace magpie::mpsc

#endif  // MAGPIE_RUNTIME_SYNC_MPSC_CHAN_H_
