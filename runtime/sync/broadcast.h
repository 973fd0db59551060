// magpie::broadcast — a multi-producer, multi-consumer channel where every
// receiver sees every message: a bounded ring that senders write and each
// receiver reads at its own position. tokio::sync::broadcast in C++.
//
//   auto [tx, rx] = magpie::broadcast::channel<Event>(16);
//   auto rx2 = tx.subscribe();               // sees messages sent from now
//   tx.send(event);                          // never waits
//
//   // a task:
//   while (true) {
//     auto r = co_await rx.recv();
//     if (r.ok()) { handle(*r); continue; }
//     if (r.error().kind() == broadcast::RecvError::Kind::kLagged) {
//       log("missed", r.error().skipped());   // slow: oldest dropped
//       continue;
//     }
//     break;                                 // kClosed: senders gone
//   }
//
// The ring holds the last `capacity` messages (rounded up to a power of
// two). Senders never wait: a send overwrites the oldest message. A
// receiver that fell more than `capacity` behind gets RecvError kLagged
// with the number it missed — not silence — and then continues from the
// oldest message still in the ring. Once every sender is gone, receivers
// drain what is left to them and then get kClosed. T must be copyable:
// each receiver gets its own copy.
//
// The ring is guarded by one core::Mutex. Why not Tokio's per-slot locks:
// correctness under ThreadSanitizer first; the lock is held for one slot
// write or read. The price, stated plainly: T's copy constructor (recv) and
// move assignment (send) run under the lock and must not touch the channel;
// T's destructor never does (an overwritten message is destroyed after
// unlocking). Messages are kept until overwritten, not freed as soon as
// every receiver has read them.
//
// Ownership: Sender is copyable (each copy counts as a sender); Receiver is
// move-only (resubscribe() makes another, starting at the newest message).
// A Recv future borrows its Receiver. Threads: any; each Receiver (and its
// Recv) used by one thread at a time.
//
// Cancellation: recv() is cancellation-safe: a Recv dropped before Ready
// took nothing; the receiver's position is unchanged.
//
// Memory ordering: everything is under the mutex; waiter nodes (in Recv
// futures) are unlinked and woken by send() and by the last sender's drop,
// after unlocking (waiter rule 2).

#ifndef MAGPIE_RUNTIME_SYNC_BROADCAST_H_
#define MAGPIE_RUNTIME_SYNC_BROADCAST_H_

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/arc.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll.h"
#include "runtime/sync/result.h"
#include "runtime/sync/waiter_list.h"

namespace magpie::broadcast {

class RecvError {
 public:
  enum class Kind {
    kClosed,  // every sender is gone and everything was received
    kLagged,  // skipped() messages were overwritten before this receiver
              // read them; the next recv() returns the oldest one left
  };
  static RecvError closed() { return RecvError(Kind::kClosed, 0); }
  static RecvError lagged(std::uint64_t n) {
    return RecvError(Kind::kLagged, n);
  }
  Kind kind() const { return kind_; }
  std::uint64_t skipped() const { return skipped_; }

 private:
  RecvError(Kind kind, std::uint64_t skipped)
      : kind_(kind), skipped_(skipped) {}
  Kind kind_;
  std::uint64_t skipped_;
};

class TryRecvError {
 public:
  enum class Kind { kEmpty, kClosed, kLagged };
  Kind kind() const { return kind_; }
  std::uint64_t skipped() const { return skipped_; }

 private:
  template <class T>
  friend class Receiver;
  TryRecvError(Kind kind, std::uint64_t skipped)
      : kind_(kind), skipped_(skipped) {}
  Kind kind_;
  std::uint64_t skipped_;
};

// send() with no receiver; the value is handed back.
template <class T>
struct SendError {
  T value;
};

template <class T>
class Sender;
template <class T>
class Receiver;

namespace internal {

// One waiting Recv. Fields guarded by the Shared's mu.
struct Node : sync::internal::WaiterLink {
  Waker waker;
};

template <class T>
struct Shared {
  explicit Shared(std::size_t capacity) : mask(capacity - 1), ring(capacity) {}

