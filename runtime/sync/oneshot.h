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
// Memory ordering: send() publishes the value with a release fetch_or; the
// receiver's acquire load that sees VALUE_SENT pairs with it. The receiver's
// waker travels through an AtomicWaker (register, then re-check).

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
};

}  // namespace internal

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
    if (slot->state.load(std::memory_order_acquire) & internal::kRxClosed) {
      return std::optional<T>(std::move(value));
    }
    slot->value.emplace(std::move(value));
    // ORDERING: release publishes `value`; pairs with the acquire load in
    // Receiver::poll. Acquire pairs with the receiver's release on close.
    const std::uint32_t before =
        slot->state.fetch_or(internal::kValueSent, std::memory_order_acq_rel);
    if (before & internal::kRxClosed) {
      // The receiver went between the check above and now: it will never
      // read the value, so it is not delivered; hand it back.
      std::optional<T> back = std::move(slot->value);
      slot->value.reset();
      return back;
    }
    slot->rx_waker.wake();
    return std::nullopt;
  }

  // True once the Receiver has been dropped.
  bool is_closed() const {
    return slot_->state.load(std::memory_order_acquire) & internal::kRxClosed;
  }

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
      close();
      slot_ = std::move(other.slot_);
    }
    return *this;
  }
  ~Receiver() { close(); }

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

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel();
  explicit Receiver(Arc<internal::Slot<T>> slot) : slot_(std::move(slot)) {}

  void close() {
    if (!slot_) return;
    // ORDERING: release pairs with the acquire in Sender::send.
    slot_->state.fetch_or(internal::kRxClosed, std::memory_order_release);
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
    if (state & internal::kTxClosed) {
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
