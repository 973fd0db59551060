// magpie::oneshot — a channel that carries exactly one value from a Sender
// to a Receiver (a Future), e.g. the reply to one request.
//
//   auto [tx, rx] = magpie::oneshot::channel<int>();
//   std::move(tx).send(5);              // from any thread, never blocks
//   std::optional<int> v = co_await rx; // nullopt: the sender went away
//
// Ownership: Sender and Receiver are move-only and share one Arc'ed slot;
// either may be dropped first. Threads: each end is used by one thread at a
// time; the two ends may be on different threads.
//
// State (one word; bits only ever get set):
//   VALUE_SENT   send() stored the value (written before the bit, so a
//                receiver that sees the bit sees the value)
//   TX_CLOSED    the Sender was dropped without sending
//   RX_CLOSED    the Receiver was dropped; send() hands the value back
//
// Memory ordering: send() publishes the value with a release CAS; the
// receiver's acquire load that sees VALUE_SENT pairs with it. The receiver's
// waker travels through an AtomicWaker (register, then re-check).
//
// Closing early: Receiver::close() sets RX_CLOSED without dropping the
// Receiver: a value sent before is still received (try_recv or poll),
// later sends hand their value back. send() stores the value first and then
// sets VALUE_SENT with a CAS that fails if RX_CLOSED is set (then it takes
// the value back), so the one atomic word decides whether a send came
// before or after a close — no value is stranded between the two. The
// Sender learns of RX_CLOSED through Sender::closed(), a future that waits
// on a second AtomicWaker (`tx_waker`).
//
// Cancellation: awaiting the Receiver is cancellation-safe (a value sent
// stays in the slot until taken); Sender::closed() is cancellation-safe.

#ifndef MAGPIE_RUNTIME_SYNC_ONESHOT_H_
#define MAGPIE_RUNTIME_SYNC_ONESHOT_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/poll.h"
#include "runtime/sync/result.h"

namespace magpie::oneshot {

namespace internal {

inline constexpr std::uint32_t kValueSent = 1;
inline constexpr std::uint32_t kTxClosed = 2;
inline constexpr std::uint32_t kRxClosed = 4;

template <class T>
struct Slot {
  core::Atomic<std::uint32_t> state{0};
  std::optional<T> value;  // written by the sender before kValueSent
  AtomicWaker rx_waker;
  AtomicWaker tx_waker;  // Sender::closed() waits here for RX_CLOSED
};

}  // namespace internal

// Receiver::try_recv() found no value.
enum class TryRecvError {
  kEmpty,   // not sent yet; the sender is still there
  kClosed,  // no value will come (sender dropped, or the receiver closed)
};

template <class T>
class Receiver;

template <class T>
class Sender {
 public:
  Sender(Sender&&) noexcept = default;
  // Releases the channel *this held exactly as ~Sender would (its receiver
  // sees the sender gone), then takes other's.
  Sender& operator=(Sender&& other) noexcept {
    if (this != &other) {
      close();
      slot_ = std::move(other.slot_);
    }
    return *this;
  }
  ~Sender() { close(); }

  // Sends the value. If the receiver is already gone, returns the value
  // back (engaged optional); otherwise returns nullopt.
  std::optional<T> send(T value) && {
    Arc<internal::Slot<T>> slot = std::move(slot_);
    // ORDERING: acquire pairs with the receiver's release in ~Receiver.
    std::uint32_t state = slot->state.load(std::memory_order_acquire);
    if (state & internal::kRxClosed) return std::optional<T>(std::move(value));
    slot->value.emplace(std::move(value));
    // ORDERING: the release CAS publishes `value`; pairs with the acquire
    // load in Receiver::try_take. It fails if the receiver closed in the
    // meantime: then the receiver never reads `value`, and it goes back.
    while (!slot->state.compare_exchange_weak(
        state, state | internal::kValueSent, std::memory_order_acq_rel,
        std::memory_order_acquire)) {
      if (state & internal::kRxClosed) {
        std::optional<T> back = std::move(slot->value);
        slot->value.reset();
        return back;
      }
    }
    slot->rx_waker.wake();
    return std::nullopt;
  }

  // True once the Receiver has been dropped.
  bool is_closed() const {
    return slot_->state.load(std::memory_order_acquire) & internal::kRxClosed;
  }