  struct Slot {
    std::uint64_t pos = 0;  // the position written here (valid if value)
    std::optional<T> value;
  };

  const std::uint64_t mask;
  core::Mutex mu;
  std::vector<Slot> ring ABSL_GUARDED_BY(mu);
  std::uint64_t tail ABSL_GUARDED_BY(mu) = 0;  // the next position to write
  std::size_t rx_count ABSL_GUARDED_BY(mu) = 1;
  std::size_t tx_count ABSL_GUARDED_BY(mu) = 1;
  sync::internal::WaiterList<Node> waiters ABSL_GUARDED_BY(mu);
};

}  // namespace internal

template <class T>
class Sender {
 public:
  Sender(const Sender& other) : shared_(other.shared_) {
    core::MutexLock lock(&shared_->mu);
    ++shared_->tx_count;
  }
  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender other) noexcept {
    std::swap(shared_, other.shared_);
    return *this;
  }
  ~Sender() {
    if (!shared_) return;
    sync::internal::WakeList wake;
    core::MutexLock lock(&shared_->mu);
    if (--shared_->tx_count == 0) {
      // The last sender: every waiting receiver gets kClosed (once it has
      // drained what is left to it).
      while (internal::Node* node = shared_->waiters.pop_front()) {
        wake.push(std::move(node->waker));
      }
    }
  }

  // Queues the message for every current receiver; returns how many there
  // are. Fails (handing the value back) if there is none. Never waits.
  sync::Result<std::size_t, SendError<T>> send(T value) {
    sync::internal::WakeList wake;
    std::optional<T> overwritten;  // destroyed after unlocking
    std::size_t receivers;
    {
      core::MutexLock lock(&shared_->mu);
      receivers = shared_->rx_count;
      if (receivers == 0) return sync::err(SendError<T>{std::move(value)});
      auto& slot = shared_->ring[shared_->tail & shared_->mask];
      overwritten = std::move(slot.value);
      slot.value.emplace(std::move(value));
      slot.pos = shared_->tail++;
      while (internal::Node* node = shared_->waiters.pop_front()) {
        wake.push(std::move(node->waker));
      }
    }
    return receivers;
  }

  // A receiver that gets the messages sent from now on.
  Receiver<T> subscribe() const {
    core::MutexLock lock(&shared_->mu);
    ++shared_->rx_count;
    return Receiver<T>(shared_, shared_->tail);
  }

  std::size_t receiver_count() const {
    core::MutexLock lock(&shared_->mu);
    return shared_->rx_count;
  }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t capacity);
  explicit Sender(Arc<internal::Shared<T>> shared)
      : shared_(std::move(shared)) {}

  Arc<internal::Shared<T>> shared_;
};

template <class T>
class Receiver {
 public:
  class Recv;

  Receiver(Receiver&& other) noexcept
      : shared_(std::move(other.shared_)), next_(other.next_) {}
  Receiver& operator=(Receiver&& other) noexcept {
    Receiver taken(std::move(other));
    std::swap(shared_, taken.shared_);
    std::swap(next_, taken.next_);
    return *this;
  }
  ~Receiver() {
    if (!shared_) return;
    core::MutexLock lock(&shared_->mu);
    --shared_->rx_count;
  }

  // The next message for this receiver. Output: Result<T, RecvError>.
  // Cancellation-safe.
  Recv recv() { return Recv(this); }

  sync::Result<T, TryRecvError> try_recv() {
    core::MutexLock lock(&shared_->mu);
    Step step = next_locked();
    switch (step.what) {
      case Step::kValue:
        return std::move(*step.value);
      case Step::kLagged:
        return sync::err(
            TryRecvError(TryRecvError::Kind::kLagged, step.skipped));
      case Step::kClosed:
        return sync::err(TryRecvError(TryRecvError::Kind::kClosed, 0));
      case Step::kEmpty:
        break;
    }
    return sync::err(TryRecvError(TryRecvError::Kind::kEmpty, 0));
  }

