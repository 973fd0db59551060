// magpie::watch — a channel that holds one value, the latest: one sender
// updates it, any number of receivers look at it and wait for changes.
// tokio::sync::watch in C++ (configuration reloads, shutdown states,
// progress).
//
//   auto [tx, rx] = magpie::watch::channel<Config>(load());
//   tx.send(reload());                        // any thread; never waits
//
//   // a task:
//   while ((co_await rx.changed()).ok()) {   // error once tx is gone
//     Config now = *rx.borrow_and_update();   // the latest, marked seen
//     apply(now);
//   }
//
// Versions: every send bumps a version number; each Receiver remembers the
// version it has seen. changed() completes as soon as the version differs
// from the seen one — so no change is missed, though changes that come in
// a burst are seen as one (the receiver sees the latest value, never a
// stale one). borrow_and_update() marks the current version seen; borrow()
// does not.
//
// Ownership: one Sender (move-only); Receivers are copyable (a copy starts
// with the same seen version); either side may go first. Futures borrow the
// Receiver or Sender they come from. Threads: any; each handle and its
// futures used by one thread at a time.
//
// borrow() returns a Ref: a read lock on the value. Keep it short and never
// hold it across a co_await: the sender waits for it to go before it can
// write.
//
// Cancellation: changed() and Sender::closed() are cancellation-safe (a
// dropped changed() marks nothing seen).
//
// Memory ordering: the value is guarded by a reader-writer lock; the
// version (bit 0: CLOSED, the sender is gone; the rest: a count bumped by 2
// per send) is bumped with a release RMW while the write lock is held, and
// read with acquire, so a receiver that sees a version sees its value.
// Wakeups go through a Notify (notify_waiters on each send and on close);
// changed() creates its Notified before it checks the version, so a send
// landing after the check still completes it (Notify's notify_waiters
// reaches every Notified that exists).

#ifndef MAGPIE_RUNTIME_SYNC_WATCH_H_
#define MAGPIE_RUNTIME_SYNC_WATCH_H_

#include <cassert>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/poll.h"
#include "runtime/sync/notify.h"
#include "runtime/sync/result.h"
#include "runtime/sync/shared_mutex.h"

namespace magpie::watch {

// changed() / has_changed(): the sender is gone (and every version seen).
enum class RecvError { kClosed };

// send() with no receiver left; the value is handed back (not stored).
template <class T>
struct SendError {
  T value;
};

template <class T>
class Sender;
template <class T>
class Receiver;

namespace internal {

inline constexpr std::uint64_t kClosed = 1;
inline constexpr std::uint64_t kStep = 2;

template <class T>
struct Shared {
  template <class... Args>
  explicit Shared(Args&&... args) : value(std::forward<Args>(args)...) {}

  sync::internal::SharedMutex lock;
  T value ABSL_GUARDED_BY(lock);
  core::Atomic<std::uint64_t> version{0};
  core::Atomic<std::size_t> rx_count{1};
  sync::Notify changed;  // notify_waiters on send and on close
  sync::Notify rx_gone;  // notify_waiters when rx_count reaches 0
};

}  // namespace internal

// A read lock on the value (see the top). Move-only.
template <class T>
class [[nodiscard]] Ref {
 public:
  Ref(Ref&& other) noexcept
      : shared_(std::exchange(other.shared_, nullptr)),
        has_changed_(other.has_changed_) {}
  Ref& operator=(Ref&&) = delete;
  ~Ref() ABSL_NO_THREAD_SAFETY_ANALYSIS {  // releases the borrow's lock
    if (shared_ != nullptr) shared_->lock.unlock_shared();
  }

  // The value; valid while the Ref lives. (The Ref holds the read lock.)
  const T& operator*() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return shared_->value;
  }
  const T* operator->() const { return &**this; }

  // Whether this value was unseen by the receiver when borrowed.
  bool has_changed() const { return has_changed_; }

 private:
  friend class Sender<T>;
  friend class Receiver<T>;
  Ref(internal::Shared<T>* shared,
      bool has_changed) ABSL_NO_THREAD_SAFETY_ANALYSIS
      : shared_(shared),
        has_changed_(has_changed) {
    shared_->lock.lock_shared();
  }

  internal::Shared<T>* shared_;
  bool has_changed_;
};

template <class T>
class Receiver {
 public:
  class Changed;

