// magpie::reactor::Handle — a cheap, copyable reference to a running
// reactor: what futures use to register sockets and timers.
//
//   absl::StatusOr<reactor::Handle> handle = reactor::Handle::current();
//   if (!handle.ok()) return handle.status();   // FailedPrecondition
//
// Ownership: a Handle holds one reference to the reactor's shared Driver,
// which therefore outlives every socket and timer registered through it —
// even past Reactor::shutdown(), after which the futures see Cancelled.
//
// The current handle: each thread has at most one, set by an EnterGuard
// (enter_guard.h) for the guard's lifetime. The Runtime enters its reactor on
// every worker thread and in its block_on; tests enter one by hand. Futures
// look it up when they are created or first polled.
//
// Threads: copy, destroy and use from any thread.

#ifndef MAGPIE_REACTOR_HANDLE_H_
#define MAGPIE_REACTOR_HANDLE_H_

#include <utility>

#include "absl/status/statusor.h"
#include "reactor/driver.h"
#include "runtime/core/arc.h"

namespace magpie::reactor {

class EnterGuard;

class Handle {
 public:
  explicit Handle(Arc<Driver> driver) : driver_(std::move(driver)) {}
  // An empty Handle (no reactor): for holders that find their reactor later
  // (Sleep, 8 bytes where std::optional<Handle> took 16). driver() on it is
  // undefined; test with operator bool first.
  Handle() = default;

  explicit operator bool() const { return bool(driver_); }

  // The current thread's handle, or FailedPrecondition when no EnterGuard is
  // active on this thread.
  static absl::StatusOr<Handle> current();

  // True when the current thread has a handle.
  static bool has_current();

  Driver& driver() const { return *driver_; }

  bool ptr_eq(const Handle& other) const {
    return driver_.ptr_eq(other.driver_);
  }

 private:
  friend class EnterGuard;

  // Swaps the thread's current handle pointer; returns the previous one.
  static const Handle* exchange_current(const Handle* handle);

  Arc<Driver> driver_;
};

}  // namespace magpie::reactor

#endif  // MAGPIE_REACTOR_HANDLE_H_