  // A new receiver starting at the newest message (as Tokio's).
  Receiver resubscribe() const {
    core::MutexLock lock(&shared_->mu);
    ++shared_->rx_count;
    return Receiver(shared_, shared_->tail);
  }

 private:
  friend class Sender<T>;
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t capacity);
  Receiver(Arc<internal::Shared<T>> shared, std::uint64_t next)
      : shared_(std::move(shared)), next_(next) {}

  struct Step {
    enum What { kValue, kLagged, kClosed, kEmpty } what;
    std::optional<T> value;
    std::uint64_t skipped = 0;
  };

  // What this receiver gets now; advances next_ past a value or a lag.
  Step next_locked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    if (next_ < shared_->tail) {
      const std::uint64_t capacity = shared_->mask + 1;
      const std::uint64_t oldest =
          shared_->tail > capacity ? shared_->tail - capacity : 0;
      if (next_ < oldest) {
        const std::uint64_t skipped = oldest - next_;
        next_ = oldest;
        return Step{Step::kLagged, std::nullopt, skipped};
      }
      const auto& slot = shared_->ring[next_ & shared_->mask];
      assert(slot.pos == next_ && slot.value.has_value());
      ++next_;
      return Step{Step::kValue, *slot.value, 0};  // T's copy, under the lock
    }
    if (shared_->tx_count == 0) return Step{Step::kClosed, std::nullopt, 0};
    return Step{Step::kEmpty, std::nullopt, 0};
  }

  Arc<internal::Shared<T>> shared_;
  std::uint64_t next_;  // the next position this receiver reads
};

// The future of Receiver::recv(). Movable only before its first poll.
template <class T>
class [[nodiscard]] Receiver<T>::Recv {
 public:
  using Output = sync::Result<T, RecvError>;

  Recv(Recv&& other) noexcept : rx_(other.rx_) {
    assert(!other.registered_ && "Recv moved after it waited");
  }
  Recv& operator=(Recv&&) = delete;
  ~Recv() {
    if (!registered_) return;  // never linked: nothing to undo
    Waker stale;
    core::MutexLock lock(&rx_->shared_->mu);
    if (node_.linked) rx_->shared_->waiters.remove(&node_);
    stale = std::move(node_.waker);
  }

  Poll<Output> poll(Context& cx) {
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    Waker stale;
    core::MutexLock lock(&rx_->shared_->mu);
    Step step = rx_->next_locked();
    switch (step.what) {
      case Step::kValue:
        coop->made_progress();
        return Output(std::move(*step.value));
      case Step::kLagged:
        coop->made_progress();
        return Output(sync::err(RecvError::lagged(step.skipped)));
      case Step::kClosed:
        coop->made_progress();
        return Output(sync::err(RecvError::closed()));
      case Step::kEmpty:
        break;
    }
    // Waiter rule 3: registered under the same lock hold as the check.
    if (!node_.linked) {
      node_.waker = cx.waker();
      rx_->shared_->waiters.push_back(&node_);
      registered_ = true;
    } else if (!node_.waker.will_wake(cx.waker())) {
      stale = std::exchange(node_.waker, cx.waker());
    }
    return Pending;
  }

 private:
  friend class Receiver<T>;
  using Step = typename Receiver<T>::Step;
  explicit Recv(Receiver<T>* rx) : rx_(rx) {}

  Receiver<T>* rx_;
  bool registered_ = false;  // ever linked (then ~Recv takes the lock)
  internal::Node node_;
};

// A channel whose ring holds `capacity` messages (rounded up to a power of
// two). Throws std::invalid_argument for 0 or more than 2^31.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  constexpr std::size_t kMaxCapacity = std::size_t{1} << 31;
  if (capacity == 0 || capacity > kMaxCapacity) {
    throw std::invalid_argument(
        "magpie: broadcast::channel capacity out of range");
  }
  auto shared = make_arc<internal::Shared<T>>(std::bit_ceil(capacity));
  Receiver<T> rx(shared, 0);
  return {Sender<T>(std::move(shared)), std::move(rx)};
}

}  // namespace magpie::broadcast

#endif  // MAGPIE_RUNTIME_SYNC_BROADCAST_H_