  Receiver(const Receiver& other) : shared_(other.shared_), seen_(other.seen_) {
    // ORDERING: relaxed; copied from a live receiver.
    shared_->rx_count.fetch_add(1, std::memory_order_relaxed);
  }
  Receiver(Receiver&& other) noexcept
      : shared_(std::move(other.shared_)), seen_(other.seen_) {}
  Receiver& operator=(Receiver other) noexcept {
    std::swap(shared_, other.shared_);
    std::swap(seen_, other.seen_);
    return *this;
  }
  ~Receiver() {
    // ORDERING: acq_rel; the last receiver tells Sender::closed().
    if (shared_ &&
        shared_->rx_count.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      shared_->rx_gone.notify_waiters();
    }
  }

  // The current value, read-locked; does not mark it seen.
  Ref<T> borrow() const {
    Ref<T> ref(shared_.get(), false);
    // ORDERING: acquire, under the read lock: the version of this value.
    ref.has_changed_ = (shared_->version.load(std::memory_order_acquire) &
                        ~internal::kClosed) != seen_;
    return ref;
  }

  // The current value, read-locked, and marks it seen.
  Ref<T> borrow_and_update() {
    Ref<T> ref(shared_.get(), false);
    // ORDERING: acquire, under the read lock: the version of this value.
    const std::uint64_t version =
        shared_->version.load(std::memory_order_acquire) & ~internal::kClosed;
    ref.has_changed_ = version != seen_;
    seen_ = version;
    return ref;
  }

  // True if a value newer than the seen one is there; kClosed if not and
  // the sender is gone.
  sync::Result<bool, RecvError> has_changed() const {
    const std::uint64_t version =
        shared_->version.load(std::memory_order_acquire);
    if ((version & ~internal::kClosed) != seen_) return true;
    if (version & internal::kClosed) return sync::err(RecvError::kClosed);
    return false;
  }

  // Marks the current version seen (without borrowing).
  void mark_unchanged() {
    seen_ =
        shared_->version.load(std::memory_order_acquire) & ~internal::kClosed;
  }

  // Completes when a version newer than the seen one is there, and marks
  // it seen; RecvError::kClosed if none is and the sender is gone.
  // Cancellation-safe.
  Changed changed() { return Changed(this); }

 private:
  friend class Sender<T>;
  template <class U, class... Args>
  friend std::pair<Sender<U>, Receiver<U>> channel(Args&&... args);
  Receiver(Arc<internal::Shared<T>> shared, std::uint64_t seen)
      : shared_(std::move(shared)), seen_(seen) {}

  Arc<internal::Shared<T>> shared_;
  std::uint64_t seen_;  // a version, without the CLOSED bit
};

// The future of Receiver::changed(). Output: Result<void, RecvError>.
// Movable only before its first poll.
template <class T>
class [[nodiscard]] Receiver<T>::Changed {
 public:
  using Output = sync::Result<void, RecvError>;

  Changed(Changed&& other) noexcept : rx_(other.rx_) {
    assert(!other.notified_ && "Changed moved after its first poll");
  }
  Changed& operator=(Changed&&) = delete;

  Poll<Output> poll(Context& cx) {
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    internal::Shared<T>& shared = *rx_->shared_;
    while (true) {
      // Notified first, then the check (see "Memory ordering" above).
      if (!notified_) notified_.emplace(shared.changed.notified());
      // ORDERING: acquire pairs with the release bump in the sender.
      const std::uint64_t version =
          shared.version.load(std::memory_order_acquire);
      if ((version & ~internal::kClosed) != rx_->seen_) {
        rx_->seen_ = version & ~internal::kClosed;
        coop->made_progress();
        return Output();
      }
      if (version & internal::kClosed) {
        coop->made_progress();
        return Output(sync::err(RecvError::kClosed));
      }
      Poll<void> woke = Pending;
      {
        coop::Unconstrained inner;  // this poll's unit is the outer one
        woke = notified_->poll(cx);
      }
      if (woke.is_pending()) return Pending;
      notified_.reset();  // a send or close happened: look again
    }
  }

 private:
  friend class Receiver<T>;
  explicit Changed(Receiver<T>* rx) : rx_(rx) {}
  Receiver<T>* rx_;
  std::optional<sync::Notify::Notified> notified_;
};