  // A future that completes once the Receiver is dropped or closed (so
  // there is no point computing the value). Borrows the Sender: keep it
  // alive, and do not send(), until the future is done or dropped.
  // Cancellation-safe.
  class Closed {
   public:
    using Output = void;
    Poll<void> poll(Context& cx) {
      auto coop = coop::poll_proceed(cx);
      if (!coop) return Pending;
      // ORDERING: acquire pairs with the release fetch_or in ~Receiver /
      // close(); register, then re-check.
      if (!(slot_->state.load(std::memory_order_acquire) &
            internal::kRxClosed)) {
        slot_->tx_waker.register_waker(cx.waker());
        if (!(slot_->state.load(std::memory_order_acquire) &
              internal::kRxClosed)) {
          return Pending;
        }
      }
      coop->made_progress();
      return ready();
    }

   private:
    friend class Sender;
    explicit Closed(internal::Slot<T>* slot) : slot_(slot) {}
    internal::Slot<T>* slot_;
  };
  Closed closed() const { return Closed(slot_.get()); }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel();
  explicit Sender(Arc<internal::Slot<T>> slot) : slot_(std::move(slot)) {}

  void close() {
    if (!slot_) return;
    // ORDERING: release, so a receiver that sees TX_CLOSED is done with us.
    slot_->state.fetch_or(internal::kTxClosed, std::memory_order_acq_rel);
    slot_->rx_waker.wake();
    slot_ = Arc<internal::Slot<T>>();
  }

  Arc<internal::Slot<T>> slot_;
};

template <class T>
class Receiver {
 public:
  using Output = std::optional<T>;

  Receiver(Receiver&&) noexcept = default;
  // Releases the channel *this held exactly as ~Receiver would (its sender
  // sees the receiver gone, and send() hands the value back), then takes
  // other's.
  Receiver& operator=(Receiver&& other) noexcept {
    if (this != &other) {
      release();
      slot_ = std::move(other.slot_);
    }
    return *this;
  }
  ~Receiver() { release(); }

  // Ready(value) once sent; Ready(nullopt) if the sender was dropped.
  Poll<std::optional<T>> poll(Context& cx) {
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    std::optional<std::optional<T>> done = try_take();
    if (!done) {
      slot_->rx_waker.register_waker(cx.waker());
      done = try_take();  // re-check
      if (!done) return Pending;
    }
    coop->made_progress();
    return std::move(*done);
  }

  // The value if it was sent; kEmpty if not yet; kClosed if it never will
  // be (or was already taken).
  sync::Result<T, TryRecvError> try_recv() {
    std::optional<std::optional<T>> done = try_take();
    if (!done) return sync::err(TryRecvError::kEmpty);
    if (!*done) return sync::err(TryRecvError::kClosed);
    return std::move(**done);
  }

  // Refuses the value from now on: a later send() hands it back, and
  // Sender::closed() completes. A value sent before is still received.
  // Idempotent.
  void close() {
    if (!slot_) return;
    // ORDERING: acq_rel; the release pairs with the acquire CAS in send().
    slot_->state.fetch_or(internal::kRxClosed, std::memory_order_acq_rel);
    slot_->tx_waker.wake();
  }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel();
  explicit Receiver(Arc<internal::Slot<T>> slot) : slot_(std::move(slot)) {}

  // What ~Receiver does: close(), then let go of the channel.
  void release() {
    close();
    slot_ = Arc<internal::Slot<T>>();
  }

  // The result if the channel is decided, else nullopt.
  std::optional<std::optional<T>> try_take() {
    // ORDERING: acquire pairs with the release in send()/close().
    const std::uint32_t state = slot_->state.load(std::memory_order_acquire);
    if (state & internal::kValueSent) {
      std::optional<T> value = std::move(slot_->value);
      slot_->value.reset();
      return std::optional<std::optional<T>>(std::move(value));
    }
    if (state & (internal::kTxClosed | internal::kRxClosed)) {
      return std::optional<std::optional<T>>(std::optional<T>());
    }
    return std::nullopt;
  }

  Arc<internal::Slot<T>> slot_;
};

template <class T>
std::pair<Sender<T>, Receiver<T>> channel() {
  auto slot = make_arc<internal::Slot<T>>();
  return {Sender<T>(slot), Receiver<T>(slot)};
}

}  // namespace magpie::oneshot

#endif  // MAGPIE_RUNTIME_SYNC_ONESHOT_H_
