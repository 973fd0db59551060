// magpie::mpsc — multi-producer, single-consumer channels: many tasks (or
// threads) send, one receives, in order. tokio::sync::mpsc in C++.
//
//   auto [tx, rx] = magpie::mpsc::channel<Job>(64);   // bounded: 64 queued
//   spawn(worker(std::move(rx)));
//   auto sent = co_await tx.send(job);     // waits while the channel is full
//   if (!sent.ok()) { /* receiver gone; sent.error().value is the job */ }
//
//   // the consumer task:
//   while (std::optional<Job> job = co_await rx.recv()) handle(*job);
//   // nullopt: every sender is gone and the queue is drained
//
//   auto [utx, urx] = magpie::mpsc::unbounded_channel<Event>();
//   utx.send(event);                        // never waits (no back-pressure)
//
// Bounded channels apply back-pressure: send() waits, FIFO among senders,
// until there is room (the capacity is a Semaphore, see mpsc_chan.h);
// try_send() fails with kFull instead; reserve() waits for room first and
// returns a Permit whose send() cannot fail or wait — the way to not lose a
// message when the wait is cancelled (below).
//
// Ownership: Sender is copyable (each copy counts as a sender; a Permit
// counts too); Receiver is move-only. Futures borrow their Sender or
// Receiver: keep it alive (and in place) until the future is done.
// Threads: senders on any threads; the Receiver on one thread at a time.
// blocking_send() / blocking_recv() are for plain threads (and the blocking
// pool); on a runtime worker they throw std::logic_error.
//
// Cancellation safety:
//  - recv(): cancellation-safe. A Recv dropped before Ready took nothing;
//    the message stays queued for the next recv().
//  - send(): the wait for room is cancellation-safe (no slot is lost), but
//    the message is owned by the Send future: dropping it drops the message
//    (it was never sent). Use reserve() and Permit::send() when a cancelled
//    send must keep its message.
//  - reserve(), closed(): cancellation-safe (a dropped Reserve gives back
//    any slot it was handed; Semaphore rule 2).
//
// Memory ordering: see mpsc_chan.h; a message is published to the receiver
// by the channel lock it is pushed under.

#ifndef MAGPIE_RUNTIME_SYNC_MPSC_H_
#define MAGPIE_RUNTIME_SYNC_MPSC_H_

#include <cassert>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>

#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/sync/blocking.h"
#include "runtime/sync/mpsc_chan.h"
#include "runtime/sync/result.h"

namespace magpie::mpsc {

// The receiver is gone (or closed); `value` is the message, handed back.
template <class T>
struct SendError {
  T value;
};

template <class T>
struct TrySendError {
  enum class Kind { kFull, kClosed };
  Kind kind;
  T value;  // the message, handed back
};

// reserve(): the receiver is gone or closed.
enum class ReserveError { kClosed };
enum class TryReserveError { kFull, kClosed };

template <class T>
class Sender;
template <class T>
class Receiver;
template <class T>
class UnboundedSender;
template <class T>
class UnboundedReceiver;

namespace internal {

// What Receiver and UnboundedReceiver share.
template <class T>
class RxBase {
 public:
  class Recv;

  RxBase(RxBase&&) noexcept = default;
  RxBase& operator=(RxBase&& other) noexcept {
    if (this != &other) {
      drop();
      chan_ = std::move(other.chan_);
    }
    return *this;
  }
  ~RxBase() { drop(); }

  // The next message; nullopt once no more can come (every sender gone and
  // the queue drained, or closed and drained). Cancellation-safe.
  Recv recv() { return Recv(chan_.get()); }

  sync::Result<T, TryRecvError> try_recv() { return chan_->try_recv(); }

  // recv() for plain threads: blocks until a message or the end. Throws
  // std::logic_error on a runtime worker.
  std::optional<T> blocking_recv() {
    sync::internal::check_may_block("mpsc::Receiver::blocking_recv");
    return block_on(recv());
  }

  // Refuses new sends (waiting ones fail and get their value back) while
  // the messages already queued (and sends that hold a slot) can still be
  // received. Idempotent.
  void close() { chan_->close_rx(); }

 protected:
  explicit RxBase(Arc<Chan<T>> chan) : chan_(std::move(chan)) {}

 private:
  void drop() {
    if (chan_) chan_->drop_rx();
    chan_ = Arc<Chan<T>>();
  }

  Arc<Chan<T>> chan_;
};

// The future of recv(). Output: std::optional<T>. Movable any time (it
// keeps no state of its own between polls).
template <class T>
class [[nodiscard]] RxBase<T>::Recv {
 public:
  using Output = std::optional<T>;
  Poll<std::optional<T>> poll(Context& cx) { return chan_->poll_recv(cx); }