template <class T>
class Sender {
 public:
  class Closed;

  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&& other) noexcept {
    if (this != &other) {
      close();
      shared_ = std::move(other.shared_);
    }
    return *this;
  }
  ~Sender() { close(); }

  // Stores the value as the latest and wakes changed(); fails (handing
  // the value back, storing nothing) if no receiver is left.
  sync::Result<void, SendError<T>> send(T value) {
    if (receiver_count() == 0) return sync::err(SendError<T>{std::move(value)});
    (void)send_replace(std::move(value));
    return {};
  }

  // Stores the value even with no receivers; returns the previous one.
  T send_replace(T value) {
    send_modify([&value](T& current) { std::swap(current, value); });
    return value;
  }

  // Updates the value in place under the write lock (keep `modify` short;
  // it must not touch this channel), then notifies.
  template <class F>
  void send_modify(F&& modify) {
    send_if_modified([&modify](T& current) {
      modify(current);
      return true;
    });
  }

  // As send_modify, but notifies (and bumps the version) only if `modify`
  // returns true.
  template <class F>
  bool send_if_modified(F&& modify) {
    bool modified;
    {
      WriteLock lock(&shared_->lock);
      modified = modify(shared_->value);
      if (modified) {
        // ORDERING: release under the write lock; pairs with the acquire
        // loads in changed(), has_changed() and borrow_and_update().
        shared_->version.fetch_add(internal::kStep, std::memory_order_release);
      }
    }
    if (modified) shared_->changed.notify_waiters();
    return modified;
  }

  // The current value, read-locked (see Ref).
  Ref<T> borrow() const { return Ref<T>(shared_.get(), false); }

  // A new receiver that has seen the current value.
  Receiver<T> subscribe() const {
    shared_->rx_count.fetch_add(1, std::memory_order_relaxed);
    return Receiver<T>(
        shared_,
        shared_->version.load(std::memory_order_acquire) & ~internal::kClosed);
  }

  std::size_t receiver_count() const {
    // ORDERING: acquire pairs with the acq_rel decrement in ~Receiver.
    return shared_->rx_count.load(std::memory_order_acquire);
  }
  bool is_closed() const { return receiver_count() == 0; }

  // Completes once every receiver is gone. Cancellation-safe.
  Closed closed() const { return Closed(shared_.get()); }

 private:
  template <class U, class... Args>
  friend std::pair<Sender<U>, Receiver<U>> channel(Args&&... args);
  explicit Sender(Arc<internal::Shared<T>> shared)
      : shared_(std::move(shared)) {}

  class ABSL_SCOPED_LOCKABLE WriteLock {
   public:
    explicit WriteLock(sync::internal::SharedMutex* mu)
        ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
        : mu_(mu) {
      mu_->lock();
    }
    ~WriteLock() ABSL_UNLOCK_FUNCTION() { mu_->unlock(); }

   private:
    sync::internal::SharedMutex* mu_;
  };

  void close() {
    if (!shared_) return;
    // ORDERING: release pairs with the acquire loads of the version.
    shared_->version.fetch_or(internal::kClosed, std::memory_order_release);
    shared_->changed.notify_waiters();
    shared_ = Arc<internal::Shared<T>>();
  }

  Arc<internal::Shared<T>> shared_;
};

// The future of Sender::closed(). Movable only before its first poll.
template <class T>
class [[nodiscard]] Sender<T>::Closed {
 public:
  using Output = void;
  Closed(Closed&& other) noexcept : shared_(other.shared_) {
    assert(!other.notified_ && "Closed moved after its first poll");
  }
  Poll<void> poll(Context& cx) {
    if (!notified_) notified_.emplace(shared_->rx_gone.notified());
    // ORDERING: acquire pairs with the acq_rel decrement in ~Receiver.
    if (shared_->rx_count.load(std::memory_order_acquire) == 0) return ready();
    return notified_->poll(cx);  // only the last receiver notifies
  }

 private:
  friend class Sender<T>;
  explicit Closed(internal::Shared<T>* shared) : shared_(shared) {}
  internal::Shared<T>* shared_;
  std::optional<sync::Notify::Notified> notified_;
};

template <class T, class... Args>
std::pair<Sender<T>, Receiver<T>> channel(Args&&... args) {
  auto shared = make_arc<internal::Shared<T>>(std::forward<Args>(args)...);
  Receiver<T> rx(shared, 0);
  return {Sender<T>(std::move(shared)), std::move(rx)};
}

}  // namespace magpie::watch

#endif  // MAGPIE_RUNTIME_SYNC_WATCH_H_
