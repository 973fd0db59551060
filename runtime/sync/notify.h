// magpie::sync::Notify — wakes tasks waiting for an event, without data:
// tokio::sync::Notify in C++.
//
//   sync::Notify notify;
//   // consumer task:                    // producer, any thread:
//   co_await notify.notified();          notify.notify_one();
//
// notify_one() wakes the oldest waiter; with nobody waiting it stores one
// permit (at most one: more calls do not add up), and the next notified()
// completes at once by taking it. notify_last() is the same but wakes the
// newest waiter. notify_waiters() wakes every Notified future that exists at
// the time of the call — also those created by notified() but not yet
// polled — and stores nothing.
//
// Ownership: Notify is not movable and must outlive its Notified futures.
// Threads: every member from any thread; a Notified is polled by one thread
// at a time.
//
// A Notified future (node fields guarded by the Notify's mu_):
//
//   state    | event                              | next
//   ---------+------------------------------------+------------------------------
//   Init     | poll; notify_waiters ran since     | Done: Ready
//            |   notified() created it            |
//   Init     | poll; a permit is stored           | Done: Ready (permit taken)
//   Init     | poll; otherwise                    | Waiting (linked, at the back)
//   Waiting  | notify_one/last/waiters picks it   | unlinked, notification set,
//            |                                    |   woken
//   Waiting  | poll, unlinked                     | Done: Ready
//   Waiting  | poll, linked                       | Waiting (waker replaced)
//   Waiting  | destroyed, linked                  | unlinked, nothing else
//   Waiting  | destroyed, unlinked by notify_one  | the notification passes to
//            |   or notify_last                   |   the next waiter (or is
//            |                                    |   stored as the permit)
//
// So a notify_one() is never lost to a waiter that was dropped after being
// chosen (notify rule 1). A notify_waiters() is not passed on: it was meant
// for every waiter of its time, and the others got it.
//
// Cancellation: notified() is cancellation-safe: dropping it loses no
// notification (rule 1); a dropped waiter only gives up its place in line.
//
// Memory ordering: everything but `waiters_calls_` is guarded by mu_.
// `waiters_calls_` counts notify_waiters() calls; it is written under mu_
// with release and read by notified() with acquire (so a future created
// after a notify_waiters() does not mistake it for its own).

#ifndef MAGPIE_RUNTIME_SYNC_NOTIFY_H_
#define MAGPIE_RUNTIME_SYNC_NOTIFY_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll.h"
#include "runtime/sync/waiter_list.h"

namespace magpie::sync {

class Notify {
 public:
  class Notified;

  Notify() = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;

  // A future that completes when notified (see the top). Cancellation-safe.
  Notified notified();

  // Wakes the oldest waiter, or stores a permit if none waits.
  void notify_one();
  // Wakes the newest waiter, or stores a permit if none waits.
  void notify_last();
  // Wakes every Notified that exists now; stores nothing.
  void notify_waiters();

 private:
  enum class Notification : std::uint8_t { kNone, kOne, kLast, kAll };

  // One waiting Notified. Fields guarded by the Notify's mu_.
  struct Node : internal::WaiterLink {
    Notification notification = Notification::kNone;
    Waker waker;
  };

  // Hands one notification to the first (or last) waiter, or stores the
  // permit.
  void notify_locked(Notification how, internal::WakeList& wake)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  core::Mutex mu_;
  bool permit_ ABSL_GUARDED_BY(mu_) = false;
  internal::WaiterList<Node> waiters_ ABSL_GUARDED_BY(mu_);
  core::Atomic<std::uint64_t> waiters_calls_{0};  // written under mu_
};

// The future of Notify::notified(). Movable only before its first poll.
class [[nodiscard]] Notify::Notified {
 public:
  using Output = void;

  Notified(Notified&& other) noexcept;
  Notified& operator=(Notified&&) = delete;
  ~Notified();

  Poll<void> poll(Context& cx);

 private:
  friend class Notify;
  enum class State { kInit, kWaiting, kDone };

  Notified(Notify* notify, std::uint64_t waiters_calls) noexcept
      : notify_(notify), waiters_calls_(waiters_calls) {}

  Notify* notify_;
  std::uint64_t waiters_calls_;  // notify_waiters() calls seen at creation
  State state_ = State::kInit;
  Node node_;
};

}  // namespace magpie::sync

#endif  // MAGPIE_RUNTIME_SYNC_NOTIFY_H_