 private:
  friend class RxBase<T>;
  explicit Recv(Chan<T>* chan) : chan_(chan) {}
  Chan<T>* chan_;
};

// What Sender and UnboundedSender share: the counted handle.
template <class T>
class TxBase {
 public:
  class Closed;

  TxBase(const TxBase& other) : chan_(other.chan_) { chan_->add_sender(); }
  TxBase(TxBase&&) noexcept = default;
  TxBase& operator=(const TxBase& other) {
    if (this != &other) {
      TxBase copy(other);
      std::swap(chan_, copy.chan_);
    }
    return *this;
  }
  TxBase& operator=(TxBase&& other) noexcept {
    if (this != &other) {
      TxBase taken(std::move(other));
      std::swap(chan_, taken.chan_);
    }
    return *this;
  }
  ~TxBase() {
    if (chan_) chan_->drop_sender();
  }

  // True once the receiver closed or was dropped.
  bool is_closed() const { return chan_->is_rx_closed(); }

  // Completes when the receiver closes or is dropped. Cancellation-safe.
  Closed closed() const { return Closed(chan_.get()); }

  bool same_channel(const TxBase& other) const {
    return chan_.ptr_eq(other.chan_);
  }

 protected:
  explicit TxBase(Arc<Chan<T>> chan) : chan_(std::move(chan)) {}
  Chan<T>* chan() const { return chan_.get(); }

 private:
  Arc<Chan<T>> chan_;
};

// The future of closed(). Output: void. Movable only before its first poll.
template <class T>
class [[nodiscard]] TxBase<T>::Closed {
 public:
  using Output = void;

  Closed(Closed&& other) noexcept : chan_(other.chan_) {
    assert(!other.notified_ && "Closed moved after its first poll");
  }

  Poll<void> poll(Context& cx) {
    // Make the Notified first, then check: a close() that lands between
    // the check and the poll bumps notify_waiters and completes it.
    if (!notified_) notified_.emplace(chan_->rx_closed_notify().notified());
    if (chan_->is_rx_closed()) return ready();
    return notified_->poll(cx);  // only close_rx() calls notify_waiters
  }

 private:
  friend class TxBase<T>;
  explicit Closed(Chan<T>* chan) : chan_(chan) {}
  Chan<T>* chan_;
  std::optional<sync::Notify::Notified> notified_;
};

}  // namespace internal

// A slot reserved in a bounded channel: send() with it never waits or fails
// for room. Dropping it unused gives the slot back. Counts as a sender.
template <class T>
class [[nodiscard]] Permit {
 public:
  Permit(Permit&& other) noexcept
      : tx_(std::move(other.tx_)), armed_(std::exchange(other.armed_, false)) {}
  Permit& operator=(Permit&&) = delete;
  ~Permit() {
    if (armed_) tx_->chan()->release_slot();
  }

  // Sends with the reserved slot. The message is dropped if the receiver
  // is already gone (as with any message it never received).
  void send(T value) && {
    assert(armed_);
    armed_ = false;
    (void)tx_->chan()->push(value, /*check_closed=*/false);
  }

 private:
  friend class Sender<T>;
  explicit Permit(Sender<T> tx) : tx_(std::in_place, std::move(tx)) {}

  std::optional<Sender<T>> tx_;
  bool armed_ = true;
};

template <class T>
class Sender : public internal::TxBase<T> {
 public:
  class Send;
  class Reserve;

  // Sends, waiting for room. Output: Result<void, SendError<T>> (the error
  // hands the value back). See the top for cancellation.
  Send send(T value) { return Send(this->chan(), std::move(value)); }

  // Sends now if there is room.
  sync::Result<void, TrySendError<T>> try_send(T value) {
    auto slot = this->chan()->slots().try_acquire(1);
    if (!slot.ok()) {
      return sync::err(
          TrySendError<T>{slot.error() == sync::TryAcquireError::kClosed
                              ? TrySendError<T>::Kind::kClosed
                              : TrySendError<T>::Kind::kFull,
                          std::move(value)});
    }
    slot->forget();  // the message carries it (chan rule 1)
    (void)this->chan()->push(value, /*check_closed=*/false);
    return {};
  }

  // Waits for room, then gives a Permit. Output: Result<Permit<T>,
  // ReserveError>. Cancellation-safe.
  Reserve reserve() { return Reserve(this); }

  sync::Result<Permit<T>, TryReserveError> try_reserve() {
    auto slot = this->chan()->slots().try_acquire(1);
    if (!slot.ok()) {
      return sync::err(slot.error() == sync::TryAcquireError::kClosed
                           ? TryReserveError::kClosed
                           : TryReserveError::kFull);
    }
    slot->forget();
    return Permit<T>(*this);
  }

  // send() for plain threads: blocks while the channel is full. Throws
  // std::logic_error on a runtime worker.
  sync::Result<void, SendError<T>> blocking_send(T value) {
    sync::internal::check_may_block("mpsc::Sender::blocking_send");
    return block_on(send(std::move(value)));
  }

  // Free slots now (a snapshot), and the channel's capacity.
  std::size_t capacity() const {
    return this->chan()->slots().available_permits();
  }
  std::size_t max_capacity() const { return this->chan()->max_capacity(); }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t capacity);
  friend class Permit<T>;
  using internal::TxBase<T>::TxBase;
};

// The future of Sender::send(). Movable only before its first poll.
template <class T>
class [[nodiscard]] Sender<T>::Send {
 public:
  using Output = sync::Result<void, SendError<T>>;

  Send(Send&&) noexcept = default;
  Send& operator=(Send&&) = delete;

  Poll<Output> poll(Context& cx) {
    auto slot = acquire_.poll(cx);
    if (slot.is_pending()) return Pending;
    auto permit = std::move(slot).value();
    if (!permit.ok())
      return Output(sync::err(SendError<T>{std::move(*value_)}));
    permit->forget();  // the message carries it (chan rule 1)
    (void)chan_->push(*value_, /*check_closed=*/false);
    return Output();
  }

 private:
  friend class Sender<T>;
  Send(internal::Chan<T>* chan, T value)
      : chan_(chan),
        value_(std::move(value)),
        acquire_(chan->slots().acquire(1)) {}

  internal::Chan<T>* chan_;
  std::optional<T> value_;
  sync::Semaphore::Acquire acquire_;
};

// The future of Sender::reserve(). Movable only before its first poll.
template <class T>
class [[nodiscard]] Sender<T>::Reserve {
 public:
  using Output = sync::Result<Permit<T>, ReserveError>;

  Reserve(Reserve&&) noexcept = default;
  Reserve& operator=(Reserve&&) = delete;

  Poll<Output> poll(Context& cx) {
    auto slot = acquire_.poll(cx);
    if (slot.is_pending()) return Pending;
    auto permit = std::move(slot).value();
    if (!permit.ok()) return Output(sync::err(ReserveError::kClosed));
    permit->forget();  // the Permit carries it
    return Output(Permit<T>(*tx_));
  }

 private:
  friend class Sender<T>;
  explicit Reserve(Sender<T>* tx)
      : tx_(tx), acquire_(tx->chan()->slots().acquire(1)) {}

  Sender<T>* tx_;
  sync::Semaphore::Acquire acquire_;
};

template <class T>
class Receiver : public internal::RxBase<T> {
 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t capacity);
  using internal::RxBase<T>::RxBase;
};

template <class T>
class UnboundedSender : public internal::TxBase<T> {
 public:
  // Queues the value; never waits. Fails (handing it back) once the
  // receiver closed or was dropped.
  sync::Result<void, SendError<T>> send(T value) {
    if (this->chan()->push(value, /*check_closed=*/true) ==
        internal::Chan<T>::PushResult::kRxClosed) {
      return sync::err(SendError<T>{std::move(value)});
    }
    return {};
  }

 private:
  template <class U>
  friend std::pair<UnboundedSender<U>, UnboundedReceiver<U>>
  unbounded_channel();
  using internal::TxBase<T>::TxBase;
};

template <class T>
class UnboundedReceiver : public internal::RxBase<T> {
 private:
  template <class U>
  friend std::pair<UnboundedSender<U>, UnboundedReceiver<U>>
  unbounded_channel();
  using internal::RxBase<T>::RxBase;
};

// A bounded channel holding at most `capacity` queued messages. Throws
// std::invalid_argument for capacity 0 (as Tokio refuses it) or above
// Semaphore::kMaxPermits.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0 || capacity > sync::Semaphore::kMaxPermits) {
    throw std::invalid_argument("magpie: mpsc::channel capacity out of range");
  }
  auto chan = make_arc<internal::Chan<T>>(std::optional<std::size_t>(capacity));
  return {Sender<T>(chan), Receiver<T>(chan)};
}

template <class T>
std::pair<UnboundedSender<T>, UnboundedReceiver<T>> unbounded_channel() {
  auto chan = make_arc<internal::Chan<T>>(std::optional<std::size_t>());
  return {UnboundedSender<T>(chan), UnboundedReceiver<T>(chan)};
}

}  // namespace magpie::mpsc

#endif  // MAGPIE_RUNTIME_SYNC_MPSC_H_
